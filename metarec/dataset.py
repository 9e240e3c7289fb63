"""The :class:`Dataset` type every part of metarec exchanges.

A dataset is a feature table (a pandas DataFrame whose columns are typed numeric,
categorical or binary), optional ground-truth labelings kept apart from the
features, a name, a source URI and two content keys:

* :attr:`Dataset.content_hash` identifies the exact feature values, independent of
  row order and column names;
* :attr:`Dataset.fingerprint` is a scale-, row- and column-order-invariant summary
  used to find near-duplicates (the same data standardized, shuffled or with its
  columns permuted), see :meth:`Dataset.is_near_duplicate`.

Labels never enter either key, the meta-features or any recommendation.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from metarec.exceptions import (
    AllMissingError,
    ConstantDataError,
    EmptyDataError,
    InvalidDataError,
    LabelError,
    NonFiniteValueError,
    NonNumericValueError,
    TooFewRowsError,
)

__all__ = ["MISSING_TOKENS", "ColumnType", "Dataset"]

#: Strings read as a missing value in text columns (compared case-insensitively).
MISSING_TOKENS = frozenset({"", "?", "na", "n/a", "nan", "null", "none", "-", "--"})

# Share of parseable values above which an object column is taken to be numeric
# with a few bad entries (an error) rather than categorical.
_NUMERIC_SHARE = 0.8

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


class ColumnType(str, Enum):
    """Semantic type of a feature column."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BINARY = "binary"


@dataclass(eq=False)
class Dataset:
    """A feature table with optional ground truth, ready for metarec.

    Build one with :meth:`from_frame` (or the loaders in :mod:`metarec.io`): it
    validates the table and raises a typed :class:`~metarec.exceptions.InvalidDataError`
    for empty tables, single rows, all-missing or all-constant data, infinite
    values, non-numeric garbage in a numeric column and labels of the wrong length.

    Parameters
    ----------
    features : pandas.DataFrame
        Normalized feature table: numeric columns as ``float64``, the others as
        pandas ``category``.
    name : str
        Human-readable name.
    source : str
        URI the dataset was loaded from (``sklearn:iris``, ``openml:2``, a path).
    labelings : tuple of numpy.ndarray
        Reference labelings (ground truth); the first one is :attr:`labels`.
        Never used for meta-features or recommendation.
    qualities : dict
        Data qualities the source computed (OpenML's server-side meta-features).
    n_original : int, optional
        Rows before subsampling; ``None`` when the table is complete.
    metadata : dict
        Free-form provenance (description, licence, target column, ...).

    Examples
    --------
    >>> import pandas as pd
    >>> from metarec import Dataset
    >>> ds = Dataset.from_frame(pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]}))
    >>> ds.shape
    (3, 2)
    >>> ds.column_types["c"].value
    'binary'
    """

    features: pd.DataFrame
    name: str = "dataset"
    source: str = "memory"
    labelings: tuple[np.ndarray, ...] = ()
    qualities: dict[str, float] = field(default_factory=dict)
    n_original: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ build
    @classmethod
    def from_frame(
        cls,
        data: pd.DataFrame | np.ndarray | Sequence[Sequence[Any]],
        labels: Any = None,
        *,
        name: str = "dataset",
        source: str = "memory",
        categorical: Iterable[str] | None = None,
        extra_labelings: Iterable[Any] = (),
        qualities: Mapping[str, float] | None = None,
        metadata: Mapping[str, Any] | None = None,
        min_rows: int = 2,
    ) -> Dataset:
        """Validate and normalize a table (DataFrame, 2-D array or nested lists).

        Parameters
        ----------
        data : DataFrame, ndarray or sequence of rows
            The features. Object columns whose values all parse as numbers become
            numeric; other object columns become categorical.
        labels : array-like, optional
            Ground-truth labels, one per row.
        name, source : str
            Identification of the dataset.
        categorical : iterable of str, optional
            Columns to treat as categorical whatever their values look like.
        extra_labelings : iterable of array-like
            Further valid reference labelings (as in the clustering benchmark suite).
        qualities, metadata : mapping, optional
            See the class docstring.
        min_rows : int, default=2
            Fewest rows accepted. With 1 (new rows to label with a fitted model) the
            all-missing and all-constant checks are skipped too.
        """
        frame = _as_frame(data, min_rows)
        features = _normalize_features(frame, set(categorical or ()), check_content=min_rows > 1)
        labelings = tuple(
            _check_labels(lab, len(features))
            for lab in ([labels] if labels is not None else []) + list(extra_labelings)
        )
        return cls(
            features=features,
            name=name,
            source=source,
            labelings=labelings,
            qualities=dict(qualities or {}),
            metadata=dict(metadata or {}),
        )

    # ------------------------------------------------------------ properties
    @property
    def labels(self) -> np.ndarray | None:
        """The first reference labeling, or ``None`` when the data is unlabeled."""
        return self.labelings[0] if self.labelings else None

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_rows, n_columns)`` of the feature table."""
        return (int(self.features.shape[0]), int(self.features.shape[1]))

    @cached_property
    def column_types(self) -> dict[str, ColumnType]:
        """Semantic type of every column (binary: exactly two distinct values)."""
        types: dict[str, ColumnType] = {}
        distinct = self.profile.distinct
        for j, col in enumerate(self.features.columns):
            s = self.features[col]
            if distinct[j] == 2:
                types[col] = ColumnType.BINARY
            elif isinstance(s.dtype, pd.CategoricalDtype):
                types[col] = ColumnType.CATEGORICAL
            else:
                types[col] = ColumnType.NUMERIC
        return types

    @cached_property
    def profile(self) -> ColumnProfile:
        """Distinct-value and missing-value counts per column (see :class:`ColumnProfile`)."""
        return column_profile(self.features)

    @property
    def numeric_columns(self) -> list[str]:
        """Columns stored as numbers (numeric, and binary columns holding numbers)."""
        return [c for c in self.features.columns if not _is_categorical(self.features[c])]

    @property
    def categorical_columns(self) -> list[str]:
        """Columns stored as categories (categorical, and binary columns holding labels)."""
        return [c for c in self.features.columns if _is_categorical(self.features[c])]

    @property
    def n_classes(self) -> int | None:
        """Number of distinct classes in :attr:`labels` (noise label included)."""
        lab = self.labels
        return None if lab is None else int(pd.Series(lab).nunique(dropna=True))

    @cached_property
    def content_hash(self) -> str:
        """Hex digest of the feature values, independent of row order and column names.

        Numbers are hashed by their float64 bit pattern (``-0.0`` as ``0.0``, every NaN
        alike), categories by their text; rows are hashed, sorted and digested, so a
        shuffled copy of a dataset has the same hash.
        """
        rows = _row_hashes(self.features)
        digest = hashlib.sha256()
        digest.update(np.asarray(self.shape, dtype="<i8").tobytes())
        digest.update(np.sort(rows).astype("<u8").tobytes())
        return digest.hexdigest()[:32]

    @cached_property
    def fingerprint(self) -> np.ndarray:
        """Scale-invariant summary: for each column, quantiles of its z-scores.

        Columns are sorted so that their order does not matter; a column and its
        negation share a fingerprint. Shape ``(n_columns, 11)``.
        """
        return _fingerprint(self.features)

    def coded_fingerprint(self, max_codes: int = 32) -> np.ndarray:
        """The fingerprint with each numeric column of 2 to ``max_codes`` whole-number
        values profiled as a categorical column is (its values' frequencies): what a
        copy whose categories were encoded as numbers matches.

        Parameters
        ----------
        max_codes : int, default=32
            At most this many distinct codes make a column a coded category.

        Returns
        -------
        ndarray of shape (n_columns, 11)

        Examples
        --------
        >>> import pandas as pd
        >>> from metarec import Dataset
        >>> x = [i / 7 for i in range(30)]
        >>> words = Dataset.from_frame(pd.DataFrame({"c": list("aabbbc") * 5, "x": x}))
        >>> codes = Dataset.from_frame(pd.DataFrame({"c": [0, 0, 1, 1, 1, 2] * 5, "x": x}))
        >>> bool((words.fingerprint == codes.coded_fingerprint()).all())
        True
        """
        frame = self.features
        coded = {}
        for name in frame.columns:
            s = frame[name]
            if _is_categorical(s) or not pd.api.types.is_numeric_dtype(s):
                continue
            values = s.dropna().to_numpy(dtype=float)
            distinct = np.unique(values)
            if 2 <= len(distinct) <= max_codes and np.all(distinct == np.round(distinct)):
                coded[name] = s.astype("category")
        return _fingerprint(frame.assign(**coded)) if coded else self.fingerprint

    def numbered_fingerprint(self) -> np.ndarray:
        """The fingerprint with each categorical column whose labels are all numbers
        profiled as those numbers: what a copy that declares numeric attributes nominal
        (as some ARFF files do) shares with the numeric original.

        Returns
        -------
        ndarray of shape (n_columns, 11)

        Examples
        --------
        >>> import pandas as pd
        >>> from metarec import Dataset
        >>> x = [i % 4 for i in range(30)]
        >>> numbers = Dataset.from_frame(pd.DataFrame({"a": x, "b": [i / 7 for i in range(30)]}))
        >>> labels = Dataset.from_frame(
        ...     pd.DataFrame({"a": [str(v) for v in x], "b": [i / 7 for i in range(30)]}),
        ...     categorical=["a"],
        ... )
        >>> bool((labels.numbered_fingerprint() == numbers.fingerprint).all())
        True
        """
        frame = self.features
        numbered = {}
        for name in frame.columns:
            s = frame[name]
            if not _is_categorical(s):
                continue
            values = pd.to_numeric(s.astype("object"), errors="coerce")
            if values.notna().sum() == s.notna().sum() and s.notna().any():
                numbered[name] = values.astype(float)
        return _fingerprint(frame.assign(**numbered)) if numbered else self.fingerprint

    def is_near_duplicate(self, other: Dataset, tol: float = 0.05) -> bool:
        """Whether ``other`` holds the same data up to scaling, order and small noise.

        True when both have the same number of columns, row counts within 1 %, and
        column fingerprints within ``tol`` (max absolute difference of z-score
        quantiles).

        Examples
        --------
        >>> import numpy as np
        >>> from metarec import Dataset
        >>> x = np.random.default_rng(0).normal(size=(100, 3))
        >>> a = Dataset.from_frame(x)
        >>> b = Dataset.from_frame(10 * x[::-1] + 5)
        >>> a.is_near_duplicate(b)
        True
        """
        return fingerprints_match(self.fingerprint, self.shape, other.fingerprint, other.shape, tol)

    # ------------------------------------------------------------ transforms
    def with_labels(self, labels: Any, *extra: Any) -> Dataset:
        """A copy with the given reference labeling(s) in place of the current ones.

        Raises :class:`~metarec.exceptions.LabelError` when a labeling does not have
        one entry per row.
        """
        n = self.shape[0]
        return replace(self, labelings=tuple(_check_labels(lab, n) for lab in (labels, *extra)))

    def subsample(self, max_rows: int, random_state: int = 0) -> Dataset:
        """Return a seeded uniform subsample of at most ``max_rows`` rows.

        The original row count is kept in :attr:`n_original`; labelings follow
        the rows. Returns ``self`` when the data is small enough.
        """
        n = self.shape[0]
        if max_rows < 2:
            raise TooFewRowsError(f"max_rows must be at least 2, got {max_rows}")
        if n <= max_rows:
            return self
        rng = np.random.default_rng(random_state)
        idx = np.sort(rng.choice(n, size=max_rows, replace=False))
        return replace(
            self,
            features=self.features.iloc[idx].reset_index(drop=True),
            labelings=tuple(lab[idx] for lab in self.labelings),
            n_original=self.n_original or n,
            metadata={**self.metadata, "subsample_seed": random_state},
        )

    def summary(self) -> dict[str, Any]:
        """Plain-data description: shape, column types, missing values, labels."""
        types = pd.Series({c: t.value for c, t in self.column_types.items()}, dtype=object)
        out: dict[str, Any] = {
            "name": self.name,
            "source": self.source,
            "rows": self.shape[0],
            "columns": self.shape[1],
            "rows_before_subsampling": self.n_original,
            "column_types": {k: int(v) for k, v in types.value_counts().items()},
            "missing_values": int(self.profile.missing.sum()),
            "rows_with_missing": self.profile.rows_with_missing,
            "content_hash": self.content_hash,
            "labelings": len(self.labelings),
        }
        if self.labels is not None:
            counts = pd.Series(self.labels).value_counts()
            out["classes"] = int(counts.size)
            out["class_sizes"] = {str(k): int(v) for k, v in counts.head(20).items()}
        if self.qualities:
            out["openml_qualities"] = len(self.qualities)
        return out

    def __repr__(self) -> str:
        n, d = self.shape
        lab = "unlabeled" if self.labels is None else f"{self.n_classes} classes"
        return f"Dataset({self.name!r}, {n}x{d}, {lab}, source={self.source!r})"


# ---------------------------------------------------------------- helpers
def fingerprints_match(
    fp_a: np.ndarray,
    shape_a: tuple[int, int],
    fp_b: np.ndarray,
    shape_b: tuple[int, int],
    tol: float = 0.05,
) -> bool:
    """The near-duplicate rule of :meth:`Dataset.is_near_duplicate` on stored fingerprints."""
    (n1, d1), (n2, d2) = shape_a, shape_b
    if d1 != d2 or abs(n1 - n2) > 0.01 * max(n1, n2):
        return False
    a, b = np.asarray(fp_a, dtype=float), np.asarray(fp_b, dtype=float)
    return a.shape == b.shape and bool(np.max(np.abs(a - b)) <= tol)


@dataclass(frozen=True)
class ColumnProfile:
    """Per-column facts computed in one vectorized pass.

    ``distinct`` is the number of distinct non-missing values capped at 3 (enough to
    tell empty, constant, binary and more); ``missing`` counts missing values per
    column; ``rows_with_missing`` counts rows with any missing value.
    """

    distinct: np.ndarray
    missing: np.ndarray
    rows_with_missing: int


def column_profile(frame: pd.DataFrame) -> ColumnProfile:
    """Compute a :class:`ColumnProfile` of any DataFrame (numbers vectorized as a block)."""
    n, d = frame.shape
    distinct = np.zeros(d, dtype=np.int64)
    missing = np.zeros(d, dtype=np.int64)
    row_missing = np.zeros(n, dtype=bool)
    is_num = np.array(
        [
            pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
            for t in frame.dtypes
        ],
        dtype=bool,
    )
    if is_num.any():
        x = frame.iloc[:, np.flatnonzero(is_num)].to_numpy(dtype="float64", na_value=np.nan)
        nan = np.isnan(x)
        row_missing |= nan.any(axis=1)
        missing[is_num] = nan.sum(axis=0)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
        two = ((x == lo) | (x == hi) | nan).all(axis=0)
        distinct[is_num] = np.where(np.isnan(lo), 0, np.where(lo == hi, 1, np.where(two, 2, 3)))
    for j in np.flatnonzero(~is_num):
        s: pd.Series = frame[frame.columns[int(j)]]
        nan = s.isna().to_numpy()
        row_missing |= nan
        missing[j] = int(nan.sum())
        distinct[j] = min(int(s.nunique(dropna=True)), 3)
    return ColumnProfile(distinct, missing, int(row_missing.sum()))


def _is_categorical(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.CategoricalDtype)


def _as_frame(data: Any, min_rows: int = 2) -> pd.DataFrame:
    import scipy.sparse

    if scipy.sparse.issparse(data):
        raise InvalidDataError(
            "sparse input is not supported; pass a dense array (X.toarray()) or a DataFrame"
        )
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
    else:
        try:
            arr = np.asarray(data, dtype=object) if not isinstance(data, np.ndarray) else data
        except ValueError as exc:  # ragged nested lists
            raise EmptyDataError(
                f"cannot read the data as a table ({exc}); pass a DataFrame or a 2-D array"
            ) from None
        if arr.ndim == 1 and arr.size == 0:
            arr = arr.reshape(0, 0)
        if np.iscomplexobj(arr):
            raise NonNumericValueError("Complex data not supported; pass real numbers")
        if arr.ndim != 2:
            raise EmptyDataError(
                f"expected a 2-D table, got an array with {arr.ndim} dimension(s); "
                "Reshape your data to (n_rows, n_columns)"
            )
        frame = pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        n, d = frame.shape
        raise EmptyDataError(
            f"the table is empty: {n} sample(s), {d} feature(s) (shape=({n}, {d})) while a "
            "minimum of 1 is required; give at least 2 rows and 1 column"
        )
    if frame.shape[0] < min_rows:
        raise TooFewRowsError(
            "the table has a single row (1 sample); clustering needs at least 2 rows"
        )
    frame.columns = _unique_names(frame.columns)
    return frame.reset_index(drop=True)


def _unique_names(columns: Iterable[Any]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for c in columns:
        name = str(c)
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        seen.setdefault(name, 0)
        out.append(name)
    return out


def _normalize_features(
    frame: pd.DataFrame, categorical: set[str], check_content: bool = True
) -> pd.DataFrame:
    unknown = categorical - set(frame.columns)
    if unknown:
        raise InvalidDataError(
            f"categorical columns not in the table: {sorted(unknown)}; check the names"
        )
    # Numeric columns are converted and checked as one block (fast on wide tables).
    is_block = [
        pd.api.types.is_numeric_dtype(t)
        and not pd.api.types.is_bool_dtype(t)
        and not isinstance(t, pd.CategoricalDtype)
        and name not in categorical
        for name, t in zip(frame.columns, frame.dtypes, strict=True)
    ]
    block_cols = [c for c, b in zip(frame.columns, is_block, strict=True) if b]
    parts: list[pd.DataFrame] = []
    if block_cols:
        block = frame[block_cols].to_numpy(dtype="float64", na_value=np.nan)
        inf = np.isinf(block)
        if inf.any():
            row, col = (int(v[0]) for v in np.nonzero(inf))
            raise NonFiniteValueError(
                f"column {block_cols[col]!r} holds an infinite value at row {row}; "
                "replace it with a finite number or mark it missing"
            )
        parts.append(pd.DataFrame(block, columns=block_cols))
    others = {
        name: _normalize_column(frame[name], name, force_categorical=name in categorical)
        for name, b in zip(frame.columns, is_block, strict=True)
        if not b
    }
    if others:
        parts.append(pd.DataFrame(others))
    out = parts[0] if len(parts) == 1 else pd.concat(parts, axis=1)[list(frame.columns)]
    if not check_content:
        return out
    profile = column_profile(out)
    if int(profile.distinct.max()) == 0:
        raise AllMissingError("every value in the table is missing; nothing to cluster")
    if int(profile.distinct.max()) <= 1:
        raise ConstantDataError(
            "every column holds a single value; nothing to cluster (check the file's columns)"
        )
    return out


def _normalize_column(s: pd.Series, name: str, force_categorical: bool) -> pd.Series:
    if force_categorical:
        return _to_category(s)
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = s.cat.categories
        if not pd.api.types.is_string_dtype(cats.dtype) and not pd.api.types.is_object_dtype(
            cats.dtype
        ):
            s = s.cat.rename_categories([str(c) for c in cats])
        return s.reset_index(drop=True)
    if pd.api.types.is_bool_dtype(s.dtype):
        return _to_category(s)
    if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(s.dtype):
        return _days(s)
    if pd.api.types.is_numeric_dtype(s.dtype):
        values = pd.to_numeric(s, errors="coerce").astype("float64")
        _check_finite(values, name)
        return values.reset_index(drop=True)
    # text / object / mixed column
    text = s.astype("object")
    is_missing = text.isna() | text.map(
        lambda v: isinstance(v, str) and v.strip().lower() in MISSING_TOKENS
    ).astype(bool)
    present = text[~is_missing]
    if present.empty:
        return pd.Series(np.full(len(s), np.nan), name=name, dtype="float64")
    parsed = pd.to_numeric(
        present.map(lambda v: v.strip() if isinstance(v, str) else v), errors="coerce"
    )
    bad = parsed.isna()
    if not bad.any():
        values = pd.Series(np.nan, index=s.index, dtype="float64")
        values[~is_missing] = parsed.astype("float64")
        _check_finite(values, name)
        return values.reset_index(drop=True)
    if (~bad).mean() >= _NUMERIC_SHARE:
        row = int(bad[bad].index[0])
        raise NonNumericValueError(
            f"column {name!r} is numeric but row {row} holds {present[row]!r}; "
            "fix the value, mark it missing, or declare the column categorical"
        )
    cleaned = text.where(~is_missing, None)
    return _to_category(cleaned)


def _days(s: pd.Series) -> pd.Series:
    """A date column as days since 1970-01-01 (UTC), whatever its unit or time zone."""
    stamps = pd.to_datetime(s, utc=True)
    days = (stamps - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(days=1)
    return days.astype("float64").reset_index(drop=True)


def _to_category(s: pd.Series) -> pd.Series:
    s = s.reset_index(drop=True)
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s
    mask = s.isna()
    as_text = s.astype("object").where(mask, s.astype(str)).where(~mask, None)
    return as_text.astype("category")


def _check_finite(values: pd.Series, name: str) -> None:
    arr = values.to_numpy(dtype="float64", na_value=np.nan)
    inf = np.isinf(arr)
    if inf.any():
        row = int(np.flatnonzero(inf)[0])
        raise NonFiniteValueError(
            f"column {name!r} holds an infinite value at row {row}; "
            "replace it with a finite number or mark it missing"
        )


def _check_labels(labels: Any, n_rows: int) -> np.ndarray:
    if isinstance(labels, pd.DataFrame):
        if labels.shape[1] != 1:
            raise LabelError(
                f"labels must be one column, got a table with {labels.shape[1]} columns"
            )
        labels = labels.iloc[:, 0]
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise LabelError(f"labels must be one-dimensional, got shape {arr.shape}")
    if arr.shape[0] != n_rows:
        raise LabelError(
            f"labels have {arr.shape[0]} entries but the table has {n_rows} rows; "
            "give one label per row"
        )
    return arr


# ---------------------------------------------------------------- hashing
def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
        return x ^ (x >> np.uint64(31))


def _text_hash(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "little")


def _category_words(s: pd.Series) -> np.ndarray:
    codes = s.cat.codes.to_numpy()
    table = np.array(
        [_text_hash(str(c)) for c in s.cat.categories] + [_text_hash("\x00<NA>")],
        dtype=np.uint64,
    )
    return table[np.where(codes < 0, len(table) - 1, codes)]


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row: a multilinear hash of the row's words, then mixed.

    Word ``w_j`` of column ``j`` is the float64 bit pattern of a number or a hash of a
    category's text; the row hash is ``splitmix64(sum_j w_j * a_j mod 2**64)`` with
    fixed odd multipliers ``a_j``, computed in row chunks.
    """
    n, d = frame.shape
    multipliers = _splitmix64(np.arange(d, dtype=np.uint64) + np.uint64(0x5EED)) | np.uint64(1)
    categorical = np.array([isinstance(t, pd.CategoricalDtype) for t in frame.dtypes], dtype=bool)
    acc = np.zeros(n, dtype=np.uint64)
    num_idx = np.flatnonzero(~categorical)
    with np.errstate(over="ignore"):
        if num_idx.size:
            block = frame.iloc[:, num_idx].to_numpy(dtype="float64", na_value=np.nan)
            a = multipliers[num_idx]
            step = max(1, 4_000_000 // max(num_idx.size, 1))
            for start in range(0, n, step):
                chunk = block[start : start + step] + 0.0  # -0.0 -> 0.0
                chunk[np.isnan(chunk)] = np.nan  # one NaN bit pattern
                bits = np.ascontiguousarray(chunk).view(np.uint64)
                acc[start : start + step] += (bits * a).sum(axis=1, dtype=np.uint64)
        for j in np.flatnonzero(categorical):
            acc += _category_words(frame[frame.columns[int(j)]]) * multipliers[j]
    return _splitmix64(acc)


_FP_QUANTILES = np.linspace(0.0, 1.0, 11)


def _fingerprint(frame: pd.DataFrame) -> np.ndarray:
    rows = []
    for col in frame.columns:
        s = frame[col]
        if _is_categorical(s):
            freq = np.sort(s.value_counts(normalize=True, dropna=False).to_numpy())[::-1]
            v = np.zeros(len(_FP_QUANTILES))
            v[: min(len(v), len(freq))] = freq[: len(v)]
            rows.append(np.concatenate([[1.0], v[:-1]]))
            continue
        x = s.to_numpy(dtype="float64", na_value=np.nan)
        x = x[~np.isnan(x)]
        if x.size == 0 or np.ptp(x) == 0:
            rows.append(np.zeros(len(_FP_QUANTILES)))
            continue
        z = (x - x.mean()) / x.std()
        q = np.quantile(z, _FP_QUANTILES)
        q_neg = np.sort(-q)
        rows.append(np.asarray(min(tuple(q), tuple(q_neg))))
    fp = np.asarray(rows, dtype=float)
    order = np.lexsort(fp.T[::-1])
    return fp[order]
