"""Load every dataset of the benchmark corpora and print the count per corpus.

Usage::

    python scripts/count_datasets.py [--data-root DIR] [--openml-cache DIR]

Exits non-zero if any listed dataset fails to load.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time

from metarec import list_datasets, load_dataset
from metarec.exceptions import MetarecError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root")
    parser.add_argument(
        "--openml-cache",
        help="also load openml:2 from this openml cache (OpenML test server layout)",
    )
    args = parser.parse_args()
    loaded: collections.Counter[str] = collections.Counter()
    failed: list[str] = []
    rows = cells = 0
    start = time.perf_counter()
    for name in list_datasets(data_root=args.data_root):
        corpus = name.split(":")[0]
        try:
            ds = load_dataset(name, data_root=args.data_root)
        except MetarecError as exc:
            failed.append(f"{name}: {exc}")
            continue
        loaded[corpus] += 1
        rows += ds.shape[0]
        cells += ds.shape[0] * ds.shape[1]
    if args.openml_cache:
        from metarec.io import load_openml

        try:
            ds = load_openml(
                2, cache_dir=args.openml_cache, server="https://test.openml.org/api/v1/xml"
            )
            loaded["openml-cache"] += 1
            print(f"openml:2 -> {ds!r}, {len(ds.qualities)} OpenML qualities")
        except MetarecError as exc:
            failed.append(f"openml:2: {exc}")
    for corpus, count in loaded.items():
        print(f"{corpus:<14}{count:>5} datasets loaded")
    print(
        f"{'total':<14}{sum(loaded.values()):>5} datasets, {rows} rows, {cells} cells, "
        f"{time.perf_counter() - start:.1f} s"
    )
    for line in failed:
        print(f"FAILED {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
