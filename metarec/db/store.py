"""The meta-database: SQLite by default, PostgreSQL by URL, schema under Alembic.

Writes are idempotent (``INSERT ... ON CONFLICT DO NOTHING`` on the natural
keys) and transactional: a batch of runs lands whole or not at all, so a
process killed mid-way leaves no partial record and re-ingesting is a no-op.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from metarec.config import DB_ENV, default_url, redact
from metarec.dataset import Dataset
from metarec.db.schema import (
    SCORE_COLUMNS,
    artifacts,
    configurations,
    datasets,
    metafeatures,
    runs,
    studies,
)
from metarec.exceptions import MetarecError
from metarec.scoring import SIZES
from metarec.space import canonicalize, config_hash

__all__ = ["DB_ENV", "DatabaseError", "MetaDatabase", "default_url"]

RUN_STATUSES = ("ok", "failed", "timeout")
RUN_FIELDS = (
    "seed",
    "status",
    "error",
    *SCORE_COLUMNS,
    "n_clusters",
    "noise_fraction",
    *SIZES,
    "fit_time",
)


class DatabaseError(MetarecError):
    """The meta-database cannot be opened, migrated or written."""


def _normalize_url(url: str | os.PathLike[str]) -> str:
    url = os.fspath(url)
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if "://" not in url:  # a bare path
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def _clean(value: Any) -> Any:
    """JSON/SQL-friendly scalar: NaN and inf become None, numpy scalars Python ones."""
    if value is None:
        return None
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, (np.integer,)):
        return int(value)
    return value


def _reason(exc: BaseException) -> str:
    """The first line of a driver's error (the SQLAlchemy wrapper's own text left out),
    any password masked."""
    inner = getattr(exc, "orig", None) or exc
    lines = str(inner).strip().splitlines()
    return redact(lines[0] if lines else type(inner).__name__)


class MetaDatabase:
    """Connection to a meta-database, with the schema brought to the newest revision.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL (``sqlite:///path``, ``postgresql://user@host/db``) or a file
        path; default :func:`default_url`.
    create : bool, default=True
        Create or migrate the schema when needed; ``False`` opens an existing
        database only (a SQLite file that does not exist, or holds no metarec
        schema, is a :class:`DatabaseError`, and nothing is created).
    """

    def __init__(self, url: str | os.PathLike[str] | None = None, *, create: bool = True) -> None:
        self.url = _normalize_url(url or default_url())
        #: The URL with any password masked: what messages and records show.
        self.display_url = redact(self.url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            path = self.url.split("///", 1)[1] if "///" in self.url else ""
            self._path: Path | None = Path(path) if path and path != ":memory:" else None
            if self._path is not None and not create and not self._path.is_file():
                raise DatabaseError(
                    f"no database at {self._path}: check the path, or create one with "
                    "`metarec db build` or `metarec ingest`"
                )
            if self._path is not None and self.url == _normalize_url(default_url()):
                # the per-user folder, made on first use
                self._path.parent.mkdir(parents=True, exist_ok=True)
            elif self._path is not None and not self._path.parent.is_dir():
                raise DatabaseError(
                    f"no folder {self._path.parent} for the database: check the path, "
                    "or create the folder first"
                )
        else:
            self._path = None
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 120, "check_same_thread": False}
            if self._path is None:  # in memory: one shared connection
                from sqlalchemy.pool import StaticPool

                kwargs["poolclass"] = StaticPool
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: Engine = create_engine(self.url, **kwargs)
        except (SQLAlchemyError, ImportError) as exc:
            raise DatabaseError(
                f"cannot open the database {self.display_url}: {redact(str(exc))}"
            ) from None
        if self.is_sqlite:
            _sqlite_pragmas(self.engine)
        if create:
            self.ensure_schema()
            return
        try:
            revision = self.revision()
        except SQLAlchemyError as exc:
            raise DatabaseError(
                f"cannot read the database {self.display_url}: {_reason(exc)}; "
                "check the URL, the server and the password"
            ) from None
        if revision is None:
            raise DatabaseError(
                f"{self.display_url} is not a metarec database (no schema); check the URL, "
                "or create one with `metarec db build` or `metarec ingest`"
            )

    # ---------------------------------------------------------------- schema
    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Serialise schema work between processes sharing one SQLite file.

        Taken before the first connection is opened, so the switch to WAL mode and
        the migration never race another process's writes (SQLite answers such
        lock upgrades with an immediate "database is locked").
        """
        if self._path is None:
            yield
            return
        lock_path = self._path.with_name(self._path.name + ".lock")
        with open(lock_path, "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def ensure_schema(self) -> None:
        """Create or upgrade the schema to the newest Alembic revision."""
        from alembic import command
        from alembic.config import Config

        script_location = str(resources.files("metarec.db") / "migrations")
        try:
            with self._file_lock(), self.engine.begin() as conn:
                if not self.is_sqlite:
                    conn.execute(text("SELECT pg_advisory_xact_lock(745021)"))
                cfg = Config()
                cfg.set_main_option("script_location", script_location)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except SQLAlchemyError as exc:
            raise DatabaseError(
                f"cannot create the schema in {self.display_url}: {redact(str(exc))}"
            ) from None

    def revision(self) -> str | None:
        """The schema's Alembic revision."""
        with self.engine.connect() as conn:
            try:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except SQLAlchemyError:
                return None

    # ---------------------------------------------------------------- writes
    def _insert(self, table: Any) -> Any:
        return (sqlite.insert if self.is_sqlite else postgresql.insert)(table)

    def add_dataset(
        self,
        dataset: Dataset,
        vector: pd.Series | None = None,
        *,
        corpus: str | None = None,
        conn: Connection | None = None,
    ) -> int:
        """Insert a dataset (no-op when its content hash is known) and its meta-features."""
        return self.insert_dataset(dataset, vector, corpus=corpus, conn=conn)[0]

    def insert_dataset(
        self,
        dataset: Dataset,
        vector: pd.Series | None = None,
        *,
        corpus: str | None = None,
        conn: Connection | None = None,
    ) -> tuple[int, bool]:
        """:meth:`add_dataset`, also saying whether this call inserted it (False when
        its content hash was stored already, by anyone, concurrent writers included).

        Parameters
        ----------
        dataset : Dataset
        vector : Series, optional
            Its meta-features.
        corpus : str, optional
        conn : Connection, optional
            A transaction to write in.

        Returns
        -------
        tuple of (int, bool)
            The dataset's id and whether it is new.
        """
        info = {k: v for k, v in dataset.metadata.items() if k != "description"}
        if dataset.qualities:  # the source's own meta-features (OpenML), kept beside ours
            info["openml_qualities"] = dataset.qualities
        row = {
            "content_hash": dataset.content_hash,
            "name": dataset.name[:255],
            "source": dataset.source[:512],
            "corpus": corpus or dataset.metadata.get("corpus"),
            "n_rows": dataset.shape[0],
            "n_cols": dataset.shape[1],
            "n_original": dataset.n_original,
            "n_classes": dataset.n_classes,
            "fingerprint": json.dumps(np.round(dataset.fingerprint, 6).tolist()),
            "info": json.dumps(info, default=str),
        }
        with self._begin(conn) as c:
            stmt = self._insert(datasets).on_conflict_do_nothing().returning(datasets.c.id)
            inserted = c.execute(stmt, row).first()  # a row only when this call inserted it
            dataset_id = int(
                c.execute(
                    select(datasets.c.id).where(datasets.c.content_hash == dataset.content_hash)
                ).scalar_one()
            )
            if vector is not None:
                self.add_metafeatures(dataset_id, vector, conn=c)
        return dataset_id, inserted is not None

    def annotate_dataset(
        self, content_hash: str, fields: Mapping[str, Any], *, conn: Connection | None = None
    ) -> None:
        """Merge ``fields`` into a stored dataset's ``info``; ``aliases`` lists are united.

        Aliases are the other names and sources under which the same data (an exact
        or near-duplicate) was met: the dataset is stored once, every name kept.
        """
        with self._begin(conn) as c:
            row = c.execute(
                select(datasets.c.id, datasets.c.info).where(
                    datasets.c.content_hash == content_hash
                )
            ).first()
            if row is None:
                raise DatabaseError(
                    f"no dataset with content hash {content_hash} in {self.display_url}"
                )
            info = json.loads(row.info or "{}")
            for key, value in fields.items():
                if key == "aliases":
                    known = info.setdefault("aliases", [])
                    known += [a for a in value if a not in known]
                else:
                    info[key] = value
            c.execute(
                datasets.update()
                .where(datasets.c.id == row.id)
                .values(info=json.dumps(info, default=str))
            )

    def remove_dataset(self, content_hash: str, *, conn: Connection | None = None) -> int:
        """Delete a dataset with its meta-features and runs; return how many runs went."""
        with self._begin(conn) as c:
            dataset_id = c.execute(
                select(datasets.c.id).where(datasets.c.content_hash == content_hash)
            ).scalar()
            if dataset_id is None:
                return 0
            gone = c.execute(runs.delete().where(runs.c.dataset_id == dataset_id)).rowcount
            c.execute(metafeatures.delete().where(metafeatures.c.dataset_id == dataset_id))
            c.execute(datasets.delete().where(datasets.c.id == dataset_id))
        return int(gone or 0)

    def add_metafeatures(
        self, dataset_id: int, vector: pd.Series, *, conn: Connection | None = None
    ) -> None:
        """Store a meta-feature vector under its extractor version (no-op if present)."""
        version = str(vector.attrs.get("extractor_version", "unknown"))
        payload = json.dumps({str(k): _clean(v) for k, v in vector.items()})
        row = {"dataset_id": dataset_id, "extractor_version": version, "vector": payload}
        with self._begin(conn) as c:
            c.execute(self._insert(metafeatures).on_conflict_do_nothing(), [row])

    def add_configurations(
        self, configs: Iterable[Mapping[str, Any]], *, conn: Connection | None = None
    ) -> dict[str, int]:
        """Insert configurations (canonicalized); return ``{config_hash: id}``."""
        rows = {}
        for cfg in configs:
            canon = canonicalize(cfg)
            h = config_hash(canon)
            rows[h] = {
                "config_hash": h,
                "algorithm": canon["algorithm"],
                "config": json.dumps(canon, sort_keys=True),
            }
        if not rows:
            return {}
        with self._begin(conn) as c:
            c.execute(self._insert(configurations).on_conflict_do_nothing(), list(rows.values()))
            ids = c.execute(
                select(configurations.c.config_hash, configurations.c.id).where(
                    configurations.c.config_hash.in_(list(rows))
                )
            ).all()
        return {h: int(i) for h, i in ids}

    def add_study(
        self,
        name: str,
        kind: str,
        provenance: Mapping[str, Any] | None = None,
        *,
        conn: Connection | None = None,
    ) -> int:
        """Insert a study (build, tune, ingest) by unique name; return its id.

        A password in the provenance (a database URL in a command line) is masked.
        """
        text_ = redact(json.dumps(provenance or {}, default=str))
        row = {"name": name, "kind": kind, "provenance": text_}
        with self._begin(conn) as c:
            c.execute(self._insert(studies).on_conflict_do_nothing(), [row])
            return int(c.execute(select(studies.c.id).where(studies.c.name == name)).scalar_one())

    def remove_studies_without_runs(self, names: Sequence[str]) -> int:
        """Delete the named studies that no run refers to; return how many went.

        Parameters
        ----------
        names : sequence of str
            Study names.

        Returns
        -------
        int
        """
        if not names:
            return 0
        with self._begin(None) as c:
            used = select(runs.c.study_id).where(runs.c.study_id.is_not(None))
            gone = c.execute(
                studies.delete().where(studies.c.name.in_(list(names)), studies.c.id.not_in(used))
            )
            return int(gone.rowcount or 0)

    def record_session(self, study_id: int, seconds: float, runs_new: int) -> None:
        """Add one session's wall time and new runs to a study's provenance (``sessions``,
        ``seconds``, ``runs_new``, summed over the resumed sessions of a build)."""
        with self._begin(None) as c:
            text_ = c.execute(
                select(studies.c.provenance).where(studies.c.id == study_id)
            ).scalar_one()
            prov = json.loads(text_ or "{}")
            prov["sessions"] = int(prov.get("sessions", 0)) + 1
            prov["seconds"] = round(float(prov.get("seconds", 0.0)) + seconds, 1)
            prov["runs_new"] = int(prov.get("runs_new", 0)) + runs_new
            c.execute(
                studies.update()
                .where(studies.c.id == study_id)
                .values(provenance=json.dumps(prov, default=str))
            )

    def add_runs(self, rows: Sequence[Mapping[str, Any]], *, conn: Connection | None = None) -> int:
        """Insert runs in one transaction; return how many were new.

        Each row has ``dataset_id``, ``config_id`` and the fields of
        :class:`~metarec.runner.RunResult` (``seed``, ``status``, scores, ...),
        optionally ``study_id``. Rows whose (dataset, config, seed) exists are skipped.
        """
        clean = []
        for r in rows:
            status = r.get("status")
            if status not in RUN_STATUSES:
                raise DatabaseError(f"run status must be one of {RUN_STATUSES}, got {status!r}")
            item = {f: _clean(r.get(f)) for f in RUN_FIELDS}
            for f in ("seed", "n_clusters"):
                if item[f] is not None:
                    item[f] = int(item[f])
            item["dataset_id"] = int(r["dataset_id"])
            item["config_id"] = int(r["config_id"])
            item["study_id"] = r.get("study_id")
            if item["error"] is not None:
                item["error"] = str(item["error"])[:2000]
            clean.append(item)
        if not clean:
            return 0
        stmt = self._insert(runs).on_conflict_do_nothing().returning(runs.c.id)
        with self._begin(conn) as c:
            return len(c.execute(stmt, clean).all())

    def record_artifact(self, name: str, location: str, knowledge: Mapping[str, Any]) -> None:
        """Record that the artifact ``name`` saved at ``location`` was trained on ``knowledge``
        (a :meth:`~metarec.knowledge.KnowledgeBase.digest`)."""
        row = {"name": name, "location": location, "knowledge": json.dumps(dict(knowledge))}
        with self._begin(None) as c:
            c.execute(artifacts.insert(), [row])

    def artifacts(self) -> pd.DataFrame:
        """Trained artifacts recorded in this database, newest last."""
        frame = self.table("artifacts").sort_values("id")
        frame["knowledge"] = frame["knowledge"].map(json.loads)
        return frame.reset_index(drop=True)

    @contextlib.contextmanager
    def _begin(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
            return
        try:
            with self.engine.begin() as c:
                yield c
        except SQLAlchemyError as exc:
            raise DatabaseError(f"write to {self.display_url} failed: {redact(str(exc))}") from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction for several writes (pass it as ``conn=``): all or nothing."""
        with self._begin(None) as c:
            yield c

    # ----------------------------------------------------------------- reads
    def dataset_id(self, content_hash: str) -> int | None:
        """Local id of the dataset with this content hash, if stored."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(datasets.c.id).where(datasets.c.content_hash == content_hash)
            ).scalar()
        return None if value is None else int(value)

    def done(self, dataset_id: int) -> set[tuple[int, int]]:
        """``(config_id, seed)`` pairs already run on a dataset."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(runs.c.config_id, runs.c.seed).where(runs.c.dataset_id == dataset_id)
            ).all()
        return {(int(c), int(s)) for c, s in rows}

    def table(self, name: str) -> pd.DataFrame:
        """A whole table as a DataFrame."""
        with self.engine.connect() as conn:
            return pd.read_sql_table(name, conn)

    def count(self, name: str) -> int:
        """Rows in a table."""
        tables = (datasets, metafeatures, configurations, studies, runs, artifacts)
        table = {t.name: t for t in tables}[name]
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def runs_frame(self) -> pd.DataFrame:
        """Runs joined with dataset content hashes and configuration hashes/algorithms."""
        query = (
            select(
                datasets.c.content_hash,
                configurations.c.config_hash,
                configurations.c.algorithm,
                *(runs.c[f] for f in RUN_FIELDS),
                studies.c.name.label("study"),
            )
            .select_from(
                runs.join(datasets, runs.c.dataset_id == datasets.c.id)
                .join(configurations, runs.c.config_id == configurations.c.id)
                .outerjoin(studies, runs.c.study_id == studies.c.id)
            )
            .order_by(runs.c.id)
        )
        with self.engine.connect() as conn:
            return pd.read_sql(query, conn)

    def stats(self) -> dict[str, Any]:
        """Counts: datasets, configurations, runs by status and by algorithm."""
        with self.engine.connect() as conn:
            by = conn.execute(
                select(configurations.c.algorithm, runs.c.status, func.count())
                .select_from(runs.join(configurations, runs.c.config_id == configurations.c.id))
                .group_by(configurations.c.algorithm, runs.c.status)
            ).all()
        table: dict[str, dict[str, int]] = {}
        for algo, status, n in by:
            table.setdefault(algo, dict.fromkeys(RUN_STATUSES, 0))[status] = int(n)
        by_status = {s: sum(v[s] for v in table.values()) for s in RUN_STATUSES}
        return {
            **self._corpus_stats(),
            "url": self.display_url,
            "revision": self.revision(),
            "datasets": self.count("datasets"),
            "metafeature_vectors": self.count("metafeatures"),
            "configurations": self.count("configurations"),
            "studies": self.count("studies"),
            "runs": self.count("runs"),
            "runs_by_status": by_status,
            "runs_by_algorithm": dict(sorted(table.items())),
        }

    def _corpus_stats(self) -> dict[str, Any]:
        """Datasets by corpus and by kind (real or synthetic), runs by corpus, aliases."""
        from metarec.db.schema import SWEEP_KIND
        from metarec.io.corpora import data_kind

        with self.engine.connect() as conn:
            rows = conn.execute(
                select(datasets.c.id, datasets.c.name, datasets.c.corpus, datasets.c.info)
            ).all()
            per = conn.execute(
                select(runs.c.dataset_id, studies.c.kind, func.count())
                .select_from(runs.outerjoin(studies, runs.c.study_id == studies.c.id))
                .group_by(runs.c.dataset_id, studies.c.kind)
            ).all()
        corpus_of, kind_of = {}, {}
        by_corpus: dict[str, int] = {}
        by_kind = {"real": 0, "synthetic": 0}
        aliases = 0
        for dataset_id, name, corpus, info_text in rows:
            info = json.loads(info_text or "{}")
            corpus = corpus or "other"
            kind = info.get("kind") or data_kind(corpus, name)
            corpus_of[dataset_id], kind_of[dataset_id] = corpus, kind
            by_corpus[corpus] = by_corpus.get(corpus, 0) + 1
            by_kind[kind] = by_kind.get(kind, 0) + 1
            aliases += len(info.get("aliases", []))
        runs_by_corpus: dict[str, dict[str, int]] = {}
        for dataset_id, kind, n in per:
            entry = runs_by_corpus.setdefault(
                corpus_of.get(dataset_id, "other"), {"design": 0, "k_sweep": 0}
            )
            entry["k_sweep" if kind == SWEEP_KIND else "design"] += int(n)
        with self.engine.connect() as conn:
            study_rows = conn.execute(
                select(studies.c.name, studies.c.kind, studies.c.provenance)
            ).all()
        builds = []
        for name, kind, prov_text in study_rows:
            prov = json.loads(prov_text or "{}")
            if kind in ("build", SWEEP_KIND):
                builds.append(
                    {
                        "name": name,
                        "kind": kind,
                        "seconds": prov.get("seconds"),
                        "sessions": prov.get("sessions"),
                    }
                )
        return {
            "builds": builds,
            "datasets_by_corpus": dict(sorted(by_corpus.items())),
            "datasets_by_kind": by_kind,
            "aliases": aliases,
            "runs_by_corpus": dict(sorted(runs_by_corpus.items())),
        }

    def check(self) -> list[str]:
        """Integrity problems: orphans, duplicate keys, bad statuses or scores, bad hashes."""
        problems: list[str] = []
        q = {
            "runs without a dataset": "SELECT COUNT(*) FROM runs r LEFT JOIN datasets d "
            "ON r.dataset_id = d.id WHERE d.id IS NULL",
            "runs without a configuration": "SELECT COUNT(*) FROM runs r LEFT JOIN "
            "configurations c ON r.config_id = c.id WHERE c.id IS NULL",
            "meta-feature vectors without a dataset": "SELECT COUNT(*) FROM metafeatures m "
            "LEFT JOIN datasets d ON m.dataset_id = d.id WHERE d.id IS NULL",
            "duplicate (dataset, config, seed) runs": "SELECT COUNT(*) FROM (SELECT 1 FROM runs "
            "GROUP BY dataset_id, config_id, seed HAVING COUNT(*) > 1) t",
            "duplicate dataset hashes": "SELECT COUNT(*) FROM (SELECT 1 FROM datasets "
            "GROUP BY content_hash HAVING COUNT(*) > 1) t",
            "duplicate configuration hashes": "SELECT COUNT(*) FROM (SELECT 1 FROM "
            "configurations GROUP BY config_hash HAVING COUNT(*) > 1) t",
            "runs with an unknown status": "SELECT COUNT(*) FROM runs WHERE status NOT IN "
            "('ok', 'failed', 'timeout')",
            "runs with ARI/AMI/NMI out of range": "SELECT COUNT(*) FROM runs WHERE ari > 1 OR "
            "ari < -1 OR ami > 1 OR ami < -1 OR nmi > 1 OR nmi < 0",
            "ok runs without a cluster count": "SELECT COUNT(*) FROM runs WHERE status = 'ok' "
            "AND n_clusters IS NULL",
        }
        with self.engine.connect() as conn:
            for label, sql in q.items():
                n = int(conn.execute(text(sql)).scalar_one())
                if n:
                    problems.append(f"{n} {label}")
            problems += _unreadable_rows(conn)
            for h, cfg in conn.execute(
                select(configurations.c.config_hash, configurations.c.config)
            ).all():
                try:
                    if config_hash(json.loads(cfg)) != h:
                        problems.append(f"configuration {h} does not hash to its key")
                except (MetarecError, ValueError) as exc:
                    problems.append(f"configuration {h} is not valid: {exc}")
        return problems

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()


def _json_of(value: Any, kind: type) -> Any:
    """``value`` parsed as JSON of ``kind``, or None when it is not (missing: ``kind()``)."""
    if value is None:
        return kind()
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, kind) else None


def _unreadable_rows(conn: Any) -> list[str]:
    """Rows a later read would choke on: JSON columns that do not parse to what they
    hold, meta-feature values that are not numbers."""
    problems = []
    bad = [
        name
        for name, fingerprint, info in conn.execute(
            select(datasets.c.name, datasets.c.fingerprint, datasets.c.info)
        ).all()
        if _json_of(fingerprint, list) is None or _json_of(info, dict) is None
    ]
    if bad:
        problems.append(f"{len(bad)} dataset(s) with an unreadable fingerprint or info: {bad[0]}")
    vectors = conn.execute(select(metafeatures.c.dataset_id, metafeatures.c.vector)).all()
    odd = 0
    for _, vector in vectors:
        parsed = _json_of(vector, dict)
        if parsed is None or any(
            v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)))
            for v in parsed.values()
        ):
            odd += 1
    if odd:
        problems.append(f"{odd} meta-feature vector(s) that are not JSON objects of numbers")
    provenance = [
        name
        for name, p in conn.execute(select(studies.c.name, studies.c.provenance)).all()
        if _json_of(p, dict) is None
    ]
    if provenance:
        problems.append(f"{len(provenance)} study(ies) with unreadable provenance: {provenance[0]}")
    return problems


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=120000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Take the write lock up front: concurrent writers queue instead of deadlocking.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
