"""Held-out folds: whole near-duplicate groups, never split."""

from __future__ import annotations

from collections.abc import Collection, Iterator

import numpy as np

from metarec.knowledge import KnowledgeBase

__all__ = ["heldout_folds", "heldout_splits"]


def heldout_folds(
    kb: KnowledgeBase,
    folds: int = 10,
    random_state: int = 0,
    among: Collection[str] | None = None,
) -> list[set[str]]:
    """The held-out harness's folds: sets of datasets, whole near-duplicate groups each.

    Every dataset of a group (the same content hash, or the same data rescaled,
    shuffled or with columns permuted: :meth:`KnowledgeBase.near_duplicate_groups`)
    lands in one fold, so that a held-out dataset's copies never stay in training.

    Parameters
    ----------
    kb : KnowledgeBase
        The knowledge whose datasets are split.
    folds : int, default=10
        Number of folds; 0 (or more than there are groups): one fold per group.
    random_state : int, default=0
        Seed of the assignment of groups to folds.
    among : collection of str, optional
        Content hashes to split (default: the datasets of the score matrix).

    Returns
    -------
    list of set of str
        The folds, as content hashes.
    """
    keep = set(kb.score_matrix.index if among is None else among)
    groups = {h: g for h, g in kb.near_duplicate_groups().items() if h in keep}
    return _groups_to_folds(groups, folds, random_state)


def heldout_splits(
    kb: KnowledgeBase,
    folds: int = 10,
    random_state: int = 0,
    among: Collection[str] | None = None,
) -> Iterator[tuple[int, set[str], KnowledgeBase]]:
    """Hold out each fold in turn: what every held-out study loops over.

    Parameters
    ----------
    kb : KnowledgeBase
        The whole knowledge.
    folds, random_state, among
        As :func:`heldout_folds`.

    Yields
    ------
    fold : int
        The fold's number, from 1.
    held : set of str
        Its datasets (whole near-duplicate groups).
    train : KnowledgeBase
        ``kb`` without them (and everything about them): what models of this fold
        are fitted on.

    Examples
    --------
    >>> from metarec.knowledge import KnowledgeBase
    >>> kb = KnowledgeBase.shipped()
    >>> fold, held, train = next(heldout_splits(kb, folds=5))
    >>> fold, held.isdisjoint(train.dataset_hashes)
    (1, True)
    """
    for fold, held in enumerate(heldout_folds(kb, folds, random_state, among), start=1):
        yield fold, held, kb.without(held)


def _groups_to_folds(groups: dict[str, int], folds: int, random_state: int) -> list[set[str]]:
    """scikit-learn's GroupKFold (groups shuffled by the seed); one fold per group
    when ``folds`` is 0 or at least the number of groups."""
    from sklearn.model_selection import GroupKFold

    hashes = sorted(groups)
    labels = np.array([groups[h] for h in hashes])
    n_groups = len(set(labels.tolist()))
    if n_groups < 2:
        return [set(hashes)] if hashes else []
    splits = n_groups if folds <= 0 or folds >= n_groups else folds
    splitter = GroupKFold(n_splits=splits, shuffle=True, random_state=random_state)
    return [
        {hashes[i] for i in test}
        for _, test in splitter.split(np.zeros((len(hashes), 1)), groups=labels)
    ]


def _target_folds(groups: dict[str, int], targets: set[str]) -> list[tuple[set[str], set[str]]]:
    """(held-out targets, datasets removed from training) batches for an external corpus.

    Targets whose near-duplicate groups hold the same known datasets share one fit.
    """
    members: dict[int, set[str]] = {}
    for h, g in groups.items():
        members.setdefault(g, set()).add(h)
    batches: dict[frozenset[str], set[str]] = {}
    for h in targets:
        known = frozenset(members[groups[h]] - targets)
        batches.setdefault(known, set()).add(h)
    return [(held, targets | set(known)) for known, held in sorted(batches.items(), key=str)]
