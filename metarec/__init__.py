"""metarec: meta-learning recommendations for clustering on tabular data."""

from __future__ import annotations

from metarec._version import __version__
from metarec.api import predict_hyperparameters, recommend, train
from metarec.dataset import ColumnType, Dataset
from metarec.estimator import MetaClusterer
from metarec.exceptions import MetarecError
from metarec.io import as_dataset, list_datasets, load_dataset
from metarec.metafeatures import extract_metafeatures
from metarec.preprocessing import Preprocessor
from metarec.tuning import refit_best, tune, warm_start

__all__ = [
    "ColumnType",
    "Dataset",
    "MetaClusterer",
    "MetarecError",
    "Preprocessor",
    "__version__",
    "as_dataset",
    "extract_metafeatures",
    "list_datasets",
    "load_dataset",
    "predict_hyperparameters",
    "recommend",
    "refit_best",
    "train",
    "tune",
    "warm_start",
]
