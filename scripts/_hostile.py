"""Hostile and careless inputs (issue 39): at least 150 probes across the CLI, the
Python API and ``db import``, against SQLite and (when a server is given or can be
started) PostgreSQL.

Each probe expects one of:

* ``refuse``: a non-zero exit (or a typed metarec error from the API) with one line
  that starts with ``metarec`` and no traceback, and nothing written;
* ``note``: success, with the given words in the output (what the reader split,
  recast or left out);

and is classified ``clean``, ``traceback`` (an untyped error, a traceback),
``silent`` (accepted without the refusal or note it deserves) or ``secret`` (the
password appeared in any output or file written).

Used by ``scripts/reliability.py --only hostile``.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PY = sys.executable
#: The password every probe's URL carries: it must appear nowhere.
SECRET = "se/cr3t:pw"
Probe = tuple[str, str, str, Any, str]  # group, input, expect, make, words


def _cli(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "metarec.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


@contextmanager
def postgres_server() -> Iterator[str | None]:
    """A throw-away PostgreSQL server on loopback (None when its binaries are missing)."""
    import glob

    def binary(name: str) -> str | None:
        found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
        return found[-1] if found else shutil.which(name)

    initdb, pg_ctl = binary("initdb"), binary("pg_ctl")
    if not initdb or not pg_ctl:
        yield None
        return
    base = Path(tempfile.mkdtemp(prefix="metarec-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, capture_output=True)

    run(initdb, "-D", str(base / "data"), "-A", "trust", "-U", "postgres", "--no-sync")
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(pg_ctl, "-D", str(base / "data"), "-o", opts, "-l", str(base / "log"), "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        run(pg_ctl, "-D", str(base / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


def _create_db(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"


# ------------------------------------------------------------------ files
def _files(d: Path) -> dict[str, tuple[Path, str, str]]:
    """Hostile data files: name -> (path, expect, words)."""
    rng = np.random.default_rng(0)
    d.mkdir(parents=True, exist_ok=True)
    out: dict[str, tuple[Path, str, str]] = {}

    def put(name: str, write: Callable[[Path], None], expect: str, words: str) -> None:
        path = d / name
        write(path)
        out[name] = (path, expect, words)

    words = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "then"]
    put(
        "sentences.csv",
        lambda p: p.write_text(
            "note\n" + "\n".join(" ".join(rng.choice(words, 12)) for _ in range(300)) + "\n"
        ),
        "refuse",
        "none is a feature",
    )
    n = 60
    put(
        "stamps.parquet",
        lambda p: pd.DataFrame(
            {"when": pd.date_range("2020", periods=n, freq="h"), "x": rng.normal(size=n)}
            | {"y": rng.normal(size=n)}
        ).to_parquet(p),
        "note",
        "date column",
    )
    put(
        "nested.parquet",
        lambda p: pd.DataFrame({"a": [[1, 2], [3]] * 30, "x": rng.normal(size=n)}).to_parquet(p),
        "note",
        "nested column",
    )
    put(
        "only_nested.parquet",
        lambda p: pd.DataFrame({"a": [[1, 2], [3]] * 30, "b": [{"k": 1}] * 60}).to_parquet(p),
        "refuse",
        "none is a feature",
    )
    arff_date = (
        "@relation plant\n@attribute day date 'yyyy-MM-dd'\n@attribute x numeric\n"
        "@attribute y numeric\n@data\n"
        + "\n".join(f"2020-01-{i % 28 + 1:02d},{i % 7}.5,{i % 5}.25" for i in range(n))
        + "\n"
    )
    put("dated.arff", lambda p: p.write_text(arff_date), "note", "date column")
    codes = ",".join(str(v) for v in range(300))
    arff_nominal = (
        f"@relation codes\n@attribute code {{{codes}}}\n@attribute x numeric\n@data\n"
        + "\n".join(f"{(i * 37) % 300},{i % 9}.5" for i in range(n))
        + "\n"
    )
    put("numbers_as_nominal.arff", lambda p: p.write_text(arff_nominal), "note", "as numbers")
    put("columns.json", lambda p: p.write_text('{"a": [1, 2], "b": [3, 4]}'), "refuse", "JSON")
    put("numbers.json", lambda p: p.write_text("[1, 2, 3]"), "refuse", "JSON")
    put("mixed.jsonl", lambda p: p.write_text('{"a": 1}\n[2]\n'), "refuse", "JSON")
    put("broken.json", lambda p: p.write_text('[{"a": 1}, {"a": '), "refuse", "JSON")
    people = "name,city,comment\n" + "\n".join(
        f"{a},{c},the {w} story of the long day we went out"
        for a, c, w in zip("ABCDEF", ["P", "L", "P", "N", "L", "N"], "uvwxyz", strict=True)
    )
    put("people.csv", lambda p: p.write_text(people + "\n"), "note", "only 6 rows")
    put("empty.csv", lambda p: p.write_text(""), "refuse", "empty")
    put("header_only.csv", lambda p: p.write_text("a,b,c\n"), "refuse", "")
    put("nul_bytes.csv", lambda p: p.write_bytes(b"a,b\n1,\x002\n"), "refuse", "NUL")
    put("garbage.parquet", lambda p: p.write_bytes(b"not parquet at all"), "refuse", "")
    table = "a,b\n" + "".join(f"{v:.6f},{w:.6f}\n" for v, w in rng.normal(size=(400, 2)))
    packed = gzip.compress(table.encode())
    put("truncated.csv.gz", lambda p: p.write_bytes(packed[: len(packed) // 2]), "refuse", "")
    put("no_trailer.csv.gz", lambda p: p.write_bytes(packed[:-8]), "refuse", "")
    put("not_gzip.csv.gz", lambda p: p.write_bytes(b"a,b\n1,2\n"), "refuse", "")
    put("one_row.csv", lambda p: p.write_text("a,b\n1,2\n"), "refuse", "")
    put("all_missing.csv", lambda p: p.write_text("a,b\n?,?\n?,?\n?,?\n"), "refuse", "")
    put("constant.csv", lambda p: p.write_text("a,b\n1,1\n1,1\n1,1\n1,1\n"), "refuse", "")
    put("infinite.csv", lambda p: p.write_text("a,b\n1,2\ninf,3\n4,5\n6,7\n"), "refuse", "infinite")
    put("unknown.xyz", lambda p: p.write_text("a,b\n1,2\n"), "refuse", "unknown file type")
    put(
        "mostly_text.csv",
        lambda p: p.write_text("a\n1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n"),
        "refuse",
        "",
    )
    put(
        "continuous_target.csv",
        lambda p: pd.DataFrame(rng.normal(size=(150, 3)), columns=["a", "b", "price"]).to_csv(
            p, index=False
        ),
        "refuse",
        "not classes",
    )
    (d / "a_folder").mkdir(exist_ok=True)
    out["a_folder"] = (d / "a_folder", "refuse", "directory")
    out["missing.csv"] = (d / "missing.csv", "refuse", "no such file")
    return out


def _gzip_bomb(path: Path) -> None:
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b"a,b\n")
        chunk = b"1,2\n" * (1 << 18)
        for _ in range(1100):  # ~1.15 GB unpacked, ~1.2 MB packed
            fh.write(chunk)


# ------------------------------------------------------------------ probes
def cli_probes(d: Path, urls: dict[str, str], seed: Path) -> list[Probe]:
    """The CLI's probes; ``urls``: backend -> a database URL with content; ``seed``: an
    exported folder (the broken copies of ``db import`` start from it)."""
    probes: list[Probe] = []
    files = _files(d / "files")
    for name, (path, expect, words) in files.items():
        args = ["recommend", str(path), "--budget", "0"]
        if name == "continuous_target.csv":
            args += ["--target", "price"]
        probes.append(("file", name, expect, args, words))
    bomb = d / "files" / "bomb.csv.gz"
    _gzip_bomb(bomb)
    probes.append(("file", "gzip bomb (1.1 GB)", "refuse", ["show", str(bomb)], "expands"))

    bad_flags = {
        "recommend sklearn:iris": {
            "--top": ["0", "-1", "2.5", "a"],
            "--budget": ["-1", "inf", "nan", "a"],
        },
        "tune sklearn:iris": {
            "--trials": ["-5", "0", "a"],
            "--seed": ["-1", str(2**40), "x"],
            "--time-limit": ["-1", "0", "nan"],
            "--timeout": ["-1", "inf"],
            "--top": ["0"],
            "--budget": ["-1"],
            "--objective": ["bogus"],
        },
        "evaluate": {"--folds": ["-2", "a"], "--workers": ["0"]},
        "ingest": {"--openml": ["-3", "a"], "--subsample": ["0"], "--workers": ["0"]},
        "db build": {
            "--configs-per-algorithm": ["0"],
            "--subsample": ["0"],
            "--time-limit": ["-1"],
            "--memory-limit": ["0"],
            "--seed": ["-1"],
            "--workers": ["0"],
        },
    }
    for command, flags in bad_flags.items():
        for flag, values in flags.items():
            for value in values:
                args = [*command.split(), flag, value]
                probes.append(("argument", f"{command} {flag} {value}", "refuse", args, "--help"))
    for args in (["recommend"], ["nonsense"], ["db"], ["tune"], ["recommend", "a", "--bogus"]):
        probes.append(("argument", " ".join(args), "refuse", args, ""))

    closed = f"postgresql://ann:{SECRET}@127.0.0.1:1/meta"
    table = d / "files" / "people.csv"
    read_only = {
        "db stats": ["db", "stats"],
        "db stats --json": ["db", "stats", "--json"],
        "db check": ["db", "check"],
        "db export": ["db", "export", str(d / "export-x")],
        "recommend --db": ["recommend", "sklearn:iris", "--budget", "0"],
        "train --db": ["train", "--out", str(d / "models-x")],
    }
    dbs = {
        "a closed port (password with /)": closed,
        "a CSV file": str(table),
        "a missing SQLite file": str(d / "nope.sqlite"),
        "an unknown scheme": "nosuchdb://x/y",
        "MySQL without its driver": f"mysql://ann:{SECRET}@127.0.0.1:1/meta",
    }
    if "postgresql" in urls:
        dbs["an empty PostgreSQL database"] = urls["postgresql-empty"]
    for cmd, args in read_only.items():
        for what, url in dbs.items():
            probes.append(("database", f"{cmd} on {what}", "refuse", [*args, "--db", url], ""))
    for what, storage in {
        "MySQL without its driver": f"mysql://ann:{SECRET}@h/optuna",
        "a journal in a missing folder": f"journal:{d}/no/such/j.log",
        "a journal that is a folder": f"journal:{d}",
        "not a URL": "not-a-url",
    }.items():
        args = ["tune", "sklearn:iris", "--trials", "2", "--budget", "0", "--storage", storage]
        probes.append(("storage", what, "refuse", [*args, "--quiet"], ""))
    missing = str(d / "no" / "dir" / "x.sqlite")
    runs = d / "runs.csv"
    runs.write_text("dataset,config,ari\n")
    probes += [
        (
            "path",
            "ingest --db in a missing folder",
            "refuse",
            ["ingest", str(runs), "--db", missing],
            "no folder",
        ),
        (
            "path",
            "tune --ingest in a missing folder",
            "refuse",
            ["tune", "sklearn:iris", "--trials", "2", "--ingest", missing, "--quiet"],
            "no folder",
        ),
        (
            "path",
            "--models /nonexistent",
            "refuse",
            ["recommend", "sklearn:iris", "--models", "/nonexistent"],
            "",
        ),
    ]
    probes += _models_probes(d)
    probes += _corpus_probes(d)
    probes += _written_probes(d, urls, files)
    for backend, url in urls.items():
        if backend.endswith("-empty"):
            continue
        probes += _import_probes(d / f"import-{backend}", url, backend, seed)
    return probes


#: Checks after a probe ran (probe name -> whether what it wrote is right).
AFTER: dict[str, Callable[[], bool]] = {}


def _written_probes(d: Path, urls: dict[str, str], files: dict[str, Any]) -> list[Probe]:
    """Commands that succeed and write: a password with ``/`` and ``:`` on a working
    PostgreSQL server must be in nothing they print or write; an export must replace
    links in its folder, not write through them; a build with a bad file beside a good
    one reports the bad one like any command (status 2, stderr) and keeps the good."""
    probes: list[Probe] = []
    if "postgresql" in urls:
        server = urls["postgresql"].rsplit("/", 1)[0]
        secret_url = _create_db(server, "hostile_secret").replace(
            "postgres@", f"postgres:{SECRET}@"
        )
        storage = _create_db(server, "hostile_optuna").replace("postgres@", f"postgres:{SECRET}@")
        seed = d.parent / "seed-export"
        probes += [
            (
                "secret",
                "ingest with a password URL",
                "note",
                ["ingest", str(seed), "--db", secret_url],
                "",
            ),
            (
                "secret",
                "tune --storage and --ingest with password URLs",
                "note",
                [
                    "tune",
                    "sklearn:iris",
                    "--trials",
                    "2",
                    "--budget",
                    "0",
                    "--quiet",
                    "--storage",
                    storage,
                    "--ingest",
                    secret_url,
                    "--out",
                    str(d / "tuned-secret"),
                ],
                "",
            ),
            ("secret", "db stats of it", "note", ["db", "stats", "--db", secret_url], ""),
            ("secret", "db check of it", "note", ["db", "check", "--db", secret_url], ""),
            (
                "secret",
                "db export of it (manifest, studies)",
                "note",
                ["db", "export", str(d / "export-x"), "--db", secret_url],
                "",
            ),
        ]
    links, outside = d / "export-links", d / "precious"
    links.mkdir()
    outside.mkdir()
    for name in ("manifest.json", "runs.parquet", "datasets.parquet"):
        (outside / name).write_text("precious")
        (links / name).symlink_to(outside / name)
    AFTER["db export into a folder of links"] = lambda: all(
        (outside / n).read_text() == "precious" and not (links / n).is_symlink()
        for n in ("manifest.json", "runs.parquet", "datasets.parquet")
    )
    probes.append(
        (
            "path",
            "db export into a folder of links",
            "note",
            ["db", "export", str(links), "--db", urls["sqlite"]],
            "",
        )
    )
    good = d / "good.csv"
    pd.DataFrame(np.random.default_rng(1).normal(size=(60, 3)), columns=list("abc")).to_csv(
        good, index=False
    )
    build = ["db", "build", "--configs-per-algorithm", "1", "--workers", "1", "--quiet"]
    probes.append(
        (
            "path",
            "db build with a one-row file beside a good one",
            "refuse",
            [
                *build,
                "--db",
                str(d / "built.sqlite"),
                "--add",
                str(good),
                str(files["one_row.csv"][0]),
            ],
            "could not be loaded",
        )
    )
    return probes


def _models_probes(d: Path) -> list[Probe]:
    from sklearn.datasets import make_blobs

    from metarec.api import default_models_dir

    data = d / "blobs.csv"
    pd.DataFrame(make_blobs(90, centers=3, random_state=1)[0]).to_csv(data, index=False)
    probes: list[Probe] = []
    for name, content in [
        ("ranker.txt", b"garbage"),
        ("surrogate.txt", b"garbage"),
        ("recommender.json", b"{not json"),
        ("calibration.json", b"[1, 2"),
        ("costs.json", b"garbage"),
        ("hyperparams.json", b"garbage"),
        ("hyperparams.layers.npz", b"garbage"),
        ("hyperparams.layers.npz", b"object array"),
        ("hyperparams.0.pt", b"garbage"),
    ]:
        models = d / f"models-{len(probes)}"
        shutil.copytree(default_models_dir(), models)
        if content == b"object array":
            np.savez(models / name, a=np.array([object(), 1], dtype=object))
        else:
            (models / name).write_bytes(content)
        if name.endswith(".pt"):
            (models / "hyperparams.layers.npz").unlink()
        args = ["recommend", str(data), "--budget", "0", "--models", str(models)]
        probes.append(("models", f"{name}: {content.decode()}", "refuse", args, "models"))
    return probes


def _corpus_probes(d: Path) -> list[Probe]:
    """Symlinked files inside real corpus folders, pointing outside."""
    root, outside = d / "corpora", d / "outside"
    outside.mkdir(parents=True)
    (outside / "secret.gz").write_bytes(gzip.compress(b"1\n2\n1\n"))
    (outside / "secret.txt").write_text("1\n2\n1\n")
    probes: list[Probe] = []
    for i, (name, link) in enumerate(
        [
            ("clustbench:ok/b", "clustbench/ok/b.labels0.gz"),
            ("clustbench:ok/b", "clustbench/ok/b.txt"),
            ("realworld:s", "realworld/s.labels0.gz"),
            ("uci121:u", "uci121/u/labels_py.dat"),
            ("uci121:u", "uci121/u/u_py.dat"),
        ]
    ):
        base = root / str(i)
        for sub in ("clustbench/ok", "realworld", "uci121/u"):
            (base / sub).mkdir(parents=True)
        for data in ("clustbench/ok/b.data.gz", "realworld/s.data.gz"):
            (base / data).write_bytes(gzip.compress(b"1 2\n3 4\n5 7\n"))
        for labels in ("clustbench/ok/b.labels0.gz", "realworld/s.labels0.gz"):
            (base / labels).write_bytes(gzip.compress(b"1\n2\n1\n"))
        (base / "uci121/u/u_py.dat").write_text("1,2\n3,4\n5,7\n")
        (base / "uci121/u/labels_py.dat").write_text("0\n1\n0\n")
        target = base / link
        target.unlink(missing_ok=True)
        target.symlink_to(outside / ("secret.gz" if link.endswith(".gz") else "secret.txt"))
        args = ["--data-root", str(base), "show", name]
        probes.append(
            ("corpus", f"{name} with {Path(link).name} linked outside", "refuse", args, "outside")
        )
    return probes


def _import_probes(d: Path, url: str, backend: str, export: Path) -> list[Probe]:
    """``db import`` of broken copies of ``export`` into a database with content."""
    d.mkdir(parents=True)

    def edit(table: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
        def apply(folder: Path) -> None:
            frame = change(pd.read_parquet(folder / f"{table}.parquet").head(50).copy())
            frame.to_parquet(folder / f"{table}.parquet", index=False)

        return apply

    def first(column: str, value: Any) -> Callable[[pd.DataFrame], pd.DataFrame]:
        def change(f: pd.DataFrame) -> pd.DataFrame:
            f[column] = f[column].astype(object)
            f.loc[f.index[0], column] = value
            return f

        return change

    mf = "general.instances"
    cases: dict[str, Callable[[Path], None]] = {
        "fingerprint not JSON": edit("datasets", first("fingerprint", "[1, 2")),
        "info {bad": edit("datasets", first("info", "{bad")),
        "n_rows = 2**62": edit("datasets", lambda f: f.assign(n_rows=2**62)),
        "n_rows = -5": edit("datasets", lambda f: f.assign(n_rows=-5)),
        "10,000-character name": edit("datasets", first("name", "n" * 10_000)),
        "fake content hash": edit("datasets", first("content_hash", "zz")),
        "string meta-features": edit("metafeatures", lambda f: f.assign(**{mf: "high"})),
        "orphaned meta-features": edit("metafeatures", first("content_hash", "f" * 32)),
        "no config column": edit("configurations", lambda f: f.drop(columns="config")),
        "an id column": edit("configurations", lambda f: f.assign(id=range(len(f)))),
        "config not hashing to its key": edit("configurations", first("config_hash", "0" * 16)),
        "an unknown runs column": edit("runs", lambda f: f.assign(colour="red")),
        "ari True": edit("runs", lambda f: f.assign(ari=True)),
        "dangling run": edit("runs", first("config_hash", "f" * 16)),
        "unknown top-level config key": edit(
            "configurations",
            lambda f: f.assign(
                config=[json.dumps({**json.loads(c), "colour": 1}) for c in f["config"]]
            ),
        ),
        "broken provenance": edit("studies", first("provenance", "{")),
        "nested values": edit("studies", lambda f: f.assign(kind=[["a"]] * len(f))),
        "no manifest": lambda folder: (folder / "manifest.json").unlink(),
        "manifest not JSON": lambda folder: (folder / "manifest.json").write_text("{not"),
        "a missing table": lambda folder: (folder / "runs.parquet").unlink(),
        "not a folder": lambda folder: shutil.rmtree(folder),
    }
    probes: list[Probe] = []
    for i, (name, change) in enumerate(cases.items()):
        folder = d / f"case{i}"
        shutil.copytree(export, folder)
        change(folder)
        args = ["db", "import", str(folder), "--db", url]
        probes.append((f"db import ({backend})", name, "refuse", args, ""))
    return probes


def api_probes() -> list[tuple[str, str, Callable[[], Any]]]:
    """The Python API's probes: each must raise a one-line typed metarec error."""
    import metarec
    from metarec.runner import run_config
    from metarec.space import Configuration, canonicalize

    kmeans = {"algorithm": "kmeans", "params": {"n_clusters": 3}}
    x = np.random.default_rng(0).normal(size=(30, 2))
    return [
        ("recommend(top=0)", "refuse", lambda: metarec.recommend(x, top=0, budget=0)),
        ("recommend(top=-1)", "refuse", lambda: metarec.recommend(x, top=-1, budget=0)),
        ("recommend(top=2.5)", "refuse", lambda: metarec.recommend(x, top=2.5, budget=0)),
        ("recommend(top='a')", "refuse", lambda: metarec.recommend(x, top="a", budget=0)),
        ("recommend(budget=-1)", "refuse", lambda: metarec.recommend(x, budget=-1)),
        ("tune(n_trials=0)", "refuse", lambda: metarec.tune(x, n_trials=0)),
        ("tune(n_trials=-1)", "refuse", lambda: metarec.tune(x, n_trials=-1)),
        ("tune(time_limit=-1)", "refuse", lambda: metarec.tune(x, time_limit=-1)),
        ("run_config(time_limit=-1)", "refuse", lambda: run_config(x, kmeans, time_limit=-1)),
        ("run_config(random_state=-1)", "refuse", lambda: run_config(x, kmeans, random_state=-1)),
        ("load_dataset(None)", "refuse", lambda: metarec.load_dataset(None)),
        ("load_dataset(123)", "refuse", lambda: metarec.load_dataset(123)),
        (
            "from_dict(params=[1])",
            "refuse",
            lambda: Configuration.from_dict({"algorithm": "kmeans", "params": [1]}),
        ),
        ("config with a colour key", "refuse", lambda: canonicalize({**kmeans, "colour": 1})),
        (
            "gamma_scale=True",
            "refuse",
            lambda: canonicalize({"algorithm": "spectral", "params": {"gamma_scale": True}}),
        ),
        (
            "min_samples=True",
            "refuse",
            lambda: canonicalize({"algorithm": "hdbscan", "params": {"min_samples": True}}),
        ),
        ("MetaClusterer(top=0)", "refuse", lambda: metarec.MetaClusterer(top=0).fit(x)),
        (
            "MetaClusterer(rank=3, top=2)",
            "refuse",
            lambda: metarec.MetaClusterer(rank=3, top=2).fit(x),
        ),
        ("-0.0 and 0.0 hash alike", "same", lambda: _same_hash()),
        ("an objective returning inf", "fails", lambda: _inf_objective(x)),
    ]


def _same_hash() -> bool:
    from metarec.space import config_hash

    a = {"algorithm": "affinity_propagation", "params": {"preference_quantile": 0.0}}
    b = {"algorithm": "affinity_propagation", "params": {"preference_quantile": -0.0}}
    return config_hash(a) == config_hash(b)


def _inf_objective(x: np.ndarray) -> bool:
    import metarec

    study = metarec.tune(x, n_trials=1, objective=lambda r: float("inf"), warm=False)
    return all(t.state.name == "FAIL" for t in study.trials)


def _secret_in(folder: Path) -> bool:
    return any(
        SECRET.encode() in path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and not path.is_symlink() and path.stat().st_size < 50_000_000
    )


def hostile(tmp: Path, postgres: str | None = None) -> list[dict[str, Any]]:
    """Run every probe; one row each (group, input, expect, outcome, message)."""
    rows: list[dict[str, Any]] = []
    seed = _seed_export(tmp)
    sqlite = tmp / "content.sqlite"
    _cli(["ingest", str(seed), "--db", str(sqlite)])
    with postgres_server() if postgres is None else _given(postgres) as server:
        urls = {"sqlite": str(sqlite)}
        if server is not None:
            urls["postgresql"] = _create_db(server, "hostile_content")
            urls["postgresql-empty"] = _create_db(server, "hostile_empty")
            _cli(["ingest", str(seed), "--db", urls["postgresql"]])
        for group, name, expect, args, words in cli_probes(tmp / "cli", urls, seed):
            res = _cli(args)
            text = res.stdout + res.stderr
            lines = res.stderr.strip().splitlines()
            written = [tmp / "cli" / w for w in ("export-x", "models-x", "tuned-secret")]
            if SECRET in text or any(_secret_in(w) for w in written if w.is_dir()):
                outcome = "secret"
            elif "Traceback" in text:
                outcome = "traceback"
            elif expect == "refuse":
                one_line = (
                    res.returncode == 2 and len(lines) >= 1 and lines[-1].startswith("metarec")
                )
                outcome = (
                    "clean"
                    if one_line and words.lower() in lines[-1].lower()
                    else ("silent" if res.returncode == 0 else "unclear")
                )
            else:
                outcome = "clean" if res.returncode == 0 and words in text else "silent"
            if outcome == "clean" and name in AFTER and not AFTER[name]():
                outcome = "silent"  # it wrote where it should not have
            shown = (lines or res.stdout.strip().splitlines() or [""])[-1]
            rows.append(_row(group, name, expect, outcome, shown))
    for name, expect, call in api_probes():
        try:
            got = call()
        except Exception as exc:  # classified below: typed and one line, or not
            from metarec.exceptions import MetarecError

            clean = isinstance(exc, MetarecError) and "\n" not in str(exc)
            outcome = "clean" if clean and expect == "refuse" else "traceback"
            rows.append(_row("python API", name, expect, outcome, f"{type(exc).__name__}: {exc}"))
            continue
        outcome = "clean" if expect in ("same", "fails") and got is True else "silent"
        rows.append(_row("python API", name, expect, outcome, repr(got)[:80]))
    return rows


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url.rsplit("/", 1)[0]


def _seed_export(tmp: Path) -> Path:
    """A small exported folder (iris, one configuration per algorithm) to seed content."""
    folder = tmp / "seed-export"
    if not folder.is_dir():
        db = str(tmp / "seed.sqlite")
        build = ["db", "build", "--add", "sklearn:iris", "--configs-per-algorithm", "1"]
        for args in (
            [*build, "--workers", "1", "--quiet", "--db", db],
            ["db", "export", str(folder), "--db", db],
        ):
            done = _cli(args)
            if done.returncode:
                raise RuntimeError(f"seeding failed: {done.stderr[-500:]}")
    return folder


def _row(group: str, name: str, expect: str, outcome: str, message: str) -> dict[str, Any]:
    return {
        "group": group,
        "input": name,
        "expect": expect,
        "outcome": outcome,
        "message": message.replace("|", "/")[:150],
        "ok": outcome == "clean",
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Probes tried, and how many were clean, tracebacks, silent, leaked a secret."""
    counts = pd.Series([r["outcome"] for r in rows]).value_counts().to_dict()
    return {
        "probes": len(rows),
        "clean": int(counts.get("clean", 0)),
        "tracebacks": int(counts.get("traceback", 0)),
        "silently accepted": int(counts.get("silent", 0)),
        "unclear": int(counts.get("unclear", 0)),
        "secrets found": int(counts.get("secret", 0)),
    }
