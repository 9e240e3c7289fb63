"""Run README.md's Quickstart top to bottom and check that its output is current.

In the Quickstart section, every ```console block is a session: each ``$ COMMAND``
line runs in bash (in one fresh temporary folder, in order), must exit 0, and
its standard output must be the lines shown after it, up to the next ``$``. A
line ``...`` stands for any lines, and ``...`` inside a line for any text (as
a doctest ellipsis); trailing spaces are ignored. Every ```pycon block runs as
a doctest in the same folder. Progress (stderr) is never compared.

Usage::

    python scripts/check_quickstart.py            # check: exit 1 with a diff if stale
    python scripts/check_quickstart.py --write    # rewrite the shown output (keeps
                                                  # a block's "..." lines where they match)
"""

from __future__ import annotations

import argparse
import difflib
import doctest
import functools
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w*)\s*$")


def quickstart(lines: list[str]) -> tuple[int, int]:
    """Line range [start, end) of the Quickstart section."""
    start = next(i for i, line in enumerate(lines) if line.strip() == "## Quickstart")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return start, end


def blocks(lines: list[str], start: int, end: int) -> list[tuple[str, int, int]]:
    """(language, first line, end line) of each fenced block in the range."""
    out, i = [], start
    while i < end:
        m = FENCE.match(lines[i])
        if m and m.group(1):
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            out.append((m.group(1), i + 1, j))
            i = j
        i += 1
    return out


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` fits ``expected``, where a line ``...`` matches any lines."""
    e = [line.rstrip() for line in expected]
    a = [line.rstrip() for line in actual]

    @functools.cache
    def fits(i: int, j: int) -> bool:
        if i == len(e):
            return j == len(a)
        if e[i] == "...":
            return any(fits(i + 1, k) for k in range(j, len(a) + 1))
        return j < len(a) and _line_fits(e[i], a[j]) and fits(i + 1, j + 1)

    return fits(0, 0)


def _line_fits(expected: str, actual: str) -> bool:
    """One line: equal, or equal where ``...`` inside the shown line stands for any text."""
    if "..." not in expected:
        return expected == actual
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual) is not None


def run_console(lines: list[str], first: int, end: int, cwd: Path) -> tuple[list[str], list[str]]:
    """Run one console block in ``cwd``: its lines with the actual output where the
    shown one does not fit (for --write), and the problems found."""
    new: list[str] = []
    problems: list[str] = []
    commands = [i for i in range(first, end) if lines[i].startswith("$ ")]
    for n, i in enumerate(commands):
        j = commands[n + 1] if n + 1 < len(commands) else end
        expected, command = lines[i + 1 : j], lines[i][2:]
        t = time.perf_counter()
        proc = subprocess.run(
            ["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=600
        )
        print(f"  {time.perf_counter() - t:5.1f} s  $ {command}", file=sys.stderr)
        actual = proc.stdout.rstrip("\n").splitlines() if proc.stdout.strip() else []
        if proc.returncode != 0:
            problems.append(f"$ {command}\nexit {proc.returncode}\n{proc.stderr[-2000:]}")
        elif not matches(expected, actual):
            diff = difflib.unified_diff(expected, actual, "README", "actual", lineterm="")
            problems.append(f"$ {command}\n" + "\n".join(diff))
        new += [lines[i], *(expected if matches(expected, actual) else actual)]
    return new, problems


def run_pycon(lines: list[str], first: int, end: int, cwd: Path, globs: dict[str, object]) -> None:
    """Run one pycon block as a doctest in ``cwd``; raise AssertionError on a failure."""
    text = "\n".join(lines[first:end]) + "\n"
    test = doctest.DocTestParser().get_doctest(text, globs, "README Quickstart", None, first)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    runner = doctest.DocTestRunner(optionflags=flags)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        runner.run(test)
    finally:
        os.chdir(old)
    if runner.failures:
        raise AssertionError(f"{runner.failures} failing example(s) in the pycon block")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the shown output")
    parser.add_argument("--readme", default=str(README))
    args = parser.parse_args(argv)
    path = Path(args.readme)
    lines = path.read_text().splitlines()
    start, end = quickstart(lines)
    out = list(lines)
    failed: list[str] = []
    globs: dict[str, object] = {}
    offset = 0  # how far the rewritten output has moved the later blocks
    with tempfile.TemporaryDirectory(prefix="metarec-quickstart-") as tmp:
        for lang, first, stop in blocks(lines, start, end):
            if lang == "console":
                new, problems = run_console(lines, first, stop, Path(tmp))
                failed += problems
                out[first + offset : stop + offset] = new
                offset += len(new) - (stop - first)
            elif lang == "pycon":
                try:
                    run_pycon(lines, first, stop, Path(tmp), globs)
                except AssertionError as exc:
                    failed.append(str(exc))
    if args.write:
        path.write_text("\n".join(out) + "\n")
        print(f"wrote {path}", file=sys.stderr)
    for problem in failed:
        print(problem, file=sys.stderr)
    print("quickstart: " + ("ok" if not failed else f"{len(failed)} command(s) out of date"))
    return 1 if failed and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
