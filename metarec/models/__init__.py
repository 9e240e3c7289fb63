"""What metarec learns from the meta-database, in one package.

========================  ==================================================
module                    what it holds
========================  ==================================================
``_encoding``             meta-feature scaling, configuration encoding, the
                          score model shared by the ranker and the surrogate
``recommender``           neighbours + LightGBM ranker -> ranked configurations
``hyperparams``           the neural meta-learner of per-algorithm
                          hyperparameters and k (torch)
``surrogate``             the learned label-free objective of tuning
``similarity``            the learned task-similarity metric (torch)
``bundle``                saving and loading the trained models together,
                          and whether they are stale
========================  ==================================================

The modules do not import one another, except through ``_encoding`` and
``bundle``, and the torch models, which are imported late on purpose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from metarec.models._encoding import ConfigEncoder, MetaFeatureScaler, fit_score_model
from metarec.models.bundle import load_models, save_models
from metarec.models.recommender import Recommendation, RecommendedConfig, Recommender
from metarec.models.surrogate import SurrogateObjective

if TYPE_CHECKING:
    from metarec.models.hyperparams import HyperparameterModel, HyperparameterPrediction
    from metarec.models.similarity import SimilarityModel

__all__ = [
    "ConfigEncoder",
    "HyperparameterModel",
    "HyperparameterPrediction",
    "MetaFeatureScaler",
    "Recommendation",
    "RecommendedConfig",
    "Recommender",
    "SimilarityModel",
    "SurrogateObjective",
    "fit_score_model",
    "load_models",
    "save_models",
]


def __getattr__(name: str) -> Any:
    """The torch models, imported when first asked for (torch is heavy)."""
    if name in ("HyperparameterModel", "HyperparameterPrediction"):
        from metarec.models import hyperparams

        return getattr(hyperparams, name)
    if name == "SimilarityModel":
        from metarec.models.similarity import SimilarityModel

        return SimilarityModel
    raise AttributeError(f"module 'metarec.models' has no attribute {name!r}")
