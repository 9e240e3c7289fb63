"""Typed errors raised by metarec.

Every error carries a one-line message that says what went wrong and what to do
about it.  The CLI prints ``metarec: <message>`` and exits with status 2 for any
:class:`MetarecError`; nothing else is caught.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = [
    "AllMissingError",
    "ArgumentError",
    "ConstantDataError",
    "EmptyDataError",
    "FileReadError",
    "InvalidDataError",
    "LabelError",
    "MetaFeatureError",
    "MetarecError",
    "MetarecWarning",
    "MissingExtraError",
    "NonFiniteValueError",
    "NonNumericValueError",
    "OpenMLDatasetNotFoundError",
    "OpenMLError",
    "OpenMLUnavailableError",
    "StaleModelWarning",
    "TooFewRowsError",
    "UnknownDatasetError",
    "check_count",
    "check_seconds",
    "choice",
    "count",
    "described",
    "first_line",
    "require_torch",
    "seconds",
    "validate_arguments",
]


class MetarecError(Exception):
    """Base class of every error metarec raises on purpose."""


class InvalidDataError(MetarecError, ValueError):
    """The data cannot be clustered as given."""


class EmptyDataError(InvalidDataError):
    """The table has no rows or no columns."""


class TooFewRowsError(InvalidDataError):
    """The table has fewer than two rows."""


class AllMissingError(InvalidDataError):
    """Every value of the table is missing."""


class ConstantDataError(InvalidDataError):
    """Every column holds a single value, so there is nothing to cluster."""


class NonFiniteValueError(InvalidDataError):
    """A numeric column holds +inf or -inf."""


class NonNumericValueError(InvalidDataError):
    """A numeric column holds a value that is not a number."""


class LabelError(InvalidDataError):
    """Ground-truth labels do not fit the feature table."""


class FileReadError(MetarecError, OSError):
    """A data file is missing, unreadable, truncated or of an unknown format."""


class UnknownDatasetError(MetarecError, LookupError):
    """A dataset name does not resolve to anything loadable."""


class OpenMLError(MetarecError):
    """Base class of the errors raised when talking to OpenML."""


class OpenMLDatasetNotFoundError(OpenMLError, UnknownDatasetError):
    """OpenML has no dataset with the requested id."""


class OpenMLUnavailableError(OpenMLError, ConnectionError):
    """OpenML cannot be reached and the dataset is not in the local cache."""


class MissingExtraError(MetarecError, ImportError):
    """A feature needs an optional dependency that is not installed (``metarec[train]``)."""


def require_torch(what: str) -> None:
    """Raise :class:`MissingExtraError` in one line when torch is not installed.

    Parameters
    ----------
    what : str
        What needs it, for the message ("training the neural meta-learner").

    Examples
    --------
    >>> require_torch("this example")  # torch is installed where the docs are tested
    """
    try:
        import torch  # noqa: F401  (what is needed next anyway)
    except ImportError:
        raise MissingExtraError(
            f"{what} needs torch, which is not installed: pip install 'metarec[train]' "
            "(for the CPU build: pip install torch --index-url "
            "https://download.pytorch.org/whl/cpu)"
        ) from None


class ArgumentError(MetarecError, ValueError):
    """An argument of a metarec function is out of its range or of the wrong type
    (a ``ValueError``, as scikit-learn's parameter validation raises)."""


def check_count(name: str, value: object, minimum: int = 1) -> int:
    """``value`` as a whole number of at least ``minimum``, or an :class:`ArgumentError`.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
        What was passed.
    minimum : int, default=1
        The smallest value allowed.

    Returns
    -------
    int

    Examples
    --------
    >>> check_count("top", 3)
    3
    """
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ArgumentError(f"{name} must be a whole number of at least {minimum}, got {value!r}")
    return int(value)


def check_seconds(name: str, value: object, optional: bool = True) -> float | None:
    """``value`` as a positive finite number of seconds (or None when ``optional``),
    or an :class:`ArgumentError`.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
        What was passed.
    optional : bool, default=True
        Whether None (no limit) is allowed.

    Returns
    -------
    float or None

    Examples
    --------
    >>> check_seconds("time_limit", 60)
    60.0
    """
    import math
    import numbers

    if value is None and optional:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0 < float(value) < math.inf
    ):
        raise ArgumentError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(value)


#: A rule of :func:`validate_arguments`: (argument name, value) -> the value to use.
Rule = Callable[[str, Any], Any]


def count(minimum: int = 1, optional: bool = False) -> Rule:
    """A rule: a whole number of at least ``minimum`` (``None`` too, when ``optional``).

    Parameters
    ----------
    minimum : int, default=1
        The smallest value allowed.
    optional : bool, default=False
        Whether ``None`` is allowed.

    Returns
    -------
    callable
        The rule, for :func:`validate_arguments`.
    """

    def rule(name: str, value: Any) -> Any:
        return None if value is None and optional else check_count(name, value, minimum)

    return rule


def seconds(optional: bool = True) -> Rule:
    """A rule: a positive finite number of seconds (``None`` too, when ``optional``).

    Parameters
    ----------
    optional : bool, default=True
        Whether ``None`` (no limit) is allowed.

    Returns
    -------
    callable
        The rule, for :func:`validate_arguments`.
    """

    def rule(name: str, value: Any) -> Any:
        return check_seconds(name, value, optional)

    return rule


def choice(*allowed: Any) -> Rule:
    """A rule: one of ``allowed``.

    Parameters
    ----------
    *allowed : object
        The values allowed.

    Returns
    -------
    callable
        The rule, for :func:`validate_arguments`.
    """

    def rule(name: str, value: Any) -> Any:
        if value not in allowed:
            shown = ", ".join(repr(a) for a in allowed)
            raise ArgumentError(f"{name} must be one of {shown}, got {value!r}")
        return value

    return rule


F = TypeVar("F", bound=Callable[..., Any])


def validate_arguments(**rules: Rule) -> Callable[[F], F]:
    """Declare the checks of a public function's arguments, as scikit-learn's
    ``validate_params`` does: each named argument passes its rule before the
    function runs (the rule's result replaces it), so a bad one is a one-line
    :class:`ArgumentError` (a ``ValueError``) and nothing has started.

    Parameters
    ----------
    **rules : callable
        Argument name -> rule (:func:`count`, :func:`seconds`, :func:`choice`, or
        any callable of (name, value) that returns the value or raises).

    Returns
    -------
    callable
        The decorator.

    Examples
    --------
    >>> @validate_arguments(n=count(1))
    ... def repeat(text, n=2):
    ...     return text * n
    >>> repeat("ab", n=3)
    'ababab'
    >>> repeat("ab", n=0)
    Traceback (most recent call last):
    ...
    metarec.exceptions.ArgumentError: n must be a whole number of at least 1, got 0
    """
    import functools
    import inspect

    def decorate(function: F) -> F:
        signature = inspect.signature(function)
        unknown = set(rules) - set(signature.parameters)
        if unknown:
            raise TypeError(f"{function.__name__} has no argument(s) {sorted(unknown)}")

        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, rule in rules.items():
                bound.arguments[name] = rule(name, bound.arguments[name])
            return function(*bound.args, **bound.kwargs)

        checked.__wrapped_rules__ = dict(rules)  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


class MetaFeatureError(MetarecError, ValueError):
    """Bad arguments to the meta-feature extractor (unknown group, bad sample size)."""


class MetarecWarning(UserWarning):
    """Something the user should know about but that does not stop the work."""


class StaleModelWarning(MetarecWarning):
    """Saved models were trained on a different state of the meta-database."""


def first_line(exc: BaseException, limit: int | None = None) -> str:
    """The first line of ``exc``'s message (at most ``limit`` characters), or the name
    of its type when it says nothing: what a one-line error quotes of its cause.

    Parameters
    ----------
    exc : BaseException
        The error caught.
    limit : int, optional
        At most this many characters (``None``: the whole line).

    Returns
    -------
    str

    Examples
    --------
    >>> first_line(ValueError("bad value\\nat line 3")), first_line(KeyError())
    ('bad value', 'KeyError')
    """
    text = str(exc)
    line = text.splitlines()[0] if text else type(exc).__name__
    return line[:limit] if limit is not None else line


def described(exc: BaseException, limit: int = 160) -> str:
    """``exc``'s type and the first line of what it says (``"TypeName: line"``), or its
    type alone when it says nothing: for errors of readers whose types tell the user
    something (lightgbm, torch, numpy).

    Parameters
    ----------
    exc : BaseException
        The error caught.
    limit : int, default=160
        At most this many characters of its message.

    Returns
    -------
    str

    Examples
    --------
    >>> described(ValueError("  truncated file\\n...")), described(EOFError())
    ('ValueError: truncated file', 'EOFError')
    """
    text = str(exc).strip()
    reason = text.splitlines()[0][:limit] if text else ""
    return f"{type(exc).__name__}{': ' + reason if reason else ''}"
