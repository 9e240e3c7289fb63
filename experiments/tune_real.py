"""Warm vs cold tuning on held-out real data, with the screening's scorer (issue 21).

For each held-out real dataset (the 16 uci121 datasets of the retired warm-vs-cold study
and 8 of realworld, seeded), the recommender, the neural meta-learner and the
surrogate objective are refitted without the dataset's near-duplicate group; then,
per seed, a cold and a warm-started TPE search of ``--trials`` trials with the
learned surrogate objective (the shipped one) runs on the dataset as the build
stored it. Every trial's partition is kept (rerun from its configuration with the
search's seed: the runs are deterministic, which the script checks against the
recorded ARI), so that a trial can be *picked* after n trials in two ways:

* ``surrogate``: the trial with the best objective value (what Optuna's
  ``best_trial`` is, and what ``metarec tune`` returned before this round);
* ``consensus``: :func:`metarec.tuning.select_trial`: among the ``top`` trials by
  the objective, the one the screening's blend ranks first (ranks of the
  objective, of the partition's agreement with the other top trials, of the
  meta-learned prior and of the partition's silhouette;
  :data:`metarec.screening.BLEND`).

The reference is TPE whose objective is the ARI itself (``oracle``, cold): the
label-free objective's gap to it after 100 trials is what the issue asks to halve.
Each search is saved as ``OUT/searches/{hash}_{arm}_{seed}.npz`` (values, ARIs,
priors, partitions, silhouettes); finished searches are skipped on a rerun.
``backfill`` adds the silhouettes to searches saved before they were kept
(computed from the saved partitions as the runs compute them).

Usage::

    nohup python experiments/tune_real.py collect --workers 2 --seeds 1 > tune_real.log 2>&1 &
    python experiments/tune_real.py backfill
    python experiments/tune_real.py report
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from concurrent.futures import as_completed
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))  # shared helpers
from _results import process_pool, write_report

ARMS = ("cold", "warm", "oracle")
NS = (1, 5, 10, 25, 50, 100)


def _uci121_sample(kb: Any, n: int = 16) -> list[str]:
    """The 16 uci121 datasets of the retired warm-vs-cold study (its seeded choice:
    four drawn with seed 0, then a seed-1 permutation of the rest)."""
    rng = np.random.default_rng(0)
    pools = {
        corpus: sorted(h for h in kb.dataset_hashes if kb.corpus_of(h) == corpus)
        for corpus in ("clustbench", "uci121")
    }
    first = {c: list(rng.choice(pool, size=4, replace=False)) for c, pool in pools.items()}
    pool = pools["uci121"]
    rest = [h for h in pool if h not in first["uci121"]]
    return (first["uci121"] + list(np.random.default_rng(1).permutation(rest)))[:n]


def choose(kb: Any) -> list[str]:
    """The held-out datasets: 16 of uci121 (as the warm-vs-cold study drew them),
    then 8 of realworld."""
    uci = _uci121_sample(kb)
    real = sorted(h for h in kb.dataset_hashes if kb.corpus_of(h) == "realworld")
    more = list(np.random.default_rng(0).permutation(real))[:8]
    return uci + [str(h) for h in more]


def _oracle(result: Any) -> float:
    return float(result.ari) if result.status == "ok" else float("nan")


def one_dataset(job: tuple[str, int, int, str]) -> str:
    from metarec.evaluation import load_as_built
    from metarec.knowledge import KnowledgeBase
    from metarec.models.hyperparams import HyperparameterModel
    from metarec.models.recommender import Recommender
    from metarec.models.surrogate import SurrogateObjective
    from metarec.runner import PreparedData, run_config
    from metarec.scoring import external_scores
    from metarec.space import Configuration
    from metarec.tuning import own_trials, tune

    h, seeds, trials, out = job
    folder = Path(out) / "searches"
    todo = [
        (arm, s)
        for arm in ARMS
        for s in range(seeds)
        if not (folder / f"{h}_{arm}_{s}.npz").exists()
    ]
    if not todo:
        return f"{h}: done before"
    kb = KnowledgeBase.shipped()
    groups = kb.near_duplicate_groups()
    train = kb.without({x for x, g in groups.items() if g == groups[h]})
    hyper = HyperparameterModel(n_members=2).fit(train)
    rec = Recommender(hyper=hyper).fit(train)
    rec.surrogate = SurrogateObjective(random_state=0).fit(train)
    ds = load_as_built(str(kb.value(h, "source")), h, 1000, None)
    if ds is None:
        return f"{h}: cannot be rebuilt"
    mf = kb.metafeatures.loc[h]
    blind = dataclasses.replace(ds, labelings=())
    folder.mkdir(parents=True, exist_ok=True)
    mismatches = 0
    for arm, seed in todo:
        study = tune(
            ds,
            n_trials=trials,
            objective=_oracle if arm == "oracle" else "auto",
            random_state=seed,
            warm=arm == "warm",
            recommender=rec,
            time_limit=60,
        )
        done = own_trials(study)
        prepared = PreparedData(blind, seed)
        n = ds.shape[0]
        labels = np.full((len(done), n), -2, dtype=np.int32)
        values = np.full(len(done), np.nan)
        aris = np.zeros(len(done))
        sils = np.full(len(done), np.nan)
        configs = []
        for i, t in enumerate(done):
            cfg = t.user_attrs.get("config")
            configs.append(json.dumps(cfg, sort_keys=True))
            aris[i] = float(t.user_attrs.get("ari", 0.0) or 0.0)
            if t.value is None or not np.isfinite(t.value):
                continue
            values[i] = float(t.value)
            if arm == "oracle":
                continue  # the reference needs no partitions
            r = run_config(
                prepared, cast(dict, cfg), random_state=seed, time_limit=60, keep_labels=True
            )
            if r.labels is not None:
                labels[i] = r.labels
                sils[i] = r.silhouette
                again = external_scores(r.labels, ds.labelings, ds.metadata.get("noise_label"))
                mismatches += int(abs(again["ari"] - aris[i]) > 1e-9)
        ok = [i for i, c in enumerate(configs) if c != "null"]
        priors = np.full(len(done), np.nan)
        if ok:
            cfgs = [Configuration.from_dict(json.loads(configs[i])) for i in ok]
            priors[ok] = rec.prior_scores(cast(pd.Series, mf), cfgs)
        tmp = folder / f"{h}_{arm}_{seed}.tmp.npz"
        np.savez_compressed(
            tmp,
            values=values,
            ari=aris,
            prior=priors,
            labels=labels,
            silhouette=sils,
            configs=np.array(configs),
            corpus=np.array(kb.corpus_of(h)),
        )
        tmp.replace(folder / f"{h}_{arm}_{seed}.npz")
    return f"{h}: {len(todo)} searches, {mismatches} reruns that did not reproduce their ARI"


def collect(args: argparse.Namespace) -> None:
    from metarec.knowledge import KnowledgeBase

    hashes = choose(KnowledgeBase.shipped())
    jobs = [(h, args.seeds, args.trials, args.out) for h in hashes]
    print(f"{len(jobs)} held-out datasets, {args.seeds} seeds, {args.trials} trials", flush=True)
    with process_pool(args.workers) as pool:
        futures = [pool.submit(one_dataset, j) for j in jobs]
        for i, f in enumerate(as_completed(futures), start=1):
            print(f"[{i}/{len(jobs)}] {f.result()}", flush=True)


def _backfill_one(h: str, paths: list[str]) -> str:
    """Add each saved partition's silhouette to ``paths`` (searches of dataset ``h``)."""
    from metarec.evaluation import load_as_built
    from metarec.knowledge import KnowledgeBase
    from metarec.runner import PreparedData
    from metarec.scoring import internal_scores

    kb = KnowledgeBase.shipped()
    ds = load_as_built(str(kb.value(h, "source")), h, 1000, None)
    if ds is None:
        return f"{h}: cannot be rebuilt"
    blind = dataclasses.replace(ds, labelings=())
    for path in map(Path, paths):
        seed = int(path.stem.rsplit("_", 1)[1])
        z = dict(np.load(path))
        X = PreparedData(blind, seed).eval_matrix
        sils = np.full(len(z["values"]), np.nan)
        for i, lab in enumerate(z["labels"]):
            if lab[0] != -2:  # as run_config scores a run (noise left out, seeded sample)
                sils[i] = internal_scores(X, lab, random_state=seed)["silhouette"]
        tmp = path.with_name(path.stem + ".tmp.npz")
        np.savez_compressed(tmp, **z, silhouette=sils)
        tmp.replace(path)
    return f"{h}: {len(paths)} searches"


def backfill(args: argparse.Namespace) -> None:
    """Add silhouettes to the searches saved without them (not the ``oracle`` arm's,
    which keeps no partitions)."""
    todo: dict[str, list[str]] = {}
    for path in sorted((Path(args.out) / "searches").glob("*.npz")):
        h, arm, _ = path.stem.rsplit("_", 2)
        if arm != "oracle" and "silhouette" not in np.load(path).files:
            todo.setdefault(h, []).append(str(path))
    print(f"{sum(map(len, todo.values()))} searches of {len(todo)} datasets to backfill")
    with process_pool(args.workers) as pool:
        for message in pool.map(_backfill_one, list(todo), list(todo.values())):
            print(message, flush=True)


def curves(path: Path) -> dict[str, np.ndarray]:
    """Best-so-far ARI after n = 1..N trials for each way of picking a trial."""
    from metarec.tuning import select_trial

    z = np.load(path)
    values, ari, prior, labels = z["values"], z["ari"], z["prior"], z["labels"]
    n = len(values)
    out = {}
    best = np.zeros(n)
    run = -np.inf
    pick = None
    for i in range(n):
        if np.isfinite(values[i]) and values[i] > run:
            run, pick = values[i], i
        best[i] = ari[pick] if pick is not None else 0.0
    out["surrogate"] = best
    if path.stem.split("_")[1] == "oracle":
        return out
    parts = [labels[i] if labels[i, 0] != -2 else None for i in range(n)]
    sil = z["silhouette"] if "silhouette" in z.files else np.full(n, np.nan)
    cons = np.zeros(n)
    for i in range(n):
        j = select_trial(values[: i + 1], parts[: i + 1], prior[: i + 1], silhouettes=sil[: i + 1])
        cons[i] = ari[j] if j is not None else 0.0
    out["consensus"] = cons
    return out


def report(args: argparse.Namespace) -> None:
    from metarec.evaluation import markdown_table, paired_p

    out = Path(args.out)
    rows = []
    for path in sorted((out / "searches").glob("*.npz")):
        if path.name.endswith(".tmp.npz"):
            continue
        h, arm, seed = path.stem.rsplit("_", 2)
        corpus = str(np.load(path)["corpus"])
        for pick, curve in curves(path).items():
            rows.append(
                {
                    "content_hash": h,
                    "corpus": corpus,
                    "arm": arm,
                    "pick": pick,
                    "seed": int(seed),
                    **{f"n{i + 1}": v for i, v in enumerate(curve)},
                }
            )
    frame = pd.DataFrame(rows)
    frame.to_csv(out / "curves.csv", index=False)
    ncols = [c for c in frame.columns if c.startswith("n") and c[1:].isdigit()]
    per = frame.groupby(["content_hash", "corpus", "arm", "pick"])[ncols].mean().reset_index()
    per["auc25"] = per[[f"n{i}" for i in range(1, 26)]].mean(axis=1)
    cold_ref = per[(per.arm == "cold") & (per["pick"] == "surrogate")].set_index("content_hash")
    table = []
    for corpus, g in [*per.groupby("corpus"), ("pooled", per)]:
        for (arm, pick), a in g.groupby(["arm", "pick"]):
            a = a.set_index("content_hash")
            reach = []
            for h, r in a.iterrows():
                target = float(cold_ref.loc[h, "n100"]) if h in cold_ref.index else np.nan
                hit = [i for i in range(1, 101) if r[f"n{i}"] >= target - 1e-12]
                reach.append(hit[0] if hit else np.nan)
            table.append(
                {
                    "corpus": corpus,
                    "search": arm,
                    "pick": pick,
                    "datasets": len(a),
                    **{f"n{n}": a[f"n{n}"].mean() for n in NS},
                    "auc_n_le_25": a["auc25"].mean(),
                    "median trials to cold's n100": float(np.nanmedian(reach)),
                }
            )
    summary = pd.DataFrame(table)
    summary.to_csv(out / "summary.csv", index=False)
    tests = []
    key = per.set_index(["content_hash", "arm", "pick"])
    for corpus in [*sorted(per["corpus"].unique()), "pooled"]:
        hs = sorted(per["content_hash"][(per.corpus == corpus) | (corpus == "pooled")].unique())
        for a, b in [
            (("warm", "consensus"), ("cold", "surrogate")),
            (("warm", "consensus"), ("warm", "surrogate")),
            (("cold", "consensus"), ("cold", "surrogate")),
            (("warm", "surrogate"), ("cold", "surrogate")),
        ]:
            for m in ("n100", "auc25"):
                x = key.reindex([(h, *a) for h in hs])[m].to_numpy()
                y = key.reindex([(h, *b) for h in hs])[m].to_numpy()
                tests.append(
                    {
                        "corpus": corpus,
                        "method": "/".join(a),
                        "vs": "/".join(b),
                        "measure": m,
                        "method_mean": np.nanmean(x),
                        "vs_mean": np.nanmean(y),
                        "p_greater": paired_p(pd.Series(x), pd.Series(y)),
                    }
                )
    lines = [
        "# Warm vs cold tuning on held-out real data, picked by the surrogate or by consensus",
        "",
        f"{per['content_hash'].nunique()} datasets, {_seeds(frame)} per dataset (averaged "
        "over them). Mean over datasets of the ARI of the trial picked after n trials:",
        "",
        markdown_table(summary),
        "",
        "One-sided Wilcoxon over datasets:",
        "",
        markdown_table(pd.DataFrame(tests)),
    ]
    write_report(out / "report.md", lines)
    _plot(per, out / "tune_real.png")


def _seeds(frame: pd.DataFrame) -> str:
    """How many seeds the searches ran with, per dataset: "2 seeds" or "1-2 seeds"."""
    n = frame.groupby(["content_hash", "arm"])["seed"].nunique()
    return f"{n.min()} seeds" if n.min() == n.max() else f"{n.min()}-{n.max()} seeds"


def _plot(per: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    corpora = sorted(per["corpus"].unique())
    fig, axes = plt.subplots(1, len(corpora), figsize=(6 * len(corpora), 4), squeeze=False)
    xs = np.arange(1, 101)
    for ax, corpus in zip(axes[0], corpora, strict=True):
        g = per[per.corpus == corpus]
        for (arm, pick), a in g.groupby(["arm", "pick"]):
            label = "ARI as objective (cold)" if arm == "oracle" else f"{arm}, picked by {pick}"
            ax.plot(xs, [a[f"n{i}"].mean() for i in xs], label=label)
        ax.set(
            title=f"{corpus} ({g['content_hash'].nunique()} held-out datasets)",
            xlabel="trials",
            ylabel="mean ARI of the picked trial",
            xscale="log",
        )
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("collect", "backfill", "report"))
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/tune_real")
    args = parser.parse_args()
    {"collect": collect, "backfill": backfill, "report": report}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
