"""The bridge to Optuna: the space's distributions, sampling a configuration in a trial, and
metarec's parameter names to Optuna's and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # optuna is imported where it is used: recommending does not need it
    import optuna
    from optuna.distributions import BaseDistribution
from metarec.space._algorithms import ALGORITHMS, PREPROCESSING
from metarec.space._configurations import canonicalize
from metarec.space._params import Param

__all__ = [
    "distributions",
    "from_optuna_params",
    "random_configs",
    "suggest_config",
    "to_optuna_params",
]


# ------------------------------------------------------------------ optuna
def distributions(algorithms: list[str] | None = None) -> dict[str, BaseDistribution]:
    """Every Optuna parameter of the space: ``algorithm``, preprocessing, ``<algo>.<param>``.

    Parameters
    ----------
    algorithms : list of str, optional
        Restrict to these algorithms (default: all).

    Returns
    -------
    dict
        Optuna parameter name -> distribution.
    """
    from optuna.distributions import CategoricalDistribution

    names = algorithms or list(ALGORITHMS)
    out: dict[str, BaseDistribution] = {"algorithm": CategoricalDistribution(tuple(names))}
    for p in PREPROCESSING:
        out[p.name] = p.distribution()
    for name in names:
        for p in ALGORITHMS[name].params:
            out[f"{name}.{p.name}"] = p.distribution()
    return out


def _suggest(trial: optuna.Trial, name: str, p: Param) -> Any:
    if p.kind == "int":
        return trial.suggest_int(name, int(p.low), int(p.high), log=p.log)
    if p.kind == "float":
        return trial.suggest_float(name, p.low, p.high, log=p.log)
    return trial.suggest_categorical(name, list(p.choices))


def suggest_config(trial: optuna.Trial, algorithms: list[str] | None = None) -> dict[str, Any]:
    """Sample a configuration in an Optuna trial (define-by-run, conditional).

    Parameters
    ----------
    trial : optuna.Trial
    algorithms : list of str, optional
        Restrict to these algorithms (default: all).

    Returns
    -------
    dict
        A canonical configuration.
    """
    name = str(trial.suggest_categorical("algorithm", list(algorithms or ALGORITHMS)))
    spec = ALGORITHMS[name]
    pre = {p.name: _suggest(trial, p.name, p) for p in PREPROCESSING}
    values: dict[str, Any] = {}
    for p in spec.params:
        if p.condition is not None:
            parent, allowed = p.condition
            if values.get(parent) not in allowed:
                continue
        values[p.name] = _suggest(trial, f"{name}.{p.name}", p)
    return canonicalize({"algorithm": name, "params": values, "preprocessing": pre})


def random_configs(
    n: int, random_state: int = 0, algorithms: list[str] | None = None
) -> list[dict[str, Any]]:
    """``n`` configurations drawn at random from the tuning space (Optuna's
    ``RandomSampler`` over :func:`suggest_config`, seeded): what a search meets off
    the design.

    Examples
    --------
    >>> [c["algorithm"] for c in random_configs(2, random_state=0)] == [
    ...     c["algorithm"] for c in random_configs(2, random_state=0)
    ... ]
    True

    Parameters
    ----------
    n : int
        How many draws (repeats are dropped).
    random_state : int, default=0
    algorithms : list of str, optional
        Restrict to these algorithms (default: all).

    Returns
    -------
    list of dict
    """
    import optuna

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=random_state))
        return [suggest_config(study.ask(), algorithms) for _ in range(n)]
    finally:
        optuna.logging.set_verbosity(verbosity)


def to_optuna_params(config: Mapping[str, Any]) -> dict[str, Any]:
    """Flat Optuna parameters of a configuration (for ``enqueue_trial``/``add_trial``).

    Parameters
    ----------
    config : mapping or Configuration

    Returns
    -------
    dict
        Optuna parameter name -> value.
    """
    canon = canonicalize(config)
    name = canon["algorithm"]
    out: dict[str, Any] = {"algorithm": name, **canon["preprocessing"]}
    out.update({f"{name}.{k}": v for k, v in canon["params"].items()})
    return out


def from_optuna_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`to_optuna_params`.

    Parameters
    ----------
    params : mapping
        Optuna parameter name -> value (a trial's ``params``).

    Returns
    -------
    dict
        The canonical configuration.
    """
    name = params["algorithm"]
    prefix = f"{name}."
    return canonicalize(
        {
            "algorithm": name,
            "params": {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)},
            "preprocessing": {p.name: params[p.name] for p in PREPROCESSING if p.name in params},
        }
    )
