"""One printout, one story: what `metarec recommend` and `tune` print agrees with itself.

A test per contradiction issue 36 found: the printed number of clusters against the
rows, known data's recorded runs, the "+" lines against row #1, the meta-learner's
own k, columns explained, no nan, sentences that end where they end, counts across
commands (trial numbers: tests/test_cli.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_moons

from metarec.cli import main

ROW = re.compile(r"^\s*(\d+)[ *](\S+)\s")


def _moons(tmp_path: Path) -> Path:
    x, _ = make_moons(300, noise=0.06, random_state=0)
    path = tmp_path / "moons.csv"
    pd.DataFrame(x, columns=["x", "y"]).to_csv(path, index=False)
    return path


def _recommend(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["recommend", *argv, "--quiet"]) == 0
    return capsys.readouterr().out


def _printed_k(out: str) -> int:
    match = re.search(r"recommended number of clusters: (\d+)", out)
    assert match is not None, out
    return int(match.group(1))


def _asked_k(line: str) -> int | None:
    match = re.search(r"\b(?:n_clusters|n_components)=(\d+)", line)
    return int(match.group(1)) if match else None


def _table(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(" # algorithm"))
    rows = []
    for line in lines[start + 1 :]:
        if not ROW.match(line):
            break
        rows.append(line)
    return rows


@pytest.mark.parametrize("budget", ["0", "2"])
def test_every_row_asking_for_clusters_asks_for_the_printed_k(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], budget: str
) -> None:
    out = _recommend(capsys, str(_moons(tmp_path)), "--budget", budget, "--top", "5")
    k = _printed_k(out)
    rows = _table(out)
    assert rows
    for line in rows:
        asked = _asked_k(line)
        assert asked in (None, k), line
    # the meta-learner's own configuration is shown at the printed k too
    for line in out.splitlines():
        if "meta-learner's own:" in line:
            assert _asked_k(line) in (None, k), line
    assert "nan" not in out


def test_no_configuration_below_the_table_outscores_row_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _recommend(capsys, str(_moons(tmp_path)), "--budget", "0", "--top", "3")
    first = float(_table(out)[0].split()[2])
    below = out.split("hyperparameters for these algorithms")[1].split("most similar")[0]
    for line in below.splitlines():
        match = re.match(r"^\s+[+ ]\S+\s+(-?\d+\.\d+)", line)
        if match:  # a score of its own (not "= #n above")
            assert float(match.group(1)) <= first, line


def test_known_data_prints_the_recorded_best_k_and_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _recommend(capsys, "sklearn:iris", "--budget", "0", "--top", "5")
    assert "what the best recorded run there found" in out
    assert "80% interval 3-3" not in out and "+/-" not in out
    ks = {int(line.split()[3]) for line in _table(out)}
    assert len(ks) > 1  # recorded runs with their own k, as the header says
    assert "0.00 " not in out  # no spread column that is always zero


def test_every_column_is_explained_once_under_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        [str(_moons(tmp_path)), "--budget", "2"],
        [str(_moons(tmp_path)), "--budget", "0"],
        ["sklearn:iris", "--budget", "0"],
    ):
        out = _recommend(capsys, *argv)
        header = next(line for line in out.splitlines() if line.startswith(" # algorithm"))
        columns = [
            c
            for c in ("screen", "prior ARI", "pred. ARI", "ARI there", "80% interval", "+/-")
            if c in header
        ] + ["clusters"]
        legend = [line.strip() for line in out.splitlines() if line.startswith("   ")]
        for column in columns:
            assert sum(line.startswith(f"{column}:") for line in legend) == 1, (column, out)


def test_the_fallback_note_ends_one_clause_before_the_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "cauchy.csv"
    pd.DataFrame(rng.standard_cauchy((300, 8)), columns=list("abcdefgh")).to_csv(path, index=False)
    out = _recommend(capsys, str(path), "--budget", "2", "--top", "3")
    note = next(line for line in out.splitlines() if line.startswith("note:"))
    assert "unlike every known one" in note
    assert re.search(r"ARI \d\.\d\d; screened", note), note
    assert "nan" not in out


def test_runs_and_configurations_are_counted_alike_everywhere(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    from metarec.api import get_recommender
    from metarec.knowledge import layered_stats

    assert main(["db", "stats", "--db", "shipped", "--json"]) == 0
    shipped = json.loads(capsys.readouterr().out)
    layers = layered_stats()
    assert layers["shipped"]["configurations"] == shipped["configurations"]
    assert layers["shipped"]["runs"] == shipped["runs"]
    # the models' own count (in the stale warning and `train`) is of the design's runs, and
    # says so
    rec = get_recommender()
    assert rec.knowledge_["runs"] == layers["together"]["design_runs"]
    assert "design runs" in rec.staleness()
    assert main(["db", "stats"]) == 0
    assert "design runs" in capsys.readouterr().out
