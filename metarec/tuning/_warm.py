"""Warm start: the recommendation's configurations enqueued as a search's first trials."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import optuna

from metarec.dataset import Dataset
from metarec.exceptions import (
    MetarecError,
    MetarecWarning,
)
from metarec.space import ALGORITHMS, Configuration, config_hash, suggest_config

if TYPE_CHECKING:
    from metarec.models.protocol import MetaLearner

__all__ = ["suggest", "warm_start"]


def warm_start(
    study: optuna.Study,
    data: Any = None,
    *,
    metafeatures: Any = None,
    recommender: MetaLearner | None = None,
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


def _recommended_start(
    recommender: MetaLearner,
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
