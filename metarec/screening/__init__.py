"""Candidate partitions scored before recommending: the budgeted recommendation.

A zero-shot recommendation ranks configurations by what they scored on similar
datasets. Within a time budget, :func:`screen` also *runs* a small portfolio of
candidates on a subsample of the dataset itself: the best configuration of each of
the top-ranked algorithms, at the dataset's own candidate numbers of clusters
around the predicted one (:func:`candidate_ks`), most likely first. Every
resulting partition is scored without labels (:func:`label_free_scores`) and the
candidates are ranked by that score blended with the meta-learned prior.

Reference: the candidates-then-score design of MetaIVM and of auto-sklearn 2.0's
portfolios, with the label-free score of :mod:`metarec.models.surrogate`.
"""

from __future__ import annotations

from metarec.screening._budget import (
    ALWAYS_RUN,
    SAFETY_EXTRA,
    SAFETY_FACTOR,
    plan,
    run_costs,
    safety_limit,
)
from metarec.screening._candidates import (
    Candidate,
    Screening,
    candidate_configs,
    candidate_ks,
    kmeans_at,
    portfolio,
)
from metarec.screening._evidence import (
    BLEND,
    TRUST_PRIOR,
    agreement,
    blend_ranks,
    label_free_scores,
    trusts_zero_shot,
)
from metarec.screening._screen import join_notes, screen, screened, with_own_k
from metarec.screening._sweep import PRECOMPUTED_ROWS, Sweep, data_k, kmeans_sweep, sweep, sweep_ks

__all__ = [
    "ALWAYS_RUN",
    "BLEND",
    "PRECOMPUTED_ROWS",
    "SAFETY_EXTRA",
    "SAFETY_FACTOR",
    "TRUST_PRIOR",
    "Candidate",
    "Screening",
    "Sweep",
    "agreement",
    "blend_ranks",
    "candidate_configs",
    "candidate_ks",
    "data_k",
    "join_notes",
    "kmeans_at",
    "kmeans_sweep",
    "label_free_scores",
    "plan",
    "portfolio",
    "run_costs",
    "safety_limit",
    "screen",
    "screened",
    "sweep",
    "sweep_ks",
    "trusts_zero_shot",
    "with_own_k",
]
