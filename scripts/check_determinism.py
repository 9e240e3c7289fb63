"""The same recommendation on an idle machine and on a busy one.

Writes 10 real tables (a seeded choice among the final test split's, each without
its first column so that metarec does not know it, and without its label column)
to CSV, runs ``metarec recommend FILE --no-target`` on each while the
machine is idle, then again beside two CPU-bound processes, and diffs the two
outputs of each table. The screening's budget buys planned work, not wall-clock
time (:func:`metarec.screening.screen`), so they must be identical; the wall
times show how much slower the busy runs were.

Usage::

    python scripts/check_determinism.py [--tables 10] [--out benchmarks/determinism]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import write_report

from metarec.config import DEFAULT_BUDGET


def _busy(seconds: float) -> None:
    end = time.time() + seconds
    x = 0
    while time.time() < end:
        x += 1


def tables(n: int, folder: Path) -> list[Path]:
    """``n`` real tables of the final split, first column and labels left out, as CSV."""
    from metarec import load_dataset

    final = json.loads(Path("benchmarks/final_split.json").read_text())["final"]
    rng = np.random.default_rng(7)
    out: list[Path] = []
    for i in rng.permutation(len(final)):
        ds = load_dataset(final[i])
        frame = ds.features
        if frame.shape[1] < 3 or frame.shape[0] < 50:
            continue
        path = folder / f"{final[i].replace(':', '_').replace('/', '_')}.csv"
        frame.iloc[:, 1:].to_csv(path, index=False)
        out.append(path)
        if len(out) == n:
            break
    return out


#: The progress line of the screening, with the seconds it took.
SCREENING = re.compile(r"screening candidate partitions \(budget [^)]*\): done in ([\d.]+) s")


def run(path: Path) -> tuple[str, float, float]:
    """The printout, the command's wall time and the screening's (from the progress)."""
    start = time.perf_counter()
    done = subprocess.run(
        ["metarec", "recommend", str(path), "--no-target"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "METAREC_PROGRESS_AFTER": "0"},  # every step timed
    )
    took = time.perf_counter() - start
    found = re.search(
        r"screening candidate partitions \(budget [^)]*\): done in ([\d.]+) s", done.stderr
    )
    return done.stdout, took, float(found.group(1)) if found else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", type=int, default=10)
    parser.add_argument("--out", default="benchmarks/determinism")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        paths = tables(args.tables, Path(tmp))
        idle = {p.name: run(p) for p in paths}
        hogs = [mp.Process(target=_busy, args=(3600,), daemon=True) for _ in range(2)]
        for h in hogs:
            h.start()
        try:
            busy = {p.name: run(p) for p in paths}
        finally:
            for h in hogs:
                h.terminate()
    rows = []
    for name in idle:
        same = idle[name][0] == busy[name][0]
        rows.append((name, same, idle[name][1], busy[name][1], idle[name][2], busy[name][2]))
        if not same:
            (out / f"{name}.idle.txt").write_text(idle[name][0])
            (out / f"{name}.busy.txt").write_text(busy[name][0])
    lines = [
        "# The same recommendation on an idle and on a busy machine",
        "",
        f"`python scripts/check_determinism.py` ({time.strftime('%Y-%m-%d')}): "
        "`metarec recommend FILE --no-target` on each table, idle, then beside two "
        "CPU-bound processes on this 2-core machine.",
        "",
        "| table | identical | idle: command s | busy: command s | idle: screening s "
        "| busy: screening s |",
        "|---|---|---|---|---|---|",
        *(
            f"| {n} | {'yes' if s else 'NO'} | {a:.1f} | {b:.1f} | {c:.1f} | {d:.1f} |"
            for n, s, a, b, c, d in rows
        ),
        "",
        f"identical: {sum(r[1] for r in rows)} of {len(rows)}; idle, the screening took at "
        f"most {max(r[4] for r in rows):.1f} s of its {DEFAULT_BUDGET:g} s budget "
        f"(target: at most the budget + 0.5 s).",
    ]
    write_report(out / "report.md", lines)
    return 0 if all(r[1] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
