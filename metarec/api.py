"""The top-level API: recommend configurations for a dataset, train the recommender."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metarec.knowledge import KnowledgeBase
from metarec.recommender import Recommendation, Recommender

if TYPE_CHECKING:
    from metarec.hyperparams import HyperparameterPrediction

__all__ = [
    "default_models_dir",
    "get_recommender",
    "predict_hyperparameters",
    "recommend",
    "train",
]


def default_models_dir() -> Path:
    """Where the shipped trained models live (``meta_db/models``)."""
    from metarec.db.shipped import shipped_path

    return shipped_path() / "models"


@functools.lru_cache(maxsize=4)
def _cached(knowledge: str, models: str | None) -> Recommender:
    kb = KnowledgeBase.load(None if knowledge == "shipped" else knowledge)
    if models and (Path(models) / "recommender.json").is_file():
        return Recommender.load(models, kb)
    return Recommender().fit(kb)


def get_recommender(
    knowledge: Any = None, models: str | os.PathLike[str] | None = None
) -> Recommender:
    """A fitted recommender: the shipped one by default, cached per process.

    ``knowledge`` is ``None``/``"shipped"``, an exported folder, a database URL or a
    :class:`~metarec.knowledge.KnowledgeBase`; ``models`` a folder written by
    :func:`train` (default: the shipped models, used with the shipped knowledge).
    Without saved models the recommender is trained on the spot.
    """
    if isinstance(knowledge, KnowledgeBase):
        if models and (Path(models) / "recommender.json").is_file():
            return Recommender.load(models, knowledge)
        return Recommender().fit(knowledge)
    key = "shipped" if knowledge in (None, "shipped") else str(knowledge)
    if models is None and key == "shipped":
        models = default_models_dir()
    return _cached(key, None if models is None else str(models))


def recommend(
    data: Any,
    top: int = 5,
    *,
    knowledge: Any = None,
    models: str | os.PathLike[str] | None = None,
    random_state: int = 0,
) -> Recommendation:
    """Ranked clustering configurations for ``data``, with the evidence behind them.

    Parameters
    ----------
    data : Dataset, DataFrame, array, dataset name or file path
        The dataset (labels, if any, are ignored).
    top : int, default=5
        How many configurations.
    knowledge, models
        See :func:`get_recommender`.
    random_state : int
        Seed of the meta-feature extraction.

    Examples
    --------
    >>> import metarec
    >>> rec = metarec.recommend("sklearn:iris", top=3)  # doctest: +SKIP
    >>> rec.to_frame()[["algorithm", "predicted_ari"]]  # doctest: +SKIP
    """
    from metarec.io import as_dataset
    from metarec.metafeatures import extract_metafeatures

    dataset = as_dataset(data)
    mf = extract_metafeatures(dataset, random_state=random_state)
    return get_recommender(knowledge, models).recommend(mf, top=top)


def predict_hyperparameters(
    data: Any,
    algorithm: str | None = None,
    *,
    knowledge: Any = None,
    models: str | os.PathLike[str] | None = None,
    random_state: int = 0,
) -> list[HyperparameterPrediction]:
    """Hyperparameters the neural meta-learner predicts for ``data``.

    Parameters
    ----------
    data : Dataset, DataFrame, array, dataset name or file path
        The dataset (labels, if any, are ignored).
    algorithm : str, optional
        One algorithm of :data:`metarec.space.ALGORITHMS`; every algorithm when
        ``None`` (sorted by predicted ARI, best first).
    knowledge, models
        See :func:`get_recommender`; without a trained meta-learner one is trained
        on the spot (about a minute on the shipped meta-database).

    Examples
    --------
    >>> import metarec
    >>> pred = metarec.predict_hyperparameters("sklearn:iris", algorithm="dbscan")  # doctest: +SKIP
    >>> pred[0].config["params"], pred[0].n_clusters  # doctest: +SKIP
    """
    from metarec.hyperparams import HyperparameterModel
    from metarec.io import as_dataset
    from metarec.metafeatures import extract_metafeatures
    from metarec.space import ALGORITHMS

    rec = get_recommender(knowledge, models)
    if rec.hyper is None:
        rec.hyper = HyperparameterModel(random_state=random_state).fit(rec.kb_)
    dataset = as_dataset(data)
    mf = extract_metafeatures(dataset, random_state=random_state)
    names = [algorithm] if algorithm is not None else list(ALGORITHMS)
    preds = [rec.hyper.predict(mf, a, n_rows=dataset.shape[0]) for a in names]
    return sorted(preds, key=lambda p: -p.predicted_ari)


def train(
    knowledge: Any = None,
    out: str | os.PathLike[str] | None = None,
    *,
    metric: str = "l1",
    random_state: int = 0,
    hyper: bool = True,
) -> Recommender:
    """Train the recommender (ranker, similarity model for ``metric="learned"``, and the
    neural hyperparameter meta-learner unless ``hyper=False``) and save it."""
    from metarec.hyperparams import HyperparameterModel

    kb = KnowledgeBase.load(knowledge)
    model = HyperparameterModel(random_state=random_state).fit(kb) if hyper else None
    rec = Recommender(metric=metric, random_state=random_state, hyper=model).fit(kb)
    rec.save(out or default_models_dir())
    _cached.cache_clear()
    return rec
