"""Meta-feature extraction: a dataset in, a fixed-length, named, versioned vector out.

Groups (select with ``groups=``): ``general``, ``statistical``, ``infotheory``,
``distance``, ``density``, ``landmarkers``, ``openml``. Features are named
``group.feature[.summary]``; the list and order depend only on the groups
chosen, never on the data (:func:`feature_names`). Labels are never used.

Examples
--------
>>> from metarec import extract_metafeatures
>>> mf = extract_metafeatures("sklearn:iris", groups=["general"])
>>> float(mf["general.instances"])
150.0
>>> mf.attrs["extractor_version"] == EXTRACTOR_VERSION
True
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from metarec.exceptions import MetaFeatureError
from metarec.metafeatures._context import Context
from metarec.metafeatures.base import MetaFeatureGroup
from metarec.metafeatures.density import Density
from metarec.metafeatures.distance import Distance
from metarec.metafeatures.general import General
from metarec.metafeatures.imputation import MetaFeatureImputer, missing_mask
from metarec.metafeatures.infotheory import InfoTheory
from metarec.metafeatures.landmarkers import Landmarkers
from metarec.metafeatures.openml_group import OpenMLQualities, openml_qualities
from metarec.metafeatures.statistical import Statistical

__all__ = [
    "EXTRACTOR_VERSION",
    "GROUPS",
    "MetaFeatureExtractor",
    "MetaFeatureGroup",
    "MetaFeatureImputer",
    "extract_metafeatures",
    "feature_names",
    "missing_mask",
    "openml_qualities",
]

#: Bumped whenever any feature's definition changes; stored with every vector.
EXTRACTOR_VERSION = "1.0.0"

#: Group name -> group class, in output order.
GROUPS: dict[str, type[MetaFeatureGroup]] = {
    g.name: g
    for g in (General, Statistical, InfoTheory, Distance, Density, Landmarkers, OpenMLQualities)
}


def _resolve_groups(groups: Iterable[str] | str | None) -> list[str]:
    if groups is None:
        return list(GROUPS)
    if isinstance(groups, str):
        groups = [g.strip() for g in groups.split(",") if g.strip()]
    chosen = list(dict.fromkeys(groups))
    unknown = [g for g in chosen if g not in GROUPS]
    if unknown or not chosen:
        raise MetaFeatureError(
            f"unknown meta-feature group(s) {unknown or chosen}; choose from {', '.join(GROUPS)}"
        )
    return [g for g in GROUPS if g in chosen]


def feature_names(groups: Iterable[str] | str | None = None) -> list[str]:
    """Full names of the features the given groups produce, in output order.

    Parameters
    ----------
    groups : str or iterable of str, optional

    Returns
    -------
    list of str
    """
    return [f"{g}.{f}" for g in _resolve_groups(groups) for f in GROUPS[g]().feature_names()]


class MetaFeatureExtractor:
    """Extract meta-features with fixed settings (reusable across datasets).

    Parameters
    ----------
    groups : list of str or comma-separated str, optional
        Groups to compute (default: all).
    sample_size : int, default=1000
        Rows sampled (seeded) for everything super-linear in the number of rows.
    landmark_size : int, default=300
        Rows of that sample the clustering landmarkers run on.
    random_state : int, default=0
        Seed of every random choice; equal seeds give equal vectors.
    """

    def __init__(
        self,
        groups: Iterable[str] | str | None = None,
        sample_size: int = 1000,
        landmark_size: int = 300,
        random_state: int = 0,
    ) -> None:
        if sample_size < 10 or landmark_size < 10:
            raise MetaFeatureError(
                f"sample_size and landmark_size must be at least 10, got "
                f"{sample_size} and {landmark_size}"
            )
        self.groups = _resolve_groups(groups)
        self.sample_size = int(sample_size)
        self.landmark_size = int(landmark_size)
        self.random_state = int(random_state)

    def feature_names(self) -> list[str]:
        """Names of the features :meth:`extract` returns."""
        return feature_names(self.groups)

    def extract(self, data: Any) -> pd.Series:
        """Meta-feature vector of ``data`` (Dataset, name, path, DataFrame or array).

        Returns a float Series indexed by feature name, NaN where a feature cannot be
        computed (or would be infinite); ``attrs`` holds the extractor version, the
        settings and per-group timings.
        """
        from metarec.io import as_dataset

        dataset = as_dataset(data)
        ctx = Context(dataset, self.sample_size, self.landmark_size, self.random_state)
        values: dict[str, float] = {}
        timings: dict[str, float] = {}
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for name in self.groups:
                group = GROUPS[name]()
                start = time.perf_counter()
                computed = group.compute(ctx)
                timings[name] = time.perf_counter() - start
                expected = group.feature_names()
                extra = set(computed) - set(expected)
                if extra:  # a programming error in the group, never user input
                    raise AssertionError(f"group {name} returned undeclared features {extra}")
                for feat in expected:
                    v = float(computed.get(feat, np.nan))
                    values[f"{name}.{feat}"] = v if np.isfinite(v) else np.nan
        out = pd.Series(values, dtype=float, name=dataset.name)
        out.attrs.update(
            {
                "extractor_version": EXTRACTOR_VERSION,
                "groups": list(self.groups),
                "sample_size": self.sample_size,
                "landmark_size": self.landmark_size,
                "random_state": self.random_state,
                "content_hash": dataset.content_hash,
                "timings": timings,
            }
        )
        return out


def extract_metafeatures(
    data: Any,
    groups: Iterable[str] | str | None = None,
    random_state: int = 0,
    sample_size: int = 1000,
    landmark_size: int = 300,
) -> pd.Series:
    """Meta-feature vector of a dataset; see :class:`MetaFeatureExtractor`.

    Parameters
    ----------
    data : Dataset, DataFrame, array, dataset name or file path
        The dataset (labels, if any, are not used).
    groups : str or iterable of str, optional
        Feature groups to compute (comma-separated or a list; default: all).
    random_state : int, default=0
        Seed of the row samples that super-linear features use.
    sample_size : int, default=1000
        Rows sampled for the distance and density features.
    landmark_size : int, default=300
        Rows sampled for the landmarkers.

    Returns
    -------
    pandas.Series
        Named features (``group.feature[.summary]``), NaN where not computable, the
        extractor version in ``.attrs["extractor_version"]``.

    Examples
    --------
    >>> from metarec import extract_metafeatures, load_dataset
    >>> mf = extract_metafeatures(load_dataset("sklearn:iris"), groups="general")
    >>> float(mf["general.instances"])
    150.0
    """
    return MetaFeatureExtractor(groups, sample_size, landmark_size, random_state).extract(data)
