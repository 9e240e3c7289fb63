"""Shared by the benchmark and build scripts: write results, run per-dataset jobs."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any


def write_results(results: Any, out: str) -> None:
    """Write ``results`` to ``out`` as indented JSON (creating folders) and say where."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
    print(f"wrote {path}")


def write_report(path: Path, lines: list[str]) -> None:
    """Write a markdown report's lines to ``path`` and print them."""
    text = "\n".join(lines)
    path.write_text(text + "\n")
    print(text)


def save_csv(frame: Any, path: Path) -> None:
    """Write a frame as CSV all at once (a killed job leaves no half-written file)."""
    tmp = path.with_name(path.name + ".tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(path)


def process_pool(workers: int, start: str = "spawn") -> ProcessPoolExecutor:
    """The scripts' process pool: ``workers`` processes started with ``start``
    (``spawn`` for jobs that import torch or LightGBM, ``forkserver`` for runs),
    one BLAS/OpenMP thread each, as in the meta-database's build."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    return ProcessPoolExecutor(workers, mp_context=mp.get_context(start))


def run_per_dataset(task: Callable[[Any], tuple[str, str]], jobs: list[Any], workers: int) -> None:
    """Run ``task`` on each job in ``workers`` processes, printing its (dataset, message)
    as each finishes. One thread per process, as in the meta-database's build."""
    print(f"{len(jobs)} datasets to do", flush=True)
    start = time.time()
    with process_pool(workers, "forkserver") as pool:
        futures = [pool.submit(task, job) for job in jobs]
        for i, f in enumerate(as_completed(futures), start=1):
            h, message = f.result()
            print(f"[{i}/{len(jobs)} {time.time() - start:.0f}s] {h} {message}", flush=True)
