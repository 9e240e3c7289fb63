"""What a screening runs: the candidate numbers of clusters, the portfolio of configurations,
and the records of a screening (:class:`Candidate`, :class:`Screening`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from metarec.runner import RunResult
from metarec.space import Configuration, config_hash, k_cap

__all__ = ["Candidate", "Screening", "candidate_configs", "candidate_ks", "kmeans_at", "portfolio"]


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
