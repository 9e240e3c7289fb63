"""Configurations: the canonical form that makes equal configurations equal, their hash,
the :class:`Configuration` type, and the clusterer a configuration builds."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # optuna is imported where it is used: recommending does not need it
    pass
from metarec.space._algorithms import _PRE_BY_NAME, ALGORITHMS, PREPROCESSING
from metarec.space._params import ConfigError, DataScales, _round

__all__ = ["Configuration", "build_estimator", "canonicalize", "config_hash", "default_config"]


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
