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
import re
from pathlib import Path

__all__ = [
    "DATA_ENV",
    "DB_ENV",
    "DEFAULT_BUDGET",
    "SWEEP_KIND",
    "check_budget",
    "corpus_root",
    "default_url",
    "find_corpus_root",
    "redact",
    "shipped_path",
    "user_data_dir",
    "user_models_dir",
]

DATA_ENV = "METAREC_DATA"
HOME_ENV = "METAREC_HOME"
#: The kind of study (:mod:`metarec.db.schema`) whose runs sweep the number of clusters.
SWEEP_KIND = "k_sweep"
#: Where the user's own meta-database is (a URL or path); default: a SQLite file in
#: :func:`user_data_dir`.
DB_ENV = "METAREC_DB"
#: Seconds of screening (:mod:`metarec.screening`) in a default recommendation. Held
#: out (``experiments/eval_budget.py report``), 2 s picks as well as 5 s or the whole
#: portfolio (mean ARI 0.223, 0.219 and 0.220 on 112 real datasets).
DEFAULT_BUDGET = 2.0


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


#: ``scheme://user:secret@``: the secret runs to the last ``@`` of the URL, so that any
#: character a password may hold (``/``, ``:``, ``@``, ``%2F``, ...) is masked with it.
_CREDENTIAL = re.compile(
    r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*):(?P<secret>[^\s'\"]*)@"
)
_PASSWORD_PARAM = re.compile(r"(?i)(?P<head>\bpassword=)[^\s&;]+")


def redact(text: str) -> str:
    """``text`` with the password of every URL in it masked (``user:***@host``).

    Database URLs given on the command line or in ``$METAREC_DB`` may carry a
    password; metarec never prints or stores one. This masks ``scheme://user:secret@``
    (as SQLAlchemy's ``URL.render_as_string(hide_password=True)`` does) and
    ``password=...`` parameters, also inside longer text such as a command line
    or an error message.

    Parameters
    ----------
    text : str
        A URL, a command line or a message.

    Returns
    -------
    str

    Examples
    --------
    >>> redact("postgresql://ann:S3cret@db.example:5432/meta")
    'postgresql://ann:***@db.example:5432/meta'
    >>> redact("metarec db stats --db sqlite:///x.db")
    'metarec db stats --db sqlite:///x.db'
    >>> redact("postgresql://ann:se/cr@t%2F@db.example/meta")
    'postgresql://ann:***@db.example/meta'
    """
    masked = _CREDENTIAL.sub(lambda m: f"{m.group('head')}:***@", text)
    return _PASSWORD_PARAM.sub(lambda m: f"{m.group('head')}***", masked)


def default_url() -> str:
    """``$METAREC_DB`` or a SQLite file in the per-user data folder."""
    env = os.environ.get(DB_ENV)
    if env:
        return env
    return f"sqlite:///{user_data_dir() / 'metarec.sqlite'}"


def shipped_path() -> Path:
    """Folder of the shipped meta-database and models: ``metarec.meta_db`` where metarec
    is installed, the repository's ``meta_db/`` in a checkout used as it is."""
    from importlib import resources

    try:
        return Path(str(resources.files("metarec.meta_db")))
    except ModuleNotFoundError:  # a checkout on the path, not installed
        return Path(__file__).resolve().parents[1] / "meta_db"


def check_budget(budget: object) -> float:
    """A screening budget as seconds, or a one-line :class:`~metarec.exceptions.MetarecError`.

    Parameters
    ----------
    budget : float
        Seconds, 0 (zero-shot) or more, finite.

    Returns
    -------
    float

    Examples
    --------
    >>> check_budget(2)
    2.0
    """
    import math
    import numbers

    from metarec.exceptions import ArgumentError

    if (
        isinstance(budget, bool)
        or not isinstance(budget, numbers.Real)
        or not 0 <= float(budget) < math.inf
    ):
        raise ArgumentError(f"budget must be 0 or more seconds, got {budget!r}")
    return float(budget)
