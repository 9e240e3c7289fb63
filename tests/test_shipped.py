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
    # Every dataset has a run of every configuration (failures recorded, not dropped).
    assert stats["runs"] == stats["datasets"] * stats["configurations"]
    assert set(stats["runs_by_status"]) == {"ok", "failed", "timeout"}
    build = manifest["studies"][0]["provenance"]
    assert build["settings"]["subsample"] == 1000 and "db build" in build["command"]


def test_shipped_explore_runs_cover_every_dataset() -> None:
    manifest = json.loads(MANIFEST.read_text())
    kb = KnowledgeBase.shipped()
    runs = kb.explore_runs[kb.explore_runs["source"] == "random"]
    assert len(runs) == manifest["explore_runs"]["runs"]
    per = manifest["explore_runs"]["per_dataset"]
    # per dataset, the draws less the ones that repeated a configuration already drawn
    assert runs.groupby("content_hash").size().between(0.9 * per, per).all()
    assert set(runs["content_hash"]) == set(kb.dataset_hashes)
    # off the design: (almost) none of them is a configuration the design ran
    assert runs["config_hash"].isin(kb.configs.index).mean() < 0.01
    ok = runs[runs["status"] == "ok"]
    assert len(ok) > 0.9 * len(runs) and ok["ari"].between(-1, 1).all()
    searched = kb.explore_runs[kb.explore_runs["source"] == "search"]
    assert len(searched) == manifest.get("search_runs", {}).get("runs", 0)


def test_shipped_knowledge_base_and_models() -> None:
    kb = KnowledgeBase.shipped()
    assert kb.score_matrix.shape[0] >= 300
    models = shipped_path() / "models"
    if not (models / "recommender.json").is_file():
        pytest.skip("shipped models not trained yet")
    from metarec.recommender import Recommender

    rec = Recommender.load(models, kb)
    assert not rec.stale_
    out = rec.recommend(kb.metafeatures.iloc[0])
    assert len(out.items) == 5
