"""Information-theoretic meta-features on discretized attributes."""

from __future__ import annotations

import numpy as np

from metarec.metafeatures._context import Context
from metarec.metafeatures._summary import summarize, summary_names
from metarec.metafeatures.base import MetaFeatureGroup

__all__ = ["InfoTheory"]

#: Attribute pairs sampled for mutual information at most.
MAX_PAIRS = 200


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


class InfoTheory(MetaFeatureGroup):
    """Attribute entropy (numbers in 10 equal-width bins) and mutual information.

    Entropy is normalized by the log of the number of observed levels (1 = uniform).
    Mutual information is over up to ``MAX_PAIRS`` seeded attribute pairs, raw (nats)
    and normalized by the smaller of the two entropies.
    """

    name = "infotheory"

    def feature_names(self) -> list[str]:
        return [
            *summary_names("entropy"),
            *summary_names("normalized_entropy"),
            "mutual_information.mean",
            "mutual_information.max",
            "normalized_mutual_information.mean",
            "normalized_mutual_information.max",
            "noise_to_signal",
        ]

    def compute(self, ctx: Context) -> dict[str, float]:
        codes = ctx.codes
        d = codes.shape[1]
        ent = np.full(d, np.nan)
        nent = np.full(d, np.nan)
        for j in range(d):
            c = codes[:, j]
            counts = np.bincount(c[c >= 0])
            if counts.size == 0:
                continue
            ent[j] = _entropy(counts)
            levels = int((counts > 0).sum())
            nent[j] = ent[j] / np.log(levels) if levels > 1 else 0.0
        out = {**summarize("entropy", ent), **summarize("normalized_entropy", nent)}
        mi, nmi = self._mutual_information(codes, ent, ctx.rng(7))
        finite_mi = mi[np.isfinite(mi)]
        finite_nmi = nmi[np.isfinite(nmi)]
        out["mutual_information.mean"] = float(finite_mi.mean()) if finite_mi.size else np.nan
        out["mutual_information.max"] = float(finite_mi.max()) if finite_mi.size else np.nan
        out["normalized_mutual_information.mean"] = (
            float(finite_nmi.mean()) if finite_nmi.size else np.nan
        )
        out["normalized_mutual_information.max"] = (
            float(finite_nmi.max()) if finite_nmi.size else np.nan
        )
        mean_mi = out["mutual_information.mean"]
        mean_ent = float(np.nanmean(ent)) if np.isfinite(ent).any() else np.nan
        out["noise_to_signal"] = (mean_ent - mean_mi) / mean_mi if mean_mi > 0 else np.nan
        return out

    @staticmethod
    def _mutual_information(
        codes: np.ndarray, ent: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        d = codes.shape[1]
        if d < 2:
            return np.empty(0), np.empty(0)
        total = d * (d - 1) // 2
        if total <= MAX_PAIRS:
            i, j = np.triu_indices(d, k=1)
        else:
            i = rng.integers(0, d, size=MAX_PAIRS * 2)
            j = rng.integers(0, d, size=MAX_PAIRS * 2)
            keep = i != j
            i, j = i[keep][:MAX_PAIRS], j[keep][:MAX_PAIRS]
        mi = np.full(len(i), np.nan)
        nmi = np.full(len(i), np.nan)
        for t, (a, b) in enumerate(zip(i, j, strict=True)):
            ca, cb = codes[:, a], codes[:, b]
            ok = (ca >= 0) & (cb >= 0)
            if ok.sum() < 2:
                continue
            xa, xb = ca[ok], cb[ok]
            joint = np.bincount(xa * (xb.max() + 1) + xb)
            h_ab = _entropy(joint)
            h_a, h_b = _entropy(np.bincount(xa)), _entropy(np.bincount(xb))
            mi[t] = max(h_a + h_b - h_ab, 0.0)
            low = min(h_a, h_b)
            nmi[t] = mi[t] / low if low > 0 else np.nan
        return mi, nmi
