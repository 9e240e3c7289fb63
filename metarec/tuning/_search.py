"""The search itself: :func:`tune`."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import optuna

from metarec._compat import renamed
from metarec.config import DEFAULT_BUDGET, check_budget
from metarec.dataset import Dataset
from metarec.db.schema import TRIAL_MEASURES
from metarec.exceptions import (
    MetarecError,
    count,
    seconds,
    validate_arguments,
)
from metarec.runner import PreparedData, RunResult, run_config
from metarec.space import Configuration, config_hash, suggest_config
from metarec.tuning._objectives import (
    OBJECTIVES,
    _surrogate_of,
    choose_objective,
    objective_value,
    user_objective_value,
)
from metarec.tuning._select import CONSENSUS_TOP, _TopPartitions
from metarec.tuning._storage import open_storage
from metarec.tuning._warm import _check_algorithms, _recommended_start, warm_start

if TYPE_CHECKING:
    from metarec.models.protocol import MetaLearner

__all__ = ["tune"]


@validate_arguments(
    n_trials=count(1),
    time_limit=seconds(optional=False),
    timeout=seconds(),
    top=count(1),
    budget=lambda name, value: check_budget(value),
)
def tune(
    data: Any,
    n_trials: int = 50,
    *,
    objective: str | Callable[[RunResult], float] = "auto",
    timeout: float | None = None,
    storage: str | None = None,
    study_name: str | None = None,
    random_state: int = 0,
    time_limit: float = 60.0,
    algorithms: list[str] | None = None,
    warm: bool = True,
    recommender: MetaLearner | None = None,
    top: int = 10,
    show_progress_bar: bool = False,
    seed: int | None = None,
    budget: float = DEFAULT_BUDGET,
) -> optuna.Study:
    """Search the clustering space with Optuna's TPE sampler, cold or warm-started.

    The trial the search returns (:func:`best_trial`) is the one the screening's
    evidence ranks first (:func:`select_trial`: the objective, the partition's
    agreement with the other trials, the meta-learned prior and the silhouette)
    among the :data:`CONSENSUS_TOP` best by the objective and the warm start's first
    trial, which it keeps when the screening trusted it
    (:data:`metarec.screening.TRUST_PRIOR`): by metarec's own evidence the search
    never ends below where it started. With a shared ``storage``, a worker selects
    among the trials it ran.

    Parameters
    ----------
    data : Dataset, DataFrame, array, name or path
        The data; reference labels, if any, are only recorded (``user_attrs["ari"]``).
    n_trials : int
        Number of trials (of this call: with a shared study, of this worker).
    objective : str or callable
        ``"auto"`` (the learned surrogate objective, maximized), ``"index"`` (the
        internal index chosen per dataset by :func:`choose_objective`), an internal
        index of :data:`OBJECTIVES`, or a function of a
        :class:`~metarec.runner.RunResult` returning a value to maximize. A
        function runs in a forked child within ``time_limit``
        (:func:`user_objective_value`): one that raises or runs too long fails its
        trial (``user_attrs["objective_error"]``) and the search goes on.
    timeout : float, optional
        Seconds for the whole search.
    storage, study_name
        See :func:`open_storage`; with a ``study_name`` an existing study is joined.
    random_state : int, default=0
        Seed of the sampler and of every run.
    time_limit : float
        Seconds per trial; a trial over it (or crashing) is a failed trial.
    algorithms : list of str, optional
        Restrict the space to these algorithms.
    warm : bool, default=True
        Start from the recommendation: its pick (screened within ``budget``, as
        :func:`metarec.recommend` gives it) is the first trial, its other
        configurations and the zero-shot ranking follow (:func:`warm_start`);
        ``False`` is a cold TPE search. In a study kept in ``storage`` those
        beyond ``n_trials`` stay queued for another worker or a later call;
        otherwise only the first ``n_trials`` are enqueued, and
        ``study.user_attrs["warm_start"]["left_out"]`` counts the others.
    recommender : Recommender, optional
        For ``warm``, ``"auto"`` and ``"index"`` (default: the shipped one); its
        surrogate objective is trained on the spot when it has none.
    top : int
        Recommended configurations enqueued when ``warm``.
    show_progress_bar : bool, default=False
        Optuna's bar over the trials.
    seed : int, optional
        Deprecated name of ``random_state``.
    budget : float, default=DEFAULT_BUDGET
        Seconds of screening for the warm start's recommendation (0: zero-shot).

    Examples
    --------
    >>> from metarec.space import ALGORITHMS
    >>> from metarec.tuning import best_trial, own_trials, tune
    >>> study = tune("sklearn:iris", n_trials=3, random_state=0)
    >>> finished = [t for t in own_trials(study) if t.state.is_finished()]
    >>> len(finished), best_trial(study).user_attrs["config"]["algorithm"] in ALGORITHMS
    (3, True)
    """
    from metarec.io import as_dataset

    seed = int(renamed(random_state, seed, "seed", "random_state", 0))
    _check_algorithms(algorithms)
    _check_objective(objective)
    dataset: Dataset = as_dataset(data)
    prepared = PreparedData(dataset)
    # the meta-learned models and the data's meta-features, when the search needs them
    needed = warm or objective in ("auto", "index")
    model, mf = _models_for(dataset, recommender) if needed else (None, None)
    objective, surrogate, chosen = _objective_of(objective, model, mf)
    if surrogate is not None or not isinstance(objective, str):
        direction = optuna.study.StudyDirection.MAXIMIZE
    else:
        direction = optuna.study.StudyDirection[OBJECTIVES[objective].upper()]
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # failed trials are counted, not logged
    study = optuna.create_study(
        direction=direction,
        sampler=optuna.samplers.TPESampler(seed=seed),
        storage=open_storage(storage),
        # a study in memory is named after its data (Optuna's own name is a uuid)
        study_name=study_name or (f"metarec-{dataset.name}" if storage is None else None),
        load_if_exists=study_name is not None,
    )
    _describe(study, dataset, seed, "surrogate" if surrogate is not None else objective, chosen)
    start: list[Configuration] = []
    trusted = False
    if warm and model is not None:
        start, trusted = _recommended_start(model, dataset, mf, top, budget, seed, algorithms)
        if start:
            study.set_user_attr("start_config", dict(start[0].to_dict()))
            study.set_user_attr("start_trusted", trusted)
        warm_start(
            study,
            metafeatures=mf,
            recommender=model,
            top=top,
            algorithms=algorithms,
            limit=None if storage is not None else n_trials,
            first=start,
        )

    sign = -1.0 if direction == optuna.study.StudyDirection.MINIMIZE else 1.0
    kept = _TopPartitions(CONSENSUS_TOP, sign, config_hash(start[0]) if start else None, trusted)

    def run(trial: optuna.Trial) -> float:
        config, result, value = evaluate(trial)
        kept.offer(trial.number, value, config, result.labels, result.silhouette)
        return value

    def evaluate(trial: optuna.Trial) -> tuple[dict[str, Any], RunResult, float]:
        config = suggest_config(trial, algorithms)
        result = run_config(
            prepared,
            config,
            random_state=seed,
            time_limit=time_limit,
            dbcv=objective == "dbcv",
            keep_labels=True,  # for the selection among the best trials
        )
        _record(trial, config, result)
        value = _value(trial, result, config, objective, surrogate, mf, time_limit, prepared)
        return config, result, value

    study.optimize(run, n_trials=n_trials, timeout=timeout, show_progress_bar=show_progress_bar)
    kept.select(study, model, mf)
    return study


def _check_objective(objective: str | Callable[[RunResult], float]) -> None:
    named = isinstance(objective, str) and objective not in ("auto", "index")
    if named and objective not in OBJECTIVES:
        raise MetarecError(
            f"unknown objective {objective!r}; use auto, index, one of "
            f"{', '.join(OBJECTIVES)} or a callable"
        )


def _describe(
    study: optuna.Study,
    dataset: Dataset,
    seed: int,
    objective: str | Callable[[RunResult], float],
    chosen: dict[str, float],
) -> None:
    """What `metarec ingest` needs to store the trials as runs on the right dataset,
    and what the search optimizes."""
    study.set_user_attr("dataset", dataset.name)
    study.set_user_attr("dataset_source", dataset.source)
    study.set_user_attr("content_hash", dataset.content_hash)
    if dataset.metadata.get("file") and dataset.metadata.get("target"):
        study.set_user_attr("label_column", dataset.metadata["target"])
    elif dataset.metadata.get("file") and dataset.metadata.get("no_target"):
        study.set_user_attr("label_column", False)  # reloaded with every column a feature
    study.set_user_attr("seed", seed)
    if isinstance(objective, str):
        study.set_user_attr("objective", objective)
        if chosen:
            study.set_user_attr("objective_agreement", chosen)


def _record(trial: optuna.Trial, config: dict[str, Any], result: RunResult) -> None:
    """A trial's configuration and what its run measured, as user attributes."""
    trial.set_user_attr("status", result.status)
    trial.set_user_attr("config", config)
    for key in TRIAL_MEASURES:
        value = getattr(result, key)
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            trial.set_user_attr(key, value)
    if result.error:
        trial.set_user_attr("error", result.error)


def _objective_of(
    objective: str | Callable[[RunResult], float], model: MetaLearner | None, mf: Any
) -> tuple[str | Callable[[RunResult], float], Any, dict[str, float]]:
    """(the objective, resolved; the surrogate that scores, if it is ``"auto"``; the
    indices' agreement with ground truth, if it was ``"index"``)."""
    if objective == "index" and model is not None:
        index, chosen = choose_objective(mf, model)
        return index, None, chosen
    if objective == "auto" and model is not None:
        return objective, _surrogate_of(model), {}
    return objective, None, {}


def _value(
    trial: optuna.Trial,
    result: RunResult,
    config: dict[str, Any],
    objective: str | Callable[[RunResult], float],
    surrogate: Any,
    mf: Any,
    time_limit: float,
    prepared: PreparedData,
) -> float:
    """What the search optimizes of one run: the surrogate's score, the user's
    objective (its failure recorded on the trial) or an internal index."""
    if surrogate is not None:
        if result.status != "ok":
            return math.nan
        return surrogate.score(mf, config, result)
    if callable(objective):
        value, error = user_objective_value(objective, result, time_limit)
        if error is not None:
            trial.set_user_attr("objective_error", error)
        return value
    return objective_value(result, objective, prepared.eval_matrix)


def _models_for(dataset: Dataset, recommender: MetaLearner | None) -> tuple[MetaLearner, Any]:
    """The models (``recommender``, else the default ones) and ``dataset``'s meta-features."""
    from metarec import progress
    from metarec.metafeatures import extract_metafeatures
    from metarec.recommending import get_recommender

    with progress.step("loading the models"):
        model = recommender if recommender is not None else get_recommender()
    with progress.step(f"meta-features of {dataset.name}"):
        mf = extract_metafeatures(dataset)
    return model, mf
