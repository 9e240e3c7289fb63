"""Scores of a clustering: external (against reference labels) and internal indices."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import (
    adjusted_mutual_info_score,
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    normalized_mutual_info_score,
    silhouette_score,
)

__all__ = [
    "EXTERNAL",
    "INTERNAL",
    "SIZES",
    "external_scores",
    "internal_scores",
    "pairwise_ari",
    "size_measures",
]

EXTERNAL = ("ari", "ami", "nmi")
INTERNAL = ("silhouette", "calinski_harabasz", "davies_bouldin", "dbcv")

#: Shape of the partition found, from the labels alone (see :func:`size_measures`).
SIZES = ("size_entropy", "largest_fraction", "smallest_fraction")

#: Rows used for the quadratic internal indices (silhouette, DBCV), seeded.
INTERNAL_SAMPLE = 2000


def external_scores(
    labels: np.ndarray, labelings: Sequence[np.ndarray], noise_label: Any = None
) -> dict[str, float]:
    """ARI, AMI and NMI against each reference labeling; the best of each is kept.

    As the clustering benchmark suite prescribes, reference points labelled
    ``noise_label`` are left out of the comparison. A predicted noise label (-1)
    counts as one cluster.

    Parameters
    ----------
    labels : ndarray
        The partition found (-1 for noise).
    labelings : sequence of ndarray
        Reference labelings.
    noise_label : optional
        The reference label that marks noise points (left out of the comparison).

    Returns
    -------
    dict
        ``ari``, ``ami``, ``nmi``.
    """
    best = dict.fromkeys(EXTERNAL, float("nan"))
    for ref in labelings:
        ref = np.asarray(ref)
        keep = np.ones(len(ref), dtype=bool)
        if noise_label is not None:
            keep = np.asarray([str(v) != str(noise_label) for v in ref])
            if keep.sum() < 2:
                continue
        y, p = ref[keep].astype(str), labels[keep]
        scores = {
            "ari": adjusted_rand_score(y, p),
            "ami": adjusted_mutual_info_score(y, p),
            "nmi": normalized_mutual_info_score(y, p),
        }
        for k, v in scores.items():
            if not best[k] >= v:  # NaN-aware max
                best[k] = float(v)
    # rounding can put a perfect match a hair above 1 (1.0000000000000002)
    return {k: min(v, 1.0) if v == v else v for k, v in best.items()}


def internal_scores(
    X: np.ndarray, labels: np.ndarray, density: bool = False, random_state: int = 0
) -> dict[str, float]:
    """Silhouette, Calinski-Harabasz, Davies-Bouldin (and DBCV when ``density``).

    Computed on the points not labelled noise (-1); silhouette and DBCV on a
    seeded sample of at most ``INTERNAL_SAMPLE`` rows. NaN when fewer than two
    clusters remain.

    Parameters
    ----------
    X : ndarray
        The evaluation matrix (standard scaling, no PCA).
    labels : ndarray
        The partition found (-1 for noise).
    density : bool
        Also compute DBCV.
    random_state : int

    Returns
    -------
    dict
        ``silhouette``, ``calinski_harabasz``, ``davies_bouldin``, ``dbcv`` (NaN where
        undefined).
    """
    out = dict.fromkeys(INTERNAL, float("nan"))
    core = labels != -1
    xs, ls = X[core], labels[core]
    k = len(np.unique(ls))
    if k < 2 or k >= len(ls):
        return out
    rng = np.random.default_rng(random_state)
    idx = _sample(len(ls), rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if len(np.unique(ls[idx])) >= 2:
            out["silhouette"] = float(silhouette_score(xs[idx], ls[idx]))
        out["calinski_harabasz"] = float(calinski_harabasz_score(xs, ls))
        out["davies_bouldin"] = float(davies_bouldin_score(xs, ls))
        if density:
            out["dbcv"] = _dbcv(X, labels, rng)
    return out


def size_measures(labels: np.ndarray) -> dict[str, float]:
    """How the points split into clusters: no data, no reference labels needed.

    ``size_entropy`` is the entropy of the cluster sizes divided by its maximum
    (1: equal sizes, near 0: one cluster holds almost every point);
    ``largest_fraction`` and ``smallest_fraction`` are the shares of all points
    in the largest and the smallest cluster. Noise points (-1) belong to no
    cluster. NaN when no cluster was found; ``size_entropy`` is NaN for one cluster.

    Examples
    --------
    >>> import numpy as np
    >>> m = size_measures(np.array([0, 0, 0, 1, -1]))
    >>> round(m["largest_fraction"], 2), round(m["smallest_fraction"], 2)
    (0.6, 0.2)

    Parameters
    ----------
    labels : ndarray
        The partition found (-1 for noise).

    Returns
    -------
    dict
        ``size_entropy``, ``largest_fraction``, ``smallest_fraction``.
    """
    labels = np.asarray(labels)
    _, sizes = np.unique(labels[labels != -1], return_counts=True)
    if len(sizes) == 0:
        return dict.fromkeys(SIZES, float("nan"))
    share = sizes / sizes.sum()
    entropy = math.nan
    if len(sizes) > 1:
        entropy = float(-(share * np.log(share)).sum() / np.log(len(sizes)))
    return {
        "size_entropy": entropy,
        "largest_fraction": float(sizes.max() / len(labels)),
        "smallest_fraction": float(sizes.min() / len(labels)),
    }


def _sample(n: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices of a seeded sample of at most ``INTERNAL_SAMPLE`` rows."""
    return rng.choice(n, INTERNAL_SAMPLE, replace=False) if n > INTERNAL_SAMPLE else np.arange(n)


def _dbcv(X: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> float:
    from hdbscan.validity import validity_index

    idx = _sample(len(labels), rng)
    xs, ls = X[idx], labels[idx]
    if len(np.unique(ls[ls != -1])) < 2:
        return float("nan")
    # Duplicate points give zero core distances and divide by zero inside DBCV.
    xs = xs + rng.normal(scale=1e-9, size=xs.shape)
    try:
        with np.errstate(all="ignore"):
            value = float(validity_index(xs.astype(np.float64), ls.astype(np.intp)))
    except (ValueError, ZeroDivisionError, FloatingPointError, IndexError, AssertionError):
        # hdbscan's DBCV asserts on clusters too small for an internal spanning tree.
        return float("nan")
    return value if np.isfinite(value) else float("nan")


def pairwise_ari(labelings: Sequence[np.ndarray]) -> np.ndarray:
    """The adjusted Rand index of every pair of partitions of the same rows.

    The same numbers as :func:`sklearn.metrics.adjusted_rand_score` on each pair
    (the same pair counts, in exact integers), with each partition encoded once
    and each pair's contingency table counted with one ``bincount``: the
    screening compares twenty-odd partitions with each other, and the per-call
    checks of scikit-learn would cost more than the counting.

    Parameters
    ----------
    labelings : sequence of ndarray
        Cluster labels of the same rows, one array per partition.

    Returns
    -------
    ndarray of shape (n_partitions, n_partitions)
        Symmetric, ones on the diagonal.

    Examples
    --------
    >>> import numpy as np
    >>> a, b = np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0])
    >>> pairwise_ari([a, b, np.array([0, 1, 0, 1])]).round(2).tolist()
    [[1.0, 1.0, -0.5], [1.0, 1.0, -0.5], [-0.5, -0.5, 1.0]]
    """
    encoded = [np.unique(np.asarray(lab), return_inverse=True) for lab in labelings]
    codes = [inverse.ravel().astype(np.int64) for _, inverse in encoded]
    sizes = [len(values) for values, _ in encoded]
    n = len(codes[0]) if codes else 0
    if any(len(c) != n for c in codes):
        raise ValueError("every partition must label the same rows")
    # sum of squared cluster sizes of each partition: the pairs it puts together, x2 + n
    squares = [
        int((np.bincount(c, minlength=k) ** 2).sum()) for c, k in zip(codes, sizes, strict=True)
    ]
    out = np.eye(len(codes))
    for a in range(len(codes)):
        for b in range(a + 1, len(codes)):
            table = np.bincount(codes[a] * sizes[b] + codes[b], minlength=sizes[a] * sizes[b])
            both = int((table**2).sum())
            tp = both - n
            fp = squares[b] - both  # together in b only
            fn = squares[a] - both  # together in a only
            tn = n * n - fp - fn - both
            if fn == 0 and fp == 0:
                value = 1.0
            else:
                value = 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))
            out[a, b] = out[b, a] = value
    return out
