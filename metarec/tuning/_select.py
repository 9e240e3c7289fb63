"""Which trial a search returns: the study's own trials, and the consensus selection
that never ends below the recommendation's pick."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna

from metarec.db.schema import NEIGHBOUR_ATTR
from metarec.exceptions import (
    MetarecError,
)
from metarec.space import Configuration, config_hash

if TYPE_CHECKING:
    from metarec.models.protocol import MetaLearner

__all__ = ["CONSENSUS_TOP", "best_trial", "is_neighbour", "own_trials", "select_trial"]


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

    def select(self, study: optuna.Study, recommender: MetaLearner | None, mf: Any) -> None:
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
        if recommender is not None:
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
