"""Held-out evaluation of tuning's objectives on the meta-database's own runs (issue 7).

In the harness's 10 folds of near-duplicate groups, the surrogate objective
(:class:`metarec.surrogate.SurrogateObjective`) and the recommender behind the
per-dataset index choice (``objective="index"``) are trained on the other
folds. For every held-out dataset, each objective picks one of the dataset's
recorded runs (the 108 designed configurations); the ARI of that pick is
compared across objectives: the surrogate, the index chosen per dataset,
silhouette, Calinski-Harabasz, Davies-Bouldin, and the per-dataset oracle (the
best run). This measures what an objective must do inside a search (rank the
clusterings of one dataset) without running anything.

Usage::

    python scripts/eval_surrogate.py [--folds 10] [--out benchmarks/surrogate]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

OBJECTIVES = ("surrogate", "index", "silhouette", "calinski_harabasz", "davies_bouldin")


def _pick(part: pd.DataFrame, column: str, sign: float) -> float:
    values = sign * part[column].to_numpy(dtype=float)
    if not np.isfinite(values).any():
        return 0.0  # the objective is undefined on every run: nothing to choose
    return float(part["ari"].to_numpy()[int(np.nanargmax(values))])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/surrogate")
    args = parser.parse_args()

    from metarec.evaluation import _groups_to_folds, markdown_table, paired_p
    from metarec.knowledge import KnowledgeBase
    from metarec.recommender import Recommender
    from metarec.surrogate import SurrogateObjective
    from metarec.tuning import OBJECTIVES as INDICES
    from metarec.tuning import choose_objective

    kb = KnowledgeBase.shipped()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = kb.runs[(kb.runs["status"] == "ok") & kb.runs["ari"].notna()]
    groups = {h: g for h, g in kb.near_duplicate_groups().items() if h in kb.dataset_hashes}
    rows: list[dict[str, Any]] = []
    for f, held in enumerate(_groups_to_folds(groups, args.folds, args.seed), start=1):
        start = time.perf_counter()
        train = kb.without(held)
        surrogate = SurrogateObjective(random_state=args.seed).fit(train)
        rec = Recommender(random_state=args.seed).fit(train)
        for h in sorted(held):
            part = runs[runs["content_hash"] == h].copy()
            mf = kb.metafeatures.loc[h]
            configs = list(kb.configs.loc[part["config_hash"], "config"])
            part["surrogate"] = surrogate.score_many(mf, configs, part)
            index, _ = choose_objective(mf, rec)
            row = {"content_hash": h, "corpus": kb.corpus_of(h), "fold": f, "index_chosen": index}
            row["surrogate"] = _pick(part, "surrogate", 1.0)
            for name, direction in INDICES.items():
                if name in part:
                    row[name] = _pick(part, name, -1.0 if direction == "minimize" else 1.0)
            row["index"] = row[index]
            row["oracle"] = float(part["ari"].max())
            row["runs"] = len(part)
            rows.append(row)
        print(f"fold {f}: {len(held)} datasets, {time.perf_counter() - start:.0f} s", flush=True)
    per = pd.DataFrame(rows)
    per.to_csv(out / "per_dataset.csv", index=False)

    def table(frame: pd.DataFrame) -> pd.DataFrame:
        result = []
        for name, g in [("all", frame), *frame.groupby("corpus")]:
            row: dict[str, Any] = {"corpus": name, "datasets": len(g)}
            for m in (*OBJECTIVES, "oracle"):
                row[m] = g[m].mean()
            row["surrogate_median"] = g["surrogate"].median()
            row["surrogate/oracle"] = g["surrogate"].mean() / g["oracle"].mean()
            for m in OBJECTIVES[1:]:
                row[f"p_vs_{m}"] = paired_p(g["surrogate"], g[m])
            result.append(row)
        return pd.DataFrame(result)

    summary = table(per)
    summary.to_csv(out / "summary.csv", index=False)
    chosen = per["index_chosen"].value_counts().rename_axis("index").reset_index(name="datasets")
    report = "\n\n".join(
        [
            "Mean ARI of the run each objective ranks best, per held-out dataset "
            "(p: one-sided Wilcoxon, surrogate greater):",
            markdown_table(summary),
            'Index chosen per dataset by `objective="index"`:',
            markdown_table(chosen),
        ]
    )
    (out / "report.md").write_text(report + "\n")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
