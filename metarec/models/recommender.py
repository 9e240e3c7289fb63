"""The recommender: nearest known datasets + a LightGBM ranker -> ranked configurations.

For a new dataset (seen only through its meta-features):

1. its nearest datasets in the knowledge base, by a similarity metric (L1 on
   scaled meta-features, or the learned metric of :mod:`metarec.models.similarity`);
2. every known configuration gets a *neighbour score*: the similarity-weighted
   mean of the ARI it reached on those neighbours, with the weighted standard
   deviation as its uncertainty;
3. a LightGBM model predicting a configuration's ARI from (meta-features,
   configuration features), trained on every recorded run, gives a *ranker score*
   (it also scores configurations never run on the neighbours);
4. the final score blends both; when the dataset is farther from every known
   dataset than almost all known datasets are from their nearest neighbour, the
   list falls back to a robust portfolio (configurations good on average) and
   says so.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from metarec.knowledge import KnowledgeBase, KnowledgeError
from metarec.models._encoding import ConfigEncoder, MetaFeatureScaler, fit_score_model
from metarec.space import Configuration, k_cap

if TYPE_CHECKING:
    from metarec.dataset import Dataset
    from metarec.models.hyperparams import HyperparameterPrediction

__all__ = ["Recommendation", "RecommendedConfig", "Recommender"]

#: Options of earlier versions that held out no better (docs/benchmarks/retired.md), with
#: the value that is today's behaviour: saved models that used another are refused.
RETIRED_OPTIONS: dict[str, Any] = {"target": "ari", "refine": False}


@dataclass
class RecommendedConfig:
    """One recommended configuration with its evidence."""

    rank: int
    config: Configuration
    config_hash: str
    score: float
    uncertainty: float
    neighbour_score: float
    ranker_score: float
    expected_clusters: float
    support: list[dict[str, Any]] = field(default_factory=list)
    #: The screening's label-free score (:mod:`metarec.screening`; NaN: not screened).
    screened: float = float("nan")
    #: What the screening run showed (clusters found, silhouette, agreement, seconds).
    observed: dict[str, Any] = field(default_factory=dict)
    #: The 80 % interval of the predicted ARI, calibrated on held-out errors
    #: (:mod:`metarec.models.calibration`; NaN when none applies).
    interval: tuple[float, float] = (float("nan"), float("nan"))

    def __post_init__(self) -> None:
        self.config = Configuration.from_dict(self.config)

    @property
    def algorithm(self) -> str:
        """Algorithm name."""
        return self.config.algorithm


@dataclass
class Recommendation:
    """Ranked configurations for one dataset, the neighbours behind them, a k estimate."""

    items: list[RecommendedConfig]
    neighbours: pd.DataFrame
    n_clusters: int
    n_clusters_interval: tuple[int, int]
    fallback: bool = False
    note: str = ""
    metric: str = "l1"
    #: The neural meta-learner's configuration for each recommended algorithm
    #: (:meth:`Recommender.hyperparameters`), when asked for.
    hyperparameters: list[HyperparameterPrediction] = field(default_factory=list)
    #: Name of the known dataset this one is (or is a near-duplicate of), when its
    #: own recorded runs are the recommendation (:meth:`Recommender.recorded`).
    known: str = ""
    #: What :func:`metarec.screening.screen` ran, for a budgeted recommendation.
    screening: Any = None

    @property
    def top(self) -> RecommendedConfig:
        """The first recommendation."""
        return self.items[0]

    def to_frame(self) -> pd.DataFrame:
        """One row per recommended configuration."""
        return pd.DataFrame(
            [
                {
                    "rank": it.rank,
                    "algorithm": it.algorithm,
                    "params": it.config["params"],
                    "scaler": it.config["preprocessing"]["scaler"],
                    "pca": it.config["preprocessing"]["pca"],
                    "predicted_ari": it.score,
                    "uncertainty": it.uncertainty,
                    "neighbour_ari": it.neighbour_score,
                    "ranker_score": it.ranker_score,
                    "expected_clusters": it.expected_clusters,
                    "screened": it.screened,
                    "config_hash": it.config_hash,
                }
                for it in self.items
            ]
        ).set_index("rank")

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for JSON)."""
        return {
            "metric": self.metric,
            "fallback": self.fallback,
            "known": self.known,
            "note": self.note,
            "n_clusters": self.n_clusters,
            "n_clusters_interval": list(self.n_clusters_interval),
            "screening": None if self.screening is None else self.screening.summary(),
            "recommendations": [
                {
                    "rank": it.rank,
                    "config": it.config.to_json(),
                    "config_hash": it.config_hash,
                    "predicted_ari": it.score,
                    "uncertainty": it.uncertainty,
                    "neighbour_ari": it.neighbour_score,
                    "ranker_score": it.ranker_score,
                    "expected_clusters": it.expected_clusters,
                    "screened": it.screened,
                    "interval": list(it.interval),
                    "observed": it.observed,
                    "support": it.support,
                }
                for it in self.items
            ],
            "neighbours": self.neighbours.reset_index().to_dict("records"),
            "neural_hyperparameters": [p.to_dict() for p in self.hyperparameters],
        }


class Recommender:
    """Recommend clustering configurations from meta-features (see the module docstring).

    Parameters
    ----------
    n_neighbors : int, default=10
        Known datasets consulted.
    metric : {"l1", "learned"}, default="l1"
        Dataset similarity: L1 on scaled meta-features, or a learned embedding
        (``similarity=`` must then hold a fitted
        :class:`~metarec.models.similarity.SimilarityModel`).
    blend : float, default=0.5
        Weight of the neighbour score against the ranker score (1 = neighbours only,
        0 = ranker only).
    use_ranker : bool, default=True
        Fit the LightGBM ranker (``blend`` is 1 without it).
    fallback_quantile : float, default=0.98
        Nearest-neighbour distance quantile (over known datasets) beyond which the
        portfolio fallback is used.
    random_state : int, default=0
        Seed of the ranker.
    similarity : SimilarityModel, optional
        A fitted similarity model used when ``metric="learned"``; when ``None`` one
        is trained in :meth:`fit`.
    hyper : HyperparameterModel, optional
        A fitted neural meta-learner: the k estimate and :meth:`hyperparameters`.
    surrogate : SurrogateObjective, optional
        A fitted learned objective, saved and loaded with the models (used by
        :func:`metarec.tuning.tune`).
    """

    trained_on_: set[str]
    knowledge_: dict[str, Any]
    trained_knowledge_: dict[str, Any]
    models_dir_: str
    stale_: bool = False
    #: Intervals of predicted ARIs (a :class:`~metarec.models.calibration.ScoreCalibration`
    #: loaded with the models; None: no intervals).
    calibration_: Any = None
    #: Predicted run costs (a :class:`~metarec.models.costs.RunCosts`, saved with the
    #: models) that plan the screening's budget; None: learned from ``kb_`` when needed.
    costs_: Any = None

    def __init__(
        self,
        n_neighbors: int = 10,
        metric: str = "l1",
        blend: float = 0.5,
        use_ranker: bool = True,
        fallback_quantile: float = 0.98,
        random_state: int = 0,
        similarity: Any = None,
        hyper: Any = None,
        surrogate: Any = None,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.blend = blend
        self.use_ranker = use_ranker
        self.fallback_quantile = fallback_quantile
        self.random_state = random_state
        self.similarity = similarity
        self.hyper = hyper
        self.surrogate = surrogate

    # ---------------------------------------------------------------- fit
    def fit(self, kb: KnowledgeBase) -> Recommender:
        """Learn from a knowledge base (its datasets with runs)."""
        hashes = kb.dataset_hashes
        if len(hashes) < 2:
            raise KnowledgeError("the knowledge base needs runs on at least 2 datasets")
        self.kb_ = kb
        self.hashes_ = hashes
        self.knowledge_ = kb.digest()
        self.trained_knowledge_ = self.knowledge_
        self.stale_ = False
        self.scores_ = kb.score_matrix.loc[hashes]
        self.clusters_ = kb.n_clusters_matrix.loc[hashes, self.scores_.columns]
        self.configs_ = kb.configs.loc[self.scores_.columns, "config"]
        self.scaler_ = MetaFeatureScaler().fit(kb.metafeatures.loc[hashes])
        self.X_ = self.scaler_.transform(kb.metafeatures.loc[hashes])
        self.similarity_ = self.similarity
        if self.metric == "learned" and self.similarity_ is None:
            from metarec.models.similarity import SimilarityModel

            groups = kb.near_duplicate_groups()
            self.similarity_ = SimilarityModel(random_state=self.random_state).fit(
                self.X_, self.scores_, np.array([groups[h] for h in hashes])
            )
        self.space_ = self._embed(self.X_)
        # near-duplicate groups (each appears once among a dataset's neighbours)
        near = kb.near_duplicate_groups()
        self.groups_ = np.array([near[h] for h in hashes])
        repeats = len(self.groups_) - len(np.unique(self.groups_))
        self.index_ = NearestNeighbors(
            n_neighbors=min(self.n_neighbors + repeats, len(self.space_)),
            algorithm="brute",
            metric="manhattan" if self.metric == "l1" else "euclidean",
        ).fit(self.space_)
        if len(self.space_) > 1:
            nearest = self.index_.kneighbors(n_neighbors=1)[0][:, 0]
        else:
            nearest = np.array([np.inf])
        self.fallback_distance_ = float(
            np.quantile(nearest[np.isfinite(nearest)], self.fallback_quantile)
        )
        filled = self.scores_.fillna(0.0)
        self.portfolio_ = filled.mean(axis=0).sort_values(ascending=False)
        self.portfolio_sd_ = filled.std(axis=0, ddof=0)
        self.fallback_heldout_ = self._portfolio_heldout(filled.to_numpy(), kb)
        self.oracle_clusters_ = self._oracle_clusters()
        self.encoder_ = ConfigEncoder()
        self.config_features_ = self.encoder_.encode_all(self.configs_)
        self.ranker_ = self._fit_ranker() if self.use_ranker else None
        return self

    def _portfolio_heldout(self, scores: np.ndarray, kb: KnowledgeBase) -> float:
        """Mean ARI of the fallback's first choice on datasets it was not chosen from:
        for each near-duplicate group, the best configuration on average over the
        other groups, scored on the group's datasets."""
        groups = kb.near_duplicate_groups()
        labels = np.array([groups[h] for h in self.hashes_])
        ids = np.unique(labels)
        if len(ids) < 2:
            return float("nan")
        total, count = scores.sum(axis=0), len(scores)
        picked = np.empty(len(scores))
        for g in ids:
            mask = labels == g
            rest = (total - scores[mask].sum(axis=0)) / (count - int(mask.sum()))
            picked[mask] = scores[mask, int(np.argmax(rest))]
        return float(picked.mean())

    def _embed(self, x: np.ndarray) -> np.ndarray:
        if self.metric == "learned":
            return np.asarray(self.similarity_.embed(x))
        if self.metric != "l1":
            raise KnowledgeError(f"unknown metric {self.metric!r}; use 'l1' or 'learned'")
        return x

    def _oracle_clusters(self) -> np.ndarray:
        best = self.scores_.fillna(-np.inf).to_numpy().argmax(axis=1)
        found = self.clusters_.to_numpy()[np.arange(len(best)), best]
        sizes = self.kb_.datasets.loc[self.hashes_, "n_classes"].to_numpy(dtype=float)
        # Prefer the clusters the best configuration found; fall back to the class count.
        return np.where(np.isfinite(found), found, sizes)

    def _fit_ranker(self) -> Any:
        n_d, n_c = self.scores_.shape
        y = self.scores_.to_numpy().ravel()
        X = np.hstack([np.repeat(self.X_, n_c, axis=0), np.tile(self.config_features_, (n_d, 1))])
        ok = np.isfinite(y)
        return fit_score_model(X[ok], y[ok], self.random_state)

    # -------------------------------------------------------- persistence
    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write the trained parts: ``recommender.json``, ``ranker.txt`` (LightGBM text
        model) and, for the learned metric, ``similarity.pt``/``.json``. The models it
        carries (``hyper``, ``surrogate``) are saved with it by
        :func:`metarec.models.bundle.save_models`."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.models_dir_ = str(d)
        params = self.get_params()
        params.pop("similarity")
        params.pop("hyper")
        params.pop("surrogate")
        meta = {
            "params": params,
            "trained_on": sorted(self.hashes_),
            "knowledge": self.knowledge_,
            "configurations": list(map(str, self.scores_.columns)),
            "extractor_columns": self.scaler_.columns_,
        }
        (d / "recommender.json").write_text(json.dumps(meta, indent=1) + "\n")
        if self.ranker_ is not None:
            booster = getattr(self.ranker_, "booster_", self.ranker_)
            booster.save_model(str(d / "ranker.txt"))
        if self.similarity_ is not None:
            self.similarity_.save(d)

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike[str],
        kb: KnowledgeBase,
        *,
        hyper: Any = None,
        surrogate: Any = None,
    ) -> Recommender:
        """Load a saved recommender over ``kb`` (the knowledge base it was trained on).

        Scalers, neighbours and the portfolio are recomputed from ``kb``; the ranker
        and the similarity model are read from disk. ``hyper`` and ``surrogate`` are
        the models it carries (:func:`metarec.models.bundle.load_models` loads them
        from the same folder).
        """
        import lightgbm as lgb

        d = Path(directory)
        try:
            meta = json.loads((d / "recommender.json").read_text())
        except (OSError, ValueError) as exc:
            raise KnowledgeError(
                f"{d}: no trained recommender ({exc}); run `metarec train`"
            ) from None
        params = dict(meta["params"])
        for key, default in RETIRED_OPTIONS.items():  # options of 0.1 that held out no better
            value = params.pop(key, default)
            if value != default:
                raise KnowledgeError(
                    f"{d}: trained with the retired option {key}={value!r}; run `metarec train`"
                )
        similarity = None
        if params.get("metric") == "learned":
            from metarec.models.similarity import SimilarityModel

            similarity = SimilarityModel.load(d)
        rec = cls(
            **{
                **params,
                "use_ranker": False,
                "similarity": similarity,
                "hyper": hyper,
                "surrogate": surrogate,
            }
        )
        rec.fit(kb)
        rec.use_ranker = params.get("use_ranker", True)
        if rec.use_ranker:
            rec.ranker_ = lgb.Booster(model_file=str(d / "ranker.txt"))
        rec.trained_on_ = set(meta["trained_on"])
        rec.trained_knowledge_ = meta.get("knowledge", {})
        if rec.trained_knowledge_:
            rec.stale_ = rec.trained_knowledge_.get("hash") != rec.knowledge_["hash"]
        else:  # saved before digests were recorded
            rec.stale_ = rec.trained_on_ != set(rec.hashes_)
        rec.models_dir_ = str(d)
        return rec

    def staleness(self) -> str:
        """One line: what the saved models were trained on against the knowledge now."""
        then, now = self.trained_knowledge_, self.knowledge_
        where = getattr(self, "models_dir_", "the saved models")
        # (the design's runs, what the models train on; `db stats` also counts the k sweep's)
        if not self.stale_:
            return f"{where} are up to date ({now['datasets']} datasets, {now['runs']} design runs)"
        seen = (
            f"{then['datasets']} datasets, {then['runs']} design runs" if then else "other datasets"
        )
        return (
            f"models in {where} were trained on {seen}; the knowledge now has "
            f"{now['datasets']} datasets, {now['runs']} design runs: run `metarec train` "
            "to refit them"
        )

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters (scikit-learn style)."""
        return {
            "n_neighbors": self.n_neighbors,
            "metric": self.metric,
            "blend": self.blend,
            "use_ranker": self.use_ranker,
            "fallback_quantile": self.fallback_quantile,
            "random_state": self.random_state,
            "similarity": self.similarity,
            "hyper": self.hyper,
            "surrogate": self.surrogate,
        }

    # ---------------------------------------------------------- recommend
    def _neighbourhood(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(distances to the nearest known datasets, their row indices, their weights),
        nearest first; of a near-duplicate group only its nearest member counts."""
        dist, order = self.index_.kneighbors(self._embed(x))
        _, first = np.unique(self.groups_[order[0]], return_index=True)
        keep = np.sort(first)[: self.n_neighbors]  # the nearest of each group, nearest first
        dist, order = dist[0][keep], order[0][keep]
        scale = float(np.median(dist)) or 1.0
        w = np.exp(-dist / scale)
        return dist, order, w / w.sum()

    def recommend(
        self, metafeatures: pd.Series, top: int = 5, algorithms: list[str] | None = None
    ) -> Recommendation:
        """Ranked configurations for a dataset described by its meta-feature vector
        (with ``algorithms``, only configurations of those algorithms)."""
        x = self.scaler_.transform(metafeatures)
        dist, order, w = self._neighbourhood(x)
        k = len(order)
        s = self.scores_.to_numpy()[order]
        valid = np.isfinite(s)
        sw = np.where(valid, w[:, None], 0.0)
        denom = sw.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            neigh = np.where(denom > 0, (sw * np.nan_to_num(s)).sum(axis=0) / denom, np.nan)
            var = (sw * (np.nan_to_num(s) - np.nan_to_num(neigh)) ** 2).sum(axis=0) / denom
        spread = np.sqrt(np.where(denom > 0, var, np.nan))
        if self.ranker_ is not None:
            feats = np.hstack([np.repeat(x, len(self.configs_), axis=0), self.config_features_])
            ranked = np.asarray(self.ranker_.predict(feats))
            rank_score = self.blend * np.nan_to_num(neigh, nan=0.0) + (1 - self.blend) * ranked
        else:
            ranked = np.full(len(self.configs_), np.nan)
            rank_score = np.nan_to_num(neigh, nan=0.0)
        score = rank_score
        fallback = bool(dist[0] > self.fallback_distance_)
        note = ""
        if fallback:
            portfolio = self.portfolio_.reindex(self.scores_.columns).to_numpy()
            score = rank_score = portfolio
            spread = self.portfolio_sd_.reindex(self.scores_.columns).to_numpy()
            note = self._fallback_note(float(dist[0]))
        ranking = np.argsort(-rank_score, kind="stable")
        if algorithms is not None:
            allowed = self.kb_.configs.loc[self.configs_.index, "algorithm"].isin(algorithms)
            ranking = ranking[allowed.to_numpy()[ranking]]
        ranking = ranking[:top]
        clusters = self.clusters_.to_numpy()[order]
        names = self.kb_.datasets.loc[[self.hashes_[i] for i in order], "name"].tolist()
        items = []
        for r, j in enumerate(ranking, start=1):
            cfg = self.configs_.iloc[j]
            expected = self._expected_clusters(cfg, clusters[:, j], w, metafeatures)
            support = [
                {"dataset": names[i], "similarity": float(w[i]), "ari": _f(s[i, j])}
                for i in range(min(3, k))
            ]
            items.append(
                RecommendedConfig(
                    rank=r,
                    config=cfg,
                    config_hash=str(self.configs_.index[j]),
                    score=float(score[j]),
                    uncertainty=_f(spread[j]),
                    neighbour_score=_f(neigh[j]),
                    ranker_score=_f(ranked[j]),
                    expected_clusters=expected,
                    support=support,
                )
            )
        n_clusters, lo, hi = self._k_estimate(metafeatures, order, w)
        neighbours = pd.DataFrame(
            {
                "dataset": names,
                "source": self.kb_.datasets.loc[[self.hashes_[i] for i in order], "source"],
                "distance": dist,
                "weight": w,
                "best_ari": np.nanmax(np.where(np.isfinite(s), s, np.nan), axis=1),
            }
        ).reset_index(drop=True)
        return Recommendation(
            items=items,
            neighbours=neighbours,
            n_clusters=int(n_clusters),
            n_clusters_interval=(int(lo), int(hi)),
            fallback=fallback,
            note=note,
            metric=self.metric,
        )

    def _fallback_note(self, nearest: float) -> str:
        return (
            f"this dataset is unlike every known one (nearest distance {nearest:.1f}; "
            f"{self.fallback_quantile:.0%} of the known datasets have a neighbour within "
            f"{self.fallback_distance_:.1f}); the fallback is the configurations "
            f"that do best on average over all {len(self.hashes_)} known datasets, "
            "and the scores are those averages, not predictions for this dataset; held "
            f"out, the first of them averages ARI {self.fallback_heldout_:.2f}"
        )

    def _k_estimate(
        self, metafeatures: pd.Series, order: np.ndarray, w: np.ndarray
    ) -> tuple[int, int, int]:
        """(k, low, high): the neural meta-learner's, else the neighbours' best runs'
        weighted median and 10-90 % quantiles, else 2."""
        oracle_k = self.oracle_clusters_[order]
        ok = np.isfinite(oracle_k)
        if self.hyper is not None:
            n_clusters, (lo, hi), _ = self.hyper.predict_k(metafeatures)
            return n_clusters, lo, hi
        if ok.any():
            kk = _weighted_quantiles(oracle_k[ok], w[ok], [0.5, 0.1, 0.9])
            n_clusters, lo, hi = (max(1, round(v)) for v in kk)
            return n_clusters, lo, hi
        return 2, 2, 2

    def known_dataset(self, dataset: Dataset, subsample: int = 1000) -> str | None:
        """The content hash of the known dataset that ``dataset`` is, if any.

        A dataset is known when its content hash, or that of its seeded subsample of
        ``subsample`` rows (what the meta-database's build ran on), is one of the
        knowledge base's, or when its fingerprint matches one (the near-duplicate
        rule of :meth:`metarec.Dataset.is_near_duplicate`: the same data rescaled,
        with rows or columns reordered, in any file format), also with its categories
        encoded as numbers (:meth:`metarec.Dataset.coded_fingerprint`).

        Parameters
        ----------
        dataset : Dataset
            The data (its labels are not used).
        subsample : int, default=1000
            Rows the meta-database's build subsampled large datasets to.

        Returns
        -------
        str or None
            The known dataset's content hash, or None.
        """
        from metarec.dataset import fingerprints_match

        known = set(self.hashes_)
        small = dataset.subsample(subsample, 0)
        for candidate in (dataset, small):
            if candidate.content_hash in known:
                return candidate.content_hash
        info = self.kb_.datasets.loc[self.hashes_]
        same_width = info.index[info["n_cols"].to_numpy() == small.shape[1]]
        stored = [
            (
                str(h),
                np.asarray(info.at[h, "fingerprint"], dtype=float),
                (int(self.kb_.value(h, "n_rows")), int(self.kb_.value(h, "n_cols"))),
            )
            for h in same_width
        ]
        # as it is, then (only when that finds nothing) with coded categories as categories
        for fingerprint in (
            lambda: small.fingerprint,
            small.coded_fingerprint,
            small.numbered_fingerprint,
        ):
            fp = fingerprint()
            for h, known_fp, shape in stored:
                if fingerprints_match(fp, small.shape, known_fp, shape):
                    return h
        return None

    def recorded(
        self, content_hash: str, top: int = 5, algorithms: list[str] | None = None
    ) -> Recommendation:
        """The recommendation for a known dataset: its own recorded runs, best first.

        The candidates are the design's configurations and the k sweep's runs on
        this dataset. The score of each configuration is the ARI it got on this
        very dataset (against the dataset's reference labels), so it leads over
        anything learned from other datasets; the uncertainty is 0 and the only
        "neighbour" is the dataset itself.

        Parameters
        ----------
        content_hash : str
            A dataset of the knowledge base (:meth:`known_dataset`).
        top : int, default=5
            How many configurations.
        algorithms : list of str, optional
            Only configurations of these algorithms.

        Returns
        -------
        Recommendation
            With :attr:`Recommendation.known` set to the dataset's name.
        """
        if content_hash not in self.scores_.index:
            raise KnowledgeError(f"dataset {content_hash} is not in the knowledge base")
        row = pd.Series(self.scores_.loc[content_hash], dtype=float)
        found = pd.Series(self.clusters_.loc[content_hash], dtype=float)
        configs: dict[str, Any] = dict(zip(self.configs_.index, self.configs_, strict=True))
        sweep = self.kb_.sweep_runs
        if len(sweep):
            # the k sweep's runs on this dataset are its recorded runs too
            own = sweep[
                (sweep["content_hash"] == content_hash)
                & (sweep["status"] == "ok")
                & sweep["ari"].notna()
            ]
            if len(own):
                by = own.groupby("config_hash")
                row = pd.concat([row, by["ari"].mean()])
                found = pd.concat([found, by["n_clusters"].mean().astype(float)])
                configs.update(zip(own["config_hash"], own["config"], strict=True))
        if algorithms is not None:
            keep = [Configuration.from_dict(configs[h]).algorithm in algorithms for h in row.index]
            row = row[np.asarray(keep, dtype=bool)]
        row = row.dropna().sort_values(ascending=False, kind="stable").head(top)
        name = str(self.kb_.value(content_hash, "name"))
        source = str(self.kb_.value(content_hash, "source"))
        items = [
            RecommendedConfig(
                rank=r,
                config=configs[str(h)],
                config_hash=str(h),
                score=float(ari),
                uncertainty=0.0,
                neighbour_score=float(ari),
                ranker_score=float("nan"),
                expected_clusters=_f(found.get(h, np.nan)),
                support=[{"dataset": name, "similarity": 1.0, "ari": float(ari)}],
            )
            for r, (h, ari) in enumerate(row.items(), start=1)
        ]
        best_k = items[0].expected_clusters if items else float("nan")
        k = round(best_k) if best_k == best_k else int(self.kb_.value(content_hash, "n_classes"))
        neighbours = pd.DataFrame(
            {
                "dataset": [name],
                "source": [source],
                "distance": [0.0],
                "weight": [1.0],
                "best_ari": [float(row.max()) if len(row) else float("nan")],
            }
        )
        note = (
            f"this dataset is in the meta-database as {name} ({source}): its own recorded "
            "runs lead (ARI measured there against its reference labels)"
        )
        return Recommendation(
            items=items,
            neighbours=neighbours,
            n_clusters=k,
            n_clusters_interval=(k, k),
            note=note,
            metric=self.metric,
            known=name,
        )

    def hyperparameters(
        self, metafeatures: pd.Series, algorithm: str, n_rows: int | None = None
    ) -> HyperparameterPrediction:
        """One algorithm's configuration: the neural meta-learner's, unless a known one
        scores better under the ranker.

        The meta-learner's prediction and every configuration of ``algorithm`` in
        the knowledge base are scored by the ranker (which scores any configuration
        from meta-features and configuration features); the best is returned, its
        ``source`` saying which it is ("meta-learner" or "meta-database"). Without a
        ranker the meta-learner's prediction is returned as it is.

        Examples
        --------
        >>> from metarec.api import get_recommender
        >>> from metarec import extract_metafeatures, load_dataset
        >>> rec = get_recommender()
        >>> mf = extract_metafeatures(load_dataset("sklearn:iris"))
        >>> rec.hyperparameters(mf, "kmeans").source in ("meta-learner", "meta-database")
        True
        """
        from metarec.space import config_hash

        if self.hyper is None:
            raise KnowledgeError(
                "this recommender has no neural meta-learner; train one with metarec train"
            )
        pred = self.hyper.predict(metafeatures, algorithm, n_rows=n_rows)
        if self.ranker_ is None:
            return pred
        own = config_hash(pred.config)
        known = [c for h, c in self.configs_.items() if c["algorithm"] == algorithm and h != own]
        candidates = [pred.config, *known]
        ranked = self._ranker_scores(self.scaler_.transform(metafeatures), candidates)
        best = int(np.argmax(ranked))
        pred.ranker_score = float(ranked[0])
        if best == 0:
            return pred
        mean, sd = self.hyper.score_configs(metafeatures, [candidates[best]], pred.n_clusters)
        kept = {
            "config": pred.config,
            "predicted_ari": pred.predicted_ari,
            "uncertainty": pred.uncertainty,
            "ranker_score": pred.ranker_score,
            "source": pred.source,
        }
        return replace(
            pred,
            config=candidates[best],
            predicted_ari=float(mean[0]),
            uncertainty=float(sd[0]),
            ranker_score=float(ranked[best]),
            source="meta-database",
            alternatives=[kept, *pred.alternatives[:2]],
        )

    def prior_scores(
        self, metafeatures: pd.Series, configs: Sequence[Mapping[str, Any]]
    ) -> np.ndarray:
        """The ranker's expected score of any configurations (also ones outside the
        design) on a dataset, before they are run.

        Parameters
        ----------
        metafeatures : Series
            The dataset's meta-features.
        configs : sequence of mapping
            Configurations of :mod:`metarec.space`.

        Returns
        -------
        ndarray of shape (len(configs),)
            Zeros when the recommender has no ranker (``use_ranker=False``).
        """
        if self.ranker_ is None or not configs:
            return np.zeros(len(configs))
        return self._ranker_scores(self.scaler_.transform(metafeatures), [dict(c) for c in configs])

    def _ranker_scores(self, x: np.ndarray, configs: list[dict[str, Any]]) -> np.ndarray:
        """The ranker's scores of configurations for one dataset's scaled meta-features."""
        if self.ranker_ is None:
            raise KnowledgeError("this recommender has no ranker; fit it with use_ranker=True")
        feats = np.hstack(
            [
                np.repeat(x, len(configs), axis=0),
                np.vstack([self.encoder_.encode(c) for c in configs]),
            ]
        )
        return np.asarray(self.ranker_.predict(feats), dtype=float)

    def _expected_clusters(
        self, cfg: Mapping[str, Any], found: np.ndarray, w: np.ndarray, mf: pd.Series
    ) -> float:
        params = cfg["params"]
        k = params.get("n_clusters", params.get("n_components"))
        if k is not None:
            n = mf.get("general.instances", np.nan)
            cap = k_cap(int(n)) if np.isfinite(n) else k
            return float(min(k, cap))
        ok = np.isfinite(found)
        if not ok.any():
            return float("nan")
        return float(_weighted_quantiles(found[ok], w[ok], [0.5])[0])


def _f(v: Any) -> float:
    v = float(v)
    return v if np.isfinite(v) else float("nan")


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: list[float]) -> list[float]:
    order = np.argsort(values)
    v, w = np.asarray(values)[order], np.asarray(weights)[order]
    cum = np.cumsum(w) / w.sum()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [float(v[min(int(np.searchsorted(cum, q)), len(v) - 1)]) for q in qs]
