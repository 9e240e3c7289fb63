"""The benchmark corpora in the shared data folder: clustbench, uci121, realworld, and
scikit-learn's bundled datasets.

Each dataset is marked real or synthetic in its metadata (``kind``), see
:func:`data_kind`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from metarec.config import corpus_root, find_corpus_root
from metarec.dataset import Dataset
from metarec.exceptions import FileReadError, UnknownDatasetError

__all__ = [
    "REAL_CLUSTBENCH",
    "SKLEARN_DATASETS",
    "data_kind",
    "list_clustbench",
    "list_realworld",
    "list_sklearn",
    "list_uci121",
    "load_clustbench",
    "load_realworld",
    "load_sklearn",
    "load_uci121",
]

SKLEARN_DATASETS = ("iris", "wine", "breast_cancer", "digits")

PathLike = str | os.PathLike[str] | None

#: clustbench datasets that are measurements of the real world. The batteries
#: ``uci`` (UCI tables) and ``mnist`` (digits and Zalando's fashion images) are
#: real; ``other`` mixes Fisher's iris (``iris``, ``iris5``) with generated
#: shapes; ``fcps``, ``graves``, ``sipu``, ``wut``, ``g2mg`` and ``h2mg`` are
#: generated point patterns (2-D shapes, Gaussian mixtures of set overlap).
REAL_CLUSTBENCH = frozenset({"uci", "mnist", "other/iris", "other/iris5"})


def data_kind(corpus: str | None, name: str) -> str:
    """``"real"`` or ``"synthetic"``: whether a dataset measures the world or was generated.

    Parameters
    ----------
    corpus : str or None
        The dataset's corpus (``clustbench``, ``uci121``, ``keel``, ...).
    name : str
        Its name in the corpus (``BATTERY/NAME`` for clustbench).

    Returns
    -------
    str

    Every corpus but clustbench is real (UCI, KEEL, R's data sets, Kaggle,
    OpenML, files); in clustbench it goes by battery (:data:`REAL_CLUSTBENCH`).
    KEEL's ``banana`` is an artificial set and counts as synthetic.

    Examples
    --------
    >>> data_kind("clustbench", "sipu/flame"), data_kind("clustbench", "uci/wine")
    ('synthetic', 'real')
    >>> data_kind("uci121", "abalone")
    'real'
    """
    if corpus == "clustbench":
        battery = name.split("/", 1)[0]
        return "real" if battery in REAL_CLUSTBENCH or name in REAL_CLUSTBENCH else "synthetic"
    if corpus == "keel" and name == "banana":
        return "synthetic"
    return "real"


def _read_matrix(path: Path, delimiter: str | None) -> np.ndarray:
    try:
        frame = pd.read_csv(
            path, sep=r"\s+" if delimiter is None else delimiter, header=None, dtype="float64"
        )
    except (ValueError, OSError, EOFError, pd.errors.ParserError) as exc:
        raise FileReadError(f"{path}: cannot read the matrix ({exc})") from None
    return frame.to_numpy()


def _read_labels(path: Path) -> np.ndarray:
    try:
        return pd.read_csv(path, header=None, sep=r"\s+").iloc[:, 0].to_numpy()
    except (ValueError, OSError, EOFError, pd.errors.ParserError) as exc:
        raise FileReadError(f"{path}: cannot read the labels ({exc})") from None


# ---------------------------------------------------------------- clustbench
def list_clustbench(root: PathLike = None) -> list[str]:
    """Names ``BATTERY/NAME`` of the clustbench datasets that have a data file.

    Parameters
    ----------
    root : path, optional
        The corpus root (default: see :mod:`metarec.config`).

    Returns
    -------
    list of str
        Empty when the corpus is not there.
    """
    base = find_corpus_root(root)
    if base is None or not (base / "clustbench").is_dir():
        return []
    names = [
        f"{p.parent.name}/{p.name[: -len('.data.gz')]}"
        for p in (base / "clustbench").glob("*/*.data.gz")
    ]
    return sorted(names)


def _inside(base: Path, corpus: str, name: str, *parts: str) -> Path:
    """``base / parts...`` for the dataset ``corpus:name``, refused unless it stays
    inside ``base``: no ``..``, absolute or empty parts, and no symlink out of it."""
    pieces = [q for part in parts for q in part.replace("\\", "/").split("/")]
    if (
        not pieces
        or any(q in ("", ".", "..") or "\x00" in q for q in pieces)
        or Path(name).is_absolute()
    ):
        raise UnknownDatasetError(
            f"{corpus}:{name}: not a dataset name (a name may not leave the corpus folder)"
        )
    return _kept_inside(base, corpus, name, base.joinpath(*pieces), what="")


def _kept_inside(base: Path, corpus: str, name: str, path: Path, what: str | None = None) -> Path:
    """``path`` (a file of ``corpus:name`` found in its folder), refused when it
    resolves outside ``base`` (a symlinked labels, description or data file);
    ``what`` names it in the message (default: its file name)."""
    try:
        path.resolve().relative_to(base.resolve())
    except ValueError:
        said = f"{path.name if what is None else what} ".lstrip()
        raise UnknownDatasetError(
            f"{corpus}:{name}: {said}resolves outside the corpus folder {base}; refused"
        ) from None
    return path


def load_clustbench(name: str, root: PathLike = None) -> Dataset:
    """Load ``BATTERY/NAME`` from the clustering benchmark suite (Gagolewski et al.).

    Every ``NAME.labelsK.gz`` becomes a reference labeling; label 0 marks noise
    points where the dataset's description says so (recorded as ``noise_label``).

    Parameters
    ----------
    name : str
        ``BATTERY/NAME``.
    root : path, optional
        The corpus root (default: see :mod:`metarec.config`).

    Returns
    -------
    Dataset
    """
    base = corpus_root(root) / "clustbench"
    battery, _, short = name.partition("/")
    if not battery or not short:
        raise UnknownDatasetError(
            f"clustbench:{name}: expected BATTERY/NAME, e.g. clustbench:fcps/atom"
        )
    data_path = _inside(base, "clustbench", name, battery, f"{short}.data.gz")
    if not data_path.is_file():
        if (base / battery / f"{short}.labels0.gz").is_file():
            raise UnknownDatasetError(
                f"clustbench:{name}: only labels are present, the data file "
                f"{data_path.name} is missing from {data_path.parent}"
            )
        raise UnknownDatasetError(
            f"clustbench:{name}: no such dataset in {base}; list them with `metarec datasets`"
        )
    x = _read_matrix(data_path, None)
    label_files = [
        _kept_inside(base, "clustbench", name, p)
        for p in sorted(base.joinpath(battery).glob(f"{short}.labels*.gz"))
    ]
    labelings = [_read_labels(p) for p in label_files]
    desc_path = base / battery / f"{short}.txt"
    description = (
        _kept_inside(base, "clustbench", name, desc_path).read_text(errors="replace")
        if desc_path.is_file()
        else ""
    )
    return Dataset.from_frame(
        x,
        labelings[0] if labelings else None,
        extra_labelings=labelings[1:],
        name=f"{battery}/{short}",
        source=f"clustbench:{name}",
        metadata={
            "corpus": "clustbench",
            "description": description,
            "noise_label": 0,
            "kind": data_kind("clustbench", f"{battery}/{short}"),
        },
    )


# ---------------------------------------------------------------- uci121
def list_uci121(root: PathLike = None) -> list[str]:
    """Names of the uci121 datasets present.

    Parameters
    ----------
    root : path, optional
        The corpus root (default: see :mod:`metarec.config`).

    Returns
    -------
    list of str
        Empty when the corpus is not there.
    """
    base = find_corpus_root(root)
    if base is None or not (base / "uci121").is_dir():
        return []
    return sorted(
        p.parent.name
        for p in (base / "uci121").glob("*/*_py.dat")
        if p.name == f"{p.parent.name}_py.dat"
    )


def load_uci121(name: str, root: PathLike = None) -> Dataset:
    """Load a uci121 dataset (Fernández-Delgado et al. 2014, standardized numerics).

    Parameters
    ----------
    name : str
    root : path, optional
        The corpus root (default: see :mod:`metarec.config`).

    Returns
    -------
    Dataset
    """
    folder = _inside(corpus_root(root) / "uci121", "uci121", name, name)
    data_path = folder / f"{name}_py.dat"
    if not data_path.is_file():
        raise UnknownDatasetError(
            f"uci121:{name}: no such dataset in {folder.parent}; "
            "list them with `metarec datasets --corpus uci121`"
        )
    base = corpus_root(root) / "uci121"
    x = _read_matrix(_kept_inside(base, "uci121", name, data_path), ",")
    labels_path = folder / "labels_py.dat"
    labels = (
        _read_labels(_kept_inside(base, "uci121", name, labels_path))
        if labels_path.is_file()
        else None
    )
    return Dataset.from_frame(
        x,
        labels,
        name=name,
        source=f"uci121:{name}",
        metadata={"corpus": "uci121", "kind": "real"},
    )


# ---------------------------------------------------------------- realworld
def list_realworld(root: PathLike = None) -> list[str]:
    """Names of the realworld datasets present (clustbench layout, one folder).

    Parameters
    ----------
    root : path, optional
        The corpus root (default: see :mod:`metarec.config`).

    Returns
    -------
    list of str
        Empty when the corpus is not there.
    """
    base = find_corpus_root(root)
    if base is None or not (base / "realworld").is_dir():
        return []
    return sorted(p.name[: -len(".data.gz")] for p in (base / "realworld").glob("*.data.gz"))


def load_realworld(name: str, root: PathLike = None) -> Dataset:
    """Load a realworld table: real UCI and Kaggle data (Jeon et al.'s labeled collection).

    Parameters
    ----------
    name : str
        The table's name (see :func:`list_realworld`).
    root : path, optional
        The corpus root (default: see :mod:`metarec.config`).

    Returns
    -------
    Dataset
        Features, the class labels as reference labels, ``kind`` real.
    """
    base = corpus_root(root) / "realworld"
    data_path = _inside(base, "realworld", name, f"{name}.data.gz")
    if "/" in name or not data_path.is_file():
        raise UnknownDatasetError(
            f"realworld:{name}: no such dataset in {base}; "
            "list them with `metarec datasets --corpus realworld`"
        )
    labels_path = base / f"{name}.labels0.gz"
    return Dataset.from_frame(
        _read_matrix(data_path, None),
        _read_labels(_kept_inside(base, "realworld", name, labels_path))
        if labels_path.is_file()
        else None,
        name=name,
        source=f"realworld:{name}",
        metadata={"corpus": "realworld", "kind": "real"},
    )


# ---------------------------------------------------------------- sklearn
def list_sklearn() -> list[str]:
    """scikit-learn's bundled real datasets metarec can load."""
    return list(SKLEARN_DATASETS)


def load_sklearn(name: str) -> Dataset:
    """Load one of scikit-learn's bundled real datasets (iris, wine, breast_cancer, digits).

    Parameters
    ----------
    name : {"iris", "wine", "breast_cancer", "digits"}

    Returns
    -------
    Dataset
    """
    from sklearn import datasets as skd

    loaders: dict[str, Callable[..., object]] = {
        "iris": skd.load_iris,
        "wine": skd.load_wine,
        "breast_cancer": skd.load_breast_cancer,
        "digits": skd.load_digits,
    }
    if name not in loaders:
        raise UnknownDatasetError(
            f"sklearn:{name}: unknown; choose one of {', '.join(SKLEARN_DATASETS)}"
        )
    bunch = loaders[name](as_frame=True)
    frame = bunch.frame.drop(columns=["target"])  # type: ignore[attr-defined]
    labels = bunch.target.to_numpy()  # type: ignore[attr-defined]
    return Dataset.from_frame(
        frame,
        labels,
        name=name,
        source=f"sklearn:{name}",
        metadata={"corpus": "sklearn", "kind": "real"},
    )
