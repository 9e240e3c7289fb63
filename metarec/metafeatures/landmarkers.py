"""Clustering landmarkers: cheap clusterings scored by internal validity indices."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import DBSCAN, KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from metarec.metafeatures._context import Context
from metarec.metafeatures.base import MetaFeatureGroup

__all__ = ["Landmarkers"]

#: k values of the silhouette-versus-k curve.
CURVE_K = tuple(range(2, 9))
#: k values whose k-means clustering is also scored by CH and DB.
SCORED_K = (2, 3, 5, 8)
_INDICES = ("silhouette", "log_calinski_harabasz", "davies_bouldin")


def _scores(x: np.ndarray, d: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    k = len(np.unique(labels))
    if k < 2 or k >= len(labels):
        return dict.fromkeys(_INDICES, float("nan"))
    return {
        "silhouette": float(silhouette_score(d, labels, metric="precomputed")),
        "log_calinski_harabasz": float(np.log1p(calinski_harabasz_score(x, labels))),
        "davies_bouldin": float(davies_bouldin_score(x, labels)),
    }


class Landmarkers(MetaFeatureGroup):
    """k-means, Ward, single linkage and DBSCAN on the landmark sample.

    * ``kmeans.kK.*`` for K in ``SCORED_K``: silhouette, log(1 + Calinski-Harabasz)
      and Davies-Bouldin of k-means (one seeded initialization);
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
            warnings.simplefilter("ignore", ConvergenceWarning)
            for k in CURVE_K:
                if k >= n:
                    curve.append(np.nan)
                    continue
                km = KMeans(n_clusters=k, n_init=1, max_iter=100, random_state=ctx.random_state)
                labels = km.fit_predict(x)
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
