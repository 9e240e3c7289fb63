"""Warm-started vs cold TPE, held out (issue 7).

For each held-out dataset (a seeded sample of clustbench and uci121 datasets of
the shipped meta-database), the recommender and the neural meta-learner are
refitted without the dataset's near-duplicate group; then, for each seed,
three searches of ``--trials`` trials run on the dataset as the build stored it:

* ``cold``: TPE, silhouette objective;
* ``warm``: TPE, silhouette objective, the recommender's top 10 and the neural
  predictions for their algorithms enqueued first;
* ``warm_auto``: as ``warm``, with the meta-learned objective (``auto``).

Every trial (objective value, ARI) is appended to ``OUT/trials.csv``; finished
datasets are skipped on a rerun. ``--report`` summarises: the ARI of the trial
the objective ranks best after n = 1, 5, 10, 25, 50, 100 trials.

Usage::

    python scripts/warm_vs_cold.py [--datasets 8] [--seeds 3] [--trials 100] [--workers 2]
    python scripts/warm_vs_cold.py --report
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ARMS = ("cold", "warm", "warm_auto")
NS = (1, 5, 10, 25, 50, 100)
FIELDS = ["content_hash", "corpus", "arm", "seed", "trial", "value", "ari", "status", "objective"]


def one_dataset(args: tuple[str, int, int]) -> list[dict[str, Any]]:
    from metarec.evaluation import load_as_built
    from metarec.hyperparams import HyperparameterModel
    from metarec.knowledge import KnowledgeBase
    from metarec.recommender import Recommender
    from metarec.tuning import tune

    h, seeds, trials = args
    kb = KnowledgeBase.shipped()
    groups = kb.near_duplicate_groups()
    train = kb.without({x for x, g in groups.items() if g == groups[h]})
    hyper = HyperparameterModel(n_members=2).fit(train)
    rec = Recommender(hyper=hyper).fit(train)
    ds = load_as_built(str(kb.value(h, "source")), h, 1000, None)
    if ds is None:
        return []
    rows = []
    for seed in range(seeds):
        for arm in ARMS:
            study = tune(
                ds,
                n_trials=trials,
                objective="auto" if arm == "warm_auto" else "silhouette",
                seed=seed,
                warm=arm != "cold",
                recommender=rec,
                time_limit=60,
            )
            for t in study.trials:
                rows.append(
                    {
                        "content_hash": h,
                        "corpus": kb.corpus_of(h),
                        "arm": arm,
                        "seed": seed,
                        "trial": t.number + 1,
                        "value": t.value,
                        "ari": t.user_attrs.get("ari", 0.0),
                        "status": t.user_attrs.get("status", ""),
                        "objective": study.user_attrs.get("objective"),
                    }
                )
    return rows


def report(out: Path) -> str:
    from scipy import stats

    from metarec.evaluation import markdown_table
    from metarec.tuning import OBJECTIVES

    trials = pd.read_csv(out / "trials.csv")
    curves = []
    for (h, arm, seed), g in trials.groupby(["content_hash", "arm", "seed"]):
        g = g.sort_values("trial")
        objective = g["objective"].iloc[0]
        sign = -1.0 if OBJECTIVES.get(objective) == "minimize" else 1.0
        best, best_ari = -np.inf, 0.0
        at = {}
        for row in g.itertuples():
            if np.isfinite(row.value) and sign * row.value > best:
                best, best_ari = sign * row.value, row.ari
            if row.trial in NS:
                at[row.trial] = best_ari
        curves.append(
            {
                "content_hash": h,
                "corpus": g["corpus"].iloc[0],
                "arm": arm,
                "seed": seed,
                **{f"n{n}": at.get(n, np.nan) for n in NS},
            }
        )
    c = pd.DataFrame(curves)
    c.to_csv(out / "best_so_far.csv", index=False)
    # per dataset: mean over seeds
    d = c.groupby(["content_hash", "corpus", "arm"]).mean(numeric_only=True).reset_index()
    wide = {arm: d[d["arm"] == arm].set_index("content_hash") for arm in ARMS}
    mean = d.groupby("arm")[[f"n{n}" for n in NS]].mean().reindex(ARMS)
    share = {}
    for arm in ("warm", "warm_auto"):
        ge = np.ones(len(wide["cold"]), dtype=bool)
        for n in NS:
            ge &= (wide[arm][f"n{n}"] >= wide["cold"][f"n{n}"]).to_numpy()
        share[arm] = float(ge.mean())
    w10, c100 = wide["warm"]["n10"], wide["cold"]["n100"]
    zero_shot = (
        trials[(trials["arm"] == "warm") & (trials["trial"] == 1)]
        .groupby("content_hash")["ari"]
        .mean()
    )
    lines = [
        f"{d['content_hash'].nunique()} held-out datasets x {int(c['seed'].nunique())} seeds; "
        "mean over datasets of the ARI of the objective's best trial after n trials:",
        markdown_table(mean.reset_index()),
        f"warm after 10 trials {w10.mean():.3f} vs cold after 100 {c100.mean():.3f} "
        f"(Wilcoxon p, warm greater: "
        f"{stats.wilcoxon(w10, c100, alternative='greater').pvalue:.3g}).",
        f"datasets where warm >= cold at every n: {share['warm']:.0%} (warm_auto: "
        f"{share['warm_auto']:.0%}).",
        f"zero-shot top-1 recommendation (the first warm trial): {zero_shot.mean():.3f}; "
        f"warm after 100 trials {wide['warm']['n100'].mean():.3f}; warm_auto after 100 "
        f"{wide['warm_auto']['n100'].mean():.3f}.",
        "Per corpus:",
        markdown_table(d.groupby(["corpus", "arm"])[[f"n{n}" for n in NS]].mean().reset_index()),
        "What the objective gets wrong, per search (mean over datasets and seeds): the ARI "
        "of its best trial, the best ARI among all the search's trials, and the Spearman "
        "correlation of objective and ARI over the trials:",
        markdown_table(_agreement(trials)),
    ]
    text = "\n\n".join(lines)
    (out / "report.md").write_text(text + "\n")
    _plot(c, out / "warm_vs_cold.png")
    return text


def _agreement(trials: pd.DataFrame) -> pd.DataFrame:
    from scipy import stats

    from metarec.tuning import OBJECTIVES

    rows = []
    for (_, arm, _), g in trials.groupby(["content_hash", "arm", "seed"]):
        g = g[np.isfinite(g["value"])]
        sign = -1.0 if OBJECTIVES.get(g["objective"].iloc[0]) == "minimize" else 1.0
        rows.append(
            {
                "arm": arm,
                "ari_of_objective_best": g.loc[(sign * g["value"]).idxmax(), "ari"],
                "best_ari_found": g["ari"].max(),
                "spearman_objective_ari": stats.spearmanr(sign * g["value"], g["ari"]).statistic,
            }
        )
    return pd.DataFrame(rows).groupby("arm").mean().reindex(ARMS).reset_index()


def _plot(c: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for arm in ARMS:
        m = c[c["arm"] == arm][[f"n{n}" for n in NS]].mean()
        ax.plot(NS, m.to_numpy(), marker="o", label=arm)
    ax.set_xscale("log")
    ax.set(
        xlabel="trials",
        ylabel="mean ARI of the objective's best trial",
        title="Warm-started vs cold TPE, held out",
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=8, help="half clustbench, half uci121")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/warm_vs_cold")
    parser.add_argument("--report", action="store_true", help="only summarise")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.report:
        from metarec.knowledge import KnowledgeBase

        kb = KnowledgeBase.shipped()
        rng = np.random.default_rng(0)
        chosen: list[str] = []
        for corpus in ("clustbench", "uci121"):
            pool = sorted(h for h in kb.dataset_hashes if kb.corpus_of(h) == corpus)
            chosen += list(rng.choice(pool, size=args.datasets // 2, replace=False))
        path = out / "trials.csv"
        done = set(pd.read_csv(path)["content_hash"]) if path.is_file() else set()
        todo = [(h, args.seeds, args.trials) for h in chosen if h not in done]
        print(f"{len(chosen) - len(todo)} datasets done, {len(todo)} to go", flush=True)
        new = not path.is_file()
        with path.open("a", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            if new:
                writer.writeheader()
            ctx = mp.get_context("spawn")
            with ProcessPoolExecutor(args.workers, mp_context=ctx) as pool:
                futures = [pool.submit(one_dataset, job) for job in todo]
                for i, fut in enumerate(as_completed(futures), start=1):
                    writer.writerows(fut.result())
                    fh.flush()
                    print(f"{i}/{len(todo)} datasets", flush=True)
    print(report(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
