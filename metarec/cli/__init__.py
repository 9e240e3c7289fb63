"""The ``metarec`` command line: a thin layer over the Python API.

Every :class:`~metarec.exceptions.MetarecError` becomes one line on stderr,
``metarec: <message>``, and exit status 2.
"""

from __future__ import annotations

from metarec.cli._main import _parser as _parser  # the parser, for the docs' tests
from metarec.cli._main import main

__all__ = [
    "main",
]
