"""One of several processes ingesting overlapping runs into one database (concurrency test).

Usage: python tests/_ingest_worker.py URL WORKER_INDEX
"""

from __future__ import annotations

import sys

import numpy as np

from metarec import Dataset
from metarec.db import MetaDatabase
from metarec.space import config_hash, design

N_RUNS = 400  # per worker; worker i covers seeds [i * 200, i * 200 + 400)


def main() -> None:
    url, index = sys.argv[1], int(sys.argv[2])
    db = MetaDatabase(url)
    x = np.arange(40.0).reshape(20, 2) ** 1.5
    dataset_id = db.add_dataset(Dataset.from_frame(x, name="shared"))
    configs = design(2, random_state=0)[:5]
    ids = db.add_configurations(configs)
    rows = []
    for seed in range(index * 200, index * 200 + N_RUNS):
        cfg = configs[seed % len(configs)]
        rows.append(
            {
                "dataset_id": dataset_id,
                "config_id": ids[config_hash(cfg)],
                "seed": seed,
                "status": "ok",
                "ari": 0.5,
                "n_clusters": 2,
            }
        )
    for start in range(0, len(rows), 50):  # many small transactions, interleaving
        db.add_runs(rows[start : start + 50])
    db.close()


if __name__ == "__main__":
    main()
