"""The run server: the process every isolated run forks from.

Light on purpose (it imports nothing heavy), so that callers can start the server
before they import scikit-learn themselves: its start-up (importing
scikit-learn's clustering and hdbscan, about 2 s) then overlaps with theirs on
another core instead of delaying the first run.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import sys
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["context", "main_hidden", "start", "start_workers"]

#: What the server imports once, before it forks any run.
PRELOAD = ["metarec.runner", "sklearn.cluster", "hdbscan"]

_CONTEXT: Any = None


def context() -> Any:
    """The forkserver context (children start from a clean single-threaded server)."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = mp.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(PRELOAD)
    return _CONTEXT


def start_workers() -> None:
    """Start the server isolated runs fork from, in the background, if not running.

    Returns at once; call it before importing heavy modules to overlap the two.
    """
    from multiprocessing import forkserver

    context()
    with main_hidden():
        forkserver.ensure_running()


#: One thread at a time hides the main module (runs start from several threads).
_HIDING = threading.RLock()


@contextlib.contextmanager
def main_hidden() -> Iterator[None]:
    """Hide the user's main module while a child process or the fork server starts.

    The child needs only the runner, but multiprocessing would re-import
    ``__main__`` in it: a script that calls metarec at its top level, without an
    ``if __name__ == "__main__":`` guard, would run again in every child, and
    every run would fail. So the main module hides its origin while the child
    takes its start-up data.
    """
    with _HIDING:
        main = sys.modules.get("__main__")
        if main is None:
            yield
            return
        spec = getattr(main, "__spec__", None)
        path = main.__dict__.pop("__file__", None)
        main.__spec__ = None
        try:
            yield
        finally:
            main.__spec__ = spec
            if path is not None:
                main.__file__ = path


def start(proc: Any) -> None:
    """Start ``proc`` without running the user's main script again in it.

    Parameters
    ----------
    proc : multiprocessing.Process
        A process of :func:`context`, not started.
    """
    with main_hidden():
        proc.start()
