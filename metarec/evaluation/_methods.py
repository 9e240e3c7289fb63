"""What is compared: methods (a training knowledge base to a ranking function), metarec's
recommender and the baselines."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from metarec.knowledge import KnowledgeBase
from metarec.models._encoding import MetaFeatureScaler
from metarec.models.recommender import Recommender
from metarec.space import config_hash, default_config

__all__ = ["Method", "baseline_methods", "neighbour_average_config", "recommender_method"]


#: ``fit(train_kb) -> rank(content_hash, metafeatures) -> ranked config hashes or configs``
#: (or, for a baseline measured elsewhere, the ARI it achieved as a float)
Method = Callable[[KnowledgeBase], Callable[[str, pd.Series], Sequence[Any] | float]]


RANDOM = "random"


def recommender_method(**params: Any) -> Method:
    """A :class:`~metarec.models.recommender.Recommender` with these parameters, as a method."""

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
    return _nearest(train, "l1", k)


def _nearest_learned(train: KnowledgeBase, k: int = 5) -> Callable[[str, pd.Series], Sequence[Any]]:
    """Best configurations of the nearest datasets in the learned similarity space."""
    return _nearest(train, "learned", k)


def _nearest(
    train: KnowledgeBase, metric: str, k: int
) -> Callable[[str, pd.Series], Sequence[Any]]:
    hashes = train.dataset_hashes
    scaler = MetaFeatureScaler().fit(train.metafeatures.loc[hashes])
    x = scaler.transform(train.metafeatures.loc[hashes])
    best = train.score_matrix.loc[hashes].fillna(-1).idxmax(axis=1).to_numpy()
    embed = _embedder(train, metric, x)
    space = embed(x)

    def rank(_: str, mf: pd.Series) -> list[str]:
        q = embed(scaler.transform(mf))
        diff = space - q
        d = np.abs(diff).sum(axis=1) if metric == "l1" else (diff**2).sum(axis=1)
        out: list[str] = []
        for i in np.argsort(d, kind="stable"):
            if best[i] not in out:
                out.append(str(best[i]))
            if len(out) == k:
                break
        return out

    return rank


def _embedder(train: KnowledgeBase, metric: str, x: np.ndarray) -> Callable[[np.ndarray], Any]:
    if metric == "l1":
        return lambda m: m
    from metarec.models.similarity import SimilarityModel

    groups = train.near_duplicate_groups()
    hashes = train.dataset_hashes
    model = SimilarityModel().fit(
        x, train.score_matrix.loc[hashes], np.array([groups[h] for h in hashes])
    )
    return model.embed


def neighbour_average_config(
    configs: Sequence[Mapping[str, Any]],
    weights: Sequence[float] | np.ndarray,
    n_rows: Sequence[int] | np.ndarray,
) -> dict[str, Any]:
    """Similarity-weighted average of one algorithm's configurations (baseline (b) of
    the hyperparameter evaluation): numbers averaged (log-scale ones in log space,
    k as found on each dataset: capped by its size), categories by weighted vote.

    Parameters
    ----------
    configs : sequence of mapping
        The neighbours' best configurations of one algorithm.
    weights : sequence of float
    n_rows : sequence of int
        The neighbours' sizes (caps of k).

    Returns
    -------
    dict
    """
    from metarec.space import ALGORITHMS, PREPROCESSING, canonicalize, k_cap

    algorithm = configs[0]["algorithm"]
    w = np.asarray(weights, dtype=float) / float(np.sum(weights))

    def vote(values: list[Any]) -> Any:
        tally: dict[Any, float] = {}
        for v, wi in zip(values, w, strict=True):
            tally[v] = tally.get(v, 0.0) + wi
        return max(tally, key=lambda v: tally[v])

    params: dict[str, Any] = {}
    for p in ALGORITHMS[algorithm].params:
        values = [c["params"].get(p.name, p.default) for c in configs]
        if p.kind == "cat":
            params[p.name] = vote(values)
            continue
        v = np.asarray(values, dtype=float)
        if p.name in ("n_clusters", "n_components"):
            v = np.minimum(v, [k_cap(int(n)) for n in n_rows])
        mean = float(np.exp(w @ np.log(v))) if p.log else float(w @ v)
        mean = min(max(mean, p.low), p.high)
        params[p.name] = round(mean) if p.kind == "int" else mean
    pre = {p.name: vote([c["preprocessing"][p.name] for c in configs]) for p in PREPROCESSING}
    return canonicalize({"algorithm": algorithm, "params": params, "preprocessing": pre})


def _kmeans_default(_: KnowledgeBase) -> Callable[[str, pd.Series], Sequence[Any]]:
    h = config_hash(default_config("kmeans"))
    return lambda _h, _mf: [h]


def _kmeans_true_k(kb: KnowledgeBase) -> Method:
    def fit(_: KnowledgeBase) -> Callable[[str, pd.Series], Sequence[Any]]:
        def rank(h: str, _mf: pd.Series) -> list[dict[str, Any]]:
            value: Any = kb.value(h, "n_classes")
            ok = value is not None and math.isfinite(float(value)) and float(value) >= 2
            k = int(value) if ok else 2
            return [{"algorithm": "kmeans", "params": {"n_clusters": min(k, 50)}}]

        return rank

    return fit


def precomputed_method(scores: Mapping[str, float]) -> Method:
    """A baseline whose achieved ARI per dataset was measured elsewhere (e.g. TPE runs)."""
    return lambda _kb: lambda h, _mf: float(scores.get(h, math.nan))


def baseline_methods(kb: KnowledgeBase) -> dict[str, Method]:
    """The baselines of the evaluation (the random baseline is computed exactly).

    Parameters
    ----------
    kb : KnowledgeBase

    Returns
    -------
    dict
        Method name -> method (a function of the training knowledge).
    """
    return {
        "kmeans_default": _kmeans_default,
        "kmeans_true_k": _kmeans_true_k(kb),
        "global_best": _global_best,
        "nearest_l1": _nearest_l1,
        "nearest_learned": _nearest_learned,
        RANDOM: lambda _kb: lambda _h, _mf: [],
    }
