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
KMeans k in the sweep), ``kmeans_learned_k`` (the recommender's LightGBM score model
regressing log best sweep k on the meta-features);

*scorers picking among all the dataset's sweep partitions* (issue 21's
measure: the ARI of the pick divided by the best of the set):
``silhouette``, ``calinski_harabasz``, ``davies_bouldin`` (the internal
indices), ``surrogate`` (the label-free objective as shipped: learned from the
design's runs; a surrogate learned also from the k sweep's runs was retired:
docs/benchmarks/retired.md) and ``set_ranker`` (an experiment for issue 21: a
LambdaRank model over the candidate set itself, from each partition's indices
*relative to the other candidates of the set* (silhouette minus the set's best,
Calinski-Harabasz over the set's best, rank of each index within its
algorithm's curve, the step of each index from k-1 to k, k over the
silhouette-best k, the partition's shape), its algorithm and log k, and the
dataset's meta-features; trained on the training datasets' sweeps); ``oracle``
is the best partition of the set.

*a budgeted recommendation, simulated on recorded runs* (issue 21's
"candidate partitions scored before recommending"): ``top1`` is the zero-shot
recommendation's recorded ARI (the harness's metarec), and
``portfolio_surrogate`` / ``portfolio_silhouette`` pick, by the surrogate or
by silhouette, among its top 5 and the sweep's partitions at k-1, k and k+1 of
its number of clusters; ``portfolio_oracle`` is the best of those candidates.

Writes ``OUT/per_dataset.csv``, ``OUT/summary.csv`` and ``OUT/report.md``
(means, medians, mean of per-dataset fractions of the oracle, by kind and
corpus; one-sided Wilcoxon tests).

Usage::

    python experiments/eval_k_choice.py [--db shipped] [--folds 10] [--out benchmarks/k_choice]
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
)
SCORERS = (
    "silhouette",
    "calinski_harabasz",
    "davies_bouldin",
    "surrogate",
    "set_ranker",
)
PORTFOLIO = ("top1", "portfolio_silhouette", "portfolio_surrogate", "portfolio_oracle")
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


def sweep_candidates(kb: Any) -> tuple[pd.DataFrame, list[str]]:
    """Every dataset's runs of its k sweep, with ``algorithm`` and ``k`` columns, and
    the datasets whose sweep is whole.

    A sweep configuration that the design also drew was run once, as a design run
    (``tests/test_shipped.py``): those design runs are part of the sweep here.
    Only successful runs with an ARI are candidates; a dataset's sweep is whole when
    every one of its configurations was run (whatever the outcome).
    """
    from metarec.models.surrogate import scored_runs
    from metarec.space import config_hash, k_sweep

    have = kb.metafeatures.index
    sweep = kb.sweep_runs[kb.sweep_runs["content_hash"].isin(have)]
    design = kb.runs[kb.runs["content_hash"].isin(set(sweep["content_hash"]))]
    design = design.assign(config=list(kb.configs.loc[design["config_hash"], "config"]))
    want: dict[int, set[str]] = {}
    parts, whole = [], []
    design_of = dict(iter(design.groupby("content_hash")))
    for h, own in sweep.groupby("content_hash", sort=True):
        n = int(kb.value(h, "n_rows"))
        if n not in want:
            want[n] = {config_hash(c) for c in k_sweep(n)}
        mine = design_of.get(h, design.iloc[:0])
        mine = mine[mine["config_hash"].isin(want[n])]
        runs = pd.concat([own, mine], ignore_index=True)
        if set(runs["config_hash"]) >= want[n]:
            whole.append(str(h))
        parts.append(runs)
    if not parts:
        raise SystemExit("no k-sweep runs in this meta-database: build it with --k-sweep")
    runs = scored_runs(pd.concat(parts, ignore_index=True)).copy()
    runs["algorithm"] = [c["algorithm"] for c in runs["config"]]
    runs["k"] = [_k_of(c) for c in runs["config"]]
    return runs, whole


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
        "--partial", action="store_true", help="also datasets whose sweep is not finished (a try)"
    )
    args = parser.parse_args()

    from tqdm.auto import tqdm

    from metarec.evaluation import heldout_folds, heldout_splits
    from metarec.knowledge import KnowledgeBase
    from metarec.models.recommender import Recommender
    from metarec.models.surrogate import SurrogateObjective

    kb = KnowledgeBase.load(args.db)
    cands, whole = sweep_candidates(kb)
    if args.partial:  # a try on a build still running: half-done sweeps too
        sizes = cands.groupby("content_hash").size()
        complete = sorted(sizes.index[sizes >= 30])
    else:
        complete = sorted(whole)
    print(f"{len(complete)} datasets with a complete k sweep", flush=True)
    if len(complete) < 20:
        raise SystemExit("fewer than 20 datasets with a complete k sweep: build it first")
    by_hash = {h: g for h, g in cands[cands["content_hash"].isin(complete)].groupby("content_hash")}
    from metarec.models.surrogate import scored_runs

    design_ok = scored_runs(kb.runs[kb.runs["content_hash"].isin(complete)])
    design_ok = design_ok.assign(config=list(kb.configs.loc[design_ok["config_hash"], "config"]))
    rows: list[dict[str, Any]] = []
    folds = heldout_splits(kb, args.folds, args.seed, among=complete)
    n_folds = len(heldout_folds(kb, args.folds, args.seed, among=complete))
    for f, held, train in tqdm(folds, desc="folds", unit="fold", total=n_folds):
        start = time.perf_counter()
        rec = Recommender(random_state=args.seed).fit(train)  # as the harness's metarec
        best_k = _best_kmeans_k(cands[~cands["content_hash"].isin(held)])
        k_model = _fit_k_model(rec, train, best_k, args.seed)
        surrogates = {"surrogate": SurrogateObjective(random_state=args.seed).fit(train)}
        train_sets = cands[~cands["content_hash"].isin(held)]
        set_ranker = _fit_set_ranker(train_sets, train, rec, args.seed)
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
            neighbours = rec.recommend(mf, top=1).neighbours  # nearest first, with weights
            by_source = dict(zip(rec.kb_.datasets["source"], rec.kb_.datasets.index, strict=True))
            w = neighbours["weight"].to_numpy(dtype=float)
            ks = best_k.reindex([by_source[s] for s in neighbours["source"]]).to_numpy(dtype=float)
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
            feats = set_features(part, rec.scaler_.transform(mf)[0])
            row["set_ranker"] = _pick(part, set_ranker.predict(feats))
            row.update(_portfolio(rec, mf, h, part, design_ok, kb, surrogates["surrogate"]))
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


SWEEP_ALGOS = ("kmeans", "agglomerative", "gmm")


def set_features(part: pd.DataFrame, mf: np.ndarray) -> np.ndarray:
    """Features of each candidate partition of one dataset, relative to the others."""
    from metarec.scoring import SIZES

    sil = part["silhouette"].to_numpy(dtype=float)
    ch = np.log1p(np.maximum(part["calinski_harabasz"].to_numpy(dtype=float), 0))
    db = part["davies_bouldin"].to_numpy(dtype=float)
    k = part["k"].to_numpy(dtype=float)
    algo = part["algorithm"].to_numpy()
    cols = [sil, ch, db, np.log(k)]
    with np.errstate(invalid="ignore", divide="ignore"):
        cols += [sil - np.nanmax(sil), ch - np.nanmax(ch), db - np.nanmin(db)]
        k_sil = k[int(np.nanargmax(sil))] if np.isfinite(sil).any() else np.nan
        cols.append(np.log(k) - np.log(k_sil))
    rank_cols = np.full((len(part), 6), np.nan)
    for a in SWEEP_ALGOS:
        m = algo == a
        if not m.any():
            continue
        order = np.argsort(k[m], kind="stable")
        idx = np.flatnonzero(m)[order]
        for j, v in enumerate((sil, ch, db)):
            vals = v[idx]
            rank_cols[idx, j] = pd.Series(vals).rank(pct=True).to_numpy()
            step = np.diff(vals, prepend=np.nan)
            rank_cols[idx, 3 + j] = step
    onehot = np.column_stack([(algo == a).astype(float) for a in SWEEP_ALGOS])
    sizes = part.reindex(columns=list(SIZES)).to_numpy(dtype=float)
    base = np.column_stack(cols)
    return np.hstack([base, rank_cols, onehot, sizes, np.tile(mf, (len(part), 1))])


def _fit_set_ranker(train_sets: pd.DataFrame, train: Any, rec: Any, seed: int) -> Any:
    import lightgbm as lgb

    from metarec.models.surrogate import GRADES, relevance_grades

    X, y, groups = [], [], []
    for h, part in train_sets.groupby("content_hash", sort=True):
        if h not in train.metafeatures.index or len(part) < 6:
            continue
        X.append(set_features(part, rec.scaler_.transform(train.metafeatures.loc[h])[0]))
        y.append(relevance_grades(part["ari"].to_numpy(dtype=float)))
        groups.append(len(part))
    model = lgb.LGBMRanker(
        objective="lambdarank",
        n_estimators=300,
        learning_rate=0.05,
        num_leaves=31,
        min_child_samples=20,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        label_gain=list(range(GRADES + 1)),
        lambdarank_truncation_level=10,
        random_state=seed,
        n_jobs=1,
        verbose=-1,
    )
    return model.fit(np.vstack(X), np.concatenate(y), group=groups)


def _portfolio(
    rec: Any,
    mf: pd.Series,
    h: str,
    sweep: pd.DataFrame,
    design_ok: pd.DataFrame,
    kb: Any,
    surrogate: Any,
) -> dict[str, float]:
    """The recommendation's top 5 and the sweep's partitions at k-1, k, k+1 (k: the
    recommendation's number of clusters), scored as a budgeted recommendation would
    score them; the picks' recorded ARIs."""
    top = rec.recommend(mf, top=5)
    hashes = [it.config_hash for it in top.items]
    scores = kb.score_matrix.loc[h]
    mine = design_ok[(design_ok["content_hash"] == h) & design_ok["config_hash"].isin(hashes)]
    near = sweep[(sweep["k"] - top.n_clusters).abs() <= 1]
    part = pd.concat([mine, near], ignore_index=True)
    out = {
        "top1": float(np.nan_to_num(scores.get(hashes[0], np.nan))),
        "top1_k": float(top.n_clusters),
        "portfolio_size": float(len(part)),
    }
    if not len(part):
        return {
            **out,
            "portfolio_surrogate": out["top1"],
            "portfolio_silhouette": out["top1"],
            "portfolio_oracle": out["top1"],
        }
    predicted = surrogate.score_many(mf, list(part["config"]), part)
    out["portfolio_surrogate"] = _pick(part, predicted)
    out["portfolio_silhouette"] = _pick(part, part["silhouette"].to_numpy(dtype=float))
    out["portfolio_oracle"] = float(part["ari"].max())
    return out


def _best_kmeans_k(cands: pd.DataFrame) -> pd.Series:
    """Per dataset, the k of its best KMeans partition in the sweep."""
    km = cands[cands["algorithm"] == "kmeans"]
    best = km.loc[km.groupby("content_hash")["ari"].idxmax()]
    return best.set_index("content_hash")["k"].astype(float)


def _fit_k_model(rec: Any, train: Any, best_k: pd.Series, seed: int) -> Any:
    """The recommender's LightGBM score model, here regressing log(best KMeans k) on the
    recommender's scaled meta-features."""
    from metarec.models import fit_score_model

    hashes = [h for h in best_k.index if h in train.metafeatures.index]
    X = rec.scaler_.transform(train.metafeatures.loc[hashes])
    return fit_score_model(X, np.log(best_k.loc[hashes].to_numpy()), seed)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][int(np.searchsorted(cum, 0.5 * cum[-1]))])


def summarise(per: pd.DataFrame) -> pd.DataFrame:
    """Mean ARI of every way, the mean per-dataset fraction of the oracle, by stratum."""
    ways = (*KMEANS_WAYS, "kmeans_oracle", *SCORERS, "oracle", *PORTFOLIO)
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
            row[f"{w} share"] = float(g[w].mean() / g["oracle"].mean())
        out.append(row)
    return pd.DataFrame(out)


def _report(per: pd.DataFrame, summary: pd.DataFrame, args: argparse.Namespace) -> str:
    from metarec.evaluation import markdown_table, paired_p

    cmd = (
        f"python experiments/eval_k_choice.py --db {args.db} --folds {args.folds} --out {args.out}"
    )
    k_table = summary[["stratum", "datasets", *KMEANS_WAYS, "kmeans_oracle"]]
    s_table = summary[["stratum", "datasets", *SCORERS, "oracle"]]
    r_table = summary[
        ["stratum", *(f"{w}/oracle" for w in SCORERS), *(f"{w} share" for w in SCORERS)]
    ]
    p_table = summary[["stratum", "datasets", *PORTFOLIO, "kmeans_k8", "kmeans_true_k"]]
    medians = per[[*KMEANS_WAYS, *SCORERS, "oracle", *PORTFOLIO]].median().to_frame("median").T
    tests = []
    for stratum, g in [("all", per), *((f"kind={k}", x) for k, x in per.groupby("kind"))]:
        for a, b in [
            ("portfolio_surrogate", "top1"),
            ("portfolio_surrogate", "portfolio_silhouette"),
            ("top1", "kmeans_k8"),
            ("set_ranker", "surrogate"),
            ("set_ranker", "silhouette"),
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
            "## Scorers picking one of all the sweep's partitions: mean ARI\n\n"
            + markdown_table(s_table),
            "## The same as fractions of the best partition: `X/oracle` is the mean of "
            "per-dataset ratios (datasets with a best ARI of 0 left out), `X share` the "
            "ratio of the means\n\n" + markdown_table(r_table),
            "## A budgeted recommendation, simulated on recorded runs: the zero-shot "
            "top-1, and a pick among its top 5 and the sweep's partitions at k-1..k+1 of its "
            "number of clusters, by silhouette or by the surrogate; mean ARI\n\n"
            + markdown_table(p_table),
            "## Medians (all datasets)\n\n" + markdown_table(medians.reset_index(drop=True)),
            "## One-sided Wilcoxon tests, paired by dataset\n\n"
            + markdown_table(pd.DataFrame(tests), floatfmt=".3g"),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
