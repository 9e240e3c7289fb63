"""Equal configurations hash the same, whatever the spelling; stored duplicates merge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metarec.db import MetaDatabase
from metarec.space import (
    ALGORITHMS,
    ConfigError,
    canonicalize,
    config_hash,
    design,
)
from metarec.space._configurations import _hash_canonical

CONFIGS = design(3, random_state=0)


def _respell(value: Any, how: int) -> Any:
    """Another spelling of the same value: int as float or numpy, bool as 0/1."""
    if isinstance(value, bool):
        return [value, int(value), float(value), np.bool_(value)][how % 4]
    if isinstance(value, int):
        return [value, float(value), np.int64(value), np.float64(value)][how % 4]
    if isinstance(value, float):
        return [value, np.float64(value)][how % 2]
    return value


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(CONFIGS), st.lists(st.integers(0, 3), min_size=12, max_size=12))
def test_any_spelling_of_a_configuration_hashes_the_same(
    config: dict[str, Any], hows: list[int]
) -> None:
    params = {
        k: _respell(v, hows[i % len(hows)]) for i, (k, v) in enumerate(config["params"].items())
    }
    other = {**config, "params": params}
    assert config_hash(other) == config_hash(config)
    assert canonicalize(other) == canonicalize(config)
    # the canonical form keeps the declared types (a JSON round trip changes nothing)
    canon = canonicalize(other)
    assert json.loads(json.dumps(canon)) == canon
    assert config_hash(json.loads(json.dumps(other, default=lambda x: x.item()))) == config_hash(
        config
    )


def test_values_that_only_look_equal_are_refused() -> None:
    with pytest.raises(ConfigError):
        canonicalize({"algorithm": "minibatch_kmeans", "params": {"batch_size": "1024"}})
    with pytest.raises(ConfigError):
        canonicalize({"algorithm": "meanshift", "params": {"cluster_all": "yes"}})
    with pytest.raises(ConfigError):
        canonicalize({"algorithm": "minibatch_kmeans", "params": {"batch_size": True}})
    spec = ALGORITHMS["meanshift"].by_name["cluster_all"]
    assert spec.validate(1) is True and spec.validate(0.0) is False


def test_a_migration_merges_configurations_stored_twice(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    db = MetaDatabase(url)
    from metarec import load_dataset
    from metarec.metafeatures import extract_metafeatures

    ds = load_dataset("sklearn:iris")
    did = db.add_dataset(ds, extract_metafeatures(ds))
    good = canonicalize({"algorithm": "minibatch_kmeans", "params": {"batch_size": 1024}})
    # what the old check stored for 1024.0: the raw value, and a hash of it
    raw = json.loads(json.dumps(good))
    raw["params"]["batch_size"] = 1024.0
    lonely = canonicalize({"algorithm": "meanshift", "params": {"cluster_all": True}})
    lonely_raw = json.loads(json.dumps(lonely))
    lonely_raw["params"]["cluster_all"] = 1
    ids = db.add_configurations([good])
    with db.transaction() as conn:
        for cfg in (raw, lonely_raw):
            conn.execute(
                text(
                    "INSERT INTO configurations (config_hash, algorithm, config) "
                    "VALUES (:h, :a, :c)"
                ),
                {"h": _hash_canonical(cfg), "a": cfg["algorithm"], "c": json.dumps(cfg)},
            )
        rows = conn.execute(text("SELECT config_hash, id FROM configurations")).all()
    by = dict(rows)
    run = {"status": "ok", "ari": 0.5, "n_clusters": 3, "dataset_id": did}
    db.add_runs(
        [
            {**run, "config_id": ids[config_hash(good)], "seed": 0},
            {**run, "config_id": by[_hash_canonical(raw)], "seed": 0},  # the same run again
            {**run, "config_id": by[_hash_canonical(raw)], "seed": 1},  # a new one
            {**run, "config_id": by[_hash_canonical(lonely_raw)], "seed": 0},
        ]
    )
    assert db.count("configurations") == 3 and db.count("runs") == 4
    # back to the revision before the merge, then open it as an old database would be
    with db.engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option(
            "script_location", str(Path(__file__).parents[1] / "metarec/db/migrations")
        )
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    db = MetaDatabase(url)
    assert db.revision() == "0004"
    table = db.table("configurations")
    assert sorted(table["config_hash"]) == sorted([config_hash(good), config_hash(lonely)])
    assert db.count("runs") == 3  # the repeated run was dropped, the new one kept
    runs = db.table("runs")
    assert set(runs["config_id"]) == set(db.table("configurations")["id"])
    assert db.check() == []
