"""The meta-database's design: the configurations every dataset runs, and the k sweep."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # optuna is imported where it is used: recommending does not need it
    pass
from metarec.space._algorithms import ALGORITHMS, PREPROCESSING
from metarec.space._configurations import canonicalize, config_hash, default_config
from metarec.space._params import k_cap

__all__ = ["design", "k_sweep"]


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
