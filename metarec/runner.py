"""Fit one configuration on one dataset, safely, and score it.

:func:`run_config` runs the fit in a child process (started by a forkserver) with a time limit and
an address-space limit (the memory guard): an algorithm that raises, hangs,
exhausts memory or crashes the interpreter becomes a :class:`RunResult` with
status ``failed`` or ``timeout``, and the caller carries on. Nothing is written
anywhere; storing results is the database's job.
"""

from __future__ import annotations

import os
import resource
import time
import traceback
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from metarec._compat import renamed
from metarec.dataset import Dataset
from metarec.exceptions import count, seconds, validate_arguments
from metarec.pipeline import ConfigPreprocessing
from metarec.scoring import EXTERNAL, INTERNAL, external_scores, internal_scores, size_measures
from metarec.space import ALGORITHMS, DataScales, build_estimator, canonicalize
from metarec.workers import context as _context
from metarec.workers import start as _start
from metarec.workers import start_workers

__all__ = ["PreparedData", "RunResult", "run_config", "score_partition", "start_workers"]


@dataclass
class RunResult:
    """Outcome of one run. Scores are NaN when unavailable (no labels, failure)."""

    status: str
    seed: int
    fit_time: float = float("nan")
    error: str | None = None
    ari: float = float("nan")
    ami: float = float("nan")
    nmi: float = float("nan")
    silhouette: float = float("nan")
    calinski_harabasz: float = float("nan")
    davies_bouldin: float = float("nan")
    dbcv: float = float("nan")
    n_clusters: int | None = None
    noise_fraction: float | None = None
    size_entropy: float = float("nan")
    largest_fraction: float = float("nan")
    smallest_fraction: float = float("nan")
    labels: np.ndarray | None = field(default=None, repr=False)

    def record(self) -> dict[str, Any]:
        """Plain-data record of the result (labels left out)."""
        out = asdict(self)
        out.pop("labels")
        return out


class PreparedData:
    """A dataset with its preprocessed matrices and distance scales, cached.

    The evaluation matrix (standard scaling, no PCA) is the fixed space in which
    internal indices are computed, so that they compare across configurations.
    """

    def __init__(self, dataset: Dataset, random_state: int = 0) -> None:
        self.dataset = dataset
        self.random_state = random_state
        self._matrices: dict[tuple[str, str], np.ndarray] = {}
        self._scales: dict[tuple[str, str], DataScales] = {}

    def matrix(self, scaler: str, pca: str) -> np.ndarray:
        """The dataset encoded, scaled and optionally PCA-reduced (kept variance)."""
        key = (scaler, pca)
        if key not in self._matrices:
            self._matrices[key] = ConfigPreprocessing(scaler, pca).fit_transform(self.dataset)
        return self._matrices[key]

    def scales(self, scaler: str, pca: str) -> DataScales:
        """Distance scales of :meth:`matrix` (for data-relative parameters)."""
        key = (scaler, pca)
        if key not in self._scales:
            self._scales[key] = DataScales(self.matrix(scaler, pca), self.random_state)
        return self._scales[key]

    @property
    def eval_matrix(self) -> np.ndarray:
        """Standard-scaled matrix used for internal indices."""
        return self.matrix("standard", "none")


@dataclass
class _Job:
    """What a run's child process needs, and nothing more (it is pickled to the child)."""

    X: np.ndarray
    eval_X: np.ndarray
    labelings: tuple[np.ndarray, ...]
    noise_label: Any
    estimator: Any
    density: bool
    seed: int
    keep_labels: bool


def _fit_and_score(job: _Job) -> RunResult:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = np.asarray(job.estimator.fit_predict(job.X))
    fit_time = time.perf_counter() - start
    return _scored(job, labels, fit_time)


def _scored(job: _Job, labels: np.ndarray, fit_time: float) -> RunResult:
    """The run's result for a partition found in ``fit_time`` seconds."""
    result = RunResult(status="ok", seed=job.seed, fit_time=fit_time)
    found = labels[labels != -1]
    result.n_clusters = len(np.unique(found))
    result.noise_fraction = float(np.mean(labels == -1))
    for k, v in size_measures(labels).items():
        setattr(result, k, v)
    if job.labelings:
        scores = external_scores(labels, job.labelings, job.noise_label)
        for k in EXTERNAL:
            setattr(result, k, scores[k])
    internal = internal_scores(job.eval_X, labels, density=job.density, random_state=job.seed)
    for k in INTERNAL:
        setattr(result, k, internal[k])
    if job.keep_labels:
        result.labels = labels
    return result


def _failure(seed: int, exc: BaseException) -> RunResult:
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return RunResult(status="failed", seed=seed, error=last[:500])


def _child(conn: Any, job: _Job, memory_limit_mb: int | None) -> None:
    try:
        if memory_limit_mb:
            with open("/proc/self/statm") as fh:
                current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            limit = current + memory_limit_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            result = _fit_and_score(job)
    except MemoryError:
        result = RunResult(
            status="failed",
            seed=job.seed,
            error=f"MemoryError: over the {memory_limit_mb} MiB guard",
        )
    except Exception as exc:  # any error of the algorithm is the run's outcome
        result = _failure(job.seed, exc)
    conn.send(result)
    conn.close()


def score_partition(
    prepared: PreparedData,
    labels: np.ndarray,
    *,
    random_state: int = 0,
    fit_time: float = float("nan"),
    keep_labels: bool = False,
) -> RunResult:
    """The result of a run whose partition ``labels`` was found elsewhere (in process):
    scored as :func:`run_config` scores a run, without fitting anything.

    Parameters
    ----------
    prepared : PreparedData
        The data the partition is of.
    labels : ndarray
        One cluster label per row (``-1``: noise).
    random_state : int, default=0
        Seed of the internal indices' samples (recorded as the run's ``seed``).
    fit_time : float, optional
        Seconds the partition took to find.
    keep_labels : bool, default=False
        Return ``labels`` in :attr:`RunResult.labels`.

    Returns
    -------
    RunResult
    """
    ds = prepared.dataset
    job = _Job(
        X=prepared.eval_matrix,
        eval_X=prepared.eval_matrix,
        labelings=ds.labelings,
        noise_label=ds.metadata.get("noise_label"),
        estimator=None,
        density=False,
        seed=int(random_state),
        keep_labels=keep_labels,
    )
    return _scored(job, np.asarray(labels), float(fit_time))


@validate_arguments(time_limit=seconds(), memory_limit_mb=count(1, optional=True))
def _run_isolated(job: _Job, time_limit: float | None, memory_limit_mb: int | None) -> RunResult:
    """Run ``job`` in a forked child within ``time_limit`` seconds and
    ``memory_limit_mb`` of extra memory; a child that dies or overruns is the result."""
    seed = job.seed
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, job, memory_limit_mb))
    start = time.perf_counter()
    try:
        _start(proc)
    except OSError as exc:  # e.g. the child died while receiving its job
        parent.close()
        child.close()
        return RunResult(
            status="failed", seed=seed, error=f"could not start the run's process: {exc}"
        )
    child.close()
    result: RunResult | None = None
    timeout = None if time_limit is None else max(time_limit, 0.0)
    timed_out = False
    try:
        if parent.poll(timeout):
            result = parent.recv()
        else:
            timed_out = True
    except EOFError:  # the child died without answering
        result = None
    finally:
        parent.close()
    if timed_out:
        proc.kill()
        proc.join()
        return RunResult(
            status="timeout",
            seed=seed,
            fit_time=time.perf_counter() - start,
            error=f"over the {time_limit:g} s limit",
        )
    proc.join(timeout=10)
    if proc.is_alive():
        proc.kill()
        proc.join()
    if result is None:
        return RunResult(
            status="failed",
            seed=seed,
            error=f"the run's process died (exit code {proc.exitcode})",
        )
    return result


def run_config(
    data: Dataset | PreparedData | Any,
    config: Mapping[str, Any],
    *,
    random_state: int = 0,
    time_limit: float | None = 60.0,
    memory_limit_mb: int | None = 4096,
    isolate: bool = True,
    keep_labels: bool = False,
    dbcv: bool | None = None,
    seed: int | None = None,
) -> RunResult:
    """Fit ``config`` on ``data`` and score it; never raises for the algorithm's sake.

    Parameters
    ----------
    data : Dataset, PreparedData, DataFrame, array, name or path
        The data (reference labelings, when present, give the external scores);
        anything but a PreparedData goes through :func:`metarec.io.as_dataset`.
    config : mapping
        A configuration of :mod:`metarec.space` (validated first: an invalid one
        raises :class:`~metarec.space.ConfigError`, as it is the caller's error).
    random_state : int, default=0
        Seed of the algorithm and of the internal-index samples (recorded as the
        run's ``seed``).
    time_limit : float, optional
        Seconds before the run is killed and recorded as ``timeout``.
    memory_limit_mb : int, optional
        Extra address space the run may allocate before failing with MemoryError.
    isolate : bool
        Run in a forked child process (needed for the time limit and the guard).
    keep_labels : bool
        Return the cluster labels in :attr:`RunResult.labels`.
    dbcv : bool, optional
        Compute DBCV (quadratic, the slowest index); default: for density-based
        algorithms only.
    seed : int, optional
        Deprecated name of ``random_state``.
    """
    from metarec.exceptions import check_count

    seed = check_count("random_state", renamed(random_state, seed, "seed", "random_state", 0), 0)
    canon = canonicalize(config)
    if isinstance(data, PreparedData):
        prepared = data
    else:
        from metarec.io import as_dataset

        prepared = PreparedData(as_dataset(data))
    density = ALGORITHMS[canon["algorithm"]].density_based if dbcv is None else dbcv
    pre = canon["preprocessing"]
    try:
        X = prepared.matrix(pre["scaler"], pre["pca"])
        estimator = build_estimator(canon, prepared.scales(pre["scaler"], pre["pca"]), seed)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return _failure(seed, exc)  # e.g. PCA or distance scales impossible on this data
    ds = prepared.dataset
    job = _Job(
        X=X,
        eval_X=prepared.eval_matrix,
        labelings=ds.labelings,
        noise_label=ds.metadata.get("noise_label"),
        estimator=estimator,
        density=density,
        seed=seed,
        keep_labels=keep_labels,
    )
    if not isolate or os.name != "posix":
        try:
            return _fit_and_score(job)
        except Exception as exc:  # the algorithm's failure is the result
            return _failure(seed, exc)
    return _run_isolated(job, time_limit, memory_limit_mb)
