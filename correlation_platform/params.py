"""Declared ranges for hyper-parameters, checked when an estimator is fitted.

An estimator lists its constructor arguments with the values each accepts
(``PARAMETERS = {"decay": Interval(float, 0, 1, closed="neither"), ...}``) and calls
:func:`validate_params` at the start of ``fit``; a bad value fails there, before any
work, with the accepted range in the message (scikit-learn's ``_parameter_constraints``
does the same; its helpers are private, these are ours).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Closed = Literal["both", "left", "right", "neither"]


@dataclass(frozen=True)
class Interval:
    """Real or whole numbers between two optional ends.

    Parameters
    ----------
    kind : type
        ``int`` (whole numbers only; booleans refused) or ``float`` (any real number).
    low, high : float or None
        The ends; None leaves that side open to infinity.
    closed : {"both", "left", "right", "neither"}
        Which ends belong to the interval.
    """

    kind: type
    low: float | None = None
    high: float | None = None
    closed: Closed = "both"

    def accepts(self, value: object) -> bool:
        """Whether ``value`` has the right kind and lies in the interval.

        Parameters
        ----------
        value : object
            The candidate value.

        Returns
        -------
        bool
            True when ``value`` is accepted.
        """
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, numbers.Integral):
            return False
        if not isinstance(value, numbers.Real) or value != value:  # NaN is never in range
            return False
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and (value < self.low or (not left and value == self.low)):
            return False
        return self.high is None or not (value > self.high or (not right and value == self.high))

    def __str__(self) -> str:
        """The interval in words, e.g. ``an integer in [2, inf)``."""
        kind = "an integer" if self.kind is int else "a number"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        opening = "[" if self.closed in ("both", "left") and self.low is not None else "("
        closing = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        return f"{kind} in {opening}{lo}, {hi}{closing}"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values (strings, booleans, None).

    Parameters
    ----------
    values : tuple
        The accepted values.
    """

    values: tuple

    def accepts(self, value: object) -> bool:
        """Whether ``value`` is one of the options.

        Parameters
        ----------
        value : object
            The candidate value.

        Returns
        -------
        bool
            True when ``value`` is accepted.
        """
        return any(value is v or (type(value) is type(v) and value == v) for v in self.values)

    def __str__(self) -> str:
        """The options in words, e.g. ``one of 'dcc', 'cdcc'``."""
        return "one of " + ", ".join(repr(v) for v in self.values)


Constraint = Interval | Options


def validate_params(owner: str, params: Mapping[str, object], constraints: Mapping) -> None:
    """Refuse the first parameter outside its declared range.

    Parameters
    ----------
    owner : str
        Name used in the message (e.g. the family, ``"ewma"``).
    params : mapping
        Parameter name to value (``estimator.get_params()``).
    constraints : mapping
        Parameter name to an :class:`Interval`, an :class:`Options` or a tuple of them
        (any one accepting is enough).

    Raises
    ------
    ValueError
        Naming the parameter, the accepted range and the value given.
    """
    for name, rule in constraints.items():
        rules = rule if isinstance(rule, tuple) else (rule,)
        value = params[name]
        if not any(r.accepts(value) for r in rules):
            accepted = " or ".join(str(r) for r in rules)
            raise ValueError(f"{owner}: {name} must be {accepted}, got {value!r}")
