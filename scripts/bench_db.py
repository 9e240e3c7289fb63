"""Benchmark the meta-database: bulk ingest, builder throughput, loading the shipped one.

Usage::

    python scripts/bench_db.py [--parts ingest,builder,load] [--out results/db.json]

* ingest: 100,000 synthetic runs into a fresh SQLite file in batches of 10,000
  (each batch one transaction), median of 3 repeats -> runs/s (target >= 20,000);
* builder: ``metarec db build`` of a fixed design (2 configurations per algorithm,
  24 runs per dataset) over 8 datasets with 1 and with 2 local Dask workers, into
  fresh databases -> runs/s (wall clock, Dask start-up included);
* load: reading the shipped meta-database's Parquet tables into pandas, and
  opening it as an in-memory SQLite database (``open_shipped``), median of 5
  (target <= 1 s).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _results import write_results

BUILD_SET = [
    "sklearn:iris",
    "sklearn:wine",
    "sklearn:breast_cancer",
    "clustbench:fcps/hepta",
    "clustbench:fcps/lsun",
    "clustbench:sipu/aggregation",
    "uci121:glass",
    "uci121:ecoli",
]


def bench_ingest(repeats: int = 3, n: int = 100_000, batch: int = 10_000) -> dict[str, object]:
    from metarec import Dataset
    from metarec.db import MetaDatabase
    from metarec.space import design

    rates = []
    for r in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            db = MetaDatabase(Path(tmp) / "ingest.sqlite")
            did = db.add_dataset(Dataset.from_frame(np.arange(20.0).reshape(10, 2) ** 2))
            configs = design(9, random_state=0)
            ids = list(db.add_configurations(configs).values())
            rng = np.random.default_rng(r)
            rows = [
                {
                    "dataset_id": did,
                    "config_id": ids[i % len(ids)],
                    "seed": i // len(ids),
                    "status": "ok",
                    "ari": float(rng.uniform()),
                    "ami": float(rng.uniform()),
                    "nmi": float(rng.uniform()),
                    "silhouette": float(rng.uniform()),
                    "calinski_harabasz": 10.0,
                    "davies_bouldin": 1.0,
                    "n_clusters": 3,
                    "noise_fraction": 0.0,
                    "fit_time": 0.01,
                }
                for i in range(n)
            ]
            start = time.perf_counter()
            stored = sum(db.add_runs(rows[i : i + batch]) for i in range(0, n, batch))
            elapsed = time.perf_counter() - start
            assert stored == n and db.count("runs") == n
            rates.append(n / elapsed)
            db.close()
    return {
        "part": "ingest",
        "runs": n,
        "batch": batch,
        "runs_per_s": rates,
        "median_runs_per_s": statistics.median(rates),
    }


def bench_builder(workers_list: tuple[int, ...] = (1, 2)) -> list[dict[str, object]]:
    from metarec.db import MetaDatabase
    from metarec.db.builder import BuildSettings, build

    out = []
    for workers in workers_list:
        with tempfile.TemporaryDirectory() as tmp:
            db = MetaDatabase(Path(tmp) / "build.sqlite")
            settings = BuildSettings(configs_per_algorithm=2, subsample=1000)
            start = time.perf_counter()
            summary = build(db, BUILD_SET, settings, workers=workers, progress=False)
            elapsed = time.perf_counter() - start
            out.append(
                {
                    "part": "builder",
                    "workers": workers,
                    "runs": summary.runs_new,
                    "seconds": elapsed,
                    "runs_per_s": summary.runs_new / elapsed,
                    "by_status": summary.by_status,
                }
            )
    return out


def bench_load(repeats: int = 5) -> dict[str, object]:
    import pandas as pd

    from metarec.db.shipped import open_shipped, shipped_path

    path = shipped_path()
    parquet, sqlite = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        frames = {
            t: pd.read_parquet(path / f"{t}.parquet")
            for t in ("datasets", "metafeatures", "configurations", "studies", "runs")
        }
        parquet.append(time.perf_counter() - start)
        start = time.perf_counter()
        db = open_shipped()
        sqlite.append(time.perf_counter() - start)
        runs = db.count("runs")
        db.close()
    return {
        "part": "load",
        "runs": runs,
        "parquet_rows": {k: len(v) for k, v in frames.items()},
        "parquet_median_s": statistics.median(parquet),
        "sqlite_median_s": statistics.median(sqlite),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="meta-database benchmarks")
    parser.add_argument("--parts", default="ingest,builder,load")
    parser.add_argument("--out", default="results/db.json")
    args = parser.parse_args()
    results: list[dict[str, object]] = []
    parts = args.parts.split(",")
    if "ingest" in parts:
        res = bench_ingest()
        results.append(res)
        print(
            f"ingest : {res['median_runs_per_s']:,.0f} runs/s into SQLite "
            f"(median of 3, 100,000 runs, target >= 20,000)"
        )
    if "builder" in parts:
        for res in bench_builder():
            results.append(res)
            print(
                f"builder: {res['workers']} worker(s): {res['runs']} runs in "
                f"{res['seconds']:.1f} s = {res['runs_per_s']:.2f} runs/s {res['by_status']}"
            )
    if "load" in parts:
        res = bench_load()
        results.append(res)
        print(
            f"load   : shipped meta-database ({res['runs']} runs): Parquet -> pandas "
            f"{res['parquet_median_s']:.3f} s, -> in-memory SQLite {res['sqlite_median_s']:.3f} s "
            f"(median of 5, target <= 1 s)"
        )
    write_results(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
