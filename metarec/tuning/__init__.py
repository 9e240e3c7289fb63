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

from metarec.tuning._objectives import (
    OBJECTIVES,
    choose_objective,
    objective_value,
    user_objective_value,
)
from metarec.tuning._results import (
    best_so_far,
    best_so_far_of,
    objective_label,
    plot_progress,
    refit_best,
    trial_position,
)
from metarec.tuning._search import tune
from metarec.tuning._select import CONSENSUS_TOP, best_trial, is_neighbour, own_trials, select_trial
from metarec.tuning._storage import open_storage
from metarec.tuning._warm import suggest, warm_start

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
