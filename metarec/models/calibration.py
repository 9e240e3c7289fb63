"""Intervals for predicted ARIs, calibrated on held-out errors (split-conformal style).

A predicted ARI alone says nothing about how far off it may be. This model
learns, from pairs of (predicted, held-out actual) ARI of recommendations on
datasets the models had not seen, the 10 % and 90 % quantiles of the error
``actual - predicted`` within bins of the prediction (errors grow with it), and
turns any later prediction into an 80 % interval. The pairs come from the
held-out evaluation of the shipped code (``scripts/eval_shipped.py calibrate``); the shipped models
folder holds the result (``calibration.json``). :func:`crossfold_coverage`
measures honestly how often such intervals hold: each fold's intervals are
calibrated on the other folds only.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> pred = rng.uniform(0, 0.5, 400)
>>> actual = pred + rng.normal(0, 0.1, 400)
>>> cal = ScoreCalibration().fit(pred, actual)
>>> lo, hi = cal.interval(0.3)
>>> bool(lo < 0.3 < hi)
True
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from metarec.knowledge import KnowledgeError

__all__ = ["ScoreCalibration", "crossfold_coverage"]

#: ARI's range (adjusted for chance it can be a little below 0).
ARI_RANGE = (-0.5, 1.0)


class ScoreCalibration:
    """Prediction intervals for predicted ARIs from held-out errors, per bin of the prediction.

    Parameters
    ----------
    level : float, default=0.8
        Coverage the intervals aim at (quantiles ``(1 - level) / 2`` and ``1 - that``
        of the held-out errors).
    edges : sequence of float, default=(0.07, 0.15)
        Bin edges on the predicted ARI.
    min_bin : int, default=30
        A bin with fewer held-out pairs takes the errors of all bins.
    """

    def __init__(
        self, level: float = 0.8, edges: Sequence[float] = (0.07, 0.15), min_bin: int = 30
    ) -> None:
        self.level = level
        self.edges = edges
        self.min_bin = min_bin

    def fit(self, predicted: Any, actual: Any, source: str = "") -> ScoreCalibration:
        """Learn the error quantiles of each bin.

        Parameters
        ----------
        predicted, actual : array-like of float
            Predicted and held-out ARIs, one pair per dataset.
        source : str, default=""
            Where the pairs come from (kept with the model).
        """
        p = np.asarray(predicted, dtype=float)
        a = np.asarray(actual, dtype=float)
        ok = np.isfinite(p) & np.isfinite(a)
        p, a = p[ok], a[ok]
        if len(p) < self.min_bin:
            raise KnowledgeError(f"calibration needs {self.min_bin} held-out pairs, got {len(p)}")
        tail = (1 - self.level) / 2
        errors = a - p
        bins = np.digitize(p, self.edges)
        self.offsets_: list[tuple[float, float]] = []
        self.counts_: list[int] = []
        for b in range(len(self.edges) + 1):
            e = errors[bins == b]
            e = e if len(e) >= self.min_bin else errors
            self.offsets_.append((float(np.quantile(e, tail)), float(np.quantile(e, 1 - tail))))
            self.counts_.append(int((bins == b).sum()))
        self.n_pairs_ = len(p)
        self.source_ = source
        return self

    def interval(self, predicted: float) -> tuple[float, float]:
        """The interval for one predicted ARI (NaN, NaN for a NaN prediction).

        Parameters
        ----------
        predicted : float
        """
        if not np.isfinite(predicted):
            return (float("nan"), float("nan"))
        lo, hi = self.offsets_[int(np.digitize(predicted, self.edges))]
        low, high = ARI_RANGE
        return (float(max(predicted + lo, low)), float(min(predicted + hi, high)))

    # ------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (what ``calibration.json`` holds)."""
        return {
            "level": self.level,
            "edges": list(self.edges),
            "min_bin": self.min_bin,
            "offsets": [list(o) for o in self.offsets_],
            "counts": self.counts_,
            "n_pairs": self.n_pairs_,
            "source": self.source_,
        }

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write ``calibration.json`` into ``directory``.

        Parameters
        ----------
        directory : path
        """
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        (d / "calibration.json").write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> ScoreCalibration:
        """Read ``calibration.json`` from ``directory``.

        Parameters
        ----------
        directory : path
        """
        path = Path(directory) / "calibration.json"
        try:
            meta = json.loads(path.read_text())
            model = cls(meta["level"], tuple(meta["edges"]), meta["min_bin"])
            model.offsets_ = [(float(lo), float(hi)) for lo, hi in meta["offsets"]]
            model.counts_ = [int(c) for c in meta["counts"]]
            model.n_pairs_ = int(meta["n_pairs"])
            model.source_ = str(meta.get("source", ""))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KnowledgeError(f"{path}: not a calibration file ({exc})") from None
        if len(model.offsets_) != len(model.edges) + 1:
            raise KnowledgeError(f"{path}: {len(model.offsets_)} bins for {model.edges}")
        return model


def crossfold_coverage(
    predicted: Any, actual: Any, folds: Any, **params: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Held-out intervals: each fold's from a calibration fitted on the other folds.

    Parameters
    ----------
    predicted, actual : array-like of float
        One pair per dataset.
    folds : array-like
        Each dataset's fold.
    **params
        Of :class:`ScoreCalibration`.

    Returns
    -------
    ndarray of shape (n, 2), ndarray of bool of shape (n,)
        The intervals, and whether each holds its actual ARI.
    """
    p = np.asarray(predicted, dtype=float)
    a = np.asarray(actual, dtype=float)
    f = np.asarray(folds)
    intervals = np.full((len(p), 2), np.nan)
    for fold in np.unique(f):
        cal = ScoreCalibration(**params).fit(p[f != fold], a[f != fold])
        for i in np.flatnonzero(f == fold):
            intervals[i] = cal.interval(p[i])
    inside = (a >= intervals[:, 0]) & (a <= intervals[:, 1])
    return intervals, inside
