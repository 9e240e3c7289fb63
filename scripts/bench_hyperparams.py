"""Training time of the shipped neural hyperparameter meta-learner (CPU), and its size.

Usage::

    python scripts/bench_hyperparams.py [--out benchmarks/hyperparams_train.json]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/hyperparams_train.json")
    args = parser.parse_args()
    import torch
    from _results import write_results

    from metarec.knowledge import KnowledgeBase
    from metarec.models.hyperparams import HyperparameterModel

    kb = KnowledgeBase.shipped()
    start = time.perf_counter()
    model = HyperparameterModel().fit(kb)
    seconds = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        model.save(tmp)
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
    write_results(
        {
            "fit_seconds": round(seconds, 1),
            "members": model.n_members,
            "datasets": len(model.trained_on_),
            "saved_bytes": size,
            "torch_threads": torch.get_num_threads(),
            "cpus": os.cpu_count(),
            "note": "measured while other benchmark jobs shared the 2 cores",
        },
        args.out,
    )
    print(f"fit {seconds:.1f} s on {len(model.trained_on_)} datasets; saved {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
