"""The models and what is asked of them: which trained models to use, loading them
once, fitting them (what ``metarec train`` fits), and the one call that gives a
recommendation for a dataset whose meta-features are known (screened or zero-shot).

:mod:`metarec.api` is the facade over this module; the package's own modules
(tuning, the estimator) import from here, so nothing below the command line
imports the facade.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metarec import progress
from metarec.knowledge import KnowledgeBase
from metarec.models.bundle import load_models
from metarec.models.protocol import MetaLearner
from metarec.models.recommender import Recommendation, Recommender

if TYPE_CHECKING:
    import pandas as pd

    from metarec.dataset import Dataset

__all__ = [
    "ZERO_SHOT_DEPTH",
    "default_models_dir",
    "fit_models",
    "get_recommender",
    "models_in_use",
    "recommend_for",
]

#: How deep the zero-shot ranking behind a recommendation goes (enough distinct
#: configurations after they take the dataset's own number of clusters).
ZERO_SHOT_DEPTH = 30


def default_models_dir() -> Path:
    """Where the shipped trained models live (``meta_db/models``)."""
    from metarec.config import shipped_path

    return shipped_path() / "models"


def _models_dir(knowledge: str, models: str | os.PathLike[str] | None) -> str | None:
    """The models folder to use: the given one, else the user's (for the default
    knowledge, once trained) or the shipped one; ``None`` means train on the spot."""
    from metarec.config import user_models_dir

    if models is not None:
        return str(models)
    if knowledge == "default" and (user_models_dir() / "recommender.json").is_file():
        return str(user_models_dir())
    if knowledge in ("default", "shipped"):
        return str(default_models_dir())
    return None


def models_in_use(
    knowledge: Any = None, models: str | os.PathLike[str] | None = None
) -> str | None:
    """Which trained models a recommendation with these arguments uses, in words;
    ``None`` for the shipped ones.

    Parameters
    ----------
    knowledge, models
        As for :func:`get_recommender`.

    Returns
    -------
    str or None

    Examples
    --------
    >>> models_in_use() is None or models_in_use().startswith("your models")
    True
    """
    from metarec.config import user_models_dir

    key = "default" if knowledge is None else str(knowledge)
    where = _models_dir(key, models)
    if where is None:
        return "models trained on the spot from the given knowledge"
    if Path(where).resolve() == default_models_dir().resolve():
        return None
    if Path(where).resolve() == user_models_dir().resolve():
        return f"your models at {where} (from `metarec train`)"
    return f"the models at {where}"


def _user_state() -> tuple[str, int, int]:
    """What identifies the user's database as it is now (its URL and, for a SQLite
    file, its size and modification time): a changed one is loaded afresh."""
    from metarec.config import default_url

    url = default_url()
    path = Path(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else None
    if path is None or not path.is_file():
        return url, -1, -1
    stat = path.stat()
    wal = path.with_name(path.name + "-wal")
    extra = wal.stat().st_mtime_ns if wal.is_file() else 0
    return url, stat.st_size, max(stat.st_mtime_ns, extra)


@functools.lru_cache(maxsize=4)
def _cached(knowledge: str, models: str | None, state: tuple[str, int, int]) -> Recommender:
    """The fitted recommender of a named knowledge (``state``: :func:`_user_state`,
    for the default knowledge, so that runs ingested since are seen)."""
    kb = KnowledgeBase.load(None if knowledge == "default" else knowledge)
    if models and (Path(models) / "recommender.json").is_file():
        return load_models(models, kb)
    return Recommender().fit(kb)


def get_recommender(
    knowledge: Any = None, models: str | os.PathLike[str] | None = None
) -> Recommender:
    """A fitted recommender, cached per process.

    ``knowledge`` is ``None`` (the shipped meta-database with the user's own
    database layered over it), ``"shipped"`` (the shipped one alone), an exported
    folder, a database URL or a :class:`~metarec.knowledge.KnowledgeBase`;
    ``models`` a folder written by :func:`train` (default: the user's trained
    models if any, else the shipped ones). Without saved models the recommender
    is trained on the spot. Models trained on a different state of the knowledge
    are used, with a :class:`~metarec.exceptions.StaleModelWarning`.

    Parameters
    ----------
    knowledge : None, "shipped", str, path or KnowledgeBase
        Where the knowledge comes from (see above).
    models : path, optional
        A models folder.

    Returns
    -------
    Recommender
        Shared per process for a named knowledge: never change it in place.
    """
    if models is not None and not (Path(models) / "recommender.json").is_file():
        from metarec.knowledge import KnowledgeError

        raise KnowledgeError(
            f"{models}: no trained models there; run `metarec train --out {models}` "
            "or leave out --models for the shipped ones"
        )
    if isinstance(knowledge, KnowledgeBase):
        if models and (Path(models) / "recommender.json").is_file():
            rec = load_models(models, knowledge)
        else:
            rec = Recommender().fit(knowledge)
    else:
        key = "default" if knowledge is None else str(knowledge)
        state = _user_state() if key == "default" else ("", 0, 0)
        rec = _cached(key, _models_dir(key, models), state)
    if rec.stale_:
        import warnings

        from metarec.exceptions import StaleModelWarning

        warnings.warn(StaleModelWarning(rec.staleness()), stacklevel=2)
    return rec


def _rank_hyperparameters(rec: Recommendation, top: int) -> None:
    """A zero-shot ranking takes in each meta-learner configuration that scores higher
    than one of its rows, at its place: no configuration printed below the table
    outscores a row of it."""
    import dataclasses

    from metarec.models.recommender import RecommendedConfig

    listed = {it.config_hash for it in rec.items}
    items = list(rec.items)
    for p in rec.hyperparameters:
        h = p.config.hash
        if h in listed or not items or not p.predicted_ari > items[-1].score:
            continue
        listed.add(h)
        items.append(
            RecommendedConfig(
                rank=0,
                config=p.config,
                config_hash=h,
                score=float(p.predicted_ari),
                uncertainty=float(p.uncertainty),
                neighbour_score=float("nan"),
                ranker_score=float(p.ranker_score),
                expected_clusters=float(rec.n_clusters)
                if p.config.n_clusters is not None
                else float("nan"),
                interval=p.interval,
            )
        )
    items.sort(key=lambda it: -it.score)
    rec.items = [dataclasses.replace(it, rank=r) for r, it in enumerate(items[:top], start=1)]


def _own_k(recommender: MetaLearner, rec: Recommendation, metafeatures: pd.Series) -> None:
    """The meta-learner's configurations take the recommendation's number of clusters
    (the one printed, the top-1's), re-scored by the ranker's prior at that k, so that
    one printout never recommends two numbers of clusters."""
    moved = [
        p
        for p in rec.hyperparameters
        if p.config.n_clusters is not None and p.config.n_clusters != rec.n_clusters
    ]
    if not moved:
        return
    configs = [p.config.with_n_clusters(rec.n_clusters) for p in moved]
    for p, config, prior in zip(
        moved, configs, recommender.prior_scores(metafeatures, configs), strict=True
    ):
        p.config, p.predicted_ari, p.uncertainty = config, float(prior), float("nan")
        p.n_clusters = rec.n_clusters


def recommend_for(
    recommender: MetaLearner,
    dataset: Dataset,
    metafeatures: pd.Series,
    top: int = 5,
    *,
    budget: float = 0.0,
    random_state: int = 0,
    record_all: bool = False,
    swept: Any = None,
) -> Recommendation:
    """What :func:`recommend` and :class:`~metarec.MetaClusterer` ask the models for.

    A dataset the knowledge base holds (:meth:`Recommender.known_dataset`) gets its
    own recorded runs (:meth:`Recommender.recorded`). Any other gets the
    meta-learned ranking of :meth:`Recommender.recommend` with its own predicted
    number of clusters (:func:`metarec.screening.with_own_k`), and with a
    ``budget`` the screened candidates (:func:`metarec.screening.screen`).

    Parameters
    ----------
    recommender : Recommender
        The fitted models.
    dataset : Dataset
        The data.
    metafeatures : Series
        Its meta-features.
    top : int, default=5
        How many configurations.
    budget : float, default=0.0
        Seconds of screening (0: none).
    random_state : int, default=0
        Seed of the screening's subsample and runs.
    record_all : bool, default=False
        For evaluation: the screening also runs the candidates its budget leaves out,
        for the record only (:func:`metarec.screening.screen`); the recommendation is
        the same.
    swept : Sweep or Future of one, optional
        The screening's k sweep (:func:`metarec.screening.sweep`), already run or
        running; waited for only when the screening runs.

    Returns
    -------
    Recommendation
    """
    from metarec.config import check_budget
    from metarec.screening import screen, screened, with_own_k

    budget = check_budget(budget)
    known = recommender.known_dataset(dataset)
    if known is not None and known in recommender.scores_.index:
        return recommender.recorded(known, top=top)
    zero = recommender.recommend(metafeatures, top=max(top, ZERO_SHOT_DEPTH))
    if budget <= 0:
        return _with_intervals(recommender, with_own_k(recommender, zero, metafeatures, top))
    ranked = [it.config for it in zero.items]
    with progress.step(f"screening candidate partitions (budget {budget:g} s)"):
        screening = screen(
            recommender,
            dataset,
            ranked,
            zero.n_clusters,
            zero.n_clusters_interval,
            metafeatures,
            budget,
            random_state=random_state,
            record_all=record_all,
            swept=swept.result() if hasattr(swept, "result") else swept,
        )
    return _with_intervals(recommender, screened(zero, screening, top))


def _with_intervals(recommender: MetaLearner, rec: Recommendation) -> Recommendation:
    """Each predicted ARI's calibrated 80 % interval, when the models carry a
    calibration (:mod:`metarec.models.calibration`) and the recommendation is
    not the fallback (whose scores are averages over all known datasets)."""
    calibration = recommender.calibration_
    if calibration is None or rec.fallback:
        return rec
    for it in rec.items:
        it.interval = calibration.interval(it.score)
    return rec


def fit_models(
    kb: KnowledgeBase,
    *,
    metric: str = "l1",
    random_state: int = 0,
    hyper: bool = True,
) -> Recommender:
    """Every model :func:`train` fits, fitted on ``kb`` and returned, not saved: the
    neural meta-learner (unless ``hyper=False``), the surrogate objective, the
    recommender carrying them, and the run costs that plan a screening.

    The held-out evaluation fits each fold's models through this function, so that
    what it measures is what ``metarec train`` ships.

    Parameters
    ----------
    kb : KnowledgeBase
        What to learn from.
    metric : {"l1", "learned"}, default="l1"
        The recommender's dataset similarity.
    random_state : int, default=0
        Seed of every model.
    hyper : bool, default=True
        Also fit the neural meta-learner (about a minute; needs torch).

    Returns
    -------
    Recommender
    """
    from metarec.exceptions import require_torch
    from metarec.models.costs import RunCosts
    from metarec.models.surrogate import SurrogateObjective

    if hyper or metric == "learned":  # before anything is trained
        require_torch("training the neural meta-learner or the learned metric")
    model = None
    if hyper:
        from metarec.models.hyperparams import HyperparameterModel

        model = HyperparameterModel(random_state=random_state)
        with progress.step(f"training the neural meta-learner ({model.n_members} members)"):
            model.fit(kb)
    surrogate = SurrogateObjective(random_state=random_state)
    with progress.step("training the surrogate objective (LightGBM ranker)"):
        surrogate.fit(kb)
    what = "recommender (ranker" + (", learned similarity)" if metric == "learned" else ")")
    with progress.step(f"training the {what}"):
        rec = Recommender(
            metric=metric, random_state=random_state, hyper=model, surrogate=surrogate
        ).fit(kb)
    with progress.step("learning the run costs that plan a screening"):
        rec.costs_ = RunCosts().fit(kb)
    return rec
