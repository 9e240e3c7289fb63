"""Summaries of per-attribute values into a fixed set of named statistics."""

from __future__ import annotations

import numpy as np

__all__ = ["SUMMARIES", "summarize", "summary_names"]

#: Order and names of the summaries applied to per-attribute values.
SUMMARIES = ("mean", "sd", "min", "max", "q25", "median", "q75")


def summary_names(prefix: str) -> list[str]:
    """Names ``prefix.mean``, ``prefix.sd``, ... in :data:`SUMMARIES` order.

    Parameters
    ----------
    prefix : str

    Returns
    -------
    list of str
    """
    return [f"{prefix}.{s}" for s in SUMMARIES]


def summarize(prefix: str, values: np.ndarray) -> dict[str, float]:
    """Summarize the finite entries of ``values``; all NaN when there are none.

    ``sd`` is the sample standard deviation (NaN for a single value).

    Parameters
    ----------
    prefix : str
    values : ndarray

    Returns
    -------
    dict
    """
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return dict.fromkeys(summary_names(prefix), float("nan"))
    q25, med, q75 = np.percentile(v, [25, 50, 75])
    stats = (
        float(v.mean()),
        float(v.std(ddof=1)) if v.size > 1 else float("nan"),
        float(v.min()),
        float(v.max()),
        float(q25),
        float(med),
        float(q75),
    )
    return dict(zip(summary_names(prefix), stats, strict=True))
