"""Distance-based meta-features (Ferrari & de Castro, 2015)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from metarec.metafeatures._context import Context
from metarec.metafeatures.base import MetaFeatureGroup

__all__ = ["Distance"]

_HIST_BINS = 10
_Z_EDGES = (0.0, 1.0, 2.0, 3.0, np.inf)


class Distance(MetaFeatureGroup):
    """Distribution of pairwise distances on the row sample.

    Distances between the encoded, standardized rows (the first 500 of the sample)
    are divided by their maximum; the features are the mean, variance, standard
    deviation, skewness and kurtosis of these normalized distances, the share of
    them in each tenth of [0, 1], and the share of their absolute z-scores in
    [0,1), [1,2), [2,3), [3,inf).
    """

    name = "distance"

    def feature_names(self) -> list[str]:
        names = ["mean", "var", "sd", "skewness", "kurtosis"]
        names += [f"hist.{i}" for i in range(_HIST_BINS)]
        names += ["zscore.0_1", "zscore.1_2", "zscore.2_3", "zscore.3_inf"]
        return names

    def compute(self, ctx: Context) -> dict[str, float]:
        d = ctx.distances
        if d.size < 2 or not d.max() > 0:
            return {}
        v = d / d.max()
        out: dict[str, float] = {
            "mean": float(v.mean()),
            "var": float(v.var()),
            "sd": float(v.std()),
            "skewness": float(stats.skew(v)) if v.std() > 0 else np.nan,
            "kurtosis": float(stats.kurtosis(v)) if v.std() > 0 else np.nan,
        }
        hist, _ = np.histogram(v, bins=_HIST_BINS, range=(0.0, 1.0))
        for i, h in enumerate(hist / v.size):
            out[f"hist.{i}"] = float(h)
        if v.std() > 0:
            z = np.abs((v - v.mean()) / v.std())
            zh, _ = np.histogram(z, bins=np.asarray(_Z_EDGES))
            for name, h in zip(("0_1", "1_2", "2_3", "3_inf"), zh / v.size, strict=True):
                out[f"zscore.{name}"] = float(h)
        return out
