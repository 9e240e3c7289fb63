"""Labeled datasets in a folder: the external corpora that ``metarec evaluate --corpus`` reads.

A corpus folder may hold datasets in any of these layouts, mixed:

=====================================  ===================================================
layout                                 labels come from
=====================================  ===================================================
``NAME.data.gz`` (+ ``NAME.labels0.gz``)  the clustbench layout: every ``NAME.labelsK.gz``
``NAME/NAME_py.dat`` (+ ``labels_py.dat``) the uci121 layout
``NAME.csv|.tsv|.parquet|.arff`` (+gz)  a sidecar ``NAME.labels[.csv|.txt][.gz]``, else a
                                       column named class, label(s), target, y, cluster
                                       or species (any case), else an ARFF file's last
                                       nominal attribute
=====================================  ===================================================

Every such dataset is addressable as ``labeled:PATH`` by :func:`metarec.load_dataset`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from metarec.dataset import Dataset
from metarec.exceptions import FileReadError, LabelError, UnknownDatasetError
from metarec.io.corpora import _read_labels, _read_matrix
from metarec.io.files import LABEL_COLUMNS, SUPPORTED_SUFFIXES, read_labels, read_table

__all__ = ["LABEL_COLUMNS", "discover_corpus", "load_labeled"]
_SIDECAR_SUFFIXES = (".labels", ".labels.csv", ".labels.txt", ".labels.gz", ".labels.csv.gz")


def _stem(path: Path) -> str:
    return path.name.split(".")[0]


def _is_table(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return bool(suffixes) and suffixes[-1] in SUPPORTED_SUFFIXES and ".labels" not in suffixes


def discover_corpus(directory: str | os.PathLike[str]) -> list[str]:
    """``labeled:PATH`` names of the labeled datasets in ``directory`` (sorted).

    Parameters
    ----------
    directory : path

    Returns
    -------
    list of str
        ``labeled:PATH`` names, loadable with :func:`load_labeled`.

    Raises
    ------
    UnknownDatasetError
        The folder does not exist or holds no dataset in a known layout.
    """
    root = Path(directory).expanduser().resolve()
    if not root.is_dir():
        raise UnknownDatasetError(f"{root}: no such folder; pass a folder of labeled datasets")
    found: set[Path] = set()
    folders = {p for p in root.rglob("*") if p.is_dir() and (p / f"{p.name}_py.dat").is_file()}
    found |= folders
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.parent in folders or path.name.lower() == "readme.txt":
            continue
        if path.name.endswith((".data.gz", ".data")) or (
            _is_table(path)
            and not any(
                (path.parent / f"{_stem(path)}{s}").is_file() for s in (".data.gz", ".data")
            )
        ):
            found.add(path)
    if not found:
        raise UnknownDatasetError(
            f"{root}: no labeled datasets found; see `metarec evaluate --help` for the layouts"
        )
    return [f"labeled:{p}" for p in sorted(found)]


def load_labeled(path: str | os.PathLike[str]) -> Dataset:
    """Load one dataset with its ground truth from any layout of :mod:`metarec.io.labeled`.

    Parameters
    ----------
    path : path
        A data file or a clustbench/uci121-style folder entry.

    Returns
    -------
    Dataset
        With its reference labels.

    Raises
    ------
    LabelError
        No ground truth could be found for the dataset.
    """
    p = Path(path).expanduser().resolve()
    meta = {"corpus": "external", "file": str(p)}
    if p.is_dir():
        data = p / f"{p.name}_py.dat"
        if not data.is_file():
            raise UnknownDatasetError(f"{p}: a dataset folder must hold {p.name}_py.dat")
        labels_path = p / "labels_py.dat"
        if not labels_path.is_file():
            raise LabelError(f"{p}: no labels_py.dat beside the data; add the ground truth")
        x = _read_matrix(data, ",")
        return Dataset.from_frame(
            x, _read_labels(labels_path), name=p.name, source=f"labeled:{p}", metadata=meta
        )
    if not p.is_file():
        raise FileReadError(f"{p}: no such file; check the path")
    if p.name.endswith((".data.gz", ".data")):
        short = p.name[: -len(".data.gz")] if p.name.endswith(".gz") else p.name[: -len(".data")]
        label_files = sorted(p.parent.glob(f"{short}.labels*"))
        if not label_files:
            raise LabelError(f"{p}: no {short}.labels0.gz beside the data; add the ground truth")
        labelings = [_read_labels(f) for f in label_files]
        return Dataset.from_frame(
            _read_matrix(p, None),
            labelings[0],
            extra_labelings=labelings[1:],
            name=short,
            source=f"labeled:{p}",
            metadata={**meta, "noise_label": 0},
        )
    frame, file_meta = read_table(p)
    labels: np.ndarray | None = None
    for suffix in _SIDECAR_SUFFIXES:
        side = p.parent / f"{_stem(p)}{suffix}"
        if side.is_file():
            labels = np.asarray(read_labels(side))
            break
    declared = file_meta.pop("target", None)  # KEEL's @outputs
    if labels is None:
        lower = {str(c).lower(): c for c in frame.columns}
        column = declared or next((lower[c] for c in LABEL_COLUMNS if c in lower), None)
        if column is None and file_meta.get("relation") is not None:
            nominal = [c for c in frame.columns if str(frame[c].dtype) == "category"]
            column = nominal[-1] if nominal else None
        if column is None:
            raise LabelError(
                f"{p.name}: no ground truth; add a column named one of {', '.join(LABEL_COLUMNS)} "
                f"or a sidecar file {_stem(p)}.labels"
            )
        labels = frame.pop(column).to_numpy()
    return Dataset.from_frame(
        frame, labels, name=_stem(p), source=f"labeled:{p}", metadata={**meta, **file_meta}
    )
