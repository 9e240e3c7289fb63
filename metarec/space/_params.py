"""Parameters of the space and what data-relative ones are measured against: :class:`Param`,
:class:`DataScales`, :func:`k_cap`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from metarec.exceptions import MetarecError

if TYPE_CHECKING:  # optuna is imported where it is used: recommending does not need it
    from optuna.distributions import BaseDistribution

__all__ = ["ConfigError", "DataScales", "Param", "k_cap"]


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
