"""Held-out evaluation of recommenders against baselines, grouped by near-duplicates.

Every dataset is held out once. Its *group* (the dataset and every
near-duplicate: same content hash, or the same data rescaled, shuffled or
with permuted columns) is removed from the knowledge base before anything is
fitted; the methods then see only the held-out dataset's meta-features. Folds
are K groups of groups (``folds=K``) or one group each (``folds=0``).

A method maps a training knowledge base to a function from a dataset's
meta-features to a ranked list of configuration hashes. The recommended
configurations are scored by the ARI recorded in the full knowledge base, or,
for configurations never run on that dataset, by ``score_missing``.
"""

from __future__ import annotations

from metarec.evaluation._folds import heldout_folds, heldout_splits
from metarec.evaluation._harness import (
    RunScorer,
    corpus_knowledge,
    evaluate,
    load_as_built,
    run_evaluation,
    run_pairs,
)
from metarec.evaluation._methods import (
    RANDOM,
    Method,
    baseline_methods,
    neighbour_average_config,
    precomputed_method,
    recommender_method,
)
from metarec.evaluation._report import (
    EvaluationResult,
    markdown_table,
    paired_p,
    plot_per_dataset,
    summarize,
)

__all__ = [
    "RANDOM",
    "EvaluationResult",
    "Method",
    "RunScorer",
    "baseline_methods",
    "corpus_knowledge",
    "evaluate",
    "heldout_folds",
    "heldout_splits",
    "load_as_built",
    "markdown_table",
    "neighbour_average_config",
    "paired_p",
    "plot_per_dataset",
    "precomputed_method",
    "recommender_method",
    "run_evaluation",
    "run_pairs",
    "summarize",
]
