"""What the commands share: help texts, argument types, loading a dataset, opening a database,
printing JSON."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, NoReturn

from metarec.exceptions import MetarecError

TARGET_HELP = (
    "file column holding the reference labels, any case (default: a column named "
    "class, label(s), target, y, cluster or species, or KEEL's @outputs)"
)


SEED_HELP = "random seed, random_state in the Python API (default 0)"


QUIET_HELP = "no progress on stderr"


KNOWLEDGE_HELP = (
    "knowledge: the shipped meta-database with your own database layered over it (default), "
    "'shipped' alone, a database URL or an exported folder"
)


def _plain(value: Any) -> Any:
    """``value`` as strict JSON data: numpy scalars unwrapped, NaN and infinities None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _print_json(payload: Any) -> None:
    """Print strict JSON (numbers as numbers, null for a missing number)."""
    print(json.dumps(_plain(payload), indent=2, allow_nan=False))


def _load(args: argparse.Namespace) -> Any:
    from metarec import progress
    from metarec.io import load_dataset
    from metarec.io.files import describe_loading, read_labels

    target = False if getattr(args, "no_target", False) else getattr(args, "target", None)
    with progress.step(f"reading {args.name}"):
        dataset = load_dataset(
            args.name,
            data_root=args.data_root,
            target=target,
            keep_columns=getattr(args, "keep_columns", False),
        )
    for line in describe_loading(dataset):
        print(f"metarec: note: {line}", file=sys.stderr)
    if getattr(args, "labels", None):
        dataset = dataset.with_labels(read_labels(args.labels))
    return dataset


def _open_db(args: argparse.Namespace, create: bool = True) -> Any:
    """The database of --db ('shipped', a URL or path; default: the user's own);
    with ``create=False`` (commands that only read) a missing one is an error."""
    from metarec.db import MetaDatabase
    from metarec.db.shipped import open_shipped

    if args.db == "shipped":
        return open_shipped()
    return MetaDatabase(args.db, create=create)


def _size_on_disk(db: str | None) -> int | None:
    """Bytes of the shipped Parquet tables, or of a SQLite file; None for a server."""
    from metarec.db.shipped import shipped_path
    from metarec.db.store import default_url

    if db == "shipped":
        return sum(p.stat().st_size for p in shipped_path().glob("*.parquet"))
    url = db or default_url()
    if url.startswith("sqlite:///"):
        url = url[len("sqlite:///") :]
    elif "://" in url:
        return None
    path = Path(url)
    return path.stat().st_size if path.is_file() else None


def _knowledge(args: argparse.Namespace) -> Any:
    return args.db  # None: the shipped knowledge with the user database layered over it


def _whole(text: str, minimum: int, bound: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
    return value


def _positive(text: str) -> int:
    """argparse type of a count that must be at least 1."""
    return _whole(text, 1, "at least 1")


def _count(text: str) -> int:
    """argparse type of a count that may be 0."""
    return _whole(text, 0, "0 or more")


def _seed(text: str) -> int:
    """argparse type of a seed: a whole number from 0 to 2**32 - 1 (numpy's range)."""
    value = _count(text)
    if value > 2**32 - 1:
        raise argparse.ArgumentTypeError(f"must be at most 2**32 - 1, got {value}")
    return value


def _seconds(text: str) -> float:
    """argparse type of a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line, without the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}; see {self.prog} --help\n")


def _budget(text: str) -> float:
    """argparse type of --budget: seconds, 0 or more (:func:`metarec.screening.check_budget`)."""
    from metarec.config import check_budget

    try:
        return check_budget(float(text))
    except MetarecError as exc:  # (before ValueError: an ArgumentError is one)
        raise argparse.ArgumentTypeError(str(exc)) from None
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None


def _file_options(p: argparse.ArgumentParser) -> None:
    """--no-target and --keep-columns, beside every --target."""
    p.add_argument(
        "--no-target",
        action="store_true",
        help="the file has no label column: cluster every column (no label detection)",
    )
    p.add_argument(
        "--keep-columns",
        action="store_true",
        help="keep identifier, free-text and constant columns as features",
    )


#: The dataset argument's help.
NAME_HELP = "openml:ID, clustbench:BATTERY/NAME, uci121:NAME, sklearn:NAME or a file path"
