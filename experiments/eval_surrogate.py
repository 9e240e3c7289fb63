"""Held-out evaluation of tuning's objectives on the meta-database's own runs (issue 7).

In the harness's 10 folds of near-duplicate groups, the surrogate objective
(:class:`metarec.models.surrogate.SurrogateObjective`) and the recommender behind the
per-dataset index choice (``objective="index"``) are trained on the other
folds. For every held-out dataset, each objective picks one of the dataset's
recorded runs (the 108 designed configurations); the ARI of that pick is
compared across objectives: the surrogate without its optional features, with
the partition's cluster sizes (``sizes=True``), the index chosen per dataset,
silhouette, Calinski-Harabasz, Davies-Bouldin, and the per-dataset oracle (the
best run). This measures what an objective must do inside a search (rank the
clusterings of one dataset) without running anything.

A search mostly runs configurations the meta-database has never run. The second
setting simulates that: in each fold a seeded 60 % of the configurations are
kept for training (the learned objectives see only their runs), and each
objective picks among the held-out dataset's runs of the other 40 %.

A third setting (runs of random configurations, ``explore``) and the prior
feature were retired with the options they measured (docs/benchmarks/retired.md);
their figures stay in docs/benchmarks/history.md.

Usage::

    python experiments/eval_surrogate.py [--folds 10] [--out benchmarks/surrogate]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

OBJECTIVES = (
    "surrogate",
    "surrogate_sizes",
    "index",
    "silhouette",
    "calinski_harabasz",
    "davies_bouldin",
)
#: share of the configurations seen in training in the "unseen configurations" setting
SEEN = 0.6


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

    from metarec.evaluation import heldout_splits, markdown_table, paired_p
    from metarec.knowledge import KnowledgeBase
    from metarec.models.recommender import Recommender
    from metarec.models.surrogate import SurrogateObjective, training_runs
    from metarec.tuning import OBJECTIVES as INDICES
    from metarec.tuning import choose_objective

    kb = KnowledgeBase.shipped()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = training_runs(kb)
    rng = np.random.default_rng(args.seed)
    all_configs = np.array(sorted(kb.configs.index))
    rows: list[dict[str, Any]] = []
    for f, held, train in heldout_splits(kb, args.folds, args.seed, among=kb.dataset_hashes):
        start = time.perf_counter()
        seen = set(rng.choice(all_configs, size=int(SEEN * len(all_configs)), replace=False))
        settings = {
            "all": (train, None),
            "unseen": (replace(train, runs=train.runs[train.runs["config_hash"].isin(seen)]), seen),
        }
        rec = Recommender(random_state=args.seed).fit(train)
        for setting, (kb_s, seen_s) in settings.items():
            models = {
                "surrogate": SurrogateObjective(random_state=args.seed, sizes=False).fit(kb_s),
                "surrogate_sizes": SurrogateObjective(random_state=args.seed).fit(kb_s),
            }
            candidates = [(h, setting, runs[runs["content_hash"] == h]) for h in sorted(held)]
            for h, where, part in candidates:
                part = part.copy()
                if seen_s is not None:
                    part = part[~part["config_hash"].isin(seen_s)]
                if not len(part):
                    continue
                mf = kb.metafeatures.loc[h]
                configs = list(part["config"])
                for name, model in models.items():
                    part[name] = model.score_many(cast(pd.Series, mf), configs, part)
                index, _ = choose_objective(mf, rec)
                row = {
                    "setting": where,
                    "content_hash": h,
                    "corpus": kb.corpus_of(h),
                    "fold": f,
                    "index_chosen": index,
                }
                for name in models:
                    row[name] = _pick(part, name, 1.0)
                for name, direction in INDICES.items():
                    if name in part:
                        row[name] = _pick(part, name, -1.0 if direction == "minimize" else 1.0)
                row["index"] = row.get(index, np.nan)
                row["oracle"] = float(part["ari"].max())
                row["runs"] = len(part)
                rows.append(row)
        print(f"fold {f}: {len(held)} datasets, {time.perf_counter() - start:.0f} s", flush=True)
    per = pd.DataFrame(rows)
    per.to_csv(out / "per_dataset.csv", index=False)

    def table(frame: pd.DataFrame) -> pd.DataFrame:
        result = []
        for setting, part in frame.groupby("setting", sort=True):
            for name, g in [("all", part), *part.groupby("corpus")]:
                row: dict[str, Any] = {"setting": setting, "corpus": name, "datasets": len(g)}
                for m in (*OBJECTIVES, "oracle"):
                    row[m] = g[m].mean()
                row["surrogate_median"] = g["surrogate"].median()
                row["surrogate/oracle"] = g["surrogate"].mean() / g["oracle"].mean()
                result.append(row)
        return pd.DataFrame(result)

    summary = table(per)
    summary.to_csv(out / "summary.csv", index=False)
    pairs = [("surrogate", m) for m in OBJECTIVES[1:]]
    tests = pd.DataFrame(
        [
            {
                "setting": setting,
                "objective": a,
                "vs": b,
                "objective_ari": g[a].mean(),
                "vs_ari": g[b].mean(),
                "p_objective_greater": paired_p(g[a], g[b]),
                "p_vs_greater": paired_p(g[b], g[a]),
            }
            for setting, g in per.groupby("setting", sort=True)
            for a, b in pairs
        ]
    )
    tests.to_csv(out / "tests.csv", index=False)
    chosen = (
        per[per["setting"] == "all"]["index_chosen"]
        .value_counts()
        .rename_axis("index")
        .reset_index(name="datasets")
    )
    report = "\n\n".join(
        [
            "Mean ARI of the run each objective ranks best, per held-out dataset. Setting "
            "`all`: every recorded run; `unseen`: the learned objectives trained on 60 % of "
            "the configurations, picking among the runs of the other 40 %:",
            markdown_table(summary),
            "Paired one-sided Wilcoxon tests over held-out datasets:",
            markdown_table(tests),
            'Index chosen per dataset by `objective="index"`:',
            markdown_table(chosen),
        ]
    )
    (out / "report.md").write_text(report + "\n")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
