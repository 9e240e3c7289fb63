"""What an evaluation reports: summaries with paired tests, the per-dataset plot, tables."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["EvaluationResult", "summarize"]


@dataclass
class EvaluationResult:
    """Aggregates of an evaluation: per corpus and method, and Wilcoxon tests."""

    summary: pd.DataFrame
    tests: pd.DataFrame


def paired_p(a: Any, b: Any, alternative: str = "greater") -> float:
    """One-sided Wilcoxon signed-rank p that ``a`` is greater (or ``"less"``) than ``b``,
    paired by position; NaN when fewer than 5 pairs differ."""

    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if int(np.sum(x != y)) < 5:
        return float("nan")
    return float(stats.wilcoxon(x, y, alternative=alternative).pvalue)


def summarize(per_dataset: pd.DataFrame, reference: str) -> EvaluationResult:
    """Mean/median top-1, best-of-5, ratio to the oracle, regret; Wilcoxon vs ``reference``.

    Parameters
    ----------
    per_dataset : DataFrame
        What :func:`evaluate` returns.
    reference : str
        The method the others are tested against (one-sided, reference greater).

    Returns
    -------
    EvaluationResult
        ``summary`` per part (all, real, synthetic, each corpus) and method, and
        ``tests``.
    """
    frames = {"all": per_dataset}
    if "kind" in per_dataset:
        for kind, part in per_dataset.groupby("kind"):
            frames[str(kind)] = part
    for corpus, part in per_dataset.groupby("corpus"):
        frames[str(corpus)] = part
    rows, tests = [], []
    for corpus, part in frames.items():
        for method, m in part.groupby("method", sort=False):
            rows.append(
                {
                    "corpus": corpus,
                    "method": method,
                    "datasets": m["content_hash"].nunique(),
                    "top1_mean": m["top1"].mean(),
                    "top1_median": m["top1"].median(),
                    "top5_mean": m["top5"].mean(),
                    "oracle_mean": m["oracle"].mean(),
                    "top1_over_oracle": m["top1"].mean() / m["oracle"].mean(),
                    "top5_over_oracle": m["top5"].mean() / m["oracle"].mean(),
                    "regret_mean": m["regret"].mean(),
                    "percentile_mean": m["percentile"].mean(),
                }
            )
        ref = part[part["method"] == reference].set_index("content_hash")["top1"]
        for method, m in part.groupby("method", sort=False):
            if method == reference:
                continue
            other = m.set_index("content_hash")["top1"].reindex(ref.index)
            ok = ref.notna() & other.notna()
            diff = ref[ok] - other[ok]
            p = paired_p(ref[ok], other[ok])
            tests.append(
                {
                    "corpus": corpus,
                    "reference": reference,
                    "baseline": method,
                    "datasets": int(ok.sum()),
                    "mean_difference": float(diff.mean()),
                    "wins": int((diff > 0).sum()),
                    "ties": int((diff == 0).sum()),
                    "losses": int((diff < 0).sum()),
                    "wilcoxon_p_greater": p,
                }
            )
    return EvaluationResult(pd.DataFrame(rows), pd.DataFrame(tests))


def plot_per_dataset(per_dataset: pd.DataFrame, reference: str, path: str) -> None:
    """Scatter of the reference method's top-1 ARI against each baseline's, per dataset."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wide = per_dataset.pivot_table(index="content_hash", columns="method", values="top1")
    corpus = per_dataset.groupby("content_hash")["corpus"].first().reindex(wide.index)
    others = [m for m in wide.columns if m != reference]
    cols = min(3, len(others))
    rows = math.ceil(len(others) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 4 * rows), squeeze=False)
    colors = {"clustbench": "tab:blue", "uci121": "tab:orange", "sklearn": "tab:green"}
    for ax, other in zip(axes.ravel(), others, strict=False):
        for c, part in wide.groupby(corpus):
            ax.scatter(
                part[other],
                part[reference],
                s=10,
                alpha=0.7,
                color=colors.get(str(c), "gray"),
                label=str(c),
            )
        lo = float(np.nanmin(wide[[other, reference]].to_numpy()))
        ax.plot([min(lo, 0), 1], [min(lo, 0), 1], color="black", lw=0.8)
        ax.set_xlabel(f"{other} top-1 ARI")
        ax.set_ylabel(f"{reference} top-1 ARI")
        better = int((wide[reference] > wide[other]).sum())
        worse = int((wide[reference] < wide[other]).sum())
        ax.set_title(f"vs {other}: {better} above, {worse} below")
    for ax in axes.ravel()[len(others) :]:
        ax.axis("off")
    axes.ravel()[0].legend(loc="lower right", fontsize=8)
    fig.suptitle(f"Held-out top-1 ARI per dataset: {reference} (y) vs baselines (x)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".3f") -> str:
    """A GitHub-flavoured Markdown table."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.iterrows():
        cells = [
            format(v, floatfmt) if isinstance(v, float) and math.isfinite(v) else str(v)
            for v in row
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
