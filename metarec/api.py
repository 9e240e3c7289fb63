"""The top-level API: recommend configurations for a dataset, train the recommender."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metarec import progress
from metarec.config import DEFAULT_BUDGET, check_budget
from metarec.exceptions import count, validate_arguments
from metarec.knowledge import KnowledgeBase
from metarec.models.bundle import save_models
from metarec.models.recommender import Recommendation, Recommender
from metarec.recommending import (
    ZERO_SHOT_DEPTH,
    _cached,
    _own_k,
    _rank_hyperparameters,
    default_models_dir,
    fit_models,
    get_recommender,
    models_in_use,
    recommend_for,
)

if TYPE_CHECKING:
    from metarec.dataset import Dataset
    from metarec.models.hyperparams import HyperparameterPrediction


__all__ = [
    "ZERO_SHOT_DEPTH",
    "default_models_dir",
    "fit_models",
    "get_recommender",
    "models_in_use",
    "predict_hyperparameters",
    "recommend",
    "recommend_for",
    "train",
]


@validate_arguments(top=count(1), budget=lambda name, value: check_budget(value))
def recommend(
    data: Any,
    top: int = 5,
    *,
    knowledge: Any = None,
    models: str | os.PathLike[str] | None = None,
    random_state: int = 0,
    hyperparameters: bool = False,
    budget: float = DEFAULT_BUDGET,
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
    hyperparameters : bool, default=False
        Also give the neural meta-learner's configuration for each recommended
        algorithm (``Recommendation.hyperparameters``), when the models have one
        and the dataset is not a known one.
    budget : float, default=DEFAULT_BUDGET
        Seconds for *screening*: running a small portfolio of candidates (the top
        algorithms at candidate numbers of clusters around the predicted one) on a
        subsample of ``data`` and ranking the partitions by a label-free score
        (:mod:`metarec.screening`). ``0`` gives the zero-shot recommendation
        (nothing is run), with the dataset's predicted number of clusters.

    Returns
    -------
    Recommendation
        The ranked configurations, the neighbours behind them and a k estimate.
        When ``data`` is already in the meta-database (or a near-duplicate of a
        dataset there, in any format, column order or scaling), its own recorded
        runs lead and :attr:`Recommendation.known` names it.

    Examples
    --------
    >>> import metarec
    >>> rec = metarec.recommend("sklearn:iris", top=3, budget=0)
    >>> len(rec.items), list(rec.to_frame().columns[:2])
    (3, ['algorithm', 'params'])
    """
    from concurrent.futures import ThreadPoolExecutor

    from metarec.io import as_dataset
    from metarec.metafeatures import extract_metafeatures

    # the models load while the data is read and described (each waits on I/O and
    # compiled code much of the time)
    # and the screening's k sweep, which needs neither, runs meanwhile too
    with ThreadPoolExecutor(2) as pool:
        loading = pool.submit(get_recommender, knowledge, models)
        with progress.step("loading the data"):
            dataset = as_dataset(data)
        sweeping = pool.submit(_sweep, dataset, random_state) if budget > 0 else None
        with progress.step(f"meta-features of {dataset.name}"):
            mf = extract_metafeatures(dataset, random_state=random_state)
        with progress.step("loading the models"):
            recommender = loading.result()
        rec = recommend_for(
            recommender,
            dataset,
            mf,
            top,
            budget=budget,
            random_state=random_state,
            swept=sweeping,
        )
    if hyperparameters and recommender.hyper is not None and not rec.known:
        # (a known dataset's recorded runs are the evidence: no second score beside them)
        algorithms = dict.fromkeys(it.algorithm for it in rec.items)
        with progress.step("the neural meta-learner's hyperparameters"):
            rec.hyperparameters = [
                recommender.hyperparameters(mf, a, n_rows=dataset.shape[0]) for a in algorithms
            ]
        _own_k(recommender, rec, mf)
        if recommender.calibration_ is not None and not rec.fallback:
            for p in rec.hyperparameters:
                p.interval = recommender.calibration_.interval(p.predicted_ari)
        if rec.screening is None:
            _rank_hyperparameters(rec, top)
    return rec


def _sweep(dataset: Dataset, random_state: int) -> Any:
    from metarec.screening import sweep

    return sweep(dataset, random_state=random_state)


def predict_hyperparameters(
    data: Any,
    algorithm: str | None = None,
    *,
    knowledge: Any = None,
    models: str | os.PathLike[str] | None = None,
    random_state: int = 0,
) -> list[HyperparameterPrediction]:
    """Hyperparameters predicted for ``data``, one configuration per algorithm.

    The neural meta-learner proposes a configuration; the recommender's ranker
    keeps a known configuration of the algorithm instead when it scores it higher
    (``source`` says which: see :meth:`~metarec.models.recommender.Recommender.hyperparameters`).

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
    >>> pred = metarec.predict_hyperparameters("sklearn:iris", algorithm="dbscan")
    >>> pred[0].config["algorithm"], sorted(pred[0].config["params"])
    ('dbscan', ['eps_quantile', 'min_samples'])
    """
    from metarec.io import as_dataset
    from metarec.metafeatures import extract_metafeatures
    from metarec.models.hyperparams import HyperparameterModel
    from metarec.space import ALGORITHMS

    rec = get_recommender(knowledge, models)
    if rec.hyper is None:  # a copy: the cached recommender is shared, never changed in place
        rec = copy.copy(rec)
        rec.hyper = HyperparameterModel(random_state=random_state).fit(rec.kb_)
    dataset = as_dataset(data)
    mf = extract_metafeatures(dataset, random_state=random_state)
    names = [algorithm] if algorithm is not None else list(ALGORITHMS)
    preds = [rec.hyperparameters(mf, a, n_rows=dataset.shape[0]) for a in names]
    return sorted(preds, key=lambda p: -p.predicted_ari)


def train(
    knowledge: Any = None,
    out: str | os.PathLike[str] | None = None,
    *,
    metric: str = "l1",
    random_state: int = 0,
    hyper: bool = True,
) -> Recommender:
    """Train the recommender (ranker, similarity model for ``metric="learned"``, the
    surrogate objective of tuning, and the neural hyperparameter meta-learner unless
    ``hyper=False``) and save it.

    ``out`` defaults to the shipped models folder when ``knowledge="shipped"``,
    else to the user's models folder (:func:`metarec.config.user_models_dir`),
    which :func:`get_recommender` then prefers. What the models were trained on
    is saved with them and recorded in the database they were trained from
    (the user's database for the default knowledge).

    Parameters
    ----------
    knowledge : None, "shipped", str, path or KnowledgeBase
        As for :func:`get_recommender`.
    out : path, optional
        The models folder (default above).
    metric : {"l1", "learned"}, default="l1"
        The recommender's dataset similarity.
    random_state : int, default=0
        Seed of every model.
    hyper : bool, default=True
        Also train the neural hyperparameter meta-learner (about a minute).

    Returns
    -------
    Recommender
        The trained recommender, carrying the meta-learner and the surrogate.
    """
    from metarec.config import user_models_dir
    from metarec.db.store import MetaDatabase
    from metarec.knowledge import user_database

    with progress.step("loading the knowledge base"):
        kb = KnowledgeBase.load(knowledge)
    progress.note(f"training on {len(kb.dataset_hashes)} datasets and {len(kb.runs)} design runs")
    rec = fit_models(kb, metric=metric, random_state=random_state, hyper=hyper)
    shipped = default_models_dir()
    if (shipped / "calibration.json").is_file():
        # the intervals stay those calibrated on the held-out evaluation of the
        # shipped screening (scripts/eval_shipped.py calibrate): refitting them takes
        # that evaluation (about an hour), so training says which errors it keeps
        from metarec.models.calibration import ScoreCalibration

        rec.calibration_ = ScoreCalibration.load(shipped)

    if out is None:
        out = default_models_dir() if knowledge == "shipped" else user_models_dir()
    with progress.step(f"saving the models to {out}"):
        save_models(rec, out)
    db = None  # where the artifacts are recorded: the database the knowledge came from
    if knowledge is None:
        db = user_database()
    elif isinstance(knowledge, str) and knowledge != "shipped" and not Path(knowledge).is_dir():
        db = MetaDatabase(knowledge)
    if db is not None:
        names = ["recommender", "surrogate", *(["hyperparams"] if hyper else [])]
        names += ["similarity"] if metric == "learned" else []
        for name in names:
            db.record_artifact(name, str(Path(out).resolve()), rec.knowledge_)
        db.close()
    _cached.cache_clear()
    return rec
