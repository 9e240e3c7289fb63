"""The ``metarec`` command line: a thin layer over the Python API.

Every :class:`~metarec.exceptions.MetarecError` becomes one line on stderr,
``metarec: <message>``, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from metarec import __version__
from metarec.exceptions import MetarecError

__all__ = ["main"]

# Subcommands that later releases fill in; they are listed so that --help shows
# the whole workflow, and say plainly that they are not available yet.
_PLANNED = {
    "db": "manage the meta-database (stats, build, export, import, check)",
    "recommend": "recommend clustering configurations for a dataset",
    "tune": "warm-started Optuna tuning of a clustering pipeline",
    "evaluate": "leave-one-dataset-out evaluation of the recommender",
}


def _load(args: argparse.Namespace) -> Any:
    from metarec.io import load_dataset
    from metarec.io.files import read_labels

    dataset = load_dataset(
        args.name,
        data_root=args.data_root,
        label_column=getattr(args, "target", None),
    )
    if getattr(args, "labels", None):
        dataset = dataset.with_labels(read_labels(args.labels))
    return dataset


def _cmd_datasets(args: argparse.Namespace) -> int:
    from metarec.io import CORPORA, list_datasets

    corpora = [args.corpus] if args.corpus else list(CORPORA)
    for corpus in corpora:
        names = list_datasets(corpus, data_root=args.data_root)
        if args.count:
            print(f"{corpus}\t{len(names)}")
        else:
            for name in names:
                print(name)
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    dataset = _load(args)
    summary = dataset.summary()
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"{summary['name']}  ({summary['source']})")
    print(f"  rows x columns : {summary['rows']} x {summary['columns']}")
    types = ", ".join(f"{k} {v}" for k, v in summary["column_types"].items())
    print(f"  column types   : {types}")
    print(
        f"  missing values : {summary['missing_values']} "
        f"({summary['rows_with_missing']} rows with any)"
    )
    print(f"  content hash   : {summary['content_hash']}")
    if "classes" in summary:
        sizes = ", ".join(f"{k}: {v}" for k, v in summary["class_sizes"].items())
        print(f"  labels         : {summary['classes']} classes ({sizes})")
        if summary["labelings"] > 1:
            print(f"  labelings      : {summary['labelings']} reference labelings")
    else:
        print("  labels         : none")
    if "openml_qualities" in summary:
        print(f"  OpenML         : {summary['openml_qualities']} server-side qualities")
    return 0


def _cmd_metafeatures(args: argparse.Namespace) -> int:
    from metarec.metafeatures import extract_metafeatures

    dataset = _load(args)
    mf = extract_metafeatures(
        dataset,
        groups=args.groups,
        random_state=args.seed,
        sample_size=args.sample_size,
    )
    if args.json:
        payload = {
            "dataset": dataset.name,
            "source": dataset.source,
            "extractor_version": mf.attrs["extractor_version"],
            "features": {k: (None if v != v else v) for k, v in mf.items()},
        }
        print(json.dumps(payload, indent=2))
    else:
        width = max(len(str(k)) for k in mf.index)
        for k, v in mf.items():
            print(f"{k:<{width}}  {v:.6g}")
        print(f"# extractor {mf.attrs['extractor_version']}, {mf.isna().sum()} NaN of {len(mf)}")
    return 0


def _cmd_planned(args: argparse.Namespace) -> int:
    raise MetarecError(f"`metarec {args.command}` is not available in metarec {__version__} yet")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="metarec",
        description="Meta-learning recommendations for clustering on tabular data.",
    )
    parser.add_argument("--version", action="version", version=f"metarec {__version__}")
    parser.add_argument(
        "--data-root",
        metavar="DIR",
        help="folder holding the benchmark corpora (default: $METAREC_DATA or ../shared/data)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("datasets", help="list the datasets that can be loaded by name")
    p.add_argument("--corpus", choices=["clustbench", "uci121", "sklearn"])
    p.add_argument("--count", action="store_true", help="print counts per corpus only")
    p.set_defaults(func=_cmd_datasets)

    name_help = "openml:ID, clustbench:BATTERY/NAME, uci121:NAME, sklearn:NAME or a file path"
    p = sub.add_parser("show", help="describe a dataset: shape, types, missing values, labels")
    p.add_argument("name", help=name_help)
    p.add_argument("--target", metavar="COL", help="file column holding ground-truth labels")
    p.add_argument("--labels", metavar="FILE", help="file with one ground-truth label per line")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_show)

    p = sub.add_parser("metafeatures", help="extract a dataset's meta-feature vector")
    p.add_argument("name", help=name_help)
    p.add_argument("--target", metavar="COL", help="file column holding labels (left out)")
    p.add_argument("--groups", help="comma-separated groups (default: all)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--sample-size", type=int, default=1000, help="row sample size")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_metafeatures)

    for name, text in _PLANNED.items():
        p = sub.add_parser(name, help=f"{text} (not available yet)")
        p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        p.set_defaults(func=_cmd_planned)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except MetarecError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"metarec: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("metarec: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
