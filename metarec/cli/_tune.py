"""``metarec tune`` and ``ingest``: searches, and their runs back into the meta-database."""

from __future__ import annotations

import argparse
from typing import Any

from metarec.cli._common import (
    KNOWLEDGE_HELP,
    NAME_HELP,
    SEED_HELP,
    TARGET_HELP,
    _budget,
    _file_options,
    _knowledge,
    _load,
    _positive,
    _seconds,
    _seed,
)
from metarec.cli._db import _cmd_db_import
from metarec.config import DEFAULT_BUDGET, redact
from metarec.exceptions import MetarecError


def _cmd_ingest(args: argparse.Namespace) -> int:
    from pathlib import Path

    from metarec.db import MetaDatabase
    from metarec.db.ingest import IngestError, ingest_runs_file, ingest_study

    openml = args.openml or args.openml_tag or args.openml_suite
    given = [x for x in (args.source, args.optuna_study, openml) if x]
    if len(given) != 1:
        raise IngestError(
            "ingest one thing: a runs file or exported folder, --optuna-study NAME "
            "--storage URL, or --openml ID... / --openml-tag / --openml-suite"
        )
    if args.source and Path(args.source).is_dir():  # an exported folder: `db import`
        args.directory = args.source
        return _cmd_db_import(args)
    db = MetaDatabase(args.db)
    if args.optuna_study:
        import optuna

        from metarec.tuning import open_storage

        if not args.storage:
            raise IngestError("--optuna-study needs --storage URL (or journal:PATH)")
        try:
            study = optuna.load_study(
                study_name=args.optuna_study, storage=open_storage(args.storage)
            )
        except KeyError:
            raise IngestError(
                f"no study {args.optuna_study!r} in {redact(args.storage)}; check --optuna-study"
            ) from None
        report = ingest_study(db, study, args.dataset, name=args.study, data_root=args.data_root)
    elif openml:
        from metarec.db.builder import BuildSettings
        from metarec.db.ingest import ingest_openml

        summary, problems = ingest_openml(
            db,
            args.openml or (),
            tag=args.openml_tag,
            suite=args.openml_suite,
            with_runs=args.with_runs,
            settings=BuildSettings(subsample=args.subsample),
            workers=args.workers,
            progress=not args.quiet,
        )
        for line in summary.lines():
            print(line)
        for line in problems:
            print(f"could not fetch: {line}")
        return 0 if summary.datasets else 1
    else:
        report = ingest_runs_file(db, args.source, study=args.study, data_root=args.data_root)
    for line in report.lines():
        print(line)
    if report.runs_new or report.datasets_new:
        print(f"into {db.display_url}; run `metarec train` to refit the models")
    else:
        print(f"nothing new for {db.display_url}: the models need no refit")
    return 0


def _cmd_tune(args: argparse.Namespace) -> int:
    from pathlib import Path

    import optuna

    from metarec.tuning import best_trial, own_trials, plot_progress, refit_best, tune

    dataset = _load(args)
    db = None
    if args.ingest:  # opened before the search: a bad URL or path fails at once
        from metarec.db import MetaDatabase

        db = MetaDatabase(None if args.ingest == "default" else args.ingest)
    recommender = None
    if not args.cold or args.objective in ("auto", "index"):
        from metarec import progress
        from metarec.api import get_recommender

        with progress.step("loading the models"):
            recommender = get_recommender(_knowledge(args), args.models)
    study = tune(
        dataset,
        n_trials=args.trials,
        objective=args.objective,
        timeout=args.timeout,
        storage=args.storage,
        study_name=args.study,
        random_state=args.seed,
        time_limit=args.time_limit,
        warm=not args.cold,
        recommender=recommender,
        top=args.top,
        algorithms=args.algorithms,
        show_progress_bar=not args.quiet,
        budget=args.budget,
    )
    own = own_trials(study)
    queued = [t for t in own if t.state == optuna.trial.TrialState.WAITING]
    trials = [t for t in own if t.state.is_finished()]
    done = [t for t in trials if t.value is not None]
    if not done:
        raise MetarecError("no trial finished; raise --time-limit or --trials")
    out = Path(args.out or f"tune-{dataset.name}")
    payload = refit_best(study, dataset, out, random_state=args.seed)
    best = best_trial(study)
    config = payload["config"]
    if args.plot:
        plot_progress({dataset.name: study}, args.plot)
    failed = len(trials) - len(done)
    if failed:
        print(f"{failed} trials failed or timed out (their configurations scored nothing)")
    what = "learned score" if payload["objective"] == "surrogate" else payload["objective"]
    left_out = study.user_attrs.get("warm_start", {}).get("left_out", 0)
    if queued or left_out:
        print(
            f"{len(queued) + left_out} warm-start configurations were not run: raise --trials "
            "to try them (or keep the study with --storage and --study, and run again)"
        )
    how = _how_selected(study, payload["select"], what, len(done))
    print(
        f"{len(trials)} trials in study {study.study_name!r}; returned trial "
        f"{payload['trial']} of {len(trials)} ({how}; {what} {best.value:.4f}): "
        f"{config['algorithm']} {config['params']}"
    )
    if "ari" in best.user_attrs:
        print(f"ARI against the dataset's labels: {best.user_attrs['ari']:.3f}")
    if db is not None:
        from metarec.db.ingest import ingest_study

        for line in ingest_study(db, study, dataset).lines():
            print(line)
    print(f"wrote {out / 'best_labels.csv'} and {out / 'best_config.json'}")
    return 0


def _how_selected(study: Any, select: str, what: str, n_done: int) -> str:
    """How the returned trial was chosen, in words (for the summary line)."""
    from metarec.tuning import CONSENSUS_TOP

    top = min(CONSENSUS_TOP, n_done)
    kept = study.user_attrs.get("selected_trial") == study.user_attrs.get("start_trial")
    if select == "start":
        return "the recommendation's pick, kept: the screening trusted it"
    if select != "consensus":
        return f"the best by {what}"
    if kept:
        return (
            f"the recommendation's pick: none of the {top} best by {what} is as good by "
            "every piece of the screening's evidence and better by one"
        )
    return (
        f"of the {top} best by {what}, at least as good as the recommendation's "
        "pick by every piece of the screening's evidence and better by one"
    )


def _add_ingest(sub: Any) -> None:
    """The ``ingest`` command's arguments."""
    p = sub.add_parser(
        "ingest",
        help="add runs to the meta-database: a runs file, an Optuna study or OpenML datasets",
        description="Grow the meta-database (default: your own, $METAREC_DB or the per-user "
        "SQLite file, layered over the shipped one). SOURCE is a CSV/Parquet runs file "
        "(columns dataset and/or content_hash, config or algorithm + params, seed, status, "
        "scores) or a folder written by `metarec db export`. Everything is validated first; "
        "a bad row is named and nothing is written.",
    )
    p.add_argument("source", nargs="?", help="runs file (.csv/.parquet) or exported folder")
    p.add_argument("--db", metavar="URL", help="database (default: the user database)")
    p.add_argument("--study", help="name the runs are recorded under")
    p.add_argument("--optuna-study", metavar="NAME", help="ingest this Optuna study's trials")
    p.add_argument("--storage", metavar="URL", help="Optuna storage of --optuna-study")
    p.add_argument("--dataset", help="the data the Optuna study ran on (default: recorded)")
    p.add_argument("--openml", nargs="+", type=_positive, metavar="ID", help="OpenML dataset ids")
    p.add_argument("--openml-tag", metavar="TAG", help="every OpenML dataset with this tag")
    p.add_argument("--openml-suite", metavar="SUITE", help="an OpenML benchmark suite")
    p.add_argument(
        "--with-runs", action="store_true", help="also run OpenML's own clustering runs' configs"
    )
    p.add_argument(
        "--subsample", type=_positive, default=1000, help="rows per OpenML dataset at most"
    )
    p.add_argument(
        "--workers", type=_positive, default=2, help="local Dask workers for OpenML runs"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_ingest)


def _add_tune(sub: Any) -> None:
    """The ``tune`` command's arguments."""
    p = sub.add_parser(
        "tune",
        help="warm-started Optuna search with an unsupervised objective",
        description="Optuna TPE over the whole space, its first trials the recommended "
        "configurations. Run it N times with the same --storage postgresql://... --study NAME "
        "to search with N workers.",
    )
    p.add_argument("name", help=NAME_HELP)
    p.add_argument(
        "--trials", type=_positive, default=50, help="trials of this worker (default 50)"
    )
    p.add_argument("--timeout", type=_seconds, help="seconds for the whole search")
    p.add_argument(
        "--objective",
        default="auto",
        choices=["auto", "index", "silhouette", "calinski_harabasz", "davies_bouldin", "dbcv"],
        help="what to maximize without labels; auto: the learned surrogate objective "
        "(default); index: the internal index that agreed best with ground truth on "
        "similar known datasets; or a named internal index",
    )
    p.add_argument("--storage", help="Optuna storage: a database URL or journal:PATH")
    p.add_argument("--study", help="study name (joins the study when it exists)")
    p.add_argument("--cold", action="store_true", help="no warm start")
    p.add_argument(
        "--algorithms",
        metavar="A,B",
        type=lambda text: [a.strip() for a in text.split(",") if a.strip()],
        help="search only these algorithms (comma-separated; the warm start keeps to them)",
    )
    p.add_argument(
        "--budget",
        type=_budget,
        default=DEFAULT_BUDGET,
        help="seconds of screening for the recommendation the search starts from "
        f"(default {DEFAULT_BUDGET:g}; 0: zero-shot)",
    )
    _add_tune_inputs_and_outputs(p)


def _add_tune_inputs_and_outputs(p: argparse.ArgumentParser) -> None:
    """``tune``'s start, data, knowledge and output arguments."""
    p.add_argument("--top", type=_positive, default=10, help="recommended configurations enqueued")
    p.add_argument("--seed", type=_seed, default=0, help=SEED_HELP)
    p.add_argument("--time-limit", type=_seconds, default=60.0, help="seconds per trial")
    p.add_argument("--target", metavar="COL", help=TARGET_HELP)
    _file_options(p)
    p.add_argument("--labels", metavar="FILE", help="file with one ground-truth label per line")
    p.add_argument("--db", help=KNOWLEDGE_HELP)
    p.add_argument("--models", help="trained models folder (default: the shipped models)")
    p.add_argument("--out", metavar="DIR", help="output folder (default tune-NAME)")
    p.add_argument("--plot", metavar="FILE", help="plot of best-so-far objective and ARI")
    p.add_argument(
        "--ingest",
        nargs="?",
        const="default",
        metavar="URL",
        help="write the study's runs to the meta-database (default: your database)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_tune)
