"""``MetaClusterer``: a scikit-learn clusterer that asks metarec what to run."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted

from metarec.config import DEFAULT_BUDGET
from metarec.dataset import Dataset
from metarec.exceptions import InvalidDataError, MetarecError

__all__ = ["MetaClusterer"]


class MetaClusterer(ClusterMixin, BaseEstimator):  # type: ignore[misc]
    """Recommend a clustering configuration for ``X`` and fit it.

    Parameters
    ----------
    rank : int, default=1
        Which recommendation to fit (1 = the top one).
    top : int, default=5
        How many recommendations to compute and keep in ``recommendation_``.
    knowledge : str, optional
        Knowledge base (see :func:`metarec.api.get_recommender`); default shipped.
    random_state : int, default=0
        Seed of the meta-feature extraction and of the fitted algorithm.
    n_clusters : int, optional
        Fix the number of clusters: the chosen configuration, when its algorithm
        takes one (clusters or mixture components), asks for this many instead of
        the recommended number. Algorithms that find the number themselves (DBSCAN,
        HDBSCAN, MeanShift, ...) are fitted as recommended.
    budget : float, default=DEFAULT_BUDGET
        Seconds for screening candidate partitions before choosing
        (:func:`metarec.recommend`); 0 chooses zero-shot, running nothing first.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster labels (-1 for noise with density-based algorithms).
    config_ : Configuration
        The configuration that was fitted (``config_.to_dict()`` is its JSON form).
    recommendation_ : Recommendation
        The full recommendation (ranked configurations, neighbours, k estimate).
    estimator_ : estimator
        The fitted scikit-learn clusterer.
    preprocessing_ : ConfigPreprocessing
        The fitted preprocessing (encoding, scaling, PCA) in front of it
        (:mod:`metarec.pipeline`).
    n_features_in_ : int
        Number of input columns.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from metarec import MetaClusterer
    >>> model = MetaClusterer().fit(load_iris().data)
    >>> model.labels_.shape, model.config_["algorithm"] == model.recommendation_.top.algorithm
    ((150,), True)
    >>> fixed = MetaClusterer(n_clusters=3).fit(load_iris().data)
    >>> fixed.config_.n_clusters in (None, 3)
    True
    """

    def __init__(
        self,
        rank: int = 1,
        top: int = 5,
        knowledge: Any = None,
        random_state: int = 0,
        n_clusters: int | None = None,
        budget: float = DEFAULT_BUDGET,
    ) -> None:
        self.rank = rank
        self.top = top
        self.knowledge = knowledge
        self.random_state = random_state
        self.n_clusters = n_clusters
        self.budget = budget

    def fit(self, X: Any, y: Any = None) -> MetaClusterer:
        """Recommend for ``X`` (``y`` is ignored) and fit the chosen configuration."""
        from metarec.config import check_budget
        from metarec.exceptions import ArgumentError, check_count
        from metarec.metafeatures import extract_metafeatures
        from metarec.pipeline import build_pipeline
        from metarec.recommending import get_recommender, recommend_for

        top = check_count("top", self.top)
        rank = check_count("rank", self.rank)
        if rank > top:
            raise ArgumentError(f"rank must be at most top={top}, got {rank}; raise top")
        dataset = Dataset.from_frame(X)
        k = self.n_clusters
        if k is not None and (
            isinstance(k, bool)
            or not isinstance(k, (int, np.integer))
            or not 2 <= k < dataset.shape[0]
        ):
            raise MetarecError(
                f"n_clusters must be an integer from 2 to {dataset.shape[0] - 1} (fewer than the "
                f"rows), got {k!r}"
            )
        budget = check_budget(self.budget)
        self.n_features_in_ = dataset.shape[1]
        mf = extract_metafeatures(dataset, random_state=self.random_state)
        self.recommendation_ = recommend_for(
            get_recommender(self.knowledge),
            dataset,
            mf,
            top=self.top,
            budget=budget,
            random_state=self.random_state,
        )
        item = self.recommendation_.items[min(self.rank, len(self.recommendation_.items)) - 1]
        self.config_ = item.config
        if self.n_clusters is not None:
            self.config_ = self.config_.with_n_clusters(self.n_clusters)
        self.preprocessing_, self.estimator_, Xp = build_pipeline(
            self.config_, dataset, self.random_state
        )
        self.labels_ = np.asarray(self.estimator_.fit_predict(Xp))
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Cluster labels of new rows, when the chosen algorithm can assign them."""
        check_is_fitted(self, "estimator_")
        if not hasattr(self.estimator_, "predict"):
            raise MetarecError(
                f"{type(self.estimator_).__name__} cannot label new data; use fit_predict"
            )
        dataset = Dataset.from_frame(X, min_rows=1)
        if dataset.shape[1] != self.n_features_in_:
            raise InvalidDataError(
                f"X has {dataset.shape[1]} features, but MetaClusterer is expecting "
                f"{self.n_features_in_} features as input"
            )
        Xp = self.preprocessing_.transform(dataset)
        return np.asarray(self.estimator_.predict(Xp))
