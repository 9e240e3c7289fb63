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

__all__ = [
    "load_openml",
    "openml_clustering_configs",
    "openml_config",
    "openml_dataset_ids",
]

CACHE_ENV = "METAREC_OPENML_CACHE"
SERVER_ENV = "METAREC_OPENML_SERVER"
# OpenML server error codes meaning "no such dataset".
_NOT_FOUND_CODES = {110, 111, 112}


@contextlib.contextmanager
def openml_config(
    cache_dir: str | os.PathLike[str] | None = None, server: str | None = None
) -> Iterator[Any]:
    """Temporarily point the ``openml`` client at a cache folder and/or server.

    Parameters
    ----------
    cache_dir : path, optional
        Default: ``$METAREC_OPENML_CACHE``.
    server : str, optional
        Default: ``$METAREC_OPENML_SERVER``.

    Yields
    ------
    module
        The configured ``openml`` module.
    """
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

    Parameters
    ----------
    dataset_id : int or str
    cache_dir, server : optional
        See :func:`openml_config`.

    Returns
    -------
    Dataset

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


def _why(exc: Exception) -> str:
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first}"[:200]


def openml_dataset_ids(
    *, tag: str | None = None, suite: str | int | None = None
) -> tuple[list[int], list[str]]:
    """Dataset ids of an OpenML tag and/or benchmark suite.

    Returns the ids found and, for what could not be fetched (no network and
    nothing cached), one line each saying what and why.

    Parameters
    ----------
    tag : str, optional
    suite : str or int, optional

    Returns
    -------
    list of int, list of str
    """
    import requests
    from openml.exceptions import OpenMLServerException

    ids: list[int] = []
    problems: list[str] = []
    failures = (OpenMLServerException, requests.exceptions.RequestException, OSError)
    with openml_config() as openml:
        if tag is not None:
            try:
                listed = openml.datasets.list_datasets(tag=tag, output_format="dataframe")
                ids += [int(i) for i in listed["did"]]
            except failures as exc:
                problems.append(
                    f"OpenML tag {tag!r}: could not list its datasets from "
                    f"{openml.config.server} ({_why(exc)})"
                )
        if suite is not None:
            try:
                ids += [int(i) for i in (openml.study.get_suite(suite).data or [])]
            except failures as exc:
                problems.append(
                    f"OpenML suite {suite!r}: could not fetch it from "
                    f"{openml.config.server} ({_why(exc)})"
                )
    return ids, problems


# sklearn estimators of OpenML clustering flows -> metarec algorithms.
_FLOW_ALGORITHMS = {
    "KMeans": "kmeans",
    "MiniBatchKMeans": "minibatch_kmeans",
    "BisectingKMeans": "bisecting_kmeans",
    "GaussianMixture": "gmm",
    "AgglomerativeClustering": "agglomerative",
    "Birch": "birch",
    "DBSCAN": "dbscan",
    "HDBSCAN": "hdbscan",
    "OPTICS": "optics",
    "MeanShift": "meanshift",
    "SpectralClustering": "spectral",
    "AffinityPropagation": "affinity_propagation",
}


def openml_clustering_configs(
    dataset_id: int, max_runs: int = 200
) -> tuple[list[dict[str, Any]], list[str]]:
    """Configurations of OpenML's own clustering runs on a dataset, mapped onto metarec's space.

    OpenML stores clustering runs under clustering tasks; the flows that are
    scikit-learn clusterers are translated (parameter values the space does not
    hold are dropped with a note). Their scores are not taken over: the
    configurations are run again by metarec, so that every score in the
    meta-database is computed the same way.

    Parameters
    ----------
    dataset_id : int
    max_runs : int, default=200

    Returns
    -------
    list of dict, list of str
        The configurations, and notes on what could not be translated.
    """
    import json

    import requests
    from openml.exceptions import OpenMLServerException

    from metarec.space import ALGORITHMS, ConfigError, canonicalize

    failures = (OpenMLServerException, requests.exceptions.RequestException, OSError)
    configs: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    with openml_config() as openml:
        try:
            tasks = openml.tasks.list_tasks(
                task_type=openml.tasks.TaskType.CLUSTERING,
                data_id=int(dataset_id),
                output_format="dataframe",
            )
            task_ids = [int(t) for t in tasks["tid"]] if len(tasks) else []
            run_ids: list[int] = []
            if task_ids:
                runs = openml.runs.list_runs(
                    task=task_ids, size=max_runs, output_format="dataframe"
                )
                run_ids = [int(r) for r in runs["run_id"]] if len(runs) else []
        except failures as exc:
            return [], [
                f"openml:{dataset_id}: could not list OpenML's clustering runs from "
                f"{openml.config.server} ({_why(exc)})"
            ]
        for run_id in run_ids:
            try:
                run = openml.runs.get_run(run_id)
            except failures as exc:
                problems.append(f"OpenML run {run_id}: could not fetch it ({_why(exc)})")
                continue
            estimator = str(run.flow_name).split("(")[0].split(".")[-1]
            algorithm = _FLOW_ALGORITHMS.get(estimator)
            if algorithm is None:
                problems.append(f"OpenML run {run_id}: flow {run.flow_name} has no metarec twin")
                continue
            names = set(ALGORITHMS[algorithm].by_name)
            params = {}
            for setting in run.parameter_settings or []:
                key = setting.get("oml:name")
                if key in names:
                    try:
                        params[key] = json.loads(setting.get("oml:value"))
                    except (TypeError, ValueError):
                        params[key] = setting.get("oml:value")
            try:
                config = canonicalize({"algorithm": algorithm, "params": params})
            except ConfigError as exc:
                problems.append(f"OpenML run {run_id}: outside metarec's space ({exc})")
                continue
            configs[json.dumps(config, sort_keys=True)] = config
    return list(configs.values()), problems
