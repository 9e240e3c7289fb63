"""Recommendation latency: given meta-features, at scale, and end to end from the CLI.

Usage::

    python scripts/bench_recommend.py [--out results/recommend_latency.json]

* shipped: ``Recommender.recommend(metafeatures)`` with the shipped meta-database and
  models, median of 200 calls over the shipped datasets' own meta-feature vectors
  (target <= 50 ms);
* synthetic: the same on a synthetic knowledge base of 1,000 datasets x 1,000
  configurations = 10^6 runs (random scores, meta-features resampled from the shipped
  ones), with the shipped LightGBM ranker (same features), median of 100 calls
  (target <= 200 ms);
* shipped, own k: the zero-shot recommendation as ``metarec.recommend(budget=0)``
  gives it (every configuration at the predicted k: :func:`metarec.screening.with_own_k`),
  given meta-features (target <= 50 ms);
* end to end: ``metarec recommend FILE`` on a seeded 10,000 x 50 CSV, wall time of the
  whole command (interpreter start, loading, meta-features, recommendation), median of
  5, with ``--budget 0`` (target <= 3 s) and with the default screening budget
  (target <= 8 s).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _results import write_results


def bench_shipped() -> dict[str, object]:
    from metarec.api import get_recommender
    from metarec.knowledge import KnowledgeBase

    start = time.perf_counter()
    rec = get_recommender()
    load = time.perf_counter() - start
    kb = KnowledgeBase.shipped()
    from metarec.api import ZERO_SHOT_DEPTH
    from metarec.screening import with_own_k

    vectors = [kb.metafeatures.iloc[i % len(kb.metafeatures)] for i in range(200)]
    times, own = [], []
    for mf in vectors:
        t = time.perf_counter()
        rec.recommend(mf, top=5)
        times.append(time.perf_counter() - t)
        t = time.perf_counter()
        with_own_k(rec, rec.recommend(mf, top=ZERO_SHOT_DEPTH), mf, 5)
        own.append(time.perf_counter() - t)
    return {
        "case": "shipped",
        "load_s": load,
        "median_ms": 1000 * statistics.median(times),
        "p95_ms": 1000 * float(np.percentile(times, 95)),
        "own_k_median_ms": 1000 * statistics.median(own),
        "own_k_p95_ms": 1000 * float(np.percentile(own, 95)),
        "runs": len(kb.runs),
    }


def bench_synthetic(n_datasets: int = 1000, per_algorithm: int = 84) -> dict[str, object]:
    from metarec.api import default_models_dir, get_recommender
    from metarec.knowledge import KnowledgeBase
    from metarec.models.recommender import Recommender
    from metarec.space import config_hash, design

    shipped = KnowledgeBase.shipped()
    rng = np.random.default_rng(0)
    configs = design(per_algorithm, random_state=1)[:1000]
    hashes = [f"{i:032x}" for i in range(n_datasets)]
    mf = shipped.metafeatures.iloc[rng.integers(0, len(shipped.metafeatures), n_datasets)]
    mf = mf * rng.normal(1.0, 0.05, size=mf.shape)
    mf.index = pd.Index(hashes, name="content_hash")
    datasets = pd.DataFrame(
        {
            "name": hashes,
            "source": hashes,
            "corpus": "synthetic",
            "n_rows": 1000,
            "n_cols": 10,
            "n_classes": 3,
            "fingerprint": [[0.0]] * n_datasets,
        },
        index=mf.index,
    )
    cfg = pd.DataFrame(
        {"algorithm": [c["algorithm"] for c in configs], "config": configs},
        index=pd.Index([config_hash(c) for c in configs], name="config_hash"),
    )
    n_runs = n_datasets * len(configs)
    runs = pd.DataFrame(
        {
            "content_hash": np.repeat(hashes, len(configs)),
            "config_hash": np.tile(cfg.index.to_numpy(), n_datasets),
            "seed": 0,
            "status": "ok",
            "ari": rng.uniform(-0.1, 1.0, n_runs),
            "n_clusters": rng.integers(2, 20, n_runs).astype(float),
        }
    )
    kb = KnowledgeBase(datasets, mf, cfg, runs)
    start = time.perf_counter()
    rec = Recommender(use_ranker=False).fit(kb)
    fit = time.perf_counter() - start
    rec.ranker_ = get_recommender().ranker_  # the shipped model: same feature layout
    assert (default_models_dir() / "ranker.txt").is_file()
    times = []
    for i in range(100):
        t = time.perf_counter()
        rec.recommend(mf.iloc[i], top=5)
        times.append(time.perf_counter() - t)
    return {
        "case": "synthetic",
        "runs": n_runs,
        "datasets": n_datasets,
        "configurations": len(configs),
        "fit_s": fit,
        "median_ms": 1000 * statistics.median(times),
        "p95_ms": 1000 * float(np.percentile(times, 95)),
    }


def bench_end_to_end(repeats: int = 5) -> dict[str, object]:
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=3, size=(5, 50))
    x = centers[rng.integers(0, 5, 10_000)] + rng.normal(size=(10_000, 50))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        pd.DataFrame(x, columns=[f"f{i}" for i in range(50)]).to_csv(path, index=False)
        times: dict[str, list[float]] = {"budget_0": [], "default_budget": []}
        for _ in range(repeats):
            for case, extra in (("budget_0", ["--budget", "0"]), ("default_budget", [])):
                t = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "metarec.cli", "recommend", str(path), *extra],
                    check=True,
                    capture_output=True,
                )
                times[case].append(time.perf_counter() - t)
    return {
        "case": "end_to_end",
        "rows": 10_000,
        "columns": 50,
        "times_s": times,
        "median_s": statistics.median(times["budget_0"]),
        "median_default_budget_s": statistics.median(times["default_budget"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="recommendation latency")
    parser.add_argument("--out", default="results/recommend_latency.json")
    args = parser.parse_args()
    results = [bench_shipped(), bench_synthetic(), bench_end_to_end()]
    s, y, e = results
    print(
        f"shipped   : {s['median_ms']:.1f} ms median (p95 {s['p95_ms']:.1f} ms), "
        f"{s['runs']} runs; loading the recommender {s['load_s']:.2f} s (target <= 50 ms); "
        f"with the predicted k in every configuration {s['own_k_median_ms']:.1f} ms"
    )
    print(
        f"synthetic : {y['median_ms']:.1f} ms median (p95 {y['p95_ms']:.1f} ms) on "
        f"{y['runs']:,} runs (target <= 200 ms); fitting its neighbour index {y['fit_s']:.1f} s"
    )
    print(
        f"end to end: `metarec recommend` on 10,000 x 50 CSV {e['median_s']:.2f} s median "
        f"with --budget 0 (target <= 3 s), {e['median_default_budget_s']:.2f} s with the "
        "default budget (target <= 8 s)"
    )
    write_results(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
