"""OpenML's deterministic data qualities, computed the way OpenML computes them.

Matched against the qualities OpenML's server stored for dataset 2 (anneal), as
found in the shipped cache fixture (an older release of OpenML's evaluation
engine):

* ``Percentage*`` qualities are fractions in [0, 1];
* the skewness and kurtosis of an attribute are ``sum(d**3) / (n-1) / s**3`` and
  ``sum(d**4) / (n-1) / s**4 - 3`` with ``d`` the deviations from the mean and ``s``
  the sample standard deviation (ddof=1), over non-missing values;
* a binary attribute has exactly two distinct non-missing values;
* nominal distinct values count the attribute's declared levels;
* the target attribute counts towards ``NumberOfFeatures`` (and the percentages'
  denominators) but not towards the nominal counts and distinct values.

As a meta-feature group (unsupervised) there is no target: every column is an
attribute. :func:`openml_qualities` with ``target=`` reproduces OpenML's numbers on
a table that still holds its target column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metarec.dataset import ColumnProfile, column_profile
from metarec.metafeatures._context import Context, Moments
from metarec.metafeatures.base import MetaFeatureGroup

__all__ = ["OPENML_QUALITIES", "OpenMLQualities", "openml_qualities"]

OPENML_QUALITIES = (
    "NumberOfInstances",
    "NumberOfFeatures",
    "NumberOfNumericFeatures",
    "NumberOfSymbolicFeatures",
    "NumberOfMissingValues",
    "NumberOfInstancesWithMissingValues",
    "PercentageOfMissingValues",
    "Dimensionality",
    "InstanceCount",
    "IncompleteInstanceCount",
    "NumAttributes",
    "NumNumericAtts",
    "NumNominalAtts",
    "NumBinaryAtts",
    "NumMissingValues",
    "PercentageOfNumericAtts",
    "PercentageOfNominalAtts",
    "PercentageOfBinaryAtts",
    "MeanMeansOfNumericAtts",
    "MeanStdDevOfNumericAtts",
    "MeanSkewnessOfNumericAtts",
    "MeanKurtosisOfNumericAtts",
    "MinNominalAttDistinctValues",
    "MaxNominalAttDistinctValues",
    "MeanNominalAttDistinctValues",
    "StdvNominalAttDistinctValues",
)


def _is_nominal(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)


def _declared_levels(s: pd.Series) -> int:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return len(s.cat.categories)
    return int(s.nunique(dropna=True))  # undeclared: the levels present


def openml_qualities(
    frame: pd.DataFrame,
    target: str | None = None,
    numeric: np.ndarray | None = None,
    moments: Moments | None = None,
    profile: ColumnProfile | None = None,
) -> dict[str, float]:
    """OpenML data qualities of a table (see the module docstring for the rules).

    Parameters
    ----------
    frame : DataFrame
        Every attribute, the target included when ``target`` is given; nominal
        attributes as ``category``/object columns, numeric ones as numbers.
    target : str, optional
        Name of the target column.
    numeric, moments, profile : optional
        Precomputed numeric matrix, its :class:`Moments` and the table's
        :class:`~metarec.dataset.ColumnProfile` (as the extractor has them).
    """
    n, n_attr = frame.shape
    nominal_cols = [c for c in frame.columns if _is_nominal(frame[c]) and c != target]
    numeric_cols = [c for c in frame.columns if not _is_nominal(frame[c])]
    profile = profile or column_profile(frame)
    n_missing = float(profile.missing.sum())
    incomplete = float(profile.rows_with_missing)
    n_binary = float((profile.distinct == 2).sum())
    q: dict[str, float] = {
        "NumberOfInstances": float(n),
        "NumberOfFeatures": float(n_attr),
        "NumberOfNumericFeatures": float(len(numeric_cols)),
        "NumberOfSymbolicFeatures": float(len(nominal_cols)),
        "NumberOfMissingValues": n_missing,
        "NumberOfInstancesWithMissingValues": incomplete,
        "PercentageOfMissingValues": n_missing / (n * n_attr),
        "Dimensionality": n_attr / n,
        "InstanceCount": float(n),
        "IncompleteInstanceCount": incomplete,
        "NumAttributes": float(n_attr),
        "NumNumericAtts": float(len(numeric_cols)),
        "NumNominalAtts": float(len(nominal_cols)),
        "NumBinaryAtts": n_binary,
        "NumMissingValues": n_missing,
        "PercentageOfNumericAtts": len(numeric_cols) / n_attr,
        "PercentageOfNominalAtts": len(nominal_cols) / n_attr,
        "PercentageOfBinaryAtts": n_binary / n_attr,
    }
    nan = float("nan")
    if numeric_cols:
        if moments is None:
            x = (
                numeric
                if numeric is not None
                else frame[numeric_cols].to_numpy(dtype="float64", na_value=np.nan)
            )
            moments = Moments(x)
        cnt = moments.count
        with np.errstate(all="ignore"):
            sd = moments.std(ddof=1)
            skew = moments.s3 / (cnt - 1) / sd**3
            kurt = moments.s4 / (cnt - 1) / sd**4 - 3.0

        def mean_finite(v: np.ndarray) -> float:
            v = v[np.isfinite(v)]
            return float(v.mean()) if v.size else nan

        q["MeanMeansOfNumericAtts"] = mean_finite(moments.mean)
        q["MeanStdDevOfNumericAtts"] = mean_finite(sd)
        q["MeanSkewnessOfNumericAtts"] = mean_finite(skew)
        q["MeanKurtosisOfNumericAtts"] = mean_finite(kurt)
    if nominal_cols:
        levels = np.asarray([_declared_levels(frame[c]) for c in nominal_cols], dtype=float)
        q["MinNominalAttDistinctValues"] = float(levels.min())
        q["MaxNominalAttDistinctValues"] = float(levels.max())
        q["MeanNominalAttDistinctValues"] = float(levels.mean())
        q["StdvNominalAttDistinctValues"] = float(levels.std(ddof=1)) if len(levels) > 1 else nan
    return q


class OpenMLQualities(MetaFeatureGroup):
    """OpenML's data qualities under OpenML's own names (no target: unsupervised)."""

    name = "openml"

    def feature_names(self) -> list[str]:
        return list(OPENML_QUALITIES)

    def compute(self, ctx: Context) -> dict[str, float]:
        return openml_qualities(
            ctx.frame, numeric=ctx.numeric, moments=ctx.moments, profile=ctx.dataset.profile
        )
