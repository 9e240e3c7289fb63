"""Held-out evaluation of the neural hyperparameter meta-learner (issue 6).

In the harness's 10 folds of near-duplicate groups (the same folds as
``metarec evaluate``), a :class:`~metarec.models.hyperparams.HyperparameterModel` is
trained on the other folds; for every held-out dataset and every algorithm it
predicts a configuration, compared with (a) scikit-learn's defaults, (b) the
similarity-weighted average of the 5 L1-nearest training datasets' best
configurations of that algorithm, (c) that algorithm's oracle configuration in
the meta-database, and a plain regression head (the mode-averaging design the
score model avoids). "predicted" is what metarec returns
(:meth:`~metarec.models.recommender.Recommender.hyperparameters`: the score model's
configuration unless the ranker scores a known one higher); "neural" is the
score model's own configuration. Configurations never run on a dataset are run (cached in
``OUT/runs.csv``). The predicted number of clusters is compared with the
silhouette's choice over k = 2..20 and the gap statistic's. (The recommender's
refinement by the meta-learner was compared here too until it was retired:
docs/benchmarks/retired.md.)

Usage::

    python experiments/eval_hyperparams.py [--folds 10] [--members 5] [--workers 2] \
        [--out benchmarks/hyperparams]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))  # the shared helpers
from _results import process_pool

METHODS = ("predicted", "neural", "regression_head", "neighbour_average", "default")


def _k_job(args: tuple[str, str, int]) -> dict[str, Any] | None:
    from kselection import gap_statistic_k, silhouette_k

    from metarec.evaluation import load_as_built
    from metarec.runner import PreparedData

    source, content_hash, subsample = args
    ds = load_as_built(source, content_hash, subsample, None)
    if ds is None:
        return None
    X = PreparedData(ds.subsample(500, 0)).eval_matrix  # 500 rows keep 306 x 140 fits short
    return {
        "content_hash": content_hash,
        "silhouette_k": silhouette_k(X),
        "gap_k": gap_statistic_k(X),
    }


def make_plan(
    kb: Any, folds: int, members: int, seed: int, max_folds: int | None = None
) -> list[dict[str, Any]]:
    from metarec.evaluation import heldout_splits, neighbour_average_config
    from metarec.models import MetaFeatureScaler
    from metarec.models.hyperparams import HyperparameterModel
    from metarec.models.recommender import Recommender
    from metarec.space import ALGORITHMS, default_config

    plan: list[dict[str, Any]] = []
    for f, held, train in heldout_splits(kb, folds, seed):
        if max_folds is not None and f > max_folds:
            break
        start = time.perf_counter()
        model = HyperparameterModel(n_members=members, random_state=seed).fit(train)
        fit_s = time.perf_counter() - start
        rec = Recommender(random_state=seed).fit(train)
        hashes = train.dataset_hashes
        scaler = MetaFeatureScaler().fit(train.metafeatures.loc[hashes])
        X = scaler.transform(train.metafeatures.loc[hashes])
        scores = train.score_matrix.loc[hashes]
        algo_of = train.configs.loc[scores.columns, "algorithm"]
        rows = train.datasets.loc[hashes, "n_rows"].to_numpy()
        for h in sorted(held):
            mf = kb.metafeatures.loc[h]
            d = np.abs(X - scaler.transform(mf)).sum(axis=1)
            near = np.argsort(d, kind="stable")[:5]
            w = np.exp(-d[near] / (float(np.median(d[near])) or 1.0))
            base = {"content_hash": h, "fold": f}
            rec.hyper = model
            for algo in ALGORITHMS:
                sub = scores.loc[:, (algo_of == algo).to_numpy()].iloc[near]
                best = sub.fillna(-1).idxmax(axis=1)
                neigh = [cast(dict, train.configs.at[c, "config"]) for c in best]
                chosen = rec.hyperparameters(mf, algo)
                configs = {
                    "predicted": chosen.config.to_dict(),
                    "neural": model.predict(mf, algo).config.to_dict(),
                    "regression_head": model.predict(mf, algo, head="regression").config.to_dict(),
                    "neighbour_average": neighbour_average_config(neigh, w, rows[near]),
                    "default": default_config(algo),
                }
                for method, cfg in configs.items():
                    plan.append(
                        {
                            **base,
                            "kind": "algorithm",
                            "algorithm": algo,
                            "method": method,
                            "config": cfg,
                            **({"source": chosen.source} if method == "predicted" else {}),
                        }
                    )
            k, (lo, hi), _ = model.predict_k(mf)
            plan.append({**base, "kind": "k", "k": k, "k_low": lo, "k_high": hi})
        print(f"fold {f}: {len(held)} datasets, model fit {fit_s:.0f} s", flush=True)
    return plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/hyperparams")
    parser.add_argument("--max-folds", type=int, help="stop after this many folds (a smoke test)")
    parser.add_argument(
        "--report-only", action="store_true", help="summarise what has run so far, run nothing"
    )
    parser.add_argument("--k-only", action="store_true", help="only the k baselines")
    args = parser.parse_args()

    from metarec.evaluation import markdown_table, paired_p, run_pairs
    from metarec.knowledge import KnowledgeBase
    from metarec.space import ALGORITHMS, config_hash

    kb = KnowledgeBase.shipped()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plan_path = out / "plan.jsonl"
    if plan_path.is_file():
        plan = [json.loads(line) for line in plan_path.read_text().splitlines()]
    else:
        plan = make_plan(kb, args.folds, args.members, args.seed, args.max_folds)
        plan_path.write_text("".join(json.dumps(p) + "\n" for p in plan))
    pairs = [(p["content_hash"], p["config"]) for p in plan if "config" in p]
    if args.report_only or args.k_only:  # recorded or already run; the rest stays NaN
        full = kb.score_matrix
        ari = {}
        for h, cfg in pairs:
            key = config_hash(cfg)
            if key in full.columns and np.isfinite(cast(float, full.at[h, key])):
                ari[(h, key)] = float(cast(float, full.at[h, key]))
        if (out / "runs.csv").is_file():
            runs = pd.read_csv(out / "runs.csv")
            keys = zip(runs["content_hash"], runs["config_hash"], strict=True)
            ari.update(zip(keys, runs["ari"], strict=True))
    else:
        ari = run_pairs(kb, pairs, str(out / "runs.csv"), workers=args.workers)
    for p in plan:
        if "config" in p:
            p["ari"] = ari.get((p["content_hash"], config_hash(p["config"])), np.nan)

    # ---- k baselines (resumable)
    k_path = out / "k_baselines.csv"
    k_done = pd.read_csv(k_path) if k_path.is_file() else pd.DataFrame()
    hashes = sorted({p["content_hash"] for p in plan})
    todo = [
        (str(kb.value(h, "source")), h, 1000)
        for h in hashes
        if k_done.empty or h not in set(k_done["content_hash"])
    ]
    if todo and (args.k_only or not args.report_only):
        with process_pool(args.workers) as pool:
            for r in pool.map(_k_job, todo):
                if r is not None:  # appended one by one: an interrupted run resumes
                    k_done = pd.concat([k_done, pd.DataFrame([r])], ignore_index=True)
                    k_done.to_csv(k_path, index=False)
    if args.k_only:
        return 0

    frame = pd.DataFrame(plan)
    corpus = {h: kb.corpus_of(h) for h in hashes}
    frame["corpus"] = frame["content_hash"].map(corpus)
    algo = frame[frame["kind"] == "algorithm"]
    full = kb.score_matrix
    algo_of = kb.configs.loc[full.columns, "algorithm"]
    oracle = {
        (h, a): float(cast(float, full.loc[h, (algo_of == a).to_numpy()].max()))
        for h in hashes
        for a in ALGORITHMS
    }
    wide = algo.pivot_table(index=["content_hash", "algorithm"], columns="method", values="ari")
    wide["oracle"] = [oracle[i] for i in wide.index]
    chosen = algo[algo["method"] == "predicted"].set_index(["content_hash", "algorithm"])
    wide["source"] = chosen["source"].reindex(wide.index)
    wide = wide.reset_index()
    wide["corpus"] = wide["content_hash"].map(corpus)
    wide.to_csv(out / "per_dataset_algorithm.csv", index=False)
    complete = wide.dropna(subset=list(METHODS)).groupby("content_hash")["algorithm"].count()
    keep = set(complete[complete == len(ALGORITHMS)].index)
    print(f"{len(keep)} of {len(hashes)} datasets have every configuration run", flush=True)
    wide = wide[wide["content_hash"].isin(keep)]

    def table(part: pd.DataFrame, by: str) -> pd.DataFrame:
        rows = []
        for key, g in part.groupby(by, sort=False):
            row: dict[str, Any] = {by: key, "datasets": g["content_hash"].nunique()}
            for m in (*METHODS, "oracle"):
                row[m] = g[m].mean()
            row["predicted/oracle"] = g["predicted"].mean() / g["oracle"].mean()
            row["predicted_median"] = g["predicted"].median()
            row["oracle_median"] = g["oracle"].median()
            row["kept_known"] = (g["source"] == "meta-database").mean()
            for m in ("neural", "default", "neighbour_average", "regression_head"):
                row[f"p_vs_{m}"] = paired_p(g["predicted"], g[m])
            rows.append(row)
        return pd.DataFrame(rows)

    wide["all"] = "all algorithms"
    per_algo = pd.concat(
        [table(wide, "algorithm"), table(wide, "all").rename(columns={"all": "algorithm"})]
    )
    per_corpus = table(wide, "corpus")
    per_algo.to_csv(out / "per_algorithm.csv", index=False)
    per_corpus.to_csv(out / "per_corpus.csv", index=False)

    # ---- number of clusters
    ks = frame[frame["kind"] == "k"][["content_hash", "k", "k_low", "k_high", "corpus"]]
    ks = ks.merge(k_done, on="content_hash", how="left")
    ks["true_k"] = [int(kb.value(h, "n_classes")) for h in ks["content_hash"]]
    every = ks.copy()  # the neural k and the constant reference on every dataset
    mode = int(kb.datasets["n_classes"].mode().iloc[0])
    k_every = pd.DataFrame(
        [
            {
                "corpus": name,
                "datasets": len(g),
                "neural_within1": float(((g["k"] - g["true_k"]).abs() <= 1).mean()),
                f"always_{mode}_within1": float(((mode - g["true_k"]).abs() <= 1).mean()),
                "neural_exact": float((g["k"] == g["true_k"]).mean()),
                f"always_{mode}_exact": float((g["true_k"] == mode).mean()),
            }
            for name, g in [("all", every), *every.groupby("corpus")]
        ]
    )
    k_every.to_csv(out / "k_all_datasets.csv", index=False)
    ks = ks.dropna(subset=["silhouette_k", "gap_k"])  # baselines computed so far
    # a reference any k head must beat: always the most frequent class count (2)
    ks["prior_k"] = int(kb.datasets["n_classes"].mode().iloc[0])
    for col in ("k", "silhouette_k", "gap_k", "prior_k"):
        ks[f"{col}_within1"] = (ks[col] - ks["true_k"]).abs() <= 1
    ks["in_interval"] = (ks["k_low"] <= ks["true_k"]) & (ks["true_k"] <= ks["k_high"])
    ks.to_csv(out / "k_per_dataset.csv", index=False)
    k_rows = []
    for name, g in [("all", ks), *ks.groupby("corpus")]:
        k_rows.append(
            {
                "corpus": name,
                "datasets": len(g),
                "neural_within1": g["k_within1"].mean(),
                "silhouette_within1": g["silhouette_k_within1"].mean(),
                "gap_within1": g["gap_k_within1"].mean(),
                "always_2_within1": g["prior_k_within1"].mean(),
                "neural_interval_covers": g["in_interval"].mean(),
            }
        )
    k_table = pd.DataFrame(k_rows)
    k_table.to_csv(out / "k_selection.csv", index=False)

    _plot(per_algo, out / "per_algorithm.png")
    report = "\n\n".join(
        [
            "Per algorithm, mean held-out ARI:",
            markdown_table(per_algo),
            "Per corpus (all algorithms):",
            markdown_table(per_corpus),
            "Number of clusters, every dataset: the neural k head vs always the most "
            "frequent class count:",
            markdown_table(k_every),
            "Number of clusters within +-1 of the true number of classes, on the datasets "
            "whose silhouette and gap choices are computed:",
            markdown_table(k_table),
        ]
    )
    (out / "report.md").write_text(report + "\n")
    print(report)
    return 0


def _plot(per_algo: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = ["default", "neighbour_average", "regression_head", "neural", "predicted", "oracle"]
    data = per_algo.set_index("algorithm")[cols]
    ax = data.plot.bar(figsize=(12, 4.5), width=0.8)
    ax.set_ylabel("mean held-out ARI")
    ax.set_title(
        "Hyperparameters per algorithm: defaults, neighbour average, regression head, "
        "score model (neural), metarec's choice (predicted), oracle"
    )
    ax.legend(fontsize=8)
    plt.tight_layout()
    plt.savefig(path, dpi=110)
    plt.close()


if __name__ == "__main__":
    sys.exit(main())
