"""Readers for local data files, as users have them.

CSV/TSV and other delimited text (dialect detected), ARFF (also Weka's and
KEEL's dialects, :mod:`metarec.io.arff`), Parquet, Feather, Excel ``.xlsx``
(through openpyxl) and JSON records or lines, each optionally gzipped.
:func:`load_file` also finds the reference-label column (:func:`find_target`)
and leaves out columns that are not features (:func:`non_feature_columns`).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metarec.dataset import Dataset
from metarec.exceptions import FileReadError, LabelError, first_line

__all__ = [
    "LABEL_COLUMNS",
    "SUPPORTED_SUFFIXES",
    "describe_loading",
    "find_target",
    "load_file",
    "non_feature_columns",
    "read_labels",
    "read_table",
]

SUPPORTED_SUFFIXES = (
    ".csv",
    ".tsv",
    ".txt",
    ".dat",
    ".data",
    ".parquet",
    ".pq",
    ".arff",
    ".xlsx",
    ".feather",
    ".json",
    ".jsonl",
)
_KINDS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".arff": "arff",
    ".xlsx": "xlsx",
    ".feather": "feather",
    ".json": "json",
    ".jsonl": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".dat": "csv",
    ".data": "csv",
}
#: Cells read as missing in text tables (besides pandas' own: empty, NA, NaN, ...):
#: Weka's and UCI's ``?``, KEEL's ``<null>``.
MISSING = ["?", "<null>"]
#: Formats read from bytes (the others are text).
_BINARY = ("parquet", "xlsx", "feather")


def _kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in _KINDS:
        return _KINDS[last]
    raise FileReadError(
        f"{path.name}: unknown file type {last or '(none)'!r}; "
        f"use one of {', '.join(SUPPORTED_SUFFIXES)}"
    )


#: What a compressed file may expand to (bytes): a table larger than this is not
#: clustered on one machine anyway, and a "gzip bomb" is refused before it fills memory.
MAX_EXPANDED = 2**30


def _check_expansion(path: Path, limit: int | None = None) -> None:
    """Refuse a gzipped file that expands to more than ``limit`` bytes (default
    :data:`MAX_EXPANDED`), reading it in chunks and stopping at the limit."""
    limit = MAX_EXPANDED if limit is None else limit
    total = 0
    member = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip: header, data, CRC and size
    with open(path, "rb") as fh:
        while raw := fh.read(1 << 16):
            while raw:
                total += len(member.decompress(raw, limit + 1 - total))
                if total > limit:
                    raise FileReadError(
                        f"{path.name}: expands to more than {limit / 2**20:g} MiB; "
                        "decompress it yourself if it is meant to be that large"
                    )
                raw = member.unconsumed_tail
                if member.eof and member.unused_data:  # another gzip member follows
                    raw = member.unused_data + raw
                    member = zlib.decompressobj(16 + zlib.MAX_WBITS)
    if not member.eof:
        raise FileReadError(
            f"{path.name}: the compressed file ends early (truncated or corrupt); "
            "check that it is the whole file"
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
    """A delimited text table: the delimiter (``,`` ``;`` tab ``|`` or runs of spaces),
    the quote character, a decimal comma (``;``-separated ``1,5``) and whether the
    first row is a header are detected from the first lines."""
    with _open_text(path) as fh:
        head = fh.read(65536)
    lines = [line for line in head.splitlines() if line.strip()][:50]
    if not lines:
        return pd.DataFrame()
    sample = "\n".join(lines)
    try:
        dialect = csv.Sniffer().sniff(sample, ",;\t| ")
        sep, quote = dialect.delimiter, dialect.quotechar or '"'
    except csv.Error:
        sep, quote = ("\t" if "\t" in lines[0] else ","), '"'
    if sep == " " or (sep == "," and "," not in lines[0] and len(lines[0].split()) > 1):
        sep = " "
    counts = {line.count(";") for line in lines}
    if sep == "," and len(counts) == 1 and counts != {0}:
        sep = ";"  # ";" on every line, as often: the commas are decimal commas
    decimal = "," if sep == ";" and re.search(r"(^|;)\s*-?\d+,\d+\s*(;|$)", sample) else "."
    has_header = _looks_like_header(lines, sep, decimal)
    if (
        has_header
        and len(_fields(lines[0], sep)) == 1
        and any(len(_fields(line, sep)) > 1 for line in lines[1:])
    ):
        # the header names one column: each line is one value, whatever it holds
        frame = pd.read_csv(path, sep="\x1f", header=0, quotechar=quote, na_values=MISSING)
        frame.attrs["read_note"] = (
            f"read as one column, as the header names one (its values hold "
            f"{'spaces' if sep == ' ' else repr(sep)}, not taken as a delimiter)"
        )
        return frame
    kwargs: dict[str, Any] = {
        "header": 0 if has_header else None,
        "quotechar": quote,
        "na_values": MISSING,
    }
    if sep == " ":
        frame = pd.read_csv(path, sep=r"\s+", **kwargs)
    else:
        frame = pd.read_csv(path, sep=sep, decimal=decimal, skipinitialspace=True, **kwargs)
    if not has_header:
        frame.columns = [f"x{j}" for j in range(frame.shape[1])]
    return frame


def _fields(line: str, sep: str) -> list[str]:
    raw = line.split() if sep == " " else next(csv.reader([line], delimiter=sep))
    return [f.strip().strip('"') for f in raw]


def _is_number(text: str, decimal: str) -> bool:
    try:
        float(text.replace(decimal, "."))
    except ValueError:
        return False
    return True


def _looks_like_header(lines: list[str], sep: str, decimal: str = ".") -> bool:
    """Whether the first line names the columns: none of its fields is a number,
    and its values do not recur below it in their columns (as ``y``/``n`` do in a
    headerless table of votes)."""
    first = _fields(lines[0], sep)
    if any(_is_number(f, decimal) for f in first if f):
        return False
    below = [_fields(line, sep) for line in lines[1:]]
    if not below:
        return True
    for j, name in enumerate(first):
        column = [row[j] for row in below if j < len(row)]
        if name in column:
            return False
    return True


def _read_arff(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    from metarec.io.arff import read_arff_text

    with _open_text(path) as fh:
        text = fh.read()
    return read_arff_text(text, path.name)


def _read_binary(path: Path, kind: str) -> pd.DataFrame:
    """Parquet, Excel (.xlsx, through openpyxl) or Feather, optionally gzipped."""
    source: Any = path
    if path.suffix.lower() == ".gz":
        with gzip.open(path, "rb") as fh:
            source = io.BytesIO(fh.read())
    if kind == "parquet":
        return pd.read_parquet(source)
    if kind == "feather":
        return pd.read_feather(source)
    try:
        import openpyxl  # noqa: F401  (pandas' reader of .xlsx)
    except ImportError:
        raise FileReadError(
            f"{path.name}: reading .xlsx needs openpyxl: pip install openpyxl (or metarec[excel])"
        ) from None
    return pd.read_excel(source, sheet_name=0)


def _read_json(path: Path, lines: bool) -> pd.DataFrame:
    """JSON records (``[{...}, ...]``) or JSON lines (one record per line)."""
    import json

    with _open_text(path) as fh:
        text = fh.read()
    if not text.strip():
        return pd.DataFrame()
    try:
        records = (
            [json.loads(line) for line in text.splitlines() if line.strip()]
            if lines
            else json.loads(text)
        )
    except (ValueError, RecursionError) as exc:
        reason = first_line(exc)
        raise FileReadError(f"{path.name}: not valid JSON ({reason})") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        what = (
            "a list of non-objects"
            if isinstance(records, list)
            else {"dict": "one object"}.get(type(records).__name__, type(records).__name__)
        )
        raise FileReadError(
            f"{path.name}: the JSON holds {what}, not records; give a list of objects "
            '([{"a": 1, "b": 2}, ...]) or JSON lines (one object per line, .jsonl)'
        )
    return pd.read_json(io.StringIO(text), lines=lines, orient=None if lines else "records")


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
    if p.is_dir():
        raise FileReadError(
            f"{p}: is a directory; give a data file (a folder of labeled datasets is for "
            "`metarec evaluate --corpus DIR`)"
        )
    if not p.is_file():
        raise FileReadError(f"{p}: no such file; check the path")
    if p.stat().st_size == 0:
        from metarec.exceptions import EmptyDataError

        raise EmptyDataError(f"{p.name}: is empty: no rows")
    kind = _kind(p)
    meta: dict[str, Any] = {"file": str(p), "format": kind}
    try:
        if p.suffix.lower() == ".gz":
            _check_expansion(p)
        if kind not in _BINARY:
            _refuse_binary(p, kind)
        if kind in _BINARY:
            frame = _read_binary(p, kind)
        elif kind == "arff":
            frame, extra = _read_arff(p)
            meta.update(extra)
        elif kind in ("json", "jsonl"):
            frame = _read_json(p, lines=kind == "jsonl")
        else:
            frame = _read_csv(p)
        if "read_note" in frame.attrs:  # what the reader split or recast, in one line
            meta["read_note"] = frame.attrs.pop("read_note")
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
        msg = first_line(exc)
        raise FileReadError(
            f"{p.name}: cannot read the {kind} file ({msg}); it may be truncated or corrupt"
        ) from None
    return frame, meta


#: Column names taken as the reference labels, in order of preference (any case).
LABEL_COLUMNS = ("class", "label", "labels", "target", "y", "cluster", "species")
#: Names of columns that identify rows (with a distinct value per row, left out).
ID_NAMES = re.compile(r"^(id|index|row|rowid|row_id|key|unnamed: ?0)$|(^|_)id$", re.IGNORECASE)


def _label_like(column: pd.Series) -> bool:
    """Few enough distinct values to be classes (a coordinate named ``y`` is not)."""
    n = column.notna().sum()
    distinct = column.nunique(dropna=True)
    return 2 <= distinct <= max(2, min(100, n // 2))


def _check_classes(column: pd.Series, name: str) -> None:
    """Refuse a label column that holds measurements, not classes: numbers that are
    not whole, over half of them distinct (a price, a temperature)."""
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return
    values = column.dropna().to_numpy(dtype=float)
    distinct = len(np.unique(values))
    if distinct > max(20, len(values) // 2) and not np.all(values == np.round(values)):
        raise LabelError(
            f"column {name!r} holds {distinct} distinct fractional numbers: a measurement, "
            "not classes; cluster it as a feature (leave out --target), or bin it first"
        )


def find_target(
    frame: pd.DataFrame, target: str | bool | None = None, declared: str | None = None
) -> str | None:
    """The column of ``frame`` that holds the reference labels.

    Parameters
    ----------
    frame : DataFrame
    target : str, bool or None, default=None
        A column name (matched in any case; a near name is suggested when none
        matches), ``False`` for none, ``None`` to detect: the file's declared
        output (``declared``, KEEL's ``@outputs``), else the first column named as in
        :data:`LABEL_COLUMNS` (any case) whose values look like classes.
    declared : str, optional
        The label column the file itself declares.

    Returns
    -------
    str or None

    Raises
    ------
    LabelError
        ``target`` names no column.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"x": [0.1, 0.5, 0.9, 0.2], "CLASS": ["a", "b", "a", "b"]})
    >>> find_target(f), find_target(f, "class"), find_target(f, False)
    ('CLASS', 'CLASS', None)
    """
    columns = [str(c) for c in frame.columns]
    if target is False:
        return None
    if isinstance(target, str):
        folded = {c.casefold(): c for c in columns}
        found = target if target in columns else folded.get(target.casefold())
        if found is not None:
            _check_classes(frame[found], found)
            return found
        import difflib

        near = difflib.get_close_matches(target, columns, n=1, cutoff=0.6)
        hint = f"; did you mean {near[0]!r}?" if near else f"; columns are {columns[:10]}"
        raise LabelError(f"no column {target!r} to take labels from{hint}")
    if declared and declared in columns:
        return declared
    by_name = {c.casefold(): c for c in reversed(columns)}
    for name in LABEL_COLUMNS:
        column = by_name.get(name)
        if column is not None and _label_like(frame[column]):
            return column
    return None


def non_feature_columns(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Columns that are not features: ``constant`` (one value or none), ``identifier``
    (a distinct value per row: a string or category, or whole numbers that are a run
    of consecutive values or a column named like an id), ``text`` (free text: mostly
    distinct strings averaging over 30 characters or several words), ``date``
    (time stamps, from Parquet, Feather or ARFF) and ``nested`` (lists or maps in
    a cell, from Parquet or JSON; only when there are any); identifiers only in
    tables of 10 rows or more, text in tables of 3 or more.

    Parameters
    ----------
    frame : DataFrame

    Returns
    -------
    dict
        ``{"constant": [...], "identifier": [...], "text": [...], "date": [...]}``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"id": range(1, 21), "v": [i % 7 / 2 for i in range(20)], "k": 1})
    >>> non_feature_columns(f)
    {'constant': ['k'], 'identifier': ['id'], 'text': [], 'date': []}
    """
    out: dict[str, list[str]] = {"constant": [], "identifier": [], "text": [], "date": []}
    n = len(frame)
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object and column.map(_nested).any():
            out.setdefault("nested", []).append(str(name))  # lists, maps: no one value
            continue
        distinct = column.nunique(dropna=True)
        if distinct <= 1:
            out["constant"].append(str(name))
            continue
        if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
            column.dtype
        ):
            out["date"].append(str(name))  # a time stamp orders rows; it describes none
            continue
        if isinstance(column.dtype, pd.CategoricalDtype):
            if n >= 10 and distinct == n:  # a label per row names rows, as an id does
                out["identifier"].append(str(name))
            continue
        textual = column.dtype == object or isinstance(column.dtype, pd.StringDtype)
        if textual:
            strings = [str(v) for v in column.dropna()]
            length = float(np.mean([len(v) for v in strings]))
            words = float(np.mean([len(v.split()) for v in strings]))
            if n >= 3 and distinct >= 0.5 * n and (length > 30 or words >= 3):
                out["text"].append(str(name))
            elif n >= 10 and distinct == n:
                out["identifier"].append(str(name))
            continue
        if n < 10 or distinct != n or not pd.api.types.is_numeric_dtype(column):
            continue
        numbers = column.to_numpy(dtype=float)
        whole = bool(np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)))
        run = whole and numbers.max() - numbers.min() == n - 1
        if whole and (run or ID_NAMES.search(str(name))):
            out["identifier"].append(str(name))
    return out


def _nested(value: Any) -> bool:
    return isinstance(value, (list, tuple, dict, set, np.ndarray))


def load_file(
    path: str | Path,
    *,
    target: str | bool | None = None,
    categorical: list[str] | None = None,
    name: str | None = None,
    keep_columns: bool = False,
    label_column: str | None = None,
) -> Dataset:
    """Load a local data file as a :class:`~metarec.dataset.Dataset`.

    The reference labels are taken from the file's label column (see
    :func:`find_target`), never clustered; columns that are not features
    (:func:`non_feature_columns`) are left out. ``metadata`` records both
    (``target``, ``target_detected``, ``dropped``), and :func:`describe_loading`
    says it in one line.

    Parameters
    ----------
    path : str or Path
        A ``.csv``/``.tsv``/``.txt``/``.dat``, ``.arff``, ``.parquet``, ``.feather``,
        ``.xlsx``, ``.json`` or ``.jsonl`` file, each optionally ``.gz``. Text tables
        without a header row get columns ``x0, x1, ...``.
    target : str, bool or None, default=None
        The label column (any case); ``None`` detects it; ``False``: the file has
        none (every column a feature).
    categorical : list of str, optional
        Columns to treat as categorical.
    name : str, optional
        Dataset name (defaults to the file name without suffixes).
    keep_columns : bool, default=False
        Keep constant, identifier and free-text columns as features.
    label_column : str, optional
        Deprecated name of ``target``.

    Raises
    ------
    InvalidDataError
        No column is left to cluster.
    """
    from metarec._compat import renamed
    from metarec.exceptions import EmptyDataError

    target = renamed(target, label_column, "label_column", "target", None)
    p = Path(path).expanduser()
    frame, meta = read_table(p)
    if frame.shape[0] == 0:
        raise EmptyDataError(f"{p.name}: is empty: no rows")
    try:
        column = find_target(frame, target, meta.pop("target", None))
    except LabelError as exc:
        raise LabelError(f"{p.name}: {exc}") from None
    labels = None
    if target is False:
        meta["no_target"] = True  # every column a feature, as the user asked
    if column is not None:
        labels = frame.pop(column).to_numpy()
        meta["target"] = column
        meta["target_detected"] = target is None
    if not keep_columns:
        dropped = {k: v for k, v in non_feature_columns(frame).items() if v}
        left = frame.drop(columns=[c for cols in dropped.values() for c in cols])
        if set(dropped) == {"constant"} and left.shape[1] == 0:
            dropped = {}  # nothing but constant (or missing) columns: the data's own error
        elif dropped and left.shape[1] == 0:
            what = "; ".join(f"{k}: {', '.join(v)}" for k, v in dropped.items())
            raise EmptyDataError(
                f"{p.name}: no column to cluster: none is a feature "
                f"({what}; --keep-columns keeps them)"
            )
        if dropped:
            meta["dropped"] = dropped
            frame = left
    stem = p.name.split(".")[0]
    return Dataset.from_frame(
        frame,
        labels,
        name=name or stem,
        source=str(p.resolve()),  # resolves from any working directory later
        categorical=categorical,
        metadata=meta,
    )


#: Fewer rows than this get a word of caution.
FEW_ROWS = 20


def describe_loading(dataset: Dataset) -> list[str]:
    """One line each for what loading a file decided: how the reader split or recast
    it, the label column taken as the reference labels, the columns left out as not
    features; and a caution for fewer than :data:`FEW_ROWS` rows, and what is
    clustered when some columns are labels (a few columns at most).

    Parameters
    ----------
    dataset : Dataset
        As :func:`load_file` returned it.

    Returns
    -------
    list of str
    """
    meta = dataset.metadata
    lines = [str(meta["read_note"])] if meta.get("read_note") else []
    if meta.get("target_detected"):
        lines.append(
            f"column {meta['target']!r} is used as reference labels, not clustered; "
            "--no-target to keep it as a feature"
        )
    for kind, columns in (meta.get("dropped") or {}).items():
        lines.append(
            f"left out {len(columns)} {kind} column(s), not features: {', '.join(columns[:8])}"
            + (" ..." if len(columns) > 8 else "")
            + " (--keep-columns keeps them)"
        )
    n, d = dataset.shape
    if n < FEW_ROWS:
        lines.append(f"only {n} rows: groups found among so few are a guess, not evidence")
    categorical = set(dataset.categorical_columns)
    if categorical and d <= 8:  # say what is clustered when it is labels, not numbers
        parts = []
        for c in dataset.features.columns:
            k = int(dataset.features[c].nunique())
            parts.append(
                str(c)
                if c not in categorical
                else f"{c} ({'a different label in every row' if k == n else f'{k} labels'})"
            )
        lines.append(f"clustering {d} column(s): {', '.join(parts)}")
    return lines


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
