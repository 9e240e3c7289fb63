"""Alembic environment: migrations run on the connection metarec hands over."""

from __future__ import annotations

from alembic import context

from metarec.db.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through metarec.db
    raise RuntimeError("run metarec's migrations through metarec.db.MetaDatabase")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
