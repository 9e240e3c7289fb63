"""Compare metarec's held-out top-1 ARI with the TPE cold-start baseline, dataset by dataset.

Reads the per-dataset results of ``metarec evaluate`` and the output of
``experiments/tpe_baseline.py`` and reports, on the datasets the TPE baseline covers,
mean/median ARI of both and a one-sided Wilcoxon test (metarec greater).

Usage::

    python experiments/compare_tpe.py [--evaluation benchmarks/evaluation/per_dataset.csv] \
        [--tpe benchmarks/tpe_baseline.csv]
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd
from scipy import stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluation", default="benchmarks/evaluation/per_dataset.csv")
    parser.add_argument("--tpe", default="benchmarks/tpe_baseline.csv")
    parser.add_argument("--method", default="metarec")
    args = parser.parse_args()
    per = pd.read_csv(args.evaluation)
    tpe = pd.read_csv(args.tpe).set_index("content_hash")
    ours = per[per["method"] == args.method].set_index("content_hash")
    both = ours.join(tpe[["ari_at_best_silhouette", "best_ari_seen"]], how="inner")
    total = per["content_hash"].nunique()
    print(f"TPE baseline (50 trials, silhouette) measured on {len(both)} of {total} datasets")
    for corpus, part in [("all", both), *both.groupby("corpus")]:
        a, b = part["top1"], part["ari_at_best_silhouette"]
        p = stats.wilcoxon(a, b, alternative="greater").pvalue if len(part) >= 5 else float("nan")
        print(
            f"{corpus:<11} n={len(part):>3}  {args.method} top-1 mean {a.mean():.3f} "
            f"median {a.median():.3f} | TPE best-silhouette trial mean {b.mean():.3f} "
            f"median {b.median():.3f} | wins {(a > b).sum()} ties {(a == b).sum()} "
            f"losses {(a < b).sum()} | Wilcoxon p (greater) {p:.3g} | "
            f"best ARI TPE ever saw {part['best_ari_seen'].mean():.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
