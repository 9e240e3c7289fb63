"""The command line and the API as a new user meets them: one test per rough edge.

Start-up time is measured by ``scripts/bench_cli.py``, not here; these tests
check what makes it possible (nothing heavy imported by ``--help``).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import optuna
import pandas as pd
import pytest

from metarec.cli import main

HEAVY = ("torch", "lightgbm", "optuna", "dask", "matplotlib", "sklearn", "pandas")


def _blobs(path: Path, n: int = 150, seed: int = 0) -> Path:
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n, n_features=3, centers=3, random_state=seed)
    pd.DataFrame(X, columns=["a", "b", "c"]).to_csv(path, index=False)
    return path


# ------------------------------------------------------------ start-up and progress
@pytest.mark.parametrize("argv", [["--help"], ["recommend", "--help"], ["db", "stats", "--help"]])
def test_help_imports_nothing_heavy(argv: list[str]) -> None:
    code = (
        "import sys\nfrom metarec.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_import_metarec_is_lazy_and_complete() -> None:
    code = (
        "import sys, metarec\nbefore = 'pandas' in sys.modules\n"
        "names = [getattr(metarec, n) for n in metarec.__all__]\n"
        "print(before, len(names) == len(metarec.__all__), callable(metarec.suggest))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True"]


def test_progress_goes_to_stderr_and_quiet_silences_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from metarec import progress

    monkeypatch.setattr(progress, "AFTER", 0.0)  # report every step, however quick
    data = _blobs(tmp_path / "blobs.csv")
    assert main(["recommend", str(data), "--budget", "0", "--top", "2"]) == 0
    out, err = capsys.readouterr()
    assert "metarec: loading the models ..." in err and "done in" in err
    assert "metarec:" not in out and "recommended number of clusters" in out
    assert main(["recommend", str(data), "--budget", "0", "--top", "2", "--quiet"]) == 0
    out_quiet, err_quiet = capsys.readouterr()
    assert err_quiet == "" and out_quiet == out


def test_progress_is_off_in_the_library_and_bars_only_when_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from metarec import progress

    items = [1, 2, 3]
    assert progress.bar(items, "x") is items
    with progress.step("quiet", after=0.0):
        pass
    assert capsys.readouterr().err == ""
    with progress.reporting():
        assert list(progress.bar(items, "counting")) == items
        with progress.step("a step", after=0.0):
            pass
    err = capsys.readouterr().err
    assert "metarec: a step ..." in err and "metarec: a step: done in" in err


def test_train_reports_which_model_it_trains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each model's step, the surrogate's folds and the meta-learner's epoch bars."""
    from metarec import api, progress
    from metarec.knowledge import KnowledgeBase
    from metarec.models.hyperparams import HyperparameterModel
    from metarec.models.surrogate import SurrogateObjective

    kb = KnowledgeBase.shipped()
    small = kb.without(set(kb.dataset_hashes[40:]))
    monkeypatch.setattr(progress, "AFTER", 0.0)
    with progress.reporting():
        api.train(small, tmp_path / "models", hyper=False)
        HyperparameterModel(n_members=1, epochs=3).fit(small)
        SurrogateObjective(n_estimators=5).fit(small)
    err = capsys.readouterr().err
    assert "training on 40 datasets" in err
    for what in ("surrogate objective", "recommender (ranker)"):
        assert f"metarec: training the {what}" in err
    assert "meta-learner member 1/1, epochs" in err


# ------------------------------------------------------------ tuning
def test_tune_leaves_no_waiting_trials_and_says_what_it_left_out(tmp_path: Path) -> None:
    from metarec.tuning import tune

    study = tune(str(_blobs(tmp_path / "b.csv")), n_trials=3, top=4, random_state=0)
    states = [t.state for t in study.trials]
    assert len(states) == 3
    assert optuna.trial.TrialState.WAITING not in states
    left = study.user_attrs["warm_start"]
    assert left["enqueued"] == 3 and left["left_out"] >= 1
    assert study.study_name == "metarec-b"


def test_tune_keeps_the_queue_of_a_stored_study(tmp_path: Path) -> None:
    from metarec.tuning import tune

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = tune(
        str(_blobs(tmp_path / "b.csv")), n_trials=2, top=4, storage=storage, study_name="s"
    )
    waiting = study.get_trials(states=(optuna.trial.TrialState.WAITING,))
    assert len(waiting) == study.user_attrs["warm_start"]["enqueued"] - 2 > 0


def test_the_tune_command_says_how_many_warm_starts_were_not_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _blobs(tmp_path / "b.csv")
    argv = ["tune", str(data), "--trials", "2", "--top", "3", "--out", str(tmp_path / "o")]
    assert main([*argv, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "warm-start configurations were not run: raise --trials" in out
    # the printed trial is the one best_config.json names (both count from 1)
    payload = json.loads((tmp_path / "o" / "best_config.json").read_text())
    assert f"returned trial {payload['trial']} of 2 (" in out
    assert payload["trial"] == payload["optuna_trial_number"] + 1
    assert payload["select"] in ("start", "consensus")


def test_the_plot_names_the_data_says_what_the_axis_is_and_leaves_out_an_empty_ari(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from metarec.tuning import best_so_far, best_trial, plot_progress, trial_position, tune

    study = tune(str(_blobs(tmp_path / "blobs.csv")), n_trials=4, random_state=0)
    fig = plot_progress({"no-name-0f3c": study}, str(tmp_path / "p.png"))
    assert len(fig.axes) == 1  # no labels: no ARI panel
    ax = fig.axes[0]
    assert fig._suptitle.get_text() == "metarec tune: blobs"  # the dataset, named
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    algorithms = {t.user_attrs["config"]["algorithm"] for t in study.trials}
    position = trial_position(study, best_trial(study))
    # the curve, one entry per algorithm (a dot per trial in its colour), the returned trial
    assert legend[0] == "best so far" and set(legend[1:-1]) == algorithms
    assert legend[-1].startswith(f"returned: trial {position} (")
    # the axis label fits inside the figure: wrapped, drawn within the canvas
    assert ax.get_ylabel().replace("\n", " ") == (
        "learned score (ranks by expected ARI; higher is better)"
    )
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    box = ax.yaxis.label.get_window_extent(renderer)
    assert box.x0 >= 0 and box.y0 >= 0 and box.y1 <= fig.bbox.height
    # whole-number trial ticks
    assert all(float(t).is_integer() for t in ax.get_xticks())
    # the printed trial is where the curve reaches its best
    curve = best_so_far(study)
    best = best_trial(study)
    first_best = curve.loc[curve["objective"] == best.value, "trial"].min()
    assert trial_position(study, best) == first_best
    # with labels: the ARI panel, and the index's name and direction
    labeled = tune("sklearn:iris", n_trials=3, objective="davies_bouldin", warm=False)
    fig = plot_progress({"iris": labeled}, str(tmp_path / "q.png"))
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylabel() == "Davies-Bouldin (lower is better)"
    assert fig.axes[1].get_ylabel().startswith("ARI")


def test_warm_start_serves_a_users_own_objective_through_suggest() -> None:
    import metarec
    from metarec.runner import run_config

    def objective(trial: optuna.Trial) -> float:
        config = metarec.suggest(trial, algorithms=["kmeans", "gmm"])
        result = run_config("sklearn:iris", config, isolate=False)
        assert result.status == "ok"
        return float(result.silhouette)

    study = optuna.create_study(direction="maximize")
    queued = metarec.warm_start(study, "sklearn:iris", top=2, algorithms=["kmeans", "gmm"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: the parameters were used
        study.optimize(objective, n_trials=len(queued))
    from metarec.space import Configuration, from_optuna_params

    for trial, config in zip(study.trials, queued, strict=True):
        assert trial.params == trial.system_attrs["fixed_params"]
        assert Configuration.from_dict(from_optuna_params(trial.params)) == config


def test_warm_start_warns_when_the_objective_ignores_its_parameters() -> None:
    import metarec
    from metarec.exceptions import MetarecWarning

    def objective(trial: optuna.Trial) -> float:
        return float(trial.suggest_int("n_clusters", 2, 5))

    study = optuna.create_study(direction="maximize")
    metarec.warm_start(study, "sklearn:iris", top=2)
    with pytest.warns(MetarecWarning, match=r"metarec\.suggest\(trial\)") as record:
        study.optimize(objective, n_trials=3)
    assert len([w for w in record if issubclass(w.category, MetarecWarning)]) == 1


def test_seed_is_a_deprecated_name_of_random_state(tmp_path: Path) -> None:
    from metarec.exceptions import MetarecError
    from metarec.runner import run_config
    from metarec.tuning import tune

    cfg = {"algorithm": "kmeans", "params": {"n_clusters": 3}}
    new = run_config("sklearn:iris", cfg, random_state=3, isolate=False)
    with pytest.warns(FutureWarning, match="random_state"):
        old = run_config("sklearn:iris", cfg, seed=3, isolate=False)
    assert (new.seed, new.silhouette) == (old.seed, old.silhouette) == (3, old.silhouette)
    with pytest.warns(FutureWarning):
        study = tune("sklearn:iris", n_trials=1, warm=False, objective="silhouette", seed=2)
    assert study.user_attrs["seed"] == 2
    with pytest.raises(MetarecError, match="not both"):
        run_config("sklearn:iris", cfg, random_state=1, seed=2)


# ------------------------------------------------------------ arguments and databases
@pytest.mark.parametrize("top", ["-3", "0", "two"])
def test_top_must_be_a_positive_count(top: str, capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["recommend", "sklearn:iris"], ["tune", "sklearn:iris"]):
        with pytest.raises(SystemExit) as exc:
            main([*command, "--top", top])
        assert exc.value.code == 2
        assert "--top" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["train"], ["db", "stats"], ["db", "check"]])
def test_a_missing_database_is_one_line_and_nothing_is_created(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.sqlite"
    assert main([*command, "--db", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no database at" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_an_empty_file_is_not_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    assert main(["train", "--db", str(empty)]) == 2
    assert "is not a metarec database" in capsys.readouterr().err


def test_db_stats_shows_the_layers_recommend_uses(capsys: pytest.CaptureFixture[str]) -> None:
    from metarec.knowledge import KnowledgeBase

    assert main(["db", "stats"]) == 0
    out = capsys.readouterr().out
    shipped = len(KnowledgeBase.shipped().datasets)
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:5]}
    assert rows["shipped"][0] == rows["together"][0] == str(shipped)
    assert rows["yours"][0] == "0" and "none yet" in out
    assert main(["db", "stats", "--json"]) == 0
    layers = json.loads(capsys.readouterr().out)
    assert set(layers) == {"shipped", "yours", "together"}
    assert layers["yours"]["exists"] is False  # stats created nothing


def test_db_stats_names_the_shipped_database(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "stats", "--db", "shipped"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "the shipped meta-database (" in first and "sqlite://" not in first


def test_every_option_has_help_text() -> None:
    from metarec.cli import _parser

    missing = []

    def walk(parser: object, prefix: str) -> None:
        for action in parser._actions:  # type: ignore[attr-defined]
            if action.choices and isinstance(action.choices, dict):
                for name, sub in action.choices.items():
                    walk(sub, f"{prefix} {name}")
            elif action.option_strings and action.dest != "help" and not action.help:
                missing.append(f"{prefix} {action.option_strings[0]}")

    walk(_parser(), "metarec")
    assert missing == [], missing


def test_a_stored_file_source_resolves_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metarec.db import MetaDatabase
    from metarec.io import load_dataset

    (tmp_path / "data").mkdir()
    _blobs(tmp_path / "data" / "cpu.csv")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    ds = load_dataset("../data/cpu.csv")
    db = MetaDatabase(f"sqlite:///{tmp_path / 'db.sqlite'}")
    db.add_dataset(ds)
    monkeypatch.chdir("/")
    source = db.table("datasets")["source"].iloc[0]
    assert Path(source).is_absolute() and Path(source).is_file()
    assert load_dataset(source).content_hash == ds.content_hash


# ------------------------------------------------------------ JSON output
def test_json_output_is_strict_json_with_numbers_as_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _blobs(tmp_path / "blobs.csv")
    assert main(["recommend", str(data), "--budget", "0", "--json", "--quiet"]) == 0
    text = capsys.readouterr().out
    payload = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    for item in payload["recommendations"]:
        pca = item["config"]["preprocessing"]["pca"]
        assert pca == "none" or isinstance(pca, float)
        for value in item["config"]["params"].values():
            assert not (isinstance(value, str) and _is_number(value)), value
        assert isinstance(item["predicted_ari"], float)
    assert main(["metafeatures", str(data), "--json", "--quiet"]) == 0
    features = json.loads(capsys.readouterr().out)["features"]
    assert all(v is None or isinstance(v, (int, float)) for v in features.values())


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def test_a_json_configuration_reads_back_as_the_same_configuration() -> None:
    from metarec.space import Configuration

    for pca in ("none", "0.8", "0.95"):
        c = Configuration.from_dict({"algorithm": "gmm", "preprocessing": {"pca": pca}})
        again = Configuration.from_dict(json.loads(json.dumps(c.to_json())))
        assert again == c and again.hash == c.hash


def test_the_cached_models_see_a_user_database_that_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In one process (a notebook), runs ingested after a recommendation count in the next."""
    from metarec.api import get_recommender
    from metarec.db import MetaDatabase

    monkeypatch.setenv("METAREC_HOME", str(tmp_path / "home"))
    first = get_recommender()
    assert get_recommender() is first  # cached while nothing changes
    MetaDatabase(None).close()  # the user's database appears
    assert get_recommender() is not first


def test_a_models_folder_that_holds_no_models_is_an_error_not_the_shipped_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 39: `--models /nonexistent` silently used the shipped models."""
    missing = tmp_path / "nowhere"
    assert main(["recommend", "sklearn:iris", "--budget", "0", "--models", str(missing)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no trained models there" in err[0] and "metarec train" in err[0]
    assert not missing.exists()  # nothing written


def test_small_things_a_newcomer_meets(
    tmp_path: Path, corpus_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    import pandas as pd

    from metarec.api import default_models_dir

    # datasets --count has a header and a total
    assert main(["--data-root", str(corpus_root), "datasets", "--count"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "corpus\tdatasets" and lines[-1].startswith("total\t")
    assert int(lines[-1].split("\t")[1]) == sum(int(x.split("\t")[1]) for x in lines[1:-1])
    # evaluate --help shows its defaults
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    assert "(default: 10)" in capsys.readouterr().out
    # a recommendation says which models it used when they are not the shipped ones
    models = tmp_path / "models"
    shutil.copytree(default_models_dir(), models)
    assert main(["recommend", "sklearn:iris", "--budget", "0", "--models", str(models)]) == 0
    assert f"models: the models at {models}" in capsys.readouterr().out
    assert main(["recommend", "sklearn:iris", "--budget", "0"]) == 0
    assert "models:" not in capsys.readouterr().out
    # an ingest that added nothing does not ask for a refit
    runs = tmp_path / "runs.csv"
    data = tmp_path / "d.csv"
    pd.DataFrame({"a": range(30), "b": [i % 3 for i in range(30)]}).to_csv(data, index=False)
    pd.DataFrame(
        {
            "dataset": [str(data)],
            "algorithm": ["kmeans"],
            "params": ['{"n_clusters": 3}'],
            "ari": [0.5],
        }
    ).to_csv(runs, index=False)
    db = str(tmp_path / "mine.sqlite")
    assert main(["ingest", str(runs), "--db", db]) == 0
    assert "run `metarec train`" in capsys.readouterr().out
    assert main(["ingest", str(runs), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "metarec train" not in out and "nothing new" in out
