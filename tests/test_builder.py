"""The builder: Dask-parallel, resumable after SIGKILL, no lost/partial/duplicate runs."""

from __future__ import annotations

import os
import shutil
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


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dask(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["dask", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _wait_for_workers(address: str, n: int) -> None:
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(n, timeout=60)


def test_build_on_a_dask_cluster_started_with_the_dask_command(tmp_path: Path) -> None:
    """Scheduler and workers started as users start them, as separate processes."""
    if shutil.which("dask") is None:
        pytest.skip("the dask command is not installed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _dask(
        "scheduler",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--dashboard-address",
        "127.0.0.1:0",
    )
    workers: list[subprocess.Popen[bytes]] = []
    try:
        # the standard way: a worker under a nanny, which makes it daemonic
        workers.append(_dask("worker", address, "--nthreads", "1", "--host", "127.0.0.1"))
        _wait_for_workers(address, 1)
        url = f"sqlite:///{tmp_path / 'remote.sqlite'}"
        args = [
            "-m",
            "metarec.cli",
            "db",
            "build",
            "--db",
            url,
            "--add",
            "sklearn:iris",
            "--configs-per-algorithm",
            "1",
            "--scheduler",
            address,
            "--quiet",
        ]
        refused = subprocess.run(
            [sys.executable, *args], capture_output=True, text=True, timeout=120
        )
        assert refused.returncode != 0
        assert "--no-nanny" in refused.stderr and "Traceback" not in refused.stderr
        db = MetaDatabase(url)
        assert db.count("runs") == 0 and db.count("studies") == 0 and db.count("datasets") == 0
        # as the message says: a worker without a nanny runs every run, each once
        os.killpg(workers[0].pid, signal.SIGTERM)
        workers[0].wait(timeout=60)
        workers.append(
            _dask("worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-nanny")
        )
        _wait_for_workers(address, 1)
        done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert db.count("runs") == len(ALGORITHMS) and db.check() == []
        again = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300)
        assert again.returncode == 0 and db.count("runs") == len(ALGORITHMS)
    finally:
        for proc in [*workers, scheduler]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
