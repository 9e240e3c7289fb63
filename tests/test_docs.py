"""The docs' command lines are commands metarec has: every ``metarec ...`` line of
a shell block in README.md and docs/*.md parses with the CLI's own parser."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from metarec.cli import _parser

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _commands(page: Path) -> list[tuple[int, str]]:
    """(line number, command) of each ``metarec`` line in a ``bash`` block."""
    out, inside = [], False
    for number, line in enumerate(page.read_text().splitlines(), start=1):
        if line.startswith("```"):
            inside = line.strip() == "```bash" and not inside
            continue
        command = line.split(" #")[0].strip().removesuffix("&").strip()
        # alternatives (a | b, a|b), optional parts ([--x]) and elisions are prose
        if inside and command.startswith("metarec ") and not re.search(r"\||\[|\.\.\.", command):
            out.append((number, command))
    return out


CASES = [(p.relative_to(ROOT).as_posix(), n, c) for p in PAGES for n, c in _commands(p)]


def test_the_docs_show_commands() -> None:
    assert len(CASES) >= 20
    assert {page for page, _, _ in CASES} >= {"docs/recommending.md", "docs/tuning.md"}


@pytest.mark.parametrize(("page", "line", "command"), CASES)
def test_each_command_line_in_the_docs_parses(page: str, line: int, command: str) -> None:
    argv = shlex.split(command)[1:]
    try:
        _parser().parse_args(argv)
    except SystemExit as exc:  # argparse refused it
        pytest.fail(f"{page}:{line}: `{command}` does not parse (exit {exc.code})")
