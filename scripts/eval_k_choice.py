"""Held out on the k sweep: how well is the number of clusters, and the partition, chosen?

The k sweep (issue 19) ran KMeans, Ward linkage and a full-covariance Gaussian
mixture at every k from 2 to min(k_cap, 30) on every dataset of the
meta-database. That is a fixed candidate set of partitions per dataset, with
their ARI recorded, on which every way of choosing one can be judged without
running anything. In the harness's grouped folds (near-duplicate groups, the
learned models refitted on the other folds), for every held-out dataset:

*ways of choosing k for KMeans* (standard scaling, as the sweep ran it):
``kmeans_true_k`` (told the reference number of classes: a cheat no user has),
``kmeans_k8`` (scikit-learn's default k), ``kmeans_silhouette_k`` (k by
silhouette over 2..k_cap), ``kmeans_metarec_k`` (the recommender's number of
clusters: the weighted median of its neighbours' best k in the design),
``kmeans_neighbour_sweep_k`` (the same weighted median of the neighbours' best
KMeans k in the sweep), ``kmeans_learned_k`` (a LightGBM regressor of log best
sweep k on the meta-features), ``kmeans_surrogate_sweep_k`` (the k whose KMeans
partition the sweep-trained surrogate scores highest);

*scorers picking among all the dataset's sweep partitions* (issue 21's
measure: the ARI of the pick divided by the best of the set):
``silhouette``, ``calinski_harabasz``, ``davies_bouldin`` (the internal
indices), ``surrogate`` (the label-free objective as shipped: learned from the
design's runs) and ``surrogate_sweep`` (the same learned also from the training
datasets' k-sweep runs); ``oracle`` is the best partition of the set.

Writes ``OUT/per_dataset.csv``, ``OUT/summary.csv`` and ``OUT/report.md``
(means, medians, mean of per-dataset fractions of the oracle, by kind and
corpus; one-sided Wilcoxon tests).

Usage::

    python scripts/eval_k_choice.py [--db shipped] [--folds 10] [--out benchmarks/k_choice]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

KMEANS_WAYS = (
    "kmeans_true_k",
    "kmeans_k8",
    "kmeans_silhouette_k",
    "kmeans_metarec_k",
    "kmeans_neighbour_sweep_k",
    "kmeans_learned_k",
    "kmeans_surrogate_sweep_k",
)
SCORERS = ("silhouette", "calinski_harabasz", "davies_bouldin", "surrogate", "surrogate_sweep")
#: sign that makes "larger is better" for each internal index
SIGN = {"silhouette": 1.0, "calinski_harabasz": 1.0, "davies_bouldin": -1.0}


def _at_k(runs: pd.DataFrame, k: float) -> float:
    """ARI of the run whose k is nearest ``k`` (the sweep's range clips it)."""
    ks = runs["k"].to_numpy(dtype=float)
    return float(runs["ari"].to_numpy()[int(np.argmin(np.abs(ks - k)))])


def _pick(runs: pd.DataFrame, values: np.ndarray) -> float:
    if not np.isfinite(values).any():
        return 0.0  # undefined on every partition: nothing to choose
    return float(runs["ari"].to_numpy()[int(np.nanargmax(values))])


def sweep_candidates(kb: Any) -> pd.DataFrame:
    """The k sweep's scored runs with ``algorithm`` and ``k`` columns."""
    from metarec.models.surrogate import scored_runs

    runs = scored_runs(kb.sweep_runs)
    runs = runs[runs["content_hash"].isin(kb.metafeatures.index)].copy()
    runs["algorithm"] = [c["algorithm"] for c in runs["config"]]
    runs["k"] = [_k_of(c) for c in runs["config"]]
    return runs


def _k_of(config: Any) -> int:
    from metarec.space import Configuration

    k = Configuration.from_dict(config).n_clusters
    if k is None:
        raise SystemExit(f"a k-sweep configuration without a number of clusters: {config}")
    return int(k)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="shipped", help="meta-database (URL, folder or shipped)")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/k_choice")
    parser.add_argument(
        "--subsample", type=int, default=1000, help="rows the build ran on (its --subsample)"
    )
    parser.add_argument(
        "--partial", action="store_true", help="also datasets whose sweep is not finished (a try)"
    )
    args = parser.parse_args()

    from tqdm.auto import tqdm

    from metarec.evaluation import heldout_folds
    from metarec.knowledge import KnowledgeBase
    from metarec.models.recommender import Recommender
    from metarec.models.surrogate import SurrogateObjective

    kb = KnowledgeBase.load(args.db)
    cands = sweep_candidates(kb)
    # only datasets whose whole sweep is there (a build still running has some half done)
    expected = {
        h: _sweep_size(min(int(kb.value(h, "n_rows")), args.subsample))
        for h in cands["content_hash"].unique()
    }
    counts = kb.sweep_runs.groupby("content_hash").size()
    complete = sorted(
        h for h, n in expected.items() if counts.get(h, 0) >= (30 if args.partial else n)
    )
    print(f"{len(complete)} datasets with a complete k sweep", flush=True)
    if len(complete) < 20:
        raise SystemExit("fewer than 20 datasets with a complete k sweep: build it first")
    by_hash = {h: g for h, g in cands[cands["content_hash"].isin(complete)].groupby("content_hash")}
    rows: list[dict[str, Any]] = []
    folds = heldout_folds(kb, args.folds, args.seed, among=complete)
    for f, held in enumerate(tqdm(folds, desc="folds", unit="fold"), start=1):
        start = time.perf_counter()
        train = kb.without(held)
        rec = Recommender(random_state=args.seed, use_ranker=False).fit(train)
        best_k = _best_kmeans_k(cands[~cands["content_hash"].isin(held)])
        k_model = _fit_k_model(rec, train, best_k, args.seed)
        surrogates = {
            "surrogate": SurrogateObjective(random_state=args.seed).fit(train),
            "surrogate_sweep": SurrogateObjective(random_state=args.seed, sweep=True).fit(train),
        }
        for h in sorted(held):
            part = by_hash[h]
            mf = kb.metafeatures.loc[h]
            km = part[part["algorithm"] == "kmeans"]
            true_k = float(kb.value(h, "n_classes"))
            row: dict[str, Any] = {
                "content_hash": h,
                "dataset": kb.value(h, "source"),
                "corpus": kb.corpus_of(h),
                "kind": kb.kind_of(h),
                "fold": f,
                "candidates": len(part),
                "true_k": true_k,
                "oracle": float(part["ari"].max()),
                "kmeans_oracle": float(km["ari"].max()),
                "kmeans_true_k": _at_k(km, true_k),
                "kmeans_k8": _at_k(km, 8),
                "kmeans_silhouette_k": _pick(km, km["silhouette"].to_numpy(dtype=float)),
            }
            metarec_k = float(rec.recommend(mf, top=1).n_clusters)
            row["metarec_k"] = metarec_k
            row["kmeans_metarec_k"] = _at_k(km, metarec_k)
            x = rec.scaler_.transform(mf)
            _, order, w = rec._neighbourhood(x)
            ks = best_k.reindex([rec.hashes_[i] for i in order]).to_numpy(dtype=float)
            ok = np.isfinite(ks)
            row["neighbour_sweep_k"] = _weighted_median(ks[ok], w[ok]) if ok.any() else 8.0
            row["kmeans_neighbour_sweep_k"] = _at_k(km, row["neighbour_sweep_k"])
            row["learned_k"] = float(np.exp(k_model.predict(x.reshape(1, -1))[0]))
            row["kmeans_learned_k"] = _at_k(km, row["learned_k"])
            for name, sign in SIGN.items():
                row[name] = _pick(part, sign * part[name].to_numpy(dtype=float))
            configs = list(part["config"])
            for name, model in surrogates.items():
                scores = model.score_many(mf, configs, part)
                row[name] = _pick(part, scores)
                row[f"{name}_k"] = float(part["k"].to_numpy()[int(np.argmax(scores))])
                if name == "surrogate_sweep":
                    is_km = (part["algorithm"] == "kmeans").to_numpy()
                    row["kmeans_surrogate_sweep_k"] = _pick(km, scores[is_km])
            rows.append(row)
        tqdm.write(f"fold {f}: {len(held)} datasets, {time.perf_counter() - start:.0f} s")
    per = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    per.to_csv(out / "per_dataset.csv", index=False)
    summary = summarise(per)
    summary.to_csv(out / "summary.csv", index=False)
    report = _report(per, summary, args)
    (out / "report.md").write_text(report)
    print(report)
    return 0


def _best_kmeans_k(cands: pd.DataFrame) -> pd.Series:
    """Per dataset, the k of its best KMeans partition in the sweep."""
    km = cands[cands["algorithm"] == "kmeans"]
    best = km.loc[km.groupby("content_hash")["ari"].idxmax()]
    return best.set_index("content_hash")["k"].astype(float)


def _fit_k_model(rec: Any, train: Any, best_k: pd.Series, seed: int) -> Any:
    """LightGBM regressor of log(best KMeans k) on the recommender's scaled meta-features."""
    import lightgbm as lgb

    hashes = [h for h in best_k.index if h in train.metafeatures.index]
    X = rec.scaler_.transform(train.metafeatures.loc[hashes])
    y = np.log(best_k.loc[hashes].to_numpy())
    model = lgb.LGBMRegressor(
        n_estimators=200,
        learning_rate=0.05,
        num_leaves=15,
        min_child_samples=10,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.5,
        random_state=seed,
        n_jobs=1,
        verbose=-1,
    )
    return model.fit(X, y)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][int(np.searchsorted(cum, 0.5 * cum[-1]))])


def _sweep_size(n_rows: int) -> int:
    from metarec.space import k_sweep

    return len(k_sweep(n_rows))


def summarise(per: pd.DataFrame) -> pd.DataFrame:
    """Mean ARI of every way, the mean per-dataset fraction of the oracle, by stratum."""
    ways = (*KMEANS_WAYS, "kmeans_oracle", *SCORERS, "oracle")
    strata = [("all", per)]
    strata += [(f"kind={k}", g) for k, g in per.groupby("kind")]
    strata += [(f"corpus={c}", g) for c, g in per.groupby("corpus")]
    out = []
    for name, g in strata:
        row: dict[str, Any] = {"stratum": name, "datasets": len(g)}
        for w in ways:
            row[w] = g[w].mean()
        for w in SCORERS:
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = np.where(g["oracle"] > 0, g[w] / g["oracle"], np.nan)
            row[f"{w}/oracle"] = float(np.nanmean(ratio))
        out.append(row)
    return pd.DataFrame(out)


def _report(per: pd.DataFrame, summary: pd.DataFrame, args: argparse.Namespace) -> str:
    from metarec.evaluation import markdown_table, paired_p

    cmd = f"python scripts/eval_k_choice.py --db {args.db} --folds {args.folds} --out {args.out}"
    k_table = summary[["stratum", "datasets", *KMEANS_WAYS, "kmeans_oracle"]]
    s_table = summary[
        ["stratum", "datasets", *SCORERS, "oracle", *(f"{w}/oracle" for w in SCORERS)]
    ]
    medians = per[[*KMEANS_WAYS, *SCORERS, "oracle"]].median().to_frame("median").T
    tests = []
    for stratum, g in [("all", per), *((f"kind={k}", x) for k, x in per.groupby("kind"))]:
        for a, b in [
            ("surrogate_sweep", "surrogate"),
            ("surrogate_sweep", "silhouette"),
            ("surrogate", "silhouette"),
            ("kmeans_metarec_k", "kmeans_k8"),
            ("kmeans_silhouette_k", "kmeans_k8"),
        ]:
            tests.append(
                {
                    "stratum": stratum,
                    "a": a,
                    "b": b,
                    "mean a": g[a].mean(),
                    "mean b": g[b].mean(),
                    "p(a > b)": paired_p(g[a], g[b]),
                    "p(b > a)": paired_p(g[b], g[a]),
                }
            )
    return "\n\n".join(
        [
            f"# Choosing k and partitions on the k sweep, held out\n\n`{cmd}`",
            "## KMeans (standard scaling) with k chosen by each way: mean ARI\n\n"
            + markdown_table(k_table),
            "## Scorers picking one of all the sweep's partitions: mean ARI and "
            "mean per-dataset fraction of the best partition\n\n" + markdown_table(s_table),
            "## Medians (all datasets)\n\n" + markdown_table(medians.reset_index(drop=True)),
            "## One-sided Wilcoxon tests, paired by dataset\n\n"
            + markdown_table(pd.DataFrame(tests), floatfmt=".3g"),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
