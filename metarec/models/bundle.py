"""The trained models as one bundle: save them to a folder, load them back together.

A models folder holds the recommender (``recommender.json``, the LightGBM ranker
``ranker.txt``, the learned metric when trained with ``metric="learned"``), the
neural meta-learner (``hyperparams.json`` and its ``state_dict`` files) and the
surrogate objective of tuning (``surrogate.json``, ``surrogate.txt``), the
intervals of predicted ARIs (``calibration.json``, :mod:`metarec.models.calibration`,
calibrated on the held-out evaluation and carried over by ``metarec train``) and the
predicted run costs that plan a screening (``costs.json``, :mod:`metarec.models.costs`,
learned by ``metarec train``). Each model
saves and loads its own files; this module puts them together. Whether the models
are stale (trained on another state of the knowledge) is recorded on the loaded
recommender (``stale_``, :meth:`~metarec.models.recommender.Recommender.staleness`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from metarec.exceptions import MetarecError, described
from metarec.knowledge import KnowledgeBase, KnowledgeError
from metarec.models.calibration import ScoreCalibration
from metarec.models.costs import RunCosts
from metarec.models.recommender import Recommender
from metarec.models.surrogate import SurrogateObjective

__all__ = ["load_models", "save_models"]


def save_models(recommender: Recommender, directory: str | os.PathLike[str]) -> None:
    """Write the recommender and the models it carries (meta-learner, surrogate).

    Parameters
    ----------
    recommender : Recommender
        A fitted recommender; its ``hyper`` and ``surrogate`` are saved beside it.
    directory : path
        The models folder (created when missing).
    """
    recommender.save(directory)
    if recommender.hyper is not None:
        recommender.hyper.save(directory)
    if recommender.surrogate is not None:
        recommender.surrogate.save(directory)
    if recommender.calibration_ is not None:
        recommender.calibration_.save(directory)
    if recommender.costs_ is not None:
        recommender.costs_.save(directory)


def load_models(directory: str | os.PathLike[str], kb: KnowledgeBase) -> Recommender:
    """Load a models folder over ``kb``: the recommender with its meta-learner and surrogate.

    Parameters
    ----------
    directory : path
        A folder written by :func:`save_models` (``metarec train``).
    kb : KnowledgeBase
        The knowledge the models serve; scalers, neighbours and the portfolio are
        recomputed from it, and the models are marked stale when it is not what
        they were trained on.

    Returns
    -------
    Recommender
        Fitted, with ``hyper`` and ``surrogate`` set when the folder holds them.

    Examples
    --------
    >>> from metarec.knowledge import KnowledgeBase
    >>> from metarec.models import load_models
    >>> from metarec.api import default_models_dir
    >>> rec = load_models(default_models_dir(), KnowledgeBase.shipped())
    >>> rec.surrogate is not None and rec.hyper is not None
    True
    """
    d = Path(directory)
    hyper = None
    with _reading(d, "hyperparams.*"):
        if (d / "hyperparams.json").is_file():
            from metarec.models.hyperparams import HyperparameterModel

            hyper = HyperparameterModel.load(d, kb)
    with _reading(d, "surrogate.*"):
        surrogate = SurrogateObjective.load(d) if (d / "surrogate.json").is_file() else None
    with _reading(d, "recommender.json, ranker.txt"):
        rec = Recommender.load(d, kb, hyper=hyper, surrogate=surrogate)
    with _reading(d, "calibration.json"):
        rec.calibration_ = ScoreCalibration.load(d) if (d / "calibration.json").is_file() else None
    with _reading(d, RunCosts.FILE):
        rec.costs_ = RunCosts.load(d) if (d / RunCosts.FILE).is_file() else None
    return rec


@contextlib.contextmanager
def _reading(directory: Path, files: str) -> Iterator[None]:
    """Turn a models file that does not read (garbage, crafted, truncated, of another
    version) into one line naming it; nothing in it is unpickled either way."""
    try:
        yield
    except MetarecError:
        raise
    except Exception as exc:  # any reader's error: lightgbm, torch, numpy, json
        raise KnowledgeError(
            f"{directory}: the models' {files} cannot be read ({described(exc)}); "
            "train them again with "
            f"`metarec train --out {directory}`"
        ) from None
