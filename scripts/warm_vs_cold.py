"""Warm-started vs cold TPE, held out (issue 7).

For each held-out dataset (a seeded sample of clustbench and uci121 datasets of
the shipped meta-database), the recommender and the neural meta-learner are
refitted without the dataset's near-duplicate group (and so is the surrogate
objective); then, for each seed, searches of ``--trials`` trials run on the
dataset as the build stored it:

* ``cold``: TPE, silhouette objective;
* ``warm``: TPE, silhouette objective, the recommender's top 10 and the neural
  predictions for their algorithms enqueued first;
* ``warm_index``: as ``warm``, with the internal index chosen per dataset
  (``objective="index"``);
* ``cold_surrogate`` / ``warm_surrogate``: cold and warm TPE with the learned
  surrogate objective (``objective="auto"``, the default);
* ``warm_surrogate_narrow``: as ``warm_surrogate``, the space narrowed to the
  algorithms of the enqueued configurations;
* ``warm_surrogate_feed`` / ``warm_surrogate_narrow_feed``: as ``warm_surrogate``
  and ``warm_surrogate_narrow``, with the runs of the 10 nearest known datasets
  given to TPE as completed trials first (``feed=True``);
* ``*_surrogate_prior*``: the three surrogate arms again, with the surrogate
  fitted with its out-of-fold prior feature (``SurrogateObjective(prior=True)``);
* ``*_surrogate_sizes*``: cold, warm and narrowed warm again, with the surrogate
  that also reads the partition's cluster sizes (``SurrogateObjective(sizes=True)``).
  The other surrogate arms use ``sizes=False``, the surrogate they were run with;
* ``warm_surrogate_portfolio_sizes``: as ``warm_surrogate_sizes``, enqueuing
  a portfolio of complementary configurations (``complementary=True``:
  :meth:`~metarec.models.recommender.Recommender.complementary`) instead of the top 10;
* ``warm_surrogate_startup_sizes``: as ``warm_surrogate_sizes``, with TPE's 10
  random start-up trials after the warm-start ones (``startup=10``), as a cold
  search has them;
* ``*_surrogate_explore``: cold and warm again, with the surrogate
  with sizes that also learned from the explore runs (random configurations,
  ``SurrogateObjective(explore=True)``); all other surrogate arms use
  ``explore=False``;
* ``*_surrogate_searched``: as ``*_explore``, the surrogate also learning from
  the trials of cold surrogate searches on 120 other datasets
  (``scripts/explore_runs.py --search``, which leaves out these held-out
  datasets and their near-duplicates, also from its searching objective);
* ``*_surrogate_sizes_reseed``: cold and warm with the shipped objective again, on
  seeds ``--seeds`` to ``2 * --seeds - 1``: a method against itself on other
  seeds (how often "warm >= cold at every n" holds between identical methods),
  and, pooled with ``*_surrogate_sizes``, twice the seeds;
* ``cold_oracle`` / ``warm_oracle``: cold and warm TPE whose objective is the ARI
  itself (the reference labels): what a perfect label-free objective could reach,
  and how often warm >= cold at every n holds even then.

Every trial (objective value, ARI) is appended to ``OUT/trials.csv``; finished
(dataset, arm) pairs are skipped on a rerun. ``--report`` summarises: the ARI of the trial
the objective ranks best after n = 1, 5, 10, 25, 50, 100 trials.

Usage::

    python scripts/warm_vs_cold.py [--datasets 8] [--seeds 3] [--trials 100] [--workers 2]
    python scripts/warm_vs_cold.py --report
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from concurrent.futures import as_completed
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _results import process_pool

from metarec.models.surrogate import RUN_INDICES
from metarec.scoring import SIZES

ARMS = (
    "cold",
    "warm",
    "warm_index",
    "cold_surrogate",
    "warm_surrogate",
    "warm_surrogate_narrow",
    "warm_surrogate_feed",
    "warm_surrogate_narrow_feed",
    "cold_surrogate_prior",
    "warm_surrogate_prior",
    "warm_surrogate_prior_narrow",
    "cold_surrogate_sizes",
    "warm_surrogate_sizes",
    "warm_surrogate_narrow_sizes",
    "warm_surrogate_portfolio_sizes",
    "warm_surrogate_startup_sizes",
    "cold_surrogate_explore",
    "warm_surrogate_explore",
    "cold_surrogate_searched",
    "warm_surrogate_searched",
    "cold_surrogate_sizes_reseed",
    "warm_surrogate_sizes_reseed",
    "cold_oracle",
    "warm_oracle",
)
OBJECTIVE_OF = {"cold": "silhouette", "warm": "silhouette", "warm_index": "index"}
#: (warm, cold) pairs compared with the same objective
PAIRS = (
    ("warm", "cold"),
    ("warm_surrogate", "cold_surrogate"),
    ("warm_surrogate_narrow", "cold_surrogate"),
    ("warm_surrogate_feed", "cold_surrogate"),
    ("warm_surrogate_narrow_feed", "cold_surrogate"),
    ("warm_surrogate_prior", "cold_surrogate_prior"),
    ("warm_surrogate_sizes", "cold_surrogate_sizes"),
    ("warm_surrogate_narrow_sizes", "cold_surrogate_sizes"),
    ("warm_surrogate_portfolio_sizes", "cold_surrogate_sizes"),
    ("warm_surrogate_startup_sizes", "cold_surrogate_sizes"),
    ("warm_surrogate_explore", "cold_surrogate_explore"),
    ("warm_surrogate_searched", "cold_surrogate_searched"),
    ("warm_surrogate_sizes_reseed", "cold_surrogate_sizes_reseed"),
    ("warm_surrogate_sizes_6seeds", "cold_surrogate_sizes_6seeds"),
    ("warm_oracle", "cold_oracle"),
)
#: (arm, same arm on other seeds): a method against itself
SELF_PAIRS = (
    ("cold_surrogate_sizes_reseed", "cold_surrogate_sizes"),
    ("warm_surrogate_sizes_reseed", "warm_surrogate_sizes"),
)
#: arms reported pooled over their seeds (on the datasets where all were run)
POOLED = {
    "cold_surrogate_sizes_6seeds": ("cold_surrogate_sizes", "cold_surrogate_sizes_reseed"),
    "warm_surrogate_sizes_6seeds": ("warm_surrogate_sizes", "warm_surrogate_sizes_reseed"),
}
NS = (1, 5, 10, 25, 50, 100)
#: arms whose first trial is the recommender's top-1 configuration (the zero-shot answer)
ZERO_SHOT_ARMS = (
    "warm",
    "warm_index",
    "warm_surrogate",
    "warm_surrogate_narrow",
    "warm_surrogate_sizes",
    "warm_surrogate_narrow_sizes",
    "warm_surrogate_portfolio_sizes",
    "warm_surrogate_startup_sizes",
    "warm_surrogate_explore",
    "warm_surrogate_searched",
    "warm_oracle",
)
#: what each trial records besides its objective value: enough to replay other objectives
RECORDED = RUN_INDICES
FIELDS = [
    "content_hash",
    "corpus",
    "arm",
    "seed",
    "trial",
    "value",
    "ari",
    "status",
    "objective",
    *(m for m in RECORDED if m not in SIZES),
    "config",
    *SIZES,  # recorded since the size features: last, so that older rows just lack them
]


def choose_datasets(kb: Any, n: int) -> list[str]:
    """``n`` held-out datasets, half clustbench and half uci121, seeded.

    The first four of each corpus are the original sample (``choice`` with seed
    0); more come from a seeded permutation of the rest, so that a larger
    ``--datasets`` keeps every dataset already run.
    """
    rng = np.random.default_rng(0)
    pools = {
        corpus: sorted(h for h in kb.dataset_hashes if kb.corpus_of(h) == corpus)
        for corpus in ("clustbench", "uci121")
    }
    first = {
        c: list(rng.choice(pool, size=min(4, n // 2), replace=False)) for c, pool in pools.items()
    }
    chosen: list[str] = []
    for corpus, pool in pools.items():
        rest = [h for h in pool if h not in first[corpus]]
        more = list(np.random.default_rng(1).permutation(rest))
        chosen += (first[corpus] + more)[: n // 2]
    return chosen


def _variant(arm: str) -> tuple[bool, bool, tuple[str, ...]]:
    """The surrogate an arm uses: (prior, sizes, sources of explore runs it learns from);
    explore runs come with the size features."""
    sources = ("random", "search") if "searched" in arm else ("random",) if "explore" in arm else ()
    return "prior" in arm, "sizes" in arm or bool(sources), sources


def _surrogate(train: Any, variant: tuple[bool, bool, tuple[str, ...]]) -> Any:
    from dataclasses import replace

    from metarec.models.surrogate import SurrogateObjective

    prior, sizes, sources = variant
    if sources:
        runs = train.explore_runs
        train = replace(train, explore_runs=runs[runs["source"].isin(sources)])
    model = SurrogateObjective(prior=prior, sizes=sizes, explore=bool(sources))
    return model.fit(train)


def _widen(path: Path) -> None:
    """Give a trials table written by an earlier version the columns added since
    (empty), byte for byte otherwise: new columns only ever go last."""
    lines = path.read_bytes().splitlines(keepends=True)
    header = lines[0].rstrip(b"\r\n").decode().split(",")
    if header == FIELDS:
        return
    if header != FIELDS[: len(header)]:
        raise SystemExit(f"{path}: columns {header} are not a prefix of {FIELDS}; move it away")
    missing = len(FIELDS) - len(header)
    pad = b"," * missing

    def widened(line: bytes) -> bytes:
        body = line.rstrip(b"\r\n")
        return body + pad + line[len(body) :]

    head = ",".join(FIELDS).encode() + lines[0][len(lines[0].rstrip(b"\r\n")) :]
    path.write_bytes(head + b"".join(widened(line) for line in lines[1:]))


def _oracle(result: Any) -> float:
    """The ``*_oracle`` arms' objective: the ARI against the reference labels."""
    return float(result.ari) if result.status == "ok" else float("nan")


def _seeds(arm: str, seeds: int) -> range:
    """The seeds an arm runs: ``*_reseed`` arms the next ``seeds`` ones."""
    return range(seeds, 2 * seeds) if arm.endswith("_reseed") else range(seeds)


def one_dataset(args: tuple[str, int, int, tuple[str, ...]]) -> list[dict[str, Any]]:
    from metarec.evaluation import load_as_built
    from metarec.knowledge import KnowledgeBase
    from metarec.models.hyperparams import HyperparameterModel
    from metarec.models.recommender import Recommender
    from metarec.tuning import own_trials, tune

    h, seeds, trials, arms = args
    kb = KnowledgeBase.shipped()
    groups = kb.near_duplicate_groups()
    train = kb.without({x for x, g in groups.items() if g == groups[h]})
    hyper = HyperparameterModel(n_members=2).fit(train)
    rec = Recommender(hyper=hyper).fit(train)
    variants = {_variant(arm) for arm in arms if "surrogate" in arm}
    surrogates = {v: _surrogate(train, v) for v in variants}
    ds = load_as_built(str(kb.value(h, "source")), h, 1000, None)
    if ds is None:
        return []
    rows = []
    for arm in arms:
        rec.surrogate = surrogates.get(_variant(arm))
        for seed in _seeds(arm, seeds):
            study = tune(
                ds,
                n_trials=trials,
                objective=_oracle if "oracle" in arm else OBJECTIVE_OF.get(arm, "auto"),
                random_state=seed,
                warm=arm.startswith("warm"),
                narrow="narrow" in arm,
                feed="feed" in arm,
                complementary="portfolio" in arm,
                startup=10 if "startup" in arm else None,
                recommender=rec,
                time_limit=60,
            )
            for number, t in enumerate(own_trials(study), start=1):
                rows.append(
                    {
                        "content_hash": h,
                        "corpus": kb.corpus_of(h),
                        "arm": arm,
                        "seed": seed,
                        "trial": number,
                        "value": t.value,
                        "ari": t.user_attrs.get("ari", 0.0),
                        "status": t.user_attrs.get("status", ""),
                        "objective": study.user_attrs.get("objective"),
                        **{key: t.user_attrs.get(key) for key in RECORDED},
                        "config": json.dumps(t.user_attrs.get("config"), sort_keys=True),
                    }
                )
    return rows


def report(out: Path) -> str:
    from metarec.evaluation import markdown_table, paired_p
    from metarec.tuning import OBJECTIVES, best_so_far_of

    trials = pd.read_csv(out / "trials.csv")
    curves = []
    for (h, arm, seed), g in trials.groupby(["content_hash", "arm", "seed"]):
        minimize = OBJECTIVES.get(g["objective"].iloc[0]) == "minimize"
        # before the first valued trial, nothing is chosen: ARI 0
        at = best_so_far_of(g, minimize).set_index("trial")["ari"].fillna(0.0)
        curves.append(
            {
                "content_hash": h,
                "corpus": g["corpus"].iloc[0],
                "arm": arm,
                "seed": seed,
                **{f"n{n}": at.get(n, np.nan) for n in NS},
            }
        )
    c = pd.DataFrame(curves)
    c.to_csv(out / "best_so_far.csv", index=False)
    # per dataset: mean over seeds
    d = c.groupby(["content_hash", "corpus", "arm"]).mean(numeric_only=True).reset_index()
    d = pd.concat([d, *_pooled(c)], ignore_index=True)
    arms = [a for a in (*ARMS, *POOLED) if a in set(d["arm"])]
    wide = {arm: d[d["arm"] == arm].set_index("content_hash").sort_index() for arm in arms}
    mean = d.groupby("arm")[[f"n{n}" for n in NS]].mean().reindex(arms)
    mean.insert(0, "datasets", d.groupby("arm")["content_hash"].nunique().reindex(arms))
    zero_shot = (
        # every warm arm's first trial is the recommender's top-1 configuration
        trials[trials["arm"].isin(ZERO_SHOT_ARMS) & (trials["trial"] == 1)]
        .groupby("content_hash")["ari"]
        .mean()
        .sort_index()
    )
    lines = [
        f"{d['content_hash'].nunique()} held-out datasets x "
        f"{int(c.groupby('arm')['seed'].nunique().max())} seeds per arm (`*_6seeds`: an arm "
        "and its `*_reseed` pooled); mean over datasets of the ARI of the objective's best "
        "trial after n trials:",
        markdown_table(mean.reset_index()),
        f"zero-shot top-1 recommendation (the first warm trial): {zero_shot.mean():.3f} "
        f"over {len(zero_shot)} datasets.",
    ]
    rows, per_n, per_corpus = [], [], []
    for warm, cold in PAIRS:
        if warm not in wide or cold not in wide:
            continue
        common = wide[warm].index.intersection(wide[cold].index)
        w, c0 = wide[warm].loc[common], wide[cold].loc[common]
        ge = _every_n(w, c0)
        for n in NS:
            at_n = (w[f"n{n}"] >= c0[f"n{n}"]).to_numpy()
            per_n.append(
                {
                    "warm": warm,
                    "n": n,
                    "warm_mean": w[f"n{n}"].mean(),
                    "cold_mean": c0[f"n{n}"].mean(),
                    "share_warm_ge_cold": float(at_n.mean()),
                    "p_warm_greater": paired_p(w[f"n{n}"], c0[f"n{n}"]),
                    "p_cold_greater": paired_p(c0[f"n{n}"], w[f"n{n}"]),
                }
            )
        rows.append(
            {
                "warm": warm,
                "cold": cold,
                "datasets": len(common),
                "warm_n10": w["n10"].mean(),
                "cold_n100": c0["n100"].mean(),
                "p_warm10_greater": paired_p(w["n10"], c0["n100"]),
                "p_cold100_greater": paired_p(c0["n100"], w["n10"]),
                "share_warm_ge_cold_every_n": float(ge.mean()),
                "share_slack_0.01": float(_every_n(w, c0, slack=0.01).mean()),
                "share_slack_0.02": float(_every_n(w, c0, slack=0.02).mean()),
                "warm_n100": w["n100"].mean(),
                "zero_shot": zero_shot.reindex(w.index).mean(),
                "p_warm100_ge_zero_shot": paired_p(w["n100"], zero_shot.reindex(w.index)),
            }
        )
        for corpus, share in pd.Series(ge, index=w["corpus"]).groupby(level=0):
            per_corpus.append({"warm": warm, "corpus": corpus, "share": share.mean()})
    lines += [
        "The issue's targets, per objective (warm vs cold with the same objective; p: "
        "one-sided Wilcoxon over datasets):",
        markdown_table(pd.DataFrame(rows)),
        "Warm vs cold at each n (same objective, same datasets; p: one-sided Wilcoxon):",
        markdown_table(pd.DataFrame(per_n)),
        "Share of datasets where warm >= cold at every n, per corpus:",
        markdown_table(
            pd.DataFrame(per_corpus)
            .pivot_table(index="warm", columns="corpus", values="share", sort=False)
            .reset_index()
        ),
    ]
    lines += _self_pairs(wide)
    versus = [
        (a, b)
        for a, b in (
            ("warm_surrogate", "warm"),
            ("cold_surrogate", "cold"),
            ("warm_index", "warm"),
            ("warm_surrogate", "warm_index"),
            ("warm_surrogate_narrow", "warm_surrogate"),
            ("warm_surrogate_feed", "warm_surrogate"),
            ("warm_surrogate_narrow_feed", "warm_surrogate_narrow"),
            ("cold_surrogate_sizes", "cold_surrogate"),
            ("warm_surrogate_sizes", "warm_surrogate"),
            ("warm_surrogate_narrow_sizes", "warm_surrogate_narrow"),
            ("warm_surrogate_narrow_sizes", "warm_surrogate_sizes"),
            ("warm_surrogate_portfolio_sizes", "warm_surrogate_sizes"),
            ("warm_surrogate_startup_sizes", "warm_surrogate_sizes"),
            ("cold_surrogate_explore", "cold_surrogate_sizes"),
            ("warm_surrogate_explore", "warm_surrogate_sizes"),
            ("cold_surrogate_searched", "cold_surrogate_sizes"),
            ("warm_surrogate_searched", "warm_surrogate_sizes"),
            ("cold_oracle", "cold_surrogate_sizes"),
            ("warm_oracle", "warm_surrogate_sizes"),
        )
        if a in wide and b in wide
    ]
    lines += [
        "Objectives and narrowing compared (mean ARI of the objective's best trial after "
        "n = 100 trials; p: one-sided Wilcoxon, first greater):",
        markdown_table(
            pd.DataFrame(
                [
                    {
                        "arm": a,
                        "vs": b,
                        "datasets": len(common),
                        "arm_n100": wide[a].loc[common, "n100"].mean(),
                        "vs_n100": wide[b].loc[common, "n100"].mean(),
                        "p": paired_p(wide[a].loc[common, "n100"], wide[b].loc[common, "n100"]),
                    }
                    for a, b in versus
                    for common in [wide[a].index.intersection(wide[b].index)]
                ]
            )
        ),
    ]
    lines += [
        "Per corpus:",
        markdown_table(d.groupby(["corpus", "arm"])[[f"n{n}" for n in NS]].mean().reset_index()),
        "What the objective gets wrong, per search (mean over datasets and seeds): the ARI "
        "of its best trial, the best ARI among all the search's trials, and the Spearman "
        "correlation of objective and ARI over the trials:",
        markdown_table(_agreement(trials)),
    ]
    cap = _first_trial_cap(Path("benchmarks/evaluation/per_dataset.csv"))
    if cap is not None:
        lines += [
            "At n = 1 a warm search is the zero-shot top-1 and a cold one a random "
            "configuration. Over every dataset of the meta-database, held out (the top-1 of "
            "`metarec evaluate --folds 10`, benchmarks/evaluation/per_dataset.csv) against its "
            "50 random explore runs (failed runs ARI 0): how often the top-1 is at least the "
            "random runs' mean ARI, and the chance that one random configuration beats it:",
            markdown_table(cap),
        ]
    text = "\n\n".join(lines)
    (out / "report.md").write_text(text + "\n")
    _plot(c, out / "warm_vs_cold.png")
    return text


def _pooled(c: pd.DataFrame) -> list[pd.DataFrame]:
    """Per dataset, the mean over the seeds of all of a :data:`POOLED` arm's members,
    on the datasets where every member ran."""
    out = []
    for name, members in POOLED.items():
        part = c[c["arm"].isin(members)]
        ran = part.groupby("content_hash")["arm"].nunique()
        part = part[part["content_hash"].isin(ran.index[ran == len(members)])]
        if len(part):
            mean = part.groupby(["content_hash", "corpus"]).mean(numeric_only=True)
            out.append(mean.reset_index().assign(arm=name))
    return out


def _every_n(a: pd.DataFrame, b: pd.DataFrame, slack: float = 0.0) -> np.ndarray:
    """Per dataset (rows aligned): whether ``a`` is at least ``b`` - ``slack`` at every n."""
    ge = np.ones(len(a), dtype=bool)
    for n in NS:
        ge &= (a[f"n{n}"] >= b[f"n{n}"] - slack).to_numpy()
    return ge


def _self_pairs(wide: dict[str, pd.DataFrame]) -> list[str]:
    """How often "at least as good at every n" holds between a method and itself on
    other seeds: the chance level of the issue's "every n" target."""
    from metarec.evaluation import markdown_table

    rows = []
    for a, b in SELF_PAIRS:
        if a not in wide or b not in wide:
            continue
        common = wide[a].index.intersection(wide[b].index)
        x, y = wide[a].loc[common], wide[b].loc[common]
        rows.append(
            {
                "arm": b,
                "datasets": len(common),
                **{f"share_n{n}": float((x[f"n{n}"] >= y[f"n{n}"]).mean()) for n in NS},
                "share_every_n": float(_every_n(x, y).mean()),
                "share_every_n_reversed": float(_every_n(y, x).mean()),
                "share_slack_0.01": float(_every_n(x, y, slack=0.01).mean()),
            }
        )
    if not rows:
        return []
    return [
        "A method against itself: seeds 3-5 (`*_reseed`) vs seeds 0-2 of the same arm, "
        "share of datasets where the first is at least the second at each n, at every n, "
        'and at every n the other way round (the chance level of the "every n" target):',
        markdown_table(pd.DataFrame(rows)),
    ]


def _first_trial_cap(evaluation: Path) -> pd.DataFrame | None:
    """Zero-shot top-1 against random configurations on every known dataset (n = 1)."""
    from metarec.knowledge import KnowledgeBase

    kb = KnowledgeBase.shipped()
    runs = kb.explore_runs
    if not evaluation.is_file() or not len(runs):
        return None
    per = pd.read_csv(evaluation)
    top1 = per[per["method"] == "metarec"].set_index("content_hash")[["corpus", "top1"]]
    random = runs[runs["source"] == "random"]
    ari = random["ari"].where(random["status"] == "ok", 0.0)
    frame = pd.DataFrame({"content_hash": random["content_hash"], "ari": ari}).join(
        top1, on="content_hash", how="inner"
    )
    frame["beats"] = frame["ari"] > frame["top1"]
    each = frame.groupby("content_hash").agg(
        corpus=("corpus", "first"),
        top1=("top1", "first"),
        random=("ari", "mean"),
        beats=("beats", "mean"),
    )
    rows = []
    for name, g in [("all", each), *each.groupby("corpus")]:
        rows.append(
            {
                "corpus": name,
                "datasets": len(g),
                "top1": g["top1"].mean(),
                "random_config": g["random"].mean(),
                "share_top1_ge_random_mean": float((g["top1"] >= g["random"]).mean()),
                "p_one_random_beats_top1": g["beats"].mean(),
            }
        )
    return pd.DataFrame(rows)


def _agreement(trials: pd.DataFrame) -> pd.DataFrame:
    from scipy import stats

    from metarec.tuning import OBJECTIVES

    rows = []
    for (_, arm, _), g in trials.groupby(["content_hash", "arm", "seed"]):
        g = g[np.isfinite(g["value"])]
        sign = -1.0 if OBJECTIVES.get(g["objective"].iloc[0]) == "minimize" else 1.0
        rows.append(
            {
                "arm": arm,
                "ari_of_objective_best": g.loc[(sign * g["value"]).idxmax(), "ari"],
                "best_ari_found": g["ari"].max(),
                "spearman_objective_ari": stats.spearmanr(sign * g["value"], g["ari"]).statistic,
            }
        )
    present = [a for a in ARMS if a in set(trials["arm"])]
    return pd.DataFrame(rows).groupby("arm").mean().reindex(present).reset_index()


#: the panels besides "every arm": title and arms, compared on the datasets they share
PANELS = (
    (
        "The shipped objective: cold, warm and warm variants",
        (
            "cold_surrogate_sizes",
            "warm_surrogate_sizes",
            "warm_surrogate_narrow_sizes",
            "warm_surrogate_portfolio_sizes",
            "warm_surrogate_startup_sizes",
        ),
    ),
    (
        "Objective = the ARI itself (oracle) vs the shipped objective",
        ("cold_surrogate_sizes", "warm_surrogate_sizes", "cold_oracle", "warm_oracle"),
    ),
    (
        "Trained also on runs off the design",
        (
            "cold_surrogate_sizes",
            "warm_surrogate_sizes",
            "cold_surrogate_explore",
            "warm_surrogate_explore",
            "cold_surrogate_searched",
            "warm_surrogate_searched",
        ),
    ),
)


def _plot(c: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 1 + len(PANELS), figsize=(7 * (1 + len(PANELS)), 7))
    arms = [a for a in ARMS if a in set(c["arm"])]
    palette = [*plt.get_cmap("tab20").colors, *plt.get_cmap("Set1").colors]
    colours = dict(zip(arms, palette, strict=False))
    panels = [("Warm-started vs cold TPE, held out: every arm", arms, False)]
    panels += [(title, [a for a in shown if a in arms], True) for title, shown in PANELS]
    for axis, (title, shown, common) in zip(axes, panels, strict=True):
        keep = c[c["arm"].isin(shown)]
        if common and shown:
            sets = [set(keep.loc[keep["arm"] == a, "content_hash"]) for a in shown]
            keep = keep[keep["content_hash"].isin(set.intersection(*sets))]
            title += f" ({keep['content_hash'].nunique()} datasets)"
        for arm in shown:
            part = keep[keep["arm"] == arm]
            m = part.groupby("content_hash")[[f"n{n}" for n in NS]].mean().mean()
            label = arm if common else f"{arm} ({part['content_hash'].nunique()} datasets)"
            style = (
                "--"
                if "prior" in arm
                else "-."
                if "sizes" in arm
                else ":"
                if "explore" in arm or "searched" in arm or "oracle" in arm
                else "-"
            )
            axis.plot(NS, m.to_numpy(), marker="o", label=label, ls=style, color=colours[arm])
        axis.set_xscale("log")
        axis.set(xlabel="trials", ylabel="mean ARI of the objective's best trial", title=title)
        axis.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=8, help="half clustbench, half uci121")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/warm_vs_cold")
    parser.add_argument("--arms", help=f"comma-separated subset of {', '.join(ARMS)}")
    parser.add_argument("--report", action="store_true", help="only summarise")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.report:
        from metarec.knowledge import KnowledgeBase

        kb = KnowledgeBase.shipped()
        chosen = choose_datasets(kb, args.datasets)
        path = out / "trials.csv"
        done = set()
        if path.is_file():
            _widen(path)
            old = pd.read_csv(path)
            done = set(zip(old["content_hash"], old["arm"], strict=True))
        wanted = args.arms.split(",") if args.arms else list(ARMS)
        unknown = sorted(set(wanted) - set(ARMS))
        if unknown:
            parser.error(f"unknown arms {unknown}; choose from {', '.join(ARMS)}")
        todo = []
        for h in chosen:
            arms = tuple(a for a in ARMS if a in wanted and (h, a) not in done)
            if arms:
                todo.append((h, args.seeds, args.trials, arms))
        print(f"{len(chosen) - len(todo)} datasets done, {len(todo)} to go", flush=True)
        new = not path.is_file()
        with path.open("a", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            if new:
                writer.writeheader()
            with process_pool(args.workers) as pool:
                futures = [pool.submit(one_dataset, job) for job in todo]
                for i, fut in enumerate(as_completed(futures), start=1):
                    writer.writerows(fut.result())
                    fh.flush()
                    print(f"{i}/{len(todo)} datasets", flush=True)
    print(report(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
