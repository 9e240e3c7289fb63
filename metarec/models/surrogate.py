"""A learned, label-free objective: how good a clustering probably is, from what tuning sees.

Internal validity indices alone rank clusterings badly (on the shipped
meta-database, the run with the best silhouette on a dataset has a mean ARI of
0.07 where the best run has 0.73: silhouette favours splitting off a few
outlying points). The surrogate learns from every recorded run which
clusterings agree with ground truth, from what is known without labels:

* the run's internal indices: silhouette, log Calinski-Harabasz,
  Davies-Bouldin, the number of clusters found and the noise fraction;
* the shape of the partition: how evenly the points are spread over the
  clusters, the shares of the largest and the smallest cluster
  (:func:`metarec.scoring.size_measures`), which tell an outlier split apart
  from a real one. Held out, on configurations the model never saw, they
  raise the ARI of its pick from 0.539 to 0.588 (0.78 to 0.85 of the oracle;
  ``experiments/eval_surrogate.py``); ``sizes=False`` leaves them out;
* the configuration (algorithm, hyperparameters, preprocessing), encoded as
  for the recommender's ranker;
* the dataset's meta-features;

It learns from the runs of the meta-database's design. Two options that held out
did not help were retired (``docs/benchmarks/retired.md``): a prior feature
(``prior=True``) and learning also from random and searched configurations off
the design (``explore=True``).

It is a LightGBM LambdaRank model whose queries are the datasets, so it learns
to order the clusterings of one dataset (which is all an objective has to do),
with graded relevance from their ARI. Saved as a LightGBM text model plus JSON.

Examples
--------
>>> from metarec.knowledge import KnowledgeBase
>>> kb = KnowledgeBase.shipped()
>>> surrogate = SurrogateObjective(n_estimators=20).fit(kb)
>>> run = kb.runs.iloc[0]
>>> cfg = kb.configs.at[run["config_hash"], "config"]
>>> isinstance(surrogate.score(kb.metafeatures.loc[run["content_hash"]], cfg, run), float)
True
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from metarec.knowledge import KnowledgeBase, KnowledgeError
from metarec.models._encoding import ConfigEncoder
from metarec.scoring import SIZES

__all__ = [
    "INDEX_FEATURES",
    "RUN_INDICES",
    "SurrogateObjective",
    "index_features",
    "relevance_grades",
    "scored_runs",
    "training_runs",
]

#: Options of earlier versions that held out no better (docs/benchmarks/retired.md), with
#: the value that is today's behaviour: saved models that used another are refused.
RETIRED_OPTIONS: dict[str, Any] = {
    "prior": False,
    "prior_folds": 5,
    "explore": False,
    "sweep": False,
}

#: Per-clustering features, besides the configuration, the meta-features and (with
#: ``sizes=True``) the size measures :data:`~metarec.scoring.SIZES`.
INDEX_FEATURES = (
    "silhouette",
    "log_calinski_harabasz",
    "davies_bouldin",
    "n_clusters",
    "log_n_clusters",
    "noise_fraction",
)
#: Relevance grades of the ranking loss: ARI in steps of 1 / GRADES.
GRADES = 30


def relevance_grades(ari: np.ndarray) -> np.ndarray:
    """The ranking loss's integer relevance of each ARI: 0..GRADES, negatives as 0.

    Parameters
    ----------
    ari : ndarray

    Returns
    -------
    ndarray of int
    """
    return np.round(np.clip(np.asarray(ari, dtype=float), 0.0, 1.0) * GRADES).astype(int)


#: The run's internal indices that :data:`INDEX_FEATURES` are derived from.
_INDICES = ("silhouette", "calinski_harabasz", "davies_bouldin", "n_clusters", "noise_fraction")
#: The raw measures of a run that :func:`index_features` reads.
RUN_INDICES = (*_INDICES, *SIZES)


def _get(run: Any, key: str) -> float:
    value = run.get(key) if isinstance(run, Mapping) else getattr(run, key, None)
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def index_features(runs: pd.DataFrame, sizes: bool = False) -> np.ndarray:
    """The :data:`INDEX_FEATURES` of runs (a frame with the runs table's score columns),
    followed by :data:`~metarec.scoring.SIZES` when ``sizes`` (NaN where not measured).

    Parameters
    ----------
    runs : DataFrame
    sizes : bool, default=False

    Returns
    -------
    ndarray of shape (n_runs, n_features)
    """
    sil, ch, db, k, noise = runs.reindex(columns=list(_INDICES)).to_numpy(dtype=float).T
    with np.errstate(invalid="ignore", divide="ignore"):
        log_ch = np.where(ch >= 0, np.log1p(np.maximum(ch, 0)), np.nan)
        log_k = np.where(k >= 1, np.log(np.maximum(k, 1)), np.nan)
    base = np.column_stack([sil, log_ch, db, k, log_k, noise])
    if not sizes:
        return base
    return np.hstack([base, runs.reindex(columns=list(SIZES)).to_numpy(dtype=float)])


def _as_frame(runs: Sequence[Any] | pd.DataFrame) -> pd.DataFrame:
    """RunResults, runs-table rows or dicts as a frame of the raw score columns."""
    if isinstance(runs, pd.DataFrame):
        return runs
    return pd.DataFrame(
        [{key: _get(r, key) for key in RUN_INDICES} for r in runs], columns=list(RUN_INDICES)
    )


def scored_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The successful runs of a runs table that have an ARI (what a pick is scored by).

    Parameters
    ----------
    runs : DataFrame

    Returns
    -------
    DataFrame
    """
    return runs[(runs["status"] == "ok") & runs["ari"].notna()]


def training_runs(kb: KnowledgeBase) -> pd.DataFrame:
    """What :meth:`SurrogateObjective.fit` learns from: the :func:`scored_runs` of the
    design on datasets with meta-features, each with its ``config``. Sorted by
    dataset (the queries), stably.

    Parameters
    ----------
    kb : KnowledgeBase

    Returns
    -------
    DataFrame
    """

    design = scored_runs(kb.runs)
    design = design[design["content_hash"].isin(kb.metafeatures.index)]
    design = design.assign(config=list(kb.configs.loc[design["config_hash"], "config"]))
    return design.sort_values("content_hash", kind="stable")


class SurrogateObjective(BaseEstimator):  # type: ignore[misc]
    """Score a clustering without labels: a learned ranking of expected ARI (module doc).

    Parameters
    ----------
    n_estimators : int, default=300
        Boosting rounds.
    learning_rate : float, default=0.05
    num_leaves : int, default=31
    random_state : int, default=0
        Seed of LightGBM's row and column subsampling.
    sizes : bool, default=True
        Use the partition's size measures (module doc) as features. Runs without
        them (recorded before schema revision 0003) give missing values.
    """

    def __init__(
        self,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        random_state: int = 0,
        sizes: bool = True,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.random_state = random_state
        self.sizes = sizes

    def _parts(
        self, metafeatures: pd.DataFrame, configs: Sequence[Mapping[str, Any]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(meta-features, encoded configurations), one row per clustering."""
        mf = metafeatures.reindex(columns=self.metafeature_columns_).to_numpy(dtype=float)
        return mf, np.vstack([self.encoder_.encode(c) for c in configs])

    def _features(
        self, metafeatures: pd.DataFrame, configs: Sequence[Mapping[str, Any]], runs: Any
    ) -> np.ndarray:
        mf, cfg = self._parts(metafeatures, configs)
        return np.hstack([index_features(_as_frame(runs), self.sizes), cfg, mf])

    def fit(self, kb: KnowledgeBase) -> SurrogateObjective:
        """Learn from every successful run of the knowledge base that has an ARI."""
        import lightgbm as lgb

        runs = training_runs(kb)
        if runs["content_hash"].nunique() < 5:
            raise KnowledgeError("the surrogate objective needs runs on at least 5 datasets")
        self.encoder_ = ConfigEncoder()
        self.metafeature_columns_ = list(kb.metafeatures.columns)
        configs: list[Mapping[str, Any]] = list(runs["config"])
        mf, cfg = self._parts(kb.metafeatures.loc[runs["content_hash"]], configs)
        X = np.hstack([index_features(runs, self.sizes), cfg, mf])
        ari = runs["ari"].to_numpy(dtype=float)
        grade = relevance_grades(ari)
        _, sizes = np.unique(runs["content_hash"].to_numpy(), return_counts=True)
        ranker = lgb.LGBMRanker(
            objective="lambdarank",
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=20,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            label_gain=list(range(GRADES + 1)),
            random_state=self.random_state,
            n_jobs=1,
            verbose=-1,
        ).fit(X, grade, group=sizes)
        self.model_: Any = ranker.booster_
        self.trained_on_ = sorted(runs["content_hash"].unique())
        return self

    def score_many(
        self,
        metafeatures: pd.Series,
        configs: Sequence[Mapping[str, Any]],
        runs: Sequence[Any] | pd.DataFrame,
    ) -> np.ndarray:
        """Scores of several clusterings of one dataset (higher: more likely good): one
        run per configuration, as rows of the runs table (a frame) or results and dicts."""
        frame = pd.DataFrame([metafeatures] * len(configs))
        X = self._features(frame, configs, runs)
        return np.asarray(self.model_.predict(X), dtype=float)

    def score(self, metafeatures: pd.Series, config: Mapping[str, Any], run: Any) -> float:
        """Score of one clustering: ``run`` is a :class:`~metarec.runner.RunResult`, a
        row of the runs table or a dict; ``config`` the configuration that produced it."""
        return float(self.score_many(metafeatures, [config], [run])[0])

    # -------------------------------------------------------- persistence
    def save(self, directory: str | os.PathLike[str], name: str = "surrogate") -> None:
        """Write ``<name>.txt`` (LightGBM text model) and ``<name>.json``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.model_.save_model(str(d / f"{name}.txt"))
        meta = {
            "params": self.get_params(),
            "metafeature_columns": self.metafeature_columns_,
            "trained_on": self.trained_on_,
        }
        (d / f"{name}.json").write_text(json.dumps(meta, indent=1) + "\n")

    @classmethod
    def load(cls, directory: str | os.PathLike[str], name: str = "surrogate") -> SurrogateObjective:
        """Read a saved surrogate (a LightGBM text model: nothing is unpickled)."""
        import lightgbm as lgb

        d = Path(directory)
        try:
            meta = json.loads((d / f"{name}.json").read_text())
            # models saved before the size features existed
            params = {"sizes": False, **meta["params"]}
            booster = lgb.Booster(model_file=str(d / f"{name}.txt"))
        except (OSError, ValueError, KeyError, lgb.basic.LightGBMError) as exc:
            raise KnowledgeError(f"{d}: no trained surrogate objective ({exc})") from None
        for key, default in RETIRED_OPTIONS.items():  # options of 0.1 that held out no better
            if params.pop(key, default) != default:
                raise KnowledgeError(
                    f"{d}: trained with the retired option {key}; run `metarec train`"
                )
        model = cls(**params)
        model.encoder_ = ConfigEncoder()
        model.metafeature_columns_ = meta["metafeature_columns"]
        model.trained_on_ = meta["trained_on"]
        model.model_ = booster
        return model
