"""Classical choices of the number of clusters, the baselines of the neural k head.

* :func:`silhouette_k`: the k in a range whose KMeans partition has the best
  silhouette;
* :func:`gap_statistic_k`: Tibshirani, Walther & Hastie (2001): the smallest k
  with ``gap(k) >= gap(k+1) - s(k+1)``, reference data drawn uniformly over the
  box of the data's principal components.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

__all__ = ["gap_statistic_k", "silhouette_k"]


def silhouette_k(X: np.ndarray, ks: range = range(2, 21), random_state: int = 0) -> int:
    """The k in ``ks`` whose KMeans partition of ``X`` has the highest silhouette.

    Parameters
    ----------
    X : ndarray
    ks : range, default=range(2, 11)
    random_state : int, default=0

    Returns
    -------
    int

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> X, _ = make_blobs(300, centers=4, random_state=0)
    >>> silhouette_k(X)
    4
    """
    best_k, best = ks[0], -np.inf
    for k in ks:
        if k >= len(X):
            break
        labels = KMeans(k, n_init=3, random_state=random_state).fit_predict(X)
        if len(set(labels.tolist())) < 2:
            continue
        s = silhouette_score(X, labels, sample_size=min(len(X), 2000), random_state=random_state)
        if s > best:
            best_k, best = k, s
    return int(best_k)


def _log_dispersion(X: np.ndarray, k: int, random_state: int) -> float:
    km = KMeans(k, n_init=1, random_state=random_state).fit(X)
    return float(np.log(max(km.inertia_, 1e-12)))


def gap_statistic_k(
    X: np.ndarray, ks: range = range(1, 21), n_refs: int = 5, random_state: int = 0
) -> int:
    """The gap statistic's choice of k (at least 2 is not enforced: 1 means no structure).

    Parameters
    ----------
    X : ndarray
    ks : range
    n_refs : int
        Uniform reference data sets per k.
    random_state : int, default=0

    Returns
    -------
    int

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> X, _ = make_blobs(300, centers=3, random_state=1)
    >>> gap_statistic_k(X)
    3
    """
    rng = np.random.default_rng(random_state)
    centred = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    rotated = centred @ vt.T
    lo, hi = rotated.min(axis=0), rotated.max(axis=0)
    refs = [rng.uniform(lo, hi, size=rotated.shape) @ vt for _ in range(n_refs)]
    gaps: list[float] = []
    sds: list[float] = []
    for k in ks:  # Tibshirani's rule needs gap(k + 1): stop at the first k that passes
        if k >= len(X):
            break
        ref = np.array([_log_dispersion(r, k, random_state) for r in refs])
        gaps.append(float(ref.mean() - _log_dispersion(X, k, random_state)))
        sds.append(float(ref.std() * np.sqrt(1 + 1 / n_refs)))
        if len(gaps) >= 2 and gaps[-2] >= gaps[-1] - sds[-1]:
            return int(ks[len(gaps) - 2])
    return int(ks[len(gaps) - 1])
