"""Optuna searches over the clustering space with an unsupervised objective.

Every trial samples a configuration from the space of :mod:`metarec.space`
(algorithm as a categorical, conditional hyperparameters), runs it with the
isolated runner (a per-trial time limit; a crashing or hanging configuration is
a failed trial, never a dead worker), and scores it with an internal validity
index; labels, when known, are recorded as user attributes, never optimized.

* **Warm start** (:func:`warm_start`, on by default in :func:`tune`): the
  recommender's top configurations and the neural meta-learner's predictions
  for their algorithms are enqueued as the first trials.
* **Meta-learned objective** (``objective="auto"``, the default): the learned
  surrogate of :mod:`metarec.models.surrogate` (internal indices + the partition's
  cluster sizes + configuration + meta-features -> a ranking by expected
  ARI), which the held-out evaluation found far better than any internal
  index; ``"index"`` is the alternative (:func:`choose_objective`: the internal
  index whose optimum agreed best with the ground truth on the dataset's
  nearest known datasets).
* **Storage**: an Optuna RDB URL (PostgreSQL for parallel workers: run
  ``metarec tune --storage postgresql://... --study NAME`` N times), or
  ``journal:PATH`` for a journal file on one machine; ``None`` keeps the study
  in memory.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd

from metarec._compat import renamed
from metarec.config import DEFAULT_BUDGET, check_budget, redact
from metarec.dataset import Dataset
from metarec.db.schema import NEIGHBOUR_ATTR, TRIAL_MEASURES
from metarec.exceptions import (
    MetarecError,
    MetarecWarning,
    count,
    seconds,
    validate_arguments,
)
from metarec.runner import PreparedData, RunResult, run_config
from metarec.space import ALGORITHMS, Configuration, config_hash, suggest_config

__all__ = [
    "CONSENSUS_TOP",
    "OBJECTIVES",
    "best_so_far",
    "best_so_far_of",
    "best_trial",
    "choose_objective",
    "is_neighbour",
    "objective_label",
    "objective_value",
    "open_storage",
    "own_trials",
    "plot_progress",
    "refit_best",
    "select_trial",
    "suggest",
    "trial_position",
    "tune",
    "user_objective_value",
    "warm_start",
]

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

    Parameters
    ----------
    result : RunResult
        The run.
    objective : str
        One of :data:`OBJECTIVES`.
    X : ndarray, optional
        The evaluation matrix, for silhouette over every point.

    Returns
    -------
    float
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


#: The Python package each database scheme needs by default, for the message when
#: it is missing.
DRIVERS = {
    "mysql": "mysqlclient (or a URL mysql+pymysql:// and PyMySQL)",
    "mariadb": "mariadb",
    "oracle": "oracledb",
    "mssql": "pyodbc",
}


def open_storage(storage: str | None) -> Any:
    """An Optuna storage from a URL, ``journal:PATH``, or ``None`` (in memory).

    Parameters
    ----------
    storage : str or None
        A database URL (``sqlite:///...``, ``postgresql://...``), ``journal:PATH``, or
        ``None``.

    Returns
    -------
    optuna.storages.BaseStorage or None
    """
    if storage is None:
        return None
    if storage.startswith("journal:"):
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        path = Path(storage[len("journal:") :]).expanduser()
        if not path.parent.is_dir():
            raise MetarecError(
                f"no folder {path.parent} for the journal {path.name}; create it first"
            )
        try:
            return JournalStorage(JournalFileBackend(str(path)))
        except OSError as exc:
            raise MetarecError(f"cannot open the journal {path}: {exc.strerror or exc}") from None
    if "://" not in storage:
        raise MetarecError(
            f"storage {redact(storage)!r} is neither a database URL nor journal:PATH; "
            "use e.g. postgresql://user@host/db or journal:study.log"
        )
    if storage.startswith("postgresql://"):  # psycopg 3, the driver metarec installs
        storage = "postgresql+psycopg://" + storage[len("postgresql://") :]
    import time
    import warnings

    from sqlalchemy.exc import SQLAlchemyError

    # Workers starting together race to create Optuna's schema: the loser retries.
    for attempt in range(1, 7):
        try:
            with warnings.catch_warnings():  # heartbeats are "experimental" to Optuna
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(storage, heartbeat_interval=60, grace_period=120)
        except ImportError:  # the URL's database driver is not installed
            scheme = storage.split("://", 1)[0]
            driver = DRIVERS.get(scheme.split("+")[0], "the driver SQLAlchemy names for it")
            raise MetarecError(
                f"the study storage {redact(storage)!r} needs {driver}, which is not "
                "installed: pip install it, or use postgresql://, sqlite:/// or journal:PATH"
            ) from None
        except SQLAlchemyError as exc:
            failure = str(exc).splitlines()[0]
            time.sleep(0.5 * attempt)
    raise MetarecError(f"cannot open the study storage {redact(storage)!r}: {redact(failure)}")


def _neighbour_runs(
    metafeatures: Any, recommender: Any
) -> Iterator[tuple[str, pd.DataFrame, float]]:
    """(content hash, successful runs, similarity weight) of each of the recommender's
    nearest known datasets."""
    kb = recommender.kb_
    rec = recommender.recommend(metafeatures, top=1)
    by_source = dict(zip(kb.datasets["source"], kb.datasets.index, strict=False))
    runs = kb.runs[kb.runs["status"] == "ok"]
    for row in rec.neighbours.itertuples():
        h = by_source.get(row.source)
        yield str(h), runs[runs["content_hash"] == h], float(row.weight)


def choose_objective(
    metafeatures: Any,
    recommender: Any,
    candidates: tuple[str, ...] = ("silhouette", "calinski_harabasz", "davies_bouldin", "dbcv"),
) -> tuple[str, dict[str, float]]:
    """The internal index whose best run agreed best with ground truth on similar datasets.

    For each of the recommender's nearest known datasets and each index, the ARI
    of the run that index ranks best is read from the knowledge base; the index
    with the highest similarity-weighted mean ARI is chosen. Returns it and the
    weighted mean ARI of every index.

    Parameters
    ----------
    metafeatures : pandas.Series
        The dataset's meta-features.
    recommender : Recommender
        Whose neighbours and knowledge are read.
    candidates : tuple of str
        The indices to choose among.

    Returns
    -------
    str, dict
        The chosen index and every candidate's weighted mean ARI.
    """
    total = dict.fromkeys(candidates, 0.0)
    weight = dict.fromkeys(candidates, 0.0)
    for _, part, w in _neighbour_runs(metafeatures, recommender):
        ari = part["ari"].to_numpy(dtype=float)
        for index in candidates:
            sign = -1.0 if OBJECTIVES[index] == "minimize" else 1.0
            values = sign * part[index].to_numpy(dtype=float)
            if np.isfinite(values).any():
                total[index] += w * float(ari[int(np.nanargmax(values))])
                weight[index] += w
    agreement = {i: total[i] / weight[i] if weight[i] else float("nan") for i in candidates}
    finite = {k: v for k, v in agreement.items() if np.isfinite(v)}
    best = max(finite, key=lambda k: finite[k]) if finite else "silhouette"
    return best, agreement


def warm_start(
    study: optuna.Study,
    data: Any = None,
    *,
    metafeatures: Any = None,
    recommender: Any = None,
    top: int = 10,
    neural: bool = True,
    algorithms: list[str] | None = None,
    limit: int | None = None,
    first: Sequence[Any] = (),
) -> list[Configuration]:
    """Enqueue recommended configurations as the first trials of ``study``.

    ``first`` (the recommendation's pick, as :func:`tune` passes it) comes first,
    then the recommender's ``top`` configurations, then the neural
    meta-learner's prediction for each of their algorithms (when the recommender
    has one). Trials already present with the same parameters are skipped, so
    several workers may warm-start one shared study. Returns what was enqueued;
    ``study.user_attrs["warm_start"]`` counts it and what ``limit`` left out.

    The enqueued parameters carry metarec's names (``algorithm``,
    ``kmeans.n_clusters``, ...): the objective must sample with
    :func:`suggest` (or :func:`metarec.space.suggest_config`) for them to be
    used. The study's sampler is wrapped so that a finished trial whose objective
    never suggested them raises a :class:`MetarecWarning`, once per study.

    Parameters
    ----------
    study : optuna.Study
        Any study over metarec's space (e.g. from :func:`tune` or the user's own,
        sampling with :func:`metarec.space.suggest_config`).
    data : Dataset, DataFrame, array, name or path, optional
        The dataset (or pass its ``metafeatures``).
    recommender : Recommender, optional
        Default: the shipped one.
    top : int
        Recommended configurations enqueued.
    neural : bool
        Also enqueue the neural meta-learner's configuration for each of their algorithms.
    algorithms : list of str, optional
        The study's space is restricted to these algorithms: enqueue the ``top``
        best-ranked configurations among them.
    limit : int, optional
        Enqueue at most this many (the first, best ranked); ``None``: all.
    first : sequence of Configuration, default=()
        Configurations enqueued before all others, in order.

    Examples
    --------
    >>> import optuna
    >>> study = optuna.create_study(direction="maximize")
    >>> queued = warm_start(study, "sklearn:iris", top=3, algorithms=["kmeans", "gmm"])
    >>> sorted({c["algorithm"] for c in queued}) <= ["gmm", "kmeans"]
    True
    >>> waiting = study.get_trials(states=(optuna.trial.TrialState.WAITING,))
    >>> len(waiting) == len(queued)
    True

    Then ``study.optimize`` with an objective that samples with :func:`suggest`
    runs them first::

        def objective(trial):
            config = metarec.suggest(trial, algorithms=["kmeans", "gmm"])
            return run_config(data, config).silhouette
    """
    from metarec.metafeatures import extract_metafeatures
    from metarec.recommending import get_recommender
    from metarec.space import to_optuna_params

    if metafeatures is None:
        from metarec.io import as_dataset

        metafeatures = extract_metafeatures(as_dataset(data))
    rec = recommender if recommender is not None else get_recommender()
    _check_algorithms(algorithms)
    items = rec.recommend(metafeatures, top=top, algorithms=algorithms).items
    configs = [*first, *(it.config for it in items)]
    if neural and rec.hyper is not None:
        for algorithm in dict.fromkeys(c["algorithm"] for c in configs[len(first) :]):
            configs.append(rec.hyper.predict(metafeatures, algorithm).config)
    unique = list({config_hash(c): Configuration.from_dict(c) for c in configs}.values())
    out = unique if limit is None else unique[: max(limit, 0)]
    for cfg in out:
        study.enqueue_trial(to_optuna_params(cfg), skip_if_exists=True)
    study.set_user_attr("warm_start", {"enqueued": len(out), "left_out": len(unique) - len(out)})
    if not isinstance(study.sampler, _WarmStartCheck):
        study.sampler = _WarmStartCheck(study.sampler)
    return out


def suggest(trial: optuna.Trial, algorithms: list[str] | None = None) -> Configuration:
    """Sample a configuration of metarec's space in the user's own Optuna objective.

    The parameter names are those :func:`warm_start` enqueues, so a warm-started
    study runs the recommended configurations first.

    Parameters
    ----------
    trial : optuna.Trial
    algorithms : list of str, optional
        Restrict the space to these algorithms (default: all).

    Returns
    -------
    Configuration
        Run it with :func:`metarec.runner.run_config`, or build its estimator.

    Examples
    --------
    >>> import optuna
    >>> from metarec.runner import run_config
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> def objective(trial):
    ...     config = suggest(trial, algorithms=["kmeans"])
    ...     return run_config("sklearn:iris", config, isolate=False).silhouette
    >>> study = optuna.create_study(direction="maximize")
    >>> _ = warm_start(study, "sklearn:iris", top=2, algorithms=["kmeans"], neural=False)
    >>> study.optimize(objective, n_trials=2)
    >>> study.trials[0].params == study.trials[0].system_attrs["fixed_params"]
    True
    """
    return Configuration.from_dict(suggest_config(trial, algorithms))


class _WarmStartCheck(optuna.samplers.BaseSampler):
    """The study's own sampler, and a warning when an objective ignores the warm start.

    Optuna runs an enqueued trial's objective as it is: a parameter the objective
    never suggests is silently left out. After each finished trial this checks
    that the enqueued (fixed) parameters were suggested, and warns once if not.
    """

    def __init__(self, base: optuna.samplers.BaseSampler) -> None:
        self.base = base
        self.warned = False

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
        return self.base.infer_relative_search_space(study, trial)

    def sample_relative(self, study: Any, trial: Any, search_space: Any) -> dict[str, Any]:
        return self.base.sample_relative(study, trial, search_space)

    def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
        return self.base.sample_independent(study, trial, name, dist)

    def before_trial(self, study: Any, trial: Any) -> None:
        self.base.before_trial(study, trial)

    def reseed_rng(self) -> None:
        self.base.reseed_rng()

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        self.base.after_trial(study, trial, state, values)
        fixed = trial.system_attrs.get("fixed_params") or {}
        ignored = sorted(set(fixed) - set(trial.params))
        if ignored and state == optuna.trial.TrialState.COMPLETE and not self.warned:
            import warnings

            self.warned = True
            warnings.warn(
                MetarecWarning(
                    f"trial {trial.number} never suggested the warm-start parameters "
                    f"{', '.join(ignored)}: sample with metarec.suggest(trial) in the objective "
                    "so that the recommended configurations are run"
                ),
                stacklevel=2,
            )


def _check_algorithms(algorithms: list[str] | None) -> None:
    unknown = sorted(set(algorithms or ()) - set(ALGORITHMS))
    if unknown:
        raise MetarecError(f"unknown algorithms {unknown}; choose from {', '.join(ALGORITHMS)}")


def is_neighbour(trial: optuna.trial.FrozenTrial) -> bool:
    """Whether ``trial`` was a neighbour's run given to the sampler (not run on this dataset).

    Studies of metarec 0.1 could hold such trials (``tune(feed=True)``, retired: see
    ``docs/benchmarks/retired.md``); they are read and ingested without them.

    Parameters
    ----------
    trial : FrozenTrial

    Returns
    -------
    bool
    """
    return NEIGHBOUR_ATTR in trial.user_attrs


def own_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The trials run on the study's dataset, without those fed from neighbours.

    Parameters
    ----------
    study : optuna.Study

    Returns
    -------
    list of FrozenTrial
    """
    return [t for t in study.trials if not is_neighbour(t)]


def best_trial(study: optuna.Study) -> optuna.trial.FrozenTrial:
    """The trial a search returns: the one :func:`tune` selected by consensus
    (``study.user_attrs["selected_trial"]``, see :func:`select_trial`), else the best
    by objective value run on the study's dataset (``study.best_trial`` may be a fed
    one).

    Parameters
    ----------
    study : optuna.Study

    Returns
    -------
    FrozenTrial

    Raises
    ------
    MetarecError
        No trial of the study's own has a finite value.
    """
    done = [t for t in own_trials(study) if t.value is not None and math.isfinite(t.value)]
    if not done:
        raise MetarecError("no trial finished; raise the time limit or the number of trials")
    picked = _selected(study)
    if picked is not None:
        return picked
    sign = -1.0 if study.direction == optuna.study.StudyDirection.MINIMIZE else 1.0
    return max(done, key=lambda t: sign * float(t.value))  # type: ignore[arg-type]


#: How many of a search's best trials (by its objective) :func:`select_trial` compares.
CONSENSUS_TOP = 15


def _selected(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    """The trial :func:`tune` selected by consensus, when it did."""
    number = study.user_attrs.get("selected_trial")
    for t in own_trials(study):
        if t.number == number and t.value is not None and math.isfinite(t.value):
            return t
    return None


def select_trial(
    values: Any,
    labelings: list[Any],
    priors: Any,
    top: int = CONSENSUS_TOP,
    minimize: bool = False,
    silhouettes: Any = None,
    start: int | None = None,
) -> int | None:
    """The trial to return from a search, picked as the screening picks a partition.

    Among the ``top`` trials with the best objective values (and a partition), the
    one ranked first by :data:`metarec.screening.BLEND`: the ranks of the objective
    value, of the partition's agreement with the other top trials
    (:func:`metarec.screening.agreement`), of the meta-learned prior and, when
    given, of the partition's silhouette.

    With a ``start`` (the search's first trial: the recommendation's pick), the
    start competes too and is returned unless another trial is at least as good
    by every piece of that evidence and better by one (it dominates the start);
    among those that do, the blend's first. So by metarec's own evidence a search
    never returns a trial worse than where it started.

    Parameters
    ----------
    values : array-like of float
        Each trial's objective value (NaN: failed).
    labelings : list of ndarray or None
        Each trial's partition of the same rows (None: none).
    priors : array-like of float
        Each trial's prior (the ranker's expected ARI of its configuration).
    top : int, default=CONSENSUS_TOP
        How many of the best trials are compared.
    minimize : bool, default=False
        Whether smaller objective values are better.
    silhouettes : array-like of float, optional
        Each trial's silhouette (:attr:`metarec.runner.RunResult.silhouette`);
        without them the blend leaves the silhouette out.

    Returns
    -------
    int or None
        Position of the trial; None when no trial has a value and a partition.

    Examples
    --------
    >>> import numpy as np
    >>> a, b = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    >>> select_trial([0.9, 0.5, 0.4], [b, a, a], [0.1, 0.1, 0.1])
    1
    >>> select_trial([0.9, 0.5, 0.4], [b, a, a], [0.1, 0.1, 0.1], start=0)
    0
    """
    from metarec.screening import BLEND, agreement, blend_ranks

    v = np.asarray(values, dtype=float) * (-1.0 if minimize else 1.0)
    p = np.asarray(priors, dtype=float)
    usable = [i for i in range(len(v)) if np.isfinite(v[i]) and labelings[i] is not None]
    if not usable:
        return None
    chosen = sorted(usable, key=lambda i: -v[i])[:top]
    if start is not None and start in usable and start not in chosen:
        chosen.append(start)
    if len(chosen) < 3:  # agreement needs a crowd
        return start if start in chosen else chosen[0]
    parts = {
        "surrogate": v[chosen],
        "agreement": agreement([labelings[i] for i in chosen]),
        "prior": p[chosen],
    }
    if silhouettes is not None:
        parts["silhouette"] = np.asarray(silhouettes, dtype=float)[chosen]
    score = blend_ranks(parts, BLEND)
    if start in chosen:
        s0 = chosen.index(start)
        rivals = [j for j in range(len(chosen)) if j != s0 and _dominates(parts, j, s0)]
        if not rivals:
            return start
        return chosen[max(rivals, key=lambda j: score[j])]
    return chosen[int(np.argmax(score))]


def _dominates(parts: dict[str, np.ndarray], j: int, s: int) -> bool:
    """Whether candidate ``j`` is at least as good as ``s`` by every finite piece of
    evidence and better by one (a missing value counts as no better)."""
    better = False
    for values in parts.values():
        a, b = float(values[j]), float(values[s])
        if not np.isfinite(b):
            continue
        if not np.isfinite(a) or a < b:
            return False
        better = better or a > b
    return better


def refit_best(
    study: optuna.Study,
    data: Any,
    out: str | os.PathLike[str],
    *,
    random_state: int = 0,
) -> dict[str, Any]:
    """Refit the study's best configuration on ``data`` and write what a user keeps.

    Writes ``best_labels.csv`` (one cluster label per row, ``-1`` for noise) and
    ``best_config.json`` (the configuration, the objective and its value, the trial
    (its place among the study's own trials, from 1, and Optuna's number) and how it
    was selected (``"start"``: the recommendation's trusted pick; ``"consensus"``;
    ``"objective"``), the number of finished trials, the study, and the ARI
    when the data had labels)
    to the folder ``out``.

    Parameters
    ----------
    study : optuna.Study
        A study of :func:`tune`.
    data : Dataset, DataFrame, array, dataset name or file path
        The data the study searched.
    out : path
        Output folder (created when missing).
    random_state : int, default=0
        Seed of the refit.

    Returns
    -------
    dict
        What ``best_config.json`` holds.

    Raises
    ------
    MetarecError
        No trial finished, or the best configuration fails when refitted.
    """
    import json
    from pathlib import Path

    from metarec.io import as_dataset

    dataset = as_dataset(data)
    best = best_trial(study)
    config = best.user_attrs["config"]
    result = run_config(
        dataset, config, random_state=random_state, time_limit=None, keep_labels=True
    )
    if result.labels is None:
        raise MetarecError(f"the best configuration failed on refit ({result.error})")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"label": result.labels}).to_csv(folder / "best_labels.csv", index=False)
    payload = {
        "config": config,
        "objective": study.user_attrs.get("objective", "callable"),
        "value": best.value,
        # the trial's place among the study's own trials, as printed and plotted
        "trial": trial_position(study, best),
        "optuna_trial_number": best.number,
        "trials": sum(t.state.is_finished() for t in own_trials(study)),
        "study": study.study_name,
        "ari": best.user_attrs.get("ari"),
        "select": study.user_attrs.get("select", "consensus")
        if study.user_attrs.get("selected_trial") == best.number
        else "objective",
    }
    text = json.dumps(payload, indent=2, default=str) + "\n"
    (folder / "best_config.json").write_text(text)
    return payload


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
    recommender: Any = None,
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
    >>> from metarec.tuning import tune
    >>> study = tune("sklearn:iris", n_trials=3, random_state=0)
    >>> finished = [t for t in own_trials(study) if t.state.is_finished()]
    >>> len(finished), best_trial(study).user_attrs["config"]["algorithm"] in ALGORITHMS
    (3, True)
    """
    from metarec import progress
    from metarec.io import as_dataset

    seed = int(renamed(random_state, seed, "seed", "random_state", 0))
    _check_algorithms(algorithms)
    named = isinstance(objective, str) and objective not in ("auto", "index")
    if named and objective not in OBJECTIVES:
        raise MetarecError(
            f"unknown objective {objective!r}; use auto, index, one of "
            f"{', '.join(OBJECTIVES)} or a callable"
        )
    dataset: Dataset = as_dataset(data)
    prepared = PreparedData(dataset)
    mf = None
    if warm or objective in ("auto", "index"):
        from metarec.metafeatures import extract_metafeatures
        from metarec.recommending import get_recommender

        with progress.step("loading the models"):
            recommender = recommender if recommender is not None else get_recommender()
        with progress.step(f"meta-features of {dataset.name}"):
            mf = extract_metafeatures(dataset)
    chosen: dict[str, float] = {}
    surrogate = None
    if objective == "index":
        objective, chosen = choose_objective(mf, recommender)
    elif objective == "auto":
        surrogate = _surrogate_of(recommender)
    if surrogate is not None:
        direction = optuna.study.StudyDirection.MAXIMIZE
    elif isinstance(objective, str):
        direction = optuna.study.StudyDirection[OBJECTIVES[objective].upper()]
    else:
        direction = optuna.study.StudyDirection.MAXIMIZE
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # failed trials are counted, not logged
    study = optuna.create_study(
        direction=direction,
        sampler=optuna.samplers.TPESampler(seed=seed),
        storage=open_storage(storage),
        # a study in memory is named after its data (Optuna's own name is a uuid)
        study_name=study_name or (f"metarec-{dataset.name}" if storage is None else None),
        load_if_exists=study_name is not None,
    )
    # What `metarec ingest` needs to store the trials as runs on the right dataset.
    study.set_user_attr("dataset", dataset.name)
    study.set_user_attr("dataset_source", dataset.source)
    study.set_user_attr("content_hash", dataset.content_hash)
    if dataset.metadata.get("file") and dataset.metadata.get("target"):
        study.set_user_attr("label_column", dataset.metadata["target"])
    elif dataset.metadata.get("file") and dataset.metadata.get("no_target"):
        study.set_user_attr("label_column", False)  # reloaded with every column a feature
    study.set_user_attr("seed", seed)
    if surrogate is not None:
        study.set_user_attr("objective", "surrogate")
    elif isinstance(objective, str):
        study.set_user_attr("objective", objective)
        if chosen:
            study.set_user_attr("objective_agreement", chosen)
    start: list[Configuration] = []
    trusted = False
    if warm:
        start, trusted = _recommended_start(recommender, dataset, mf, top, budget, seed, algorithms)
        if start:
            study.set_user_attr("start_config", dict(start[0].to_dict()))
            study.set_user_attr("start_trusted", trusted)
        warm_start(
            study,
            metafeatures=mf,
            recommender=recommender,
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
        trial.set_user_attr("status", result.status)
        trial.set_user_attr("config", config)
        for key in TRIAL_MEASURES:
            value = getattr(result, key)
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                trial.set_user_attr(key, value)
        if result.error:
            trial.set_user_attr("error", result.error)
        if surrogate is not None:
            if result.status != "ok":
                return config, result, math.nan
            return config, result, surrogate.score(mf, config, result)
        if callable(objective):
            value, error = user_objective_value(objective, result, time_limit)
            if error is not None:
                trial.set_user_attr("objective_error", error)
            return config, result, value
        return config, result, objective_value(result, objective, prepared.eval_matrix)

    study.optimize(run, n_trials=n_trials, timeout=timeout, show_progress_bar=show_progress_bar)
    kept.select(study, recommender if mf is not None else None, mf)
    return study


class _TopPartitions:
    """The partitions of a search's best trials by objective value (at most ``size``)
    and of its first trial (the recommendation's pick, config hash ``pinned``), for
    :func:`select_trial` at the end of :func:`tune`."""

    def __init__(self, size: int, sign: float, pinned: str | None, trusted: bool) -> None:
        self.size = size
        self.sign = sign
        self.pinned = pinned
        self.trusted = trusted
        self.start: int | None = None
        self.trials: dict[int, tuple[float, Any, Any, float]] = {}

    def offer(self, number: int, value: float, config: Any, labels: Any, sil: float) -> None:
        if labels is None or value is None or not math.isfinite(value):
            return
        self.trials[number] = (float(value), config, labels, float(sil))
        if self.start is None and self.pinned is not None and config_hash(config) == self.pinned:
            self.start = number
        if len(self.trials) > self.size + (self.start is not None):
            rest = [n for n in self.trials if n != self.start]
            worst = min(rest, key=lambda n: self.sign * self.trials[n][0])
            del self.trials[worst]

    def select(self, study: optuna.Study, recommender: Any, mf: Any) -> None:
        """Set ``selected_trial``: the start when the screening trusted it or too few
        partitions compete; else the blend's first (None: the best value stands)."""
        study.set_user_attr("selected_trial", None)
        study.set_user_attr("start_trial", self.start)
        numbers = sorted(self.trials)
        if self.start is not None and (self.trusted or len(numbers) < 3):
            study.set_user_attr("selected_trial", self.start)
            study.set_user_attr("select", "start" if self.trusted else "consensus")
            return
        if len(numbers) < 3:  # no crowd to agree: the best by the objective
            return
        values = [self.trials[n][0] for n in numbers]
        priors = np.full(len(numbers), np.nan)
        if recommender is not None and hasattr(recommender, "prior_scores"):
            configs = [Configuration.from_dict(self.trials[n][1]) for n in numbers]
            priors = np.asarray(recommender.prior_scores(mf, configs), dtype=float)
        pick = select_trial(
            values,
            [self.trials[n][2] for n in numbers],
            priors,
            top=len(numbers),
            minimize=self.sign < 0,
            silhouettes=[self.trials[n][3] for n in numbers],
            start=None if self.start is None else numbers.index(self.start),
        )
        if pick is not None:
            study.set_user_attr("selected_trial", numbers[pick])
            study.set_user_attr("select", "consensus")


def _recommended_start(
    recommender: Any,
    dataset: Dataset,
    mf: Any,
    top: int,
    budget: float,
    seed: int,
    algorithms: list[str] | None,
) -> tuple[list[Configuration], bool]:
    """The recommendation a user gets (:func:`metarec.api.recommend_for`), pick first,
    within ``algorithms``; and whether its screening trusted the zero-shot top-1."""
    from metarec import progress
    from metarec.recommending import recommend_for

    with progress.step(f"the recommendation to start from (budget {budget:g} s)"):
        rec = recommend_for(recommender, dataset, mf, top, budget=budget, random_state=seed)
    configs = [
        Configuration.from_dict(it.config)
        for it in rec.items
        if algorithms is None or it.algorithm in algorithms
    ]
    trusted = bool(rec.screening is not None and rec.screening.trusted)
    return configs, trusted and bool(configs) and configs[0] == rec.items[0].config


#: Extra address space (MiB) a user objective's child process may allocate.
OBJECTIVE_MEMORY_MB = 4096


def _objective_child(conn: Any, objective: Callable[[RunResult], float], result: RunResult) -> None:
    try:
        import resource

        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = current + OBJECTIVE_MEMORY_MB * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError):
        pass  # no /proc or no limit to set: the objective runs unguarded
    try:
        conn.send((True, float(objective(result))))
    except BaseException as exc:  # the user's error is the trial's outcome, sent back
        conn.send((False, f"{type(exc).__name__}: {exc}"[:500]))
    finally:
        conn.close()


def user_objective_value(
    objective: Callable[[RunResult], float], result: RunResult, time_limit: float | None
) -> tuple[float, str | None]:
    """A user's objective on a run, as a trial's value: ``(value, None)``, or
    ``(nan, error)`` when it raises, returns no number or runs past ``time_limit``.

    The objective runs in a forked child process (on POSIX, with a time limit), so
    that one that hangs is stopped, one that allocates more than
    :data:`OBJECTIVE_MEMORY_MB` gets a ``MemoryError`` and one that crashes the
    interpreter does not take the search with it; Optuna records a NaN value as a
    failed trial and the search goes on.

    Parameters
    ----------
    objective : callable
        Takes a :class:`~metarec.runner.RunResult`, returns a number.
    result : RunResult
        The trial's run.
    time_limit : float or None
        Seconds the objective may take (None: no limit, run in this process).

    Returns
    -------
    tuple of (float, str or None)
    """
    if time_limit is None or os.name != "posix":
        try:
            return _finite(objective(result))
        except Exception as exc:  # the user's error is the trial's outcome
            return math.nan, f"{type(exc).__name__}: {exc}"[:500]
    import multiprocessing as mp

    ctx = mp.get_context("fork")  # the user's callable need not be picklable
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_objective_child, args=(child, objective, result), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(time_limit):
            return math.nan, f"the objective took longer than the time limit ({time_limit:g} s)"
        try:
            ok, payload = parent.recv()
        except EOFError:
            return math.nan, f"the objective's process died (exit code {proc.exitcode})"
        return _finite(payload) if ok else (math.nan, str(payload))
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()


def _finite(value: Any) -> tuple[float, str | None]:
    """A user objective's value as a float, or NaN and why when it is not a finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan, f"the objective returned {value!r:.80}, not a number"
    if not math.isfinite(number):
        return math.nan, f"the objective returned {number}; return a finite number"
    return number, None


def _surrogate_of(recommender: Any) -> Any:
    """The recommender's surrogate objective, trained on its knowledge if it has none
    (the recommender, perhaps shared, is left as it is)."""
    if getattr(recommender, "surrogate", None) is not None:
        return recommender.surrogate
    from metarec.models.surrogate import SurrogateObjective

    return SurrogateObjective().fit(recommender.kb_)


def best_so_far_of(trials: pd.DataFrame, minimize: bool = False) -> pd.DataFrame:
    """Per trial (columns ``trial``, ``value``, ``ari``; any order): the best objective
    so far and the ARI of the trial holding it (NaN before the first valued trial).

    Parameters
    ----------
    trials : DataFrame
    minimize : bool, default=False
        The objective's direction.

    Returns
    -------
    DataFrame
        Columns ``trial``, ``objective`` (best so far), ``ari``.
    """
    sign = -1.0 if minimize else 1.0
    rows, best, best_ari = [], -math.inf, math.nan
    ordered = trials.sort_values("trial")
    values = pd.to_numeric(ordered["value"], errors="coerce").to_numpy(dtype=float)
    aris = ordered["ari"].to_numpy(dtype=float)
    for trial, value, ari in zip(ordered["trial"], values, aris, strict=True):
        if math.isfinite(value) and sign * value > best:
            best, best_ari = sign * value, float(ari)
        rows.append({"trial": trial, "objective": sign * best, "ari": best_ari})
    return pd.DataFrame(rows, columns=["trial", "objective", "ari"])


def best_so_far(study: optuna.Study) -> pd.DataFrame:
    """Per trial: the best objective so far and the ARI of the trial holding it.

    Parameters
    ----------
    study : optuna.Study

    Returns
    -------
    DataFrame
        Columns ``trial``, ``objective``, ``ari`` (see :func:`best_so_far_of`).
    """
    trials = pd.DataFrame(
        [
            {"trial": i, "value": t.value, "ari": t.user_attrs.get("ari", math.nan)}
            for i, t in enumerate(own_trials(study), start=1)
        ],
        columns=["trial", "value", "ari"],
    )
    return best_so_far_of(trials, study.direction == optuna.study.StudyDirection.MINIMIZE)


#: Readable names of the internal indices, for the plot's axis.
INDEX_NAMES = {
    "silhouette": "silhouette",
    "calinski_harabasz": "Calinski-Harabasz",
    "davies_bouldin": "Davies-Bouldin",
    "dbcv": "DBCV",
}


def objective_label(study: optuna.Study) -> str:
    """What a study's objective is, in words: the learned score or the index and direction.

    Parameters
    ----------
    study : optuna.Study
        A study of :func:`tune`.

    Returns
    -------
    str

    Examples
    --------
    >>> import optuna
    >>> s = optuna.create_study(direction="minimize")
    >>> s.set_user_attr("objective", "davies_bouldin")
    >>> objective_label(s)
    'Davies-Bouldin (lower is better)'
    """
    objective = study.user_attrs.get("objective")
    if objective == "surrogate":
        return "learned score (ranks by expected ARI; higher is better)"
    lower = study.direction == optuna.study.StudyDirection.MINIMIZE
    name = INDEX_NAMES.get(str(objective), "your objective")
    return f"{name} ({'lower' if lower else 'higher'} is better)"


def trial_position(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> int:
    """``trial``'s place (1, 2, ...) among :func:`own_trials`: the x of :func:`best_so_far`.

    Parameters
    ----------
    study : optuna.Study
    trial : FrozenTrial
        One of the study's own trials.

    Returns
    -------
    int
    """
    numbers = [t.number for t in own_trials(study)]
    return numbers.index(trial.number) + 1


def plot_progress(studies: dict[str, optuna.Study], path: str) -> Any:
    """Each trial's objective value, coloured by algorithm, the best so far, and the
    trial the search returns; beside it the ARI when labels are known.

    The title names the datasets (a study Optuna named itself, ``no-name-...``, or
    :func:`tune` named ``metarec-...``, is named after its dataset). The x axis
    counts the study's own trials from 1, as :func:`trial_position` does, in whole
    numbers. Every trial with a value is a dot in its algorithm's colour; the trial
    the search returns (:func:`best_trial`) is a star, labelled with how it was
    selected. The ARI panel is drawn only when some trial has an ARI (the data had
    labels).

    Parameters
    ----------
    studies : mapping
        Name -> study.
    path : path
        The image file to write.

    Returns
    -------
    matplotlib.figure.Figure
        The figure written (closed: for reading back its texts).
    """
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    named = {}
    for name, study in studies.items():
        if name.startswith(("no-name-", "metarec-")):
            name = str(study.user_attrs.get("dataset", name))
        named[name] = study
    curves = {name: best_so_far(study) for name, study in named.items()}
    with_ari = any(c["ari"].notna().any() for c in curves.values())
    fig, axes = plt.subplots(1, 2 if with_ari else 1, figsize=(11 if with_ari else 6, 4.2))
    axes = list(np.atleast_1d(axes))
    algorithms = sorted({_algorithm_of(t) for study in named.values() for t in own_trials(study)})
    cmap = plt.get_cmap("tab20")
    colour = {a: cmap(i % 20) for i, a in enumerate(algorithms)}
    shown: set[str] = set()
    star = {"marker": "*", "ms": 15, "mfc": "none", "mec": "black", "mew": 1.5, "ls": ""}
    for name, study in named.items():
        curve = curves[name]
        axes[0].step(
            curve["trial"],
            curve["objective"],
            where="post",
            color="0.35",
            lw=1.2,
            label=f"{name}: best so far" if len(named) > 1 else "best so far",
        )
        for i, t in enumerate(own_trials(study), start=1):
            if t.value is None or not math.isfinite(t.value):
                continue
            a = _algorithm_of(t)
            axes[0].plot(
                [i], [t.value], "o", ms=5, color=colour[a], label=None if a in shown else a
            )
            shown.add(a)
            if with_ari and t.user_attrs.get("ari") is not None:
                axes[1].plot([i], [t.user_attrs["ari"]], "o", ms=5, color=colour[a])
        if not any(t.value is not None and math.isfinite(t.value) for t in own_trials(study)):
            continue
        picked = best_trial(study)
        at = trial_position(study, picked)
        how = study.user_attrs.get("select", "consensus") if _selected(study) else "objective"
        axes[0].plot([at], [picked.value], **star, label=f"returned: trial {at} ({how})")
        if with_ari and picked.user_attrs.get("ari") is not None:
            axes[1].plot([at], [picked.user_attrs["ari"]], **star)
    first = next(iter(named.values()))
    axes[0].set_xlabel("trial")
    axes[0].set_ylabel("\n".join(textwrap.wrap(objective_label(first), 34)))
    if with_ari:
        axes[1].set(xlabel="trial", ylabel="ARI (reference labels)")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(f"metarec tune: {', '.join(named)}")
    axes[0].legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return fig


def _algorithm_of(trial: optuna.trial.FrozenTrial) -> str:
    """The algorithm a trial ran ("?" when it recorded none)."""
    return str(trial.user_attrs.get("config", {}).get("algorithm", "?"))
