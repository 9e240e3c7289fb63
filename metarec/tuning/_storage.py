"""Where a study lives: an Optuna RDB URL, a journal file, or memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna

from metarec.config import redact
from metarec.exceptions import (
    MetarecError,
)

__all__ = ["DRIVERS", "open_storage"]


#: The Python package each database scheme needs by default, for the message when
#: it is missing.
DRIVERS = {
    "mysql": "mysqlclient (or a URL mysql+pymysql:// and PyMySQL)",
    "mariadb": "mariadb",
    "oracle": "oracledb",
    "mssql": "pyodbc",
}


def open_storage(storage: str | None) -> Any:
    """An Optuna storage from a URL, ``journal:PATH``, or ``None`` (in memory).

    Parameters
    ----------
    storage : str or None
        A database URL (``sqlite:///...``, ``postgresql://...``), ``journal:PATH``, or
        ``None``.

    Returns
    -------
    optuna.storages.BaseStorage or None
    """
    if storage is None:
        return None
    if storage.startswith("journal:"):
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        path = Path(storage[len("journal:") :]).expanduser()
        if not path.parent.is_dir():
            raise MetarecError(
                f"no folder {path.parent} for the journal {path.name}; create it first"
            )
        try:
            return JournalStorage(JournalFileBackend(str(path)))
        except OSError as exc:
            raise MetarecError(f"cannot open the journal {path}: {exc.strerror or exc}") from None
    if "://" not in storage:
        raise MetarecError(
            f"storage {redact(storage)!r} is neither a database URL nor journal:PATH; "
            "use e.g. postgresql://user@host/db or journal:study.log"
        )
    if storage.startswith("postgresql://"):  # psycopg 3, the driver metarec installs
        storage = "postgresql+psycopg://" + storage[len("postgresql://") :]
    import time
    import warnings

    from sqlalchemy.exc import SQLAlchemyError

    # Workers starting together race to create Optuna's schema: the loser retries.
    for attempt in range(1, 7):
        try:
            with warnings.catch_warnings():  # heartbeats are "experimental" to Optuna
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(storage, heartbeat_interval=60, grace_period=120)
        except ImportError:  # the URL's database driver is not installed
            scheme = storage.split("://", 1)[0]
            driver = DRIVERS.get(scheme.split("+")[0], "the driver SQLAlchemy names for it")
            raise MetarecError(
                f"the study storage {redact(storage)!r} needs {driver}, which is not "
                "installed: pip install it, or use postgresql://, sqlite:/// or journal:PATH"
            ) from None
        except SQLAlchemyError as exc:
            failure = str(exc).splitlines()[0]
            time.sleep(0.5 * attempt)
    raise MetarecError(f"cannot open the study storage {redact(storage)!r}: {redact(failure)}")
