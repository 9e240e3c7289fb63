"""The meta-database that ships with metarec (``meta_db/``: Parquet tables + manifest)."""

from __future__ import annotations

from metarec.config import shipped_path
from metarec.db.exchange import import_tables, read_manifest
from metarec.db.store import DatabaseError, MetaDatabase

__all__ = ["open_shipped", "shipped_path"]


def open_shipped() -> MetaDatabase:
    """The shipped meta-database loaded into an in-memory SQLite database (read-only use)."""
    path = shipped_path()
    try:
        read_manifest(path)
    except DatabaseError:
        raise DatabaseError(
            f"the shipped meta-database in {path} is not built; run `metarec db build` "
            "(see meta_db/README.md)"
        ) from None
    db = MetaDatabase("sqlite://")
    import_tables(db, path)
    db.display_url = f"the shipped meta-database ({path})"
    return db
