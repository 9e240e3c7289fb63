"""History: the simulated screening, read back (its ``collect`` was retired).

Issue 36 retired this script's ``collect``, a copy of the screening's loop, blend
and budget that ran every candidate and simulated the budget from recorded fit
times, together with the options it compared (a surrogate also learned from the
k sweep, plain KMeans at every candidate k: docs/benchmarks/retired.md). The
figures of the screening now come from the shipped code
(``scripts/eval_shipped.py``); what remains here reads the recorded collections
(``benchmarks/budget*``) for the history pages and ``experiments/eval_ceiling.py``.

What the collections hold:

For every held-out real dataset (the harness's folds of near-duplicate groups; the
recommender and the surrogate objective refitted on the other folds), the
zero-shot recommendation gives a ranking and a number of clusters; the screening
portfolio of :mod:`metarec.screening` (the zero-shot top-1 as recommended, then
the best configuration of each of the top three algorithms at the candidate k
values around the predicted one) is *run* on the dataset's 1000-row subsample,
as the meta-database's runs were. Every candidate's label-free evidence (the
surrogate's score, as shipped and learned also from the k sweep; internal
indices; agreement with the other candidates; the ranker's prior) and its ARI
against the reference labels are kept in ``OUT/candidates.parquet``, so that
ways of picking can be compared without running anything again:

* ``zero_shot``: the top-1 of the zero-shot recommendation (``budget=0``);
* ``pick_<rule>``: the candidate a rule picks (``surrogate``, ``surrogate_sweep``,
  ``silhouette``, ``calinski_harabasz``, ``davies_bouldin``, ``agreement``,
  ``prior``, and the blends of :func:`metarec.screening.label_free_scores`);
* ``oracle``: the best candidate (the ceiling of the portfolio);
* the KMeans baselines of the k sweep (true k, k = 8, k by silhouette) from
  ``benchmarks/k_choice/per_dataset.csv``, on the same subsamples.

Usage::

    python experiments/eval_budget.py report [--out benchmarks/budget]
    python experiments/eval_budget.py strata [--out benchmarks/budget
        --also benchmarks/budget_rdatasets]
    python experiments/eval_budget.py gate --also benchmarks/budget_rdatasets
        benchmarks/budget_clustbench
    python experiments/eval_budget.py blend --also benchmarks/budget_rdatasets
        benchmarks/budget_clustbench
    python experiments/eval_budget.py signals [--out benchmarks/budget]
    python experiments/eval_budget.py null [--out benchmarks/budget]
    python experiments/eval_budget.py versus --out A --also B
    python experiments/eval_budget.py misses --also benchmarks/budget_rdatasets

``strata`` reports the top-1, the
oracle and the KMeans baselines by tercile of label-cluster agreement (the
silhouette of the reference labels, adjusted for chance), so that a reader sees
where labels are cluster structure and where they are not. ``gate`` and ``blend``
choose the screening's threshold of trust in the zero-shot top-1 and the
silhouette's weight in its blend, each nested across folds. ``collect --signals``
also records each candidate's stability (its configuration rerun on a seeded 80 %
of the rows, compared with its own partition of them; the rerun timed) and its
agreement with the other algorithms' candidates, and keeps every partition
(``OUT/parts/fold<f>_labels.npz``); ``signals`` asks whether either would improve
the pick. ``null`` asks the same of the silhouette judged against shuffled
columns (each candidate's silhouette minus KMeans's at its k with the columns'
dependence destroyed); ``collect --kmeans-everywhere`` runs plain KMeans at
every candidate k too, and ``versus`` compares such a collection with another;
``misses`` asks whether any evidence points to the best candidate where the
pick misses it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))  # shared helpers

from _results import process_pool, write_report
from eval_shipped import label_agreement

#: Blends compared by the report: (name, weights of label_free_scores).
BLENDS: dict[str, dict[str, float]] = {
    "surrogate+agreement": {"surrogate": 1.0, "agreement": 1.0},
    "surrogate+agreement+prior": {"surrogate": 1.0, "agreement": 1.0, "prior": 0.5},
    "agreement+prior": {"agreement": 1.0, "prior": 0.5},
    "surrogate+prior": {"surrogate": 1.0, "prior": 0.5},
    "sweep+agreement": {"surrogate_sweep": 1.0, "agreement": 1.0},
    "sweep+agreement+prior": {"surrogate_sweep": 1.0, "agreement": 1.0, "prior": 0.5},
}
SIGN = {"silhouette": 1.0, "calinski_harabasz": 1.0, "davies_bouldin": -1.0}


def _pick_index(group: pd.DataFrame, values: np.ndarray) -> int:
    """Position of the candidate ``values`` pick (the first when none produced a partition)."""
    ok = group["ok"].to_numpy() & np.isfinite(values)
    return int(np.argmax(np.where(ok, values, -np.inf))) if ok.any() else 0


def _pick(group: pd.DataFrame, values: np.ndarray) -> float:
    return float(group["ari"].iloc[_pick_index(group, values)])


def _blend(group: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """The blend's score of each candidate: weighted ranks within the set."""
    ok = group["ok"].to_numpy()
    total = sum(
        w * _rank01(SIGN.get(p, 1.0) * group[p].to_numpy(dtype=float), ok)
        for p, w in weights.items()
    )
    return np.asarray(total, dtype=float)


def _shipped_index(
    group: pd.DataFrame, trust: float | None = None, weights: dict[str, float] | None = None
) -> int:
    """Position of the candidate the shipped screening puts first: the pick of the
    blend (``weights``, default :data:`metarec.screening.BLEND`), unless the
    zero-shot top-1 (position 0) has a partition and a prior of at least ``trust``
    (default :data:`metarec.screening.TRUST_PRIOR`)."""
    from metarec.screening import BLEND, trusts_zero_shot

    first = group.iloc[0]
    if trusts_zero_shot(first["ok"], first["prior"], trust):
        return 0
    return _pick_index(group, _blend(group, dict(BLEND if weights is None else weights)))


def _data_k_ari(g: pd.DataFrame) -> float:
    """ARI of the portfolio's KMeans at the data's silhouette-best k (``k_data``)."""
    from metarec.screening import kmeans_at
    from metarec.space import config_hash

    hit = g[g["config_hash"] == config_hash(kmeans_at(int(g["data_k"].iloc[0])))]
    return float(hit["ari"].iloc[0]) if len(hit) else float("nan")


def _rank01(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    v = np.where(ok & np.isfinite(values), values, -np.inf)
    r = pd.Series(v).rank(method="average").to_numpy()
    return (r - 1) / max(len(v) - 1, 1)


def _within(g: pd.DataFrame, budget: float | None, stability: bool = False) -> pd.DataFrame:
    """The candidates (in screening order) that started within ``budget`` seconds
    (with ``stability``, each candidate's rerun on 80 % of the rows counted too)."""
    if budget is None:
        return g
    cost = g["fit_time"].fillna(0).clip(lower=0)
    if stability:
        cost = cost + g["stability_time"].fillna(0).clip(lower=0)
    spent = cost.cumsum().shift(fill_value=0)
    spent = spent + float(g["data_k_time"].iloc[0])  # the silhouette stage first
    return g[(spent.to_numpy() < budget) | (g["order"].to_numpy() == 0)]


def per_dataset(cands: pd.DataFrame, budget: float | None = None) -> pd.DataFrame:
    """One row per dataset: the ARI each way of picking gets (within ``budget`` s)."""
    rows = []
    for h, g in cands.groupby("content_hash", sort=True):
        g = _within(g.sort_values("order"), budget)
        row: dict[str, Any] = {
            "content_hash": h,
            "dataset": g["dataset"].iloc[0],
            "corpus": g["corpus"].iloc[0],
            "candidates": len(g),
            "zero_shot": float(g["ari"].iloc[0]),
            "kmeans_data_k": _data_k_ari(g),
            "oracle": float(g["ari"].max()),
        }
        for name in ("surrogate", "surrogate_sweep", "agreement", "prior", *SIGN):
            row[f"pick_{name}"] = _pick(g, SIGN.get(name, 1.0) * g[name].to_numpy(dtype=float))
        for name, weights in BLENDS.items():
            row[f"pick_{name}"] = _pick(g, _blend(g, weights))
        row["pick_shipped"] = float(g["ari"].iloc[_shipped_index(g)])
        rows.append(row)
    return pd.DataFrame(rows)


def report(args: argparse.Namespace) -> None:
    from metarec.evaluation import markdown_table, paired_p

    out = Path(args.out)
    parts = sorted((out / "parts").glob("fold*.parquet"))
    if not parts:
        raise SystemExit(f"nothing collected in {out}; run `collect` first")
    cands = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    cands.to_parquet(out / "candidates.parquet", index=False)
    lines = ["# Budgeted recommendation, held out", ""]
    lines.append(
        f"{cands['content_hash'].nunique()} held-out datasets "
        f"({', '.join(sorted(cands['corpus'].unique()))}), {len(cands)} candidate runs "
        f"(mean {cands.groupby('content_hash').size().mean():.1f} per dataset; "
        "median fit time per dataset "
        f"{cands.groupby('content_hash')['fit_time'].sum().median():.1f} s)."
    )
    base = pd.read_csv(args.baselines)[
        ["content_hash", "kmeans_true_k", "kmeans_k8", "kmeans_silhouette_k"]
    ]
    for budget in (None, *args.budgets):
        per = per_dataset(cands, budget).merge(base, on="content_hash", how="left")
        tag = "all candidates" if budget is None else f"budget {budget:g} s"
        per.to_csv(out / f"per_dataset{'' if budget is None else f'_{budget:g}s'}.csv", index=False)
        methods = [c for c in per.columns if c.startswith(("pick_", "kmeans_"))]
        methods = ["zero_shot", *methods, "oracle"]
        table = []
        for corpus, g in [*per.groupby("corpus"), ("pooled", per)]:
            for m in methods:
                v = g[m].astype(float)
                frac = (v / g["oracle"].where(g["oracle"] > 0)).clip(upper=1)
                table.append(
                    {
                        "corpus": corpus,
                        "method": m,
                        "n": int(v.notna().sum()),
                        "mean": v.mean(),
                        "median": v.median(),
                        "of_oracle": frac.mean(),
                        "p_vs_kmeans_k8": paired_p(v, g["kmeans_k8"])
                        if m != "kmeans_k8"
                        else np.nan,
                    }
                )
        frame = pd.DataFrame(table)
        frame.to_csv(
            out / f"summary_{'all' if budget is None else f'{budget:g}s'}.csv", index=False
        )
        lines += ["", f"## {tag}", "", markdown_table(frame)]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def shipped_picks(cands: pd.DataFrame) -> pd.DataFrame:
    """Per dataset: what the shipped screening, within its default budget, would print
    for its top-1 (its predicted ARI, the ranker's prior) and what it got (ARI), with
    its fold."""
    from metarec.config import DEFAULT_BUDGET

    rows = []
    for h, g in cands.groupby("content_hash", sort=True):
        g = _within(g.sort_values("order"), DEFAULT_BUDGET)
        i = _shipped_index(g)
        rows.append(
            {
                "content_hash": h,
                "dataset": g["dataset"].iloc[0],
                "corpus": g["corpus"].iloc[0],
                "fold": int(g["fold"].iloc[0]),
                "predicted": float(g["prior"].iloc[i]),
                "ari": float(g["ari"].iloc[i]),
                "zero_shot_predicted": float(g["prior"].iloc[0]),
                "zero_shot_ari": float(g["ari"].iloc[0]),
            }
        )
    return pd.DataFrame(rows)


def strata(args: argparse.Namespace) -> None:
    """Top-1, oracle and the KMeans baselines by tercile of label-cluster agreement,
    within the default 2 s budget."""
    from metarec.evaluation import markdown_table

    per = pd.concat(
        [pd.read_csv(Path(f) / "per_dataset_2s.csv") for f in [args.out, *args.also]],
        ignore_index=True,
    )
    cache = Path(args.out) / "label_agreement.csv"
    known = (
        pd.read_csv(cache)
        if cache.is_file()
        else pd.DataFrame(columns=["dataset", "label_agreement"])
    )
    todo = sorted(set(per["dataset"]) - set(known["dataset"]))
    if todo:
        with process_pool(args.workers) as pool:
            found = list(pool.map(label_agreement, todo))
        known = pd.concat(
            [known, pd.DataFrame(found, columns=["dataset", "label_agreement"])],
            ignore_index=True,
        )
        known.to_csv(cache, index=False)
    per = per.merge(known, on="dataset", how="left")
    per["tercile"] = pd.qcut(per["label_agreement"], 3, labels=["low", "middle", "high"])
    methods = {
        "metarec (screened)": "pick_shipped",
        "zero-shot": "zero_shot",
        "screened by silhouette": "pick_silhouette",
        "KMeans, k = 8": "kmeans_k8",
        "KMeans, k by silhouette": "kmeans_silhouette_k",
        "KMeans, true k": "kmeans_true_k",
        "oracle (portfolio)": "oracle",
    }
    rows = []
    for tercile, g in per.groupby("tercile", observed=True):
        row: dict[str, Any] = {
            "tercile": str(tercile),
            "n": len(g),
            "agreement range": f"{g['label_agreement'].min():.3f} .. "
            f"{g['label_agreement'].max():.3f}",
        }
        row |= {label: g[col].mean() for label, col in methods.items()}
        row["of oracle"] = (
            (g[methods["metarec (screened)"]] / g["oracle"].where(g["oracle"] > 0))
            .clip(upper=1)
            .mean()
        )
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.to_csv(Path(args.out) / "strata.csv", index=False)
    text = "\n".join(
        [
            "# By how well the labels form clusters (terciles of label-cluster agreement)",
            "",
            "Label-cluster agreement: silhouette of the reference labels on the "
            "standardized 1000-row subsample, minus its mean under 5 random permutations "
            f"of the labels. {len(per)} held-out real datasets; mean ARI per tercile.",
            "",
            markdown_table(frame),
        ]
    )
    (Path(args.out) / "strata.md").write_text(text + "\n")
    print(text)


#: The thresholds of the prior above which the zero-shot top-1 stays first, compared
#: by ``gate`` (inf: never).
TRUSTS = (float("inf"), 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)

#: The silhouette's weights in the blend compared by ``blend`` (the other weights
#: as in :data:`metarec.screening.BLEND`).
SILHOUETTE_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)


def _nested(per: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """``per`` (one row per dataset: its corpus, fold and each way's ARI) with, per
    fold, the way best on the other folds by the mean of the corpus means: its ARI
    (``nested``) and its name (``chosen``)."""
    out = []
    for fold, g in per.groupby("fold"):
        best = str(per[per["fold"] != fold].groupby("corpus")[names].mean().mean().idxmax())
        out.append(g.assign(nested=g[best], chosen=best))
    return pd.concat(out)


def _nested_choice(
    args: argparse.Namespace,
    variants: dict[str, Any],
    title: str,
    what: str,
    name: str,
) -> None:
    """Compare ways of picking (``variants``: name to a function of a dataset's
    candidates giving the position it puts first) on every collected folder within
    the 2 s budget: the mean ARI of the pick per corpus; the objective is the mean of
    the corpus means; nested, each fold gets the variant best on the other folds.
    Writes ``OUT/<name>.md``."""
    from metarec.evaluation import markdown_table

    folders = [args.out, *args.also]
    cands = pd.concat(
        [pd.read_parquet(Path(f) / "candidates.parquet") for f in folders], ignore_index=True
    ).drop_duplicates(["content_hash", "order"])
    rows = []
    for h, g in cands.groupby("content_hash", sort=True):
        g = _within(g.sort_values("order"), 2.0)
        row = {"content_hash": h, "corpus": g["corpus"].iloc[0], "fold": g["fold"].iloc[0]}
        for v, pick in variants.items():
            row[v] = float(g["ari"].iloc[pick(g)])
        rows.append(row)
    names = list(variants)
    per = _nested(pd.DataFrame(rows), names)
    corpora = sorted(per["corpus"].unique())
    table = per.groupby("corpus")[[*names, "nested"]].mean().T
    table["mean of corpora"] = table[corpora].mean(axis=1)
    table.index.name = what
    chosen = ", ".join(per.groupby("fold")["chosen"].first())
    lines = [
        f"# {title}",
        "",
        f"{len(per)} held-out datasets ({', '.join(folders)}), 2 s budget; mean ARI of "
        f"the pick per corpus (`nested`: each fold with the {what.split(',')[0]} best on "
        f"the other folds, chosen per fold: {chosen}):",
        "",
        markdown_table(table.reset_index()),
    ]
    write_report(Path(args.out) / f"{name}.md", lines)


def _compare_variants(
    cands: pd.DataFrame, variants: dict[str, tuple[dict[str, float], bool]]
) -> list[str]:
    """Markdown sections comparing the picks of blends (``variants``: weights, and
    whether the signal's cost counts against the budget) within 2 s and with every
    candidate, nested across folds as ``blend``."""
    from metarec.evaluation import markdown_table, paired_p

    lines: list[str] = []
    for budget in (2.0, None):
        rows = []
        for h, g in cands.groupby("content_hash", sort=True):
            g = g.sort_values("order")
            row = {"content_hash": h, "corpus": g["corpus"].iloc[0], "fold": g["fold"].iloc[0]}
            for name, (weights, pays) in variants.items():
                w = _within(g, budget, stability=pays)
                row[name] = float(w["ari"].iloc[_shipped_index(w, weights=weights)])
            row["oracle"] = float(_within(g, budget)["ari"].max())
            rows.append(row)
        names = list(variants)
        per = _nested(pd.DataFrame(rows), names)
        table = []
        for corpus, g in [*per.groupby("corpus"), ("pooled", per)]:
            for m in [*names, "nested", "oracle"]:
                table.append(
                    {
                        "corpus": corpus,
                        "pick": m,
                        "mean": g[m].mean(),
                        "median": g[m].median(),
                        "of_oracle_ratio_of_means": g[m].mean() / g["oracle"].mean(),
                        "p_vs_shipped": paired_p(g[m], g["shipped"]) if m != "shipped" else np.nan,
                    }
                )
        tag = "budget 2 s" if budget else "all candidates"
        chosen = ", ".join(per.groupby("fold")["chosen"].first())
        lines += [
            f"## {tag}",
            "",
            f"{len(per)} held-out datasets; nested: each fold with the pick best on the "
            f"other folds (mean of corpus means), chosen per fold: {chosen}.",
            "",
            markdown_table(pd.DataFrame(table)),
            "",
        ]
    return lines


#: Weights compared by ``signals``: the shipped blend, and the shipped blend with the
#: partitions' stability or cross-algorithm agreement added (``collect --signals``).
SIGNAL_WEIGHTS = (0.5, 1.0, 2.5)


def signals(args: argparse.Namespace) -> None:
    """Would the candidates' stability or cross-algorithm agreement improve the pick?
    Compared within the 2 s budget, which for stability also pays its reruns, and with
    every candidate; nested across folds as ``blend``. Writes ``OUT/signals.md``."""
    from metarec.screening import BLEND

    cands = pd.read_parquet(Path(args.out) / "candidates.parquet")
    if "stability" not in cands.columns:
        raise SystemExit(f"{args.out} has no signals (recorded by the retired `collect --signals`)")
    variants: dict[str, tuple[dict[str, float], bool]] = {"shipped": (dict(BLEND), False)}
    for w in SIGNAL_WEIGHTS:
        variants[f"+cross {w:g}"] = ({**BLEND, "cross_agreement": w}, False)
        variants[f"+stability {w:g}"] = ({**BLEND, "stability": w}, True)
    variants["stability alone"] = ({"stability": 1.0}, True)
    variants["cross alone"] = ({"cross_agreement": 1.0}, False)
    lines = ["# Stability and cross-algorithm agreement as more evidence", ""]
    lines += _compare_variants(cands, variants)
    write_report(Path(args.out) / "signals.md", lines)


def _null_silhouettes(job: tuple[str, list[int], int]) -> list[dict[str, Any]]:
    """The silhouette KMeans gets at each k on the dataset's subsample with every
    column shuffled on its own (the marginals kept, their dependence gone), for
    ``reps`` seeded shuffles."""
    import dataclasses
    import warnings

    from sklearn.cluster import KMeans
    from sklearn.metrics import pairwise_distances, silhouette_score

    from metarec import load_dataset
    from metarec.runner import PreparedData

    source, ks, reps = job
    ds = load_dataset(source).subsample(1000, 0)
    X = PreparedData(dataclasses.replace(ds, labelings=()), 0).eval_matrix
    rows = []
    for rep in range(reps):
        rng = np.random.default_rng(rep)
        Xp = np.column_stack([rng.permutation(X[:, j]) for j in range(X.shape[1])])
        D, distinct = pairwise_distances(Xp), len(np.unique(Xp, axis=0))
        for k in ks:
            if k >= distinct:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                labels = KMeans(k, n_init=1, random_state=0).fit_predict(Xp)
            if len(np.unique(labels)) > 1:
                s = float(silhouette_score(D, labels, metric="precomputed"))
                rows.append({"dataset": source, "k": k, "rep": rep, "null_silhouette": s})
    return rows


def with_adjusted_silhouette(cands: pd.DataFrame, cache: Path) -> pd.DataFrame:
    """``cands`` with each candidate's ``null_silhouette`` (the mean silhouette of
    KMeans at its number of clusters on the shuffled data, from ``cache``, which
    ``null`` writes) and ``adjusted_silhouette`` (its silhouette minus that)."""
    nulls = pd.read_parquet(cache).groupby(["dataset", "k"])["null_silhouette"].mean()
    keys = zip(cands["dataset"], cands["clusters_found"].fillna(0).astype(int), strict=True)
    null = [nulls.get(key, np.nan) for key in keys]
    return cands.assign(null_silhouette=null, adjusted_silhouette=cands["silhouette"] - null)


#: Weights compared by ``null`` for the null-adjusted silhouette.
NULL_WEIGHTS = (1.0, 2.5, 4.0)


def null(args: argparse.Namespace) -> None:
    """Would the silhouette judged against a null help the pick? Each candidate's
    silhouette minus the mean silhouette of KMeans at its number of clusters on the
    data with every column shuffled (``OUT/null_silhouettes.parquet``, computed once),
    as the silhouette's stand-in in the blend or beside it, and alone. Writes
    ``OUT/null.md``."""
    from metarec.screening import BLEND

    out = Path(args.out)
    cands = pd.read_parquet(out / "candidates.parquet")
    cache = out / "null_silhouettes.parquet"
    if not cache.exists():
        jobs = [
            (str(src), sorted({int(k) for k in g["clusters_found"].dropna() if k >= 2}), 2)
            for src, g in cands.groupby("dataset", sort=True)
        ]
        with process_pool(args.workers) as pool:
            found = [r for rows in pool.map(_null_silhouettes, jobs) for r in rows]
        pd.DataFrame(found).to_parquet(cache, index=False)
    cands = with_adjusted_silhouette(cands, cache)
    others = {k: v for k, v in BLEND.items() if k != "silhouette"}
    variants: dict[str, tuple[dict[str, float], bool]] = {"shipped": (dict(BLEND), False)}
    for w in NULL_WEIGHTS:
        variants[f"adjusted {w:g} for the silhouette"] = (
            {**others, "adjusted_silhouette": w},
            False,
        )
        variants[f"+adjusted {w:g}"] = ({**BLEND, "adjusted_silhouette": w}, False)
    variants["silhouette alone"] = ({"silhouette": 1.0}, False)
    variants["adjusted alone"] = ({"adjusted_silhouette": 1.0}, False)
    lines = ["# The silhouette against a null (every column shuffled)", ""]
    lines += _compare_variants(cands, variants)
    write_report(out / "null.md", lines)


def versus(args: argparse.Namespace) -> None:
    """The shipped pick and the best candidate within 2 s of ``OUT``'s collection
    against each ``--also`` collection of the same datasets (another portfolio),
    per corpus, with the one-sided Wilcoxon p that ``OUT``'s pick is better.
    Writes ``OUT/versus.md``."""
    from metarec.evaluation import markdown_table, paired_p

    lines = ["# One collection against another (2 s budget)", ""]
    mine = pd.read_csv(Path(args.out) / "per_dataset_2s.csv").set_index("content_hash")
    for other in args.also:
        theirs = pd.read_csv(Path(other) / "per_dataset_2s.csv").set_index("content_hash")
        both = mine.merge(theirs, left_index=True, right_index=True, suffixes=("", "_other"))
        table = []
        for corpus, g in [*both.groupby("corpus"), ("pooled", both)]:
            table.append(
                {
                    "corpus": corpus,
                    "datasets": len(g),
                    "candidates": g["candidates"].mean(),
                    "candidates_other": g["candidates_other"].mean(),
                    "pick": g["pick_shipped"].mean(),
                    "pick_other": g["pick_shipped_other"].mean(),
                    "oracle": g["oracle"].mean(),
                    "oracle_other": g["oracle_other"].mean(),
                    "p_pick_better": paired_p(g["pick_shipped"], g["pick_shipped_other"]),
                }
            )
        lines += [f"## {args.out} against {other}", "", markdown_table(pd.DataFrame(table)), ""]
    write_report(Path(args.out) / "versus.md", lines)


#: Evidence whose within-set rank ``misses`` reports for the best candidate.
EVIDENCE = ("surrogate", "agreement", "prior", "silhouette")


def misses(args: argparse.Namespace) -> None:
    """Where the shipped pick misses the best candidate within 2 s by more than 0.1
    ARI (over ``OUT`` and ``--also``): the best candidate's rank within the set
    (0 lowest, 1 highest) in each piece of evidence and in the blend, and how its
    number of clusters compares with the pick's and the reference's. Writes
    ``OUT/misses.md``."""
    from metarec.evaluation import markdown_table
    from metarec.screening import BLEND

    rows = []
    for folder in [args.out, *args.also]:
        cands = pd.read_parquet(Path(folder) / "candidates.parquet")
        for _, g in cands.groupby("content_hash", sort=True):
            g = _within(g.sort_values("order"), 2.0).reset_index(drop=True)
            ok = g["ok"].to_numpy()
            if ok.sum() < 3:
                continue
            best, pick = int(cast(int, g["ari"].idxmax())), _shipped_index(g)
            k = g["clusters_found"]
            row = {
                "corpus": g["corpus"].iloc[0],
                "gap": g["ari"].iloc[best] - g["ari"].iloc[pick],
                "fewer clusters than the pick": float(k.iloc[best] < k.iloc[pick]),
                "more clusters than the pick": float(k.iloc[best] > k.iloc[pick]),
                "best at the reference k": float(k.iloc[best] == g["true_k"].iloc[0]),
                "pick at the reference k": float(k.iloc[pick] == g["true_k"].iloc[0]),
            }
            for e in EVIDENCE:
                row[f"rank: {e}"] = _rank01(g[e].to_numpy(dtype=float), ok)[best]
            row["rank: blend"] = _rank01(_blend(g, dict(BLEND)), ok)[best]
            rows.append(row)
    per = pd.DataFrame(rows)
    missed = per[per["gap"] > 0.1]
    cols = [c for c in per.columns if c not in ("corpus", "gap")]
    table = [{"what": c, "mean": missed[c].mean(), "median": missed[c].median()} for c in cols]
    lines = [
        "# Where the pick misses the best candidate",
        "",
        f"{len(missed)} of {len(per)} held-out datasets (with at least three partitions) "
        "where the shipped pick is more than 0.1 ARI below the best candidate run "
        "within 2 s; per corpus: "
        + ", ".join(f"{c} {n}" for c, n in missed["corpus"].value_counts().sort_index().items())
        + ". The first four rows are shares of these datasets; the rest are the best "
        "candidate's ranks within its set (0 lowest, 1 highest; a random candidate has "
        "0.5 on average):",
        "",
        markdown_table(pd.DataFrame(table)),
        "",
    ]
    write_report(Path(args.out) / "misses.md", lines)


def gate(args: argparse.Namespace) -> None:
    """Choose :data:`metarec.screening.TRUST_PRIOR` (``inf``: the blend always decides)."""
    _nested_choice(
        args,
        {f"{t:g}": (lambda g, t=t: _shipped_index(g, t)) for t in TRUSTS},
        "The prior above which the zero-shot top-1 stays first",
        "threshold, zero-shot first when its prior is at least",
        "gate",
    )


def blend(args: argparse.Namespace) -> None:
    """Choose the silhouette's weight in :data:`metarec.screening.BLEND`."""
    from metarec.screening import BLEND

    others = {k: v for k, v in BLEND.items() if k != "silhouette"}
    _nested_choice(
        args,
        {
            f"{w:g}": (lambda g, w=w: _shipped_index(g, weights={**others, "silhouette": w}))
            for w in SILHOUETTE_WEIGHTS
        },
        "The silhouette's weight in the screening's blend",
        "weight, silhouette's weight beside " + ", ".join(f"{k} {v:g}" for k, v in others.items()),
        "blend",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "step",
        choices=[
            "report",
            "strata",
            "gate",
            "blend",
            "signals",
            "null",
            "versus",
            "misses",
        ],
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--budgets", type=float, nargs="*", default=[2.0, 5.0])
    parser.add_argument("--baselines", default="benchmarks/k_choice/per_dataset.csv")
    parser.add_argument("--out", default="benchmarks/budget")
    parser.add_argument(
        "--also",
        nargs="*",
        default=["benchmarks/budget_rdatasets"],
        help="calibrate: more collected folders whose picks count too",
    )
    parser.add_argument(
        "--models", default="meta_db/models", help="calibrate: where calibration.json goes"
    )
    args = parser.parse_args()
    steps = {
        "report": report,
        "strata": strata,
        "gate": gate,
        "blend": blend,
        "signals": signals,
        "null": null,
        "versus": versus,
        "misses": misses,
    }
    steps[args.step](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
