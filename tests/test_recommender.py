"""Knowledge base, recommender, learned similarity, held-out evaluation, MetaClusterer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import KB_NAMES

from metarec import Dataset, MetaClusterer, load_dataset
from metarec.cli import main
from metarec.evaluation import (
    baseline_methods,
    evaluate,
    recommender_method,
    summarize,
)
from metarec.evaluation._harness import _expected_best_of
from metarec.exceptions import MetarecError
from metarec.knowledge import KnowledgeBase
from metarec.models._encoding import ConfigEncoder
from metarec.models.recommender import Recommender
from metarec.models.similarity import SimilarityModel, target_similarity
from metarec.space import design

NAMES = KB_NAMES


@pytest.fixture
def kb(kb_dir: Path) -> KnowledgeBase:
    return KnowledgeBase.from_parquet(kb_dir)


def test_knowledge_base_views(kb: KnowledgeBase) -> None:
    assert len(kb.dataset_hashes) == len(NAMES)
    m = kb.score_matrix
    assert m.shape == (len(NAMES), 24) and m.notna().all().all()
    groups = kb.near_duplicate_groups()
    by_source = {kb.value(h, "source"): g for h, g in groups.items()}
    assert by_source["sklearn:iris"] == by_source["uci121:iris"]
    assert len(set(groups.values())) == len(NAMES) - 1
    smaller = kb.without({kb.dataset_hashes[0]})
    assert len(smaller.dataset_hashes) == len(NAMES) - 1
    assert kb.dataset_hashes[0] not in set(smaller.runs["content_hash"])


def test_recommendation_is_ranked_with_evidence(kb: KnowledgeBase) -> None:
    rec = Recommender(n_neighbors=4).fit(kb)
    mf = kb.metafeatures.iloc[0]
    out = rec.recommend(mf, top=5)
    frame = out.to_frame()
    assert list(frame.index) == [1, 2, 3, 4, 5]
    assert frame["predicted_ari"].is_monotonic_decreasing
    assert len(out.neighbours) == 4 and out.neighbours["weight"].sum() == pytest.approx(1)
    assert out.neighbours["distance"].is_monotonic_increasing
    assert out.n_clusters >= 1 and out.n_clusters_interval[0] <= out.n_clusters
    assert not out.fallback
    json.dumps(out.to_dict(), default=str)
    # A dataset unlike any known one falls back to the portfolio, and says so.
    far = mf * 0 + 1e6
    far_rec = rec.recommend(far)
    assert far_rec.fallback and "unlike every known one" in far_rec.note
    # its scores are the configurations' averages over the known datasets, with
    # their spread, and the note gives the fallback's held-out average
    top = far_rec.top
    assert top.score == pytest.approx(kb.score_matrix[top.config_hash].fillna(0).mean())
    assert top.uncertainty == pytest.approx(kb.score_matrix[top.config_hash].fillna(0).std(ddof=0))
    assert f"held out, the first of them averages ARI {rec.fallback_heldout_:.2f}" in far_rec.note
    assert 0 <= rec.fallback_heldout_ <= kb.score_matrix.fillna(0).max(axis=1).mean()


def test_save_and_load_give_the_same_recommendations(kb: KnowledgeBase, tmp_path: Path) -> None:
    rec = Recommender(n_neighbors=3).fit(kb)
    rec.save(tmp_path)
    assert (tmp_path / "ranker.txt").read_text().startswith("tree")
    loaded = Recommender.load(tmp_path, kb)
    mf = kb.metafeatures.iloc[2]
    a, b = rec.recommend(mf).to_frame(), loaded.recommend(mf).to_frame()
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-6)
    assert not loaded.stale_


def test_learned_similarity_trains_saves_and_loads(kb: KnowledgeBase, tmp_path: Path) -> None:
    sim = target_similarity(kb.score_matrix)
    assert np.allclose(np.diag(sim), 1) and np.allclose(sim, sim.T)
    rec = Recommender(metric="learned", n_neighbors=3).fit(kb)
    assert rec.similarity_ is not None and rec.similarity_.history_
    rec.save(tmp_path)
    again = SimilarityModel.load(tmp_path)
    np.testing.assert_allclose(again.embed(rec.X_), rec.similarity_.embed(rec.X_), rtol=1e-6)
    assert rec.recommend(kb.metafeatures.iloc[1]).metric == "learned"


def test_config_encoder_is_fixed_width() -> None:
    enc = ConfigEncoder()
    rows = enc.encode_all(pd.Series(design(2)))
    assert rows.shape == (24, len(enc.columns))
    assert np.nansum(rows[:, :12], axis=1).tolist() == [1.0] * 24  # one algorithm each


def test_held_out_evaluation(kb: KnowledgeBase) -> None:
    methods = {"metarec": recommender_method(n_neighbors=3), **baseline_methods(kb)}
    methods.pop("nearest_learned")
    per = evaluate(kb, methods, folds=0, progress=False)
    assert set(per["method"]) == set(methods)
    assert per["content_hash"].nunique() == len(NAMES)
    # kmeans_true_k asks for a configuration outside the design: scored as missing here.
    ok = per[per["method"] != "kmeans_true_k"]
    assert (ok["oracle"] >= ok["top1"] - 1e-12).all()
    assert ok["top1"].notna().all()
    rnd = per[per["method"] == "random"].set_index("content_hash")["top1"]
    assert rnd.to_dict() == pytest.approx(kb.score_matrix.mean(axis=1).to_dict())
    res = summarize(per, "metarec")
    assert {"all", "clustbench", "uci121", "sklearn"} <= set(res.summary["corpus"])
    assert set(res.tests["baseline"]) == set(methods) - {"metarec"}


def test_held_out_means_held_out(kb: KnowledgeBase) -> None:
    """A method that looks up the held-out dataset's own runs finds nothing to cheat with."""
    seen: list[bool] = []

    def peeking(train: KnowledgeBase):  # type: ignore[no-untyped-def]
        def rank(h: str, _mf: pd.Series) -> list[str]:
            seen.append(h in set(train.runs["content_hash"]))
            dup = {
                x
                for x, g in kb.near_duplicate_groups().items()
                if g == kb.near_duplicate_groups()[h]
            }
            seen.append(bool(dup & set(train.metafeatures.index)))
            return list(kb.configs.index[:1])

        return rank

    evaluate(kb, {"peek": peeking}, folds=3, progress=False)
    assert seen and not any(seen)


def test_expected_best_of_random_draws() -> None:
    v = np.array([0.0, 1.0, 2.0, 3.0])
    assert _expected_best_of(v, 1) == pytest.approx(1.5)
    assert _expected_best_of(v, 4) == pytest.approx(3.0)
    assert _expected_best_of(v, 2) == pytest.approx((1 + 2 + 2 + 3 + 3 + 3) / 6)


def test_meta_clusterer(kb_dir: Path) -> None:
    x = load_dataset("clustbench:fcps/hepta").features.to_numpy()
    model = MetaClusterer(knowledge=str(kb_dir)).fit(x)
    assert model.labels_.shape == (len(x),)
    assert model.config_ == model.recommendation_.top.config
    assert model.get_params()["rank"] == 1
    if hasattr(model.estimator_, "predict"):
        assert model.predict(x[:10]).shape == (10,)
    second = MetaClusterer(rank=2, knowledge=str(kb_dir)).fit(x)
    assert second.config_ == second.recommendation_.items[1].config


def test_cli_recommend_and_train(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "--db", str(kb_dir), "--out", str(tmp_path / "m")]) == 0
    out = capsys.readouterr().out
    assert "trained on 8 datasets, 192 design runs, 24 design configurations" in out
    assert (tmp_path / "m" / "costs.json").is_file()  # the run costs that plan a screening
    args = ["recommend", "sklearn:wine", "--db", str(kb_dir), "--models", str(tmp_path / "m")]
    assert main([*args, "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "recommended number of clusters" in out and " 3 " in out
    assert main([*args, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["recommendations"]) == 5
    assert payload["recommendations"][0]["rank"] == 1


def test_recommend_from_a_dataframe(kb_dir: Path) -> None:
    import metarec

    x = np.random.default_rng(0).normal(size=(200, 3))
    rec = metarec.recommend(pd.DataFrame(x), top=2, knowledge=str(kb_dir), budget=0)
    assert len(rec.items) == 2
    Dataset.from_frame(x)  # the input is not modified or consumed


def test_known_data_leads_with_its_own_recorded_runs(kb: KnowledgeBase, kb_dir: Path) -> None:
    import metarec

    rec = Recommender(n_neighbors=4).fit(kb)
    ds = load_dataset("sklearn:wine")
    h = rec.known_dataset(ds)
    assert h is not None and kb.value(h, "source") == "sklearn:wine"
    # what a user might bring: rows shuffled, columns reversed and rescaled
    frame = ds.features.sample(frac=1, random_state=1)[ds.features.columns[::-1]] * 10 - 3
    assert rec.known_dataset(Dataset.from_frame(frame)) == h
    out = rec.recorded(h, top=3)
    best = kb.score_matrix.loc[h].sort_values(ascending=False, kind="stable")
    assert [it.config_hash for it in out.items] == list(best.index[:3])
    assert [it.score for it in out.items] == pytest.approx(list(best.iloc[:3]))
    assert out.known == "wine" and "its own recorded runs lead" in out.note
    assert out.n_clusters == round(out.items[0].expected_clusters)
    assert list(out.neighbours["dataset"]) == ["wine"]
    # through the API, as a DataFrame: the same evidence, no second score beside it
    via_api = metarec.recommend(frame, top=3, knowledge=str(kb_dir), hyperparameters=True)
    assert via_api.known == "wine" and via_api.hyperparameters == []
    assert via_api.top.config_hash == out.top.config_hash
    # a copy whose numeric attributes are declared nominal (labels that are numbers)
    numbered = ds.features.copy()
    for c in numbered.columns[:6]:
        numbered[c] = pd.Categorical([repr(float(v)) for v in numbered[c]])
    assert rec.known_dataset(Dataset.from_frame(numbered)) == h
    # data the knowledge base has never seen is not taken for known data
    unknown = Dataset.from_frame(np.random.default_rng(0).normal(size=(178, 13)))
    assert rec.known_dataset(unknown) is None
    assert not metarec.recommend(unknown, top=2, knowledge=str(kb_dir)).known


def test_meta_clusterer_with_a_fixed_number_of_clusters(kb_dir: Path) -> None:
    x = load_dataset("clustbench:fcps/tetra").features.to_numpy()
    free = MetaClusterer(knowledge=str(kb_dir)).fit(x)
    fixed = MetaClusterer(knowledge=str(kb_dir), n_clusters=7).fit(x)
    assert fixed.get_params()["n_clusters"] == 7
    assert fixed.config_.algorithm == free.config_.algorithm
    if free.config_.n_clusters is not None:
        assert fixed.config_.n_clusters == 7
        assert fixed.config_ == free.config_.with_n_clusters(7)
        assert len(np.unique(fixed.labels_)) == 7
    else:  # the algorithm finds the number itself: fitted as recommended
        assert fixed.config_ == free.config_
    for bad in (1, 2.5, True, len(x)):
        with pytest.raises(MetarecError, match="n_clusters must be an integer"):
            MetaClusterer(knowledge=str(kb_dir), n_clusters=bad).fit(x)
