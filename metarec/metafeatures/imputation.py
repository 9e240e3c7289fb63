"""The imputation rule that turns raw meta-feature vectors into model inputs.

Raw vectors keep NaN for features that cannot be computed on a dataset (e.g. a
correlation with one numeric column). Meta-learners see instead:

* values: each NaN replaced by the feature's median over the reference vectors
  seen in :meth:`MetaFeatureImputer.fit` (the meta-database), or by 0 when the
  feature was never observed there; +/-inf clipped to the reference's finite
  range (or to +/-1e12 without one);
* mask: one 0/1 column per feature, ``<name>.missing``, 1 where the raw value
  was NaN or infinite.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

__all__ = ["MetaFeatureImputer", "missing_mask"]

_BIG = 1e12


def _as_frame(vectors: Any) -> pd.DataFrame:
    if isinstance(vectors, pd.Series):
        return vectors.to_frame().T
    return pd.DataFrame(vectors)


def missing_mask(vectors: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """``<name>.missing`` columns: 1.0 where a raw value is NaN or infinite.

    Parameters
    ----------
    vectors : DataFrame or Series

    Returns
    -------
    DataFrame
    """
    frame = _as_frame(vectors).astype(float)
    mask = (~np.isfinite(frame.to_numpy())).astype(float)
    return pd.DataFrame(mask, index=frame.index, columns=[f"{c}.missing" for c in frame.columns])


class MetaFeatureImputer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Impute raw meta-feature vectors by the rule in this module's docstring.

    Parameters
    ----------
    add_mask : bool, default=True
        Append the ``<name>.missing`` columns to the output.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from metarec.metafeatures import MetaFeatureImputer
    >>> ref = pd.DataFrame({"a": [1.0, 3.0, np.nan], "b": [np.nan] * 3})
    >>> MetaFeatureImputer().fit(ref).transform(ref).iloc[2].tolist()
    [2.0, 0.0, 1.0, 1.0]
    """

    def __init__(self, add_mask: bool = True) -> None:
        self.add_mask = add_mask

    def fit(self, X: Any, y: Any = None) -> MetaFeatureImputer:
        """Learn medians and finite ranges from reference vectors."""
        frame = _as_frame(X).astype(float)
        values = frame.to_numpy()
        finite = np.where(np.isfinite(values), values, np.nan)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                med = np.nanmedian(finite, axis=0)
                lo = np.nanmin(finite, axis=0)
                hi = np.nanmax(finite, axis=0)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.medians_ = np.where(np.isfinite(med), med, 0.0)
        self.lower_ = np.where(np.isfinite(lo), lo, -_BIG)
        self.upper_ = np.where(np.isfinite(hi), hi, _BIG)
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """Imputed values (and mask columns when ``add_mask``)."""
        check_is_fitted(self, "medians_")
        frame = _as_frame(X).astype(float).reindex(columns=self.feature_names_in_)
        values = frame.to_numpy(copy=True)
        nan = np.isnan(values)
        values = np.where(nan, self.medians_, values)
        values = np.where(values == np.inf, self.upper_, values)
        values = np.where(values == -np.inf, self.lower_, values)
        out = pd.DataFrame(values, index=frame.index, columns=frame.columns)
        if self.add_mask:
            out = pd.concat([out, missing_mask(frame)], axis=1)
        return out
