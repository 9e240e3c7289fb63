"""Turn a mixed-type feature table into a finite numeric matrix for clustering."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
)
from sklearn.utils.validation import check_is_fitted

from metarec.dataset import Dataset
from metarec.exceptions import ConstantDataError, InvalidDataError

__all__ = ["GuardedScaler", "Preprocessor", "expected_n_features"]

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
        """Learn encodings, imputation values and scaling from ``X``.

        Parameters
        ----------
        X : DataFrame, Dataset or array-like of shape (n_samples, n_features)
            The table to learn from.
        y : None
            Ignored.

        Returns
        -------
        Preprocessor
            This fitted transformer.
        """
        self._fit(X)
        return self

    def _fit(self, X: Any) -> Any:
        """Fit; return the ColumnTransformer's output on ``X`` (its fit encodes it anyway)."""
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
        dropped = [c for c, k in zip(numeric_cols, keep, strict=True) if not k]
        plan: list[tuple[str, str, list[str]]] = []
        for col in frame.columns[categorical]:
            counts = _as_text(frame[col]).dropna().value_counts()
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
        names: list[str] = list(self.numeric_columns_)
        for col, kind, levels in plan:
            if kind == "binary":
                names.append(f"{col}={levels[1]}")
            elif kind == "onehot":
                names.extend(f"{col}={lev}" for lev in levels)
            else:
                names.append(col)
        self.feature_names_out_ = np.asarray(names, dtype=object)
        self.n_features_out_ = len(names)
        self.transformer_, self.order_ = self._column_transformer()
        return self.transformer_.fit_transform(frame)

    def _column_transformer(self) -> tuple[ColumnTransformer, np.ndarray]:
        """scikit-learn's ColumnTransformer for the plan, and the permutation of its
        output columns into the documented order.

        One transformer per kind of column (numeric; binary, one-hot and ordinal
        categorical), not one per column: a ColumnTransformer's cost grows with its
        number of transformers. The permutation puts the categorical outputs back in
        input order.
        """
        parts: list[tuple[str, Any, list[str]]] = []
        if self.numeric_columns_:
            numeric = make_pipeline(
                FunctionTransformer(_finite_or_nan, feature_names_out="one-to-one"),
                SimpleImputer(strategy="median"),
                GuardedScaler(self.scaling),
            )
            parts.append(("numeric", numeric, self.numeric_columns_))
        # outputs per column: one for binary and ordinal, one per level for one-hot
        width = {"binary": 1, "ordinal": 1}
        groups: dict[str, list[int]] = {"binary": [], "onehot": [], "ordinal": []}
        for i, (_, kind, _) in enumerate(self.plan_):
            groups[kind].append(i)
        blocks: dict[int, np.ndarray] = {}
        start = len(self.numeric_columns_)
        for kind in ("binary", "onehot", "ordinal"):
            members = groups[kind]
            if not members:
                continue
            columns = [self.plan_[i][0] for i in members]
            levels = [self.plan_[i][2] for i in members]
            # missing categories take the most frequent level (ties: the smallest),
            # which is levels[0] by the plan's ordering
            steps: list[Any] = [
                FunctionTransformer(_text_or_nan, feature_names_out="one-to-one"),
                SimpleImputer(strategy="most_frequent"),
            ]
            if kind == "ordinal":
                # an unseen level counts as the most frequent one (rank 0), like a missing one
                steps += [
                    OrdinalEncoder(
                        categories=levels,
                        handle_unknown="use_encoded_value",
                        unknown_value=-1,
                        dtype=np.float64,
                    ),
                    FunctionTransformer(_unknown_as_first, feature_names_out="one-to-one"),
                    GuardedScaler(self.scaling),
                ]
            else:
                steps.append(_one_hot(levels, drop_first=kind == "binary"))
            parts.append((kind, make_pipeline(*steps), columns))
            for i, lev in zip(members, levels, strict=True):
                n = width.get(kind, len(lev))
                blocks[i] = np.arange(start, start + n)
                start += n
        order = np.concatenate(
            [np.arange(len(self.numeric_columns_))] + [blocks[i] for i in sorted(blocks)]
        ).astype(np.intp)
        transformer = ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)
        return transformer, order

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> np.ndarray:
        """Fit, then encode ``X``: the same as ``fit(X).transform(X)``.

        Parameters
        ----------
        X : DataFrame, Dataset or array-like of shape (n_samples, n_features)
            The table to learn from and encode.
        y : None
            Ignored.
        **fit_params : dict
            Ignored.

        Returns
        -------
        ndarray of shape (n_samples, n_features_out_)
            The encoded matrix; never NaN or infinite.
        """
        return self._finite(self._fit(X))

    def _finite(self, raw: Any) -> np.ndarray:
        """The ColumnTransformer's output in the documented column order, made finite."""
        x = np.asarray(raw, dtype=float)[:, self.order_]
        return np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)

    # ------------------------------------------------------------ transform
    def transform(self, X: Any) -> np.ndarray:
        """Encode and scale ``X`` into a finite float64 matrix.

        Parameters
        ----------
        X : DataFrame, Dataset or array-like of shape (n_samples, n_features)
            A table with the columns seen in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples, n_features_out_)
            The encoded matrix; never NaN or infinite.
        """
        check_is_fitted(self, "plan_")
        frame = _frame(X)
        needed = self.numeric_columns_ + [c for c, _, _ in self.plan_]
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise InvalidDataError(f"columns seen in fit are missing: {missing[:5]}")
        with warnings.catch_warnings():
            # unseen levels are encoded as all zeros, as documented
            warnings.filterwarnings("ignore", message="Found unknown categories")
            raw = self.transformer_.transform(frame[needed])
        return self._finite(raw)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns.

        Parameters
        ----------
        input_features : None
            Ignored (the names seen in :meth:`fit` are used).

        Returns
        -------
        ndarray of str
            ``col`` for numeric and ordinal columns, ``col=level`` for 0/1 columns.
        """
        check_is_fitted(self, "feature_names_out_")
        return np.asarray(self.feature_names_out_, dtype=object)


class GuardedScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """A scikit-learn scaler that cannot overflow: it scales ``x / max|x|``.

    Columns are first divided by their largest magnitude, so that no step of the
    scaler (squares for the variance, differences of extremes) overflows on huge
    values; then :class:`~sklearn.preprocessing.StandardScaler`,
    :class:`~sklearn.preprocessing.RobustScaler` or
    :class:`~sklearn.preprocessing.MinMaxScaler` does the scaling. A robust spread
    of zero (more than half the values equal) falls back to the standard deviation.

    Parameters
    ----------
    scaling : {"standard", "robust", "minmax", "none"}, default="standard"
        Which scaler.

    Attributes
    ----------
    magnitude_ : ndarray of shape (n_features,)
        The largest absolute value of each column (1 for an all-zero column, and
        for every column with ``"none"``).
    scaler_ : estimator or None
        The fitted scikit-learn scaler (None for ``"none"``).

    Examples
    --------
    >>> import numpy as np
    >>> from metarec.preprocessing import GuardedScaler
    >>> GuardedScaler().fit_transform(np.array([[1e308], [-1e308]])).ravel().tolist()
    [1.0, -1.0]
    """

    def __init__(self, scaling: Scaling = "standard") -> None:
        self.scaling = scaling

    def fit(self, X: Any, y: Any = None) -> GuardedScaler:
        """Learn each column's magnitude and the scaler on the rescaled columns.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite values.
        y : None
            Ignored.

        Returns
        -------
        GuardedScaler
            This fitted scaler.
        """
        x = np.asarray(X, dtype=float)
        self.n_features_in_ = x.shape[1]
        if self.scaling == "none" or not len(x):
            mag = np.ones(x.shape[1])
        else:
            mag = np.max(np.abs(x), axis=0)
            mag[mag == 0] = 1.0
        self.magnitude_ = mag
        x = x / mag
        if self.scaling == "none":
            self.scaler_ = None
        elif self.scaling == "standard":
            self.scaler_ = StandardScaler().fit(x)
        elif self.scaling == "minmax":
            self.scaler_ = MinMaxScaler().fit(x)
        else:
            self.scaler_ = RobustScaler().fit(x)
            q1, q3 = np.percentile(x, [25, 75], axis=0)
            flat = q3 <= q1
            std = x[:, flat].std(axis=0)
            self.scaler_.scale_[flat] = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Scale ``X`` as learned in :meth:`fit`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The scaled values (possibly infinite for values far beyond those seen
            in fit; :class:`Preprocessor` zeroes those).
        """
        check_is_fitted(self, "magnitude_")
        with np.errstate(over="ignore", invalid="ignore"):
            x = np.asarray(X, dtype=float) / self.magnitude_
            return x if self.scaler_ is None else np.asarray(self.scaler_.transform(x))


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


def _as_text(s: pd.Series) -> pd.Series:
    """A column's values as strings, missing ones as None."""
    text = s.astype("object").where(s.notna(), None)
    return text.map(lambda v: None if v is None else str(v))


def _finite_or_nan(x: Any) -> np.ndarray:
    if isinstance(x, pd.DataFrame):
        values = x.to_numpy(dtype="float64", na_value=np.nan)
    else:
        values = np.asarray(x, dtype="float64")
    return np.where(np.isfinite(values), values, np.nan)


def _unknown_as_first(x: np.ndarray) -> np.ndarray:
    """OrdinalEncoder's code -1 for a level unseen in fit becomes 0, the most frequent.

    Column-major, so that the scaler's column sums add each column as the one-column
    array of a column-by-column encoding would (bit for bit).
    """
    return np.asfortranarray(np.maximum(x, 0.0))


def _text_or_nan(x: Any) -> np.ndarray:
    frame = x if isinstance(x, pd.DataFrame) else pd.DataFrame(x)
    text = frame.apply(_as_text)
    return text.to_numpy(dtype=object, na_value=np.nan)


def _one_hot(levels: list[list[str]], drop_first: bool) -> OneHotEncoder:
    return OneHotEncoder(
        categories=levels,
        drop="first" if drop_first else None,
        handle_unknown="ignore",
        sparse_output=False,
        dtype=np.float64,
    )
