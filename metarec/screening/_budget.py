"""The budget: planned work from the recorded cost of each candidate, with a wall-clock
safety limit, and the runs in threads of the caller."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from metarec.models.costs import RunCosts
from metarec.models.protocol import MetaLearner
from metarec.runner import PreparedData, RunResult, run_config
from metarec.space import Configuration, config_hash

__all__ = ["plan", "run_costs", "safety_limit"]


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
