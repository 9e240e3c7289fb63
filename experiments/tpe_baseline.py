"""Baseline (e) of the held-out evaluation: Optuna TPE, cold start, silhouette objective.

For every dataset of the meta-database, rebuilt from its source with the
build's subsampling (checked against its content hash), run 50 TPE trials
maximizing silhouette over the whole space and record the ARI of the trial
with the best silhouette (and the best ARI seen, for reference). Resumable:
finished datasets are kept in the output CSV and skipped.

Usage::

    python experiments/tpe_baseline.py [--db shipped] [--trials 50] [--workers 2] \
        [--out benchmarks/tpe_baseline.csv]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))  # shared helpers
from _results import process_pool

FIELDS = [
    "content_hash",
    "source",
    "trials",
    "best_silhouette",
    "ari_at_best_silhouette",
    "best_ari_seen",
    "failed_trials",
    "seconds",
]


def one(args: tuple[str, str, int, int, int]) -> dict[str, Any] | None:
    content_hash, source, trials, subsample, seed = args
    from metarec.evaluation import load_as_built
    from metarec.tuning import tune

    ds = load_as_built(source, content_hash, subsample)
    if ds is None:
        return None
    start = time.perf_counter()
    study = tune(ds, n_trials=trials, objective="silhouette", random_state=seed, warm=False)
    done = [t for t in study.trials if t.value is not None]
    best = max(done, key=lambda t: cast(float, t.value)) if done else None
    aris = [t.user_attrs.get("ari", float("nan")) for t in done]
    return {
        "content_hash": content_hash,
        "source": source,
        "trials": len(study.trials),
        "best_silhouette": best.value if best else float("nan"),
        "ari_at_best_silhouette": best.user_attrs.get("ari", 0.0) if best else 0.0,
        "best_ari_seen": max(aris) if aris else float("nan"),
        "failed_trials": len(study.trials) - len(done),
        "seconds": time.perf_counter() - start,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="shipped")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--subsample", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/tpe_baseline.csv")
    args = parser.parse_args()
    from metarec.knowledge import KnowledgeBase

    kb = KnowledgeBase.load(args.db)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done: set[str] = set()
    if out.is_file():
        with open(out) as fh:
            done = {row["content_hash"] for row in csv.DictReader(fh)}
    todo = [
        (h, str(kb.value(h, "source")), args.trials, args.subsample, args.seed)
        for h in kb.metafeatures.index
        if h not in done
    ]
    print(f"{len(done)} datasets done, {len(todo)} to go", flush=True)
    new = not out.is_file()
    with open(out, "a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        # Not a multiprocessing.Pool: its daemonic workers may not start run processes.
        with process_pool(args.workers) as pool:
            for i, row in enumerate(pool.map(one, todo), start=1):
                if row is not None:
                    writer.writerow(row)
                    fh.flush()
                if i % 10 == 0:
                    print(f"{i}/{len(todo)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
