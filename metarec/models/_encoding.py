"""What the models learned from the meta-database share: meta-feature scaling,
configuration encoding and the score model fitted by the recommender's ranker and the
surrogate objective's prior."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from metarec.metafeatures import MetaFeatureImputer
from metarec.space import ALGORITHMS, PREPROCESSING

__all__ = ["ConfigEncoder", "MetaFeatureScaler", "fit_score_model"]


class MetaFeatureScaler:
    """Meta-features -> imputed, standardized, clipped matrix (no missingness mask)."""

    def __init__(self, clip: float = 5.0) -> None:
        self.clip = clip

    def fit(self, frame: pd.DataFrame) -> MetaFeatureScaler:
        """Learn imputation medians and scaling from known datasets."""
        self.columns_ = list(frame.columns)
        self.imputer_ = MetaFeatureImputer(add_mask=False).fit(frame)
        x = self.imputer_.transform(frame).to_numpy()
        self.mean_ = x.mean(axis=0)
        sd = x.std(axis=0)
        self.sd_ = np.where(sd > 0, sd, 1.0)
        return self

    def transform(self, frame: pd.DataFrame | pd.Series) -> np.ndarray:
        """Scaled matrix of ``frame`` (a Series is one row)."""
        if isinstance(frame, pd.Series):
            frame = frame.to_frame().T
        x = self.imputer_.transform(frame.reindex(columns=self.columns_)).to_numpy()
        return np.clip((x - self.mean_) / self.sd_, -self.clip, self.clip)


class ConfigEncoder:
    """Numeric features of configurations for the ranker (NaN where not applicable)."""

    def __init__(self) -> None:
        cols: list[str] = [f"algo={a}" for a in ALGORITHMS]
        for p in PREPROCESSING:
            cols += [f"{p.name}={c}" for c in p.choices]
        cols += ["k", "log_k"]
        for name, spec in ALGORITHMS.items():
            for p in spec.params:
                if p.kind == "cat":
                    cols += [f"{name}.{p.name}={c}" for c in p.choices]
                elif p.name not in ("n_clusters", "n_components"):
                    cols.append(f"{name}.{p.name}")
        self.columns = cols
        self._index = {c: i for i, c in enumerate(cols)}

    def encode(self, config: Mapping[str, Any]) -> np.ndarray:
        """Feature vector of one canonical configuration."""
        v = np.full(len(self.columns), np.nan)
        name = config["algorithm"]
        for a in ALGORITHMS:
            v[self._index[f"algo={a}"]] = float(a == name)
        for p in PREPROCESSING:
            for c in p.choices:
                v[self._index[f"{p.name}={c}"]] = float(config["preprocessing"][p.name] == c)
        spec = ALGORITHMS[name]
        for p in spec.params:
            value = config["params"].get(p.name)
            if value is None:
                continue
            if p.name in ("n_clusters", "n_components"):
                v[self._index["k"]] = float(value)
                v[self._index["log_k"]] = float(np.log(value))
            elif p.kind == "cat":
                for c in p.choices:
                    v[self._index[f"{name}.{p.name}={c}"]] = float(value == c)
            else:
                v[self._index[f"{name}.{p.name}"]] = float(np.log(value)) if p.log else float(value)
        return v

    def encode_all(self, configs: pd.Series) -> np.ndarray:
        """Matrix of many configurations."""
        return np.vstack([self.encode(c) for c in configs])


def fit_score_model(X: np.ndarray, y: np.ndarray, random_state: int = 0) -> Any:
    """The LightGBM regressor that predicts a configuration's score from
    (meta-features, configuration features): the recommender's ranker, and the
    surrogate objective's prior (:mod:`metarec.models.surrogate`).

    Parameters
    ----------
    X : ndarray
        Meta-features and configuration features, one row per run.
    y : ndarray
        The score to predict (ARI).
    random_state : int, default=0

    Returns
    -------
    lightgbm.LGBMRegressor
    """
    import lightgbm as lgb

    model = lgb.LGBMRegressor(
        n_estimators=300,
        learning_rate=0.05,
        num_leaves=31,
        min_child_samples=20,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.5,
        random_state=random_state,
        n_jobs=1,
        verbose=-1,
    )
    return model.fit(X, y)
