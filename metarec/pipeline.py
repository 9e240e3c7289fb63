"""One configuration -> (preprocessing, estimator): the pipeline every fit goes through.

A configuration's ``preprocessing`` (a scaler, and optionally PCA keeping a share
of the variance) turns a :class:`~metarec.dataset.Dataset` into a finite float
matrix; its algorithm and parameters then become a scikit-learn clusterer whose
data-relative parameters (DBSCAN's ``eps`` as a distance quantile, sizes as row
fractions, ...) are measured on that matrix (:class:`~metarec.space.DataScales`).
The runner, :class:`~metarec.estimator.MetaClusterer` and the command line all
build their fits here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from metarec.dataset import Dataset
from metarec.preprocessing import Preprocessor
from metarec.space import Configuration, DataScales, build_estimator

__all__ = ["ConfigPreprocessing", "build_pipeline"]


class ConfigPreprocessing:
    """A configuration's preprocessing: :class:`~metarec.preprocessing.Preprocessor`
    with its scaler, then PCA keeping ``pca`` of the variance (``"none"``: no PCA).

    Parameters
    ----------
    scaler : {"standard", "robust", "minmax", "none"}, default="standard"
        Scaling of numeric and ordinal columns.
    pca : {"none", "0.8", "0.95"}, default="none"
        Share of the variance PCA keeps; no PCA on a single column.

    Examples
    --------
    >>> from metarec import load_dataset
    >>> pre = ConfigPreprocessing("standard", "0.95")
    >>> pre.fit_transform(load_dataset("sklearn:iris")).shape
    (150, 2)
    """

    def __init__(self, scaler: str = "standard", pca: str = "none") -> None:
        self.scaler = scaler
        self.pca = pca

    def fit_transform(self, dataset: Dataset) -> np.ndarray:
        """Learn the preprocessing on ``dataset`` and return its matrix (C-contiguous)."""
        self.preprocessor_ = Preprocessor(scaling=self.scaler)  # type: ignore[arg-type]
        X = self.preprocessor_.fit_transform(dataset)
        self.pca_ = None
        if self.pca != "none" and X.shape[1] > 1:
            from sklearn.decomposition import PCA

            self.pca_ = PCA(n_components=float(self.pca), svd_solver="full")
            X = self.pca_.fit_transform(X)
        return np.ascontiguousarray(X, dtype=np.float64)

    def transform(self, dataset: Dataset) -> np.ndarray:
        """The matrix of new rows, preprocessed as learned."""
        X = self.preprocessor_.transform(dataset)
        if self.pca_ is not None:
            X = self.pca_.transform(X)
        return np.ascontiguousarray(X, dtype=np.float64)


def build_pipeline(
    config: Mapping[str, Any], dataset: Dataset, random_state: int = 0
) -> tuple[ConfigPreprocessing, Any, np.ndarray]:
    """The fitted preprocessing, the (unfitted) clusterer and the matrix it is to fit.

    Parameters
    ----------
    config : Configuration or mapping
        A configuration of the search space (see :mod:`metarec.space`).
    dataset : Dataset
        The data.
    random_state : int, default=0
        Seed of the clusterer and of the distance-scale sample.

    Returns
    -------
    preprocessing : ConfigPreprocessing
        Fitted on ``dataset``; ``transform`` preprocesses new rows the same way.
    estimator : scikit-learn clusterer
        Built for the preprocessed data; call ``fit_predict(X)``.
    X : ndarray
        The preprocessed matrix.

    Examples
    --------
    >>> from metarec import load_dataset
    >>> pre, est, X = build_pipeline({"algorithm": "kmeans"}, load_dataset("sklearn:iris"))
    >>> type(est).__name__, X.shape
    ('KMeans', (150, 4))
    """
    canon = Configuration.from_dict(config)
    pre = ConfigPreprocessing(**canon.preprocessing)
    X = pre.fit_transform(dataset)
    return pre, build_estimator(canon, DataScales(X, random_state), random_state), X
