"""Shared fixtures: the real benchmark corpora and OpenML cache in ../shared/data."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from metarec.config import find_corpus_root

ROOT = find_corpus_root()

# Tests never read or write the developer's own database and models.
os.environ["METAREC_HOME"] = tempfile.mkdtemp(prefix="metarec-home-")
os.environ.pop("METAREC_DB", None)
OPENML_TEST_SERVER = "https://test.openml.org/api/v1/xml"


def _require_root() -> Path:
    if ROOT is None or not ROOT.is_dir():
        pytest.skip("benchmark corpora (../shared/data) not present")
    return ROOT


@pytest.fixture(scope="session")
def corpus_root() -> Path:
    """The folder holding clustbench/, uci121/ and openml-cache/."""
    return _require_root()


@pytest.fixture
def openml_cache(corpus_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the real openml client at the shipped cache of OpenML's test server."""
    import openml

    cache = corpus_root / "openml-cache"
    if not (cache / "org" / "openml" / "test" / "datasets" / "2").is_dir():
        pytest.skip("OpenML cache fixture not present")
    monkeypatch.setenv("METAREC_OPENML_CACHE", str(cache))
    monkeypatch.setenv("METAREC_OPENML_SERVER", OPENML_TEST_SERVER)
    # No network here: fail fast instead of retrying with back-off.
    monkeypatch.setattr(openml.config, "connection_n_retries", 1)
    return cache


@pytest.fixture
def empty_openml_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty openml cache (no network in CI, so nothing can be fetched)."""
    import openml

    monkeypatch.setenv("METAREC_OPENML_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("METAREC_OPENML_SERVER", OPENML_TEST_SERVER)
    monkeypatch.setattr(openml.config, "connection_n_retries", 1)
    return tmp_path / "cache"


def pytest_report_header(config: pytest.Config) -> str:
    return f"metarec corpus root: {ROOT} (METAREC_DATA={os.environ.get('METAREC_DATA')})"


def _pg_bin(name: str) -> str | None:
    import glob
    import shutil

    found = shutil.which(name)
    if found and "postgresql" in os.path.realpath(found):
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else found


@pytest.fixture(scope="session")
def postgres_url() -> object:
    """A throw-away PostgreSQL server on loopback, started and stopped by the suite.

    Skipped when PostgreSQL's server binaries are missing, unless
    METAREC_REQUIRE_POSTGRES=1 (as in CI), where that is an error.
    """
    import socket
    import subprocess

    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        if os.environ.get("METAREC_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found")
        pytest.skip("PostgreSQL server binaries not installed")
    import shutil
    import tempfile

    # Not under pytest's tmp folder: the postgres user must be able to reach it.
    base = Path(tempfile.mkdtemp(prefix="metarec-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = lambda *cmd: subprocess.run([*as_user, *cmd], check=True, capture_output=True)  # noqa: E731
    run(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(pg_ctl, "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "start")
    try:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE metarec_test")
        yield f"postgresql://postgres@127.0.0.1:{port}/metarec_test"
    finally:
        run(pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


KB_NAMES = [
    "sklearn:iris",
    "uci121:iris",  # a near-duplicate of sklearn:iris
    "sklearn:wine",
    "clustbench:fcps/hepta",
    "clustbench:fcps/lsun",
    "clustbench:fcps/tetra",
    "clustbench:wut/x2",
    "uci121:glass",
]


@pytest.fixture(scope="session")
def kb_dir(tmp_path_factory: pytest.TempPathFactory, corpus_root: Path) -> Path:
    """A small real meta-database: 8 datasets x 24 configurations, exported."""
    from metarec import extract_metafeatures, load_dataset
    from metarec.db import MetaDatabase, export_tables
    from metarec.runner import PreparedData, run_config
    from metarec.space import config_hash, design

    db = MetaDatabase("sqlite://")
    configs = design(2, random_state=0)
    ids = db.add_configurations(configs)
    for name in KB_NAMES:
        ds = load_dataset(name).subsample(300, 0)
        did = db.add_dataset(ds, extract_metafeatures(ds))
        prepared = PreparedData(ds)
        rows = []
        for cfg in configs:
            res = run_config(prepared, cfg, isolate=False)
            rows.append({**res.record(), "dataset_id": did, "config_id": ids[config_hash(cfg)]})
        db.add_runs(rows)
    out = tmp_path_factory.mktemp("kb")
    export_tables(db, out)
    return out
