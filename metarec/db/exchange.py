"""Export and import whole meta-databases as Parquet tables keyed by content.

A folder holds ``datasets.parquet``, ``metafeatures.parquet`` (one column per
feature), ``configurations.parquet``, ``studies.parquet``, ``runs.parquet`` (keyed
by dataset content hash, configuration hash and seed) and ``manifest.json``.
Import validates everything before it writes, in one transaction.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metarec.config import redact
from metarec.db.schema import datasets as datasets_table
from metarec.db.schema import metafeatures as metafeatures_table
from metarec.db.store import RUN_FIELDS, DatabaseError, MetaDatabase, _clean
from metarec.exceptions import MetarecError, first_line

__all__ = ["TABLES", "complete_datasets", "export_tables", "import_tables", "read_manifest"]

TABLES = ("datasets", "metafeatures", "configurations", "studies", "runs")


def complete_datasets(db: MetaDatabase) -> set[str]:
    """Content hashes of the datasets that hold a run of every design configuration.

    The design is every configuration outside the k sweep that any dataset ran;
    a build that was stopped leaves some datasets short of it.

    Parameters
    ----------
    db : MetaDatabase

    Returns
    -------
    set of str
    """
    runs = db.runs_frame()
    design = runs[~runs["study"].isin(_sweep_studies(db.table("studies")))]
    per = design.groupby("content_hash")["config_hash"].nunique()
    return set(per.index[per == per.max()]) if len(per) else set()


def export_tables(
    db: MetaDatabase,
    directory: str | Path,
    manifest: Mapping[str, Any] | None = None,
    *,
    only: Collection[str] | None = None,
) -> dict[str, int]:
    """Write every table of ``db`` to Parquet files in ``directory``; return row counts.

    Parameters
    ----------
    db : MetaDatabase
        The database to export.
    directory : path
        The folder (created when missing). An earlier export's ``manifest.json``
        keeps what it says beyond the tables (backfills).
    manifest : mapping, optional
        More entries for ``manifest.json``.
    only : collection of str, optional
        Content hashes: restrict the datasets, their meta-features and runs to
        these (see :func:`complete_datasets`), and keep only whole k sweeps.

    Returns
    -------
    dict
        Rows written per table, and the k sweep's runs and datasets.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    ds = db.table("datasets")
    if only is not None:
        ds = ds[ds["content_hash"].isin(set(only))]
    id_to_hash = dict(zip(ds["id"], ds["content_hash"], strict=True))
    _parquet(ds.drop(columns=["id", "created_at"]).sort_values("content_hash"), out, "datasets")
    mf = db.table("metafeatures")
    wide = pd.DataFrame(
        [
            {"content_hash": id_to_hash[d], "extractor_version": v, **json.loads(vec)}
            for d, v, vec in zip(
                mf["dataset_id"], mf["extractor_version"], mf["vector"], strict=True
            )
            if d in id_to_hash
        ]
    )
    if not wide.empty:
        wide = wide.sort_values(["content_hash", "extractor_version"])
    _parquet(wide, out, "metafeatures")
    cfg = db.table("configurations").drop(columns=["id"]).sort_values("config_hash")
    _parquet(cfg, out, "configurations")
    st = db.table("studies").drop(columns=["id", "created_at"]).sort_values("name")
    # a database written before passwords were masked: mask them on the way out
    st["provenance"] = [None if p is None else redact(str(p)) for p in st["provenance"]]
    _parquet(st, out, "studies")
    rf = db.runs_frame().sort_values(["content_hash", "config_hash", "seed"])
    rf = rf[rf["content_hash"].isin(set(ds["content_hash"]))]
    if only is not None:
        rf = _whole_sweeps(
            rf, dict(zip(ds["content_hash"], ds["n_rows"], strict=True)), _sweep_studies(st)
        )
    _parquet(rf, out, "runs")
    swept = rf[rf["study"].isin(_sweep_studies(st))]
    counts = {
        "datasets": len(ds),
        "metafeatures": len(wide),
        "configurations": len(cfg),
        "studies": len(st),
        "runs": len(rf),
        "k_sweep_runs": len(swept),
        "k_sweep_datasets": int(swept["content_hash"].nunique()),
    }
    studies_info = [
        {"name": r["name"], "kind": r["kind"], "provenance": json.loads(r["provenance"] or "{}")}
        for r in st.to_dict("records")
    ]
    previous = _kept_manifest(out)
    info = {
        **previous,
        **(manifest or {}),
        "counts": counts,
        "runs_by_status": rf["status"].value_counts().to_dict() if len(rf) else {},
        "schema_revision": db.revision(),
        "studies": studies_info,
    }
    text_ = json.dumps(info, indent=2, default=str) + "\n"
    _new_file(out / "manifest.json", lambda tmp: tmp.write_text(text_))
    return counts


_HASH = re.compile(r"^[0-9a-f]{32}$")


#: Each exported table's columns: (required, allowed besides them). Meta-features
#: may have any further (numeric) columns.
COLUMNS: dict[str, tuple[set[str], set[str]]] = {
    "datasets": (
        {"content_hash", "name", "n_rows", "n_cols"},
        {"source", "corpus", "n_original", "n_classes", "fingerprint", "info"},
    ),
    "metafeatures": ({"content_hash", "extractor_version"}, set()),
    "configurations": ({"config_hash", "config"}, {"algorithm"}),
    "studies": ({"name", "kind"}, {"provenance"}),
    "runs": ({"content_hash", "config_hash"}, {"algorithm", "study", *RUN_FIELDS}),
}
#: Largest whole number a count column may hold (PostgreSQL's INTEGER).
MAX_COUNT = 2**31 - 1
#: Longest dataset, study or source name stored.
MAX_NAME = 1000


def _check_columns(name: str, table: pd.DataFrame) -> None:
    """Refuse a table without its required columns, or (but meta-features) with others."""
    required, allowed = COLUMNS[name]
    missing = sorted(required - set(map(str, table.columns)))
    if missing:
        raise DatabaseError(f"{name}.parquet has no column(s) {', '.join(missing)}")
    if name != "metafeatures":
        unknown = sorted(set(map(str, table.columns)) - required - allowed)
        if unknown:
            raise DatabaseError(
                f"{name}.parquet has unknown column(s) {', '.join(unknown)}; "
                "import only folders written by `metarec db export`"
            )


def _missing_value(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _check_json(where: str, column: str, value: Any, kind: type = object) -> None:
    if _missing_value(value):
        return
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError, RecursionError):
        raise DatabaseError(f"{where}: {column} is not valid JSON") from None
    if not isinstance(parsed, kind):
        raise DatabaseError(f"{where}: {column} is not a JSON {kind.__name__}")


def _check_text(where: str, column: str, value: Any, required: bool = False) -> None:
    if _missing_value(value):
        if required:
            raise DatabaseError(f"{where}: {column} is missing")
        return
    if not isinstance(value, str):
        raise DatabaseError(f"{where}: {column}={value!r} is not text")
    if len(value) > MAX_NAME or "\x00" in value:
        raise DatabaseError(
            f"{where}: {column} is {len(value)} characters or holds a NUL; at most {MAX_NAME}"
        )


def _validate_metafeatures(mf: pd.DataFrame) -> None:
    """Meta-feature values are numbers (finite or missing), never text or truth values."""
    for col in mf.columns:
        if col in ("content_hash", "extractor_version"):
            continue
        values = mf[col]
        odd = (
            [v for v in values if not _missing_value(v) and not _plain_number(v)]
            if values.dtype == object
            else []
        )
        if (
            odd
            or pd.api.types.is_bool_dtype(values)
            or (values.dtype != object and not pd.api.types.is_numeric_dtype(values))
        ):
            shown = f"{odd[0]!r:.40}" if odd else f"{values.dtype} values"
            raise DatabaseError(f"metafeatures.parquet: column {col!r} holds {shown}, not numbers")
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        if np.isinf(numbers).any():
            row = int(np.nonzero(np.isinf(numbers))[0][0]) + 1
            raise DatabaseError(f"metafeatures.parquet row {row}: {col} is infinite")
    for i, v in enumerate(mf["extractor_version"], start=1):
        _check_text(f"metafeatures.parquet row {i}", "extractor_version", v, required=True)


def _plain_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_)
    )


def _validate_folder(
    ds: pd.DataFrame, mf: pd.DataFrame, cfg: pd.DataFrame, st: pd.DataFrame
) -> None:
    """Check an exported folder's tables row by row before anything is written;
    raise :class:`DatabaseError` naming the first bad row."""
    for i, r in enumerate(ds.to_dict("records"), start=1):
        where = f"datasets.parquet row {i}"
        if not isinstance(r.get("content_hash"), str) or not _HASH.match(r["content_hash"]):
            raise DatabaseError(
                f"{where}: content_hash {r.get('content_hash')!r} is not 32 hex digits"
            )
        _check_text(where, "name", r.get("name"), required=True)
        for col in ("source", "corpus"):
            _check_text(where, col, r.get(col))
        _check_json(where, "fingerprint", r.get("fingerprint"), list)
        _check_json(where, "info", r.get("info"), dict)
        for col, low in (("n_rows", 1), ("n_cols", 1), ("n_classes", 0), ("n_original", 1)):
            v: Any = r.get(col)
            if _missing_value(v):
                if col in ("n_rows", "n_cols"):
                    raise DatabaseError(f"{where}: {col} is missing")
                continue
            if (
                isinstance(v, (bool, np.bool_, str))
                or not float(v).is_integer()
                or not low <= v <= MAX_COUNT
            ):
                raise DatabaseError(
                    f"{where}: {col}={v!r} must be a whole number from {low} to {MAX_COUNT}"
                )
    if ds["content_hash"].duplicated().any():
        raise DatabaseError("datasets.parquet: a content_hash appears twice")
    _validate_metafeatures(mf)
    orphans = set(mf["content_hash"]) - set(ds["content_hash"])
    if orphans:
        raise DatabaseError(
            f"metafeatures.parquet: {len(orphans)} row(s) for datasets not in datasets.parquet "
            f"(e.g. {sorted(orphans)[0]})"
        )
    for i, r in enumerate(cfg.to_dict("records"), start=1):
        if _missing_value(r["config"]):
            raise DatabaseError(f"configurations.parquet row {i}: config is missing")
        _check_json(f"configurations.parquet row {i}", "config", r["config"], dict)
    for i, r in enumerate(st.to_dict("records"), start=1):
        where = f"studies.parquet row {i}"
        _check_text(where, "name", r.get("name"), required=True)
        _check_text(where, "kind", r.get("kind"), required=True)
        _check_json(where, "provenance", r.get("provenance"), dict)


def _sweep_studies(studies: pd.DataFrame) -> set[str]:
    """Names of the studies that hold k-sweep runs."""
    from metarec.db.schema import SWEEP_KIND

    return set(studies.loc[studies["kind"] == SWEEP_KIND, "name"]) if len(studies) else set()


def _whole_sweeps(rf: pd.DataFrame, n_rows: Mapping[str, int], sweeps: set[str]) -> pd.DataFrame:
    """The runs less the k-sweep runs of datasets whose sweep is not finished (a
    dataset's sweep is whole when every configuration of its k sweep has a run)."""
    from metarec.space import config_hash, k_sweep

    is_sweep = rf["study"].isin(sweeps)
    have = rf.groupby("content_hash")["config_hash"].apply(set)
    partial = {
        h
        for h in set(rf.loc[is_sweep, "content_hash"])
        if not {config_hash(c) for c in k_sweep(int(n_rows[h]))} <= have[h]
    }
    return rf[~(is_sweep & rf["content_hash"].isin(partial))]


def _new_file(path: Path, write: Any) -> None:
    """Write ``path`` as a new file beside it, then rename it into place: a symlink
    (or hard link) at ``path`` is replaced, never written through."""
    import os

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _parquet(frame: pd.DataFrame, out: Path, name: str) -> None:
    _new_file(out / f"{name}.parquet", lambda tmp: frame.to_parquet(tmp, index=False))


#: Manifest entries an export redoes, and those of metarec 0.1's runs off the design.
_NOT_KEPT = (
    "counts",
    "runs_by_status",
    "schema_revision",
    "studies",
    "explore_runs",
    "search_runs",
)


def _kept_manifest(out: Path) -> dict[str, Any]:
    """What an earlier export's manifest says beyond the tables (backfills); the runs
    off the design that metarec 0.1 exported are no longer kept."""
    path = out / "manifest.json"
    if not path.is_file() or path.is_symlink():
        return {}  # (a link is not an earlier export's: it is replaced, not read)
    return {k: v for k, v in json.loads(path.read_text()).items() if k not in _NOT_KEPT}


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The ``manifest.json`` of an exported folder.

    Parameters
    ----------
    directory : path

    Returns
    -------
    dict

    Raises
    ------
    DatabaseError
        The folder holds no ``manifest.json``.
    """
    path = Path(directory) / "manifest.json"
    if not path.is_file():
        raise DatabaseError(f"{directory}: no manifest.json; not an exported meta-database")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = first_line(exc)
        raise DatabaseError(
            f"{path}: not a readable JSON manifest ({reason}); export the database again"
        ) from None
    if not isinstance(data, dict):
        raise DatabaseError(f"{path}: the manifest is not a JSON object; export it again")
    return data


def _read(directory: Path, name: str) -> pd.DataFrame:
    path = directory / f"{name}.parquet"
    if not path.is_file():
        raise DatabaseError(f"{directory}: {path.name} is missing; export the database again")
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError, TypeError) as exc:
        reason = first_line(exc)
        raise DatabaseError(f"{path}: cannot read ({reason})") from None
    for col in frame.columns:
        if frame[col].dtype == object and frame[col].map(_nested).any():
            raise DatabaseError(f"{path}: column {col!r} holds nested values; export it again")
    return frame


def _nested(value: Any) -> bool:
    return isinstance(value, (list, dict, tuple, np.ndarray))


def _checked_references(ds: pd.DataFrame, cfg: pd.DataFrame, rf: pd.DataFrame) -> list[Any]:
    """The folder's configurations, decoded, once every run refers to a dataset and a
    configuration of the folder and every configuration hashes to its key."""
    missing = set(rf["content_hash"]) - set(ds["content_hash"])
    if missing:
        raise DatabaseError(f"runs refer to {len(missing)} dataset(s) not in datasets.parquet")
    missing = set(rf["config_hash"]) - set(cfg["config_hash"])
    if missing:
        raise DatabaseError(f"runs refer to {len(missing)} configuration(s) not in the folder")
    configs = [json.loads(c) for c in cfg["config"]]
    try:
        from metarec.space import config_hash

        for h, c in zip(cfg["config_hash"], configs, strict=True):
            if config_hash(c) != h:
                raise DatabaseError(f"configuration {h} does not hash to its key")
    except MetarecError as exc:
        raise DatabaseError(f"configurations.parquet: {exc}") from None
    return configs


def import_tables(db: MetaDatabase, directory: str | Path) -> dict[str, int]:
    """Add an exported folder's content to ``db`` (idempotent, all or nothing).

    Returns how many runs were new. Runs referring to datasets or configurations
    absent from the folder are rejected before anything is written.

    Parameters
    ----------
    db : MetaDatabase
        Where to add the tables.
    directory : path
        A folder written by :func:`export_tables`.

    Returns
    -------
    dict
        ``runs_new``, ``runs`` and ``datasets``.

    Raises
    ------
    DatabaseError
        A table is missing or unreadable, or a row does not validate.
    """
    src = Path(directory)
    if not src.is_dir():
        raise DatabaseError(f"{src}: no such folder (missing); check the path")
    read_manifest(src)  # an exported folder has one, and it reads
    ds = _read(src, "datasets")
    mf = _read(src, "metafeatures")
    cfg = _read(src, "configurations")
    st = _read(src, "studies")
    rf = _read(src, "runs")
    for name, table in (
        ("datasets", ds),
        ("metafeatures", mf),
        ("configurations", cfg),
        ("studies", st),
        ("runs", rf),
    ):
        _check_columns(name, table)
    _validate_folder(ds, mf, cfg, st)
    configs = _checked_references(ds, cfg, rf)
    from metarec.db.ingest import IngestError, validate_run

    records = [{str(k): v for k, v in r.items()} for r in rf.to_dict("records")]
    try:
        checked = [validate_run(r, f"runs.parquet row {i + 1}") for i, r in enumerate(records)]
    except IngestError as exc:
        raise DatabaseError(f"{src}: {exc}") from None
    with db.transaction() as conn:
        insert = db._insert
        rows = [
            {str(k): _clean(v) for k, v in r.items()}
            for r in ds.replace({np.nan: None}).to_dict("records")
        ]
        if rows:
            conn.execute(insert(datasets_table).on_conflict_do_nothing(), rows)
        ids = dict(
            conn.execute(
                datasets_table.select().with_only_columns(
                    datasets_table.c.content_hash, datasets_table.c.id
                )
            ).all()
        )
        feature_cols = [c for c in mf.columns if c not in ("content_hash", "extractor_version")]
        mrows = [
            {
                "dataset_id": ids[r["content_hash"]],
                "extractor_version": r["extractor_version"],
                "vector": json.dumps({c: _clean(r[c]) for c in feature_cols}),
            }
            for r in mf.to_dict("records")
        ]
        if mrows:
            conn.execute(insert(metafeatures_table).on_conflict_do_nothing(), mrows)
        cfg_ids = db.add_configurations(configs, conn=conn)
        study_ids = {
            r["name"]: db.add_study(
                r["name"], r["kind"], json.loads(r["provenance"] or "{}"), conn=conn
            )
            for r in st.to_dict("records")
        }
        run_rows = []
        for r, fields in zip(records, checked, strict=True):
            row = {f: fields.get(f) for f in RUN_FIELDS}
            row["dataset_id"] = ids[r["content_hash"]]
            row["config_id"] = cfg_ids[r["config_hash"]]
            study = r.get("study")
            row["study_id"] = study_ids.get(study) if isinstance(study, str) else None
            run_rows.append(row)
        new = db.add_runs(run_rows, conn=conn)
    return {"runs_new": new, "runs": len(run_rows), "datasets": len(ds)}
