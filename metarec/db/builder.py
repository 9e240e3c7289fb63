"""Build a meta-database: run a design of configurations over a corpus, in parallel.

Work is spread over a Dask cluster (a :class:`distributed.LocalCluster` by
default, or an existing scheduler by address). The client is the only writer:
each finished batch of runs is stored in one transaction, so the build can be
killed at any point and resumed; what is stored is skipped.
"""

from __future__ import annotations

import functools
import platform
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from metarec.dataset import Dataset
from metarec.db.store import MetaDatabase
from metarec.runner import PreparedData, RunResult, run_config
from metarec.space import canonicalize, config_hash, design

__all__ = ["BuildSettings", "BuildSummary", "build"]


@dataclass(frozen=True)
class BuildSettings:
    """What a build runs; recorded as the build study's provenance."""

    configs_per_algorithm: int = 9
    seeds: tuple[int, ...] = (0,)
    subsample: int = 1000
    time_limit: float = 60.0
    memory_limit_mb: int = 4096
    batch_size: int = 12
    random_state: int = 0
    data_root: str | None = None


@dataclass
class BuildSummary:
    """Counts of a build: what was found done, what ran, how it went."""

    datasets: int = 0
    configurations: int = 0
    runs_planned: int = 0
    runs_skipped: int = 0
    runs_new: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    failed_datasets: list[str] = field(default_factory=list)
    batch_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """Human-readable summary."""
        rate = self.runs_new / self.seconds if self.seconds > 0 else 0.0
        out = [
            f"datasets {self.datasets}, configurations {self.configurations}",
            f"runs planned {self.runs_planned}, already stored {self.runs_skipped}, "
            f"new {self.runs_new} in {self.seconds:.0f} s ({rate:.2f} runs/s)",
            "new runs by status: " + ", ".join(f"{k} {v}" for k, v in self.by_status.items()),
        ]
        out += [f"could not load: {name}" for name in self.failed_datasets]
        out += [f"batch lost (rerun to resume): {err}" for err in self.batch_errors]
        return out


@functools.lru_cache(maxsize=4)
def _prepared(name: str, subsample: int, random_state: int, data_root: str | None) -> PreparedData:
    from metarec.io import load_dataset

    ds = load_dataset(name, data_root=data_root).subsample(subsample, random_state)
    return PreparedData(ds, random_state)


def _describe(name: str, settings: BuildSettings) -> tuple[str, Dataset | None, Any, str | None]:
    """Load (subsampled) and extract meta-features of one dataset, on a worker."""
    from metarec.exceptions import MetarecError
    from metarec.metafeatures import extract_metafeatures

    try:
        prepared = _prepared(name, settings.subsample, settings.random_state, settings.data_root)
    except MetarecError as exc:
        return name, None, None, str(exc)
    ds = prepared.dataset
    return name, ds, extract_metafeatures(ds, random_state=settings.random_state), None


def _run_batch(
    name: str, jobs: Sequence[tuple[int, int, Mapping[str, Any]]], settings: BuildSettings
) -> list[tuple[int, int, RunResult]]:
    """Run ``(config_id, seed, config)`` jobs on one dataset, on a worker."""
    prepared = _prepared(name, settings.subsample, settings.random_state, settings.data_root)
    out = []
    for config_id, seed, config in jobs:
        result = run_config(
            prepared,
            config,
            seed=seed,
            time_limit=settings.time_limit,
            memory_limit_mb=settings.memory_limit_mb,
        )
        out.append((config_id, seed, result))
    return out


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _client(workers: int, scheduler: str | None) -> Any:
    import logging

    import dask
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.WARNING)
    if scheduler:
        return Client(scheduler)
    # Runs fork child processes of their own, which daemonic workers may not.
    dask.config.set({"distributed.worker.daemon": False})
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=40,
    )
    return Client(cluster)


def build(
    db: MetaDatabase,
    names: Sequence[str],
    settings: BuildSettings | None = None,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    study: str = "build",
    progress: bool = True,
    command: str | None = None,
    extra: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> BuildSummary:
    """Evaluate the design over the named datasets, storing every run in ``db``.

    Parameters
    ----------
    db : MetaDatabase
        Where datasets, meta-features, configurations and runs go.
    names : sequence of str
        Dataset names (see :func:`metarec.load_dataset`).
    settings : BuildSettings
        Design size, seeds, subsample size, limits.
    workers, scheduler
        A local Dask cluster of ``workers`` processes, or an existing scheduler.
    study : str
        Name of the study the runs are recorded under.
    extra : mapping, optional
        Configurations to run besides the design, per dataset name.
    """
    from tqdm.auto import tqdm

    settings = settings or BuildSettings()
    start = time.perf_counter()
    summary = BuildSummary()
    configs = design(settings.configs_per_algorithm, settings.random_state)
    extra = {n: [canonicalize(c) for c in cs] for n, cs in (extra or {}).items()}
    ids = db.add_configurations([*configs, *(c for cs in extra.values() for c in cs)])
    summary.configurations = len(ids)
    provenance = {
        "settings": settings.__dict__,
        "command": command,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": _versions(),
    }
    study_id = db.add_study(study, "build", provenance)
    client = _client(workers, scheduler)
    try:
        from distributed import as_completed

        futures = [client.submit(_describe, n, settings, pure=False) for n in names]
        jobs: list[tuple[str, int, list[tuple[int, int, Mapping[str, Any]]]]] = []
        seen: set[str] = set()
        bar = tqdm(total=len(names), desc="datasets", disable=not progress, unit="ds")
        for fut in as_completed(futures):
            name, ds, vector, error = fut.result()
            bar.update(1)
            if ds is None:
                summary.failed_datasets.append(f"{name}: {error}")
                continue
            dataset_id = db.add_dataset(ds, vector)
            if ds.content_hash in seen:
                continue  # an exact duplicate of a dataset already planned
            seen.add(ds.content_hash)
            done = db.done(dataset_id)
            todo: list[tuple[int, int, Mapping[str, Any]]] = []
            for cfg in [*configs, *extra.get(name, [])]:
                cid = ids[config_hash(cfg)]
                for seed in settings.seeds:
                    summary.runs_planned += 1
                    if (cid, seed) in done:
                        summary.runs_skipped += 1
                    else:
                        todo.append((cid, seed, cfg))
            jobs.append((name, dataset_id, todo))
        bar.close()
        summary.datasets = len(seen)
        dataset_of: dict[Any, int] = {}
        batch_futures = []
        for name, dataset_id, todo in jobs:
            for chunk in _chunks(todo, settings.batch_size):
                fut = client.submit(_run_batch, name, chunk, settings, pure=False)
                dataset_of[fut.key] = dataset_id
                batch_futures.append(fut)
        bar = tqdm(
            total=sum(len(t) for _, _, t in jobs), desc="runs", disable=not progress, unit="run"
        )
        for fut in as_completed(batch_futures):
            try:
                results = fut.result()
            except Exception as exc:  # a worker lost: its runs stay to do, for a resume
                summary.batch_errors.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            rows = []
            for config_id, seed, res in results:
                row = {**res.record(), "dataset_id": dataset_of[fut.key], "config_id": config_id}
                rows.append({**row, "seed": seed, "study_id": study_id})
                summary.by_status[res.status] = summary.by_status.get(res.status, 0) + 1
            summary.runs_new += db.add_runs(rows)
            bar.update(len(rows))
        bar.close()
    finally:
        client.close()
    summary.seconds = time.perf_counter() - start
    return summary


def _versions() -> dict[str, str]:
    import numpy
    import scipy
    import sklearn

    import metarec

    return {
        "metarec": metarec.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
    }
