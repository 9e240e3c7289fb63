"""What a recommendation costs beside the heuristic it must beat, measured side by side.

On a seeded 10,000 x 50 CSV, in alternation (so that both see the same machine):

* ``metarec recommend FILE --quiet`` at the default budget, end to end (interpreter
  start, imports, reading, meta-features, models, screening, printing);
* the heuristic below (the 12 lines a data scientist would write: KMeans for
  k = 2..12 on a 1,000-row sample, k by silhouette, then all rows), end to end.

It prints the medians and their ratio (target: at most 1.5), and beside them the
models' load time in a fresh process (target: at most 1 s) and
``recommend_for(..., budget=0)`` given meta-features (target: at most 50 ms).
No timed test: the targets live here.

Usage::

    python scripts/bench_side_by_side.py [--repeats 5] [--out benchmarks/side_by_side]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import write_report

HEURISTIC = """\
import sys
import numpy as np, pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
X = StandardScaler().fit_transform(pd.read_csv(sys.argv[1]).select_dtypes("number").to_numpy())
S = X[np.random.default_rng(0).choice(len(X), min(1000, len(X)), replace=False)]
def sil(k):
    return silhouette_score(S, KMeans(k, n_init=1, random_state=0).fit_predict(S))
best = max(range(2, 13), key=sil)
labels = KMeans(best, n_init=1, random_state=0).fit_predict(X)
print(best, np.bincount(labels))
"""

LOAD = """\
import time
import metarec.api as api
start = time.perf_counter()
api.get_recommender()
print(time.perf_counter() - start)
"""

ZERO = """\
import statistics, time
from metarec.api import get_recommender, recommend_for
from metarec.io import as_dataset
from metarec.metafeatures import extract_metafeatures
ds = as_dataset(__import__("sys").argv[1])
mf = extract_metafeatures(ds)
rec = get_recommender()
recommend_for(rec, ds, mf, 5, budget=0)
times = []
for _ in range(50):
    start = time.perf_counter()
    recommend_for(rec, ds, mf, 5, budget=0)
    times.append(time.perf_counter() - start)
print(statistics.median(times))
"""


def _wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - start


def _printed(argv: list[str]) -> float:
    done = subprocess.run(argv, check=True, capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="benchmarks/side_by_side")
    args = parser.parse_args()
    import pandas as pd
    from sklearn.datasets import make_blobs

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "wide.csv"
        x, _ = make_blobs(10_000, n_features=50, centers=5, cluster_std=4.0, random_state=0)
        pd.DataFrame(x, columns=[f"c{i}" for i in range(50)]).to_csv(csv, index=False)
        script = Path(tmp) / "kmeans_silhouette.py"
        script.write_text(HEURISTIC)
        metarec, heuristic = [], []
        for _ in range(args.repeats):
            metarec.append(_wall(["metarec", "recommend", str(csv), "--quiet"]))
            heuristic.append(_wall([sys.executable, str(script), str(csv)]))
        load = [_printed([sys.executable, "-c", LOAD]) for _ in range(args.repeats)]
        zero = _printed([sys.executable, "-c", ZERO, str(csv)])
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "repeats": args.repeats,
        "metarec_recommend_s": metarec,
        "heuristic_s": heuristic,
        "median_metarec_s": statistics.median(metarec),
        "median_heuristic_s": statistics.median(heuristic),
        "ratio": statistics.median(metarec) / statistics.median(heuristic),
        "load_s": load,
        "median_load_s": statistics.median(load),
        "zero_shot_given_metafeatures_ms": 1000 * zero,
    }
    (out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    write_report(
        out / "report.md",
        [
            "# A recommendation beside the heuristic (10,000 x 50 CSV)",
            "",
            f"`python scripts/bench_side_by_side.py` ({result['date']}, this 2-core machine, "
            f"{args.repeats} alternating runs each, medians):",
            "",
            "| what | median | target |",
            "|---|---|---|",
            f"| `metarec recommend FILE` (default budget), end to end | "
            f"{result['median_metarec_s']:.2f} s | |",
            f"| KMeans k = 2..12 by silhouette on 1,000 rows, then all rows | "
            f"{result['median_heuristic_s']:.2f} s | |",
            f"| ratio | {result['ratio']:.2f} | at most 1.5 |",
            f"| loading the models (fresh process) | {result['median_load_s']:.2f} s "
            "| at most 1 s |",
            f"| `recommend_for(..., budget=0)` given meta-features | "
            f"{result['zero_shot_given_metafeatures_ms']:.1f} ms | at most 50 ms |",
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
