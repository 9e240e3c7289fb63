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
