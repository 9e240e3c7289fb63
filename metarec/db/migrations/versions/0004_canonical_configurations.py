"""Configurations: one row per canonical configuration.

Before, a categorical value was stored as given when it merely compared equal to a
choice (``batch_size`` 1024.0 for 1024, ``cluster_all`` 1 for true), so one
configuration could be stored under two hashes, with two runs of the same thing.
This rewrites every configuration in its canonical form; where that form is
already stored, the runs move to it (a run that repeats one there, same dataset
and seed, is dropped) and the duplicate row goes.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from metarec.space import ConfigError, canonicalize, config_hash

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, config_hash, config FROM configurations")).all()
    by_hash = {str(h): int(i) for i, h, _ in rows}
    for cid, old, text in rows:
        try:
            canon = canonicalize(json.loads(text))
        except (ConfigError, ValueError, TypeError):
            continue  # not a configuration of this space: `metarec db check` reports it
        new = config_hash(canon)
        if new == old:
            continue
        target = by_hash.get(new)
        if target is None:
            conn.execute(
                sa.text("UPDATE configurations SET config_hash = :h, config = :c WHERE id = :i"),
                {"h": new, "c": json.dumps(canon, sort_keys=True), "i": cid},
            )
            by_hash[new] = int(cid)
        else:
            conn.execute(
                sa.text(
                    "DELETE FROM runs WHERE config_id = :i AND EXISTS (SELECT 1 FROM runs r2 "
                    "WHERE r2.config_id = :t AND r2.dataset_id = runs.dataset_id "
                    "AND r2.seed = runs.seed)"
                ),
                {"i": cid, "t": target},
            )
            conn.execute(
                sa.text("UPDATE runs SET config_id = :t WHERE config_id = :i"),
                {"i": cid, "t": target},
            )
            conn.execute(sa.text("DELETE FROM configurations WHERE id = :i"), {"i": cid})
        del by_hash[str(old)]


def downgrade() -> None:
    pass  # merged duplicates are not split again
