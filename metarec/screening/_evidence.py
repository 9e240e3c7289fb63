"""The label-free evidence and its blend: agreement between the candidates, the learned score,
the prior, the silhouette; when the zero-shot pick is trusted as it is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from metarec.scoring import pairwise_ari
from metarec.screening._candidates import Candidate

__all__ = ["agreement", "blend_ranks", "label_free_scores", "trusts_zero_shot"]


def agreement(labelings: Sequence[np.ndarray | None]) -> np.ndarray:
    """Each partition's mean adjusted Rand index with the other partitions.

    A partition that the other candidates, found by other algorithms and numbers of
    clusters, largely agree with is more likely to be structure than an artefact of
    one algorithm (the idea behind cluster-ensemble selection). NaN for a missing
    partition, and for every partition when fewer than two are given.

    Parameters
    ----------
    labelings : sequence of ndarray or None
        Cluster labels of the same rows, one array per candidate (None: no partition).

    Returns
    -------
    ndarray of shape (n_candidates,)

    Examples
    --------
    >>> import numpy as np
    >>> a, b = np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0])
    >>> agreement([a, b, np.array([0, 1, 0, 1])]).round(2).tolist()
    [0.25, 0.25, -0.5]
    """
    idx = [i for i, lab in enumerate(labelings) if lab is not None]
    out = np.full(len(labelings), np.nan)
    if len(idx) < 2:
        return out
    m = pairwise_ari([labelings[i] for i in idx])  # type: ignore[misc]
    np.fill_diagonal(m, np.nan)
    out[idx] = np.nanmean(m, axis=1)
    return out


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks in [0, 1] (1 = largest; NaN is the lowest), ties averaged."""
    v = np.where(np.isfinite(values), values, -np.inf)
    ranks = pd.Series(v).rank(method="average").to_numpy()
    return (ranks - 1) / max(len(v) - 1, 1)


def label_free_scores(
    surrogate: Any,
    metafeatures: pd.Series,
    candidates: Sequence[Candidate],
    weights: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Blend of the label-free evidence about each candidate partition.

    Ranks within the candidate set (1 = best) of the learned surrogate objective's
    score, of the partition's agreement with the other candidates
    (:func:`agreement`), of the meta-learned prior and of the partition's
    silhouette, weighted by ``weights`` (default :data:`BLEND`). Candidates that
    produced no partition score NaN.

    Parameters
    ----------
    surrogate : SurrogateObjective or None
        The learned objective (its weight counts as 0 without one).
    metafeatures : Series
        The dataset's meta-features.
    candidates : sequence of Candidate
        The screened runs (``agreement`` filled in).
    weights : mapping, optional
        Weights of ``"surrogate"``, ``"agreement"``, ``"prior"`` and ``"silhouette"``.

    Returns
    -------
    ndarray of shape (n_candidates,)
    """
    w = dict(BLEND if weights is None else weights)
    ok = np.array([c.ok for c in candidates])
    out = np.full(len(candidates), np.nan)
    if not ok.any():
        return out
    parts: dict[str, np.ndarray] = {
        "agreement": np.array([c.agreement for c in candidates]),
        "prior": np.array([c.prior for c in candidates]),
        "silhouette": np.array([float(c.result.silhouette) for c in candidates]),
    }
    if surrogate is not None:
        kept = [c for c in candidates if c.ok]
        sur = np.full(len(candidates), np.nan)
        sur[ok] = surrogate.score_many(
            metafeatures, [c.config for c in kept], [c.result for c in kept]
        )
        parts["surrogate"] = sur
    out[ok] = blend_ranks({name: values[ok] for name, values in parts.items()}, w)
    return out


def blend_ranks(parts: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """The weighted mean of each piece of evidence's ranks within a set (1 = best).

    Parameters
    ----------
    parts : mapping of str to ndarray
        Each piece of evidence (larger is better) for the same members of the set;
        one with no finite value is left out.
    weights : mapping of str to float
        Weight of each piece (missing: 0).

    Returns
    -------
    ndarray
        In [0, 1]; all 0 when no piece has weight.

    Examples
    --------
    >>> import numpy as np
    >>> blend_ranks({"a": np.array([1.0, 3.0, 2.0]), "b": np.array([3.0, 1.0, 2.0])},
    ...             {"a": 1.0, "b": 1.0}).tolist()
    [0.5, 0.5, 0.5]
    """
    n = len(next(iter(parts.values()))) if parts else 0
    total = np.zeros(n)
    weight = 0.0
    for name, values in parts.items():
        wn = float(weights.get(name, 0.0))
        if wn and np.isfinite(values).any():
            total += wn * _ranks(values)
            weight += wn
    return total / weight if weight else total


#: Weights of :func:`label_free_scores`. The first three were fixed before the
#: held-out evaluation (``experiments/eval_budget.py``), which compares them with the
#: alternatives; the silhouette's weight was chosen there (``blend``, nested across
#: folds): alone it is the worst judge of real partitions, beside the learned
#: evidence it corrects the learned scores' preference for over-split partitions.
BLEND: dict[str, float] = {"surrogate": 1.0, "agreement": 1.0, "prior": 0.5, "silhouette": 2.5}


#: A zero-shot top-1 whose prior (the ranker's expected ARI) is at least this stays
#: first, whatever the screening says: held out, such datasets (clear structure like
#: known ones; mostly synthetic) are better served by the zero-shot pick, while the
#: real tables the screening serves almost never reach it. Chosen in
#: ``experiments/eval_budget.py gate`` (nested across folds there).
TRUST_PRIOR = 0.6


def trusts_zero_shot(ok: bool, prior: float, trust: float | None = None) -> bool:
    """Whether the zero-shot top-1 stays first: it produced a partition and its prior
    is at least ``trust`` (default :data:`TRUST_PRIOR`).

    Parameters
    ----------
    ok : bool
        Whether the zero-shot top-1's run produced a partition.
    prior : float
        Its prior (the ranker's expected ARI).
    trust : float, optional
        The threshold (default :data:`TRUST_PRIOR`).

    Returns
    -------
    bool

    Examples
    --------
    >>> trusts_zero_shot(True, 0.8), trusts_zero_shot(True, 0.2), trusts_zero_shot(False, 0.9)
    (True, False, False)
    """
    return bool(ok) and float(prior) >= (TRUST_PRIOR if trust is None else trust)
