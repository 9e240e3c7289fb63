"""How fast the command line answers: ``--help``, ``show`` and ``datasets`` (target 1 s).

Each command runs ``--repeat`` times in a fresh process (as a user types it);
the median and the worst wall-clock time are reported, with whether the heavy
dependencies (torch, LightGBM, Optuna, Dask, matplotlib) were imported at all.

Usage::

    python scripts/bench_cli.py [--repeat 5] [--out benchmarks/cli_startup.json]
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

HEAVY = ("torch", "lightgbm", "optuna", "dask", "matplotlib")
PROBE = (
    "import sys, runpy\nsys.argv = ['metarec', *sys.argv[1:]]\n"
    "try:\n    runpy.run_module('metarec', run_name='__main__')\nexcept SystemExit:\n    pass\n"
    f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
)


def commands(csv: Path) -> list[list[str]]:
    subcommands = ["datasets", "show", "metafeatures", "recommend", "train", "ingest"]
    subcommands += ["evaluate", "tune"]
    out = [["--help"]] + [[c, "--help"] for c in subcommands]
    out += [["db", a, "--help"] for a in ("stats", "build")]
    out += [["datasets", "--count"], ["show", str(csv)], ["show", "uci121:iris"]]
    out += [["show", "sklearn:iris"]]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", default="benchmarks/cli_startup.json")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "table.csv"
        lines = ["a,b,c,kind"] + [f"{i},{i * 0.5},{i % 7},{'xy'[i % 2]}" for i in range(1000)]
        csv.write_text("\n".join(lines) + "\n")
        for argv in commands(csv):
            times, heavy = [], ""
            for _ in range(args.repeat):
                start = time.perf_counter()
                proc = subprocess.run(
                    [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True
                )
                times.append(time.perf_counter() - start)
                heavy = proc.stderr.rsplit("HEAVY", 1)[-1].strip()
                if proc.returncode != 0:
                    raise SystemExit(f"metarec {' '.join(argv)} failed: {proc.stderr[-500:]}")
            shown = " ".join("FILE.csv" if a == str(csv) else a for a in argv)
            rows.append(
                {
                    "command": f"metarec {shown}",
                    "median_s": round(statistics.median(times), 3),
                    "max_s": round(max(times), 3),
                    "heavy_imports": heavy,
                }
            )
            print(f"{rows[-1]['median_s']:6.2f} s  {rows[-1]['command']}  {heavy}", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"repeat": args.repeat, "rows": rows}, indent=1) + "\n")
    print("\n| command | median | worst | heavy modules imported |\n|---|---|---|---|")
    for r in rows:
        cells = [f"`{r['command']}`", f"{r['median_s']:.2f} s", f"{r['max_s']:.2f} s"]
        print("| " + " | ".join([*cells, r["heavy_imports"]]) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
