"""The clustering search space: algorithms, hyperparameters, configurations.

A *configuration* is plain JSON::

    {"algorithm": "dbscan",
     "params": {"eps_quantile": 0.3, "min_samples": 5},
     "preprocessing": {"scaler": "standard", "pca": "none"}}

Hyperparameters whose sensible values depend on the data are expressed relative
to it, so that a configuration transfers between datasets:

* ``n_clusters`` (and ``n_components``) is absolute but clipped to
  :func:`k_cap` (grows with the number of rows);
* DBSCAN's ``eps`` is the ``eps_quantile`` quantile of the distances of every
  point to its ``min_samples``-th neighbour (the k-distance distribution);
* sizes (HDBSCAN's ``min_cluster_size``, OPTICS' ``min_cluster_size``) are
  fractions of the number of rows;
* bandwidths, radii and kernel widths are quantiles or multiples of distance
  scales measured on the data (:class:`DataScales`).

:func:`canonicalize` makes equal configurations equal (defaults filled in,
inactive parameters dropped, floats rounded to 4 significant digits), and
:func:`config_hash` hashes the canonical form.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from metarec.exceptions import MetarecError

if TYPE_CHECKING:  # optuna is imported where it is used: recommending does not need it
    import optuna
    from optuna.distributions import BaseDistribution

__all__ = [
    "ALGORITHMS",
    "PREPROCESSING",
    "AlgorithmSpec",
    "ConfigError",
    "Configuration",
    "DataScales",
    "Param",
    "build_estimator",
    "canonicalize",
    "config_hash",
    "default_config",
    "design",
    "distributions",
    "from_optuna_params",
    "k_cap",
    "k_sweep",
    "random_configs",
    "suggest_config",
    "to_optuna_params",
]

#: Largest number of clusters any configuration asks for.
K_MAX = 50


class ConfigError(MetarecError, ValueError):
    """A configuration is not in the search space."""


def k_cap(n_rows: int) -> int:
    """Largest number of clusters tried on ``n_rows`` rows: ``sqrt(n)`` within [10, 50].

    Parameters
    ----------
    n_rows : int

    Returns
    -------
    int
    """
    return int(min(K_MAX, max(10, math.isqrt(max(n_rows, 1)))))


@dataclass(frozen=True)
class Param:
    """One hyperparameter: its kind, range or choices, default and condition.

    ``condition=("affinity", ("rbf",))`` makes the parameter active only when the
    parameter ``affinity`` takes one of the listed values.
    """

    name: str
    kind: str  # "int", "float" or "cat"
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    choices: tuple[Any, ...] = ()
    default: Any = None
    condition: tuple[str, tuple[Any, ...]] | None = None

    def distribution(self) -> BaseDistribution:
        """The Optuna distribution of this parameter."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if self.kind == "int":
            return IntDistribution(int(self.low), int(self.high), log=self.log)
        if self.kind == "float":
            return FloatDistribution(self.low, self.high, log=self.log)
        return CategoricalDistribution(self.choices)

    def from_unit(self, u: float) -> Any:
        """Map ``u`` in [0, 1) to a value (for space-filling designs)."""
        if self.kind == "cat":
            return self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)]
        lo, hi = float(self.low), float(self.high)
        if self.log:
            v = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        else:
            v = lo + u * (hi - lo)
        if self.kind == "int":
            return int(min(max(round(v), self.low), self.high))
        return float(v)

    def validate(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise ConfigError."""
        if self.kind == "cat":
            # the choice itself, so that equal spellings (1024 and 1024.0, true and 1)
            # give one canonical value and one hash
            same_type = [c for c in self.choices if type(c) is type(value) and c == value]
            equal = same_type or [
                c for c in self.choices if _plain(value) is not None and c == _plain(value)
            ]
            if not equal:
                raise ConfigError(f"{self.name}={value!r} is not one of {list(self.choices)}")
            return equal[0]
        if isinstance(value, (bool, np.bool_)):  # True is not 1 for a numeric parameter
            raise ConfigError(f"{self.name}={value!r} is not a number")
        try:
            v = int(value) if self.kind == "int" else float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{self.name}={value!r} is not a number") from None
        if self.kind == "int" and float(value) != v:
            raise ConfigError(f"{self.name}={value!r} must be an integer")
        if not (self.low <= v <= self.high):
            raise ConfigError(f"{self.name}={value!r} is outside [{self.low}, {self.high}]")
        return v


class DataScales:
    """Distance scales of a preprocessed matrix that relative parameters refer to.

    Everything is measured on a seeded sample of at most 1000 rows and computed
    only when first asked for.
    """

    def __init__(self, X: np.ndarray, random_state: int = 0) -> None:
        self.X = X
        self.n_rows = X.shape[0]
        rng = np.random.default_rng(random_state)
        m = min(self.n_rows, 1000)
        self._sample = X[rng.choice(self.n_rows, m, replace=False)] if m < self.n_rows else X
        self.random_state = random_state

    @cached_property
    def _sorted_neighbour_distances(self) -> np.ndarray:
        from sklearn.metrics import euclidean_distances

        d = euclidean_distances(self._sample)
        np.fill_diagonal(d, np.inf)
        k = min(50, d.shape[0] - 1)
        return np.sort(np.partition(d, k - 1, axis=1)[:, :k], axis=1)

    @cached_property
    def _pairwise(self) -> np.ndarray:
        from sklearn.metrics import euclidean_distances

        d = euclidean_distances(self._sample)
        return d[np.triu_indices(d.shape[0], k=1)]

    def kdist_quantile(self, k: int, q: float) -> float:
        """Quantile ``q`` of the distance of each row to its ``k``-th neighbour."""
        nd = self._sorted_neighbour_distances
        k = int(min(max(k, 1), nd.shape[1]))
        v = float(np.quantile(nd[:, k - 1], q))
        return v if v > 0 else float(np.max(nd[:, k - 1])) or 1e-6

    def pairwise_quantile(self, q: float) -> float:
        """Quantile ``q`` of pairwise distances."""
        v = float(np.quantile(self._pairwise, q))
        return v if v > 0 else 1e-6

    @cached_property
    def median_sq_distance(self) -> float:
        """Median squared pairwise distance (kernel width reference)."""
        v = float(np.median(self._pairwise**2))
        return v if v > 0 else 1.0


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


# ------------------------------------------------------------------ configs
def _plain(value: Any) -> Any:
    """A categorical value as a plain Python scalar (numpy scalars unwrapped); None
    for values that cannot be a choice (containers, NaN)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value if isinstance(value, (str, bool, int, float)) or value is None else None


def _round(v: Any) -> Any:
    if isinstance(v, bool) or not isinstance(v, float):
        return v
    if v == 0:
        return 0.0  # -0.0 and 0.0: one value, one hash
    if not math.isfinite(v):
        return v
    return float(f"{v:.4g}")


def canonicalize(config: Mapping[str, Any]) -> dict[str, Any]:
    """Validated canonical form: defaults filled, inactive parameters dropped, floats rounded.

    Parameters
    ----------
    config : mapping or Configuration
        ``{"algorithm": ..., "params": {...}, "preprocessing": {...}}``; missing
        parameters and preprocessing take their defaults.

    Returns
    -------
    dict

    Raises
    ------
    ConfigError
        Unknown algorithm or parameter, or a value outside its range.
    """
    if isinstance(config, Configuration):
        config = config.to_dict()
    if not isinstance(config, Mapping) or "algorithm" not in config:
        raise ConfigError("a configuration is a mapping with an 'algorithm' key")
    name = config["algorithm"]
    if name not in ALGORITHMS:
        raise ConfigError(f"unknown algorithm {name!r}; choose one of {', '.join(ALGORITHMS)}")
    spec = ALGORITHMS[name]
    unknown_keys = sorted(
        str(k) for k in config if k not in ("algorithm", "params", "preprocessing")
    )
    if unknown_keys:
        raise ConfigError(
            f"a configuration has only algorithm, params and preprocessing; not {unknown_keys}"
        )
    for part in ("params", "preprocessing"):
        if not isinstance(config.get(part) or {}, Mapping):
            raise ConfigError(f"a configuration's {part!r} is a mapping of names to values")
    given = dict(config.get("params") or {})
    unknown = set(given) - set(spec.by_name)
    if unknown:
        raise ConfigError(f"{name} has no parameter(s) {sorted(unknown)}")
    values = {p.name: given.get(p.name, p.default) for p in spec.params}
    params = {p.name: _round(p.validate(values[p.name])) for p in spec.active(values)}
    pre_given = dict(config.get("preprocessing") or {})
    unknown = set(pre_given) - set(_PRE_BY_NAME)
    if unknown:
        raise ConfigError(f"unknown preprocessing option(s) {sorted(unknown)}")
    pca = pre_given.get("pca")
    if pca is None and "pca" in pre_given:
        pre_given["pca"] = "none"
    elif isinstance(pca, (int, float, np.number)) and not isinstance(pca, bool):
        pre_given["pca"] = f"{float(pca):g}"  # the JSON output's number, read back
    pre = {p.name: p.validate(pre_given.get(p.name, p.default)) for p in PREPROCESSING}
    return {"algorithm": name, "params": dict(sorted(params.items())), "preprocessing": pre}


def config_hash(config: Mapping[str, Any]) -> str:
    """16-hex-digit hash of the canonical form (equal configurations, equal hash).

    Parameters
    ----------
    config : mapping or Configuration

    Returns
    -------
    str
    """
    return _hash_canonical(canonicalize(config))


def _hash_canonical(canon: Mapping[str, Any]) -> str:
    blob = json.dumps(canon, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Configuration(Mapping[str, Any]):
    """One configuration of the search space: algorithm, parameters, preprocessing.

    Always canonical (:func:`canonicalize`: validated, defaults filled, inactive
    parameters dropped, floats rounded), so that equal configurations are equal,
    hash alike and have one :attr:`hash`. It reads like the plain JSON mapping it
    stands for (``config["params"]``), which :meth:`to_dict` returns for storage;
    the JSON on disk and in the database is that mapping.

    Examples
    --------
    >>> a = Configuration.from_dict({"algorithm": "kmeans", "params": {"n_clusters": 3}})
    >>> b = Configuration.from_dict(a.to_dict())
    >>> a == b, a.hash == config_hash(a), a["params"]["init"]
    (True, True, 'k-means++')
    >>> a.n_clusters, a.describe()
    (3, 'kmeans(init=k-means++, n_clusters=3; scaler=standard)')
    """

    algorithm: str
    params: Mapping[str, Any]
    preprocessing: Mapping[str, Any]

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> Configuration:
        """The canonical configuration of a mapping (or of a Configuration).

        Raises
        ------
        ConfigError
            Not a configuration of the space.
        """
        if isinstance(config, Configuration):
            return config
        canon = canonicalize(config)
        return cls(
            canon["algorithm"],
            MappingProxyType(dict(canon["params"])),
            MappingProxyType(dict(canon["preprocessing"])),
        )

    def to_dict(self) -> dict[str, Any]:
        """The plain JSON form (what is stored)."""
        return {
            "algorithm": self.algorithm,
            "params": dict(self.params),
            "preprocessing": dict(self.preprocessing),
        }

    def to_json(self) -> dict[str, Any]:
        """The form for JSON output: as :meth:`to_dict`, with numbers as numbers
        (``"pca": 0.95``, not ``"0.95"``); :meth:`from_dict` reads it back.

        Examples
        --------
        >>> c = Configuration.from_dict({"algorithm": "kmeans", "preprocessing": {"pca": "0.95"}})
        >>> c.to_json()["preprocessing"], Configuration.from_dict(c.to_json()) == c
        ({'scaler': 'standard', 'pca': 0.95}, True)
        """
        out = self.to_dict()
        pca = out["preprocessing"].get("pca")
        if pca not in (None, "none"):
            out["preprocessing"]["pca"] = float(pca)
        return out

    @property
    def hash(self) -> str:
        """The 16-hex-digit hash of the canonical form (:func:`config_hash`)."""
        return _hash_canonical(self.to_dict())

    @property
    def n_clusters(self) -> int | None:
        """The number of clusters (or mixture components) it asks for, if any."""
        value = self.params.get("n_clusters", self.params.get("n_components"))
        return None if value is None else int(value)

    def with_n_clusters(self, k: int) -> Configuration:
        """The same configuration asking for ``k`` clusters (or mixture components).

        Parameters
        ----------
        k : int
            Number of clusters, at least 2.

        Returns
        -------
        Configuration
            A new configuration; ``self`` when the algorithm takes no number of
            clusters (DBSCAN, HDBSCAN, MeanShift, ...).

        Raises
        ------
        ConfigError
            ``k`` is outside the algorithm's range.

        Examples
        --------
        >>> c = Configuration.from_dict({"algorithm": "gmm", "params": {"n_components": 3}})
        >>> c.with_n_clusters(5).n_clusters
        5
        """
        name = next((p for p in ("n_clusters", "n_components") if p in self.params), None)
        if name is None:
            return self
        if isinstance(k, bool) or int(k) != k or k < 2:
            raise ConfigError(f"the number of clusters must be an integer >= 2, got {k!r}")
        params = {**self.params, name: int(k)}
        return Configuration.from_dict({**self.to_dict(), "params": params})

    def describe(self) -> str:
        """One line: ``algorithm(param=value, ...; scaler=..., pca=...)``."""
        params = ", ".join(f"{k}={v}" for k, v in self.params.items())
        pre = f"scaler={self.preprocessing['scaler']}"
        if self.preprocessing.get("pca", "none") != "none":
            pre += f", pca={self.preprocessing['pca']}"
        return f"{self.algorithm}({params}; {pre})"

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(("algorithm", "params", "preprocessing"))

    def __len__(self) -> int:
        return 3

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Configuration):
            return self.hash == other.hash
        if isinstance(other, Mapping):  # the plain form of the same configuration
            try:
                return canonicalize(other) == self.to_dict()
            except ConfigError:
                return False
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.hash)

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        # pickled (and deep-copied) as its plain form: mapping proxies do not pickle
        return (Configuration.from_dict, (self.to_dict(),))


def default_config(algorithm: str) -> dict[str, Any]:
    """The algorithm with every parameter at its default, standard scaling, no PCA.

    Parameters
    ----------
    algorithm : str
        One of :data:`ALGORITHMS`.

    Returns
    -------
    dict
    """
    return canonicalize({"algorithm": algorithm})


def design(
    per_algorithm: int, random_state: int = 0, algorithms: list[str] | None = None
) -> list[dict[str, Any]]:
    """Defaults plus a Latin-hypercube sample of each algorithm's space, deduplicated.

    The sample covers the algorithm's parameters and the preprocessing choices;
    ``per_algorithm`` counts the default configuration.

    Parameters
    ----------
    per_algorithm : int
        Configurations per algorithm, its default included.
    random_state : int, default=0
        Seed of the Latin-hypercube samples.
    algorithms : list of str, optional
        Restrict to these algorithms (default: all).

    Returns
    -------
    list of dict
        Canonical configurations.
    """
    from scipy.stats import qmc

    out: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(algorithms or list(ALGORITHMS)):
        spec = ALGORITHMS[name]
        default = default_config(name)
        chosen = {config_hash(default): default}
        dims = list(spec.params) + list(PREPROCESSING)
        sampler = qmc.LatinHypercube(d=len(dims), seed=np.random.default_rng([random_state, i]))
        tries = 0
        while len(chosen) < per_algorithm and tries < 20:
            tries += 1
            for row in sampler.random(per_algorithm * 2):
                values = {p.name: p.from_unit(u) for p, u in zip(dims, row, strict=True)}
                cfg = canonicalize(
                    {
                        "algorithm": name,
                        "params": {p.name: values[p.name] for p in spec.params},
                        "preprocessing": {p.name: values[p.name] for p in PREPROCESSING},
                    }
                )
                chosen.setdefault(config_hash(cfg), cfg)
                if len(chosen) >= per_algorithm:
                    break
        out.update(chosen)
    return list(out.values())


#: The sweep over the number of clusters (issue 19): these algorithms at every k.
SWEEP_ALGORITHMS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("kmeans", {"init": "k-means++"}),
    ("agglomerative", {"linkage": "ward"}),
    ("gmm", {"covariance_type": "full"}),
)
#: Largest k of the sweep.
SWEEP_K_MAX = 30


def _sweep_config(algorithm: str, fixed: Mapping[str, Any], k: int) -> dict[str, Any]:
    key = "n_components" if algorithm == "gmm" else "n_clusters"
    return canonicalize({"algorithm": algorithm, "params": {**fixed, key: k}})


def k_sweep(n_rows: int, k_max: int = SWEEP_K_MAX) -> list[dict[str, Any]]:
    """KMeans, Ward linkage and a full-covariance Gaussian mixture at every k from 2 to
    ``min(k_cap(n_rows), k_max)`` (standard scaling, no PCA): what the meta-database
    records beside the design so that the choice of k can be learned and judged.

    Parameters
    ----------
    n_rows : int
        Rows of the (subsampled) dataset; k stays below :func:`k_cap` of it.
    k_max : int, default=30
        Largest k.

    Returns
    -------
    list of dict
        Canonical configurations, for k = 2, 3, ... in turn.

    Examples
    --------
    >>> len(k_sweep(1000)), len(k_sweep(100))
    (87, 27)
    """
    top = min(k_cap(n_rows), k_max, n_rows - 1)
    return [
        _sweep_config(algorithm, fixed, k)
        for k in range(2, top + 1)
        for algorithm, fixed in SWEEP_ALGORITHMS
    ]


# ------------------------------------------------------------------ optuna
def distributions(algorithms: list[str] | None = None) -> dict[str, BaseDistribution]:
    """Every Optuna parameter of the space: ``algorithm``, preprocessing, ``<algo>.<param>``.

    Parameters
    ----------
    algorithms : list of str, optional
        Restrict to these algorithms (default: all).

    Returns
    -------
    dict
        Optuna parameter name -> distribution.
    """
    from optuna.distributions import CategoricalDistribution

    names = algorithms or list(ALGORITHMS)
    out: dict[str, BaseDistribution] = {"algorithm": CategoricalDistribution(tuple(names))}
    for p in PREPROCESSING:
        out[p.name] = p.distribution()
    for name in names:
        for p in ALGORITHMS[name].params:
            out[f"{name}.{p.name}"] = p.distribution()
    return out


def _suggest(trial: optuna.Trial, name: str, p: Param) -> Any:
    if p.kind == "int":
        return trial.suggest_int(name, int(p.low), int(p.high), log=p.log)
    if p.kind == "float":
        return trial.suggest_float(name, p.low, p.high, log=p.log)
    return trial.suggest_categorical(name, list(p.choices))


def suggest_config(trial: optuna.Trial, algorithms: list[str] | None = None) -> dict[str, Any]:
    """Sample a configuration in an Optuna trial (define-by-run, conditional).

    Parameters
    ----------
    trial : optuna.Trial
    algorithms : list of str, optional
        Restrict to these algorithms (default: all).

    Returns
    -------
    dict
        A canonical configuration.
    """
    name = str(trial.suggest_categorical("algorithm", list(algorithms or ALGORITHMS)))
    spec = ALGORITHMS[name]
    pre = {p.name: _suggest(trial, p.name, p) for p in PREPROCESSING}
    values: dict[str, Any] = {}
    for p in spec.params:
        if p.condition is not None:
            parent, allowed = p.condition
            if values.get(parent) not in allowed:
                continue
        values[p.name] = _suggest(trial, f"{name}.{p.name}", p)
    return canonicalize({"algorithm": name, "params": values, "preprocessing": pre})


def random_configs(
    n: int, random_state: int = 0, algorithms: list[str] | None = None
) -> list[dict[str, Any]]:
    """``n`` configurations drawn at random from the tuning space (Optuna's
    ``RandomSampler`` over :func:`suggest_config`, seeded): what a search meets off
    the design.

    Examples
    --------
    >>> [c["algorithm"] for c in random_configs(2, random_state=0)] == [
    ...     c["algorithm"] for c in random_configs(2, random_state=0)
    ... ]
    True

    Parameters
    ----------
    n : int
        How many draws (repeats are dropped).
    random_state : int, default=0
    algorithms : list of str, optional
        Restrict to these algorithms (default: all).

    Returns
    -------
    list of dict
    """
    import optuna

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=random_state))
        return [suggest_config(study.ask(), algorithms) for _ in range(n)]
    finally:
        optuna.logging.set_verbosity(verbosity)


def to_optuna_params(config: Mapping[str, Any]) -> dict[str, Any]:
    """Flat Optuna parameters of a configuration (for ``enqueue_trial``/``add_trial``).

    Parameters
    ----------
    config : mapping or Configuration

    Returns
    -------
    dict
        Optuna parameter name -> value.
    """
    canon = canonicalize(config)
    name = canon["algorithm"]
    out: dict[str, Any] = {"algorithm": name, **canon["preprocessing"]}
    out.update({f"{name}.{k}": v for k, v in canon["params"].items()})
    return out


def from_optuna_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`to_optuna_params`.

    Parameters
    ----------
    params : mapping
        Optuna parameter name -> value (a trial's ``params``).

    Returns
    -------
    dict
        The canonical configuration.
    """
    name = params["algorithm"]
    prefix = f"{name}."
    return canonicalize(
        {
            "algorithm": name,
            "params": {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)},
            "preprocessing": {p.name: params[p.name] for p in PREPROCESSING if p.name in params},
        }
    )


def build_estimator(config: Mapping[str, Any], scales: DataScales, random_state: int = 0) -> Any:
    """A scikit-learn clusterer for ``config`` on data with the given scales.

    Parameters
    ----------
    config : mapping or Configuration
    scales : DataScales
        Distance scales of the preprocessed matrix, for data-relative parameters.
    random_state : int, default=0

    Returns
    -------
    estimator
        An unfitted scikit-learn clusterer.
    """
    canon = canonicalize(config)
    spec = ALGORITHMS[canon["algorithm"]]
    params = {p.name: p.default for p in spec.params} | canon["params"]
    return spec.factory(params, scales, random_state)
