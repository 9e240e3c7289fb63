"""Readers for local data files: CSV/TSV (optionally gzipped), Parquet and ARFF."""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from pathlib import Path
from typing import Any

import pandas as pd

from metarec.dataset import Dataset
from metarec.exceptions import FileReadError, LabelError

__all__ = ["SUPPORTED_SUFFIXES", "load_file", "read_labels", "read_table"]

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".dat", ".parquet", ".pq", ".arff")


def _kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in (".parquet", ".pq"):
        return "parquet"
    if last == ".arff":
        return "arff"
    if last in (".csv", ".tsv", ".txt", ".dat"):
        return "csv"
    raise FileReadError(
        f"{path.name}: unknown file type {last or '(none)'!r}; "
        f"use one of {', '.join(SUPPORTED_SUFFIXES)}"
    )


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix.lower() == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8", newline="")


def _refuse_binary(path: Path, kind: str) -> None:
    """A text table (CSV, ARFF) with NUL bytes in its first 64 KiB is binary data
    or a broken file, not a table: refused before any parser guesses at it."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as fh:
        head = fh.read(65536)
    at = head.find(b"\x00")
    if at >= 0:
        raise FileReadError(
            f"{path.name}: cannot read it as a {kind} text file: it holds NUL bytes "
            f"(at byte {at}); check that it is the file you meant"
        )


def _read_csv(path: Path) -> pd.DataFrame:
    with _open_text(path) as fh:
        head = fh.read(65536)
    if not head.strip():
        return pd.DataFrame()
    try:
        dialect = csv.Sniffer().sniff(head.splitlines()[0] if "\n" in head else head, ",;\t| ")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    lines = head.splitlines()
    has_header = _looks_like_header(lines[0], sep)
    if sep == " ":
        return pd.read_csv(path, sep=r"\s+", header=0 if has_header else None)
    frame = pd.read_csv(path, sep=sep, header=0 if has_header else None, skipinitialspace=True)
    if not has_header:
        frame.columns = [f"x{j}" for j in range(frame.shape[1])]
    return frame


def _looks_like_header(line: str, sep: str) -> bool:
    fields = line.split() if sep == " " else line.split(sep)
    numeric = 0
    for f in fields:
        try:
            float(f.strip().strip('"'))
            numeric += 1
        except ValueError:
            pass
    return numeric == 0


def _read_arff(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    import arff  # liac-arff, a dependency of openml

    with _open_text(path) as fh:
        try:
            obj = arff.load(fh)
        except arff.ArffException as exc:
            raise FileReadError(f"{path.name}: not a valid ARFF file ({exc})") from None
    names = [a[0] for a in obj["attributes"]]
    frame = pd.DataFrame(obj["data"], columns=names)
    for name, typ in obj["attributes"]:
        if isinstance(typ, list):
            frame[name] = pd.Categorical(frame[name], categories=[str(t) for t in typ])
        elif str(typ).upper() in ("NUMERIC", "REAL", "INTEGER"):
            frame[name] = pd.to_numeric(frame[name], errors="coerce")
    return frame, {"relation": obj.get("relation", "")}


def read_table(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a CSV/TSV/Parquet/ARFF file into a raw DataFrame.

    Parameters
    ----------
    path : path
        A CSV/TSV (optionally gzipped), Parquet or ARFF file.

    Returns
    -------
    DataFrame, dict
        The table and what the reader learned of it (format, nominal columns, ...).

    Raises
    ------
    FileReadError
        The file is missing, unreadable, truncated or of an unknown type.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise FileReadError(f"{p}: no such file; check the path")
    kind = _kind(p)
    meta: dict[str, Any] = {"file": str(p)}
    try:
        if kind != "parquet":
            _refuse_binary(p, kind)
        if kind == "parquet":
            frame = pd.read_parquet(p)
        elif kind == "arff":
            frame, extra = _read_arff(p)
            meta.update(extra)
        else:
            frame = _read_csv(p)
    except FileReadError:
        raise
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        EOFError,
        zlib.error,
        gzip.BadGzipFile,
        OSError,
        ValueError,
    ) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FileReadError(
            f"{p.name}: cannot read the {kind} file ({msg}); it may be truncated or corrupt"
        ) from None
    return frame, meta


def load_file(
    path: str | Path,
    *,
    label_column: str | None = None,
    categorical: list[str] | None = None,
    name: str | None = None,
) -> Dataset:
    """Load a local data file as a :class:`~metarec.dataset.Dataset`.

    Parameters
    ----------
    path : str or Path
        A ``.csv``/``.tsv``/``.txt``/``.dat`` (optionally ``.gz``), ``.parquet`` or
        ``.arff`` file. CSV files without a header row get columns ``x0, x1, ...``.
    label_column : str, optional
        Column holding ground-truth labels; it is removed from the features.
    categorical : list of str, optional
        Columns to treat as categorical.
    name : str, optional
        Dataset name (defaults to the file name without suffixes).
    """
    p = Path(path).expanduser()
    frame, meta = read_table(p)
    labels = None
    if label_column is not None:
        if label_column not in frame.columns:
            raise LabelError(
                f"{p.name}: no column {label_column!r} to take labels from; "
                f"columns are {list(map(str, frame.columns))[:10]}"
            )
        labels = frame.pop(label_column).to_numpy()
        meta["target"] = label_column
    stem = p.name.split(".")[0]
    return Dataset.from_frame(
        frame,
        labels,
        name=name or stem,
        source=str(p),
        categorical=categorical,
        metadata=meta,
    )


def read_labels(path: str | Path) -> list[str]:
    """Read one label per line from a text file (blank lines are skipped).

    Parameters
    ----------
    path : path
        A text file with one label per line.

    Returns
    -------
    list of str
    """
    p = Path(path).expanduser()
    try:
        with _open_text(p) as fh:
            return [line.strip() for line in fh if line.strip()]
    except (OSError, UnicodeDecodeError, EOFError, zlib.error) as exc:
        raise FileReadError(f"{p}: cannot read labels ({exc}); check the path") from None
