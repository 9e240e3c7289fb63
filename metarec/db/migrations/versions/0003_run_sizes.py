"""Runs: the shape of the partition found (cluster-size measures).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SIZES = ("size_entropy", "largest_fraction", "smallest_fraction")


def upgrade() -> None:
    for name in SIZES:
        op.add_column("runs", sa.Column(name, sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        for name in SIZES:
            batch.drop_column(name)
