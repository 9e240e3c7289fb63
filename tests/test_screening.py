"""The budgeted recommendation: candidates run on the data, then scored without labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_blobs

import metarec
from metarec import MetaClusterer, screening
from metarec.cli import main
from metarec.dataset import Dataset
from metarec.exceptions import MetarecError
from metarec.runner import PreparedData, RunResult
from metarec.screening import (
    BLEND,
    Candidate,
    agreement,
    candidate_configs,
    candidate_ks,
    data_k,
    kmeans_at,
    label_free_scores,
    portfolio,
)
from metarec.space import Configuration, k_cap


def _blobs() -> np.ndarray:
    x, _ = make_blobs(240, n_features=4, centers=4, cluster_std=1.0, random_state=7)
    return x


def test_candidate_ks_are_around_the_prediction_and_within_the_cap() -> None:
    assert candidate_ks([4], (3, 7), n_rows=500)[:5] == [4, 3, 5, 2, 6]
    assert candidate_ks([6, 3], (3, 4), n_rows=500, width=1) == [6, 3, 5, 7, 2, 4]
    ks = candidate_ks([40], (30, 60), n_rows=200)
    assert max(ks) <= k_cap(200) and min(ks) >= 2 and len(ks) == len(set(ks))
    small = candidate_ks([2], (2, 2), n_rows=10)
    assert small[0] == 2 and all(2 <= k <= max(2, k_cap(10)) for k in small)


def test_candidate_configs_take_each_top_algorithm_at_every_k() -> None:
    ranked = [
        Configuration.from_dict(
            {"algorithm": "kmeans", "params": {"n_clusters": 7}, "preprocessing": {}}
        ),
        Configuration.from_dict(
            {"algorithm": "kmeans", "params": {"n_clusters": 3}, "preprocessing": {}}
        ),
        Configuration.from_dict(
            {"algorithm": "dbscan", "params": {"eps_quantile": 0.1, "min_samples": 5}}
        ),
        Configuration.from_dict({"algorithm": "gmm", "params": {"n_components": 9}}),
    ]
    got = candidate_configs(ranked, [4, 5], algorithms=3)
    assert [(c.algorithm, c.n_clusters) for c in got] == [
        ("kmeans", 4),
        ("dbscan", None),
        ("gmm", 4),
        ("kmeans", 5),
        ("gmm", 5),
    ]


def test_portfolio_runs_the_top1_then_kmeans_at_the_datas_k_then_the_leaders() -> None:
    ranked = [
        Configuration.from_dict({"algorithm": "gmm", "params": {"n_components": 9}}),
        Configuration.from_dict(
            {"algorithm": "spectral", "params": {"n_clusters": 3, "affinity": "rbf"}}
        ),
    ]
    got = portfolio(ranked, [3, 4], k_data=2, algorithms=2)
    assert [(c.algorithm, c.n_clusters) for c in got] == [
        ("gmm", 9),
        ("kmeans", 2),
        ("gmm", 3),
        ("spectral", 3),
        ("gmm", 4),
        ("spectral", 4),
    ]
    assert got[1] == kmeans_at(2)


def test_agreement_prefers_the_partition_the_others_share() -> None:
    a = np.repeat([0, 1, 2], 20)
    noisy = a.copy()
    noisy[:5] = 1
    other = np.tile([0, 1], 30)
    got = agreement([a, noisy, other, None])
    assert np.isnan(got[3]) and got[0] > got[2] and got[1] > got[2]
    assert np.isnan(agreement([a])).all()


@given(
    st.lists(
        st.lists(st.integers(-1, 6), min_size=12, max_size=12).map(np.array),
        min_size=2,
        max_size=4,
    )
)
@settings(max_examples=60, deadline=None)
def test_pairwise_ari_is_sklearns_ari_exactly(labelings: list[np.ndarray]) -> None:
    from sklearn.metrics import adjusted_rand_score

    from metarec.scoring import pairwise_ari

    got = pairwise_ari(labelings)
    for a, la in enumerate(labelings):
        for b, lb in enumerate(labelings):
            want = 1.0 if a == b else adjusted_rand_score(la, lb)
            assert got[a, b] == want  # the same pair counts in exact integers


def test_data_k_finds_the_blobs_with_or_without_the_distance_matrix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prepared = PreparedData(Dataset.from_frame(_blobs()), 0)
    assert data_k(prepared) == 4
    monkeypatch.setattr(screening._sweep, "PRECOMPUTED_ROWS", 0)  # distances per k instead
    assert data_k(PreparedData(prepared.dataset, 0)) == 4


def test_the_blend_weighs_each_partitions_silhouette() -> None:
    def cand(k: int, prior: float, sil: float, agree: float, status: str = "ok") -> Candidate:
        result = RunResult(status=status, seed=0, n_clusters=k, silhouette=sil)
        return Candidate(kmeans_at(k), prior, result, agreement=agree)

    # equal priors and agreement: the silhouette decides
    flat = [cand(2, 0.2, 0.30, 0.1), cand(3, 0.2, 0.60, 0.1), cand(4, 0.2, 0.45, 0.1)]
    got = label_free_scores(None, pd.Series(dtype=float), flat)
    assert int(np.argmax(got)) == 1
    # the silhouette outweighs the prior, not agreement and prior together
    mixed = [cand(2, 0.9, 0.10, 0.1), cand(3, 0.1, 0.60, 0.1)]
    assert np.argmax(label_free_scores(None, pd.Series(dtype=float), mixed)) == 1
    assert BLEND["silhouette"] > BLEND["prior"]
    # without its weight it counts for nothing; a failed run scores NaN
    failed = [*flat, cand(5, 0.9, 0.99, 0.9, status="error")]
    got = label_free_scores(None, pd.Series(dtype=float), failed, {"prior": 1.0})
    assert np.isnan(got[3]) and np.allclose(got[:3], got[0])


def test_budget_zero_gives_every_configuration_the_predicted_k(kb_dir: Path) -> None:
    rec = metarec.recommend(_blobs(), top=5, knowledge=str(kb_dir), budget=0)
    assert rec.screening is None
    ks = {it.config.n_clusters for it in rec.items} - {None}
    assert ks == {rec.n_clusters}  # the printed k is every configuration's k
    assert len({it.config_hash for it in rec.items}) == len(rec.items)
    lo, hi = rec.n_clusters_interval
    assert lo <= rec.n_clusters <= hi


def test_a_budget_runs_candidates_and_ranks_their_partitions(kb_dir: Path) -> None:
    rec = metarec.recommend(_blobs(), top=3, knowledge=str(kb_dir), budget=30)
    s = rec.screening
    assert s is not None and s.not_run == 0 and len(s.candidates) >= 3
    assert [it.rank for it in rec.items] == [1, 2, 3]
    top = rec.top
    best = s.candidates[0].score if s.trusted else max(c.score for c in s.candidates)
    assert np.isfinite(top.screened) and top.screened == best
    assert top.observed["clusters_found"] >= 2
    k = top.config.n_clusters or top.observed["clusters_found"]
    assert rec.n_clusters == k  # the printed k is the top-1's
    assert "screened" in rec.note
    frame = s.to_frame()
    assert len(frame) == len(s.candidates) and frame["rank"].min() == 1
    # nothing is screened for data the meta-database holds: its own runs lead
    known = metarec.recommend("sklearn:wine", knowledge=str(kb_dir), budget=30)
    assert known.known and known.screening is None


@pytest.mark.parametrize("trust", [float("-inf"), float("inf")])
def test_a_confident_zero_shot_top1_stays_first(
    kb_dir: Path, monkeypatch: pytest.MonkeyPatch, trust: float
) -> None:
    import metarec.screening as screening

    monkeypatch.setattr(screening._evidence, "TRUST_PRIOR", trust)
    zero = metarec.recommend(_blobs(), top=1, knowledge=str(kb_dir), budget=0)
    rec = metarec.recommend(_blobs(), top=3, knowledge=str(kb_dir), budget=30)
    s = rec.screening
    assert s is not None and s.trusted is (trust < 0) and s.summary()["trusted"] is s.trusted
    blend_first = max(range(len(s.candidates)), key=lambda i: s.candidates[i].score)
    if s.trusted:  # the zero-shot top-1 (screened first, as recommended) leads
        assert s.ranking[0] == 0 and "stays first" in rec.note
        assert s.candidates[0].config.algorithm == zero.top.config.algorithm
    else:
        assert s.ranking[0] == blend_first and "stays first" not in rec.note


def test_a_small_budget_runs_fewer_candidates(kb_dir: Path) -> None:
    rec = metarec.recommend(_blobs(), knowledge=str(kb_dir), budget=1e-9)
    assert rec.screening is not None
    # the zero-shot top-1 and KMeans at the data's own k run whatever the budget
    assert len(rec.screening.candidates) == 2 and rec.screening.not_run >= 1


def test_meta_clusterer_budget(kb_dir: Path) -> None:
    x = _blobs()
    model = MetaClusterer(knowledge=str(kb_dir), budget=30).fit(x)
    assert model.recommendation_.screening is not None
    assert model.config_ == model.recommendation_.top.config
    assert model.labels_.shape == (len(x),)
    for bad in (-1, float("nan"), float("inf"), "5", True):
        with pytest.raises(MetarecError, match="budget"):
            MetaClusterer(knowledge=str(kb_dir), budget=bad).fit(x)  # type: ignore[arg-type]


def test_cli_budget(kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "blobs.csv"
    np.savetxt(path, _blobs(), delimiter=",", header="a,b,c,d", comments="")
    args = ["recommend", str(path), "--db", str(kb_dir)]
    assert main([*args, "--budget", "30", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["screening"]["candidates"] >= 3
    first = payload["recommendations"][0]
    assert first["observed"]["clusters_found"] >= 2
    assert main([*args, "--budget", "0"]) == 0
    out = capsys.readouterr().out
    assert "recommended number of clusters" in out
    for bad in ("-1", "inf", "soon"):
        with pytest.raises(SystemExit):
            main([*args, "--budget", bad])
        assert "budget" in capsys.readouterr().err
    for bad in ("0", "-3", "x"):
        with pytest.raises(SystemExit):
            main([*args, "--top", bad])
        assert "--top" in capsys.readouterr().err


def test_the_budget_buys_planned_work_not_wall_clock_time(
    kb_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same data, seed and budget run the same candidates on any machine: the plan
    is made from predicted costs before anything runs, whatever the runs then take."""
    import time

    from metarec import runner

    first = metarec.recommend(_blobs(), top=5, knowledge=str(kb_dir), budget=1.0)
    s = first.screening
    assert s is not None and s.not_run >= 1
    # within the budget, unless the candidates that always run cost more by themselves
    assert s.planned <= 1.0 + 1e-9 or len(s.candidates) == screening.ALWAYS_RUN
    real = runner.run_config
    calls: list[float] = []

    def slow(*args: object, **kwargs: object) -> RunResult:
        time.sleep(0.3)  # a machine several times slower than the recorded runs
        calls.append(0.3)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(screening._budget, "run_config", slow)
    again = metarec.recommend(_blobs(), top=5, knowledge=str(kb_dir), budget=1.0, random_state=0)
    t = again.screening
    assert t is not None and len(calls) >= len(t.candidates) - 1
    assert [c.config for c in t.candidates] == [c.config for c in s.candidates]
    assert [it.config for it in again.items] == [it.config for it in first.items]
    assert t.describe() == s.describe() and "s taken" not in t.describe()
    assert "left out by the budget" in t.describe()


def test_one_or_two_runs_at_a_time_give_the_same_screening(kb_dir: Path) -> None:
    from metarec.api import ZERO_SHOT_DEPTH, get_recommender
    from metarec.metafeatures import extract_metafeatures

    rec = get_recommender(str(kb_dir))
    ds = Dataset.from_frame(_blobs(), name="blobs")
    mf = extract_metafeatures(ds)
    zero = rec.recommend(mf, top=ZERO_SHOT_DEPTH)
    ranked = [it.config for it in zero.items]
    args = (rec, ds, ranked, zero.n_clusters, zero.n_clusters_interval, mf, 1.5)
    one = screening.screen(*args, n_jobs=1)
    two = screening.screen(*args, n_jobs=2)
    assert one.ranking == two.ranking and one.summary()["planned"] == two.summary()["planned"]
    assert [c.score for c in one.candidates] == [c.score for c in two.candidates]
    # KMeans at the data's own k is the sweep's partition, not a second run
    k = screening.data_k(PreparedData(ds.subsample(1000, 0), 0))
    kmeans = [c for c in one.candidates if c.config == kmeans_at(k)]
    assert len(kmeans) == 1 and np.isnan(kmeans[0].result.fit_time)
    # the sweep run ahead (as recommend runs it while the models load) changes nothing;
    # one drawn with another seed is not used
    ahead = screening.screen(*args, n_jobs=2, swept=screening.sweep(ds))
    assert ahead.ranking == one.ranking and ahead.planned == one.planned
    assert [c.score for c in ahead.candidates] == [c.score for c in one.candidates]
    other = screening.screen(*args, swept=screening.sweep(ds, random_state=1))
    assert other.ranking == one.ranking and other.data_k == one.data_k
    # record_all runs what the budget left out, for the record only
    everything = screening.screen(*args, record_all=True)
    assert everything.ranking == one.ranking and len(everything.extra) == one.not_run
    frame = everything.to_frame()
    assert frame["planned"].sum() == len(one.candidates) and frame["rank"].notna().sum() >= 2


def test_the_wall_clock_safety_limit_stops_runs_and_says_so(
    kb_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(screening._budget, "SAFETY_FACTOR", 0.0)
    monkeypatch.setattr(screening._budget, "SAFETY_EXTRA", 0.0)
    rec = metarec.recommend(_blobs(), top=3, knowledge=str(kb_dir), budget=2.0)
    s = rec.screening
    assert s is not None and s.stopped >= 1
    assert f"{s.stopped} stopped by the wall-clock safety limit" in rec.note
    # the sweep's KMeans partition needs no run: something is still ranked
    assert s.best is not None and s.best.config.algorithm == "kmeans"
