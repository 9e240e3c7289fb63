"""Runs of random configurations on every dataset of the shipped meta-database.

The meta-database's runs come from a fixed design (the same 108 configurations
on every dataset); a search visits configurations off that design, and there
the learned surrogate objective has never seen what a good or a bad clustering
looks like. This script samples ``--per-dataset`` configurations from the
space that :func:`metarec.tuning.tune` searches
(:func:`metarec.space.random_configs`, seeded per dataset), runs each on the
dataset as the build stored it (isolated, ``--time-limit`` seconds, as a tuning
trial) and records every score, so that the surrogate can learn from the
clusterings a search meets (``SurrogateObjective(explore=True)``).

With ``--search N`` it records instead the trials of cold TPE searches of
``N`` trials that maximize the surrogate objective (``tune(objective="auto")``)
on ``--datasets`` seeded datasets: the clusterings a search *selects* because
the objective rates them, where its mistakes are. The searching surrogate and
the datasets leave out the held-out datasets of ``scripts/warm_vs_cold.py``
(``--exclude-heldout K``: its first K, with their near-duplicates), so that a
held-out comparison can learn from these runs without having seen anything of
its datasets. Rows get ``source`` = ``search`` (``random`` otherwise).

Resumable: one CSV per dataset in ``--cache``; a rerun skips finished datasets.
``--write`` then writes ``meta_db/explore_runs.parquet`` (both sources).

Usage::

    nohup python scripts/explore_runs.py > logs/explore.log 2>&1 &
    nohup python scripts/explore_runs.py --search 50 --datasets 120 > logs/search.log 2>&1 &
    python scripts/explore_runs.py --write
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from _results import run_per_dataset, save_csv

from metarec.models.surrogate import RUN_INDICES

DEFAULT_CACHE = Path.home() / ".cache" / "metarec-build" / "explore_runs"
SEARCH_CACHE = Path.home() / ".cache" / "metarec-build" / "search_runs"
#: what each run records, besides its configuration: what the surrogate reads, and more
MEASURES = ("status", "fit_time", "ari", *RUN_INDICES)


def _save_runs(rows: list[tuple[dict, dict]], cache: str, h: str) -> pd.DataFrame:
    """(configuration, measures) pairs as the dataset's CSV in ``cache``."""
    frame = pd.DataFrame(
        [
            {"config": json.dumps(config, sort_keys=True), "seed": 0}
            | {key: measures.get(key) for key in MEASURES}
            for config, measures in rows
        ],
        columns=["config", "seed", *MEASURES],
    )
    save_csv(frame, Path(cache) / f"{h}.csv")
    return frame


def one_dataset(args: tuple[str, str, int, int, float, str]) -> tuple[str, str]:
    from metarec.evaluation import load_as_built
    from metarec.runner import PreparedData, run_config
    from metarec.space import random_configs

    h, source, n, seed, time_limit, cache = args
    ds = load_as_built(source, h, 1000, None)
    if ds is None:
        return h, "cannot rebuild the dataset as stored"
    prepared = PreparedData(ds)
    rows = [
        (config, run_config(prepared, config, random_state=0, time_limit=time_limit).record())
        for config in random_configs(n, random_state=seed)
    ]
    frame = _save_runs(rows, cache, h)
    ok = frame["status"] == "ok"
    return h, f"{int(ok.sum())}/{len(frame)} ok, best ARI {frame['ari'].max():.3f}"


def search_dataset(args: tuple[str, str, int, str, str]) -> tuple[str, str]:
    """The trials of one cold TPE search on the surrogate objective, as explore runs."""
    from metarec.evaluation import load_as_built
    from metarec.models.recommender import Recommender
    from metarec.models.surrogate import SurrogateObjective
    from metarec.tuning import own_trials, tune

    h, source, trials, model_dir, cache = args
    ds = load_as_built(source, h, 1000, None)
    if ds is None:
        return h, "cannot rebuild the dataset as stored"
    # the objective needs only the recommender's surrogate: no ranking, no warm start
    rec = Recommender(surrogate=SurrogateObjective.load(model_dir))
    study = tune(
        ds, n_trials=trials, objective="auto", seed=0, warm=False, recommender=rec, time_limit=30
    )
    rows = [
        (t.user_attrs["config"], t.user_attrs)
        for t in own_trials(study)
        if "config" in t.user_attrs
    ]
    frame = _save_runs(rows, cache, h)
    return h, f"{len(frame)} trials, best ARI {frame['ari'].max():.3f}"


def search(cache: Path, trials: int, n_datasets: int, exclude_heldout: int, workers: int) -> None:
    from warm_vs_cold import choose_datasets

    from metarec.knowledge import KnowledgeBase
    from metarec.models.surrogate import SurrogateObjective

    kb = KnowledgeBase.shipped()
    cache.mkdir(parents=True, exist_ok=True)
    groups = kb.near_duplicate_groups()
    held = {groups[h] for h in choose_datasets(kb, exclude_heldout)} if exclude_heldout else set()
    excluded = {h for h, g in groups.items() if g in held}
    pool = sorted(h for h in kb.dataset_hashes if h not in excluded)
    rng = np.random.default_rng(0)
    chosen = sorted(rng.choice(pool, size=min(n_datasets, len(pool)), replace=False))
    model_dir = cache / "surrogate"
    if not (model_dir / "surrogate.json").is_file():
        # the searching objective: the shipped kind, never trained on the held-out datasets
        SurrogateObjective(explore=False).fit(kb.without(excluded)).save(model_dir)
    jobs = [
        (h, str(kb.value(h, "source")), trials, str(model_dir), str(cache))
        for h in chosen
        if not (cache / f"{h}.csv").exists()
    ]
    run_per_dataset(search_dataset, jobs, workers)


def compute(cache: Path, per_dataset: int, time_limit: float, workers: int) -> None:
    from metarec.knowledge import KnowledgeBase

    kb = KnowledgeBase.shipped()
    cache.mkdir(parents=True, exist_ok=True)
    jobs = []
    for i, h in enumerate(sorted(kb.dataset_hashes)):
        if not (cache / f"{h}.csv").exists():
            source = str(kb.value(h, "source"))
            jobs.append((h, source, per_dataset, i, time_limit, str(cache)))
    run_per_dataset(one_dataset, jobs, workers)


def write(cache: Path, search_cache: Path, per_dataset: int, time_limit: float) -> None:
    from metarec.space import config_hash

    def read(folder: Path, source: str) -> pd.DataFrame:
        files = sorted(folder.glob("*.csv"))
        return pd.concat(
            [pd.read_csv(f).assign(content_hash=f.stem, source=source) for f in files],
            ignore_index=True,
        )

    parts = [read(cache, "random")]
    if search_cache.is_dir() and any(search_cache.glob("*.csv")):
        parts.append(read(search_cache, "search"))
    frame = pd.concat(parts, ignore_index=True)
    frame["config_hash"] = [config_hash(json.loads(c)) for c in frame["config"]]
    # a search may run a configuration twice (same seed, same result): one run is kept
    frame = frame.drop_duplicates(["content_hash", "config_hash", "seed"]).reset_index(drop=True)
    frame = frame[["content_hash", "config_hash", "config", "seed", "source", *MEASURES]]
    folder = Path("meta_db")
    frame.to_parquet(folder / "explore_runs.parquet", index=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    random, searched = (frame[frame["source"] == s] for s in ("random", "search"))
    manifest["explore_runs"] = {
        "command": "python scripts/explore_runs.py && python scripts/explore_runs.py --write",
        "per_dataset": per_dataset,
        "time_limit_s": time_limit,
        "datasets": int(random["content_hash"].nunique()),
        "runs": len(random),
        "ok_runs": int((random["status"] == "ok").sum()),
    }
    if len(searched):
        manifest["search_runs"] = {
            "command": "python scripts/explore_runs.py --search 50 --datasets 120",
            "datasets": int(searched["content_hash"].nunique()),
            "runs": len(searched),
            "ok_runs": int((searched["status"] == "ok").sum()),
        }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {len(random)} random and {len(searched)} search runs")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    p.add_argument("--per-dataset", type=int, default=50)
    p.add_argument("--time-limit", type=float, default=30.0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--write", action="store_true", help="write meta_db/explore_runs.parquet")
    p.add_argument("--search", type=int, default=0, help="trials of searches instead")
    p.add_argument("--datasets", type=int, default=120, help="datasets searched (--search)")
    p.add_argument("--exclude-heldout", type=int, default=16, help="see the module doc")
    p.add_argument("--search-cache", type=Path, default=SEARCH_CACHE)
    a = p.parse_args(argv)
    if a.write:
        write(a.cache, a.search_cache, a.per_dataset, a.time_limit)
    elif a.search:
        search(a.search_cache, a.search, a.datasets, a.exclude_heldout, a.workers)
    else:
        compute(a.cache, a.per_dataset, a.time_limit, a.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
