"""Tables of the meta-database (SQLAlchemy Core).

Identity across databases is by content: datasets by their content hash,
configurations by their canonical hash, runs by (dataset, configuration, seed).
Integer ids are local to one database; exports use the hashes.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

from metarec.config import SWEEP_KIND
from metarec.scoring import SIZES

__all__ = [
    "SCORE_COLUMNS",
    "SWEEP_KIND",
    "artifacts",
    "configurations",
    "datasets",
    "metadata",
    "metafeatures",
    "runs",
    "studies",
]

metadata = MetaData()

datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("source", String(512), nullable=False),
    Column("corpus", String(64), nullable=True),
    Column("n_rows", Integer, nullable=False),
    Column("n_cols", Integer, nullable=False),
    Column("n_original", Integer, nullable=True),
    Column("n_classes", Integer, nullable=True),
    Column("fingerprint", Text, nullable=True),
    Column("info", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)

metafeatures = Table(
    "metafeatures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset_id", Integer, ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    Column("extractor_version", String(32), nullable=False),
    Column("vector", Text, nullable=False),
    UniqueConstraint("dataset_id", "extractor_version", name="uq_metafeatures_dataset_version"),
)

configurations = Table(
    "configurations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("config_hash", String(32), nullable=False, unique=True),
    Column("algorithm", String(64), nullable=False),
    Column("config", Text, nullable=False),
)

studies = Table(
    "studies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("provenance", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)

SCORE_COLUMNS = (
    "ari",
    "ami",
    "nmi",
    "silhouette",
    "calinski_harabasz",
    "davies_bouldin",
    "dbcv",
)
#: What a tuning trial records of its run (user attributes), beside its configuration.
TRIAL_MEASURES = (*SCORE_COLUMNS, "n_clusters", "noise_fraction", *SIZES)
#: User attribute of a trial fed from a neighbouring dataset (its content hash): such a
#: trial did not run on the study's dataset.
NEIGHBOUR_ATTR = "metarec_neighbour"

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset_id", Integer, ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    Column(
        "config_id", Integer, ForeignKey("configurations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("seed", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("error", Text, nullable=True),
    *(Column(name, Float, nullable=True) for name in SCORE_COLUMNS),
    Column("n_clusters", Integer, nullable=True),
    Column("noise_fraction", Float, nullable=True),
    *(Column(name, Float, nullable=True) for name in SIZES),
    Column("fit_time", Float, nullable=True),
    Column("study_id", Integer, ForeignKey("studies.id", ondelete="SET NULL"), nullable=True),
    UniqueConstraint("dataset_id", "config_id", "seed", name="uq_runs_dataset_config_seed"),
)
Index("ix_runs_config", runs.c.config_id)
Index("ix_runs_status", runs.c.status)

artifacts = Table(
    "artifacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("location", String(1024), nullable=False),
    Column("knowledge", Text, nullable=False),
    Column("trained_at", DateTime(timezone=True), server_default=func.now()),
)
