"""The screening itself (:func:`screen`) and the one place its result becomes a
recommendation (:func:`screened`, :func:`with_own_k`)."""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from metarec.config import DEFAULT_BUDGET
from metarec.dataset import Dataset
from metarec.models.costs import RunCosts
from metarec.models.protocol import MetaLearner
from metarec.models.recommender import Recommendation, RecommendedConfig
from metarec.runner import PreparedData, RunResult, score_partition
from metarec.screening import _evidence
from metarec.screening._budget import _Runs, plan, run_costs, safety_limit
from metarec.screening._candidates import Candidate, Screening, candidate_ks, kmeans_at, portfolio
from metarec.screening._evidence import agreement, label_free_scores, trusts_zero_shot
from metarec.screening._sweep import Sweep, kmeans_sweep
from metarec.space import Configuration, config_hash

__all__ = ["join_notes", "screen", "screened", "with_own_k"]


def screen(
    recommender: MetaLearner,
    dataset: Dataset,
    ranked: Sequence[Configuration],
    n_clusters: int,
    interval: tuple[int, int],
    metafeatures: pd.Series,
    budget: float = DEFAULT_BUDGET,
    *,
    subsample: int = 1000,
    random_state: int = 0,
    algorithms: int = 3,
    width: int = 2,
    weights: Mapping[str, float] | None = None,
    n_jobs: int | None = None,
    record_all: bool = False,
    swept: Sweep | None = None,
) -> Screening:
    """Run the candidate portfolio on a subsample within ``budget`` seconds of work and rank it.

    The budget buys work planned before anything runs: the data's own k sweep
    (:func:`kmeans_sweep`, whose partitions serve as the KMeans candidates) and
    each candidate cost what :class:`~metarec.models.costs.RunCosts` predicts from
    the meta-database's fit times, and the candidates run are those that fit
    (:func:`plan`). So the same data, seed and budget give the same screening on
    an idle machine and on a busy one; the wall clock only stops runs past
    :func:`safety_limit`, which the result reports (``stopped``).

    Parameters
    ----------
    recommender : Recommender
        The fitted models (its ranker gives the prior, its surrogate the score,
        its ``costs_`` the plan).
    dataset : Dataset
        The data (labels, if any, are not used).
    ranked : sequence of Configuration
        The zero-shot ranking, best first.
    n_clusters, interval : int, tuple of int
        The predicted number of clusters and its interval.
    metafeatures : Series
        The dataset's meta-features.
    budget : float, default=DEFAULT_BUDGET
        Seconds of planned single-core work; the first :data:`ALWAYS_RUN`
        candidates run in any case, those left out are counted in
        :attr:`Screening.not_run`.
    subsample : int, default=1000
        Rows the candidates run on (as the meta-database's runs did).
    random_state : int, default=0
        Seed of the subsample and the algorithms.
    algorithms, width : int
        See :func:`candidate_configs` and :func:`candidate_ks`.
    weights : mapping, optional
        See :func:`label_free_scores`.
    n_jobs : int, optional
        Runs at a time (default: up to 2, the cores there are); the result does
        not depend on it.
    record_all : bool, default=False
        Also run the candidates the budget leaves out, after the others, and keep
        them in :attr:`Screening.extra` (for evaluation; they are not ranked).
    swept : Sweep, optional
        The data's own k sweep, already run (:func:`sweep`) with the same
        ``subsample`` and ``random_state``; run here otherwise. Either way its
        cost counts against the budget.

    Returns
    -------
    Screening
    """
    start = time.perf_counter()
    deadline = start + safety_limit(budget)
    if swept is not None and (swept.subsample, swept.random_state) != (subsample, random_state):
        swept = None  # drawn otherwise: not this screening's subsample
    prepared = swept.prepared if swept is not None else _prepared(dataset, subsample, random_state)
    data = prepared.dataset
    n = data.shape[0]
    costs = run_costs(recommender)
    workers = n_jobs if n_jobs is not None else max(1, min(2, os.cpu_count() or 1))

    runs = _Runs(prepared, random_state, workers, deadline)
    try:
        with warnings.catch_warnings():  # the algorithms' warnings are not the user's
            warnings.simplefilter("ignore")
            if ranked:  # the zero-shot top-1 runs while the data's own k is chosen
                runs.submit(Configuration.from_dict(ranked[0]))
            k_data, parts = (
                kmeans_sweep(prepared, random_state)
                if swept is None
                else (swept.k, swept.partitions)
            )
            ks = candidate_ks([k_data, n_clusters], interval, n, width)
            configs = portfolio(ranked, ks, k_data, algorithms)
            results, extra_results, planned, left_out = _run_planned(
                runs, prepared, configs, parts, costs, budget, random_state, record_all
            )
    finally:
        runs.close()
    priors = recommender.prior_scores(metafeatures, configs)
    candidates = [
        Candidate(configs[i], float(priors[i]), r) for i, r in results.items() if r is not None
    ]
    stopped = sum(r is None for r in results.values())
    ranking = _scored(candidates, getattr(recommender, "surrogate", None), metafeatures, weights)
    # the portfolio's first candidate is the zero-shot top-1, run whatever the budget
    trusted = (
        bool(ranked)
        and bool(candidates)
        and 0 in results
        and results[0] is not None
        and trusts_zero_shot(candidates[0].ok, candidates[0].prior)
    )
    if trusted:
        ranking = [0, *(i for i in ranking if i != 0)]
    extra = [
        Candidate(configs[i], float(priors[i]), r)
        for i, r in extra_results.items()
        if r is not None
    ]
    return Screening(
        trusted=trusted,
        candidates=candidates,
        budget=float(budget),
        elapsed=time.perf_counter() - start,
        subsample=data.shape[0],
        not_run=len(left_out),
        ranking=ranking,
        planned=planned,
        stopped=stopped,
        extra=extra,
        data_k=int(k_data),
    )


def _run_planned(
    runs: _Runs,
    prepared: PreparedData,
    configs: list[Configuration],
    parts: dict[int, np.ndarray],
    costs: RunCosts,
    budget: float,
    random_state: int,
    record_all: bool,
) -> tuple[dict[int, RunResult | None], dict[int, RunResult | None], float, list[int]]:
    """Run what the budget buys of ``configs`` (the sweep's own KMeans partitions are
    scored, not rerun), and with ``record_all`` the rest too, outside the budget.

    Returns the results of the planned candidates and of the others (None: stopped by
    the safety limit), the planned seconds (the sweep's included) and the left-out."""
    n, d = prepared.dataset.shape
    predicted = [costs.run_seconds(c, n, d) for c in configs]
    planned = costs.sweep_seconds(n, d, list(parts))
    chosen = plan(predicted, budget, planned)
    planned += sum(predicted[i] for i in chosen)
    reused: dict[int, RunResult] = {}
    for i in chosen:
        cfg, k = configs[i], configs[i].n_clusters
        if k in parts and cfg == kmeans_at(k):  # the sweep's own partition
            reused[i] = score_partition(
                prepared, parts[k], random_state=random_state, keep_labels=True
            )
        else:
            runs.submit(cfg)
    planned_set = set(chosen)
    left_out = [i for i in range(len(configs)) if i not in planned_set]
    for i in left_out if record_all else []:
        runs.submit(configs[i], deadline=float("inf"))
    results = {i: reused.get(i) or runs.result(configs[i]) for i in chosen}
    extra_results = {
        i: runs.result(configs[i], deadline=float("inf")) for i in (left_out if record_all else [])
    }
    return results, extra_results, planned, left_out


def _prepared(dataset: Dataset, subsample: int, random_state: int) -> PreparedData:
    """The screening's subsample, labels dropped, its evaluation matrix computed once
    before the threads share it."""
    data = dataclasses.replace(dataset.subsample(subsample, random_state), labelings=())
    prepared = PreparedData(data, random_state)
    prepared.eval_matrix  # noqa: B018
    return prepared


def _scored(
    candidates: list[Candidate],
    surrogate: Any,
    metafeatures: pd.Series,
    weights: Mapping[str, float] | None,
) -> list[int]:
    """Give each candidate its agreement with the others and its blended label-free
    score; return their order, best first (candidates without a score left out)."""
    labels = [c.result.labels if c.ok else None for c in candidates]
    for c, a in zip(candidates, agreement(labels), strict=True):
        c.agreement = float(a)
    scores = label_free_scores(surrogate, metafeatures, candidates, weights)
    for c, s in zip(candidates, scores, strict=True):
        c.score = float(s)
    ranking = [int(i) for i in np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind="stable")]
    return [i for i in ranking if np.isfinite(scores[i])]


def with_own_k(
    recommender: MetaLearner, zero: Recommendation, metafeatures: pd.Series, top: int
) -> Recommendation:
    """The zero-shot recommendation with the dataset's own number of clusters.

    Every configuration that takes a number of clusters (or mixture components)
    asks for the predicted one (``zero.n_clusters``) instead of the one the design
    happened to draw; its score is then the ranker's prior for that configuration
    (no known dataset ran it at that k). Configurations that become equal are
    listed once.

    Parameters
    ----------
    recommender : Recommender
        The fitted models.
    zero : Recommendation
        A zero-shot recommendation (:meth:`Recommender.recommend`), long enough
        to give ``top`` distinct configurations.
    metafeatures : Series
        The dataset's meta-features.
    top : int
        How many configurations to keep.

    Returns
    -------
    Recommendation
    """
    k = int(zero.n_clusters)
    # every configuration that changes k, and the ranker's prior for all in one call
    moved = {
        i: it.config.with_n_clusters(k)
        for i, it in enumerate(zero.items)
        if it.config.n_clusters is not None and it.config.n_clusters != k
    }
    priors = dict(
        zip(moved, recommender.prior_scores(metafeatures, list(moved.values())), strict=True)
    )
    items: list[RecommendedConfig] = []
    seen: set[str] = set()
    for i, it in enumerate(zero.items):
        if i in moved:
            new = moved[i]
            h = config_hash(new)
            if h in seen:
                continue
            prior = float(priors[i])
            it = dataclasses.replace(
                it,
                config=new,
                config_hash=h,
                score=prior,
                neighbour_score=float("nan"),
                ranker_score=prior,
                expected_clusters=float(k),
                support=[],
            )
        if it.config_hash in seen:
            continue
        seen.add(it.config_hash)
        items.append(it)
    # the rows in the order of their printed scores (a moved configuration's prior may
    # rank it above one that kept its k)
    items.sort(key=lambda it: -np.nan_to_num(it.score, nan=-np.inf))
    items = [dataclasses.replace(it, rank=r) for r, it in enumerate(items[:top], start=1)]
    lo, hi = zero.n_clusters_interval
    return dataclasses.replace(zero, items=items, n_clusters_interval=(min(lo, k), max(hi, k)))


def screened(zero: Recommendation, screening: Screening, top: int) -> Recommendation:
    """The recommendation the screening ranks: its candidates, best first.

    The number of clusters is the winner's (asked for, or found by an algorithm
    that finds it itself), so that the printed k and the top-1's k agree. Without
    any partition from the screening, ``zero`` is returned with a note.

    Parameters
    ----------
    zero : Recommendation
        The zero-shot recommendation the candidates came from.
    screening : Screening
        What :func:`screen` ran.
    top : int
        How many configurations to keep.

    Returns
    -------
    Recommendation
    """
    if screening.best is None:
        note = "no screened candidate produced a partition; this is the zero-shot ranking"
        return dataclasses.replace(zero, note=join_notes(zero.note, note), screening=screening)
    best = screening.best
    k = int(best.config.n_clusters or best.result.n_clusters or zero.n_clusters)
    # one printout, one number of clusters: the candidates asking for another k are
    # not listed (those finding k themselves are, with what they found)
    listed = [
        i for i in screening.ranking if screening.candidates[i].config.n_clusters in (None, k)
    ]
    items = []
    for r, i in enumerate(listed[:top], start=1):
        c = screening.candidates[i]
        k_i = c.config.n_clusters or c.result.n_clusters
        items.append(
            RecommendedConfig(
                rank=r,
                config=c.config,
                config_hash=config_hash(c.config),
                score=c.prior,
                uncertainty=float("nan"),
                neighbour_score=float("nan"),
                ranker_score=c.prior,
                expected_clusters=float("nan") if k_i is None else float(k_i),
                screened=c.score,
                observed={
                    "clusters_found": c.result.n_clusters,
                    "silhouette": _round(c.result.silhouette),
                    "agreement": _round(c.agreement),
                    "fit_time": _round(c.result.fit_time),
                },
            )
        )
    lo, hi = zero.n_clusters_interval
    note = (
        screening.describe()
        + "; ranked by the learned label-free score, their agreement, the prior"
        + " and their silhouette"
        + (
            f"; the zero-shot top-1 stays first, its predicted ARI "
            f"({best.prior:.2f}) being at least {_evidence.TRUST_PRIOR:g}"
            if screening.trusted
            else ""
        )
    )
    return dataclasses.replace(
        zero,
        items=items,
        n_clusters=k,
        n_clusters_interval=(min(lo, k), max(hi, k)),
        note=join_notes(zero.note, note),
        screening=screening,
    )


def _round(v: Any) -> float | None:
    v = float(v) if v is not None else float("nan")
    return round(v, 4) if np.isfinite(v) else None


def join_notes(*notes: str) -> str:
    """Notes as one line, each a clause of its own (empty ones left out).

    Examples
    --------
    >>> join_notes("the fallback averages ARI 0.30", "", "screened 2 candidates")
    'the fallback averages ARI 0.30; screened 2 candidates'
    """
    return "; ".join(n.strip().rstrip(";.") for n in notes if n and n.strip())
