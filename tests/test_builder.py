"""The builder: Dask-parallel, resumable after SIGKILL, no lost/partial/duplicate runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from metarec.db import MetaDatabase
from metarec.space import ALGORITHMS

NAMES = ["sklearn:iris", "sklearn:wine", "clustbench:fcps/hepta", "clustbench:fcps/tetra"]
PER_ALGORITHM = 2


def _build_cmd(url: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "metarec.cli",
        "db",
        "build",
        "--db",
        url,
        "--add",
        *NAMES,
        "--configs-per-algorithm",
        str(PER_ALGORITHM),
        "--workers",
        "1",
        "--quiet",
    ]


def test_sigkill_mid_build_then_resume(tmp_path: Path, corpus_root: Path) -> None:
    url = f"sqlite:///{tmp_path / 'build.sqlite'}"
    proc = subprocess.Popen(
        _build_cmd(url), start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 240
    db = None
    try:
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if db is None and (tmp_path / "build.sqlite").exists():
                db = MetaDatabase(url)
            if db is not None and db.count("runs") >= 12:
                break
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        else:
            pytest.fail("the build stored no runs in time")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the client and its Dask workers
        proc.wait()
    assert db is not None
    partial = db.count("runs")
    expected = len(NAMES) * PER_ALGORITHM * len(ALGORITHMS)
    assert 0 < partial < expected
    assert db.check() == []  # no orphan, duplicate or half-written run

    done = subprocess.run(_build_cmd(url), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"already stored {partial}" in done.stdout
    assert db.count("runs") == expected
    assert db.count("datasets") == len(NAMES)
    assert db.check() == []
    stats = db.stats()
    assert sum(stats["runs_by_status"].values()) == expected
    assert all(
        sum(v.values()) == len(NAMES) * PER_ALGORITHM for v in stats["runs_by_algorithm"].values()
    )


def test_build_on_an_existing_dask_cluster(tmp_path: Path, corpus_root: Path) -> None:
    import dask
    from distributed import LocalCluster

    from metarec.db.builder import BuildSettings, build

    dask.config.set({"distributed.worker.daemon": False})  # runs start processes
    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0") as cluster:
        db = MetaDatabase(tmp_path / "remote.sqlite")
        summary = build(
            db,
            ["sklearn:iris"],
            BuildSettings(configs_per_algorithm=1),
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    assert summary.runs_new == len(ALGORITHMS) == db.count("runs")
    assert summary.by_status.get("ok", 0) >= len(ALGORITHMS) - 1
