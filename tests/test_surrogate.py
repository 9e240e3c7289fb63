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


@pytest.fixture(scope="module")
def with_prior(kb: KnowledgeBase) -> SurrogateObjective:
    return SurrogateObjective(n_estimators=50, prior=True).fit(kb)


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


@pytest.mark.parametrize("model", ["surrogate", "with_prior"])
def test_surrogate_round_trips_as_a_text_model(
    kb: KnowledgeBase, model: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    surrogate = request.getfixturevalue(model)
    surrogate.save(tmp_path)
    assert (tmp_path / "surrogate.txt").read_text().startswith("tree")
    loaded = SurrogateObjective.load(tmp_path)
    h = kb.dataset_hashes[0]
    np.testing.assert_allclose(_scores(loaded, kb, h)[0], _scores(surrogate, kb, h)[0])
    if surrogate.prior_model_ is None:
        assert not (tmp_path / "surrogate_prior.txt").exists()
        return
    assert (tmp_path / "surrogate_prior.txt").read_text().startswith("tree")
    with pytest.raises(KnowledgeError, match="no trained surrogate"):
        SurrogateObjective.load(tmp_path / "missing")
    (tmp_path / "surrogate_prior.txt").unlink()
    with pytest.raises(KnowledgeError, match="no trained surrogate"):
        SurrogateObjective.load(tmp_path)


def test_prior_is_learned_out_of_fold_and_optional(
    kb: KnowledgeBase, with_prior: SurrogateObjective, tmp_path: Path
) -> None:
    h = kb.dataset_hashes[0]
    runs = kb.runs[(kb.runs["content_hash"] == h) & (kb.runs["status"] == "ok")]
    configs = [kb.configs.at[c, "config"] for c in runs["config_hash"]]
    prior = with_prior.prior_scores(kb.metafeatures.loc[h], configs)
    assert prior.shape == (len(configs),) and np.isfinite(prior).all()
    # the prior orders a dataset's configurations without running them
    assert stats.spearmanr(prior, runs["ari"]).statistic > 0.3
    # the ranking model has one more feature than the model without a prior
    plain = SurrogateObjective(n_estimators=20).fit(kb)
    assert with_prior.model_.num_feature() == plain.model_.num_feature() + 1
    with pytest.raises(KnowledgeError, match="prior=True"):
        plain.prior_scores(kb.metafeatures.loc[h], configs)
    # a model saved without the prior (as before it existed) loads without one
    plain.save(tmp_path)
    assert not (tmp_path / "surrogate_prior.txt").exists()
    meta = json.loads((tmp_path / "surrogate.json").read_text())
    for key in ("prior", "prior_folds", "sizes", "explore"):
        del meta["params"][key]
    (tmp_path / "surrogate.json").write_text(json.dumps(meta))
    old = SurrogateObjective.load(tmp_path)
    assert old.prior_model_ is None and old.sizes is False and old.explore is False


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


@pytest.fixture(scope="module")
def explored(kb_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The small meta-database plus real runs of random configurations on each dataset,
    in the shipped layout (``explore_runs.parquet`` beside the exported tables)."""
    import shutil

    import pandas as pd

    from metarec.io import load_dataset
    from metarec.runner import PreparedData, run_config
    from metarec.space import config_hash, random_configs

    folder = tmp_path_factory.mktemp("explored")
    shutil.copytree(kb_dir, folder, dirs_exist_ok=True)
    kb = KnowledgeBase.from_parquet(kb_dir)
    rows = []
    for i, h in enumerate(kb.dataset_hashes):
        ds = load_dataset(str(kb.value(h, "source"))).subsample(300, 0)
        assert ds.content_hash == h
        prepared = PreparedData(ds)
        for config in random_configs(6, random_state=i):
            result = run_config(prepared, config, isolate=False)
            rows.append(
                {
                    "content_hash": h,
                    "config_hash": config_hash(config),
                    "config": json.dumps(config, sort_keys=True),
                    "source": "random",
                    **result.record(),
                }
            )
    pd.DataFrame(rows).to_parquet(folder / "explore_runs.parquet", index=False)
    return KnowledgeBase.from_parquet(folder)


def test_surrogate_learns_from_explore_runs_of_the_training_datasets_only(
    kb: KnowledgeBase, explored: KnowledgeBase, tmp_path: Path
) -> None:
    from metarec.models.surrogate import training_runs

    assert len(kb.explore_runs) == 0  # an export without them loads as before
    runs = explored.explore_runs
    assert len(runs) == 6 * len(kb.dataset_hashes)
    # (configurations stay JSON text until the surrogate uses them: loading stays fast)
    assert isinstance(json.loads(runs["config"][0]), dict)
    ok = runs[(runs["status"] == "ok") & runs["ari"].notna()]
    design = training_runs(explored, explore=False)
    both = training_runs(explored, explore=True)
    assert len(both) == len(design) + len(ok)
    # each dataset's runs stay together: the ranking's queries
    assert both["content_hash"].is_monotonic_increasing
    # holding a dataset out removes its explore runs too (nothing of it is learned)
    h = kb.dataset_hashes[0]
    held_out = explored.without({h})
    assert h not in set(held_out.explore_runs["content_hash"])
    assert h not in set(training_runs(held_out, explore=True)["content_hash"])
    # and a union keeps them
    assert len(held_out.merged(explored).explore_runs) == len(runs)
    model = SurrogateObjective(n_estimators=20, explore=True).fit(explored)
    plain = SurrogateObjective(n_estimators=20).fit(explored)  # explore runs are optional
    scores, _ = _scores(model, explored, h)
    assert not np.allclose(scores, _scores(plain, explored, h)[0])
    np.testing.assert_allclose(
        _scores(plain, explored, h)[0],
        _scores(SurrogateObjective(n_estimators=20).fit(kb), kb, h)[0],
    )
    model.save(tmp_path)
    loaded = SurrogateObjective.load(tmp_path)
    assert loaded.explore is True
    np.testing.assert_allclose(_scores(loaded, explored, h)[0], scores)
