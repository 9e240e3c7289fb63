"""Optuna searches over the clustering space with an unsupervised objective.

This module holds the cold-start search used as a baseline (and the base of
warm-started tuning): every trial samples a configuration from the space of
:mod:`metarec.space` (algorithm as a categorical, conditional hyperparameters),
runs it with the isolated runner, and scores it with an internal validity index
(labels, when known, are recorded as user attributes, never optimized).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import optuna

from metarec.dataset import Dataset
from metarec.exceptions import MetarecError
from metarec.runner import PreparedData, RunResult, run_config
from metarec.space import suggest_config

__all__ = ["OBJECTIVES", "objective_value", "tune"]

#: Internal indices usable as objectives, with their direction.
OBJECTIVES = {
    "silhouette": "maximize",
    "calinski_harabasz": "maximize",
    "davies_bouldin": "minimize",
    "dbcv": "maximize",
}
#: Value given when the index is undefined (e.g. a single cluster found).
WORST = {"silhouette": -1.0, "calinski_harabasz": 0.0, "davies_bouldin": 1e6, "dbcv": -1.0}


def objective_value(result: RunResult, objective: str, X: Any = None) -> float:
    """The objective's value for a run.

    NaN (a failed Optuna trial) when the run failed or timed out; the index's worst
    value when it is undefined on the clustering found (e.g. a single cluster).
    With ``X`` and the run's labels, silhouette is scikit-learn's over every point,
    noise (-1) counted as one more cluster, so that declaring hard points noise
    earns nothing (the stored run silhouette leaves noise out).
    """
    if result.status != "ok":
        return math.nan
    if objective == "silhouette" and X is not None and result.labels is not None:
        from sklearn.metrics import silhouette_score

        labels = result.labels
        k = len(set(labels.tolist()))
        if k < 2 or k >= len(labels):
            return WORST[objective]
        return float(silhouette_score(X, labels, sample_size=2000, random_state=0))
    value = float(getattr(result, objective))
    return value if math.isfinite(value) else WORST[objective]


def tune(
    data: Any,
    n_trials: int = 50,
    *,
    objective: str | Callable[[RunResult], float] = "silhouette",
    timeout: float | None = None,
    storage: str | None = None,
    study_name: str | None = None,
    seed: int = 0,
    time_limit: float = 60.0,
    algorithms: list[str] | None = None,
    show_progress_bar: bool = False,
) -> optuna.Study:
    """Search the clustering space with Optuna's TPE sampler (cold start).

    Parameters
    ----------
    data : Dataset, DataFrame, array, name or path
        The data; reference labels, if any, are only recorded (``user_attrs["ari"]``).
    n_trials : int
        Number of trials.
    objective : str or callable
        An internal index of :data:`OBJECTIVES`, or a function of a
        :class:`~metarec.runner.RunResult` returning a value to maximize.
    timeout, storage, study_name
        As in :func:`optuna.create_study` / :meth:`optuna.Study.optimize`.
    seed : int
        Seed of the sampler and of every run.
    time_limit : float
        Seconds per trial; a trial over it (or crashing) is a failed trial.
    algorithms : list of str, optional
        Restrict the space to these algorithms.
    """
    from metarec.io import as_dataset

    dataset: Dataset = as_dataset(data)
    prepared = PreparedData(dataset)
    if isinstance(objective, str):
        if objective not in OBJECTIVES:
            raise MetarecError(
                f"unknown objective {objective!r}; use one of {', '.join(OBJECTIVES)} or a callable"
            )
        direction = optuna.study.StudyDirection[OBJECTIVES[objective].upper()]
    else:
        direction = optuna.study.StudyDirection.MAXIMIZE
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction=direction,
        sampler=optuna.samplers.TPESampler(seed=seed),
        storage=storage,
        study_name=study_name,
        load_if_exists=study_name is not None,
    )

    def run(trial: optuna.Trial) -> float:
        config = suggest_config(trial, algorithms)
        result = run_config(
            prepared,
            config,
            seed=seed,
            time_limit=time_limit,
            dbcv=objective == "dbcv",
            keep_labels=objective == "silhouette",
        )
        trial.set_user_attr("status", result.status)
        trial.set_user_attr("config", config)
        for key in ("ari", "ami", "nmi", "silhouette", "n_clusters"):
            value = getattr(result, key)
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                trial.set_user_attr(key, value)
        if result.error:
            trial.set_user_attr("error", result.error)
        if callable(objective):
            return float(objective(result))
        return objective_value(result, objective, prepared.eval_matrix)

    study.optimize(run, n_trials=n_trials, timeout=timeout, show_progress_bar=show_progress_bar)
    return study
