"""Density and cluster-tendency meta-features."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import pairwise_distances_argmin_min

from metarec.metafeatures._context import Context
from metarec.metafeatures.base import MetaFeatureGroup

__all__ = ["Density"]

_K = 5


class Density(MetaFeatureGroup):
    """Hopkins statistic, k-NN distance distribution and the share of dense points.

    * ``hopkins``: sum of distances from uniform points in the sample's bounding box
      to their nearest sample row, over that plus the same sum for sample rows
      (about 0.5 for uniform data, towards 1 for clustered data);
    * ``knn5.*``: distance to the 5th nearest neighbour, relative to the median
      pairwise distance (mean, coefficient of variation, 10/50/90 % quantiles);
    * ``dense_share.q01`` / ``q05``: share of rows with at least 5 neighbours within
      the 1 % / 5 % quantile of pairwise distances (DBSCAN core points at that eps);
    * ``nn_ratio``: mean nearest-neighbour distance over mean pairwise distance.
    """

    name = "density"

    def feature_names(self) -> list[str]:
        return [
            "hopkins",
            "knn5.mean",
            "knn5.cv",
            "knn5.q10",
            "knn5.q50",
            "knn5.q90",
            "dense_share.q01",
            "dense_share.q05",
            "nn_ratio",
        ]

    def compute(self, ctx: Context) -> dict[str, float]:
        x, knn, dist = ctx.X, ctx.knn, ctx.distances
        n = x.shape[0]
        quantiles = ctx.distance_quantiles
        median = quantiles[50]
        if n < 3 or not dist.size or not median > 0:
            return {}
        out: dict[str, float] = {"hopkins": _hopkins(x, knn[:, 0], ctx.rng(11))}
        k = min(_K, knn.shape[1])
        kd = knn[:, k - 1] / median
        out["knn5.mean"] = float(kd.mean())
        out["knn5.cv"] = float(kd.std() / kd.mean()) if kd.mean() > 0 else np.nan
        q10, q50, q90 = np.percentile(kd, [10, 50, 90])
        out.update({"knn5.q10": float(q10), "knn5.q50": float(q50), "knn5.q90": float(q90)})
        for q in (1, 5):
            eps = quantiles[q]
            out[f"dense_share.q{q:02d}"] = float((knn[:, k - 1] <= eps).mean())
        out["nn_ratio"] = float(knn[:, 0].mean() / dist.mean())
        return out


def _hopkins(x: np.ndarray, nn: np.ndarray, rng: np.random.Generator) -> float:
    n = x.shape[0]
    m = int(min(max(10, n // 10), 200, n))
    lo, hi = x.min(axis=0), x.max(axis=0)
    uniform = rng.uniform(lo, hi, size=(m, x.shape[1]))
    _, u = pairwise_distances_argmin_min(uniform, x)
    w = nn[rng.choice(n, m, replace=False)]
    total = u.sum() + w.sum()
    return float(u.sum() / total) if total > 0 else float("nan")
