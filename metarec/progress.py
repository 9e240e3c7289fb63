"""Progress on stderr: the steps of long work, and bars over epochs, folds and members.

Off by default, as a library should be; the command line turns it on (and
``--quiet`` off again) with :func:`reporting`. Code that may take more than a
second wraps its work in :func:`step` (a line once it has run a second, one
when it ends, with the time taken) or iterates through :func:`bar` (a tqdm bar).

Examples
--------
>>> from metarec import progress
>>> with progress.step("nothing to see"):  # off: prints nothing
...     pass
>>> progress.is_enabled()
False
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["AFTER", "bar", "is_enabled", "note", "reporting", "step"]

T = TypeVar("T")

_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar("metarec_progress", default=False)


@contextlib.contextmanager
def reporting(enabled: bool = True) -> Iterator[None]:
    """Turn progress reports on (or off) for the code run inside.

    Parameters
    ----------
    enabled : bool, default=True
    """
    token = _ENABLED.set(enabled)
    try:
        yield
    finally:
        _ENABLED.reset(token)


def is_enabled() -> bool:
    """Whether progress is being reported."""
    return _ENABLED.get()


def note(text: str) -> None:
    """One line on stderr, ``metarec: <text>``, when reporting.

    Parameters
    ----------
    text : str
    """
    if _ENABLED.get():
        print(f"metarec: {text}", file=sys.stderr, flush=True)


#: Seconds a step runs before it is reported (quicker ones stay silent);
#: ``$METAREC_PROGRESS_AFTER`` sets it (0: every step, with its time).
AFTER = float(os.environ.get("METAREC_PROGRESS_AFTER") or 1.0)


@contextlib.contextmanager
def step(text: str, after: float | None = None) -> Iterator[None]:
    """Report a step that runs longer than ``after`` seconds.

    ``metarec: <text> ...`` is printed once the step has run ``after`` seconds,
    and ``metarec: <text>: done in N s`` when it ends; a quicker step prints
    nothing, so that only what makes a user wait is reported.

    Parameters
    ----------
    text : str
        What the step does, e.g. ``"loading the models"``.
    after : float, optional
        Seconds of silence before the step is reported (default :data:`AFTER`).
    """
    if not _ENABLED.get():
        yield
        return
    after = AFTER if after is None else after
    import threading

    started = threading.Event()

    def announce() -> None:
        started.set()
        print(f"metarec: {text} ...", file=sys.stderr, flush=True)

    timer = threading.Timer(after, announce)
    timer.daemon = True
    start = time.perf_counter()
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()
    if started.is_set():
        elapsed = time.perf_counter() - start
        print(f"metarec: {text}: done in {elapsed:.1f} s", file=sys.stderr, flush=True)


def bar(items: Iterable[T], desc: str, total: int | None = None, unit: str = "it") -> Iterable[T]:
    """``items``, through a tqdm bar on stderr when reporting (as they are otherwise).

    Parameters
    ----------
    items : iterable
    desc : str
        The bar's label, e.g. ``"meta-learner member 1/5, epochs"``.
    total : int, optional
        How many items (default: ``len(items)`` where it has one).
    unit : str, default="it"
    """
    if not _ENABLED.get():
        return items
    from tqdm.auto import tqdm

    kwargs: dict[str, Any] = {"desc": f"metarec: {desc}", "unit": unit, "file": sys.stderr}
    kwargs["leave"] = False
    return tqdm(items, total=total, **kwargs)
