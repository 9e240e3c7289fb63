"""Load datasets from OpenML through the official ``openml`` client.

The client's own cache is honoured: a dataset that was downloaded once loads
offline. Set ``METAREC_OPENML_CACHE`` (or pass ``cache_dir``) to point the client at
a cache folder, and ``METAREC_OPENML_SERVER`` (or ``server``) to use another server,
e.g. OpenML's test server.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from metarec.dataset import Dataset
from metarec.exceptions import (
    OpenMLDatasetNotFoundError,
    OpenMLError,
    OpenMLUnavailableError,
    UnknownDatasetError,
)

__all__ = ["load_openml", "openml_config"]

CACHE_ENV = "METAREC_OPENML_CACHE"
SERVER_ENV = "METAREC_OPENML_SERVER"
# OpenML server error codes meaning "no such dataset".
_NOT_FOUND_CODES = {110, 111, 112}


@contextlib.contextmanager
def openml_config(
    cache_dir: str | os.PathLike[str] | None = None, server: str | None = None
) -> Iterator[Any]:
    """Temporarily point the ``openml`` client at a cache folder and/or server."""
    import openml

    cache_dir = cache_dir or os.environ.get(CACHE_ENV)
    server = server or os.environ.get(SERVER_ENV)
    old_server = openml.config.server
    old_cache = openml.config._root_cache_directory
    try:
        if cache_dir:
            openml.config.set_root_cache_directory(str(Path(cache_dir).expanduser()))
        if server:
            openml.config.server = server
        yield openml
    finally:
        openml.config.server = old_server
        openml.config.set_root_cache_directory(str(old_cache))


def load_openml(
    dataset_id: int | str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    server: str | None = None,
) -> Dataset:
    """Load an OpenML dataset by id, with its default target as labels.

    OpenML's server-side data qualities are attached as :attr:`Dataset.qualities`;
    row-id and ignored attributes are dropped, nominal attributes stay categorical.

    Raises
    ------
    OpenMLDatasetNotFoundError
        OpenML has no dataset with this id.
    OpenMLUnavailableError
        OpenML cannot be reached and the dataset is not in the client's cache.
    """
    try:
        did = int(dataset_id)
    except (TypeError, ValueError):
        raise UnknownDatasetError(
            f"openml:{dataset_id}: an OpenML dataset id is a positive integer, e.g. openml:61"
        ) from None
    if did <= 0:
        raise UnknownDatasetError(f"openml:{did}: OpenML dataset ids are positive integers")
    import requests
    from openml.exceptions import OpenMLServerException

    with openml_config(cache_dir, server) as openml:
        try:
            ds = openml.datasets.get_dataset(
                did,
                download_data=True,
                download_qualities=True,
                download_features_meta_data=True,
            )
            target = ds.default_target_attribute
            if target and "," in target:  # multi-target datasets: keep the first
                target = target.split(",")[0]
            frame, y, _, _ = ds.get_data(target=target or None)
        except OpenMLServerException as exc:
            if getattr(exc, "code", None) in _NOT_FOUND_CODES:
                raise OpenMLDatasetNotFoundError(
                    f"openml:{did}: OpenML has no dataset with this id ({exc.message})"
                ) from None
            raise OpenMLError(f"openml:{did}: the OpenML server refused ({exc})") from None
        except (requests.exceptions.RequestException, ConnectionError, TimeoutError) as exc:
            cache = openml.config.get_cache_directory()
            raise OpenMLUnavailableError(
                f"openml:{did}: cannot reach OpenML at {openml.config.server} and the dataset "
                f"is not in the cache at {cache}; connect to the internet or set {CACHE_ENV} "
                f"to a populated cache ({type(exc).__name__})"
            ) from None
        drop = [c for c in _ignored(ds) if c in frame.columns]
        frame = frame.drop(columns=drop)
        qualities = {k: float(v) for k, v in (ds.qualities or {}).items() if v is not None}
        meta = {
            "corpus": "openml",
            "openml_id": did,
            "version": ds.version,
            "target": target,
            "server": openml.config.server,
            "licence": ds.licence,
            "dropped_columns": drop,
        }
    labels = None if y is None else pd.Series(y).astype("object").to_numpy()
    return Dataset.from_frame(
        frame,
        labels,
        name=ds.name,
        source=f"openml:{did}",
        qualities=qualities,
        metadata=meta,
    )


def _ignored(ds: Any) -> list[str]:
    out: list[str] = []
    for attr in (ds.row_id_attribute, ds.ignore_attribute):
        if not attr:
            continue
        out.extend([attr] if isinstance(attr, str) else list(attr))
    return out
