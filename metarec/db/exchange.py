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
from metarec.exceptions import MetarecError

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
        keeps what it says beyond the tables (explore runs, backfills), and its
        ``explore_runs.parquet`` is cut to the datasets exported.
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
    ds.drop(columns=["id", "created_at"]).sort_values("content_hash").to_parquet(
        out / "datasets.parquet", index=False
    )
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
    wide.to_parquet(out / "metafeatures.parquet", index=False)
    cfg = db.table("configurations").drop(columns=["id"]).sort_values("config_hash")
    cfg.to_parquet(out / "configurations.parquet", index=False)
    st = db.table("studies").drop(columns=["id", "created_at"]).sort_values("name")
    # a database written before passwords were masked: mask them on the way out
    st["provenance"] = [None if p is None else redact(str(p)) for p in st["provenance"]]
    st.to_parquet(out / "studies.parquet", index=False)
    rf = db.runs_frame().sort_values(["content_hash", "config_hash", "seed"])
    rf = rf[rf["content_hash"].isin(set(ds["content_hash"]))]
    if only is not None:
        rf = _whole_sweeps(
            rf, dict(zip(ds["content_hash"], ds["n_rows"], strict=True)), _sweep_studies(st)
        )
    rf.to_parquet(out / "runs.parquet", index=False)
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
    previous = _kept_manifest(out, set(ds["content_hash"]))
    info = {
        **previous,
        **(manifest or {}),
        "counts": counts,
        "runs_by_status": rf["status"].value_counts().to_dict() if len(rf) else {},
        "schema_revision": db.revision(),
        "studies": studies_info,
    }
    (out / "manifest.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
    return counts


_HASH = re.compile(r"^[0-9a-f]{32}$")


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
        for col, low in (("n_rows", 1), ("n_cols", 1), ("n_classes", 0), ("n_original", 1)):
            v = r.get(col)
            if v is None or (isinstance(v, float) and math.isnan(v)):
                if col in ("n_rows", "n_cols"):
                    raise DatabaseError(f"{where}: {col} is missing")
                continue
            if not float(v).is_integer() or v < low:
                raise DatabaseError(f"{where}: {col}={v!r} must be an integer of at least {low}")
    orphans = set(mf["content_hash"]) - set(ds["content_hash"])
    if orphans:
        raise DatabaseError(
            f"metafeatures.parquet: {len(orphans)} row(s) for datasets not in datasets.parquet "
            f"(e.g. {sorted(orphans)[0]})"
        )
    for name, table, column in (("configurations", cfg, "config"), ("studies", st, "provenance")):
        for i, text_ in enumerate(table[column], start=1):
            if text_ is None or (isinstance(text_, float) and math.isnan(text_)):
                continue
            try:
                json.loads(text_)
            except (TypeError, ValueError, RecursionError):
                raise DatabaseError(f"{name}.parquet row {i}: {column} is not valid JSON") from None


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


def _kept_manifest(out: Path, hashes: set[str]) -> dict[str, Any]:
    """What an earlier export's manifest says beyond the tables (explore runs, backfills),
    with ``explore_runs.parquet`` cut to the datasets now exported and its counts redone."""
    path = out / "manifest.json"
    if not path.is_file():
        return {}
    old = {
        k: v
        for k, v in json.loads(path.read_text()).items()
        if k not in ("counts", "runs_by_status", "schema_revision", "studies")
    }
    explore = out / "explore_runs.parquet"
    if explore.is_file():
        runs = pd.read_parquet(explore)
        runs = runs[runs["content_hash"].isin(hashes)].reset_index(drop=True)
        runs.to_parquet(explore, index=False)
        for key, source in (("explore_runs", "random"), ("search_runs", "search")):
            part = runs[runs["source"] == source]
            if key in old:
                old[key]["runs"] = len(part)
                old[key]["ok_runs"] = int((part["status"] == "ok").sum())
                old[key]["datasets"] = int(part["content_hash"].nunique())
    return old


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
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _read(directory: Path, name: str) -> pd.DataFrame:
    path = directory / f"{name}.parquet"
    if not path.is_file():
        raise DatabaseError(f"{directory}: {path.name} is missing; export the database again")
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise DatabaseError(f"{path}: cannot read ({exc})") from None


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
    ds = _read(src, "datasets")
    mf = _read(src, "metafeatures")
    cfg = _read(src, "configurations")
    st = _read(src, "studies")
    rf = _read(src, "runs")
    _validate_folder(ds, mf, cfg, st)
    known_ds, known_cfg = set(ds["content_hash"]), set(cfg["config_hash"])
    missing = set(rf["content_hash"]) - known_ds
    if missing:
        raise DatabaseError(f"runs refer to {len(missing)} dataset(s) not in datasets.parquet")
    missing = set(rf["config_hash"]) - known_cfg
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
