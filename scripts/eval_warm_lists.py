"""Which configurations a warm start should enqueue: the top ranked, or complementary ones.

In the harness's 10 folds of near-duplicate groups, the recommender and the
surrogate objective are refitted without the fold; for every held-out dataset
two warm-start lists of 10 configurations are formed from what the models know:

* ``ranked``: the recommender's top 10 (what ``warm_start`` enqueues by default);
* ``portfolio``: :meth:`metarec.models.recommender.Recommender.complementary`, the top-1 and
  then, among the 30 best-ranked, greedily the configuration that most raises
  the similarity-weighted best ARI reached on the nearest known datasets.

Each list is scored on the held-out dataset's recorded runs, as a warm search
would meet it after n = 1, 3, 5, 10 trials: ``objective_pick``, the ARI of the
run the surrogate objective ranks best among the list's first n (what a search
reports; a configuration without a successful run cannot be picked), and
``best_of_n``, the best ARI among them (an oracle's pick). Writes
``OUT/per_dataset.csv`` and ``OUT/report.md``.

Usage::

    python scripts/eval_warm_lists.py [--folds 10] [--out benchmarks/warm_lists]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd
from _results import process_pool, save_csv

NS = (1, 3, 5, 10)
LISTS = ("ranked", "portfolio")


def one_fold(held: list[str]) -> list[dict[str, Any]]:
    from metarec.knowledge import KnowledgeBase
    from metarec.models.recommender import Recommender
    from metarec.models.surrogate import SurrogateObjective

    kb = KnowledgeBase.shipped()
    groups = kb.near_duplicate_groups()
    held_groups = {groups[h] for h in held}
    train = kb.without({h for h, g in groups.items() if g in held_groups})
    rec = Recommender().fit(train)
    objective = SurrogateObjective().fit(train)
    rows = []
    for h in held:
        mf = kb.metafeatures.loc[h]
        lists = {
            "ranked": [it.config_hash for it in rec.recommend(mf, top=10).items],
            "portfolio": [it.config_hash for it in rec.complementary(mf, size=10)],
        }
        runs = kb.runs[(kb.runs["content_hash"] == h) & (kb.runs["status"] == "ok")]
        runs = runs.drop_duplicates("config_hash").set_index("config_hash", drop=False)
        configs = list(kb.configs.loc[runs.index, "config"])
        score = pd.Series(objective.score_many(mf, configs, runs), index=runs.index)
        ari = runs["ari"]
        for name, hashes in lists.items():
            for n in NS:
                first = [c for c in hashes[:n] if c in score.index]
                rows.append(
                    {
                        "content_hash": h,
                        "corpus": kb.corpus_of(h),
                        "list": name,
                        "n": n,
                        "objective_pick": float(ari[score[first].idxmax()]) if first else 0.0,
                        "best_of_n": float(ari[first].max()) if first else 0.0,
                    }
                )
    return rows


def report(per: pd.DataFrame) -> str:
    from metarec.evaluation import markdown_table, paired_p

    wide = per.pivot_table(index=["content_hash", "corpus", "n"], columns="list").reset_index()
    summary, tests = [], []
    for corpus in ("all", *sorted(per["corpus"].unique())):
        part = wide if corpus == "all" else wide[wide["corpus"] == corpus]
        for n in NS:
            at = part[part["n"] == n]
            row: dict[str, Any] = {"corpus": corpus, "n": n, "datasets": len(at)}
            for measure in ("objective_pick", "best_of_n"):
                for name in LISTS:
                    row[f"{measure}_{name}"] = at[(measure, name)].mean()
                if corpus in ("all", "uci121", "clustbench") and n > 1:
                    a, b = at[(measure, "portfolio")], at[(measure, "ranked")]
                    tests.append(
                        {
                            "corpus": corpus,
                            "n": n,
                            "measure": measure,
                            "portfolio": a.mean(),
                            "ranked": b.mean(),
                            "wins": int((a > b).sum()),
                            "ties": int((a == b).sum()),
                            "losses": int((a < b).sum()),
                            "p_portfolio_greater": paired_p(a, b),
                            "p_ranked_greater": paired_p(b, a),
                        }
                    )
            summary.append(row)
    return "\n\n".join(
        [
            "Mean ARI per held-out dataset: the objective's pick (`objective_pick`) and the "
            "best (`best_of_n`) among a warm-start list's first n configurations:",
            markdown_table(pd.DataFrame(summary)),
            "Portfolio vs ranked list, paired one-sided Wilcoxon tests over datasets:",
            markdown_table(pd.DataFrame(tests)),
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0, help="seed of the fold assignment")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/warm_lists")
    args = parser.parse_args()
    from metarec.evaluation import heldout_folds
    from metarec.knowledge import KnowledgeBase

    kb = KnowledgeBase.shipped()
    folds = [sorted(f) for f in heldout_folds(kb, args.folds, args.seed, among=kb.dataset_hashes)]
    with process_pool(args.workers) as pool:
        per = pd.DataFrame([row for rows in pool.map(one_fold, folds) for row in rows])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    save_csv(per, out / "per_dataset.csv")
    text = report(per)
    (out / "report.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
