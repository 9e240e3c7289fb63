"""The learned surrogate objective and its use as tuning's default objective."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from metarec.knowledge import KnowledgeBase, KnowledgeError
from metarec.models.recommender import Recommender
from metarec.models.surrogate import SurrogateObjective, index_features
from metarec.runner import RunResult
from metarec.tuning import tune


@pytest.fixture(scope="module")
def kb(kb_dir: Path) -> KnowledgeBase:
    return KnowledgeBase.from_parquet(kb_dir)


@pytest.fixture(scope="module")
def surrogate(kb: KnowledgeBase) -> SurrogateObjective:
    return SurrogateObjective(n_estimators=100).fit(kb)


def _scores(surrogate: SurrogateObjective, kb: KnowledgeBase, h: str) -> tuple[Any, Any]:
    runs = kb.runs[(kb.runs["content_hash"] == h) & (kb.runs["status"] == "ok")]
    configs = [kb.configs.at[c, "config"] for c in runs["config_hash"]]
    rows = [row for _, row in runs.iterrows()]
    return surrogate.score_many(kb.metafeatures.loc[h], configs, rows), runs["ari"].to_numpy()


def test_surrogate_learns_which_clusterings_agree_with_the_labels(
    kb: KnowledgeBase, surrogate: SurrogateObjective
) -> None:
    rho = []
    for h in kb.dataset_hashes:
        score, ari = _scores(surrogate, kb, h)
        rho.append(stats.spearmanr(score, ari).statistic)
    assert np.nanmean(rho) > 0.5  # it orders each dataset's clusterings by their ARI


def test_index_features_from_results_rows_and_dicts() -> None:
    import pandas as pd

    res = RunResult(
        status="ok",
        seed=0,
        silhouette=0.5,
        calinski_harabasz=99.0,
        n_clusters=3,
        noise_fraction=0.1,
        davies_bouldin=0.7,
    )
    row = pd.DataFrame([res.record()])
    expected = [0.5, np.log(100.0), 0.7, 3.0, np.log(3.0), 0.1]
    np.testing.assert_allclose(index_features(row)[0], expected)
    res.size_entropy, res.largest_fraction, res.smallest_fraction = 0.9, 0.5, 0.2
    sized = index_features(pd.DataFrame([res.record()]), sizes=True)[0]
    np.testing.assert_allclose(sized, [*expected, 0.9, 0.5, 0.2])
    single = RunResult(status="ok", seed=0, n_clusters=1, noise_fraction=0.0)
    feats = index_features(pd.DataFrame([single.record()]))[0]
    assert np.isnan(feats[0]) and feats[3] == 1.0 and feats[4] == 0.0


def test_surrogate_round_trips_as_a_text_model(
    kb: KnowledgeBase, surrogate: SurrogateObjective, tmp_path: Path
) -> None:
    surrogate.save(tmp_path)
    assert (tmp_path / "surrogate.txt").read_text().startswith("tree")
    loaded = SurrogateObjective.load(tmp_path)
    h = kb.dataset_hashes[0]
    np.testing.assert_allclose(_scores(loaded, kb, h)[0], _scores(surrogate, kb, h)[0])
    with pytest.raises(KnowledgeError, match="no trained surrogate"):
        SurrogateObjective.load(tmp_path / "missing")
    # a model saved by metarec 0.1 with its retired options at today's values loads;
    # one that used a retired option is refused in one line
    meta = json.loads((tmp_path / "surrogate.json").read_text())
    meta["params"].update(prior=False, prior_folds=5, explore=False, sweep=False)
    (tmp_path / "surrogate.json").write_text(json.dumps(meta))
    assert SurrogateObjective.load(tmp_path).get_params() == surrogate.get_params()
    meta["params"]["explore"] = True
    (tmp_path / "surrogate.json").write_text(json.dumps(meta))
    with pytest.raises(KnowledgeError, match="retired option explore"):
        SurrogateObjective.load(tmp_path)
    # a model saved before the size features existed loads without them
    del meta["params"]["sizes"]
    meta["params"]["explore"] = False
    (tmp_path / "surrogate.json").write_text(json.dumps(meta))
    assert SurrogateObjective.load(tmp_path).sizes is False


def test_size_features_come_from_runs_results_and_trials(kb: KnowledgeBase, tmp_path: Path) -> None:
    from metarec.scoring import SIZES

    ok = kb.runs[kb.runs["status"] == "ok"]
    assert ok["largest_fraction"].notna().all()  # every run of a build records them
    sized = SurrogateObjective(n_estimators=20).fit(kb)
    plain = SurrogateObjective(n_estimators=20, sizes=False).fit(kb)
    assert sized.model_.num_feature() == plain.model_.num_feature() + len(SIZES)
    h = kb.dataset_hashes[1]
    scores, _ = _scores(sized, kb, h)
    runs = ok[ok["content_hash"] == h]
    configs = [kb.configs.at[c, "config"] for c in runs["config_hash"]]
    # a trial's user attributes (plain dicts) give the same features as the runs table
    as_dicts = [
        {k: row[k] for k in RunResult.__dataclass_fields__ if k in row}
        for _, row in runs.iterrows()
    ]
    np.testing.assert_allclose(sized.score_many(kb.metafeatures.loc[h], configs, as_dicts), scores)
    sized.save(tmp_path)
    loaded = SurrogateObjective.load(tmp_path)
    assert loaded.sizes is True
    np.testing.assert_allclose(_scores(loaded, kb, h)[0], scores)


def test_tune_maximizes_the_surrogate_by_default(
    kb: KnowledgeBase, surrogate: SurrogateObjective
) -> None:
    from metarec.io import load_dataset
    from metarec.metafeatures import extract_metafeatures

    rec = Recommender(surrogate=surrogate).fit(kb)
    study = tune("sklearn:wine", n_trials=4, recommender=rec, random_state=0)
    assert study.user_attrs["objective"] == "surrogate"
    mf = extract_metafeatures(load_dataset("sklearn:wine"))
    for t in study.trials:
        if t.value is not None:
            expected = surrogate.score(mf, t.user_attrs["config"], t.user_attrs)
            assert t.value == pytest.approx(expected)
    # without a trained surrogate one is fitted on the recommender's knowledge, and the
    # recommender (perhaps shared, as the cached one of metarec.api is) is left as it was
    bare = Recommender().fit(kb)
    study = tune("sklearn:iris", n_trials=1, recommender=bare, algorithms=["kmeans"])
    assert study.user_attrs["objective"] == "surrogate"
    assert bare.surrogate is None
