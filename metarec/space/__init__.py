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

from metarec.space._algorithms import ALGORITHMS, PREPROCESSING, AlgorithmSpec
from metarec.space._configurations import (
    Configuration,
    build_estimator,
    canonicalize,
    config_hash,
    default_config,
)
from metarec.space._design import SWEEP_ALGORITHMS, SWEEP_K_MAX, design, k_sweep
from metarec.space._optuna import (
    distributions,
    from_optuna_params,
    random_configs,
    suggest_config,
    to_optuna_params,
)
from metarec.space._params import K_MAX, ConfigError, DataScales, Param, k_cap

__all__ = [
    "ALGORITHMS",
    "K_MAX",
    "PREPROCESSING",
    "SWEEP_ALGORITHMS",
    "SWEEP_K_MAX",
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
