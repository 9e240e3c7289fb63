"""Growing the meta-database: runs files, Optuna studies, OpenML, freshness, layering."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metarec.cli import main
from metarec.db import MetaDatabase, import_tables
from metarec.db.exchange import TABLES
from metarec.db.ingest import IngestError, ingest_runs, ingest_runs_file, validate_run
from metarec.exceptions import StaleModelWarning
from metarec.space import config_hash

ROOT = Path(__file__).resolve().parents[1]


def _data_file(path: Path, seed: int = 0, n: int = 60) -> Path:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [6.0, 6.0, 0.0], [0.0, 6.0, 6.0]])
    x = np.vstack([c + rng.normal(size=(n // 3, 3)) for c in centres])
    pd.DataFrame(x, columns=["a", "b", "c"]).to_csv(path, index=False)
    return path


def _runs(data: Path, seeds: range = range(3)) -> pd.DataFrame:
    rows = []
    for seed in seeds:
        for k in (2, 3, 4):
            cfg = {"algorithm": "kmeans", "params": {"n_clusters": k}}
            rows.append(
                {
                    "dataset": str(data),
                    "config": json.dumps(cfg),
                    "seed": seed,
                    "status": "ok",
                    "ari": 1.0 if k == 3 else 0.5,
                    "silhouette": 0.7,
                    "n_clusters": k,
                }
            )
    rows.append({"dataset": str(data), "algorithm": "dbscan", "params": "{}", "status": "failed"})
    return pd.DataFrame(rows)


def _snapshot(db: MetaDatabase) -> dict[str, pd.DataFrame]:
    return {t: db.table(t) for t in (*TABLES, "artifacts")}


def _same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> bool:
    return all(a[t].equals(b[t]) for t in a)


def test_runs_file_is_ingested_once(tmp_path: Path) -> None:
    data = _data_file(tmp_path / "blobs.csv")
    runs_file = tmp_path / "runs.parquet"
    _runs(data).to_parquet(runs_file)
    db = MetaDatabase(tmp_path / "user.sqlite")
    report = ingest_runs_file(db, runs_file)
    assert (report.datasets_new, report.runs_new, report.runs_known) == (1, 10, 0)
    assert report.configurations == 4
    frame = db.runs_frame()
    assert len(frame) == 10 and set(frame["study"]) == {"ingest:runs.parquet"}
    best = frame.loc[frame["ari"].idxmax()]
    assert best["config_hash"] == config_hash({"algorithm": "kmeans", "params": {"n_clusters": 3}})
    assert db.count("metafeatures") == 1  # described by metarec's extractor on the way in
    again = ingest_runs_file(db, runs_file)
    assert (again.runs_new, again.runs_known, again.datasets_new) == (0, 10, 0)
    assert db.check() == []


def _bad_cases(data: Path, other: Path) -> dict[str, tuple[pd.DataFrame, str]]:
    good = _runs(data, range(1))
    known_hash = "0" * 32

    def last(**change: object) -> pd.DataFrame:
        frame = good.copy()
        extra = {**frame.iloc[0].to_dict(), **change}
        return pd.concat([frame, pd.DataFrame([extra])], ignore_index=True)

    n = len(good) + 1
    return {
        "unknown algorithm": (
            last(config=json.dumps({"algorithm": "kmedoids"})),
            f"row {n}: configuration outside the search space: unknown algorithm",
        ),
        "parameter out of range": (
            last(config=json.dumps({"algorithm": "kmeans", "params": {"n_clusters": 500}})),
            f"row {n}: configuration outside the search space: n_clusters=500",
        ),
        "unknown parameter": (
            last(config=json.dumps({"algorithm": "dbscan", "params": {"eps": 0.3}})),
            f"row {n}: configuration outside the search space: dbscan has no parameter",
        ),
        "broken JSON": (last(config="{'algorithm'"), f"row {n}: the configuration is not valid"),
        "ARI above 1": (last(ari=1.5), f"row {n}: ari=1.5 is outside"),
        "negative silhouette below -1": (last(silhouette=-2.0), f"row {n}: silhouette=-2.0"),
        "NMI below 0": (last(nmi=-0.1), f"row {n}: nmi=-0.1 is outside"),
        "score not a number": (last(ari="high"), f"row {n}: ari='high' is not a number"),
        "infinite score": (last(calinski_harabasz=np.inf), f"row {n}: calinski_harabasz=inf"),
        "bad status": (last(status="crashed"), f"row {n}: status 'crashed' is not one of"),
        "negative seed": (last(seed=-1), f"row {n}: seed=-1"),
        "fractional cluster count": (last(n_clusters=2.5), f"row {n}: n_clusters=2.5 must be"),
        "hash conflicts with the data": (
            last(content_hash=known_hash),
            f"row {n}: dataset '{data}' has content hash",
        ),
        "unknown hash without data": (
            last(dataset=None, content_hash=known_hash),
            f"row {n}: dataset {known_hash} is not in the database",
        ),
        "dataset does not load": (
            last(dataset=str(other / "missing.csv")),
            f"row {n}: cannot load dataset",
        ),
        "no configuration": (
            good.drop(columns=["config", "algorithm", "params"]),
            "no configuration column",
        ),
        "misspelled score column": (
            good.rename(columns={"ari": "ARI"}),
            "unknown column 'ARI'; did you mean 'ari'?",
        ),
        "score column with a zero-width space": (
            good.rename(columns={"ari": "ari\u200b"}),
            "did you mean 'ari'?",
        ),
        "score column with a Cyrillic letter": (
            good.rename(columns={"silhouette": "silh\u043euette"}),  # Cyrillic o
            "did you mean 'silhouette'?",
        ),
        "configuration nested 200,000 levels deep": (
            last(config="[" * 200_000 + "]" * 200_000),
            f"row {n}: the configuration is nested too deeply",
        ),
    }


@pytest.mark.parametrize("case", sorted(_bad_cases(Path("x"), Path("y"))))
def test_bad_input_is_rejected_with_nothing_written(tmp_path: Path, case: str) -> None:
    data = _data_file(tmp_path / "blobs.csv")
    db = MetaDatabase(tmp_path / "user.sqlite")
    ingest_runs(db, _runs(_data_file(tmp_path / "first.csv", seed=1)), study="first")
    before = _snapshot(db)
    frame, message = _bad_cases(data, tmp_path)[case]
    with pytest.raises(IngestError) as info:
        ingest_runs(db, frame, study="bad", source="runs.csv")
    assert message in str(info.value), str(info.value)
    assert _same(before, _snapshot(db))


def test_malformed_files_are_rejected(tmp_path: Path) -> None:
    db = MetaDatabase(tmp_path / "user.sqlite")
    before = _snapshot(db)
    garbage = tmp_path / "runs.parquet"
    garbage.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(IngestError, match="not a readable runs file"):
        ingest_runs_file(db, garbage)
    wrong = tmp_path / "runs.json"
    wrong.write_text("{}")
    with pytest.raises(IngestError, match=r"runs files are \.csv, \.tsv or \.parquet"):
        ingest_runs_file(db, wrong)
    empty = tmp_path / "empty.csv"
    empty.write_text("dataset,config\n")
    with pytest.raises(IngestError, match="no runs to ingest"):
        ingest_runs_file(db, empty)
    assert _same(before, _snapshot(db))


def test_changed_file_under_a_known_name_is_a_hash_conflict(tmp_path: Path) -> None:
    data = _data_file(tmp_path / "blobs.csv")
    db = MetaDatabase(tmp_path / "user.sqlite")
    ingest_runs(db, _runs(data), study="v1")
    before = _snapshot(db)
    _data_file(data, seed=7)  # the same file name, other content
    with pytest.raises(IngestError, match="now loads as"):
        ingest_runs(db, _runs(data), study="v2")
    assert _same(before, _snapshot(db))


@settings(max_examples=60, deadline=None)
@given(value=st.one_of(st.floats(allow_nan=True), st.integers(-5, 5), st.text(max_size=3)))
def test_scores_are_accepted_exactly_when_in_range(value: object) -> None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except ValueError:
        number = None
    blank = isinstance(value, str) and value.strip() == ""
    ok = blank or (number is not None and (np.isnan(number) or -1 <= number <= 1))
    if ok:
        cleaned = validate_run({"ari": value}, "row 1")
        assert cleaned["ari"] is None or -1 <= cleaned["ari"] <= 1
    else:
        with pytest.raises(IngestError, match="row 1: ari="):
            validate_run({"ari": value}, "row 1")


def test_sigkill_during_an_ingest_leaves_the_database_as_before(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'user.sqlite'}"
    db = MetaDatabase(url)
    ingest_runs(db, _runs(_data_file(tmp_path / "first.csv", seed=1)), study="first")
    before = _snapshot(db)
    runs_file = tmp_path / "runs.csv"
    _runs(_data_file(tmp_path / "blobs.csv"), range(50)).to_csv(runs_file, index=False)
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "_ingest_kill_worker.py"), url, str(runs_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("WROTE 151"), line  # every run written, not yet committed
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    after = MetaDatabase(url)
    assert _same(before, _snapshot(after))
    assert after.check() == []
    assert ingest_runs_file(after, runs_file).runs_new == 151  # and it can be redone


def _concurrent(url: str, tmp_path: Path) -> None:
    data = _data_file(tmp_path / "blobs.csv")
    files = []
    for i, seeds in enumerate((range(30), range(15, 45))):  # seeds 15..29 in both
        path = tmp_path / f"runs{i}.csv"
        _runs(data, seeds).to_csv(path, index=False)
        files.append(path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "metarec", "ingest", str(f), "--db", url, "--study", "same"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    db = MetaDatabase(url)
    frame = db.runs_frame()
    assert len(frame) == 45 * 3 + 1  # every (config, seed) once; the failed dbscan run once
    assert not frame.duplicated(["content_hash", "config_hash", "seed"]).any()
    assert db.count("datasets") == 1 and db.check() == []
    # what each said it added adds up to what is stored (not "1 new" twice)
    import re

    said = [re.search(r"datasets: (\d+) new.*?runs: (\d+) new", o, re.S) for o, _ in outs]
    assert all(said), outs
    assert sum(int(m.group(1)) for m in said if m) == 1
    assert sum(int(m.group(2)) for m in said if m) == len(frame)
    # an ingest that adds nothing says so and leaves no study row
    studies = db.count("studies")
    again = subprocess.run(
        [sys.executable, "-m", "metarec", "ingest", str(files[0]), "--db", url, "--study", "rerun"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert "datasets: 0 new" in again.stdout and "runs: 0 new" in again.stdout
    assert db.count("studies") == studies


def test_two_concurrent_ingests_store_each_run_once_sqlite(tmp_path: Path) -> None:
    _concurrent(f"sqlite:///{tmp_path / 'shared.sqlite'}", tmp_path)


def test_two_concurrent_ingests_store_each_run_once_postgresql(
    postgres_url: str, tmp_path: Path
) -> None:
    import psycopg

    base, _, _ = postgres_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres") as conn:
        conn.autocommit = True
        conn.execute("DROP DATABASE IF EXISTS ingest_test")
        conn.execute("CREATE DATABASE ingest_test")
    _concurrent(f"{base}/ingest_test", tmp_path)


def test_tune_ingest_recommend_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tuned study, ingested, answers the next recommendation for a near-duplicate."""
    monkeypatch.setenv("METAREC_HOME", str(tmp_path / "home"))
    rng = np.random.default_rng(3)
    centres = rng.normal(scale=8.0, size=(4, 5))
    x = np.vstack([c + rng.normal(size=(50, 5)) for c in centres])
    labels = np.repeat(np.arange(4), 50)
    frame = pd.DataFrame(x, columns=list("abcde")).assign(cls=labels)
    frame.to_csv(tmp_path / "mine.csv", index=False)
    copy = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    copy[list("abcde")] *= 10.0  # the same data, rows shuffled and rescaled
    copy.to_csv(tmp_path / "copy.csv", index=False)
    storage = f"journal:{tmp_path / 'study.log'}"
    argv = ["tune", str(tmp_path / "mine.csv"), "--target", "cls", "--trials", "12", "--cold"]
    argv += ["--objective", "silhouette", "--storage", storage, "--study", "mine", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "tuned")]) == 0
    assert main(["ingest", "--optuna-study", "mine", "--storage", storage]) == 0
    out = capsys.readouterr().out
    assert "runs: 1" in out and "into sqlite:///" in out
    import optuna

    study = optuna.load_study(
        study_name="mine",
        storage=optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(tmp_path / "study.log"))
        ),
    )
    best = max(
        (t for t in study.trials if "ari" in t.user_attrs), key=lambda t: t.user_attrs["ari"]
    )
    best_hash = config_hash(best.user_attrs["config"])
    with warnings.catch_warnings():  # shown even if an earlier test raised the same one
        warnings.simplefilter("always", StaleModelWarning)
        assert main(["recommend", str(tmp_path / "copy.csv"), "--target", "cls", "--json"]) == 0
    captured = capsys.readouterr()
    assert "metarec: warning: models in" in captured.err and "metarec train" in captured.err
    payload = json.loads(captured.out)
    assert payload["neighbours"][0]["dataset"] == "mine"
    assert best_hash in [it["config_hash"] for it in payload["recommendations"]]


def test_models_record_what_they_were_trained_on(kb_dir: Path, tmp_path: Path) -> None:
    from metarec.api import get_recommender, train

    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    db = MetaDatabase(url)
    import_tables(db, kb_dir)
    models = tmp_path / "models"
    rec = train(url, models, hyper=False)
    recorded = db.artifacts()
    assert list(recorded["name"]) == ["recommender", "surrogate"]
    assert all(k == rec.knowledge_ for k in recorded["knowledge"])
    assert (models / "surrogate.txt").is_file() and not (models / "hyperparams.json").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error", StaleModelWarning)
        assert not get_recommender(url, models).stale_
    data = _data_file(tmp_path / "blobs.csv")
    ingest_runs(db, _runs(data), study="more")
    from metarec.api import _cached

    _cached.cache_clear()
    with pytest.warns(StaleModelWarning, match="run `metarec train`"):
        stale = get_recommender(url, models)
    assert stale.stale_ and stale.knowledge_["datasets"] == rec.knowledge_["datasets"] + 1
    train(url, models, hyper=False)
    assert len(db.artifacts()) == 4  # recommender and surrogate, trained twice
    with warnings.catch_warnings():
        warnings.simplefilter("error", StaleModelWarning)
        assert not get_recommender(url, models).stale_


def test_user_database_is_layered_over_the_shipped_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METAREC_HOME", str(tmp_path / "home"))
    from metarec.db.shipped import shipped_path
    from metarec.db.store import default_url
    from metarec.knowledge import KnowledgeBase

    shipped_files = {p: p.stat().st_mtime_ns for p in shipped_path().rglob("*") if p.is_file()}
    shipped = KnowledgeBase.shipped()
    assert KnowledgeBase.user() is None
    db = MetaDatabase(default_url())
    report = ingest_runs(db, _runs(_data_file(tmp_path / "blobs.csv")), study="mine")
    layered = KnowledgeBase.default()
    assert len(layered.dataset_hashes) == len(shipped.dataset_hashes) + report.datasets_new
    assert len(layered.runs) == len(shipped.runs) + report.runs_new
    assert {p: p.stat().st_mtime_ns for p in shipped_path().rglob("*") if p.is_file()} == (
        shipped_files
    )


def test_openml_ingest_offline_from_the_cache(openml_cache: Path, tmp_path: Path) -> None:
    from metarec.db.builder import BuildSettings
    from metarec.db.ingest import ingest_openml

    db = MetaDatabase(tmp_path / "user.sqlite")
    summary, problems = ingest_openml(
        db,
        [2],
        tag="study_14",
        with_runs=True,
        settings=BuildSettings(configs_per_algorithm=1, subsample=150, time_limit=30),
        workers=1,
        progress=False,
    )
    assert summary.datasets == 1 and summary.runs_new == summary.runs_planned >= 12
    assert any("OpenML tag 'study_14': could not list" in p for p in problems)
    assert any("openml:2: could not list OpenML's clustering runs" in p for p in problems)
    stored = db.table("datasets")
    info = json.loads(stored["info"].iloc[0])
    assert stored["source"].iloc[0] == "openml:2"
    assert info["openml_qualities"]["NumberOfInstances"] == 898.0


def test_openml_ingest_says_what_it_could_not_fetch(
    empty_openml_cache: Path, tmp_path: Path
) -> None:
    from metarec.db.ingest import ingest_openml

    db = MetaDatabase(tmp_path / "user.sqlite")
    with pytest.raises(IngestError, match="could not fetch it from"):
        ingest_openml(db, suite="OpenML-CC18", progress=False)
    assert db.count("runs") == 0
