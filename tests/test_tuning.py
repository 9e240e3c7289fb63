"""Cold-start Optuna search over the clustering space."""

from __future__ import annotations

import math

import pytest

from metarec.exceptions import MetarecError
from metarec.runner import RunResult
from metarec.tuning import objective_value, tune


def test_cold_tpe_search_records_ari_but_optimizes_silhouette() -> None:
    study = tune("sklearn:iris", n_trials=6, seed=1, algorithms=["kmeans", "dbscan"])
    assert len(study.trials) == 6
    best = study.best_trial
    assert best.params["algorithm"] in ("kmeans", "dbscan")
    assert -1 <= best.value <= 1
    assert "ari" in best.user_attrs and "config" in best.user_attrs
    again = tune("sklearn:iris", n_trials=6, seed=1, algorithms=["kmeans", "dbscan"])
    assert [t.params for t in again.trials] == [t.params for t in study.trials]


def test_objective_values() -> None:
    ok = RunResult(status="ok", seed=0, silhouette=float("nan"), davies_bouldin=0.7)
    assert objective_value(ok, "silhouette") == -1.0  # undefined -> worst
    assert objective_value(ok, "davies_bouldin") == 0.7
    assert math.isnan(objective_value(RunResult(status="failed", seed=0), "silhouette"))
    with pytest.raises(MetarecError, match="unknown objective"):
        tune("sklearn:iris", n_trials=1, objective="purity")
    custom = tune("sklearn:iris", n_trials=3, objective=lambda r: float(r.n_clusters or 0))
    assert custom.best_value >= 2


def test_silhouette_objective_counts_noise() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(size=(50, 2)), rng.normal(size=(50, 2)) + 6])
    # Two tight pairs and everything else noise: excellent without noise, poor with it.
    labels = np.full(100, -1)
    labels[:2], labels[50:52] = 0, 1
    res = RunResult(status="ok", seed=0, silhouette=0.99, labels=labels)
    assert objective_value(res, "silhouette") == 0.99
    assert objective_value(res, "silhouette", x) < 0.5
