"""The data's own k: the KMeans sweep with silhouettes on the screening's subsample, run
while the models load, whose partitions are candidates too."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from metarec.dataset import Dataset
from metarec.runner import PreparedData
from metarec.space import k_cap

__all__ = ["Sweep", "data_k", "kmeans_sweep", "sweep"]


#: Up to this many rows :func:`kmeans_sweep` computes the distance matrix once.
PRECOMPUTED_ROWS = 2000


def sweep_ks(prepared: PreparedData) -> range:
    """The numbers of clusters :func:`kmeans_sweep` tries: 2 to ``k_cap`` of the rows."""
    return range(2, max(2, k_cap(prepared.dataset.shape[0])) + 1)


def kmeans_sweep(
    prepared: PreparedData, random_state: int = 0
) -> tuple[int, dict[int, np.ndarray]]:
    """The data's own number of clusters and the partitions that chose it.

    KMeans (one k-means++ start) of the standard-scaled matrix at every k of
    :func:`sweep_ks` (fewer than the distinct rows); the k with the best
    silhouette wins, as a user's "KMeans with k by silhouette" would choose it.

    Parameters
    ----------
    prepared : PreparedData
        The (subsampled) data.
    random_state : int, default=0
        Seed of KMeans.

    Returns
    -------
    k : int
        The silhouette-best k (2 when none has two clusters).
    partitions : dict of int to ndarray
        Each k's labels.
    """
    import warnings

    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import pairwise_distances, silhouette_score

    X = prepared.eval_matrix
    distinct = len(np.unique(X, axis=0))
    # the distances once for every k (the same silhouettes, in a third of the time)
    small = len(X) <= PRECOMPUTED_ROWS
    D = pairwise_distances(X) if small else X
    best_k, best = 2, -np.inf
    parts: dict[int, np.ndarray] = {}
    for k in sweep_ks(prepared):
        if k >= distinct:
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            labels = KMeans(k, n_init=1, random_state=random_state).fit_predict(X)
        parts[k] = labels
        if len(np.unique(labels)) < 2:
            continue
        s = silhouette_score(D, labels, metric="precomputed" if small else "euclidean")
        if s > best:
            best_k, best = k, float(s)
    return best_k, parts


@dataclass
class Sweep:
    """The data's own k sweep on a screening's subsample (:func:`sweep`).

    Attributes
    ----------
    prepared : PreparedData
        The subsample the candidates run on.
    k : int
        The silhouette-best number of clusters.
    partitions : dict of int to ndarray
        Each swept k's KMeans labels.
    subsample, random_state : int
        What the subsample was drawn with.
    """

    prepared: PreparedData
    k: int
    partitions: dict[int, np.ndarray]
    subsample: int
    random_state: int


def sweep(dataset: Dataset, subsample: int = 1000, random_state: int = 0) -> Sweep:
    """Draw the screening's subsample of ``dataset`` and run :func:`kmeans_sweep` on it.

    It needs neither the models nor the meta-features, so :func:`metarec.recommend`
    runs it while they load and hands it to :func:`screen`.

    Parameters
    ----------
    dataset : Dataset
        The data (labels are dropped).
    subsample : int, default=1000
        Rows of the subsample.
    random_state : int, default=0
        Seed of the subsample and KMeans.

    Returns
    -------
    Sweep
    """
    data = dataclasses.replace(dataset.subsample(subsample, random_state), labelings=())
    prepared = PreparedData(data, random_state)
    prepared.eval_matrix  # noqa: B018 (computed once, before threads share it)
    k, parts = kmeans_sweep(prepared, random_state)
    return Sweep(prepared, k, parts, subsample, random_state)


def data_k(prepared: PreparedData, random_state: int = 0) -> int:
    """The data's own number of clusters (:func:`kmeans_sweep`'s k).

    Parameters
    ----------
    prepared : PreparedData
        The (subsampled) data.
    random_state : int, default=0
        Seed of KMeans.

    Returns
    -------
    int
    """
    return kmeans_sweep(prepared, random_state)[0]
