"""metarec: meta-learning recommendations for clustering on tabular data.

The public names are imported on first use (PEP 562), so that ``import metarec``
and the command line's ``--help`` do not pay for pandas, scikit-learn, torch,
LightGBM or Optuna until something needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from metarec._version import __version__

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from metarec.api import predict_hyperparameters, recommend, train
    from metarec.dataset import ColumnType, Dataset
    from metarec.estimator import MetaClusterer
    from metarec.exceptions import MetarecError
    from metarec.io import as_dataset, list_datasets, load_dataset
    from metarec.metafeatures import extract_metafeatures
    from metarec.preprocessing import Preprocessor
    from metarec.tuning import refit_best, suggest, tune, warm_start

#: Where each public name lives.
_HOMES = {
    "ColumnType": "metarec.dataset",
    "Dataset": "metarec.dataset",
    "MetaClusterer": "metarec.estimator",
    "MetarecError": "metarec.exceptions",
    "Preprocessor": "metarec.preprocessing",
    "as_dataset": "metarec.io",
    "extract_metafeatures": "metarec.metafeatures",
    "list_datasets": "metarec.io",
    "load_dataset": "metarec.io",
    "predict_hyperparameters": "metarec.api",
    "recommend": "metarec.api",
    "refit_best": "metarec.tuning",
    "suggest": "metarec.tuning",
    "train": "metarec.api",
    "tune": "metarec.tuning",
    "warm_start": "metarec.tuning",
}

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
    "suggest",
    "train",
    "tune",
    "warm_start",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'metarec' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
