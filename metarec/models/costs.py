"""What a run costs, planned before it runs: fit times learned from the meta-database.

The screening's budget (:func:`metarec.screening.screen`) buys *work*, not
wall-clock time: which candidates run is decided before any of them runs, from
their predicted cost, so that the same data, seed and budget give the same
recommendation on an idle machine and on a busy one. This model predicts a
configuration's fit time on ``n`` rows and ``d`` columns from the fit times the
meta-database records: per algorithm, a least-squares line of
``log(fit_time)`` on ``log(n)``, ``log(d)`` and ``log(k)`` (the number of
clusters asked for, 1 for algorithms that find it themselves), shifted up by the
90th percentile of its residuals, so that most runs take less than predicted.
Each run also pays :data:`RUN_OVERHEAD` (its process, the internal indices).

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"algorithm": ["kmeans"] * 8, "n_clusters": [2, 3] * 4,
...                      "fit_time": [0.01, 0.015, 0.04, 0.06, 0.02, 0.03, 0.08, 0.12],
...                      "n_rows": [100, 100, 1000, 1000] * 2, "n_cols": [4] * 4 + [8] * 4})
>>> costs = RunCosts().fit_frame(runs)
>>> costs.fit_seconds("kmeans", 1000, 4, 3) > costs.fit_seconds("kmeans", 100, 4, 3)
True
>>> costs.fit_seconds("optics", 1000, 4)  # no runs of it: a conservative second
1.0
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metarec.knowledge import KnowledgeBase, KnowledgeError

__all__ = ["RUN_OVERHEAD", "SWEEP_STEP", "RunCosts"]

#: Seconds each isolated run pays beside its fit: starting its process, sending its
#: data, computing its internal indices (measured by ``scripts/bench_screening.py``).
RUN_OVERHEAD = 0.08
#: Seconds per k of the data's own k sweep beside its KMeans fit (the silhouette).
SWEEP_STEP = 0.004
#: Rows the meta-database's runs were fitted on at most (its subsample).
RUN_ROWS = 1000
#: Fit seconds of an algorithm the meta-database has no runs of.
UNKNOWN_FIT = 1.0


class RunCosts:
    """Predicted fit seconds of a configuration from the recorded fit times.

    Parameters
    ----------
    quantile : float, default=0.9
        The predictions sit at this quantile of the residuals (conservative).

    Attributes
    ----------
    coef_ : dict of str to list of float
        Per algorithm: intercept, slopes of log rows, log columns and log k, and
        the residual quantile added.
    """

    FILE = "costs.json"

    def __init__(self, quantile: float = 0.9) -> None:
        self.quantile = quantile

    def fit(self, kb: KnowledgeBase) -> RunCosts:
        """Learn from the knowledge base's successful runs and its datasets' sizes."""
        runs = kb.runs[kb.runs["status"] == "ok"][["content_hash", "algorithm", "fit_time"]]
        sizes = kb.datasets[["n_rows", "n_cols"]]
        clusters = kb.configs["config"].map(
            lambda c: c.get("params", {}).get("n_clusters", c.get("params", {}).get("n_components"))
        )
        frame = runs.join(sizes, on="content_hash")
        frame["n_clusters"] = kb.runs.loc[runs.index, "config_hash"].map(clusters).to_numpy()
        return self.fit_frame(frame)

    def fit_frame(self, runs: pd.DataFrame) -> RunCosts:
        """Learn from a frame of ``algorithm, n_clusters, fit_time, n_rows, n_cols``."""
        if not 0 < self.quantile < 1:
            raise KnowledgeError(f"quantile must be in (0, 1), got {self.quantile!r}")
        frame = runs[np.isfinite(runs["fit_time"].astype(float)) & (runs["fit_time"] > 0)]
        self.coef_: dict[str, list[float]] = {}
        for algorithm, g in frame.groupby("algorithm"):
            X = _design(
                g["n_rows"].to_numpy(float),
                g["n_cols"].to_numpy(float),
                pd.to_numeric(g["n_clusters"], errors="coerce").to_numpy(float),
            )
            y = np.log(g["fit_time"].to_numpy(float))
            if len(y) < X.shape[1] + 2:
                continue
            beta = np.linalg.lstsq(X, y, rcond=None)[0]
            shift = float(np.quantile(y - X @ beta, self.quantile))
            self.coef_[str(algorithm)] = [*map(float, beta), shift]
        return self

    def fit_seconds(self, algorithm: str, n_rows: int, n_cols: int, k: int | None = None) -> float:
        """Predicted fit seconds of ``algorithm`` asking for ``k`` clusters on that size."""
        coef = self.coef_.get(algorithm)
        if coef is None:
            return UNKNOWN_FIT
        x = _design(np.array([n_rows], float), np.array([n_cols], float), np.array([k or np.nan]))
        return float(math.exp(float(x[0] @ np.asarray(coef[:-1])) + coef[-1]))

    def run_seconds(self, config: Any, n_rows: int, n_cols: int) -> float:
        """Predicted seconds of one isolated run of ``config``: its fit and :data:`RUN_OVERHEAD`."""
        k = config.n_clusters if getattr(config, "n_clusters", None) is not None else None
        return self.fit_seconds(config.algorithm, n_rows, n_cols, k) + RUN_OVERHEAD

    def sweep_seconds(self, n_rows: int, n_cols: int, ks: range | list[int]) -> float:
        """Predicted seconds of the KMeans sweep over ``ks`` (one start each, in process;
        the meta-database's KMeans runs three)."""
        fits = sum(self.fit_seconds("kmeans", n_rows, n_cols, k) / 3 for k in ks)
        return fits + SWEEP_STEP * len(ks)

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write ``costs.json``."""
        payload = {"quantile": self.quantile, "coef": self.coef_}
        Path(directory, self.FILE).write_text(json.dumps(payload, indent=1) + "\n")

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> RunCosts:
        """Read ``costs.json`` (a :class:`KnowledgeError` in one line when it is unusable)."""
        path = Path(directory, cls.FILE)
        try:
            payload = json.loads(path.read_text())
            coef = {
                str(a): [float(v) for v in c]
                for a, c in dict(payload["coef"]).items()
                if len(c) == 5 and all(math.isfinite(float(v)) for v in c)
            }
            out = cls(float(payload["quantile"]))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise KnowledgeError(
                f"{path}: unusable run costs ({exc}); run `metarec train`"
            ) from None
        out.coef_ = coef
        return out


def _design(n: np.ndarray, d: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Columns 1, log rows (at most :data:`RUN_ROWS`), log columns, log k (0 without k)."""
    rows = np.minimum(np.maximum(n, 2), RUN_ROWS)
    logk = np.where(np.isfinite(k) & (k > 1), np.log(np.where(k > 1, k, 1.0)), 0.0)
    return np.column_stack([np.ones(len(n)), np.log(rows), np.log(np.maximum(d, 1)), logk])
