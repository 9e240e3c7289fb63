"""Does a learned task-similarity metric serve real data better than L1? Held out.

For each of the harness's folds of near-duplicate groups, every metric is fitted on
the other folds only; for each held-out *real* dataset its 5 nearest training
datasets are found in each metric and judged by what the held-out dataset's own
recorded runs say (used here only to judge):

* ``agreement``: the mean Spearman correlation between the held-out dataset's ARIs
  and each neighbour's over the configurations both ran (the metric's training
  target: do the neighbours rank configurations alike?);
* ``top1``: the ARI, on the held-out dataset, of the configuration with the best
  similarity-weighted mean ARI over the neighbours (the ``nearest`` baseline of
  ``metarec evaluate``), among the configurations the held-out dataset ran;
* ``recommender``: the zero-shot top-1 of the whole recommender (neighbour scores
  and the ranker) fitted with that metric.

Metrics: ``l1`` (scaled meta-features, the shipped default); ``learned``
(:class:`metarec.models.similarity.SimilarityModel` trained on every training
dataset, as ``Recommender(metric="learned")`` fits it); ``learned_real`` (the
same model trained on the real training datasets only, so that its target is
which real datasets rank configurations alike; the neighbours are still searched
among all training datasets); ``pairwise`` (the learned distance of Feurer et
al., 2015: a LightGBM regressor from a pair's meta-features, their absolute
difference and mean, to the Spearman correlation of the two datasets'
configuration scores, trained on the pairs of a real training dataset with every
other training dataset); ``pairwise_top`` (the same regressor with a target
aimed at the top-1: the ARI, on the anchor, of the partner's best configuration
over the anchor's best). The ``recommender`` measure is not computed for the
pairwise metrics (the recommender has no such metric).

Usage::

    python experiments/eval_similarity.py [--folds 6] [--out benchmarks/similarity]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))  # shared helpers

from _results import write_report

METRICS = ("l1", "learned", "learned_real", "pairwise", "pairwise_top")
K = 5


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    both = np.isfinite(a) & np.isfinite(b)
    if both.sum() < 10:
        return float("nan")
    ra = pd.Series(a[both]).rank().to_numpy()
    rb = pd.Series(b[both]).rank().to_numpy()
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def _pairs(X: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Features of the pairs (each row of ``X``, ``q``): |difference| and mean."""
    return np.hstack([np.abs(X - q), (X + q) / 2])


def _top_transfer(scores: pd.DataFrame) -> np.ndarray:
    """``T[i, j]``: the ARI on dataset i of dataset j's best configuration, over i's
    best ARI (NaN where i did not run it): how well j's answer serves i."""
    s = scores.to_numpy(dtype=float)
    best = np.nanargmax(np.where(np.isfinite(s), s, -np.inf), axis=1)
    top = np.nanmax(s, axis=1)
    out = s[:, best] / np.where(top > 0, top, np.nan)[:, None]
    return np.asarray(out)


def _pairwise_fit(
    X: np.ndarray, scores: pd.DataFrame, real: np.ndarray, seed: int, target_kind: str
) -> Any:
    """A learned distance after Feurer et al.: a regressor from a pair's meta-features
    to a target of the two datasets' runs (anchors: the real training datasets;
    partners: every training dataset). ``target_kind`` ``"spearman"``: the Spearman
    correlation of their configuration scores (Feurer et al.'s); ``"top"``: how well
    the partner's best configuration serves the anchor (:func:`_top_transfer`)."""
    import lightgbm as lgb

    from metarec.models.similarity import target_similarity

    target = target_similarity(scores) if target_kind == "spearman" else _top_transfer(scores)
    feats, ys = [], []
    for i in np.flatnonzero(real):
        others = np.flatnonzero((np.arange(len(X)) != i) & np.isfinite(target[i]))
        feats.append(_pairs(X[others], X[i]))
        ys.append(target[i, others])
    model = lgb.LGBMRegressor(
        n_estimators=300,
        learning_rate=0.05,
        num_leaves=31,
        subsample=0.5,
        subsample_freq=1,
        colsample_bytree=0.5,
        random_state=seed,
        verbose=-1,
        n_jobs=1,
    )
    return model.fit(np.vstack(feats), np.concatenate(ys))


def _fold(kb: Any, train: Any, held: list[str], seed: int) -> list[dict[str, Any]]:
    from metarec.models import MetaFeatureScaler
    from metarec.models.recommender import Recommender
    from metarec.models.similarity import SimilarityModel

    hashes = train.dataset_hashes
    scores = train.score_matrix.loc[hashes]
    groups_all = kb.near_duplicate_groups()
    groups = np.array([groups_all[h] for h in hashes])
    scaler = MetaFeatureScaler().fit(train.metafeatures.loc[hashes])
    X = scaler.transform(train.metafeatures.loc[hashes])
    real = np.array([train.kind_of(h) == "real" for h in hashes])
    models = {
        "learned": SimilarityModel(random_state=seed).fit(X, scores, groups),
        "learned_real": SimilarityModel(random_state=seed).fit(X[real], scores[real], groups[real]),
    }
    space = {"l1": X, **{m: model.embed(X) for m, model in models.items()}}
    pairwise = {
        "pairwise": _pairwise_fit(X, scores, real, seed, "spearman"),
        "pairwise_top": _pairwise_fit(X, scores, real, seed, "top"),
    }
    recs = {
        "l1": Recommender(random_state=seed).fit(train),
        "learned": Recommender(random_state=seed, metric="learned", similarity=models["learned"]),
        "learned_real": Recommender(
            random_state=seed, metric="learned", similarity=models["learned_real"]
        ),
    }
    recs["learned"].fit(train)
    recs["learned_real"].fit(train)
    full = kb.score_matrix
    cols = list(scores.columns)
    rows = []
    for h in held:
        if kb.kind_of(h) != "real" or h not in full.index:
            continue
        own = full.loc[h].reindex(cols).to_numpy(dtype=float)
        if np.isfinite(own).sum() < 10:
            continue
        x = scaler.transform(kb.metafeatures.loc[[h]])
        row: dict[str, Any] = {
            "content_hash": h,
            "dataset": kb.value(h, "source"),
            "corpus": kb.corpus_of(h),
            "oracle": float(np.nanmax(own)),
        }
        for m in METRICS:
            if m in pairwise:
                d = -pairwise[m].predict(_pairs(X, x[0]))
                d = d - d.min()  # a distance: 0 for the most similar
            else:
                q = x if m == "l1" else models[m].embed(x)
                d = (
                    np.abs(space[m] - q).sum(axis=1)
                    if m == "l1"
                    else np.sqrt(((space[m] - q) ** 2).sum(axis=1))
                )
            near = np.argsort(d, kind="stable")[:K]
            row[f"agreement_{m}"] = float(
                np.nanmean([_spearman(own, scores.iloc[j].to_numpy(dtype=float)) for j in near])
            )
            w = 1.0 / (1.0 + d[near])
            nb = scores.iloc[near].to_numpy(dtype=float)
            mean = np.nansum(nb * w[:, None], axis=0) / np.maximum(
                (np.isfinite(nb) * w[:, None]).sum(axis=0), 1e-12
            )
            mean = np.where(np.isfinite(own) & np.isfinite(nb).any(axis=0), mean, -np.inf)
            row[f"top1_{m}"] = float(own[int(np.argmax(mean))])
            if m not in recs:
                continue
            top = recs[m].recommend(kb.metafeatures.loc[h], top=len(cols)).items
            got = [full.loc[h].get(it.config_hash, np.nan) for it in top]
            got = [float(g) for g in got if np.isfinite(g)]
            row[f"recommender_{m}"] = got[0] if got else float("nan")
        rows.append(row)
    return rows


def main() -> int:
    from metarec.evaluation import heldout_splits, markdown_table, paired_p
    from metarec.knowledge import KnowledgeBase

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="shipped")
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/similarity")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    kb = KnowledgeBase.load(args.db)
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    for f, held, train in heldout_splits(kb, args.folds, args.seed):
        rows += _fold(kb, train, sorted(held), args.seed)
        print(f"fold {f}: {len(rows)} real datasets so far, {time.perf_counter() - start:.0f} s")
    per = pd.DataFrame(rows)
    per.to_csv(out / "per_dataset.csv", index=False)
    table, tests = [], []
    for corpus, g in [*per.groupby("corpus"), ("pooled", per)]:
        for measure in ("agreement", "top1", "recommender"):
            row: dict[str, Any] = {"corpus": corpus, "measure": measure, "datasets": len(g)}
            for m in METRICS:
                row[m] = g.get(f"{measure}_{m}", pd.Series(dtype=float)).mean()
            if measure != "agreement":
                row["oracle"] = g["oracle"].mean()
            table.append(row)
            for m in METRICS[1:]:
                if f"{measure}_{m}" not in g or g[f"{measure}_{m}"].isna().all():
                    continue
                tests.append(
                    {
                        "corpus": corpus,
                        "measure": measure,
                        "metric": m,
                        "p_better_than_l1": paired_p(g[f"{measure}_{m}"], g[f"{measure}_l1"]),
                        "p_worse_than_l1": paired_p(g[f"{measure}_l1"], g[f"{measure}_{m}"]),
                    }
                )
    lines = [
        "# A learned similarity against L1 on held-out real data",
        "",
        f"{len(per)} held-out real datasets, {args.folds} folds of near-duplicate groups; "
        f"{K} nearest training datasets in each metric:",
        "",
        markdown_table(pd.DataFrame(table)),
        "",
        "One-sided Wilcoxon over datasets:",
        "",
        markdown_table(pd.DataFrame(tests)),
    ]
    write_report(out / "report.md", lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
