"""Honest evidence: calibrated intervals of predicted ARIs; each near-duplicate group once."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from metarec.knowledge import KnowledgeError
from metarec.models.calibration import ScoreCalibration, crossfold_coverage


def _pairs(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pred = rng.uniform(0, 0.4, n)
    actual = pred + rng.normal(0, 0.02 + 0.3 * pred, n)  # errors grow with the prediction
    return pred, actual, rng.integers(0, 6, n)


def test_crossfold_intervals_cover_about_what_they_claim() -> None:
    pred, actual, folds = _pairs()
    intervals, inside = crossfold_coverage(pred, actual, folds)
    assert 0.74 <= inside.mean() <= 0.86
    width = intervals[:, 1] - intervals[:, 0]
    assert width[pred > 0.15].mean() > 2 * width[pred < 0.07].mean()  # wider where errors are


def test_a_calibration_saves_and_loads_as_plain_json(tmp_path: Path) -> None:
    pred, actual, _ = _pairs()
    cal = ScoreCalibration().fit(pred, actual, source="test")
    cal.save(tmp_path)
    meta = json.loads((tmp_path / "calibration.json").read_text())
    assert meta["n_pairs"] == len(pred) and meta["source"] == "test"
    again = ScoreCalibration.load(tmp_path)
    for p in (0.01, 0.1, 0.3):
        assert again.interval(p) == cal.interval(p)
    lo, hi = cal.interval(0.99)
    assert lo < 0.99
    assert hi <= 1.0
    assert np.isnan(cal.interval(float("nan"))[0])


def test_too_few_pairs_and_a_bad_file_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="needs 30"):
        ScoreCalibration().fit([0.1] * 5, [0.2] * 5)
    (tmp_path / "calibration.json").write_text('{"level": 0.8}')
    with pytest.raises(KnowledgeError, match="not a calibration file"):
        ScoreCalibration.load(tmp_path)


def test_the_shipped_calibration_gives_new_data_an_interval_and_known_data_none() -> None:
    import metarec
    from metarec.api import default_models_dir

    assert (default_models_dir() / "calibration.json").is_file()
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(c, 0.3, size=(60, 3)) for c in (0, 3, 6)])
    rec = metarec.recommend(X, top=3, budget=0)
    assert not rec.known and not rec.fallback
    for it in rec.items:
        lo, hi = it.interval
        assert lo <= it.score <= hi
    known = metarec.recommend("sklearn:iris", top=2, budget=0)
    assert known.known and all(np.isnan(it.interval[0]) for it in known.items)


def test_each_near_duplicate_group_appears_once_among_the_neighbours() -> None:
    from metarec.api import get_recommender

    rec = get_recommender("shipped")
    groups = rec.kb_.near_duplicate_groups()
    shared = [h for h in rec.hashes_ if list(groups.values()).count(groups[h]) > 1]
    assert shared, "the shipped knowledge has near-duplicate groups to test with"
    for h in shared:
        neighbours = rec.recommend(rec.kb_.metafeatures.loc[h]).neighbours
        hashes = [
            rec.kb_.datasets.index[rec.kb_.datasets["name"] == name][0]
            for name in neighbours["dataset"]
        ]
        seen = [groups[x] for x in hashes]
        assert len(seen) == len(set(seen)) == rec.n_neighbors


def test_one_printout_recommends_one_number_of_clusters() -> None:
    """The meta-learner's configurations take the printed k, as the zero-shot items do."""
    import metarec

    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(c, 0.4, size=(50, 2)) for c in (0, 4, 8, 12)])
    rec = metarec.recommend(X, top=5, budget=0, hyperparameters=True)
    configs = [*(it.config for it in rec.items), *(p.config for p in rec.hyperparameters)]
    assert {c.n_clusters for c in configs} - {None} <= {rec.n_clusters}
    # a meta-learner's configuration with another k is moved to the printed one
    from metarec.api import _own_k, get_recommender
    from metarec.metafeatures import extract_metafeatures

    recommender = get_recommender()
    mf = extract_metafeatures(metarec.as_dataset(X))
    rec.hyperparameters = [recommender.hyperparameters(mf, "kmeans", n_rows=len(X))]
    rec.hyperparameters[0].config = rec.hyperparameters[0].config.with_n_clusters(9)
    _own_k(recommender, rec, mf)
    moved = rec.hyperparameters[0]
    assert moved.config.n_clusters == moved.n_clusters == rec.n_clusters
    assert moved.predicted_ari == pytest.approx(recommender.prior_scores(mf, [moved.config])[0])
