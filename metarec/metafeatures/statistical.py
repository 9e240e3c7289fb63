"""Statistical meta-features: per-attribute shape, correlation, PCA profile."""

from __future__ import annotations

import numpy as np
from scipy import stats

from metarec.metafeatures._context import Context
from metarec.metafeatures._summary import summarize, summary_names
from metarec.metafeatures.base import MetaFeatureGroup

__all__ = ["Statistical"]

_PER_ATTRIBUTE = ("skewness", "kurtosis", "cv", "outlier_fraction", "normality")


class Statistical(MetaFeatureGroup):
    """Skewness, kurtosis, coefficient of variation, outliers, normality, correlation, PCA.

    Skewness and kurtosis are the bias-corrected sample estimates (as pandas'),
    on every row. Outlier fraction (Tukey's 1.5 IQR fences) and the D'Agostino-Pearson
    normality statistic (log1p of K^2) use the row sample. Correlations are over pairs
    of numeric attributes; the PCA profile and the TwoNN intrinsic-dimension estimate
    (Facco et al. 2017) use the encoded, standardized sample.
    """

    name = "statistical"

    def feature_names(self) -> list[str]:
        names: list[str] = []
        for attr in _PER_ATTRIBUTE:
            names += summary_names(attr)
        names += [
            "correlation.mean_abs",
            "correlation.max_abs",
            "correlation.frac_high",
            "pca.first_share",
            "pca.components_90",
            "pca.components_95",
            "pca.frac_components_90",
            "pca.frac_components_95",
            "pca.eigenvalue_entropy",
            "intrinsic_dimension",
            "intrinsic_dimension_ratio",
            "row_outlier_fraction",
        ]
        return names

    def compute(self, ctx: Context) -> dict[str, float]:
        out: dict[str, float] = {}
        m = ctx.moments
        n = m.count
        with np.errstate(all="ignore"):
            var = m.s2 / (n - 1)
            g1 = (m.s3 / n) / (m.s2 / n) ** 1.5
            g2 = (m.s4 / n) / (m.s2 / n) ** 2 - 3.0
            skew = np.sqrt(n * (n - 1)) / (n - 2) * g1
            kurt = (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * g2 + 6)
            cv = np.sqrt(var) / np.abs(m.mean)
        const = ~(var > 0)
        skew[const | (n < 3)] = np.nan
        kurt[const | (n < 4)] = np.nan
        cv[const] = np.nan
        out.update(summarize("skewness", skew))
        out.update(summarize("kurtosis", kurt))
        out.update(summarize("cv", cv))

        xs = ctx.numeric_sample
        out.update(summarize("outlier_fraction", _outlier_fraction(xs)))
        out.update(summarize("normality", _normality(xs)))
        out.update(_correlation(xs))
        out.update(_pca_profile(ctx.eigenvalues))
        twonn = _twonn(ctx.knn)
        out["intrinsic_dimension"] = twonn
        out["intrinsic_dimension_ratio"] = twonn / ctx.X.shape[1]
        z = np.abs(ctx.X)
        out["row_outlier_fraction"] = float((z > 3.0).any(axis=1).mean())
        return out


def _outlier_fraction(x: np.ndarray) -> np.ndarray:
    if x.shape[1] == 0:
        return np.empty(0)
    pct = np.nanpercentile if np.isnan(x).any() else np.percentile
    q1, q3 = pct(x, [25, 75], axis=0)
    iqr = q3 - q1
    with np.errstate(invalid="ignore"):
        out = (x < q1 - 1.5 * iqr) | (x > q3 + 1.5 * iqr)
    frac = out.sum(axis=0) / np.maximum((~np.isnan(x)).sum(axis=0), 1)
    return np.where(np.nanmax(x, axis=0) > np.nanmin(x, axis=0), frac, np.nan)


def _normality(x: np.ndarray) -> np.ndarray:
    present = ~np.isnan(x).any(axis=0)
    if x.shape[0] < 20 or not present.any():
        return np.full(x.shape[1], np.nan)
    cols = x[:, present]
    spread = np.ptp(cols, axis=0) > 0
    vals = np.full(x.shape[1], np.nan)
    if spread.any():
        with np.errstate(all="ignore"):
            k2 = stats.normaltest(cols[:, spread], axis=0).statistic
        idx = np.flatnonzero(present)[spread]
        vals[idx] = np.log1p(k2)
    return vals


#: Columns the pairwise correlation measures look at, at most (a seeded sample of
#: them beyond: the matrix grows with the square; no shipped dataset has as many).
MAX_CORRELATION_COLUMNS = 2000


def _correlation(x: np.ndarray) -> dict[str, float]:
    nan = float("nan")
    result = {
        "correlation.mean_abs": nan,
        "correlation.max_abs": nan,
        "correlation.frac_high": nan,
    }
    if x.shape[1] < 2 or x.shape[0] < 3:
        return result
    med = np.nanmedian(x, axis=0)
    filled = np.where(np.isnan(x), med, x)
    keep = np.flatnonzero(np.ptp(filled, axis=0) > 0)
    if keep.size < 2:
        return result
    if keep.size > MAX_CORRELATION_COLUMNS:  # bounded memory on wide data
        rng = np.random.default_rng(0)
        keep = np.sort(rng.choice(keep, MAX_CORRELATION_COLUMNS, replace=False))
    c = np.corrcoef(filled[:, keep], rowvar=False)
    r = np.abs(c[np.triu_indices(c.shape[0], k=1)])
    r = r[np.isfinite(r)]
    if r.size:
        result.update(
            {
                "correlation.mean_abs": float(r.mean()),
                "correlation.max_abs": float(r.max()),
                "correlation.frac_high": float((r > 0.8).mean()),
            }
        )
    return result


def _pca_profile(ev: np.ndarray) -> dict[str, float]:
    total = ev.sum()
    if not total > 0:
        return {}  # the extractor reports every feature left out as NaN
    share = ev / total
    cum = np.cumsum(share)
    c90 = int(np.searchsorted(cum, 0.90) + 1)
    c95 = int(np.searchsorted(cum, 0.95) + 1)
    p = share[share > 0]
    entropy = float(-(p * np.log(p)).sum() / np.log(len(ev))) if len(ev) > 1 else 0.0
    return {
        "pca.first_share": float(share[0]),
        "pca.components_90": float(c90),
        "pca.components_95": float(c95),
        "pca.frac_components_90": c90 / len(ev),
        "pca.frac_components_95": c95 / len(ev),
        "pca.eigenvalue_entropy": entropy,
    }


def _twonn(knn: np.ndarray) -> float:
    if knn.shape[1] < 2:
        return float("nan")
    r1, r2 = knn[:, 0], knn[:, 1]
    ok = (r1 > 0) & np.isfinite(r2)
    if ok.sum() < 3:
        return float("nan")
    mu = np.log(r2[ok] / r1[ok])
    s = mu.sum()
    return float(ok.sum() / s) if s > 0 else float("nan")
