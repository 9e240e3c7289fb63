"""The meta-database: schema, idempotent writes, integrity check, Parquet exchange, CLI."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from metarec import Dataset, extract_metafeatures
from metarec.cli import main
from metarec.db import DatabaseError, MetaDatabase, export_tables, import_tables
from metarec.space import config_hash, design

ROOT = Path(__file__).resolve().parents[1]


def _fill(db: MetaDatabase, n_datasets: int = 2) -> int:
    configs = design(2, random_state=0)
    ids = db.add_configurations(configs)
    rng = np.random.default_rng(0)
    total = 0
    for i in range(n_datasets):
        ds = Dataset.from_frame(rng.normal(size=(30, 3)), labels=np.arange(30) % 2, name=f"d{i}")
        did = db.add_dataset(ds, extract_metafeatures(ds, groups="general,statistical"))
        rows = [
            {
                "dataset_id": did,
                "config_id": ids[config_hash(c)],
                "seed": 0,
                "status": ["ok", "failed", "timeout"][j % 3],
                "ari": float(rng.uniform(-0.1, 1)) if j % 3 == 0 else None,
                "n_clusters": 3 if j % 3 == 0 else None,
                "error": None if j % 3 == 0 else "boom",
            }
            for j, c in enumerate(configs)
        ]
        total += db.add_runs(rows)
    return total


def test_schema_is_migrated_and_writes_are_idempotent(tmp_path: Path) -> None:
    db = MetaDatabase(tmp_path / "m.sqlite")
    assert db.revision() == "0004"
    n = _fill(db)
    assert n == 2 * 24
    assert _fill(db) == 0  # re-ingesting is a no-op
    stats = db.stats()
    assert stats["datasets"] == 2 and stats["runs"] == 48
    assert stats["runs_by_status"] == {"ok": 16, "failed": 16, "timeout": 16}
    assert set(stats["runs_by_algorithm"]) == {c["algorithm"] for c in design(2)}
    assert db.check() == []
    MetaDatabase(tmp_path / "m.sqlite")  # reopening keeps the schema and data
    assert db.count("runs") == 48


def test_bad_runs_are_rejected_whole(tmp_path: Path) -> None:
    db = MetaDatabase(tmp_path / "m.sqlite")
    _fill(db, 1)
    before = db.count("runs")
    good = {"dataset_id": 1, "config_id": 1, "seed": 99, "status": "ok"}
    with pytest.raises(DatabaseError, match="status"):
        db.add_runs([good, {**good, "seed": 100, "status": "weird"}])
    with pytest.raises(DatabaseError):  # unknown dataset id: foreign key
        db.add_runs([good, {**good, "seed": 101, "dataset_id": 999}])
    assert db.count("runs") == before


def test_check_finds_corruption(tmp_path: Path) -> None:
    db = MetaDatabase(tmp_path / "m.sqlite")
    _fill(db, 1)
    # Corrupt it behind metarec's back (plain sqlite3: foreign keys unenforced).
    with sqlite3.connect(tmp_path / "m.sqlite") as raw:
        raw.execute(
            "INSERT INTO runs (dataset_id, config_id, seed, status) VALUES (42, 1, 7, 'ok')"
        )
        raw.execute("UPDATE runs SET ari = 3 WHERE id = 1")
        raw.execute("UPDATE configurations SET config_hash = 'abc' WHERE id = 2")
    problems = "\n".join(db.check())
    assert "runs without a dataset" in problems
    assert "out of range" in problems
    assert "does not hash to its key" in problems
    assert main(["db", "check", "--db", str(tmp_path / "m.sqlite")]) == 1


def test_parquet_round_trip(tmp_path: Path) -> None:
    src = MetaDatabase(tmp_path / "a.sqlite")
    _fill(src)
    counts = export_tables(src, tmp_path / "exp", manifest={"note": "test"})
    assert counts["runs"] == 48 and counts["metafeatures"] == 2
    manifest = json.loads((tmp_path / "exp" / "manifest.json").read_text())
    assert manifest["note"] == "test" and manifest["counts"]["datasets"] == 2
    dst = MetaDatabase(tmp_path / "b.sqlite")
    assert import_tables(dst, tmp_path / "exp")["runs_new"] == 48
    assert import_tables(dst, tmp_path / "exp")["runs_new"] == 0
    keys = ["content_hash", "config_hash", "seed"]
    a = src.runs_frame().drop(columns="study").sort_values(keys).reset_index(drop=True)
    b = dst.runs_frame().drop(columns="study").sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    mf = pd.read_parquet(tmp_path / "exp" / "metafeatures.parquet")
    assert "general.instances" in mf.columns and (mf["general.instances"] == 30).all()


def test_import_rejects_dangling_runs(tmp_path: Path) -> None:
    src = MetaDatabase(tmp_path / "a.sqlite")
    _fill(src)
    export_tables(src, tmp_path / "exp")
    runs = pd.read_parquet(tmp_path / "exp" / "runs.parquet")
    runs.loc[0, "config_hash"] = "ffffffffffffffff"
    runs.to_parquet(tmp_path / "exp" / "runs.parquet")
    dst = MetaDatabase(tmp_path / "b.sqlite")
    with pytest.raises(DatabaseError, match="configuration"):
        import_tables(dst, tmp_path / "exp")
    assert dst.count("runs") == 0 and dst.count("datasets") == 0


def _edit(exp: Path, table: str, change: Any) -> None:
    frame = pd.read_parquet(exp / f"{table}.parquet")
    frame = change(frame)
    frame.to_parquet(exp / f"{table}.parquet", index=False)


def _set(column: str, value: Any, dtype: Any = object) -> Any:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame[column] = frame[column].astype(dtype)
        frame.loc[0, column] = value
        return frame

    return change


_MF = "general.instances"
_OTHER_BREAKS: dict[str, Any] = {
    "fingerprint not JSON": lambda e: _edit(e, "datasets", _set("fingerprint", "[1, 2")),
    "info {bad": lambda e: _edit(e, "datasets", _set("info", "{bad")),
    "info a list": lambda e: _edit(e, "datasets", _set("info", "[1]")),
    "huge row count": lambda e: _edit(e, "datasets", _set("n_rows", 2**62, "int64")),
    "long name": lambda e: _edit(e, "datasets", _set("name", "n" * 10_000)),
    "text meta-features": lambda e: _edit(e, "metafeatures", lambda f: f.assign(**{_MF: "high"})),
    "true meta-features": lambda e: _edit(e, "metafeatures", lambda f: f.assign(**{_MF: True})),
    "infinite meta-feature": lambda e: _edit(e, "metafeatures", _set(_MF, np.inf, float)),
    "no config column": lambda e: _edit(e, "configurations", lambda f: f.drop(columns="config")),
    "an id column": lambda e: _edit(e, "configurations", lambda f: f.assign(id=range(len(f)))),
    "an extra runs column": lambda e: _edit(e, "runs", lambda f: f.assign(colour="red")),
    "a truth-valued ari": lambda e: _edit(e, "runs", lambda f: f.assign(ari=True)),
    "nested values": lambda e: _edit(e, "studies", lambda f: f.assign(kind=[["a", "b"]] * len(f))),
    "no manifest": lambda e: (e / "manifest.json").unlink(),
    "manifest not JSON": lambda e: (e / "manifest.json").write_text("{not json"),
    "manifest a list": lambda e: (e / "manifest.json").write_text("[1, 2]"),
}


def _break_datasets(frame: pd.DataFrame, case: str) -> pd.DataFrame:
    frame = frame.copy()
    if case == "fake content hash":
        frame.loc[0, "content_hash"] = "not-a-hash"
    elif case == "negative row count":
        frame.loc[0, "n_rows"] = -5
    elif case == "fractional column count":
        frame["n_cols"] = frame["n_cols"].astype(float)
        frame.loc[0, "n_cols"] = 2.5
    return frame


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("fake content hash", "content_hash 'not-a-hash' is not 32 hex digits"),
        ("negative row count", "n_rows=-5 must be a whole number from 1"),
        ("fractional column count", "n_cols=2.5 must be a whole number"),
        ("orphaned meta-features", "metafeatures.parquet: 1 row(s) for datasets not in"),
        ("broken provenance JSON", "studies.parquet row 1: provenance is not valid JSON"),
        ("fingerprint not JSON", "datasets.parquet row 1: fingerprint is not valid JSON"),
        ("info {bad", "datasets.parquet row 1: info is not valid JSON"),
        ("info a list", "datasets.parquet row 1: info is not a JSON dict"),
        ("huge row count", "n_rows=4611686018427387904 must be a whole number"),
        ("long name", "name is 10000 characters"),
        ("text meta-features", "general.instances' holds str values, not numbers"),
        ("true meta-features", "not numbers"),
        ("infinite meta-feature", "is infinite"),
        ("no config column", "configurations.parquet has no column(s) config"),
        ("an id column", "configurations.parquet has unknown column(s) id"),
        ("an extra runs column", "runs.parquet has unknown column(s) colour"),
        ("a truth-valued ari", "ari=True is a truth value"),
        ("nested values", "holds nested values"),
        ("no manifest", "no manifest.json"),
        ("manifest not JSON", "not a readable JSON manifest"),
        ("manifest a list", "not a JSON object"),
    ],
)
def test_import_rejects_a_broken_exported_folder(tmp_path: Path, case: str, message: str) -> None:
    src = MetaDatabase(tmp_path / "a.sqlite")
    _fill(src)
    src.add_study("s", "build", {"command": "x"})
    exp = tmp_path / "exp"
    export_tables(src, exp)
    if case == "orphaned meta-features":
        mf = pd.read_parquet(exp / "metafeatures.parquet")
        mf.loc[0, "content_hash"] = "f" * 32
        mf.to_parquet(exp / "metafeatures.parquet")
    elif case == "broken provenance JSON":
        st = pd.read_parquet(exp / "studies.parquet")
        st.loc[0, "provenance"] = '{"command": '
        st.to_parquet(exp / "studies.parquet")
    elif case in _OTHER_BREAKS:
        _OTHER_BREAKS[case](exp)
    else:
        ds = pd.read_parquet(exp / "datasets.parquet")
        _break_datasets(ds, case).to_parquet(exp / "datasets.parquet")
    dst = MetaDatabase(tmp_path / "b.sqlite")
    with pytest.raises(DatabaseError) as err:
        import_tables(dst, exp)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert dst.count("datasets") == 0 and dst.count("runs") == 0 and dst.count("studies") == 0


def test_cli_db_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = str(tmp_path / "c.sqlite")
    _fill(MetaDatabase(url))
    assert main(["db", "stats", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "runs           : 48 (ok 16, failed 16, timeout 16)" in out
    assert main(["db", "stats", "--db", url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["datasets"] == 2
    assert main(["db", "check", "--db", url]) == 0
    assert main(["db", "export", str(tmp_path / "e"), "--db", url]) == 0
    assert main(["db", "import", str(tmp_path / "e"), "--db", str(tmp_path / "d.sqlite")]) == 0
    assert "48 new runs" in capsys.readouterr().out
    assert main(["db", "import", str(tmp_path / "nowhere"), "--db", url]) == 2
    assert "missing" in capsys.readouterr().err


def _concurrent_ingest(url: str) -> None:
    procs = [
        subprocess.Popen([sys.executable, str(ROOT / "tests" / "_ingest_worker.py"), url, str(i)])
        for i in range(4)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0, 0]
    db = MetaDatabase(url)
    # Workers cover seeds [200 i, 200 i + 400): the union is seeds 0..999, each once.
    assert db.count("runs") == 1000
    assert db.count("datasets") == 1 and db.count("configurations") == 5
    assert db.check() == []


def test_four_processes_ingest_into_sqlite(tmp_path: Path) -> None:
    _concurrent_ingest(f"sqlite:///{tmp_path / 'shared.sqlite'}")


def test_four_processes_ingest_into_postgresql(postgres_url: str) -> None:
    _concurrent_ingest(postgres_url)
    db = MetaDatabase(postgres_url)
    assert db.revision() == "0004" and db.stats()["runs_by_status"]["ok"] == 1000


def test_a_database_of_revision_0002_gains_the_size_columns(tmp_path: Path) -> None:
    from importlib import resources

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, inspect

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(resources.files("metarec.db") / "migrations"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    assert "size_entropy" not in {c["name"] for c in inspect(engine).get_columns("runs")}
    db = MetaDatabase(url)  # opening migrates to the newest revision
    assert db.revision() == "0004"
    columns = {c["name"] for c in inspect(db.engine).get_columns("runs")}
    assert {"size_entropy", "largest_fraction", "smallest_fraction"} <= columns
    assert _fill(db) == 2 * 24


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("datasets", "fingerprint", "not json"),
        ("datasets", "info", "{bad"),
        ("metafeatures", "vector", '{"general.instances": "thirty"}'),
        ("studies", "provenance", "[1, 2"),
    ],
)
def test_db_check_finds_rows_a_later_read_would_choke_on_and_reads_name_the_layer(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    table: str,
    column: str,
    value: str,
) -> None:
    from sqlalchemy import text

    url = str(tmp_path / "mine.sqlite")
    db = MetaDatabase(url)
    _fill(db)
    db.add_study("s", "build", {"command": "x"})
    with db.engine.begin() as conn:  # as an older metarec, or a hand edit, could leave it
        conn.execute(text(f"UPDATE {table} SET {column} = :v"), {"v": value})
    assert main(["db", "check", "--db", url]) != 0
    out = capsys.readouterr()
    assert "unreadable" in out.out + out.err or "not JSON objects" in out.out + out.err
    monkeypatch.setenv("METAREC_DB", url)
    for argv in (["recommend", "sklearn:wine", "--budget", "0", "--quiet"], ["db", "stats"]):
        status = main(argv)
        err = capsys.readouterr().err
        assert status in ((0, 2) if column in ("info", "provenance") else (2,))
        if status:  # never a traceback: one line naming the layer and the way out
            assert err.count("\n") == 1
            assert "your meta-database" in err and "db check" in err


def test_export_replaces_links_in_its_folder_and_never_writes_through_them(
    tmp_path: Path,
) -> None:
    db = MetaDatabase(tmp_path / "a.sqlite")
    _fill(db)
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "export"
    out.mkdir()
    for name in ("manifest.json", "runs.parquet", "studies.parquet"):
        (outside / name).write_text("precious")
        (out / name).symlink_to(outside / name)
    export_tables(db, out)
    for name in ("manifest.json", "runs.parquet", "studies.parquet"):
        assert (outside / name).read_text() == "precious"
        assert (out / name).is_file() and not (out / name).is_symlink()
    assert json.loads((out / "manifest.json").read_text())["counts"]["datasets"] == 2
    assert not list(out.glob(".*.tmp"))
