"""The meta-learner protocol: what screening, tuning and recommending ask of the models.

:class:`~metarec.models.recommender.Recommender` is today's one implementation;
the modules above the models depend on this protocol, not on that class, so
another meta-learner (a different ranker, a learned portfolio) can stand in for it
by offering the same few methods and fitted attributes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from metarec.dataset import Dataset
    from metarec.knowledge import KnowledgeBase
    from metarec.models.recommender import Recommendation

__all__ = ["MetaLearner"]


class MetaLearner(Protocol):
    """Fitted meta-learned models, as screening, tuning and recommending use them.

    Attributes
    ----------
    kb_ : KnowledgeBase
        The knowledge the models were fitted on.
    scores_ : DataFrame
        The known datasets' scores (datasets x configurations).
    surrogate : SurrogateObjective or None
        The learned label-free score of a partition.
    hyper : HyperparameterModel or None
        The neural meta-learner.
    calibration_ : ScoreCalibration or None
        Intervals around predicted ARIs.
    costs_ : RunCosts or None
        Predicted seconds of a run (what a screening's budget buys).
    """

    kb_: KnowledgeBase
    scores_: pd.DataFrame
    surrogate: Any
    hyper: Any
    calibration_: Any
    costs_: Any

    def fit(self, kb: KnowledgeBase) -> Any:
        """Learn from a knowledge base; return the fitted models."""

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write the fitted models to ``directory``."""

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike[str],
        kb: KnowledgeBase,
        *,
        hyper: Any = None,
        surrogate: Any = None,
    ) -> Any:
        """Read models written by :meth:`save`, over the knowledge they were fitted on."""

    def recommend(
        self, metafeatures: pd.Series, top: int = 5, algorithms: list[str] | None = None
    ) -> Recommendation:
        """The zero-shot ranking for a dataset described by ``metafeatures``."""

    def prior_scores(
        self, metafeatures: pd.Series, configs: Sequence[Mapping[str, Any]]
    ) -> np.ndarray:
        """The expected score of each configuration on that dataset, before any run."""

    def known_dataset(self, dataset: Dataset, subsample: int = 1000) -> str | None:
        """The content hash of the known dataset that ``dataset`` is, if any."""

    def recorded(
        self, content_hash: str, top: int = 5, algorithms: list[str] | None = None
    ) -> Recommendation:
        """A known dataset's own recorded runs, best first."""
