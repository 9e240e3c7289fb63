"""What a search maximizes without labels: the internal indices, the index chosen per dataset,
the learned surrogate, and a user's own objective run in a guarded child process."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from metarec.runner import RunResult

if TYPE_CHECKING:
    from metarec.models.protocol import MetaLearner

__all__ = [
    "OBJECTIVES",
    "OBJECTIVE_MEMORY_MB",
    "WORST",
    "choose_objective",
    "objective_value",
    "user_objective_value",
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


def _neighbour_runs(
    metafeatures: Any, recommender: MetaLearner
) -> Iterator[tuple[str, pd.DataFrame, float]]:
    """(content hash, successful runs, similarity weight) of each of the recommender's
    nearest known datasets."""
    kb = recommender.kb_
    rec = recommender.recommend(metafeatures, top=1)
    by_source = dict(zip(kb.datasets["source"], kb.datasets.index, strict=False))
    runs = kb.runs[kb.runs["status"] == "ok"]
    weights = rec.neighbours["weight"].to_numpy(dtype=float)
    for source, weight in zip(rec.neighbours["source"], weights, strict=True):
        h = by_source.get(source)
        yield str(h), runs[runs["content_hash"] == h], float(weight)


def choose_objective(
    metafeatures: Any,
    recommender: MetaLearner,
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


def _surrogate_of(recommender: MetaLearner) -> Any:
    """The recommender's surrogate objective, trained on its knowledge if it has none
    (the recommender, perhaps shared, is left as it is)."""
    if recommender.surrogate is not None:
        return recommender.surrogate
    from metarec.models.surrogate import SurrogateObjective

    return SurrogateObjective().fit(recommender.kb_)
