"""Clustering landmarkers: cheap clusterings scored by internal validity indices."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.cluster.vq import kmeans2
from sklearn.cluster import DBSCAN
from sklearn.metrics import silhouette_score

from metarec.metafeatures._context import Context
from metarec.metafeatures.base import MetaFeatureGroup

__all__ = ["Landmarkers"]

#: k values of the silhouette-versus-k curve.
CURVE_K = tuple(range(2, 9))
#: k values whose k-means clustering is also scored by CH and DB.
SCORED_K = (2, 3, 5, 8)
_INDICES = ("silhouette", "log_calinski_harabasz", "davies_bouldin")


def calinski_harabasz_davies_bouldin(x: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Calinski-Harabasz and Davies-Bouldin indices in one pass over the clusters.

    Same definitions as scikit-learn's ``calinski_harabasz_score`` and
    ``davies_bouldin_score`` (checked in the tests), without their per-call overhead.
    """
    _, inv = np.unique(labels, return_inverse=True)
    k, n = int(inv.max()) + 1, len(labels)
    counts = np.bincount(inv, minlength=k).astype(float)
    centroids = np.zeros((k, x.shape[1]))
    np.add.at(centroids, inv, x)
    centroids /= counts[:, None]
    resid = x - centroids[inv]
    within = float((resid**2).sum())
    between = float((counts * ((centroids - x.mean(axis=0)) ** 2).sum(axis=1)).sum())
    ch = 1.0 if within == 0 else between * (n - k) / (within * (k - 1))
    scatter = np.bincount(inv, weights=np.sqrt((resid**2).sum(axis=1)), minlength=k) / counts
    cdist = np.sqrt(((centroids[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2))
    if np.allclose(scatter, 0) or np.allclose(cdist, 0):
        return ch, 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (scatter[:, None] + scatter[None, :]) / cdist
    ratio[~np.isfinite(ratio)] = 0.0
    np.fill_diagonal(ratio, 0.0)
    return ch, float(ratio.max(axis=1).mean())


def _scores(x: np.ndarray, d: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    k = len(np.unique(labels))
    if k < 2 or k >= len(labels):
        return dict.fromkeys(_INDICES, float("nan"))
    ch, db = calinski_harabasz_davies_bouldin(x, labels)
    return {
        "silhouette": float(silhouette_score(d, labels, metric="precomputed")),
        "log_calinski_harabasz": float(np.log1p(ch)),
        "davies_bouldin": db,
    }


class Landmarkers(MetaFeatureGroup):
    """k-means, Ward, single linkage and DBSCAN on the landmark sample.

    * ``kmeans.kK.*`` for K in ``SCORED_K``: silhouette, log(1 + Calinski-Harabasz)
      and Davies-Bouldin of k-means (SciPy's ``kmeans2``, one seeded k-means++ start);
    * ``silcurve.*``: the k-means silhouette for k = 2..8 summarized by its best k,
      best value, least-squares slope, range and whether it decreases monotonically;
    * ``ward.k3.*`` and ``single.k3.*``: the same indices for hierarchical
      clusterings cut at 3 clusters, plus the largest cluster's share for single
      linkage (chaining);
    * ``dbscan.*``: DBSCAN with min_samples=5 and eps the median 5-NN distance:
      clusters found, noise share, silhouette of the non-noise points.
    """

    name = "landmarkers"

    def feature_names(self) -> list[str]:
        names = [f"kmeans.k{k}.{i}" for k in SCORED_K for i in _INDICES]
        names += [
            "silcurve.best_k",
            "silcurve.best",
            "silcurve.slope",
            "silcurve.range",
            "silcurve.monotone_decreasing",
        ]
        names += [f"ward.k3.{i}" for i in _INDICES]
        names += [f"single.k3.{i}" for i in _INDICES] + ["single.k3.largest_share"]
        names += ["dbscan.clusters", "dbscan.noise_share", "dbscan.silhouette"]
        return names

    def compute(self, ctx: Context) -> dict[str, float]:
        x, d = ctx.XL, ctx.DL
        n = x.shape[0]
        out: dict[str, float] = {}
        if n < 4:
            return out
        curve = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # kmeans2: an empty cluster
            for k in CURVE_K:
                if k >= n:
                    curve.append(np.nan)
                    continue
                _, labels = kmeans2(x, k, iter=30, minit="++", seed=ctx.rng(100 + k))
                sc = _scores(x, d, labels)
                curve.append(sc["silhouette"])
                if k in SCORED_K:
                    out.update({f"kmeans.k{k}.{i}": v for i, v in sc.items()})
        out.update(_curve_shape(np.asarray(curve, dtype=float)))
        for method in ("ward", "single"):
            z = linkage(x, method=method)
            labels = fcluster(z, t=3, criterion="maxclust")
            out.update({f"{method}.k3.{i}": v for i, v in _scores(x, d, labels).items()})
            if method == "single":
                out["single.k3.largest_share"] = float(np.bincount(labels).max() / n)
        knn = np.sort(d, axis=1)[:, min(5, n - 1)]
        eps = float(np.median(knn))
        if eps > 0:
            labels = DBSCAN(eps=eps, min_samples=5, metric="precomputed").fit_predict(d)
            core = labels >= 0
            k = len(np.unique(labels[core]))
            out["dbscan.clusters"] = float(k)
            out["dbscan.noise_share"] = float(1.0 - core.mean())
            if 2 <= k < core.sum():
                out["dbscan.silhouette"] = float(
                    silhouette_score(d[np.ix_(core, core)], labels[core], metric="precomputed")
                )
        return out


def _curve_shape(curve: np.ndarray) -> dict[str, float]:
    ok = np.isfinite(curve)
    if ok.sum() < 2:
        return {}
    ks = np.asarray(CURVE_K, dtype=float)[ok]
    c = curve[ok]
    slope = float(np.polyfit(ks, c, 1)[0])
    return {
        "silcurve.best_k": float(ks[np.argmax(c)]),
        "silcurve.best": float(c.max()),
        "silcurve.slope": slope,
        "silcurve.range": float(c.max() - c.min()),
        "silcurve.monotone_decreasing": float(np.all(np.diff(c) <= 1e-12)),
    }
