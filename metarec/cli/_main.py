"""The parser of every command and :func:`main`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from metarec._version import __version__
from metarec.cli._common import _Parser
from metarec.cli._data import _add_datasets, _add_metafeatures, _add_show
from metarec.cli._db import _add_db
from metarec.cli._recommend import _add_evaluate, _add_recommend, _add_train
from metarec.cli._tune import _add_ingest, _add_tune
from metarec.exceptions import MetarecError, first_line

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="metarec",
        description="Meta-learning recommendations for clustering on tabular data.",
    )
    parser.add_argument("--version", action="version", version=f"metarec {__version__}")
    parser.add_argument(
        "--data-root",
        metavar="DIR",
        help="folder holding the benchmark corpora (default: $METAREC_DATA or ../shared/data)",
    )
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )
    _add_datasets(sub)
    _add_show(sub)
    _add_metafeatures(sub)
    _add_recommend(sub)
    _add_train(sub)
    _add_ingest(sub)
    _add_evaluate(sub)
    _add_db(sub)
    _add_tune(sub)
    return parser


def _show_warning(message: Any, category: Any, *rest: Any, **kwargs: Any) -> None:
    """metarec's own warnings print as ``metarec: warning: <message>``."""
    import warnings

    from metarec.exceptions import MetarecWarning

    if issubclass(category, MetarecWarning):
        print(f"metarec: warning: {message}", file=sys.stderr)
    else:
        warnings._showwarning_orig(message, category, *rest, **kwargs)  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for a metarec error (its one-line message on stderr).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what provenance records
    import warnings

    from metarec import progress

    try:
        with warnings.catch_warnings(), progress.reporting(not getattr(args, "quiet", False)):
            warnings.showwarning = _show_warning
            return int(args.func(args))
    except MetarecError as exc:
        message = first_line(exc)
        print(f"metarec: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("metarec: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0
