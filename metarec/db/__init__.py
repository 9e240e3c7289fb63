"""The meta-database: storage (SQLAlchemy + Alembic), Parquet exchange, builder."""

from __future__ import annotations

from metarec.db.exchange import export_tables, import_tables, read_manifest
from metarec.db.store import DB_ENV, DatabaseError, MetaDatabase, default_url

__all__ = [
    "DB_ENV",
    "DatabaseError",
    "MetaDatabase",
    "default_url",
    "export_tables",
    "import_tables",
    "read_manifest",
]
