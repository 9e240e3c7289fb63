"""Renamed arguments: the old name keeps working for a release, with a warning."""

from __future__ import annotations

import warnings
from typing import Any

from metarec.exceptions import MetarecError

__all__ = ["renamed"]


def renamed(new_value: Any, old_value: Any, old: str, new: str, default: Any) -> Any:
    """The value of an argument renamed from ``old`` to ``new``.

    ``old_value`` is ``None`` unless the caller used the old name; then it wins,
    with a :class:`FutureWarning` (one of both names, never both).

    Parameters
    ----------
    new_value, old_value
        What was given under the new name and under the old one (``None``: not given).
    old, new : str
        The names.
    default
        The new name's default (to tell whether it was given too).

    Returns
    -------
    The value to use.

    Examples
    --------
    >>> renamed(0, None, "seed", "random_state", 0)
    0
    """
    if old_value is None:
        return new_value
    if new_value != default:
        raise MetarecError(f"give {new}= only ({old}= is its deprecated name), not both")
    warnings.warn(
        f"{old}= is deprecated and will be removed in the next release; use {new}=",
        FutureWarning,
        stacklevel=3,
    )
    return old_value
