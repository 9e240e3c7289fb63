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

import dataclasses
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from metarec.config import DEFAULT_BUDGET, check_budget
from metarec.dataset import Dataset
from metarec.models.costs import RunCosts
from metarec.models.protocol import MetaLearner
from metarec.models.recommender import Recommendation, RecommendedConfig
from metarec.runner import PreparedData, RunResult, run_config, score_partition
from metarec.scoring import pairwise_ari
from metarec.space import Configuration, config_hash, k_cap

__all__ = [
    "DEFAULT_BUDGET",
    "Candidate",
    "Screening",
    "Sweep",
    "agreement",
    "blend_ranks",
    "candidate_configs",
    "candidate_ks",
    "check_budget",
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
    "trusts_zero_shot",
    "with_own_k",
]


def candidate_ks(
    centres: Sequence[int], interval: tuple[int, int], n_rows: int, width: int = 2
) -> list[int]:
    """Candidate numbers of clusters around the given centres, most likely first.

    Each centre (the data's own silhouette-best k, the predicted k, ...) in
    order, then ``c - 1, c + 1, ..., c - width, c + width`` around each, then the
    ends of the predicted ``interval`` and 2 (the most common number of classes);
    each clipped to ``2 .. k_cap(n_rows)`` and given once.

    Parameters
    ----------
    centres : sequence of int
        Numbers of clusters to centre on, most likely first.
    interval : tuple of int
        The predicted interval.
    n_rows : int
        Rows of the dataset (caps k).
    width : int, default=2
        How far from each centre the neighbouring values go.

    Returns
    -------
    list of int

    Examples
    --------
    >>> candidate_ks([4], (3, 7), n_rows=500)
    [4, 3, 5, 2, 6, 7]
    >>> candidate_ks([6, 3], (3, 4), n_rows=500, width=1)
    [6, 3, 5, 7, 2, 4]
    """
    cap = max(2, k_cap(n_rows))
    order = list(centres)
    for d in range(1, width + 1):
        for c in centres:
            order += [c - d, c + d]
    order += [interval[0], interval[1], 2]
    out: list[int] = []
    for v in order:
        v = int(min(max(v, 2), cap))
        if v not in out:
            out.append(v)
    return out


def candidate_configs(
    ranked: Sequence[Configuration],
    ks: Sequence[int],
    algorithms: int = 3,
) -> list[Configuration]:
    """The portfolio to run: the best configuration of each of the first
    ``algorithms`` distinct algorithms of ``ranked`` at every k of ``ks``.

    Ordered by likelihood: every algorithm at ``ks[0]`` first (in rank order),
    then every algorithm at ``ks[1]``, and so on; a configuration without a number
    of clusters (DBSCAN, HDBSCAN, ...) appears once, as it is. Duplicates are
    dropped.

    Parameters
    ----------
    ranked : sequence of Configuration
        Configurations in the zero-shot order, best first.
    ks : sequence of int
        Candidate numbers of clusters, most likely first.
    algorithms : int, default=3
        How many distinct algorithms.

    Returns
    -------
    list of Configuration
    """
    leaders: list[Configuration] = []
    for cfg in ranked:
        cfg = Configuration.from_dict(cfg)
        if cfg.algorithm not in {c.algorithm for c in leaders}:
            leaders.append(cfg)
        if len(leaders) == algorithms:
            break
    out: dict[str, Configuration] = {}
    for k in ks:
        for cfg in leaders:
            c = cfg.with_n_clusters(int(k)) if cfg.n_clusters is not None else cfg
            out.setdefault(config_hash(c), c)
    return list(out.values())


@dataclass
class Candidate:
    """One screened candidate: its configuration, its run, and what scored it."""

    config: Configuration
    prior: float
    result: RunResult
    score: float = float("nan")
    agreement: float = float("nan")

    @property
    def ok(self) -> bool:
        """Whether the run produced a partition of at least two clusters."""
        return self.result.status == "ok" and (self.result.n_clusters or 0) >= 2


@dataclass
class Screening:
    """What :func:`screen` ran and found, best first.

    ``budget`` is seconds of planned work (:mod:`metarec.models.costs`): the
    candidates that ran were chosen before any ran, from their predicted cost, so
    that a busy machine runs the same ones; ``planned`` is what they were predicted
    to cost (the data's own k sweep included), ``elapsed`` the wall-clock time they
    took, ``not_run`` how many candidates the budget left out, ``stopped`` how many
    planned ones the wall-clock safety limit (:func:`safety_limit`) stopped.
    """

    candidates: list[Candidate]
    budget: float
    elapsed: float
    subsample: int
    not_run: int = 0
    ranking: list[int] = field(default_factory=list)
    #: whether the zero-shot top-1 was kept first for its prior (:data:`TRUST_PRIOR`)
    trusted: bool = False
    planned: float = 0.0
    stopped: int = 0
    #: with ``record_all``: the candidates the budget left out, run for the record only
    extra: list[Candidate] = field(default_factory=list)
    #: the data's own number of clusters (:func:`kmeans_sweep`)
    data_k: int | None = None

    @property
    def best(self) -> Candidate | None:
        """The winning candidate, or None when no candidate produced a partition."""
        return self.candidates[self.ranking[0]] if self.ranking else None

    def summary(self) -> dict[str, Any]:
        """Plain-data summary (for JSON): counts, budget and time spent."""
        return {
            "budget": self.budget,
            "planned": round(self.planned, 3),
            "elapsed": round(self.elapsed, 3),
            "subsample": self.subsample,
            "candidates": len(self.candidates),
            "partitions": sum(c.ok for c in self.candidates),
            "not_run": self.not_run,
            "stopped": self.stopped,
            "trusted": self.trusted,
        }

    def describe(self) -> str:
        """One line: what ran and what was left out, and why (not how long it took,
        which depends on the machine: :attr:`elapsed`)."""
        total = len(self.candidates) + self.not_run
        line = (
            f"screened {len(self.candidates)} of {total} candidate partitions on "
            f"{self.subsample} rows ({self.planned:.1f} s of planned work within the "
            f"{self.budget:g} s budget"
        )
        if self.not_run:
            line += f"; {self.not_run} left out by the budget"
        if self.stopped:
            line += f"; {self.stopped} stopped by the wall-clock safety limit"
        return line + ")"

    def to_frame(self) -> pd.DataFrame:
        """One row per candidate run, in screening order (``record_all``'s extra
        candidates last, unranked)."""
        rows = []
        for i, c in enumerate([*self.candidates, *self.extra]):
            rows.append(
                {
                    "algorithm": c.config.algorithm,
                    "n_clusters": c.config.n_clusters,
                    "config_hash": config_hash(c.config),
                    "status": c.result.status,
                    "clusters_found": c.result.n_clusters,
                    "fit_time": c.result.fit_time,
                    "prior": c.prior,
                    "score": c.score,
                    "agreement": c.agreement,
                    "silhouette": c.result.silhouette,
                    "planned": i < len(self.candidates),
                    "rank": self.ranking.index(i) + 1 if i in self.ranking else None,
                }
            )
        return pd.DataFrame(rows)


#: Up to this many rows :func:`kmeans_sweep` computes the distance matrix once.
PRECOMPUTED_ROWS = 2000


def sweep_ks(prepared: PreparedData) -> range:
    """The numbers of clusters :func:`kmeans_sweep` tries: 2 to ``k_cap`` of the rows."""
    return range(2, max(2, k_cap(prepared.dataset.shape[0])) + 1)


def kmeans_sweep(
    prepared: PreparedData, random_state: int = 0
) -> tuple[int, dict[int, np.ndarray]]:
    """The data's own number of clusters and the partitions that chose it.

    KMeans (one k-means++ start) of the standard-scaled matrix at every k of
    :func:`sweep_ks` (fewer than the distinct rows); the k with the best
    silhouette wins, as a user's "KMeans with k by silhouette" would choose it.

    Parameters
    ----------
    prepared : PreparedData
        The (subsampled) data.
    random_state : int, default=0
        Seed of KMeans.

    Returns
    -------
    k : int
        The silhouette-best k (2 when none has two clusters).
    partitions : dict of int to ndarray
        Each k's labels.
    """
    import warnings

    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import pairwise_distances, silhouette_score

    X = prepared.eval_matrix
    distinct = len(np.unique(X, axis=0))
    # the distances once for every k (the same silhouettes, in a third of the time)
    small = len(X) <= PRECOMPUTED_ROWS
    D = pairwise_distances(X) if small else X
    best_k, best = 2, -np.inf
    parts: dict[int, np.ndarray] = {}
    for k in sweep_ks(prepared):
        if k >= distinct:
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            labels = KMeans(k, n_init=1, random_state=random_state).fit_predict(X)
        parts[k] = labels
        if len(np.unique(labels)) < 2:
            continue
        s = silhouette_score(D, labels, metric="precomputed" if small else "euclidean")
        if s > best:
            best_k, best = k, float(s)
    return best_k, parts


@dataclass
class Sweep:
    """The data's own k sweep on a screening's subsample (:func:`sweep`).

    Attributes
    ----------
    prepared : PreparedData
        The subsample the candidates run on.
    k : int
        The silhouette-best number of clusters.
    partitions : dict of int to ndarray
        Each swept k's KMeans labels.
    subsample, random_state : int
        What the subsample was drawn with.
    """

    prepared: PreparedData
    k: int
    partitions: dict[int, np.ndarray]
    subsample: int
    random_state: int


def sweep(dataset: Dataset, subsample: int = 1000, random_state: int = 0) -> Sweep:
    """Draw the screening's subsample of ``dataset`` and run :func:`kmeans_sweep` on it.

    It needs neither the models nor the meta-features, so :func:`metarec.recommend`
    runs it while they load and hands it to :func:`screen`.

    Parameters
    ----------
    dataset : Dataset
        The data (labels are dropped).
    subsample : int, default=1000
        Rows of the subsample.
    random_state : int, default=0
        Seed of the subsample and KMeans.

    Returns
    -------
    Sweep
    """
    data = dataclasses.replace(dataset.subsample(subsample, random_state), labelings=())
    prepared = PreparedData(data, random_state)
    prepared.eval_matrix  # noqa: B018 (computed once, before threads share it)
    k, parts = kmeans_sweep(prepared, random_state)
    return Sweep(prepared, k, parts, subsample, random_state)


def data_k(prepared: PreparedData, random_state: int = 0) -> int:
    """The data's own number of clusters (:func:`kmeans_sweep`'s k).

    Parameters
    ----------
    prepared : PreparedData
        The (subsampled) data.
    random_state : int, default=0
        Seed of KMeans.

    Returns
    -------
    int
    """
    return kmeans_sweep(prepared, random_state)[0]


def kmeans_at(k: int) -> Configuration:
    """KMeans (k-means++, standard scaling, no PCA) asking for ``k`` clusters.

    Parameters
    ----------
    k : int
        Number of clusters.

    Returns
    -------
    Configuration
    """
    return Configuration.from_dict(
        {"algorithm": "kmeans", "params": {"n_clusters": int(k)}, "preprocessing": {}}
    )


def portfolio(
    ranked: Sequence[Configuration],
    ks: Sequence[int],
    k_data: int,
    algorithms: int = 3,
) -> list[Configuration]:
    """What :func:`screen` runs, in order: the zero-shot top-1 as recommended, KMeans
    at the data's silhouette-best k, then :func:`candidate_configs`; each once.

    Parameters
    ----------
    ranked : sequence of Configuration
        The zero-shot ranking, best first.
    ks : sequence of int
        Candidate numbers of clusters, most likely first.
    k_data : int
        The data's silhouette-best k (:func:`data_k`).
    algorithms : int, default=3
        How many distinct algorithms :func:`candidate_configs` takes.

    Returns
    -------
    list of Configuration
    """
    first = [Configuration.from_dict(ranked[0])] if ranked else []
    out: dict[str, Configuration] = {}
    rest = candidate_configs(ranked, ks, algorithms)
    for c in [*first, kmeans_at(k_data), *rest]:
        out.setdefault(config_hash(c), c)
    return list(out.values())


def agreement(labelings: Sequence[np.ndarray | None]) -> np.ndarray:
    """Each partition's mean adjusted Rand index with the other partitions.

    A partition that the other candidates, found by other algorithms and numbers of
    clusters, largely agree with is more likely to be structure than an artefact of
    one algorithm (the idea behind cluster-ensemble selection). NaN for a missing
    partition, and for every partition when fewer than two are given.

    Parameters
    ----------
    labelings : sequence of ndarray or None
        Cluster labels of the same rows, one array per candidate (None: no partition).

    Returns
    -------
    ndarray of shape (n_candidates,)

    Examples
    --------
    >>> import numpy as np
    >>> a, b = np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0])
    >>> agreement([a, b, np.array([0, 1, 0, 1])]).round(2).tolist()
    [0.25, 0.25, -0.5]
    """
    idx = [i for i, lab in enumerate(labelings) if lab is not None]
    out = np.full(len(labelings), np.nan)
    if len(idx) < 2:
        return out
    m = pairwise_ari([labelings[i] for i in idx])  # type: ignore[misc]
    np.fill_diagonal(m, np.nan)
    out[idx] = np.nanmean(m, axis=1)
    return out


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks in [0, 1] (1 = largest; NaN is the lowest), ties averaged."""
    v = np.where(np.isfinite(values), values, -np.inf)
    ranks = pd.Series(v).rank(method="average").to_numpy()
    return (ranks - 1) / max(len(v) - 1, 1)


def label_free_scores(
    surrogate: Any,
    metafeatures: pd.Series,
    candidates: Sequence[Candidate],
    weights: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Blend of the label-free evidence about each candidate partition.

    Ranks within the candidate set (1 = best) of the learned surrogate objective's
    score, of the partition's agreement with the other candidates
    (:func:`agreement`), of the meta-learned prior and of the partition's
    silhouette, weighted by ``weights`` (default :data:`BLEND`). Candidates that
    produced no partition score NaN.

    Parameters
    ----------
    surrogate : SurrogateObjective or None
        The learned objective (its weight counts as 0 without one).
    metafeatures : Series
        The dataset's meta-features.
    candidates : sequence of Candidate
        The screened runs (``agreement`` filled in).
    weights : mapping, optional
        Weights of ``"surrogate"``, ``"agreement"``, ``"prior"`` and ``"silhouette"``.

    Returns
    -------
    ndarray of shape (n_candidates,)
    """
    w = dict(BLEND if weights is None else weights)
    ok = np.array([c.ok for c in candidates])
    out = np.full(len(candidates), np.nan)
    if not ok.any():
        return out
    parts: dict[str, np.ndarray] = {
        "agreement": np.array([c.agreement for c in candidates]),
        "prior": np.array([c.prior for c in candidates]),
        "silhouette": np.array([float(c.result.silhouette) for c in candidates]),
    }
    if surrogate is not None:
        kept = [c for c in candidates if c.ok]
        sur = np.full(len(candidates), np.nan)
        sur[ok] = surrogate.score_many(
            metafeatures, [c.config for c in kept], [c.result for c in kept]
        )
        parts["surrogate"] = sur
    out[ok] = blend_ranks({name: values[ok] for name, values in parts.items()}, w)
    return out


def blend_ranks(parts: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """The weighted mean of each piece of evidence's ranks within a set (1 = best).

    Parameters
    ----------
    parts : mapping of str to ndarray
        Each piece of evidence (larger is better) for the same members of the set;
        one with no finite value is left out.
    weights : mapping of str to float
        Weight of each piece (missing: 0).

    Returns
    -------
    ndarray
        In [0, 1]; all 0 when no piece has weight.

    Examples
    --------
    >>> import numpy as np
    >>> blend_ranks({"a": np.array([1.0, 3.0, 2.0]), "b": np.array([3.0, 1.0, 2.0])},
    ...             {"a": 1.0, "b": 1.0}).tolist()
    [0.5, 0.5, 0.5]
    """
    n = len(next(iter(parts.values()))) if parts else 0
    total = np.zeros(n)
    weight = 0.0
    for name, values in parts.items():
        wn = float(weights.get(name, 0.0))
        if wn and np.isfinite(values).any():
            total += wn * _ranks(values)
            weight += wn
    return total / weight if weight else total


#: Weights of :func:`label_free_scores`. The first three were fixed before the
#: held-out evaluation (``scripts/eval_budget.py``), which compares them with the
#: alternatives; the silhouette's weight was chosen there (``blend``, nested across
#: folds): alone it is the worst judge of real partitions, beside the learned
#: evidence it corrects the learned scores' preference for over-split partitions.
BLEND: dict[str, float] = {"surrogate": 1.0, "agreement": 1.0, "prior": 0.5, "silhouette": 2.5}


#: A zero-shot top-1 whose prior (the ranker's expected ARI) is at least this stays
#: first, whatever the screening says: held out, such datasets (clear structure like
#: known ones; mostly synthetic) are better served by the zero-shot pick, while the
#: real tables the screening serves almost never reach it. Chosen in
#: ``scripts/eval_budget.py gate`` (nested across folds there).
TRUST_PRIOR = 0.6


def trusts_zero_shot(ok: bool, prior: float, trust: float | None = None) -> bool:
    """Whether the zero-shot top-1 stays first: it produced a partition and its prior
    is at least ``trust`` (default :data:`TRUST_PRIOR`).

    Parameters
    ----------
    ok : bool
        Whether the zero-shot top-1's run produced a partition.
    prior : float
        Its prior (the ranker's expected ARI).
    trust : float, optional
        The threshold (default :data:`TRUST_PRIOR`).

    Returns
    -------
    bool

    Examples
    --------
    >>> trusts_zero_shot(True, 0.8), trusts_zero_shot(True, 0.2), trusts_zero_shot(False, 0.9)
    (True, False, False)
    """
    return bool(ok) and float(prior) >= (TRUST_PRIOR if trust is None else trust)


#: The first candidates of the portfolio (the zero-shot top-1 as recommended and
#: KMeans at the data's own k) run whatever the budget, so that any screening
#: compares partitions.
ALWAYS_RUN = 2
#: The wall-clock safety limit is this many times the budget, plus :data:`SAFETY_EXTRA`
#: seconds: far beyond what a planned screening takes even on a busy machine, it only
#: stops a screening whose runs take far longer than the meta-database's did.
SAFETY_FACTOR = 5.0
SAFETY_EXTRA = 10.0


def safety_limit(budget: float) -> float:
    """The wall-clock seconds after which a screening of ``budget`` waits for no more runs.

    Parameters
    ----------
    budget : float
        Seconds of planned work.

    Returns
    -------
    float

    Examples
    --------
    >>> safety_limit(2.0)
    20.0
    """
    return SAFETY_FACTOR * float(budget) + SAFETY_EXTRA


def run_costs(recommender: MetaLearner) -> RunCosts:
    """The models' run-cost model (``costs_``, saved by ``metarec train``); for models
    saved without one, learned from their knowledge base's fit times once.

    Parameters
    ----------
    recommender : Recommender
        The fitted models.

    Returns
    -------
    RunCosts
    """
    costs = getattr(recommender, "costs_", None)
    if costs is None:
        costs = RunCosts().fit(recommender.kb_)
        recommender.costs_ = costs
    return costs


def plan(costs: Sequence[float], budget: float, spent: float = 0.0) -> list[int]:
    """Which candidates run: each in order whose predicted cost still fits the budget
    (the first :data:`ALWAYS_RUN` in any case), after ``spent`` seconds already planned.

    Parameters
    ----------
    costs : sequence of float
        Each candidate's predicted seconds, in portfolio order.
    budget : float
        Seconds of work.
    spent : float, default=0.0
        Seconds already planned (the data's own k sweep).

    Returns
    -------
    list of int
        Positions of the candidates to run.

    Examples
    --------
    >>> plan([0.5, 0.5, 0.8, 0.3, 0.2], budget=1.6, spent=0.2)
    [0, 1, 3]
    """
    chosen: list[int] = []
    for i, c in enumerate(costs):
        if i < ALWAYS_RUN or spent + c <= budget:
            chosen.append(i)
            spent += c
    return chosen


class _Runs:
    """The screening's runs, in threads of this process, at most ``workers`` at a time.

    Each run is one of metarec's own configurations on the screening's subsample
    (at most ``subsample`` rows), run in-process: no process to fork and warm up per
    run (a tenth of a second each), so the planned work is most of the time spent.
    A run still going at the ``deadline`` is not waited for: it counts as stopped,
    and its thread finishes in the background.
    """

    def __init__(
        self, prepared: PreparedData, random_state: int, workers: int, deadline: float
    ) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.prepared = prepared
        self.random_state = random_state
        self.deadline = deadline
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="metarec-screen")
        self.futures: dict[str, Any] = {}

    def submit(self, config: Configuration, deadline: float | None = None) -> None:
        """Start ``config`` unless it runs already (``deadline``: its own, else the pool's)."""
        h = config_hash(config)
        if h not in self.futures:
            limit = self.deadline if deadline is None else deadline
            self.futures[h] = self.pool.submit(self._run, config, limit)

    def _run(self, config: Configuration, limit: float) -> RunResult | None:
        if time.perf_counter() >= limit:
            return None
        return run_config(
            self.prepared,
            config,
            random_state=self.random_state,
            time_limit=None,
            keep_labels=True,
            dbcv=False,
            isolate=False,
        )

    def result(self, config: Configuration, deadline: float | None = None) -> RunResult | None:
        """``config``'s result; None when it was not done by the deadline."""
        from concurrent.futures import TimeoutError as Pending

        limit = self.deadline if deadline is None else deadline
        future = self.futures[config_hash(config)]
        try:
            if not np.isfinite(limit):
                return future.result()  # type: ignore[no-any-return]
            return future.result(timeout=max(0.0, limit - time.perf_counter()))  # type: ignore[no-any-return]
        except Pending:
            return None

    def close(self) -> None:
        """Stop waiting: what has not started never will."""
        self.pool.shutdown(wait=False, cancel_futures=True)


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
    if swept is None:
        data = dataclasses.replace(dataset.subsample(subsample, random_state), labelings=())
        prepared = PreparedData(data, random_state)
        prepared.eval_matrix  # noqa: B018 (computed once, before the threads share it)
    else:
        prepared = swept.prepared
        data = prepared.dataset
    n, d = data.shape
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
                i: runs.result(configs[i], deadline=float("inf"))
                for i in (left_out if record_all else [])
            }
    finally:
        runs.close()
    priors = recommender.prior_scores(metafeatures, configs)
    candidates = [
        Candidate(configs[i], float(priors[i]), r) for i, r in results.items() if r is not None
    ]
    stopped = sum(r is None for r in results.values())
    labels = [c.result.labels if c.ok else None for c in candidates]
    for c, a in zip(candidates, agreement(labels), strict=True):
        c.agreement = float(a)
    scores = label_free_scores(
        getattr(recommender, "surrogate", None), metafeatures, candidates, weights
    )
    for c, s in zip(candidates, scores, strict=True):
        c.score = float(s)
    ranking = [int(i) for i in np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind="stable")]
    ranking = [i for i in ranking if np.isfinite(scores[i])]
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
            f"({best.prior:.2f}) being at least {TRUST_PRIOR:g}"
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
