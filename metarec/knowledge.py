"""What the meta-learners learn from: a read-only, in-memory view of a meta-database.

A :class:`KnowledgeBase` holds, per dataset (keyed by content hash), its
meta-feature vector and description, and per (dataset, configuration) the
recorded scores. It is built from a :class:`~metarec.db.MetaDatabase`, from an
exported folder of Parquet tables, or from the shipped meta-database, and can
drop datasets (with their near-duplicates) for honest held-out evaluation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metarec.dataset import fingerprints_match
from metarec.exceptions import MetarecError, first_line

__all__ = ["KnowledgeBase", "KnowledgeError", "layered_stats", "user_database"]

#: Score given to a failed or timed-out run when building score matrices.
FAILED_SCORE = 0.0
#: What identifies a run in the runs tables.
RUN_KEY = ["content_hash", "config_hash", "seed"]


def _kind(info: Any, corpus: Any, name: str) -> str:
    """A dataset's recorded kind (real or synthetic), else the one its corpus implies."""
    if isinstance(info, str):
        try:
            recorded = json.loads(info).get("kind")
        except (ValueError, AttributeError):
            recorded = None
        if recorded in ("real", "synthetic"):
            return str(recorded)
    from metarec.io.corpora import data_kind

    return data_kind(corpus if isinstance(corpus, str) else None, str(name))


class KnowledgeError(MetarecError):
    """The knowledge base is empty or lacks what a meta-learner needs."""


def user_database() -> Any:
    """The user's own :class:`~metarec.db.MetaDatabase` (``$METAREC_DB`` or the
    per-user SQLite file), or ``None`` when it does not exist or holds no runs."""
    from metarec.config import default_url

    url = default_url()
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file():
        return None  # (without importing the database layer)
    from metarec.db.store import MetaDatabase

    db = MetaDatabase(url)
    if db.count("runs") == 0:
        db.close()
        return None
    return db


def _counts(kb: KnowledgeBase | None) -> dict[str, int]:
    """Counts as ``db stats --db`` gives them: every configuration and run, the design's
    (what the models train on) and the k sweep's alike, and the two kinds of run."""
    if kb is None:
        return {
            "datasets": 0,
            "datasets_with_runs": 0,
            "configurations": 0,
            "runs": 0,
            "design_runs": 0,
            "sweep_runs": 0,
        }
    sweep_configs = set(kb.sweep_runs.get("config_hash", [])) - set(kb.configs.index)
    return {
        "datasets": len(kb.datasets),
        "datasets_with_runs": len(kb.dataset_hashes),
        "configurations": len(kb.configs) + len(sweep_configs),
        "runs": len(kb.runs) + len(kb.sweep_runs),
        "design_runs": len(kb.runs),
        "sweep_runs": len(kb.sweep_runs),
    }


def layered_stats() -> dict[str, Any]:
    """What the default knowledge is made of: the shipped meta-database, the
    user's own database, and their union (what ``recommend`` and ``train`` use).

    Returns
    -------
    dict
        ``shipped``, ``yours`` and ``together``, each with ``datasets``,
        ``datasets_with_runs``, ``configurations`` (of the design) and ``runs``
        (design and k sweep); ``shipped`` and ``yours`` also say ``where``, and
        ``yours`` whether it ``exists``. A dataset in both is counted once together.
    """
    from metarec.config import redact, shipped_path
    from metarec.db.store import default_url

    shipped = KnowledgeBase.shipped()
    user = KnowledgeBase.user()
    url = default_url()
    exists = not url.startswith("sqlite:///") or Path(url[len("sqlite:///") :]).is_file()
    return {
        "shipped": {"where": str(shipped_path()), **_counts(shipped)},
        "yours": {"where": redact(url), "exists": exists, **_counts(user)},
        "together": _counts(shipped if user is None else shipped.merged(user)),
    }


@dataclass(frozen=True)
class KnowledgeBase:
    """Meta-features, configurations and run scores of known datasets.

    Attributes
    ----------
    datasets : DataFrame
        Index ``content_hash``; columns name, source, corpus, n_rows, n_cols,
        n_classes, fingerprint (list), ...
    metafeatures : DataFrame
        Index ``content_hash``; one column per meta-feature (raw, NaN allowed).
    configs : DataFrame
        Index ``config_hash``; columns algorithm, config (dict).
    runs : DataFrame
        One row per run: content_hash, config_hash, seed, status and scores.
    sweep_runs : DataFrame
        Runs of the k sweep (:func:`metarec.space.k_sweep`: KMeans, Ward linkage and a
        full Gaussian mixture at every k), those of k-sweep studies (a configuration
        the design also holds was run once, for the design): content_hash,
        config_hash, config (dict), seed, status and scores. Kept apart from ``runs``
        so that the score matrices stay the design's.
    """

    datasets: pd.DataFrame
    metafeatures: pd.DataFrame
    configs: pd.DataFrame
    runs: pd.DataFrame
    sweep_runs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RUN_KEY))

    # ------------------------------------------------------------ loading
    @classmethod
    def from_frames(
        cls,
        datasets: pd.DataFrame,
        metafeatures: pd.DataFrame,
        configs: pd.DataFrame,
        runs: pd.DataFrame,
        extractor_version: str | None = None,
        studies: pd.DataFrame | None = None,
    ) -> KnowledgeBase:
        """Build from exported-table frames (see :mod:`metarec.db.exchange`).

        With ``studies``, the runs of k-sweep studies become :attr:`sweep_runs`.
        """
        ds = datasets.set_index("content_hash")
        if "fingerprint" in ds and len(ds) and isinstance(ds["fingerprint"].iloc[0], str):
            ds["fingerprint"] = ds["fingerprint"].map(json.loads)
        mf = metafeatures
        if extractor_version is None and len(mf):
            extractor_version = str(sorted(mf["extractor_version"].unique())[-1])
        mf = mf[mf["extractor_version"] == extractor_version] if len(mf) else mf
        mf = mf.drop(columns=["extractor_version"]).set_index("content_hash").astype(float)
        if len(ds):
            ds["kind"] = [
                _kind(info, corpus, name)
                for info, corpus, name in zip(
                    ds.get("info", pd.Series([None] * len(ds), index=ds.index)),
                    ds.get("corpus", pd.Series([None] * len(ds), index=ds.index)),
                    ds["name"],
                    strict=True,
                )
            ]
        cfg = configs.set_index("config_hash")
        cfg["config"] = cfg["config"].map(lambda c: json.loads(c) if isinstance(c, str) else c)
        from metarec.config import SWEEP_KIND

        sweep_studies: set[str] = set()
        if studies is not None and len(studies):
            sweep_studies = set(studies.loc[studies["kind"] == SWEEP_KIND, "name"])
        if "study" in runs and sweep_studies:
            is_sweep = runs["study"].isin(sweep_studies)
        else:
            is_sweep = pd.Series(False, index=runs.index)
        sweep_runs = runs[is_sweep].reset_index(drop=True)
        design = runs[~is_sweep].reset_index(drop=True)
        sweep_runs = sweep_runs.assign(config=list(cfg.loc[sweep_runs["config_hash"], "config"]))
        # The design's configurations: those its runs used (a build adds the k sweep's
        # configurations first and runs them last).
        if len(design):
            cfg_design = cfg[cfg.index.isin(design["config_hash"].unique())]
        else:
            swept = sweep_runs.get("config_hash", pd.Series([], dtype=object))
            cfg_design = cfg[~cfg.index.isin(swept.unique())]
        return cls(ds, mf, cfg_design, design, sweep_runs=sweep_runs)

    @classmethod
    def from_parquet(cls, directory: str | Path) -> KnowledgeBase:
        """Build from a folder written by :func:`metarec.db.export_tables`."""
        d = Path(directory)
        try:
            frames = {
                t: pd.read_parquet(d / f"{t}.parquet")
                for t in ("datasets", "metafeatures", "configurations", "runs")
            }
        except (OSError, ValueError) as exc:
            raise KnowledgeError(f"{d}: not an exported meta-database ({exc})") from None
        studies = d / "studies.parquet"
        kb = cls.from_frames(
            frames["datasets"],
            frames["metafeatures"],
            frames["configurations"],
            frames["runs"],
            studies=pd.read_parquet(studies) if studies.is_file() else None,
        )
        return kb

    @classmethod
    def from_database(cls, db: Any) -> KnowledgeBase:
        """Build from a :class:`~metarec.db.MetaDatabase`."""
        import tempfile

        from metarec.db import export_tables

        with tempfile.TemporaryDirectory() as tmp:
            export_tables(db, tmp)
            return cls.from_parquet(tmp)

    @classmethod
    def shipped(cls) -> KnowledgeBase:
        """The meta-database that ships with metarec."""
        from metarec.config import shipped_path

        path = shipped_path()
        if not (path / "runs.parquet").is_file():
            raise KnowledgeError(
                f"the shipped meta-database in {path} is not built; see meta_db/README.md"
            )
        return cls.from_parquet(path)

    @classmethod
    def default(cls) -> KnowledgeBase:
        """The shipped knowledge with the user's own database layered over it.

        The user database (``$METAREC_DB`` or the per-user SQLite file, where
        ``metarec ingest`` and ``metarec db build`` write by default) is read when
        it exists; the shipped meta-database is never written to, so package
        upgrades never touch a user's runs.
        """
        shipped = cls.shipped()
        user = cls.user()
        return shipped if user is None else shipped.merged(user)

    @classmethod
    def user(cls) -> KnowledgeBase | None:
        """The user's own database, or ``None`` when it does not exist or holds no runs."""
        db = user_database()
        if db is None:
            return None
        try:
            return cls.from_database(db)
        except (ValueError, TypeError, KeyError) as exc:  # rows it cannot read
            reason = first_line(exc, 200)
            raise KnowledgeError(
                f"your meta-database {db.display_url} holds rows metarec cannot read "
                f"({type(exc).__name__}: {reason}); find them with `metarec db check`, "
                "or set it aside (move the file, or METAREC_DB) to use the shipped one alone"
            ) from None
        finally:
            db.close()

    @classmethod
    def load(cls, source: Any = None) -> KnowledgeBase:
        """``None`` -> :meth:`default` (shipped + user database); "shipped" -> shipped only;
        a folder -> Parquet; a URL/path -> database."""
        if isinstance(source, KnowledgeBase):
            return source
        if source is None:
            return cls.default()
        if source == "shipped":
            return cls.shipped()
        if isinstance(source, (str, Path)) and Path(source).is_dir():
            return cls.from_parquet(source)
        from metarec.db import MetaDatabase

        db = source if not isinstance(source, (str, Path)) else MetaDatabase(source, create=False)
        return cls.from_database(db)

    # ------------------------------------------------------------- views
    @property
    def dataset_hashes(self) -> list[str]:
        """Datasets that have both meta-features and runs."""
        index = self.metafeatures.index
        have_runs = index.isin(self.runs["content_hash"].unique())
        return list(index[have_runs])

    @cached_property
    def score_matrix(self) -> pd.DataFrame:
        """Mean ARI per (dataset, configuration); failed and timed-out runs count as 0."""
        return self.matrix("ari")

    def matrix(self, score: str = "ari", failed: float | None = FAILED_SCORE) -> pd.DataFrame:
        """Datasets x configurations matrix of a recorded score (mean over seeds).

        Runs that did not finish ``ok`` score ``failed`` (NaN when ``None``); a
        missing ARI on a finished run (no labels) stays NaN.
        """
        r = self.runs
        values = r[score].astype(float)
        if failed is not None:
            values = values.where(r["status"] == "ok", failed)
        table = (
            pd.DataFrame({"h": r["content_hash"], "c": r["config_hash"], "v": values})
            .groupby(["h", "c"])["v"]
            .mean()
            .unstack("c")
        )
        rows = [h for h in self.dataset_hashes if h in table.index]
        return table.loc[rows, [c for c in self.configs.index if c in table.columns]]

    @cached_property
    def n_clusters_matrix(self) -> pd.DataFrame:
        """Clusters found per (dataset, configuration) by finished runs (median over seeds)."""
        r = self.runs[self.runs["status"] == "ok"]
        table = r.groupby(["content_hash", "config_hash"])["n_clusters"].median().unstack()
        return table.reindex(index=self.dataset_hashes, columns=self.configs.index)

    def without(self, hashes: set[str] | list[str]) -> KnowledgeBase:
        """A copy with these datasets (and everything about them) removed."""
        drop = set(hashes)
        return replace(
            self,
            datasets=self.datasets.drop(index=[h for h in drop if h in self.datasets.index]),
            metafeatures=self.metafeatures.drop(
                index=[h for h in drop if h in self.metafeatures.index]
            ),
            runs=self.runs[~self.runs["content_hash"].isin(drop)].reset_index(drop=True),
            sweep_runs=self.sweep_runs[~self.sweep_runs["content_hash"].isin(drop)].reset_index(
                drop=True
            ),
        )

    def merged(self, other: KnowledgeBase) -> KnowledgeBase:
        """The union of two knowledge bases (``other`` layered over this one).

        Datasets, meta-features and configurations are united (``other``'s
        description wins on a clash); runs are united on (dataset, configuration,
        seed), ``other``'s copy kept.
        """

        def union(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
            both = pd.concat([a, b]) if len(a) else b
            return both[~both.index.duplicated(keep="last")]

        def rows(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
            both = pd.concat([f for f in (a, b) if len(f)] or [a], ignore_index=True)
            return both.drop_duplicates(RUN_KEY, keep="last").reset_index(drop=True)

        return KnowledgeBase(
            union(self.datasets, other.datasets),
            union(self.metafeatures, other.metafeatures),
            union(self.configs, other.configs),
            rows(self.runs, other.runs),
            rows(self.sweep_runs, other.sweep_runs),
        )

    def digest(self) -> dict[str, Any]:
        """What a model trained on this knowledge base has seen: counts and a content hash.

        Two knowledge bases with the same datasets and the same runs per dataset
        have the same digest; a model whose recorded digest differs from the
        current knowledge's is stale.
        """
        import hashlib

        per_dataset = self.runs.groupby("content_hash").size()
        items = sorted((h, int(per_dataset.get(h, 0))) for h in self.dataset_hashes)
        blob = json.dumps(items, separators=(",", ":")).encode()
        return {
            "datasets": len(items),
            "runs": int(sum(n for _, n in items)),
            "hash": hashlib.sha256(blob).hexdigest()[:16],
        }

    def near_duplicate_groups(self, tol: float = 0.05) -> dict[str, int]:
        """Group id of every dataset: connected components of the near-duplicate relation.

        Two datasets are near-duplicates when they have the same content hash or
        when :func:`~metarec.dataset.fingerprints_match` says so (same data up to
        scaling, row and column order, within ``tol``). Computed once per ``tol``.
        """
        cache = self.__dict__.setdefault("_near_groups_cache", {})
        if tol not in cache:
            cache[tol] = self._near_duplicate_groups(tol)
        return dict(cache[tol])

    def _near_duplicate_groups(self, tol: float) -> dict[str, int]:
        hashes = list(self.datasets.index)
        parent = {h: h for h in hashes}

        def find(h: str) -> str:
            while parent[h] != h:
                parent[h] = parent[parent[h]]
                h = parent[h]
            return h

        ds = self.datasets
        fps = {
            h: np.asarray(f, dtype=float) for h, f in zip(hashes, ds["fingerprint"], strict=True)
        }
        shapes = {
            h: (int(r), int(c)) for h, r, c in zip(hashes, ds["n_rows"], ds["n_cols"], strict=True)
        }
        by_cols: dict[int, list[str]] = {}
        for h in hashes:
            by_cols.setdefault(shapes[h][1], []).append(h)
        for group in by_cols.values():
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    shape_a, shape_b = shapes[a], shapes[b]
                    if fingerprints_match(fps[a], shape_a, fps[b], shape_b, tol):
                        parent[find(a)] = find(b)
        roots = {r: i for i, r in enumerate(sorted({find(h) for h in hashes}))}
        return {h: roots[find(h)] for h in hashes}

    def value(self, content_hash: str, column: str) -> Any:
        """One field of a dataset's description."""
        return self.datasets.at[content_hash, column]

    def kind_of(self, content_hash: str) -> str:
        """``"real"`` or ``"synthetic"`` (see :func:`metarec.io.corpora.data_kind`)."""
        return str(self.datasets.at[content_hash, "kind"])

    def corpus_of(self, content_hash: str) -> str:
        """Corpus a dataset came from (clustbench, uci121, sklearn, ...)."""
        value = self.datasets.at[content_hash, "corpus"] if "corpus" in self.datasets else None
        return str(value) if isinstance(value, str) else "other"
