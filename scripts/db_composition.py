"""What the shipped meta-database is made of: datasets per corpus and kind, their sizes.

Writes ``OUT/composition.png`` (datasets per corpus, real or synthetic; rows and
columns of each, real against synthetic) and ``OUT/composition.csv`` (one row per
corpus and kind: datasets, aliases, median rows and columns, design and k-sweep runs).

Usage::

    python scripts/db_composition.py [--out benchmarks/db] [--knowledge DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/db")
    parser.add_argument("--knowledge", help="an exported folder (default: the shipped one)")
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from metarec.knowledge import KnowledgeBase

    kb = KnowledgeBase.from_parquet(args.knowledge) if args.knowledge else KnowledgeBase.shipped()
    ds = kb.datasets.loc[kb.dataset_hashes].copy()
    ds["aliases"] = [
        len(json.loads(i).get("aliases", [])) if isinstance(i, str) else 0 for i in ds["info"]
    ]
    ds["rows"] = ds["n_original"].fillna(ds["n_rows"]).astype(int)
    design = kb.runs.groupby("content_hash").size()
    swept = kb.sweep_runs.groupby("content_hash").size()
    ds["design_runs"] = design.reindex(ds.index).fillna(0).astype(int)
    ds["k_sweep_runs"] = swept.reindex(ds.index).fillna(0).astype(int)
    table = (
        ds.groupby(["corpus", "kind"])
        .agg(
            datasets=("name", "size"),
            aliases=("aliases", "sum"),
            median_rows=("rows", "median"),
            median_cols=("n_cols", "median"),
            design_runs=("design_runs", "sum"),
            k_sweep_runs=("k_sweep_runs", "sum"),
        )
        .reset_index()
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "composition.csv", index=False)
    print(table.to_string(index=False))

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    counts = ds.groupby(["corpus", "kind"]).size().unstack("kind").fillna(0)
    counts = counts.loc[counts.sum(axis=1).sort_values().index]
    colours = {"real": "tab:blue", "synthetic": "tab:orange"}
    bottom = pd.Series(0.0, index=counts.index)
    for kind in [k for k in ("real", "synthetic") if k in counts]:
        left.barh(counts.index, counts[kind], left=bottom, color=colours[kind], label=kind)
        bottom += counts[kind]
    left.set_xlabel("datasets")
    left.set_title(
        f"{len(ds)} datasets, {int((ds['kind'] == 'real').sum())} real "
        f"({100 * (ds['kind'] == 'real').mean():.0f} %)"
    )
    left.legend()
    for kind, part in ds.groupby("kind"):
        right.scatter(
            part["rows"], part["n_cols"], s=10, alpha=0.6, color=colours[str(kind)], label=kind
        )
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("rows (before subsampling to 1,000)")
    right.set_ylabel("columns")
    right.set_title("size of each dataset")
    right.legend()
    fig.tight_layout()
    fig.savefig(out / "composition.png", dpi=120)
    print(f"wrote {out / 'composition.png'} and {out / 'composition.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
