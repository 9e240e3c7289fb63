"""Grow a meta-database from runs made elsewhere: run files, Optuna studies, OpenML.

Every ingest validates its whole input before it writes anything, then writes
in one transaction: a malformed file, a configuration outside the search space,
a score out of range or a dataset whose content hash conflicts is rejected with
a message naming the row, and the database is left exactly as it was. Writes are
idempotent on the natural keys, so ingesting the same runs twice (or from two
processes at once) stores each run once.

A runs file (CSV or Parquet) has one row per run:

``dataset``
    A dataset reference :func:`metarec.load_dataset` resolves (``sklearn:iris``,
    a file path, ``openml:61``, ...); or ``content_hash`` of a dataset already in
    the database; or both, and then they must agree.
``config`` or ``algorithm`` + ``params``
    The configuration as JSON (``{"algorithm": ..., "params": {...}}``), or the
    algorithm's name and its parameters as a JSON object.
``seed``, ``status`` (optional)
    Default 0 and ``ok``.
scores (optional)
    Any of ``ari, ami, nmi, silhouette, calinski_harabasz, davies_bouldin, dbcv``,
    and ``n_clusters``, ``noise_fraction``, ``size_entropy``, ``largest_fraction``,
    ``smallest_fraction``, ``fit_time``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metarec.dataset import Dataset
from metarec.db.schema import NEIGHBOUR_ATTR, SCORE_COLUMNS, TRIAL_MEASURES
from metarec.db.store import RUN_FIELDS, RUN_STATUSES, MetaDatabase
from metarec.exceptions import MetarecError, first_line
from metarec.scoring import SIZES
from metarec.space import ConfigError, canonicalize, config_hash, from_optuna_params

__all__ = [
    "IngestError",
    "IngestReport",
    "ingest_openml",
    "ingest_runs",
    "ingest_runs_file",
    "ingest_study",
    "validate_run",
]

#: Valid range of every numeric run field (inclusive).
RANGES: dict[str, tuple[float, float]] = {
    "ari": (-1.0, 1.0),
    "ami": (-1.0, 1.0),
    "nmi": (0.0, 1.0),
    "silhouette": (-1.0, 1.0),
    "calinski_harabasz": (0.0, math.inf),
    "davies_bouldin": (0.0, math.inf),
    "dbcv": (-1.0, 1.0),
    "n_clusters": (0.0, math.inf),
    "noise_fraction": (0.0, 1.0),
    **dict.fromkeys(SIZES, (0.0, 1.0)),
    "fit_time": (0.0, math.inf),
    "seed": (0.0, 2.0**31 - 1),
}
_TOLERANCE = 1e-9


class IngestError(MetarecError, ValueError):
    """The input of an ingest is invalid; nothing was written."""


@dataclass
class IngestReport:
    """What an ingest stored."""

    source: str
    study: str
    datasets_new: int = 0
    datasets_known: int = 0
    configurations: int = 0
    runs_new: int = 0
    runs_known: int = 0
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable summary."""
        out = [
            f"ingested {self.source} as study {self.study!r}",
            f"datasets: {self.datasets_new} new, {self.datasets_known} already stored",
            f"runs: {self.runs_new} new, {self.runs_known} already stored "
            f"({self.configurations} configurations)",
        ]
        return out + [f"skipped: {s}" for s in self.skipped]


# ------------------------------------------------------------------ validation
def validate_run(row: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Check and clean a run's fields (status, seed, scores); raise :class:`IngestError`.

    Missing scores stay ``None``; ``where`` names the row in the message.

    Parameters
    ----------
    row : mapping
        A run's fields as read.
    where : str
        Names the row in error messages ("runs.csv row 3").

    Returns
    -------
    dict
        The cleaned fields of :data:`~metarec.db.store.RUN_FIELDS`.
    """
    status = row.get("status", "ok")
    status = "ok" if _missing(status) else str(status)
    if status not in RUN_STATUSES:
        raise IngestError(f"{where}: status {status!r} is not one of {', '.join(RUN_STATUSES)}")
    out: dict[str, Any] = {"status": status, "error": None}
    for name in RUN_FIELDS:
        if name in ("status", "error"):
            continue
        value: Any = row.get(name)
        if _missing(value):
            out[name] = 0 if name == "seed" else None
            continue
        if isinstance(value, (bool, np.bool_)):
            raise IngestError(f"{where}: {name}={value!r} is a truth value, not a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise IngestError(f"{where}: {name}={value!r} is not a number") from None
        if math.isnan(number):  # "nan", "NaN", "NAN": written as missing
            out[name] = 0 if name == "seed" else None
            continue
        low, high = RANGES[name]
        if not math.isfinite(number) or not low - _TOLERANCE <= number <= high + _TOLERANCE:
            raise IngestError(f"{where}: {name}={value!r} is outside [{low:g}, {high:g}]")
        if name in ("seed", "n_clusters"):
            if number != int(number):
                raise IngestError(f"{where}: {name}={value!r} must be an integer")
            number = int(number)
        out[name] = number
    error = row.get("error")
    if not _missing(error):
        out["error"] = str(error)
    return out


#: The columns a runs file may have (see the module docstring).
RUN_COLUMNS = ("dataset", "content_hash", "config", "algorithm", "params", *RUN_FIELDS)


def _check_columns(columns: Iterable[Any], source: str) -> None:
    """Refuse a column that is not a runs column (a misspelled score would be stored
    as missing), naming the nearest known name."""
    import difflib
    import unicodedata

    for col in columns:
        name = str(col)
        if name in RUN_COLUMNS:
            continue
        plain = unicodedata.normalize("NFKC", name).strip().lower()
        plain = "".join(ch for ch in plain if unicodedata.category(ch) != "Cf")  # zero-width
        near = difflib.get_close_matches(plain, RUN_COLUMNS, n=1, cutoff=0.6)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise IngestError(
            f"{source}: unknown column {name!r}{hint} (runs columns: {', '.join(RUN_COLUMNS)})"
        )


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _json(text: str, where: str) -> Any:
    """JSON text of a cell, refusing what is too deeply nested to be a configuration."""
    try:
        return json.loads(text)
    except RecursionError:
        raise IngestError(f"{where}: the configuration is nested too deeply") from None


def _config_of(row: Mapping[str, Any], where: str) -> dict[str, Any]:
    raw = row.get("config")
    config: Any
    try:
        if not _missing(raw):
            config = _json(raw, where) if isinstance(raw, str) else raw
        elif not _missing(row.get("algorithm")):
            params = row.get("params")
            params = {} if _missing(params) else params
            params = _json(params, where) if isinstance(params, str) else params
            config = {"algorithm": row["algorithm"], "params": params}
        else:
            raise IngestError(f"{where}: no configuration; give a config or an algorithm column")
        return canonicalize(config)
    except json.JSONDecodeError as exc:
        raise IngestError(f"{where}: the configuration is not valid JSON ({exc.msg})") from None
    except ConfigError as exc:
        raise IngestError(f"{where}: configuration outside the search space: {exc}") from None
    except (TypeError, AttributeError):
        raise IngestError(f"{where}: not a configuration: {raw!r}") from None


# ------------------------------------------------------------------ datasets
class _Datasets:
    """Resolves dataset references once each, checking hashes against the database."""

    def __init__(self, db: MetaDatabase, data_root: str | None, random_state: int) -> None:
        self.data_root = data_root
        self.random_state = random_state
        self.stored = db.table("datasets")[["content_hash", "name", "source", "n_original"]]
        self.known = set(self.stored["content_hash"])
        self.loaded: dict[str, Dataset] = {}
        self.new: dict[str, Dataset] = {}

    def resolve(self, reference: Any, content_hash: Any, where: str) -> str:
        """Content hash of the dataset a row names (loading it when needed)."""
        given = None if _missing(content_hash) else str(content_hash)
        if _missing(reference):
            if given is None:
                raise IngestError(f"{where}: no dataset; give a dataset or content_hash column")
            if given not in self.known and given not in self.new:
                raise IngestError(
                    f"{where}: dataset {given} is not in the database; add a dataset column "
                    "that loads it"
                )
            return given
        ds = self._load(str(reference), where)
        if given is not None and given != ds.content_hash:
            raise IngestError(
                f"{where}: dataset {reference!r} has content hash {ds.content_hash}, "
                f"not the {given} given; the data changed since the runs were made"
            )
        return self.add(ds, where)

    def add(self, ds: Dataset, where: str) -> str:
        """Register a dataset (new ones are written with the runs)."""
        h = ds.content_hash
        if h in self.known or h in self.new:
            return h
        same_source = self.stored[self.stored["source"] == ds.source]
        clash = same_source[
            (same_source["content_hash"] != h)
            # a stored subsample of this very data is not a clash
            & (same_source["n_original"].fillna(-1) != ds.shape[0])
        ]
        if ds.source != "memory" and len(clash):
            raise IngestError(
                f"{where}: the database holds {ds.source!r} with content hash "
                f"{clash['content_hash'].iloc[0]}, but it now loads as {h}; "
                "load the new version under another name"
            )
        self.new[h] = ds
        return h

    def _load(self, reference: str, where: str) -> Dataset:
        if reference not in self.loaded:
            from metarec.io import load_dataset

            try:
                self.loaded[reference] = load_dataset(reference, data_root=self.data_root)
            except MetarecError as exc:
                raise IngestError(f"{where}: cannot load dataset {reference!r}: {exc}") from None
        return self.loaded[reference]


# ------------------------------------------------------------------ writing
def _write(
    db: MetaDatabase,
    datasets: _Datasets,
    runs: Sequence[tuple[str, dict[str, Any], dict[str, Any]]],
    report: IngestReport,
    provenance: Mapping[str, Any],
) -> IngestReport:
    """Store new datasets, configurations, the study and the runs in one transaction."""
    from metarec.metafeatures import extract_metafeatures

    vectors = {
        h: extract_metafeatures(ds, random_state=datasets.random_state)
        for h, ds in datasets.new.items()
    }
    configs = {config_hash(c): c for _, c, _ in runs}
    from sqlalchemy import select

    from metarec.db.schema import studies

    with db.transaction() as conn:
        added = {h: db.insert_dataset(ds, vectors[h], conn=conn) for h, ds in datasets.new.items()}
        ids = {h: i for h, (i, _) in added.items()}
        new_datasets = sum(new for _, new in added.values())  # not those a concurrent ingest added
        for h in {h for h, _, _ in runs} - set(ids):
            ids[h] = _dataset_id(h, conn)
        config_ids = db.add_configurations(configs.values(), conn=conn)
        study_existed = (
            conn.execute(select(studies.c.id).where(studies.c.name == report.study)).first()
            is not None
        )
        study_id = db.add_study(report.study, "ingest", provenance, conn=conn)
        rows = [
            {
                **fields,
                "dataset_id": ids[h],
                "config_id": config_ids[config_hash(c)],
                "study_id": study_id,
            }
            for h, c, fields in runs
        ]
        report.runs_new = db.add_runs(rows, conn=conn)
        if not report.runs_new and not new_datasets and not study_existed:
            # an ingest that added nothing leaves no study behind
            conn.execute(studies.delete().where(studies.c.id == study_id))
    report.datasets_new = int(new_datasets)
    report.datasets_known = max(0, len({h for h, _, _ in runs}) - report.datasets_new)
    report.configurations = len(configs)
    report.runs_known = len(rows) - report.runs_new
    return report


def _dataset_id(content_hash: str, conn: Any) -> int:
    from sqlalchemy import select

    from metarec.db.schema import datasets

    return int(
        conn.execute(
            select(datasets.c.id).where(datasets.c.content_hash == content_hash)
        ).scalar_one()
    )


def _dedupe(
    runs: Iterable[tuple[str, dict[str, Any], dict[str, Any]]], report: IngestReport
) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    seen: set[tuple[str, str, int]] = set()
    out = []
    repeats = 0
    for h, c, fields in runs:
        key = (h, config_hash(c), int(fields["seed"]))
        if key in seen:
            repeats += 1
            continue
        seen.add(key)
        out.append((h, c, fields))
    if repeats:
        report.skipped.append(f"{repeats} repeated (dataset, configuration, seed) runs")
    return out


# ------------------------------------------------------------------ sources
def ingest_runs(
    db: MetaDatabase,
    frame: pd.DataFrame,
    *,
    study: str,
    source: str = "runs",
    data_root: str | None = None,
    random_state: int = 0,
) -> IngestReport:
    """Validate a table of runs (see the module docstring) and store it, all or nothing.

    Parameters
    ----------
    db : MetaDatabase
        Where the runs go.
    frame : DataFrame
        One row per run.
    study : str
        Name the runs are recorded under (an existing study name is reused).
    source : str
        What the rows came from, for messages and provenance.
    data_root : str, optional
        Corpus root for dataset references.
    random_state : int
        Seed of the meta-feature extraction of new datasets.

    Raises
    ------
    IngestError
        Naming the first bad row; nothing is written.
    """
    if frame.empty:
        raise IngestError(f"{source}: no runs to ingest")
    if not {"dataset", "content_hash"} & set(frame.columns):
        raise IngestError(f"{source}: no dataset column; give dataset and/or content_hash")
    if not {"config", "algorithm"} & set(frame.columns):
        raise IngestError(f"{source}: no configuration column; give config or algorithm")
    _check_columns(frame.columns, source)
    datasets = _Datasets(db, data_root, random_state)
    runs = []
    records = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
    for i, row in enumerate(records):
        where = f"{source} row {i + 1}"
        h = datasets.resolve(row.get("dataset"), row.get("content_hash"), where)
        runs.append((h, _config_of(row, where), validate_run(row, where)))
    report = IngestReport(source=source, study=study)
    provenance = {"source": source, "rows": len(frame)}
    return _write(db, datasets, _dedupe(runs, report), report, provenance)


def read_runs_file(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file of runs, raising :class:`IngestError` when unreadable."""
    p = Path(path)
    if not p.is_file():
        raise IngestError(f"{p}: no such file")
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(p)
        if p.suffix.lower() in (".csv", ".tsv", ".txt"):
            return pd.read_csv(p, sep="\t" if p.suffix.lower() == ".tsv" else ",")
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        first = first_line(exc)
        raise IngestError(f"{p}: not a readable runs file ({first})") from None
    raise IngestError(f"{p}: runs files are .csv, .tsv or .parquet")


def ingest_runs_file(
    db: MetaDatabase,
    path: str | Path,
    *,
    study: str | None = None,
    data_root: str | None = None,
    random_state: int = 0,
) -> IngestReport:
    """:func:`ingest_runs` of a CSV/TSV/Parquet file (study name: ``ingest:<file name>``).

    Parameters
    ----------
    db : MetaDatabase
    path : path
        The runs file.
    study : str, optional
    data_root : str, optional
        Folder of the corpora that dataset names refer to.
    random_state : int, default=0

    Returns
    -------
    IngestReport
    """
    frame = read_runs_file(path)
    return ingest_runs(
        db,
        frame,
        study=study or f"ingest:{Path(path).name}",
        source=str(path),
        data_root=data_root,
        random_state=random_state,
    )


def ingest_study(
    db: MetaDatabase,
    study: Any,
    dataset: Any = None,
    *,
    name: str | None = None,
    data_root: str | None = None,
    random_state: int = 0,
) -> IngestReport:
    """Store the finished trials of an Optuna study as runs on its dataset.

    Parameters
    ----------
    db : MetaDatabase
        Where the runs go.
    study : optuna.Study
        A study made by :func:`metarec.tune` (its dataset is recorded in it) or a
        user's own study over metarec's space (:func:`metarec.space.suggest_config`
        parameter names); scores are read from the trials' user attributes, the
        objective value stands in for the score it names.
    dataset : Dataset, name or path, optional
        The data the study ran on; by default the one the study records.
    name : str, optional
        Study name in the meta-database (default ``optuna:<study name>``).

    Raises
    ------
    IngestError
        No dataset, a dataset that does not match the one recorded, or a trial
        outside the space; nothing is written.
    """
    import optuna

    attrs = study.user_attrs
    source = f"optuna study {study.study_name!r}"
    datasets = _Datasets(db, data_root, random_state)
    recorded = attrs.get("content_hash")
    if dataset is None:
        if not attrs.get("dataset_source"):
            raise IngestError(f"{source} does not record its dataset; pass the dataset")
        dataset = attrs["dataset_source"]
    from metarec.io import as_dataset

    kwargs: dict[str, Any] = {}
    if isinstance(dataset, str):
        kwargs["data_root"] = data_root
        if "label_column" in attrs and dataset == attrs.get("dataset_source"):
            kwargs["target"] = attrs["label_column"] or False  # as the study loaded it
    try:
        ds = as_dataset(dataset, **kwargs)
    except MetarecError as exc:
        raise IngestError(f"{source}: cannot load its dataset: {exc}") from None
    if recorded and ds.content_hash != recorded:
        raise IngestError(
            f"{source} ran on a dataset with content hash {recorded}, but {ds.name!r} has "
            f"{ds.content_hash}; pass the data the study ran on"
        )
    h = datasets.add(ds, source)
    seed = int(attrs.get("seed", 0))
    objective = attrs.get("objective")
    report = IngestReport(source=source, study=name or f"optuna:{study.study_name}")
    runs = []
    unfinished = fed = 0
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL)
    for t in study.get_trials(deepcopy=False):
        if NEIGHBOUR_ATTR in t.user_attrs:  # ran on another dataset
            fed += 1
            continue
        if t.state not in finished:
            unfinished += 1
            continue
        where = f"{source} trial {t.number}"
        config = t.user_attrs.get("config")
        try:
            config = canonicalize(config) if config else from_optuna_params(t.params)
        except (ConfigError, KeyError) as exc:
            raise IngestError(f"{where}: configuration outside the search space: {exc}") from None
        fields = {k: t.user_attrs.get(k) for k in (*TRIAL_MEASURES, "error")}
        if objective in SCORE_COLUMNS and fields[objective] is None and t.value is not None:
            fields[objective] = t.value
        status = t.user_attrs.get("status")
        fields["status"] = status or (
            "ok" if t.state == optuna.trial.TrialState.COMPLETE else "failed"
        )
        fields["seed"] = seed
        runs.append((h, config, validate_run(fields, where)))
    if unfinished:
        report.skipped.append(f"{unfinished} trials not finished (running, waiting or pruned)")
    if fed:
        report.skipped.append(f"{fed} trials fed from neighbouring datasets (not run on this one)")
    if not runs:
        raise IngestError(f"{source}: no finished trial to ingest")
    provenance = {"source": source, "objective": objective, "trials": len(study.trials) - fed}
    return _write(db, datasets, _dedupe(runs, report), report, provenance)


def ingest_openml(
    db: MetaDatabase,
    ids: Sequence[int] = (),
    *,
    tag: str | None = None,
    suite: str | int | None = None,
    with_runs: bool = False,
    settings: Any = None,
    workers: int = 2,
    progress: bool = True,
) -> tuple[Any, list[str]]:
    """Add OpenML datasets (by id, tag or benchmark suite) and run the design on them.

    Datasets are downloaded with the ``openml`` client (its cache serves them
    offline), described by metarec's meta-features with OpenML's qualities kept
    beside them, and evaluated by :func:`metarec.db.builder.build` (resumable).
    With ``with_runs``, the configurations of OpenML's own clustering runs on
    these datasets that map onto metarec's space are run and stored too.

    Returns
    -------
    summary : BuildSummary
    problems : list of str
        What could not be fetched or mapped, one line each.

    Parameters
    ----------
    db : MetaDatabase
    ids : sequence of int
    tag, suite : optional
        An OpenML tag or benchmark suite whose datasets to add too.
    with_runs : bool, default=False
        Also run the configurations of OpenML's own clustering runs.
    settings : BuildSettings, optional
    workers : int, default=2
    progress : bool, default=True

    Returns
    -------
    BuildSummary, list of str
        The build's summary and what could not be fetched.
    """
    from metarec.db.builder import BuildSettings, build
    from metarec.io.openml_loader import openml_clustering_configs, openml_dataset_ids

    problems: list[str] = []
    found = list(ids)
    if tag is not None or suite is not None:
        listed, why = openml_dataset_ids(tag=tag, suite=suite)
        found += listed
        problems += why
    found = list(dict.fromkeys(int(i) for i in found))
    if not found:
        raise IngestError("no OpenML dataset to ingest: " + ("; ".join(problems) or "give ids"))
    settings = settings or BuildSettings()
    names = [f"openml:{i}" for i in found]
    extra: dict[str, list[dict[str, Any]]] = {}
    if with_runs:
        for did in found:
            configs, why = openml_clustering_configs(did)
            problems += why
            if configs:
                extra[f"openml:{did}"] = configs
    summary = build(
        db, names, settings, workers=workers, study="openml", progress=progress, extra=extra
    )
    problems += summary.failed_datasets
    return summary, problems
