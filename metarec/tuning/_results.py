"""What a search leaves: the refit best labels and configuration, the best-so-far curve,
and the progress plot."""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import optuna
import pandas as pd

from metarec.exceptions import (
    MetarecError,
)
from metarec.runner import run_config
from metarec.tuning._select import _selected, best_trial, own_trials

__all__ = [
    "INDEX_NAMES",
    "best_so_far",
    "best_so_far_of",
    "objective_label",
    "plot_progress",
    "refit_best",
    "trial_position",
]


def refit_best(
    study: optuna.Study,
    data: Any,
    out: str | os.PathLike[str],
    *,
    random_state: int = 0,
) -> dict[str, Any]:
    """Refit the study's best configuration on ``data`` and write what a user keeps.

    Writes ``best_labels.csv`` (one cluster label per row, ``-1`` for noise) and
    ``best_config.json`` (the configuration, the objective and its value, the trial
    (its place among the study's own trials, from 1, and Optuna's number) and how it
    was selected (``"start"``: the recommendation's trusted pick; ``"consensus"``;
    ``"objective"``), the number of finished trials, the study, and the ARI
    when the data had labels)
    to the folder ``out``.

    Parameters
    ----------
    study : optuna.Study
        A study of :func:`tune`.
    data : Dataset, DataFrame, array, dataset name or file path
        The data the study searched.
    out : path
        Output folder (created when missing).
    random_state : int, default=0
        Seed of the refit.

    Returns
    -------
    dict
        What ``best_config.json`` holds.

    Raises
    ------
    MetarecError
        No trial finished, or the best configuration fails when refitted.
    """
    import json
    from pathlib import Path

    from metarec.io import as_dataset

    dataset = as_dataset(data)
    best = best_trial(study)
    config = best.user_attrs["config"]
    result = run_config(
        dataset, config, random_state=random_state, time_limit=None, keep_labels=True
    )
    if result.labels is None:
        raise MetarecError(f"the best configuration failed on refit ({result.error})")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"label": result.labels}).to_csv(folder / "best_labels.csv", index=False)
    payload = {
        "config": config,
        "objective": study.user_attrs.get("objective", "callable"),
        "value": best.value,
        # the trial's place among the study's own trials, as printed and plotted
        "trial": trial_position(study, best),
        "optuna_trial_number": best.number,
        "trials": sum(t.state.is_finished() for t in own_trials(study)),
        "study": study.study_name,
        "ari": best.user_attrs.get("ari"),
        "select": study.user_attrs.get("select", "consensus")
        if study.user_attrs.get("selected_trial") == best.number
        else "objective",
    }
    text = json.dumps(payload, indent=2, default=str) + "\n"
    (folder / "best_config.json").write_text(text)
    return payload


def best_so_far_of(trials: pd.DataFrame, minimize: bool = False) -> pd.DataFrame:
    """Per trial (columns ``trial``, ``value``, ``ari``; any order): the best objective
    so far and the ARI of the trial holding it (NaN before the first valued trial).

    Parameters
    ----------
    trials : DataFrame
    minimize : bool, default=False
        The objective's direction.

    Returns
    -------
    DataFrame
        Columns ``trial``, ``objective`` (best so far), ``ari``.
    """
    sign = -1.0 if minimize else 1.0
    rows, best, best_ari = [], -math.inf, math.nan
    ordered = trials.sort_values("trial")
    values = pd.to_numeric(ordered["value"], errors="coerce").to_numpy(dtype=float)
    aris = ordered["ari"].to_numpy(dtype=float)
    for trial, value, ari in zip(ordered["trial"], values, aris, strict=True):
        if math.isfinite(value) and sign * value > best:
            best, best_ari = sign * value, float(ari)
        rows.append({"trial": trial, "objective": sign * best, "ari": best_ari})
    return pd.DataFrame(rows, columns=["trial", "objective", "ari"])


def best_so_far(study: optuna.Study) -> pd.DataFrame:
    """Per trial: the best objective so far and the ARI of the trial holding it.

    Parameters
    ----------
    study : optuna.Study

    Returns
    -------
    DataFrame
        Columns ``trial``, ``objective``, ``ari`` (see :func:`best_so_far_of`).
    """
    trials = pd.DataFrame(
        [
            {"trial": i, "value": t.value, "ari": t.user_attrs.get("ari", math.nan)}
            for i, t in enumerate(own_trials(study), start=1)
        ],
        columns=["trial", "value", "ari"],
    )
    return best_so_far_of(trials, study.direction == optuna.study.StudyDirection.MINIMIZE)


#: Readable names of the internal indices, for the plot's axis.
INDEX_NAMES = {
    "silhouette": "silhouette",
    "calinski_harabasz": "Calinski-Harabasz",
    "davies_bouldin": "Davies-Bouldin",
    "dbcv": "DBCV",
}


def objective_label(study: optuna.Study) -> str:
    """What a study's objective is, in words: the learned score or the index and direction.

    Parameters
    ----------
    study : optuna.Study
        A study of :func:`tune`.

    Returns
    -------
    str

    Examples
    --------
    >>> import optuna
    >>> s = optuna.create_study(direction="minimize")
    >>> s.set_user_attr("objective", "davies_bouldin")
    >>> objective_label(s)
    'Davies-Bouldin (lower is better)'
    """
    objective = study.user_attrs.get("objective")
    if objective == "surrogate":
        return "learned score (ranks by expected ARI; higher is better)"
    lower = study.direction == optuna.study.StudyDirection.MINIMIZE
    name = INDEX_NAMES.get(str(objective), "your objective")
    return f"{name} ({'lower' if lower else 'higher'} is better)"


def trial_position(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> int:
    """``trial``'s place (1, 2, ...) among :func:`own_trials`: the x of :func:`best_so_far`.

    Parameters
    ----------
    study : optuna.Study
    trial : FrozenTrial
        One of the study's own trials.

    Returns
    -------
    int
    """
    numbers = [t.number for t in own_trials(study)]
    return numbers.index(trial.number) + 1


def plot_progress(studies: dict[str, optuna.Study], path: str) -> Any:
    """Each trial's objective value, coloured by algorithm, the best so far, and the
    trial the search returns; beside it the ARI when labels are known.

    The title names the datasets (a study Optuna named itself, ``no-name-...``, or
    :func:`tune` named ``metarec-...``, is named after its dataset). The x axis
    counts the study's own trials from 1, as :func:`trial_position` does, in whole
    numbers. Every trial with a value is a dot in its algorithm's colour; the trial
    the search returns (:func:`best_trial`) is a star, labelled with how it was
    selected. The ARI panel is drawn only when some trial has an ARI (the data had
    labels).

    Parameters
    ----------
    studies : mapping
        Name -> study.
    path : path
        The image file to write.

    Returns
    -------
    matplotlib.figure.Figure
        The figure written (closed: for reading back its texts).
    """
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    named = {}
    for name, study in studies.items():
        if name.startswith(("no-name-", "metarec-")):
            name = str(study.user_attrs.get("dataset", name))
        named[name] = study
    curves = {name: best_so_far(study) for name, study in named.items()}
    with_ari = any(c["ari"].notna().any() for c in curves.values())
    fig, axes = plt.subplots(1, 2 if with_ari else 1, figsize=(11 if with_ari else 6, 4.2))
    axes = list(np.atleast_1d(axes))
    algorithms = sorted({_algorithm_of(t) for study in named.values() for t in own_trials(study)})
    cmap = plt.get_cmap("tab20")
    colour = {a: cmap(i % 20) for i, a in enumerate(algorithms)}
    shown: set[str] = set()
    star = {"marker": "*", "ms": 15, "mfc": "none", "mec": "black", "mew": 1.5, "ls": ""}
    for name, study in named.items():
        curve = curves[name]
        axes[0].step(
            curve["trial"],
            curve["objective"],
            where="post",
            color="0.35",
            lw=1.2,
            label=f"{name}: best so far" if len(named) > 1 else "best so far",
        )
        for i, t in enumerate(own_trials(study), start=1):
            if t.value is None or not math.isfinite(t.value):
                continue
            a = _algorithm_of(t)
            axes[0].plot(
                [i], [t.value], "o", ms=5, color=colour[a], label=None if a in shown else a
            )
            shown.add(a)
            if with_ari and t.user_attrs.get("ari") is not None:
                axes[1].plot([i], [t.user_attrs["ari"]], "o", ms=5, color=colour[a])
        if not any(t.value is not None and math.isfinite(t.value) for t in own_trials(study)):
            continue
        picked = best_trial(study)
        at = trial_position(study, picked)
        how = study.user_attrs.get("select", "consensus") if _selected(study) else "objective"
        axes[0].plot([at], [picked.value], **star, label=f"returned: trial {at} ({how})")
        if with_ari and picked.user_attrs.get("ari") is not None:
            axes[1].plot([at], [picked.user_attrs["ari"]], **star)
    first = next(iter(named.values()))
    axes[0].set_xlabel("trial")
    axes[0].set_ylabel("\n".join(textwrap.wrap(objective_label(first), 34)))
    if with_ari:
        axes[1].set(xlabel="trial", ylabel="ARI (reference labels)")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(f"metarec tune: {', '.join(named)}")
    axes[0].legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return fig


def _algorithm_of(trial: optuna.trial.FrozenTrial) -> str:
    """The algorithm a trial ran ("?" when it recorded none)."""
    return str(trial.user_attrs.get("config", {}).get("algorithm", "?"))
