"""Benchmark meta-feature extraction: time (median of repeats), peak memory, pymfe ratio.

Usage::

    python scripts/bench_metafeatures.py [--repeats 5] [--pymfe] [--out results/metafeatures.json]

Cases (all groups, default settings):

* ``digits``   scikit-learn's digits, 1797 x 64;
* ``numeric100k`` a seeded 100,000 x 50 Gaussian mixture;
* ``mnist70k`` a seeded 70,000 x 784 MNIST-shaped table (pixel values 0..255, mostly
  zero, constant border columns): the real mnist data file is not in the shared
  corpus (clustbench/mnist holds labels only), so this stands in at the same size.

Each case runs in its own subprocess so that its peak resident memory (ru_maxrss)
is measured alone; the figure reported is the peak during extraction minus the
resident size after the data was built. With ``--pymfe`` the same data also goes
through ``pymfe.mfe.MFE().fit(X).extract()`` (install with ``pip install pymfe``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
from _results import write_results

CASES = ("digits", "numeric100k", "mnist70k")
TARGETS = {"digits": 0.5, "numeric100k": 5.0, "mnist70k": 20.0}


def make_data(case: str) -> np.ndarray:
    """The benchmark matrix of a case (seeded)."""
    rng = np.random.default_rng(0)
    if case == "digits":
        from sklearn.datasets import load_digits

        return load_digits().data.astype(float)
    if case == "numeric100k":
        centers = rng.normal(scale=4.0, size=(8, 50))
        labels = rng.integers(0, 8, size=100_000)
        return centers[labels] + rng.normal(size=(100_000, 50))
    if case == "mnist70k":
        side = 28
        yy, xx = np.mgrid[0:side, 0:side]
        border = (yy < 3) | (yy > 24) | (xx < 3) | (xx > 24)
        protos = (rng.random((10, side * side)) < 0.25) * rng.uniform(100, 255, (10, side * side))
        protos[:, border.ravel()] = 0
        labels = rng.integers(0, 10, size=70_000)
        x = protos[labels] * (rng.random((70_000, side * side)) < 0.85)
        x += (rng.random(x.shape) < 0.03) * rng.uniform(0, 255, x.shape)
        x[:, border.ravel()] = 0
        return np.clip(np.round(x), 0, 255)
    raise SystemExit(f"unknown case {case}")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_case(case: str, repeats: int, engine: str) -> dict[str, object]:
    """Run one case in this process and return its measurements."""
    x = make_data(case)
    base = _rss_mib()
    times = []
    n_features = 0
    for _ in range(repeats):
        start = time.perf_counter()
        if engine == "metarec":
            from metarec import extract_metafeatures

            mf = extract_metafeatures(x)
            n_features = len(mf)
        else:
            from pymfe.mfe import MFE

            names, _ = MFE(random_state=0).fit(x).extract()
            n_features = len(names)
        times.append(time.perf_counter() - start)
    return {
        "case": case,
        "engine": engine,
        "shape": list(x.shape),
        "repeats": repeats,
        "times_s": times,
        "median_s": statistics.median(times),
        "peak_extra_mib": _rss_mib() - base,
        "features": n_features,
    }


def _spawn(case: str, repeats: int, engine: str, timeout: float) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", case, "--engine", engine, "--repeats", str(repeats)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"case": case, "engine": engine, "error": f"did not finish in {timeout:.0f} s"}
    except subprocess.CalledProcessError as exc:
        return {"case": case, "engine": engine, "error": exc.stderr.strip().splitlines()[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description="meta-feature extraction benchmark")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--pymfe", action="store_true", help="also time pymfe's default extract")
    parser.add_argument("--pymfe-repeats", type=int, default=3)
    parser.add_argument("--pymfe-timeout", type=float, default=1800)
    parser.add_argument("--out", default="results/metafeatures.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="metarec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_case(args.child, args.repeats, args.engine)))
        return 0
    print(f"cpus: {os.cpu_count()}, repeats: {args.repeats}")
    results = []
    for case in args.cases.split(","):
        res = _spawn(case, args.repeats, "metarec", timeout=3600)
        results.append(res)
        if "error" in res:
            print(f"{case:<12} metarec ERROR {res['error']}")
            continue
        ok = "ok" if float(res["median_s"]) <= TARGETS[case] else "MISSED"  # type: ignore[arg-type]
        print(
            f"{case:<12} metarec {res['shape']} median {res['median_s']:.3f} s "
            f"(target <= {TARGETS[case]} s: {ok}), peak +{res['peak_extra_mib']:.0f} MiB, "
            f"{res['features']} features"
        )
        if args.pymfe:
            ref = _spawn(case, args.pymfe_repeats, "pymfe", timeout=args.pymfe_timeout)
            results.append(ref)
            if "error" in ref:
                print(f"{case:<12} pymfe   {ref['error']}")
            else:
                ratio = float(ref["median_s"]) / float(res["median_s"])  # type: ignore[arg-type]
                print(
                    f"{case:<12} pymfe   median {ref['median_s']:.3f} s, peak "
                    f"+{ref['peak_extra_mib']:.0f} MiB, {ref['features']} features -> "
                    f"metarec {ratio:.1f}x faster"
                )
    write_results(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
