"""The abstract base every meta-feature group implements."""

from __future__ import annotations

import abc
from typing import ClassVar

from metarec.metafeatures._context import Context

__all__ = ["MetaFeatureGroup"]


class MetaFeatureGroup(abc.ABC):
    """A named family of meta-features with a fixed list of feature names.

    Subclasses set :attr:`name` and implement :meth:`feature_names` (stable, data
    independent) and :meth:`compute`, which may omit features or return NaN for
    those that cannot be computed on the data at hand.
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def feature_names(self) -> list[str]:
        """Feature names without the group prefix, in output order."""

    @abc.abstractmethod
    def compute(self, ctx: Context) -> dict[str, float]:
        """Compute the group's features from the shared context."""
