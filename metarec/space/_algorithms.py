"""The algorithms of the space: each one's parameters and the scikit-learn clusterer it builds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # optuna is imported where it is used: recommending does not need it
    pass
from metarec.space._params import K_MAX, DataScales, Param, k_cap

__all__ = ["ALGORITHMS", "PREPROCESSING", "AlgorithmSpec"]


@dataclass(frozen=True)
class AlgorithmSpec:
    """An algorithm of the space: its parameters and how to build an estimator."""

    name: str
    label: str
    params: tuple[Param, ...]
    factory: Callable[[dict[str, Any], DataScales, int], Any]
    density_based: bool = False
    uses_k: bool = True
    by_name: dict[str, Param] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {p.name: p for p in self.params})

    def active(self, values: Mapping[str, Any]) -> list[Param]:
        """Parameters active under ``values`` (conditions resolved against them)."""
        out = []
        for p in self.params:
            if p.condition is None:
                out.append(p)
                continue
            parent, allowed = p.condition
            parent_value = values.get(parent, self.by_name[parent].default)
            if parent_value in allowed:
                out.append(p)
        return out


def _k(params: Mapping[str, Any], scales: DataScales, key: str = "n_clusters") -> int:
    return int(min(params[key], k_cap(scales.n_rows), scales.n_rows - 1))


def _kmeans(p: dict[str, Any], s: DataScales, seed: int) -> Any:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=_k(p, s), init=p["init"], n_init=3, random_state=seed)


def _minibatch(p: dict[str, Any], s: DataScales, seed: int) -> Any:
    from sklearn.cluster import MiniBatchKMeans

    return MiniBatchKMeans(
        n_clusters=_k(p, s), batch_size=p["batch_size"], n_init=3, random_state=seed
    )


def _bisecting(p: dict[str, Any], s: DataScales, seed: int) -> Any:
    from sklearn.cluster import BisectingKMeans

    return BisectingKMeans(
        n_clusters=_k(p, s), bisecting_strategy=p["bisecting_strategy"], random_state=seed
    )


def _gmm(p: dict[str, Any], s: DataScales, seed: int) -> Any:
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(
        n_components=_k(p, s, "n_components"),
        covariance_type=p["covariance_type"],
        reg_covar=1e-5,
        random_state=seed,
    )


def _agglomerative(p: dict[str, Any], s: DataScales, seed: int) -> Any:
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(n_clusters=_k(p, s), linkage=p["linkage"])


def _birch(p: dict[str, Any], s: DataScales, seed: int) -> Any:
    from sklearn.cluster import Birch

    threshold = p["threshold_scale"] * s.kdist_quantile(5, 0.5)
    return Birch(n_clusters=_k(p, s), threshold=threshold)


def _dbscan(p: dict[str, Any], s: DataScales, seed: int) -> Any:
    from sklearn.cluster import DBSCAN

    eps = s.kdist_quantile(p["min_samples"], p["eps_quantile"])
    return DBSCAN(eps=eps, min_samples=int(p["min_samples"]))


def _hdbscan(p: dict[str, Any], s: DataScales, seed: int) -> Any:
    from sklearn.cluster import HDBSCAN

    size = max(2, round(p["min_cluster_size_frac"] * s.n_rows))
    return HDBSCAN(
        min_cluster_size=size,
        min_samples=int(min(p["min_samples"], s.n_rows - 1)),
        cluster_selection_method=p["cluster_selection_method"],
        copy=True,
    )


def _optics(p: dict[str, Any], s: DataScales, seed: int) -> Any:
    from sklearn.cluster import OPTICS

    return OPTICS(
        min_samples=int(min(p["min_samples"], s.n_rows - 1)),
        xi=p["xi"],
        min_cluster_size=max(2, round(p["min_cluster_size_frac"] * s.n_rows)),
    )


def _meanshift(p: dict[str, Any], s: DataScales, seed: int) -> Any:
    from sklearn.cluster import MeanShift

    return MeanShift(
        bandwidth=s.pairwise_quantile(p["bandwidth_quantile"]),
        bin_seeding=True,
        cluster_all=p["cluster_all"],
    )


def _spectral(p: dict[str, Any], s: DataScales, seed: int) -> Any:
    from sklearn.cluster import SpectralClustering

    if p["affinity"] == "rbf":
        return SpectralClustering(
            n_clusters=_k(p, s),
            affinity="rbf",
            gamma=p["gamma_scale"] / s.median_sq_distance,
            random_state=seed,
            assign_labels=p["assign_labels"],
        )
    return SpectralClustering(
        n_clusters=_k(p, s),
        affinity="nearest_neighbors",
        n_neighbors=int(min(p["n_neighbors"], s.n_rows - 1)),
        random_state=seed,
        assign_labels=p["assign_labels"],
    )


def _affinity(p: dict[str, Any], s: DataScales, seed: int) -> Any:
    from sklearn.cluster import AffinityPropagation

    # Preference: a quantile of the similarities (negative squared distances);
    # the median (scikit-learn's default) is preference_quantile = 0.5.
    preference = -(s.pairwise_quantile(1.0 - p["preference_quantile"]) ** 2)
    return AffinityPropagation(
        damping=p["damping"], preference=preference, random_state=seed, max_iter=300
    )


_K = Param("n_clusters", "int", 2, K_MAX, log=True, default=8)


ALGORITHMS: dict[str, AlgorithmSpec] = {
    spec.name: spec
    for spec in (
        AlgorithmSpec(
            "kmeans",
            "KMeans",
            (_K, Param("init", "cat", choices=("k-means++", "random"), default="k-means++")),
            _kmeans,
        ),
        AlgorithmSpec(
            "minibatch_kmeans",
            "MiniBatchKMeans",
            (_K, Param("batch_size", "cat", choices=(256, 1024, 4096), default=1024)),
            _minibatch,
        ),
        AlgorithmSpec(
            "bisecting_kmeans",
            "BisectingKMeans",
            (
                _K,
                Param(
                    "bisecting_strategy",
                    "cat",
                    choices=("biggest_inertia", "largest_cluster"),
                    default="biggest_inertia",
                ),
            ),
            _bisecting,
        ),
        AlgorithmSpec(
            "gmm",
            "GaussianMixture",
            (
                Param("n_components", "int", 2, K_MAX, log=True, default=8),
                Param(
                    "covariance_type",
                    "cat",
                    choices=("full", "tied", "diag", "spherical"),
                    default="full",
                ),
            ),
            _gmm,
        ),
        AlgorithmSpec(
            "agglomerative",
            "AgglomerativeClustering",
            (
                _K,
                Param(
                    "linkage",
                    "cat",
                    choices=("ward", "complete", "average", "single"),
                    default="ward",
                ),
            ),
            _agglomerative,
        ),
        AlgorithmSpec(
            "birch",
            "Birch",
            (_K, Param("threshold_scale", "float", 0.05, 4.0, log=True, default=1.0)),
            _birch,
        ),
        AlgorithmSpec(
            "dbscan",
            "DBSCAN",
            (
                Param("eps_quantile", "float", 0.02, 0.98, default=0.5),
                Param("min_samples", "int", 2, 50, log=True, default=5),
            ),
            _dbscan,
            density_based=True,
            uses_k=False,
        ),
        AlgorithmSpec(
            "hdbscan",
            "HDBSCAN",
            (
                Param("min_cluster_size_frac", "float", 0.002, 0.2, log=True, default=0.01),
                Param("min_samples", "int", 1, 50, log=True, default=5),
                Param("cluster_selection_method", "cat", choices=("eom", "leaf"), default="eom"),
            ),
            _hdbscan,
            density_based=True,
            uses_k=False,
        ),
        AlgorithmSpec(
            "optics",
            "OPTICS",
            (
                Param("min_samples", "int", 2, 50, log=True, default=5),
                Param("xi", "float", 0.005, 0.3, log=True, default=0.05),
                Param("min_cluster_size_frac", "float", 0.005, 0.2, log=True, default=0.01),
            ),
            _optics,
            density_based=True,
            uses_k=False,
        ),
        AlgorithmSpec(
            "meanshift",
            "MeanShift",
            (
                Param("bandwidth_quantile", "float", 0.02, 0.6, log=True, default=0.3),
                Param("cluster_all", "cat", choices=(True, False), default=True),
            ),
            _meanshift,
            density_based=True,
            uses_k=False,
        ),
        AlgorithmSpec(
            "spectral",
            "SpectralClustering",
            (
                _K,
                Param("affinity", "cat", choices=("nearest_neighbors", "rbf"), default="rbf"),
                Param(
                    "n_neighbors",
                    "int",
                    3,
                    50,
                    log=True,
                    default=10,
                    condition=("affinity", ("nearest_neighbors",)),
                ),
                Param(
                    "gamma_scale",
                    "float",
                    0.05,
                    20.0,
                    log=True,
                    default=1.0,
                    condition=("affinity", ("rbf",)),
                ),
                Param(
                    "assign_labels",
                    "cat",
                    choices=("kmeans", "cluster_qr"),
                    default="kmeans",
                ),
            ),
            _spectral,
        ),
        AlgorithmSpec(
            "affinity_propagation",
            "AffinityPropagation",
            (
                Param("damping", "float", 0.5, 0.95, default=0.5),
                Param("preference_quantile", "float", 0.0, 1.0, default=0.5),
            ),
            _affinity,
            uses_k=False,
        ),
    )
}


#: Preprocessing choices shared by every configuration.
PREPROCESSING: tuple[Param, ...] = (
    Param("scaler", "cat", choices=("standard", "robust", "minmax", "none"), default="standard"),
    Param("pca", "cat", choices=("none", "0.8", "0.95"), default="none"),
)


_PRE_BY_NAME = {p.name: p for p in PREPROCESSING}
