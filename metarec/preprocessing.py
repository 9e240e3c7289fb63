"""Turn a mixed-type feature table into a finite numeric matrix for clustering."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from metarec.dataset import Dataset
from metarec.exceptions import ConstantDataError, InvalidDataError

__all__ = ["Preprocessor", "expected_n_features"]

Scaling = Literal["standard", "robust", "minmax", "none"]


class Preprocessor(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Encode, impute, drop constant columns and scale, as a scikit-learn transformer.

    Output columns: first the numeric columns, then the categorical ones, each in
    input order:

    * a numeric column gives one column (missing values -> the column median);
    * a categorical column with 2 observed levels gives one 0/1 column;
    * with 3..``max_categories`` levels, one 0/1 column per level (``categorical="onehot"``);
    * with more levels, or with ``categorical="ordinal"``, one column holding the
      level's frequency rank (0 = most frequent);
    * missing categories take the most frequent level;
    * a column with fewer than two distinct values after imputation is dropped
      (so are all-missing columns).

    Numeric and ordinal columns are then scaled; one-hot columns stay 0/1. Duplicate
    columns are kept. :func:`expected_n_features` gives the output width.
    Subsample large data before with :meth:`metarec.Dataset.subsample`.

    Parameters
    ----------
    categorical : {"onehot", "ordinal"}, default="onehot"
        Encoding of categorical columns.
    max_categories : int, default=10
        Cardinality cap for one-hot encoding.
    scaling : {"standard", "robust", "minmax", "none"}, default="standard"
        Scaling of numeric and ordinal columns.

    Attributes
    ----------
    n_features_out_ : int
        Number of output columns.
    feature_names_out_ : ndarray of str
        Output column names (``col``, ``col=level``).
    dropped_columns_ : list of str
        Input columns dropped as constant or all-missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from metarec import Preprocessor
    >>> df = pd.DataFrame({"x": [1.0, None, 3.0], "c": ["a", "b", "c"], "k": [1, 1, 1]})
    >>> Preprocessor().fit_transform(df).shape
    (3, 4)
    """

    def __init__(
        self,
        categorical: Literal["onehot", "ordinal"] = "onehot",
        max_categories: int = 10,
        scaling: Scaling = "standard",
    ) -> None:
        self.categorical = categorical
        self.max_categories = max_categories
        self.scaling = scaling

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None) -> Preprocessor:
        """Learn encodings, imputation values and scaling from ``X``."""
        if self.categorical not in ("onehot", "ordinal"):
            raise InvalidDataError(
                f"categorical must be 'onehot' or 'ordinal', got {self.categorical!r}"
            )
        if self.scaling not in ("standard", "robust", "minmax", "none"):
            raise InvalidDataError(
                f"scaling must be standard, robust, minmax or none, got {self.scaling!r}"
            )
        frame = _frame(X)
        self.n_features_in_ = frame.shape[1]
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        categorical = _categorical_mask(frame)
        numeric_cols = [c for c, cat in zip(frame.columns, categorical, strict=True) if not cat]
        block = _numeric_block(frame, numeric_cols)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            lo, hi = np.nanmin(block, axis=0), np.nanmax(block, axis=0)
        keep = lo < hi  # False for constant and all-missing columns
        self.numeric_columns_ = [c for c, k in zip(numeric_cols, keep, strict=True) if k]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            self.medians_ = np.nanmedian(block[:, keep], axis=0) if keep.any() else np.empty(0)
        dropped = [c for c, k in zip(numeric_cols, keep, strict=True) if not k]
        plan: list[tuple[str, str, list[str]]] = []
        for col in frame.columns[categorical]:
            s = frame[col]
            counts = s.astype("object").dropna().astype(str).value_counts()
            levels = sorted(counts.index, key=lambda v: (-counts[v], v))
            if len(levels) < 2:
                dropped.append(col)
            elif len(levels) == 2:
                plan.append((col, "binary", levels))
            elif self.categorical == "onehot" and len(levels) <= self.max_categories:
                plan.append((col, "onehot", levels))
            else:
                plan.append((col, "ordinal", levels))
        if not plan and not self.numeric_columns_:
            raise ConstantDataError(
                "every column is constant or missing; nothing to cluster (check the input)"
            )
        self.plan_ = plan
        self.dropped_columns_ = dropped
        raw, scaled_mask, names = self._encode(frame)
        self.scaled_mask_ = scaled_mask
        self.magnitude_, self.center_, self.scale_ = _fit_scaler(raw[:, scaled_mask], self.scaling)
        self.feature_names_out_ = np.asarray(names, dtype=object)
        self.n_features_out_ = len(names)
        return self

    # ------------------------------------------------------------ transform
    def transform(self, X: Any) -> np.ndarray:
        """Encode and scale ``X`` into a finite float64 matrix."""
        check_is_fitted(self, "plan_")
        frame = _frame(X)
        needed = self.numeric_columns_ + [c for c, _, _ in self.plan_]
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise InvalidDataError(f"columns seen in fit are missing: {missing[:5]}")
        raw, _, _ = self._encode(frame)
        if self.scaled_mask_.any():
            block = raw[:, self.scaled_mask_]
            with np.errstate(over="ignore", invalid="ignore"):
                raw[:, self.scaled_mask_] = (block / self.magnitude_ - self.center_) / self.scale_
        return np.nan_to_num(raw, nan=0.0, posinf=0.0, neginf=0.0)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns."""
        check_is_fitted(self, "feature_names_out_")
        return np.asarray(self.feature_names_out_, dtype=object)

    # ------------------------------------------------------------- helpers
    def _encode(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
        x = _numeric_block(frame, self.numeric_columns_)
        blocks: list[np.ndarray] = [np.where(np.isnan(x), self.medians_, x)]
        scaled: list[bool] = [True] * x.shape[1]
        names: list[str] = list(self.numeric_columns_)
        for col, kind, info in self.plan_:
            s = frame[col]
            text = s.astype("object").where(s.notna(), None)
            text = text.map(lambda v: None if v is None else str(v))
            text = text.fillna(info[0])
            if kind == "binary":
                blocks.append((text.to_numpy() == info[1]).astype(float)[:, None])
                scaled.append(False)
                names.append(f"{col}={info[1]}")
            elif kind == "onehot":
                vals = text.to_numpy()
                blocks.append(np.column_stack([(vals == lev).astype(float) for lev in info]))
                scaled.extend([False] * len(info))
                names.extend(f"{col}={lev}" for lev in info)
            else:
                rank = {lev: i for i, lev in enumerate(info)}
                blocks.append(text.map(rank).fillna(0).to_numpy(float)[:, None])
                scaled.append(True)
                names.append(col)
        return np.hstack(blocks).astype(float), np.asarray(scaled, dtype=bool), names


def expected_n_features(
    frame: pd.DataFrame, categorical: str = "onehot", max_categories: int = 10
) -> int:
    """Output width of :class:`Preprocessor` on ``frame``, from the documented rules.

    Parameters
    ----------
    frame : DataFrame
    categorical : {"onehot", "ordinal"}
    max_categories : int

    Returns
    -------
    int
    """
    total = 0
    for col in frame.columns:
        s = frame[col]
        if _is_categorical(s):
            k = s.astype("object").dropna().astype(str).nunique()
            if k == 2:
                total += 1
            elif k > 2:
                total += k if categorical == "onehot" and k <= max_categories else 1
        else:
            x = _numeric(s)
            present = x[~np.isnan(x)]
            total += int(present.size > 0 and bool(np.any(present != present[0])))
    return total


def _frame(X: Any) -> pd.DataFrame:
    if isinstance(X, Dataset):
        return X.features
    if isinstance(X, pd.DataFrame):
        return X
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise InvalidDataError(f"expected a 2-D table, got shape {arr.shape}")
    return pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])


def _is_categorical(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)


def _categorical_mask(frame: pd.DataFrame) -> np.ndarray:
    return np.array(
        [
            not pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t)
            for t in frame.dtypes
        ],
        dtype=bool,
    )


def _numeric_block(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The given numeric columns as one float64 matrix, non-finite values as NaN."""
    if not columns:
        return np.empty((len(frame), 0))
    x = frame[columns].to_numpy(dtype="float64", na_value=np.nan)
    return np.where(np.isfinite(x), x, np.nan)


def _numeric(s: pd.Series) -> np.ndarray:
    x = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return np.where(np.isfinite(x), x, np.nan)


def _fit_scaler(block: np.ndarray, scaling: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return magnitude, center and spread: transform is (x / magnitude - center) / spread."""
    d = block.shape[1]
    if d == 0 or scaling == "none":
        return np.ones(d), np.zeros(d), np.ones(d)
    # Every step divides by a positive spread of the column, computed on a copy
    # pre-divided by the column's max magnitude so that nothing overflows.
    mag = np.max(np.abs(block), axis=0)
    mag[mag == 0] = 1.0
    x = block / mag
    if scaling == "standard":
        center, spread = x.mean(axis=0), x.std(axis=0)
    elif scaling == "robust":
        q1, med, q3 = np.percentile(x, [25, 50, 75], axis=0)
        center, spread = med, q3 - q1
        fallback = spread <= 0
        spread[fallback] = x[:, fallback].std(axis=0)
    else:
        lo, hi = x.min(axis=0), x.max(axis=0)
        center, spread = lo, hi - lo
    spread[~(spread > 0)] = 1.0
    return mag, center, spread
