"""The neural hyperparameter meta-learner, its use in the recommender, the k baselines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import metarec
from metarec.cli import main
from metarec.evaluation import neighbour_average_config
from metarec.knowledge import KnowledgeBase, KnowledgeError
from metarec.models.hyperparams import K_VALUES, HyperparameterModel
from metarec.models.recommender import Recommender
from metarec.space import ALGORITHMS, canonicalize, config_hash, k_cap


@pytest.fixture(scope="module")
def kb(kb_dir: Path) -> KnowledgeBase:
    return KnowledgeBase.from_parquet(kb_dir)


@pytest.fixture(scope="module")
def model(kb: KnowledgeBase) -> HyperparameterModel:
    return HyperparameterModel(n_members=2, epochs=60, n_candidates=8).fit(kb)


def test_predictions_are_valid_configurations(
    kb: KnowledgeBase, model: HyperparameterModel
) -> None:
    mf = kb.metafeatures.iloc[0]
    n = int(mf["general.instances"])
    for algorithm in ALGORITHMS:
        for head in ("score", "regression"):
            pred = model.predict(mf, algorithm, head=head)
            assert pred.config["algorithm"] == algorithm
            assert canonicalize(pred.config) == pred.config  # inside the space
            assert np.isfinite(pred.predicted_ari) and pred.uncertainty >= 0
            lo, hi = pred.n_clusters_interval
            assert 2 <= lo <= pred.n_clusters <= hi <= k_cap(n)
    best = model.predict(mf, "dbscan")
    assert best.alternatives and all(
        a["predicted_ari"] <= best.predicted_ari for a in best.alternatives
    )


def test_k_head_learns_the_class_count() -> None:
    """On a knowledge base where k is written in a meta-feature, the k head reads it."""
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 60
    k_true = rng.integers(2, 12, size=n)
    hashes = [f"d{i}" for i in range(n)]
    mf = pd.DataFrame(
        {"signal": np.log(k_true), "noise": rng.normal(size=n), "general.instances": 500.0},
        index=hashes,
    )
    datasets = pd.DataFrame(
        {
            "name": hashes,
            "source": hashes,
            "corpus": "synthetic",
            "n_rows": 500,
            "n_cols": 2,
            "n_classes": k_true,
            "fingerprint": [[float(i)] * 4 for i in range(n)],
        },
        index=pd.Index(hashes, name="content_hash"),
    )
    cfgs = [canonicalize({"algorithm": "kmeans", "params": {"n_clusters": k}}) for k in (2, 5, 10)]
    configs = pd.DataFrame(
        {"algorithm": "kmeans", "config": cfgs},
        index=pd.Index([config_hash(c) for c in cfgs], name="config_hash"),
    )
    runs = pd.DataFrame(
        [
            {
                "content_hash": h,
                "config_hash": config_hash(c),
                "seed": 0,
                "status": "ok",
                "ari": float(np.exp(-abs(np.log(c["params"]["n_clusters"] / k)))),
                "n_clusters": c["params"]["n_clusters"],
            }
            for h, k in zip(hashes, k_true, strict=True)
            for c in cfgs
        ]
    )
    kb = KnowledgeBase(datasets, mf, configs, runs)
    model = HyperparameterModel(n_members=1, epochs=400, patience=400).fit(kb)
    hits = [
        abs(model.predict_k(mf.loc[h])[0] - k) <= 1 for h, k in zip(hashes, k_true, strict=True)
    ]
    assert np.mean(hits) >= 0.8
    assert model.predict(mf.loc["d0"], "kmeans").n_clusters in K_VALUES


def test_save_and_load_round_trip(
    kb: KnowledgeBase, model: HyperparameterModel, tmp_path: Path
) -> None:
    model.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "hyperparams.0.pt",
        "hyperparams.1.pt",
        "hyperparams.json",
        "hyperparams.layers.npz",
    ]
    again = HyperparameterModel.load(tmp_path, kb)
    mf = kb.metafeatures.iloc[3]
    for algorithm in ("hdbscan", "gmm"):
        a, b = model.predict(mf, algorithm), again.predict(mf, algorithm)
        assert a.config == b.config and a.predicted_ari == pytest.approx(b.predicted_ari)


def test_recommender_reports_the_meta_learners_k(
    kb: KnowledgeBase, model: HyperparameterModel
) -> None:
    mf = kb.metafeatures.iloc[2]
    plain = Recommender(n_neighbors=3).fit(kb).recommend(mf, top=5)
    with_k = Recommender(n_neighbors=3, hyper=model).fit(kb).recommend(mf, top=5)
    k, interval, _ = model.predict_k(mf)
    assert (with_k.n_clusters, with_k.n_clusters_interval) == (k, interval)
    # the meta-learner gives the k; the ranking is the recommender's own
    assert [it.config_hash for it in with_k.items] == [it.config_hash for it in plain.items]


def test_neighbour_average_config_averages_and_votes() -> None:
    a = canonicalize(
        {
            "algorithm": "dbscan",
            "params": {"eps_quantile": 0.2, "min_samples": 4},
            "preprocessing": {"scaler": "robust", "pca": "none"},
        }
    )
    b = canonicalize(
        {
            "algorithm": "dbscan",
            "params": {"eps_quantile": 0.6, "min_samples": 16},
            "preprocessing": {"scaler": "standard", "pca": "none"},
        }
    )
    avg = neighbour_average_config([a, b], [3.0, 1.0], [500, 500])
    assert avg["params"]["eps_quantile"] == pytest.approx(0.3)
    assert avg["params"]["min_samples"] == round(np.exp(0.75 * np.log(4) + 0.25 * np.log(16)))
    assert avg["preprocessing"]["scaler"] == "robust"
    km = [canonicalize({"algorithm": "kmeans", "params": {"n_clusters": k}}) for k in (40, 4)]
    # k is capped by each neighbour's size before averaging (40 -> 10 on 100 rows),
    # then averaged on its log scale: sqrt(10 * 4) = 6.3
    assert neighbour_average_config(km, [1, 1], [100, 100])["params"]["n_clusters"] == 6


def test_predict_hyperparameters_api_and_cli(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    preds = metarec.predict_hyperparameters("sklearn:iris", knowledge=str(kb_dir))
    assert sorted(p.algorithm for p in preds) == sorted(ALGORITHMS)
    assert [p.predicted_ari for p in preds] == sorted(
        (p.predicted_ari for p in preds), reverse=True
    )
    one = metarec.predict_hyperparameters("sklearn:iris", "gmm", knowledge=str(kb_dir))
    assert [p.algorithm for p in one] == ["gmm"]
    assert main(["train", "--db", str(kb_dir), "--out", str(tmp_path / "m")]) == 0
    assert (tmp_path / "m" / "hyperparams.json").is_file()
    # training says which held-out errors its 80% intervals come from
    assert "80% intervals: kept from scripts/eval_shipped.py calibrate" in capsys.readouterr().out
    where = ["--db", str(kb_dir), "--models", str(tmp_path / "m")]
    assert main(["recommend", "clustbench:fcps/twodiamonds", *where]) == 0
    assert "hyperparameters for these algorithms (neural meta-learner" in capsys.readouterr().out
    # a dataset the knowledge holds: its recorded runs, and no second score beside them
    assert main(["recommend", "sklearn:wine", *where]) == 0
    out = capsys.readouterr().out
    assert "its own recorded runs lead" in out and "neural meta-learner" not in out


def test_recommender_keeps_a_known_configuration_when_the_ranker_prefers_it(
    kb: KnowledgeBase, model: HyperparameterModel
) -> None:
    rec = Recommender(hyper=model).fit(kb)
    for i in range(min(len(kb.dataset_hashes), 6)):
        mf = kb.metafeatures.loc[kb.dataset_hashes[i]]
        x = rec.scaler_.transform(mf)
        for algorithm in ("kmeans", "dbscan", "gmm"):
            own = model.predict(mf, algorithm)
            got = rec.hyperparameters(mf, algorithm)
            known = [c for c in rec.configs_ if c["algorithm"] == algorithm]
            scores = {
                config_hash(c): float(
                    rec.ranker_.predict(np.hstack([x, rec.encoder_.encode(c)[None, :]]))[0]
                )
                for c in [own.config, *known]
            }
            # the ranker's favourite among the meta-learner's and the known configurations
            assert config_hash(got.config) == max(scores, key=lambda h: scores[h])
            assert got.ranker_score == pytest.approx(max(scores.values()))
            if got.source == "meta-learner":
                assert got.config == own.config
            else:
                assert got.source == "meta-database" and got.config in known
                assert got.alternatives[0]["config"] == own.config
            assert got.n_clusters == own.n_clusters
    with pytest.raises(KnowledgeError, match="metarec train"):
        Recommender().fit(kb).hyperparameters(kb.metafeatures.iloc[0], "kmeans")


def test_a_loaded_meta_learner_predicts_in_numpy_as_in_torch() -> None:
    """The shipped layers (.layers.npz) give the torch networks' numbers, without torch."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, metarec\n"
        "X = np.random.default_rng(0).normal(size=(300, 4))\n"
        "metarec.recommend(X, budget=0, hyperparameters=True)\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

    from metarec.api import default_models_dir
    from metarec.metafeatures import extract_metafeatures
    from metarec.models.hyperparams import HyperparameterModel

    model = HyperparameterModel.load(default_models_dir(), KnowledgeBase.shipped())
    mf = extract_metafeatures(metarec.as_dataset(np.random.default_rng(1).normal(size=(200, 3))))
    in_numpy = [model.predict_k(mf)[2], *(model.predict(mf, a) for a in ("kmeans", "dbscan"))]
    assert model._numpy_members() is not None
    _ = model.members_  # the torch networks: numpy is no longer used
    assert model._numpy_members() is None
    in_torch = [model.predict_k(mf)[2], *(model.predict(mf, a) for a in ("kmeans", "dbscan"))]
    np.testing.assert_allclose(in_numpy[0], in_torch[0], atol=1e-6)
    for a, b in zip(in_numpy[1:], in_torch[1:], strict=True):
        assert a.config == b.config
        assert a.predicted_ari == pytest.approx(b.predicted_ari, abs=1e-5)
