"""Add the cluster-size measures to the runs of the shipped meta-database.

The shipped build recorded each run's scores but not its labels. This script
reruns every successful run (the dataset as the build stored it, the same
configuration and seed), checks that it reproduces the recorded ARI, and
computes :data:`metarec.scoring.SIZES` from the labels. Resumable: one CSV per
dataset in ``--cache``; a rerun skips finished datasets. ``--write`` then adds
the columns to ``meta_db/runs.parquet``.

Usage::

    nohup python scripts/backfill_sizes.py > logs/backfill.log 2>&1 &
    python scripts/backfill_sizes.py --write
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from _results import run_per_dataset, save_csv

DEFAULT_CACHE = Path.home() / ".cache" / "metarec-build" / "run_sizes"


def one_dataset(args: tuple[str, str, list[tuple[str, int, str, float]], str]) -> tuple[str, str]:
    from threadpoolctl import threadpool_limits

    from metarec.evaluation import load_as_built
    from metarec.runner import PreparedData, run_config
    from metarec.scoring import SIZES, size_measures

    h, source, runs, cache = args
    ds = load_as_built(source, h, 1000, None)
    if ds is None:
        return h, "cannot rebuild the dataset as stored"
    prepared = PreparedData(ds)
    rows, mismatched = [], 0
    for config_hash, seed, config, ari in runs:
        # One thread, as in the build's run processes (same arithmetic, same labels); each
        # of these runs finished within the build's limits, so no child process is needed.
        with threadpool_limits(1):
            result = run_config(
                prepared,
                json.loads(config),
                random_state=seed,
                isolate=False,
                keep_labels=True,
                dbcv=False,
            )
        if result.status != "ok" or result.labels is None:
            rows.append({"config_hash": config_hash, "seed": seed, "reproduced": False})
            continue
        same = bool(abs(result.ari - ari) < 1e-6) if np.isfinite(ari) else True
        mismatched += not same
        rows.append(
            {
                "config_hash": config_hash,
                "seed": seed,
                "reproduced": same,
                **size_measures(result.labels),
            }
        )
    frame = pd.DataFrame(rows, columns=["config_hash", "seed", "reproduced", *SIZES])
    save_csv(frame, Path(cache) / f"{h}.csv")
    return h, f"{len(rows)} runs, {mismatched} not reproduced"


def compute(cache: Path, workers: int) -> None:
    from metarec.knowledge import KnowledgeBase

    kb = KnowledgeBase.shipped()
    cache.mkdir(parents=True, exist_ok=True)
    ok = kb.runs[kb.runs["status"] == "ok"]
    jobs = []
    for h, part in ok.groupby("content_hash", sort=True):
        if (cache / f"{h}.csv").exists():
            continue
        runs = [
            (str(c), int(s), json.dumps(kb.configs.at[c, "config"]), float(a))
            for c, s, a in zip(part["config_hash"], part["seed"], part["ari"], strict=True)
        ]
        jobs.append((str(h), str(kb.value(h, "source")), runs, str(cache)))
    run_per_dataset(one_dataset, jobs, workers)


def write(cache: Path) -> None:
    from metarec.scoring import SIZES

    sizes = pd.concat(
        [pd.read_csv(f).assign(content_hash=f.stem) for f in sorted(cache.glob("*.csv"))]
    )
    folder = Path("meta_db")
    runs = pd.read_parquet(folder / "runs.parquet").drop(columns=list(SIZES), errors="ignore")
    key = ["content_hash", "config_hash", "seed"]
    merged = runs.merge(sizes[[*key, *SIZES]], on=key, how="left", validate="one_to_one")
    ok = merged["status"] == "ok"
    missing = int((ok & merged["largest_fraction"].isna()).sum())
    merged.to_parquet(folder / "runs.parquet", index=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["schema_revision"] = "0003"  # the revision that added the columns
    manifest["backfilled"] = {
        "columns": list(SIZES),
        "command": "python scripts/backfill_sizes.py && python scripts/backfill_sizes.py --write",
        "runs_rerun": len(sizes),
        "ari_not_reproduced": int((~sizes["reproduced"].astype(bool)).sum()),
        "ok_runs_without_clusters": missing,  # all points noise: no sizes
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {len(merged)} runs; {missing} ok runs found no cluster (all noise)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--write", action="store_true", help="merge the cache into meta_db/runs.parquet")
    a = p.parse_args(argv)
    if a.write:
        write(a.cache)
    else:
        compute(a.cache, a.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
