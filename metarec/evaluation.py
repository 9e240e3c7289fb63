"""Held-out evaluation of recommenders against baselines, grouped by near-duplicates.

Every dataset is held out once. Its *group* (the dataset and every
near-duplicate: same content hash, or the same data rescaled, shuffled or
with permuted columns) is removed from the knowledge base before anything is
fitted; the methods then see only the held-out dataset's meta-features. Folds
are K groups of groups (``folds=K``) or one group each (``folds=0``).

A method maps a training knowledge base to a function from a dataset's
meta-features to a ranked list of configuration hashes. The recommended
configurations are scored by the ARI recorded in the full knowledge base, or,
for configurations never run on that dataset, by ``score_missing``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from metarec.knowledge import KnowledgeBase
from metarec.recommender import MetaFeatureScaler, Recommender
from metarec.space import config_hash, default_config

__all__ = [
    "EvaluationResult",
    "Method",
    "baseline_methods",
    "evaluate",
    "recommender_method",
    "summarize",
]

#: ``fit(train_kb) -> rank(content_hash, metafeatures) -> ranked config hashes or configs``
Method = Callable[[KnowledgeBase], Callable[[str, pd.Series], Sequence[Any]]]
RANDOM = "random"


def recommender_method(**params: Any) -> Method:
    """A :class:`~metarec.recommender.Recommender` with these parameters, as a method."""

    def fit(train: KnowledgeBase) -> Callable[[str, pd.Series], Sequence[Any]]:
        rec = Recommender(**params).fit(train)

        def rank(_: str, mf: pd.Series) -> list[str]:
            return [it.config_hash for it in rec.recommend(mf, top=5).items]

        return rank

    return fit


def _global_best(train: KnowledgeBase) -> Callable[[str, pd.Series], Sequence[Any]]:
    order = train.score_matrix.fillna(0).mean(axis=0).sort_values(ascending=False)
    ranked = list(order.index[:5])
    return lambda _h, _mf: ranked


def _nearest_l1(train: KnowledgeBase, k: int = 5) -> Callable[[str, pd.Series], Sequence[Any]]:
    """auto-sklearn's meta-learning: best configurations of the L1-nearest datasets."""
    hashes = train.dataset_hashes
    scaler = MetaFeatureScaler().fit(train.metafeatures.loc[hashes])
    x = scaler.transform(train.metafeatures.loc[hashes])
    best = train.score_matrix.loc[hashes].fillna(-1).idxmax(axis=1).to_numpy()

    def rank(_: str, mf: pd.Series) -> list[str]:
        d = np.abs(x - scaler.transform(mf)).sum(axis=1)
        out: list[str] = []
        for i in np.argsort(d, kind="stable"):
            if best[i] not in out:
                out.append(str(best[i]))
            if len(out) == k:
                break
        return out

    return rank


def _kmeans_default(_: KnowledgeBase) -> Callable[[str, pd.Series], Sequence[Any]]:
    h = config_hash(default_config("kmeans"))
    return lambda _h, _mf: [h]


def _kmeans_true_k(kb: KnowledgeBase) -> Method:
    def fit(_: KnowledgeBase) -> Callable[[str, pd.Series], Sequence[Any]]:
        def rank(h: str, _mf: pd.Series) -> list[dict[str, Any]]:
            k = kb.datasets.at[h, "n_classes"]
            k = int(k) if k is not None and math.isfinite(float(k)) and k >= 2 else 2
            return [{"algorithm": "kmeans", "params": {"n_clusters": min(k, 50)}}]

        return rank

    return fit


def baseline_methods(kb: KnowledgeBase) -> dict[str, Method]:
    """The baselines of the evaluation (the random baseline is computed exactly)."""
    return {
        "kmeans_default": _kmeans_default,
        "kmeans_true_k": _kmeans_true_k(kb),
        "global_best": _global_best,
        "nearest_l1": _nearest_l1,
        RANDOM: lambda _kb: lambda _h, _mf: [],
    }


def _groups_to_folds(groups: dict[str, int], folds: int, random_state: int) -> list[set[str]]:
    ids = sorted(set(groups.values()))
    if folds <= 0 or folds >= len(ids):
        parts = [[g] for g in ids]
    else:
        rng = np.random.default_rng(random_state)
        order = rng.permutation(ids)
        parts = [list(order[i::folds]) for i in range(folds)]
    return [{h for h, g in groups.items() if g in set(p)} for p in parts]


def _expected_best_of(values: np.ndarray, m: int) -> float:
    """Expected maximum of ``m`` configurations drawn without replacement."""
    v = np.sort(values[np.isfinite(values)])
    n = len(v)
    if n == 0:
        return float("nan")
    m = min(m, n)
    # P(max is the i-th smallest) = C(i-1, m-1) / C(n, m)
    weights = np.array([math.comb(i - 1, m - 1) for i in range(1, n + 1)], dtype=float)
    return float((weights * v).sum() / math.comb(n, m))


def _percentile(values: np.ndarray, x: float) -> float:
    v = values[np.isfinite(values)]
    if not len(v) or not math.isfinite(x):
        return float("nan")
    return float(((v < x).sum() + 0.5 * (v == x).sum()) / len(v))


def evaluate(
    kb: KnowledgeBase,
    methods: Mapping[str, Method],
    *,
    folds: int = 10,
    random_state: int = 0,
    score_missing: Callable[[str, dict[str, Any]], float] | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Per-dataset, per-method scores (top-1, best of top 5, oracle, regret, percentile)."""
    from tqdm.auto import tqdm

    full = kb.score_matrix
    groups = kb.near_duplicate_groups()
    groups = {h: g for h, g in groups.items() if h in full.index}
    fold_sets = _groups_to_folds(groups, folds, random_state)
    rows = []
    bar = tqdm(total=len(groups), desc="held-out datasets", disable=not progress)
    for held in fold_sets:
        train = kb.without(held)
        fitted = {name: fit(train) for name, fit in methods.items()}
        for h in sorted(held):
            values = full.loc[h].to_numpy(dtype=float)
            oracle = float(np.nanmax(values)) if np.isfinite(values).any() else float("nan")
            mf = kb.metafeatures.loc[h]
            for name, rank in fitted.items():
                if name == RANDOM:
                    top1 = float(np.nanmean(values))
                    top5 = _expected_best_of(values, 5)
                    pct = 0.5
                else:
                    ranked = list(rank(h, mf))[:5]
                    got = []
                    for item in ranked:
                        key = item if isinstance(item, str) else config_hash(item)
                        if key in full.columns and math.isfinite(full.at[h, key]):
                            got.append(float(full.at[h, key]))
                        elif score_missing is not None:
                            cfg = item if not isinstance(item, str) else kb.configs.at[key, "config"]
                            got.append(float(score_missing(h, cfg)))
                        else:
                            got.append(float("nan"))
                    top1 = got[0] if got else float("nan")
                    top5 = float(np.nanmax(got)) if np.isfinite(got).any() else float("nan")
                    pct = _percentile(values, top1)
                rows.append(
                    {
                        "content_hash": h,
                        "dataset": kb.datasets.at[h, "name"],
                        "source": kb.datasets.at[h, "source"],
                        "corpus": kb.corpus_of(h),
                        "group": groups[h],
                        "method": name,
                        "top1": top1,
                        "top5": top5,
                        "oracle": oracle,
                        "regret": oracle - top1,
                        "percentile": pct,
                    }
                )
            bar.update(1)
    bar.close()
    return pd.DataFrame(rows)


@dataclass
class EvaluationResult:
    """Aggregates of an evaluation: per corpus and method, and Wilcoxon tests."""

    summary: pd.DataFrame
    tests: pd.DataFrame


def summarize(per_dataset: pd.DataFrame, reference: str) -> EvaluationResult:
    """Mean/median top-1, best-of-5, ratio to the oracle, regret; Wilcoxon vs ``reference``."""
    frames = {"all": per_dataset}
    for corpus, part in per_dataset.groupby("corpus"):
        frames[str(corpus)] = part
    rows, tests = [], []
    for corpus, part in frames.items():
        for method, m in part.groupby("method", sort=False):
            rows.append(
                {
                    "corpus": corpus,
                    "method": method,
                    "datasets": m["content_hash"].nunique(),
                    "top1_mean": m["top1"].mean(),
                    "top1_median": m["top1"].median(),
                    "top5_mean": m["top5"].mean(),
                    "oracle_mean": m["oracle"].mean(),
                    "top1_over_oracle": m["top1"].mean() / m["oracle"].mean(),
                    "top5_over_oracle": m["top5"].mean() / m["oracle"].mean(),
                    "regret_mean": m["regret"].mean(),
                    "percentile_mean": m["percentile"].mean(),
                }
            )
        ref = part[part["method"] == reference].set_index("content_hash")["top1"]
        for method, m in part.groupby("method", sort=False):
            if method == reference:
                continue
            other = m.set_index("content_hash")["top1"].reindex(ref.index)
            ok = ref.notna() & other.notna()
            diff = ref[ok] - other[ok]
            if (diff != 0).sum() >= 5:
                res = stats.wilcoxon(ref[ok], other[ok], alternative="greater")
                p = float(res.pvalue)
            else:
                p = float("nan")
            tests.append(
                {
                    "corpus": corpus,
                    "reference": reference,
                    "baseline": method,
                    "datasets": int(ok.sum()),
                    "mean_difference": float(diff.mean()),
                    "wins": int((diff > 0).sum()),
                    "ties": int((diff == 0).sum()),
                    "losses": int((diff < 0).sum()),
                    "wilcoxon_p_greater": p,
                }
            )
    return EvaluationResult(pd.DataFrame(rows), pd.DataFrame(tests))
