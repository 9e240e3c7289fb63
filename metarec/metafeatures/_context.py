"""Shared intermediates of meta-feature extraction, each computed at most once.

Everything super-linear in the number of rows runs on a seeded row sample of
``sample_size`` rows (pairwise distances, k-NN graph, PCA, discretized
attributes); the landmarkers use its first ``landmark_size`` rows. Per-attribute
moments and OpenML's qualities use every row.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
from sklearn.metrics import euclidean_distances

from metarec.dataset import Dataset
from metarec.exceptions import ConstantDataError
from metarec.preprocessing import Preprocessor

__all__ = ["Context", "Moments"]

#: Neighbours kept in the k-NN graph of the sample.
KNN_K = 10
#: Sample rows whose pairwise distances feed the distance distribution features.
PAIR_ROWS = 500


class Moments:
    """Per-column sums of centred powers over the non-missing values of a matrix."""

    def __init__(self, x: np.ndarray) -> None:
        present = ~np.isnan(x)
        complete = bool(present.all())
        self.count = present.sum(axis=0).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            if complete:
                self.mean = x.mean(axis=0)
                d = x - self.mean
            else:
                self.mean = np.where(present, x, 0.0).sum(axis=0) / self.count
                d = np.where(present, x - self.mean, 0.0)
            d2 = d * d
            self.s2 = d2.sum(axis=0)
            self.s3 = np.einsum("ij,ij->j", d2, d)
            self.s4 = np.einsum("ij,ij->j", d2, d2)

    def std(self, ddof: int = 1) -> np.ndarray:
        """Standard deviation per column."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.sqrt(self.s2 / (self.count - ddof))


class Context:
    """Lazily computed views of one dataset shared by all meta-feature groups.

    Parameters
    ----------
    dataset : Dataset
        The data (labels are never looked at).
    sample_size : int
        Rows in the sample used for super-linear computations.
    landmark_size : int
        Rows of the sample the clustering landmarkers run on.
    random_state : int
        Seed of every random choice.
    """

    def __init__(
        self, dataset: Dataset, sample_size: int, landmark_size: int, random_state: int
    ) -> None:
        self.dataset = dataset
        self.frame = dataset.features
        self.sample_size = sample_size
        self.landmark_size = landmark_size
        self.random_state = random_state
        self.n_rows, self.n_cols = dataset.shape

    def rng(self, salt: int) -> np.random.Generator:
        """A generator seeded by ``random_state`` and a per-use salt."""
        return np.random.default_rng([self.random_state, salt])

    # --------------------------------------------------------------- columns
    @cached_property
    def numeric_columns(self) -> list[str]:
        """Columns stored as numbers."""
        return self.dataset.numeric_columns

    @cached_property
    def categorical_columns(self) -> list[str]:
        """Columns stored as categories."""
        return self.dataset.categorical_columns

    @cached_property
    def numeric(self) -> np.ndarray:
        """Numeric columns as a float matrix with NaN for missing values (all rows)."""
        if not self.numeric_columns:
            return np.empty((self.n_rows, 0))
        return self.frame[self.numeric_columns].to_numpy(dtype="float64", na_value=np.nan)

    @cached_property
    def moments(self) -> Moments:
        """Centred power sums of every numeric column over all rows."""
        return Moments(self.numeric)

    # ---------------------------------------------------------------- sample
    @cached_property
    def sample_index(self) -> np.ndarray:
        """Row indices of the seeded sample (all rows when the data is small)."""
        if self.n_rows <= self.sample_size:
            return np.arange(self.n_rows)
        return np.sort(self.rng(1).choice(self.n_rows, self.sample_size, replace=False))

    @cached_property
    def numeric_sample(self) -> np.ndarray:
        """Rows of :attr:`numeric` in the sample."""
        return self.numeric[self.sample_index]

    @cached_property
    def X(self) -> np.ndarray:
        """The sample encoded and standardized by :class:`~metarec.Preprocessor`."""
        sample = self.frame.iloc[self.sample_index]
        try:
            return Preprocessor().fit_transform(sample)
        except ConstantDataError:  # constant within the sample only
            return Preprocessor().fit(self.frame).transform(sample)

    @cached_property
    def D(self) -> np.ndarray:
        """Pairwise Euclidean distances between the rows of :attr:`X`."""
        d = euclidean_distances(self.X, squared=False)
        np.fill_diagonal(d, 0.0)
        return d

    @cached_property
    def distances(self) -> np.ndarray:
        """Pairwise distances among the first ``PAIR_ROWS`` sample rows, each pair once."""
        m = min(PAIR_ROWS, self.D.shape[0])
        iu = np.triu_indices(m, k=1)
        return self.D[:m, :m][iu]

    @cached_property
    def distance_quantiles(self) -> dict[int, float]:
        """1 %, 5 % and 50 % quantiles of :attr:`distances` (one partition pass)."""
        if self.distances.size == 0:
            return {1: np.nan, 5: np.nan, 50: np.nan}
        q = np.percentile(self.distances, [1, 5, 50])
        return {1: float(q[0]), 5: float(q[1]), 50: float(q[2])}

    @cached_property
    def knn(self) -> np.ndarray:
        """Sorted distances of each sample row to its ``KNN_K`` nearest other rows."""
        n = self.D.shape[0]
        k = min(KNN_K, n - 1)
        d = self.D.copy()
        np.fill_diagonal(d, np.inf)
        part = np.partition(d, k - 1, axis=1)[:, :k]
        return np.sort(part, axis=1)

    @cached_property
    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of the sample covariance of :attr:`X`, descending."""
        x = self.X - self.X.mean(axis=0)
        gram = x @ x.T if x.shape[0] < x.shape[1] else x.T @ x
        ev = np.linalg.eigvalsh(gram)[::-1] / max(x.shape[0] - 1, 1)
        return np.clip(ev, 0.0, None)

    @cached_property
    def codes(self) -> np.ndarray:
        """Sample discretized per column: numeric into ``BINS`` equal-width bins.

        Categorical columns keep their level codes; missing values get code -1.
        """
        return discretize(self.frame.iloc[self.sample_index], self.numeric_columns)

    # ------------------------------------------------------------- landmarks
    @cached_property
    def landmark_index(self) -> np.ndarray:
        """Positions (within the sample) of the rows the landmarkers use."""
        return np.arange(min(self.landmark_size, self.X.shape[0]))

    @cached_property
    def XL(self) -> np.ndarray:
        """Landmark rows of :attr:`X`."""
        return self.X[self.landmark_index]

    @cached_property
    def DL(self) -> np.ndarray:
        """Distances between landmark rows."""
        idx = self.landmark_index
        return self.D[np.ix_(idx, idx)]


BINS = 10


def discretize(frame: pd.DataFrame, numeric_columns: list[str]) -> np.ndarray:
    """Codes of each column: equal-width bins for numbers, level codes for categories."""
    out = np.full(frame.shape, -1, dtype=np.int64)
    num = set(numeric_columns)
    for j, col in enumerate(frame.columns):
        s = frame[col]
        if col in num:
            x = s.to_numpy(dtype="float64", na_value=np.nan)
            ok = ~np.isnan(x)
            if not ok.any():
                continue
            lo, hi = x[ok].min(), x[ok].max()
            width = (hi - lo) / BINS if hi > lo else 1.0
            c = np.floor((x[ok] - lo) / width).astype(np.int64)
            out[ok, j] = np.clip(c, 0, BINS - 1)
        else:
            out[:, j] = s.cat.codes.to_numpy()
    return out
