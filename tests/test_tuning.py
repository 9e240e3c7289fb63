"""Cold-start Optuna search over the clustering space."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest

from metarec.exceptions import MetarecError
from metarec.runner import RunResult
from metarec.tuning import (
    OBJECTIVES,
    best_so_far,
    best_trial,
    choose_objective,
    is_neighbour,
    objective_value,
    open_storage,
    own_trials,
    plot_progress,
    select_trial,
    tune,
    warm_start,
)


def test_cold_tpe_search_records_ari_but_optimizes_silhouette() -> None:
    kw: dict[str, Any] = {"objective": "silhouette", "algorithms": ["kmeans", "dbscan"]}
    kw["warm"] = False
    study = tune("sklearn:iris", n_trials=6, random_state=1, **kw)
    assert len(study.trials) == 6
    best = study.best_trial
    assert best.params["algorithm"] in ("kmeans", "dbscan")
    assert -1 <= best.value <= 1
    assert "ari" in best.user_attrs and "config" in best.user_attrs
    again = tune("sklearn:iris", n_trials=6, random_state=1, **kw)
    assert [t.params for t in again.trials] == [t.params for t in study.trials]


def test_objective_values() -> None:
    ok = RunResult(status="ok", seed=0, silhouette=float("nan"), davies_bouldin=0.7)
    assert objective_value(ok, "silhouette") == -1.0  # undefined -> worst
    assert objective_value(ok, "davies_bouldin") == 0.7
    assert math.isnan(objective_value(RunResult(status="failed", seed=0), "silhouette"))
    with pytest.raises(MetarecError, match="unknown objective"):
        tune("sklearn:iris", n_trials=1, objective="purity")
    custom = tune(
        "sklearn:iris", n_trials=3, objective=lambda r: float(r.n_clusters or 0), warm=False
    )
    assert custom.best_value >= 2


def test_silhouette_objective_counts_noise() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(size=(50, 2)), rng.normal(size=(50, 2)) + 6])
    # Two tight pairs and everything else noise: excellent without noise, poor with it.
    labels = np.full(100, -1)
    labels[:2], labels[50:52] = 0, 1
    res = RunResult(status="ok", seed=0, silhouette=0.99, labels=labels)
    assert objective_value(res, "silhouette") == 0.99
    assert objective_value(res, "silhouette", x) < 0.5


def test_warm_start_enqueues_the_recommendations_first(kb_dir: Path) -> None:
    from metarec.api import get_recommender
    from metarec.space import config_hash

    rec = get_recommender(str(kb_dir))
    study = tune("sklearn:wine", n_trials=6, warm=True, recommender=rec, top=3, random_state=0)
    from metarec.api import recommend_for
    from metarec.io import load_dataset
    from metarec.metafeatures import extract_metafeatures

    data = load_dataset("sklearn:wine")
    mf = extract_metafeatures(data)
    # the recommendation a user gets comes first (its pick is the first trial), then the
    # zero-shot ranking
    given = [it.config_hash for it in recommend_for(rec, data, mf, 3, budget=2.0).items]
    zero = [it.config_hash for it in rec.recommend(mf, top=3).items]
    expected = list(dict.fromkeys([*given, *zero]))
    first = [config_hash(t.user_attrs["config"]) for t in study.trials[: len(expected)]]
    assert first == expected[: len(first)] and first[0] == given[0]
    assert study.user_attrs["start_config"] == dict(study.trials[0].user_attrs["config"])
    # warm-starting again enqueues nothing already tried
    assert len(warm_start(study, "sklearn:wine", recommender=rec, top=3)) == 3
    assert len([t for t in study.trials if t.state.name == "WAITING"]) == 0


def _start(rec: Any, name: str, top: int, algorithms: list[str] | None = None) -> list[str]:
    """What a warm search runs first: the recommendation a user gets, within the space."""
    from metarec.io import load_dataset
    from metarec.metafeatures import extract_metafeatures
    from metarec.tuning._warm import _recommended_start

    data = load_dataset(name)
    configs, _ = _recommended_start(rec, data, extract_metafeatures(data), top, 2.0, 0, algorithms)
    return [c.hash for c in configs]


def test_warm_start_keeps_to_a_restricted_space(kb_dir: Path) -> None:
    """With ``algorithms``, only recommendations inside the space are enqueued, still ``top``
    of them, in the recommender's order; the default search is warm."""
    import metarec
    from metarec.api import get_recommender
    from metarec.io import load_dataset
    from metarec.metafeatures import extract_metafeatures
    from metarec.space import config_hash

    rec = get_recommender(str(kb_dir))
    mf = extract_metafeatures(load_dataset("sklearn:wine"))
    ranked = rec.recommend(mf, top=len(rec.configs_)).items
    allowed = sorted({it.algorithm for it in ranked[1:]} - {ranked[0].algorithm})[:1]
    study = metarec.tune("sklearn:wine", n_trials=2, algorithms=allowed, recommender=rec, top=2)
    inside = [it.config_hash for it in ranked if it.algorithm in allowed]
    expected = list(dict.fromkeys([*_start(rec, "sklearn:wine", 2, allowed), *inside]))[:2]
    assert [config_hash(t.user_attrs["config"]) for t in study.trials] == expected
    assert {t.params["algorithm"] for t in study.trials} == set(allowed)
    with pytest.raises(MetarecError, match="unknown algorithms"):
        metarec.warm_start(study, metafeatures=mf, recommender=rec, algorithms=["kmeans2"])
    with pytest.raises(MetarecError, match="unknown algorithms"):
        metarec.tune("sklearn:wine", n_trials=1, warm=False, algorithms=["kmeans2"])


def test_neighbours_trials_of_older_studies_are_never_results_nor_ingested(
    kb_dir: Path, tmp_path: Path
) -> None:
    """metarec 0.1 could give TPE the nearest datasets' runs as trials (retired
    ``feed=True``): such trials are neither returned nor ingested."""
    from metarec.api import get_recommender
    from metarec.db import MetaDatabase
    from metarec.db.ingest import ingest_study
    from metarec.space import distributions, to_optuna_params

    rec = get_recommender(str(kb_dir))
    kw: dict[str, Any] = {"recommender": rec, "top": 2, "objective": "silhouette"}
    study = tune("sklearn:wine", n_trials=3, warm=True, **kw)
    config = next(iter(rec.configs_))
    params = to_optuna_params(config)
    fed = optuna.trial.create_trial(
        params=params,
        distributions={k: distributions()[k] for k in params},
        value=1.0,  # better than any trial of the study's own
        user_attrs={"metarec_neighbour": "f" * 32},
    )
    study.add_trial(fed)
    own = own_trials(study)
    assert len(own) == 3 and not any(is_neighbour(t) for t in own)
    assert is_neighbour(study.trials[-1])
    assert best_trial(study) in own
    assert best_so_far(study)["trial"].tolist() == [1, 2, 3]
    db = MetaDatabase(f"sqlite:///{tmp_path / 'mine.sqlite'}")
    report = ingest_study(db, study, dataset="sklearn:wine")
    assert len(db.runs_frame()) == 3
    assert any("fed from neighbouring datasets" in line for line in report.skipped)


def test_index_objective_is_chosen_from_similar_datasets(kb_dir: Path) -> None:
    from metarec.api import get_recommender
    from metarec.io import load_dataset
    from metarec.metafeatures import extract_metafeatures

    rec = get_recommender(str(kb_dir))
    mf = extract_metafeatures(load_dataset("sklearn:wine"))
    index, agreement = choose_objective(mf, rec)
    assert index in OBJECTIVES and set(agreement) == set(OBJECTIVES)
    assert agreement[index] == max(v for v in agreement.values() if v == v)
    study = tune("sklearn:wine", n_trials=2, objective="index", recommender=rec)
    assert study.user_attrs["objective"] == index


def test_crashing_trials_fail_and_the_search_goes_on() -> None:
    kw: dict[str, Any] = {"time_limit": 0.001, "algorithms": ["spectral"], "warm": False}
    study = tune("sklearn:digits", n_trials=3, **kw)
    assert [t.state.name for t in study.trials] == ["FAIL"] * 3
    assert {t.user_attrs["status"] for t in study.trials} == {"timeout"}


def test_journal_storage_resumes_a_study(tmp_path: Path) -> None:
    storage = f"journal:{tmp_path / 'study.log'}"
    kw: dict[str, Any] = {"storage": storage, "study_name": "s", "algorithms": ["kmeans"]}
    tune("sklearn:iris", n_trials=2, warm=False, **kw)
    again = tune("sklearn:iris", n_trials=2, warm=False, **kw)
    assert len(again.trials) == 4
    with pytest.raises(MetarecError, match="neither a database URL"):
        open_storage("study.db")


def test_two_workers_share_a_postgresql_study(
    postgres_url: str, tmp_path: Path, kb_dir: Path
) -> None:
    """Two `metarec tune` processes join one study through PostgreSQL."""
    import optuna
    import psycopg

    admin = postgres_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE optuna_test")
    url = postgres_url.rsplit("/", 1)[0] + "/optuna_test"
    cmd = [
        sys.executable,
        "-m",
        "metarec.cli",
        "tune",
        "sklearn:iris",
        "--trials",
        "4",
        "--storage",
        url,
        "--study",
        "shared",
        "--objective",
        "silhouette",
        "--quiet",
        "--db",
        str(kb_dir),
        # one recommendation per worker: at most 3 enqueued each (the screened pick,
        # the top-ranked, the neural meta-learner's), 6 in all, fewer than 8 trials
        "--top",
        "1",
    ]
    procs = [
        subprocess.Popen(
            [*cmd, "--seed", str(i), "--out", str(tmp_path / f"w{i}")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=600)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    study = optuna.load_study(study_name="shared", storage=open_storage(url))
    finished = [t for t in study.trials if t.state.name in ("COMPLETE", "FAIL")]
    assert len(finished) == 8
    # every enqueued trial ran, whoever enqueued it; workers starting at the same
    # moment may both enqueue one (skip_if_exists sees only trials already stored)
    assert not study.get_trials(states=(optuna.trial.TrialState.WAITING,))
    from metarec.api import get_recommender
    from metarec.io import load_dataset
    from metarec.metafeatures import extract_metafeatures
    from metarec.space import config_hash

    rec = get_recommender(str(kb_dir))
    top = rec.recommend(extract_metafeatures(load_dataset("sklearn:iris")), top=1).items
    ran = {config_hash(t.user_attrs["config"]) for t in finished}
    assert {it.config_hash for it in top} <= ran
    for i in range(2):
        assert json.loads((tmp_path / f"w{i}" / "best_config.json").read_text())["trials"] >= 4


def test_cli_reports_queued_warm_start_configurations_not_as_failures(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from metarec.cli import main

    argv = ["tune", "sklearn:iris", "--trials", "2", "--top", "3", "--objective", "silhouette"]
    argv += ["--quiet", "--db", str(kb_dir)]
    argv += ["--out", str(tmp_path / "out")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "failed or timed out" not in out
    assert "warm-start configurations were not run" in out and "2 trials in study" in out
    assert json.loads((tmp_path / "out" / "best_config.json").read_text())["trials"] == 2


def test_tune_writes_its_study_back_to_the_meta_database(tmp_path: Path) -> None:
    from metarec.cli import main
    from metarec.db import MetaDatabase

    url = f"sqlite:///{tmp_path / 'mine.sqlite'}"
    argv = ["tune", "sklearn:iris", "--trials", "3", "--cold", "--objective", "silhouette"]
    argv += ["--algorithms", "kmeans, gmm", "--quiet", "--out", str(tmp_path / "out")]
    assert main([*argv, "--ingest", url]) == 0
    runs = MetaDatabase(url).runs_frame()
    assert 1 <= len(runs) <= 3 and runs["study"].str.startswith("optuna:").all()
    assert set(runs["algorithm"]) <= {"kmeans", "gmm"}
    ok = runs[runs["status"] == "ok"]
    assert ok["ari"].between(-1, 1).all() and ok["silhouette"].notna().all()


def test_select_trial_picks_among_the_best_trials_by_consensus() -> None:
    import numpy as np

    shared = np.repeat([0, 1, 2], 10)
    odd = np.tile([0, 1, 2], 10)
    # the best value is a partition no other top trial agrees with
    values = [0.9, 0.8, 0.7, 0.6, float("nan"), 0.1]
    parts = [odd, shared, shared, shared, None, odd]
    priors = [0.2, 0.2, 0.2, 0.2, 0.9, 0.2]
    assert select_trial(values, parts, priors) == 1
    # only the top trials count: with top=1 the best value is the pick
    assert select_trial(values, parts, priors, top=1) == 0
    # fewer than three usable trials: the best value; smaller is better when minimizing
    assert select_trial([0.5, 0.2], [odd, shared], [0.0, 0.0]) == 0
    assert select_trial([0.5, 0.2], [odd, shared], [0.0, 0.0], minimize=True) == 1
    assert select_trial([float("nan")], [None], [0.0]) is None
    # partitions alike in agreement and prior: the silhouette, when given, outweighs
    # the objective's rank, as in the screening's blend
    alike = [shared, shared, shared]
    assert select_trial([0.9, 0.8, 0.7], alike, [0.2] * 3) == 0
    assert select_trial([0.9, 0.8, 0.7], alike, [0.2] * 3, silhouettes=[0.1, 0.2, 0.9]) == 2


def test_a_search_returns_its_consensus_trial(tmp_path: Path) -> None:
    kw: dict[str, Any] = {"objective": "silhouette", "algorithms": ["kmeans"], "warm": False}
    study = tune("sklearn:iris", n_trials=8, random_state=2, **kw)
    chosen = study.user_attrs["selected_trial"]
    assert study.user_attrs["select"] == "consensus"
    assert best_trial(study).number == chosen
    values = {t.number: t.value for t in study.trials if t.value is not None}
    top = sorted(values, key=lambda n: -values[n])[:15]
    assert chosen in top  # among the best trials by the objective
    fig = plot_progress({"iris": study}, str(tmp_path / "p.png"))  # the pick is starred
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[-1].startswith("returned: trial ") and labels[-1].endswith("(consensus)")
    # without a selection (a study of another tool), the best objective value stands
    study.set_user_attr("selected_trial", None)
    assert best_trial(study).value == max(v for v in values.values())


def test_best_so_far_follows_the_objective_and_skips_failed_trials() -> None:
    study = optuna.create_study(direction="minimize")
    for value, ari in [(3.0, 0.1), (None, 0.9), (1.0, 0.5), (2.0, 0.7)]:
        trial = study.ask()
        trial.set_user_attr("ari", ari)
        if value is None:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, value)
    curve = best_so_far(study)
    assert curve["trial"].tolist() == [1, 2, 3, 4]
    assert curve["objective"].tolist() == [3.0, 3.0, 1.0, 1.0]
    assert curve["ari"].tolist() == [0.1, 0.1, 0.5, 0.5]


def test_a_raising_or_hanging_user_objective_fails_its_trial_and_the_search_goes_on(
    tmp_path: Path,
) -> None:
    import time as _time

    counter = tmp_path / "calls"  # the objective runs in a child process: count in a file

    def flaky(result: Any) -> float:
        with counter.open("a") as fh:
            fh.write("x")
        if len(counter.read_text()) % 2:
            raise ValueError("my objective broke")
        return float(result.silhouette)

    kw: dict[str, Any] = {"algorithms": ["kmeans"], "warm": False}
    study = tune("sklearn:iris", n_trials=4, objective=flaky, **kw)
    states = [t.state.name for t in study.trials]
    assert len(states) == 4 and "COMPLETE" in states and "FAIL" in states
    failed = [t for t in study.trials if t.state.name == "FAIL"]
    assert all("ValueError: my objective broke" in t.user_attrs["objective_error"] for t in failed)

    def hangs(result: Any) -> float:
        _time.sleep(60)
        return 0.0

    start = _time.perf_counter()
    study = tune("sklearn:iris", n_trials=2, objective=hangs, time_limit=1.0, **kw)
    assert _time.perf_counter() - start < 20  # not 2 x 60 s
    assert [t.state.name for t in study.trials] == ["FAIL", "FAIL"]
    assert all("time limit" in t.user_attrs["objective_error"] for t in study.trials)
    # an infinite or non-numeric value is no result either, in or out of a child process
    from metarec.runner import RunResult
    from metarec.tuning import user_objective_value

    for bad, said in ((lambda r: float("inf"), "inf"), (lambda r: "high", "'high'")):
        study = tune("sklearn:iris", n_trials=1, objective=bad, time_limit=30.0, **kw)
        (trial,) = study.trials
        assert trial.state.name == "FAIL" and trial.value is None
        assert said in trial.user_attrs["objective_error"]
        value, error = user_objective_value(bad, RunResult("ok", 0), None)
        assert math.isnan(value) and error is not None and said in error


def test_a_memory_hungry_user_objective_gets_a_memory_error_not_the_machine() -> None:
    import numpy as np

    from metarec.runner import RunResult
    from metarec.tuning import user_objective_value

    result = RunResult(status="ok", seed=0)
    value, error = user_objective_value(
        lambda r: float(np.ones(1 << 31, dtype=np.int64).sum()), result, 30.0
    )  # 16 GiB
    assert np.isnan(value) and error is not None and "MemoryError" in error
    assert user_objective_value(lambda r: 1.5, result, 30.0) == (1.5, None)


def test_the_returned_trial_is_never_below_the_start_by_metarecs_own_evidence() -> None:
    """The recommendation's pick (the first trial) always competes, even when the
    objective ranks it last; a trusted pick is kept; otherwise it is returned unless
    another trial is at least as good by every piece of the screening's evidence."""
    from metarec.space import config_hash
    from metarec.tuning import CONSENSUS_TOP
    from metarec.tuning._select import _TopPartitions

    rng = np.random.default_rng(0)
    truth = np.repeat([0, 1, 2], 30)
    start = {"algorithm": "kmeans", "params": {"n_clusters": 3}, "preprocessing": {}}

    def offer(kept: _TopPartitions, rival: bool) -> None:
        kept.offer(0, -5.0, start, truth, 0.6)  # the worst objective value of all
        for n in range(1, 3 * CONSENSUS_TOP):
            noisy = np.where(rng.random(90) < 0.5, rng.integers(0, 4, 90), truth)
            cfg = {"algorithm": "kmeans", "params": {"n_clusters": 4 + n}, "preprocessing": {}}
            kept.offer(n, float(n), cfg, noisy, 0.1)
        if rival:  # the same partition, a better value and silhouette: it dominates
            cfg = {"algorithm": "gmm", "params": {"n_components": 3}, "preprocessing": {}}
            kept.offer(99, 1000.0, cfg, truth, 0.7)

    for trusted, rival, expected in [(True, True, 0), (False, False, 0), (False, True, 99)]:
        kept = _TopPartitions(CONSENSUS_TOP, 1.0, config_hash(start), trusted)
        offer(kept, rival)
        assert kept.start == 0 and 0 in kept.trials  # kept although its value is the worst
        assert len(kept.trials) == CONSENSUS_TOP + 1
        study = optuna.create_study(direction="maximize")
        kept.select(study, None, None)
        assert study.user_attrs["start_trial"] == 0
        assert study.user_attrs["selected_trial"] == expected
        assert study.user_attrs["select"] == ("start" if trusted else "consensus")


def test_select_trial_keeps_the_start_unless_another_trial_dominates_it() -> None:
    shared = np.repeat([0, 1, 2], 10)
    odd = np.tile([0, 1, 2], 10)
    parts = [shared, shared, shared, odd]
    # the start (position 2) has the lowest value but the best prior: nobody dominates
    assert select_trial([0.9, 0.8, 0.1, 0.5], parts, [0.2, 0.2, 0.9, 0.2], start=2) == 2
    # a trial as good by agreement and prior and better by value dominates it
    assert select_trial([0.9, 0.8, 0.1, 0.5], parts, [0.9, 0.2, 0.9, 0.2], start=2) == 0
    # two that dominate: the blend's first of them
    assert select_trial([0.9, 0.8, 0.1, 0.5], parts, [0.9, 0.95, 0.9, 0.2], start=2) in (0, 1)
    # a missing silhouette never dominates a start that has one
    got = select_trial(
        [0.9, 0.8, 0.1, 0.5],
        parts,
        [0.9, 0.2, 0.9, 0.2],
        silhouettes=[float("nan"), 0.1, 0.3, 0.1],
        start=2,
    )
    assert got == 2
    # a failed start cannot be returned: the blend decides
    assert select_trial([0.9, 0.8, float("nan"), 0.5], parts, [0.2] * 4, start=2) in (0, 1, 3)
