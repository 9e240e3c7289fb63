"""The runner: scores, and survival of raising, hanging, memory-hungry and crashing fits."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from _faulty import Crashes, EatsMemory, Hangs, Raises
from hypothesis import given
from hypothesis import strategies as st

from metarec import Dataset, load_dataset
from metarec.runner import PreparedData, run_config
from metarec.scoring import SIZES, external_scores, size_measures
from metarec.space import ALGORITHMS, AlgorithmSpec, default_config


@pytest.fixture
def faulty(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the misbehaving estimators as algorithms of the space."""
    for cls in (Raises, Hangs, EatsMemory, Crashes):
        name = cls.__name__.lower()
        spec = AlgorithmSpec(name, cls.__name__, (), lambda p, s, seed, c=cls: c(), uses_k=False)
        monkeypatch.setitem(ALGORITHMS, name, spec)


def test_scores_on_iris() -> None:
    ds = load_dataset("sklearn:iris")
    res = run_config(ds, {"algorithm": "kmeans", "params": {"n_clusters": 3}}, keep_labels=True)
    assert res.status == "ok" and res.n_clusters == 3
    _, counts = np.unique(res.labels, return_counts=True)
    assert res.largest_fraction == counts.max() / 150
    assert res.smallest_fraction == counts.min() / 150
    assert 0.9 < res.size_entropy <= 1.0  # k-means splits iris into three near-equal parts
    assert 0.6 < res.ari <= 1.0 and 0.6 < res.nmi <= 1.0
    assert -1 <= res.silhouette <= 1 and res.calinski_harabasz > 0
    assert np.isnan(res.dbcv)  # only for density-based methods
    assert res.labels is not None and len(res.labels) == 150
    dens = run_config(ds, default_config("hdbscan"))
    assert dens.status == "ok" and np.isfinite(dens.dbcv)


def test_same_seed_same_result() -> None:
    ds = load_dataset("sklearn:wine")
    cfg = {"algorithm": "gmm", "params": {"n_components": 3}}
    a, b = run_config(ds, cfg, random_state=3), run_config(ds, cfg, random_state=3)
    np.testing.assert_equal(a.record() | {"fit_time": 0}, b.record() | {"fit_time": 0})


def test_external_scores_best_labeling_and_noise() -> None:
    pred = np.array([0, 0, 1, 1, 2, 2])
    ref_a = np.array([1, 1, 2, 2, 2, 2])
    ref_b = np.array([1, 1, 2, 2, 3, 3])
    assert external_scores(pred, [ref_a, ref_b])["ari"] == pytest.approx(1.0)
    noisy = np.array([1, 1, 2, 2, 0, 0])  # 0 = noise points, left out
    assert external_scores(pred, [noisy], noise_label=0)["ari"] == pytest.approx(1.0)


@pytest.mark.usefixtures("faulty")
def test_raising_algorithm_is_a_failed_run() -> None:
    ds = PreparedData(load_dataset("sklearn:iris"))
    res = run_config(ds, {"algorithm": "raises"})
    assert res.status == "failed"
    assert "ValueError: this algorithm always fails" in (res.error or "")
    assert run_config(ds, default_config("kmeans")).status == "ok"  # the caller carries on


@pytest.mark.usefixtures("faulty")
def test_hanging_algorithm_times_out() -> None:
    ds = PreparedData(load_dataset("sklearn:iris"))
    start = time.perf_counter()
    res = run_config(ds, {"algorithm": "hangs"}, time_limit=2)
    assert res.status == "timeout" and "2 s limit" in (res.error or "")
    assert time.perf_counter() - start < 15
    assert run_config(ds, default_config("kmeans")).status == "ok"


@pytest.mark.usefixtures("faulty")
def test_memory_guard_and_crash() -> None:
    ds = PreparedData(load_dataset("sklearn:iris"))
    res = run_config(ds, {"algorithm": "eatsmemory"}, memory_limit_mb=300, time_limit=60)
    assert res.status == "failed" and "MemoryError" in (res.error or "")
    crash = run_config(ds, {"algorithm": "crashes"})
    assert crash.status == "failed" and "died" in (crash.error or "")
    assert os.getpid() > 0 and run_config(ds, default_config("dbscan")).status == "ok"


def test_unlabeled_data_has_internal_scores_only() -> None:
    x = np.random.default_rng(0).normal(size=(100, 2))
    res = run_config(Dataset.from_frame(x), default_config("kmeans"))
    assert res.status == "ok" and np.isnan(res.ari) and np.isfinite(res.silhouette)


def test_dbcv_errors_are_nan_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """hdbscan's DBCV asserts on some clusterings (tiny clusters); the run stays ok."""
    import hdbscan.validity

    from metarec.scoring import internal_scores

    def asserts(*args: object, **kwargs: object) -> float:
        raise AssertionError

    monkeypatch.setattr(hdbscan.validity, "validity_index", asserts)
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(size=(60, 2)), rng.normal(size=(40, 2)) + 8])
    scores = internal_scores(x, np.array([0] * 60 + [1] * 40), density=True)
    assert np.isfinite(scores["silhouette"]) and np.isnan(scores["dbcv"])


@given(st.lists(st.integers(-1, 6), min_size=1, max_size=200))
def test_size_measures_describe_any_labelling(labels: list[int]) -> None:
    arr = np.asarray(labels)
    m = size_measures(arr)
    assert set(m) == set(SIZES)
    clusters = np.unique(arr[arr != -1])
    if len(clusters) == 0:
        assert all(np.isnan(v) for v in m.values())
        return
    counts = np.array([(arr == c).sum() for c in clusters])
    assert m["largest_fraction"] == counts.max() / len(arr)
    assert m["smallest_fraction"] == counts.min() / len(arr)
    if len(clusters) == 1:
        assert np.isnan(m["size_entropy"])
    else:
        assert 0.0 < m["size_entropy"] <= 1.0 + 1e-12
        # equal sizes, and only they, give an entropy of 1
        assert (abs(m["size_entropy"] - 1.0) < 1e-9) == (counts.min() == counts.max())


def test_a_script_without_a_main_guard_runs_once(tmp_path: Path) -> None:
    """The isolated child does not run the user's main script again (multiprocessing
    would re-import it, and every run of an unguarded script would fail)."""
    script = tmp_path / "user_script.py"
    script.write_text(
        "from metarec.io import load_dataset\n"
        "from metarec.runner import run_config\n"
        "print('body', flush=True)\n"
        "ds = load_dataset('sklearn:iris')\n"
        "cfg = {'algorithm': 'kmeans', 'params': {'n_clusters': 3}}\n"
        "print(run_config(ds, cfg).status, flush=True)\n"
        "import __main__\n"
        "print(__main__.__file__ == __file__, flush=True)\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=True
    ).stdout.split()
    assert out == ["body", "ok", "True"]


def test_the_run_server_started_ahead_serves_the_runs() -> None:
    """start_workers returns at once (the server imports in the background) and is
    idempotent; the isolated runs that follow use it."""
    import time

    from metarec.runner import start_workers

    t = time.perf_counter()
    start_workers()
    start_workers()
    assert time.perf_counter() - t < 1.0
    result = run_config("sklearn:iris", {"algorithm": "kmeans", "params": {"n_clusters": 3}})
    assert result.status == "ok" and result.n_clusters == 3
