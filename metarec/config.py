"""Where metarec finds its data: the benchmark corpora root and the user data dir.

Resolution order for the corpus root (the folder holding ``clustbench/`` and
``uci121/``):

1. an explicit argument (``--data-root`` on the command line);
2. the environment variable ``METAREC_DATA``;
3. ``../shared/data`` next to the repository metarec was installed from;
4. ``../shared/data`` and ``shared/data`` relative to the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "DATA_ENV",
    "corpus_root",
    "find_corpus_root",
    "user_data_dir",
    "user_models_dir",
]

DATA_ENV = "METAREC_DATA"
HOME_ENV = "METAREC_HOME"


def _candidates() -> list[Path]:
    repo = Path(__file__).resolve().parents[1]
    cwd = Path.cwd()
    return [
        repo.parent / "shared" / "data",
        cwd.parent / "shared" / "data",
        cwd / "shared" / "data",
    ]


def find_corpus_root(root: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the corpus root, or ``None`` when none is configured or present.

    Parameters
    ----------
    root : path, optional
        An explicit root; else ``$METAREC_DATA``, else ``../shared/data`` beside the
        repository or the working directory.

    Returns
    -------
    Path or None
    """
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    for cand in _candidates():
        if (cand / "clustbench").is_dir() or (cand / "uci121").is_dir():
            return cand
    return None


def corpus_root(root: str | os.PathLike[str] | None = None) -> Path:
    """Like :func:`find_corpus_root` but raise when there is no corpus root.

    Parameters
    ----------
    root : path, optional

    Returns
    -------
    Path

    Raises
    ------
    UnknownDatasetError
        No corpus root is configured or present.
    """
    from metarec.exceptions import UnknownDatasetError

    found = find_corpus_root(root)
    if found is None or not found.is_dir():
        where = f" ({found})" if found is not None else ""
        raise UnknownDatasetError(
            f"no benchmark corpus root found{where}; set {DATA_ENV} to the folder "
            "holding clustbench/ and uci121/"
        )
    return found


def user_data_dir() -> Path:
    """Per-user folder for metarec's own files (databases, caches).

    ``METAREC_HOME`` overrides the platform default (``~/.local/share/metarec`` on Linux).
    """
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("metarec", appauthor=False))


def user_models_dir() -> Path:
    """Where ``metarec train`` saves models trained on the user's knowledge."""
    return user_data_dir() / "models"
