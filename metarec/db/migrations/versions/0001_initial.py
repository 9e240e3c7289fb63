"""Initial schema: datasets, metafeatures, configurations, studies, runs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SCORES = ("ari", "ami", "nmi", "silhouette", "calinski_harabasz", "davies_bouldin", "dbcv")


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("source", sa.String(512), nullable=False),
        sa.Column("corpus", sa.String(64), nullable=True),
        sa.Column("n_rows", sa.Integer, nullable=False),
        sa.Column("n_cols", sa.Integer, nullable=False),
        sa.Column("n_original", sa.Integer, nullable=True),
        sa.Column("n_classes", sa.Integer, nullable=True),
        sa.Column("fingerprint", sa.Text, nullable=True),
        sa.Column("info", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    op.create_table(
        "metafeatures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "dataset_id",
            sa.Integer,
            sa.ForeignKey("datasets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("extractor_version", sa.String(32), nullable=False),
        sa.Column("vector", sa.Text, nullable=False),
        sa.UniqueConstraint(
            "dataset_id", "extractor_version", name="uq_metafeatures_dataset_version"
        ),
    )
    op.create_table(
        "configurations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("config_hash", sa.String(32), nullable=False, unique=True),
        sa.Column("algorithm", sa.String(64), nullable=False),
        sa.Column("config", sa.Text, nullable=False),
    )
    op.create_table(
        "studies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("provenance", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "dataset_id",
            sa.Integer,
            sa.ForeignKey("datasets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "config_id",
            sa.Integer,
            sa.ForeignKey("configurations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        *(sa.Column(name, sa.Float, nullable=True) for name in _SCORES),
        sa.Column("n_clusters", sa.Integer, nullable=True),
        sa.Column("noise_fraction", sa.Float, nullable=True),
        sa.Column("fit_time", sa.Float, nullable=True),
        sa.Column(
            "study_id", sa.Integer, sa.ForeignKey("studies.id", ondelete="SET NULL"), nullable=True
        ),
        sa.UniqueConstraint("dataset_id", "config_id", "seed", name="uq_runs_dataset_config_seed"),
    )
    op.create_index("ix_runs_config", "runs", ["config_id"])
    op.create_index("ix_runs_status", "runs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_runs_status", "runs")
    op.drop_index("ix_runs_config", "runs")
    for table in ("runs", "studies", "configurations", "metafeatures", "datasets"):
        op.drop_table(table)
