"""Every bad input gets a typed metarec error (API) and one line + exit 2 (CLI)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from metarec import Dataset, load_dataset
from metarec.cli import main
from metarec.exceptions import (
    AllMissingError,
    ConstantDataError,
    EmptyDataError,
    FileReadError,
    LabelError,
    MetarecError,
    NonFiniteValueError,
    NonNumericValueError,
    OpenMLUnavailableError,
    TooFewRowsError,
    UnknownDatasetError,
)

# (case id, file name, file contents writer, error type, message fragment)
FileWriter = Callable[[Path], None]


def _text(content: str) -> FileWriter:
    return lambda p: p.write_text(content)


def _truncated_gzip(p: Path) -> None:
    blob = gzip.compress(("\n".join(f"{i},{i * 2}" for i in range(5000))).encode())
    p.write_bytes(blob[: len(blob) // 2])


def _truncated_parquet(p: Path) -> None:
    buf = p.with_suffix(".full.parquet")
    pd.DataFrame({"a": np.arange(1000.0)}).to_parquet(buf)
    p.write_bytes(buf.read_bytes()[:300])


def _binary(p: Path) -> None:
    p.write_bytes(bytes(range(256)) * 20)


FILE_CASES = [
    ("empty", "e.csv", _text(""), EmptyDataError, "empty"),
    ("header-only", "h.csv", _text("a,b\n"), EmptyDataError, "empty"),
    ("single-row", "s.csv", _text("a,b\n1,2\n"), TooFewRowsError, "single row"),
    ("all-nan", "n.csv", _text("a,b\n?,\nNA,?\n,NA\n"), AllMissingError, "missing"),
    ("constant", "c.csv", _text("a,b\n1,x\n1,x\n1,x\n"), ConstantDataError, "single value"),
    ("infinite", "i.csv", _text("a,b\n1,2\ninf,3\n4,5\n"), NonFiniteValueError, "infinite"),
    (
        "garbage",
        "g.csv",
        _text("a,b\n1,2\n2,3\n3,4\n4,5\nabc,6\n"),
        NonNumericValueError,
        "'abc'",
    ),
    ("truncated-gzip", "t.csv.gz", _truncated_gzip, FileReadError, "truncated"),
    ("truncated-parquet", "t.parquet", _truncated_parquet, FileReadError, "truncated"),
    ("binary-garbage", "b.csv", _binary, FileReadError, "cannot read"),
    ("bad-arff", "b.arff", _text("@relation x\n@data\n1,2\n"), FileReadError, "ARFF"),
    ("missing-file", "nope.csv", lambda p: None, FileReadError, "no such file"),
    ("unknown-suffix", "x.sav", _text("zz"), FileReadError, "unknown file type"),
]


@pytest.mark.parametrize(
    ("fname", "writer", "error", "fragment"),
    [c[1:] for c in FILE_CASES],
    ids=[c[0] for c in FILE_CASES],
)
def test_bad_files_api(
    tmp_path: Path, fname: str, writer: FileWriter, error: type, fragment: str
) -> None:
    path = tmp_path / fname
    writer(path)
    with pytest.raises(error, match=None) as info:
        load_dataset(path)
    assert isinstance(info.value, MetarecError)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("fname", "writer", "error", "fragment"),
    [c[1:] for c in FILE_CASES],
    ids=[c[0] for c in FILE_CASES],
)
def test_bad_files_cli(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fname: str,
    writer: FileWriter,
    error: type,
    fragment: str,
) -> None:
    path = tmp_path / fname
    writer(path)
    assert main(["show", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("metarec: ") and err.count("\n") == 1
    assert fragment in err


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (pd.DataFrame(), EmptyDataError),
        (np.empty((0, 3)), EmptyDataError),
        (np.ones((1, 3)), TooFewRowsError),
        (np.full((4, 2), np.nan), AllMissingError),
        (np.ones((5, 3)), ConstantDataError),
        (np.array([[1.0, np.inf], [2.0, 3.0]]), NonFiniteValueError),
        (np.arange(5), EmptyDataError),
        (pd.DataFrame({"a": ["1", "2", "3", "4", "x5"]}), NonNumericValueError),
    ],
    ids=["empty-frame", "empty-array", "one-row", "all-nan", "constant", "inf", "1d", "garbage"],
)
def test_bad_tables_api(data: object, error: type) -> None:
    with pytest.raises(error):
        Dataset.from_frame(data)  # type: ignore[arg-type]


def test_wrong_label_length_api() -> None:
    with pytest.raises(LabelError, match="3 entries but the table has 4 rows"):
        Dataset.from_frame(np.arange(8.0).reshape(4, 2), labels=[0, 1, 0])
    ds = Dataset.from_frame(np.arange(8.0).reshape(4, 2))
    with pytest.raises(LabelError):
        ds.with_labels([1, 2])


def test_wrong_label_length_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "d.csv").write_text("a,b\n1,2\n3,4\n5,7\n")
    (tmp_path / "l.txt").write_text("0\n1\n")
    assert main(["show", str(tmp_path / "d.csv"), "--labels", str(tmp_path / "l.txt")]) == 2
    assert "2 entries but the table has 3 rows" in capsys.readouterr().err
    assert main(["show", str(tmp_path / "d.csv"), "--target", "zz"]) == 2
    assert "no column 'zz'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name", ["uci121:no-such-set", "clustbench:fcps/nothing", "sklearn:mnist", "nonsense"]
)
def test_unknown_names(name: str, capsys: pytest.CaptureFixture[str], corpus_root: Path) -> None:
    with pytest.raises(UnknownDatasetError):
        load_dataset(name)
    assert main(["show", name]) == 2
    assert capsys.readouterr().err.startswith("metarec: ")


def test_clustbench_without_data_file(corpus_root: Path) -> None:
    if not (corpus_root / "clustbench/mnist/digits.labels0.gz").exists():
        pytest.skip("mnist labels not present")
    with pytest.raises(UnknownDatasetError, match="only labels are present"):
        load_dataset("clustbench:mnist/digits")


def test_openml_offline_with_empty_cache(
    empty_openml_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(OpenMLUnavailableError, match="cannot reach OpenML"):
        load_dataset("openml:61")
    assert main(["show", "openml:61"]) == 2
    assert "not in the cache" in capsys.readouterr().err


def test_openml_id_not_in_cache(openml_cache: Path) -> None:
    with pytest.raises(OpenMLUnavailableError):
        load_dataset("openml:3")
    with pytest.raises(UnknownDatasetError, match="positive integer"):
        load_dataset("openml:abc")


def test_cli_subprocess_prints_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "g.csv").write_text("a\n1\n2\n3\n4\n5\nbad\n")
    proc = subprocess.run(
        [sys.executable, "-m", "metarec.cli", "show", str(tmp_path / "g.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("metarec: column 'a' is numeric but row 5")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("top", [0, -1, 2.5, "a", True, None])
def test_the_api_refuses_a_bad_top_as_the_cli_does(top: object) -> None:
    """Issue 39: `recommend(top=0)` returned 30 configurations; `top='a'` a bare TypeError."""
    import metarec
    from metarec.exceptions import ArgumentError

    with pytest.raises(ArgumentError, match="top must be a whole number of at least 1") as info:
        metarec.recommend("sklearn:iris", top=top, budget=0)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)  # what scikit-learn-style code catches


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_trials": 0}, "n_trials"),
        ({"n_trials": -1}, "n_trials"),
        ({"time_limit": -1}, "time_limit"),
        ({"time_limit": float("inf")}, "time_limit"),
        ({"timeout": 0}, "timeout"),
        ({"top": 0}, "top"),
        ({"budget": -1}, "budget"),
    ],
)
def test_tune_refuses_bad_counts_and_seconds_before_doing_anything(
    kwargs: dict[str, object], match: str
) -> None:
    import metarec
    from metarec.exceptions import ArgumentError

    with pytest.raises(ArgumentError, match=match):
        metarec.tune("sklearn:iris", **kwargs)  # type: ignore[arg-type]
    # declared once, as scikit-learn's validate_params does, not checked ad hoc
    assert "n_trials" in metarec.tune.__wrapped_rules__  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "command",
    [
        ["db", "stats"],
        ["db", "stats", "--json"],
        ["db", "check"],
        ["db", "export", "{tmp}/export"],
        ["recommend", "sklearn:iris", "--budget", "0"],
        ["train", "--out", "{tmp}/models"],
    ],
)
def test_a_database_that_says_no_is_one_line_on_the_read_only_commands(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from metarec.cli import main

    argv = [c.format(tmp=tmp_path) for c in command]
    closed = "postgresql://ann:se/cret@127.0.0.1:1/meta"  # nothing listens on port 1
    assert main([*argv, "--db", closed]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read the database" in err
    assert "se/cret" not in err and "ann:***@" in err
    # a file that is not a database
    (tmp_path / "table.csv").write_text("a,b\n1,2\n")
    assert main([*argv, "--db", str(tmp_path / "table.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a database" in err
    assert not (tmp_path / "export").exists() and not (tmp_path / "models").exists()


def test_an_empty_postgresql_database_is_not_a_metarec_database(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import psycopg

    from metarec.cli import main

    server = postgres_url.rsplit("/", 1)[0]
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS empty_one")
        conn.execute("CREATE DATABASE empty_one")
    for argv in (["db", "stats"], ["db", "check"], ["recommend", "sklearn:iris", "--budget", "0"]):
        assert main([*argv, "--db", server + "/empty_one"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is not a metarec database" in err


def test_a_database_path_in_a_missing_folder_is_refused_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from metarec.cli import main

    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "no" / "such" / "x.sqlite"
    runs = tmp_path / "runs.csv"
    runs.write_text("dataset,config,ari\n")
    for argv in (
        ["ingest", str(runs), "--db", str(missing)],
        ["tune", "sklearn:iris", "--trials", "2", "--ingest", str(missing), "--quiet"],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "no folder" in err
    assert not (tmp_path / "no").exists()
    assert not list(tmp_path.glob("tune-*"))  # the search never ran


@pytest.mark.parametrize(
    "argv",
    [
        ["tune", "sklearn:iris", "--trials", "-5"],
        ["tune", "sklearn:iris", "--trials", "0"],
        ["tune", "sklearn:iris", "--seed", "-1"],
        ["tune", "sklearn:iris", "--time-limit", "-1"],
        ["tune", "sklearn:iris", "--timeout", "nan"],
        ["recommend", "sklearn:iris", "--budget", "-1"],
        ["recommend", "sklearn:iris", "--top", "0"],
        ["evaluate", "--folds", "-2"],
        ["ingest", "--openml", "-3"],
        ["recommend"],
        ["nonsense"],
    ],
)
def test_a_bad_argument_is_one_line_before_anything_heavy_is_imported(argv: list[str]) -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from metarec.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    print(exc.code, 'sklearn' in sys.modules, 'pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    # argparse stops (status 2) before scikit-learn or pandas is imported
    assert done.stdout == "2 False False\n"
    assert done.stderr.count("\n") == 1 and "usage:" not in done.stderr
    assert done.stderr.startswith("metarec") and "--help" in done.stderr


@pytest.mark.parametrize(
    "call",
    [
        lambda: __import__("metarec").load_dataset(None),
        lambda: __import__("metarec").load_dataset(123),
        lambda: __import__("metarec.space").space.Configuration.from_dict(
            {"algorithm": "kmeans", "params": [1]}
        ),
        lambda: __import__("metarec.space").space.Configuration.from_dict(
            {"algorithm": "kmeans", "preprocessing": "standard"}
        ),
        lambda: __import__("metarec.runner").runner.run_config(
            "sklearn:iris", {"algorithm": "kmeans"}, time_limit=-1
        ),
        lambda: __import__("metarec.runner").runner.run_config(
            "sklearn:iris", {"algorithm": "kmeans"}, random_state=-1
        ),
        lambda: __import__("metarec").MetaClusterer(top=0).fit([[0.0], [1.0], [2.0]]),
        lambda: __import__("metarec").MetaClusterer(rank=0).fit([[0.0], [1.0], [2.0]]),
        lambda: __import__("metarec").MetaClusterer(rank=3, top=2).fit([[0.0], [1.0], [2.0]]),
    ],
)
def test_the_api_validates_its_arguments_with_one_line_value_errors(call: Any) -> None:
    from metarec.exceptions import MetarecError

    with pytest.raises(MetarecError) as err:
        call()
    assert isinstance(err.value, ValueError)
    assert "\n" not in str(err.value) and "top=0" not in str(err.value).split("got")[0]


def test_a_configuration_with_an_unknown_top_level_key_is_refused() -> None:
    from metarec.space import ConfigError, canonicalize

    with pytest.raises(ConfigError, match=r"not \['colour'\]"):
        canonicalize({"algorithm": "kmeans", "params": {"n_clusters": 3}, "colour": "red"})


@pytest.mark.parametrize(
    ("storage", "said"),
    [
        ("mysql://ann:se/cret@db.example/optuna", "needs mysqlclient"),
        ("journal:{tmp}/no/such/dir/j.log", "no folder"),
        ("journal:{tmp}", "cannot open the journal"),
        ("not-a-url", "neither a database URL nor journal:PATH"),
    ],
)
def test_a_study_storage_that_cannot_open_is_one_line(
    storage: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from metarec.cli import main

    argv = ["tune", "sklearn:iris", "--trials", "2", "--quiet", "--budget", "0"]
    assert main([*argv, "--storage", storage.format(tmp=tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err and "se/cret" not in err
    assert not (tmp_path / "no").exists()
