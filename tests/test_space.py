"""The search space: canonical configurations, design, Optuna mapping, relative parameters."""

from __future__ import annotations

import numpy as np
import optuna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metarec.space import (
    ALGORITHMS,
    ConfigError,
    DataScales,
    build_estimator,
    canonicalize,
    config_hash,
    default_config,
    design,
    distributions,
    from_optuna_params,
    k_cap,
    suggest_config,
    to_optuna_params,
)

EXPECTED = {
    "kmeans",
    "minibatch_kmeans",
    "bisecting_kmeans",
    "gmm",
    "agglomerative",
    "birch",
    "dbscan",
    "hdbscan",
    "optics",
    "meanshift",
    "spectral",
    "affinity_propagation",
}


def test_registry_covers_the_algorithms() -> None:
    assert set(ALGORITHMS) == EXPECTED
    dists = distributions()
    assert isinstance(dists["algorithm"], optuna.distributions.CategoricalDistribution)
    assert isinstance(dists["dbscan.eps_quantile"], optuna.distributions.FloatDistribution)


def test_canonical_form_and_hash() -> None:
    a = {"algorithm": "spectral", "params": {"n_clusters": 4, "affinity": "rbf", "n_neighbors": 7}}
    b = {
        "algorithm": "spectral",
        "params": {"affinity": "rbf", "n_clusters": 4.0, "gamma_scale": 1.0},
        "preprocessing": {"scaler": "standard"},
    }
    ca = canonicalize(a)
    assert "n_neighbors" not in ca["params"]  # inactive under affinity=rbf
    assert ca == canonicalize(b)
    assert config_hash(a) == config_hash(b)
    assert config_hash(a) != config_hash({**a, "params": {**a["params"], "n_clusters": 5}})
    assert (
        canonicalize({"algorithm": "dbscan", "params": {"eps_quantile": 0.123456}})["params"][
            "eps_quantile"
        ]
        == 0.1235
    )


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"algorithm": "nope"}, "unknown algorithm"),
        ({"algorithm": "kmeans", "params": {"k": 3}}, "no parameter"),
        ({"algorithm": "kmeans", "params": {"n_clusters": 1}}, "outside"),
        ({"algorithm": "kmeans", "params": {"n_clusters": 2.5}}, "integer"),
        ({"algorithm": "gmm", "params": {"covariance_type": "huge"}}, "not one of"),
        ({"algorithm": "kmeans", "preprocessing": {"scaler": "log"}}, "not one of"),
        ({"params": {}}, "'algorithm'"),
    ],
)
def test_invalid_configs(config: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        canonicalize(config)


def test_design_is_seeded_deduplicated_and_includes_defaults() -> None:
    d1, d2 = design(6, random_state=1), design(6, random_state=1)
    assert d1 == d2
    assert len(d1) == 6 * len(ALGORITHMS)
    assert len({config_hash(c) for c in d1}) == len(d1)
    for name in ALGORITHMS:
        assert default_config(name) in d1
    assert design(6, random_state=2) != d1


def test_optuna_round_trip() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        trial = study.ask()
        cfg = suggest_config(trial)
        assert from_optuna_params(trial.params) == cfg
        assert from_optuna_params(to_optuna_params(cfg)) == cfg
        study.tell(trial, 0.0)


def test_relative_parameters_follow_the_data() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    small, large = DataScales(x), DataScales(x * 100)
    cfg = {"algorithm": "dbscan", "params": {"eps_quantile": 0.5, "min_samples": 5}}
    eps_small = build_estimator(cfg, small).eps
    assert build_estimator(cfg, large).eps == pytest.approx(100 * eps_small)
    assert eps_small == pytest.approx(small.kdist_quantile(5, 0.5))
    km = build_estimator({"algorithm": "kmeans", "params": {"n_clusters": 50}}, DataScales(x[:30]))
    assert km.n_clusters == k_cap(30) == 10
    hd = build_estimator({"algorithm": "hdbscan", "params": {"min_cluster_size_frac": 0.05}}, small)
    assert hd.min_cluster_size == 20


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.booleans())
def test_configuration_type_round_trips(seed: int, shuffle: bool) -> None:
    from metarec.space import Configuration, random_configs

    raw = random_configs(1, random_state=seed)[0]
    if shuffle:  # another spelling of the same configuration: keys in another order
        raw = {
            "preprocessing": dict(reversed(list(raw["preprocessing"].items()))),
            "params": dict(reversed(list(raw["params"].items()))),
            "algorithm": raw["algorithm"],
        }
    cfg = Configuration.from_dict(raw)
    assert cfg.to_dict() == canonicalize(raw)
    assert cfg.hash == config_hash(raw) == config_hash(cfg)
    assert Configuration.from_dict(cfg.to_dict()) == cfg
    assert hash(cfg) == hash(Configuration.from_dict(cfg.to_dict()))
    assert cfg["algorithm"] == cfg.algorithm and dict(cfg) == cfg.to_dict()
    with pytest.raises(TypeError):
        cfg.params["x"] = 1  # type: ignore[index]
    import copy
    import pickle

    assert pickle.loads(pickle.dumps(cfg)) == cfg == copy.deepcopy(cfg)


def test_configuration_rejects_what_is_not_in_the_space() -> None:
    from metarec.space import Configuration

    with pytest.raises(ConfigError):
        Configuration.from_dict({"algorithm": "kmeans", "params": {"n_clusters": 1}})
    with pytest.raises(ConfigError):
        Configuration.from_dict({"params": {}})


def test_one_configuration_has_one_hash_and_booleans_are_not_numbers() -> None:
    """Issue 39: -0.0 and 0.0 are one configuration; True is no value of a numeric
    parameter."""
    from metarec.space import ConfigError, config_hash

    def ap(q: float) -> dict[str, object]:
        return {
            "algorithm": "affinity_propagation",
            "params": {"damping": 0.6, "preference_quantile": q},
            "preprocessing": {},
        }

    assert config_hash(ap(0.0)) == config_hash(ap(-0.0))
    for bad in (True, False, np.True_):
        with pytest.raises(ConfigError, match="is not a number"):
            config_hash(
                {"algorithm": "dbscan", "params": {"min_samples": bad}, "preprocessing": {}}
            )
