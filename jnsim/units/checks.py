"""Brian 2's unit helpers for user code: ``check_units``, ``have_same_dimensions``,
``get_dimensions``, ``get_or_create_dimension`` and ``DimensionMismatchError``.

Dimensions are pint's containers of base dimensions (``[length]``, ``[mass]``, ...), the
same values jnsim uses internally; a plain number has no dimensions.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pint.util import UnitsContainer

from ..errors import UnitError
from . import DIMENSIONLESS, Dimensions, dimensions_of, unit_words

__all__ = [
    "DimensionMismatchError",
    "check_units",
    "get_dimensions",
    "get_or_create_dimension",
    "have_same_dimensions",
]

# Brian's order of the SI base dimensions, for get_or_create_dimension's list form.
_BASE_DIMENSIONS = ("[length]", "[mass]", "[time]", "[current]", "[temperature]",
                    "[substance]", "[luminosity]")
_KEYWORDS = {
    "length": "[length]", "m": "[length]", "metre": "[length]", "meter": "[length]",
    "mass": "[mass]", "kg": "[mass]", "kilogram": "[mass]",
    "time": "[time]", "s": "[time]", "second": "[time]",
    "current": "[current]", "A": "[current]", "amp": "[current]", "ampere": "[current]",
    "temperature": "[temperature]", "K": "[temperature]", "kelvin": "[temperature]",
    "substance": "[substance]", "mol": "[substance]", "mole": "[substance]",
    "luminosity": "[luminosity]", "cd": "[luminosity]", "candle": "[luminosity]",
    "candela": "[luminosity]",
}


class DimensionMismatchError(UnitError):
    """Values whose units disagree where they must agree (Brian's name for it)."""


def get_dimensions(value: Any) -> Dimensions:
    """The dimensions of a quantity, a unit or a number (numbers have none)."""
    return dimensions_of(value)


def have_same_dimensions(first: Any, second: Any) -> bool:
    """Whether two values (quantities, units, numbers or dimensions) have equal
    dimensions: ``have_same_dimensions(3*mV, volt)`` is true."""
    return _dims(first) == _dims(second)


def get_or_create_dimension(*exponents: Sequence[float] | float, **named: float
                            ) -> Dimensions:
    """Dimensions from the exponents of the seven SI base dimensions, in Brian's order
    (length, mass, time, current, temperature, substance, luminosity), given as one
    sequence, as seven numbers, or by name (``length=1, time=-2``, or ``m=1, s=-2``)."""
    values: dict[str, float] = {}
    if exponents:
        if named:
            raise TypeError("give the exponents as a sequence or by name, not both")
        sequence = exponents[0] if len(exponents) == 1 else exponents
        sequence = list(sequence)  # type: ignore[arg-type]
        if len(sequence) != len(_BASE_DIMENSIONS):
            raise TypeError("give the exponents of all seven SI base dimensions")
        values = dict(zip(_BASE_DIMENSIONS, sequence, strict=True))
    for name, exponent in named.items():
        if name not in _KEYWORDS:
            raise TypeError(f"'{name}' is not an SI base dimension; use one of "
                            "length, mass, time, current, temperature, substance, "
                            "luminosity")
        values[_KEYWORDS[name]] = exponent
    return UnitsContainer({key: float(value) for key, value in values.items() if value})


def _dims(value: Any) -> Dimensions:
    if isinstance(value, UnitsContainer):
        return value
    return dimensions_of(value)


def _check_one(name: str, value: Any, expected: Any, bound: dict[str, Any],
               function: str) -> None:
    if expected is None:
        return
    if expected is bool:
        if not isinstance(value, bool | np.bool_):
            raise TypeError(f"argument '{name}' of {function}() must be a boolean, "
                            f"not {type(value).__name__}")
        return
    if isinstance(expected, str):  # the same units as another argument
        expected = bound[expected]
    if value is None:
        return
    wanted = DIMENSIONLESS if expected == 1 else _dims(expected)
    given = _dims(value)
    if given != wanted:
        has = ("is a plain number" if given == DIMENSIONLESS
               else f"has units of {unit_words(given)}")
        should = ("be a plain number" if wanted == DIMENSIONLESS
                  else f"have units of {unit_words(wanted)}")
        raise DimensionMismatchError(f"argument '{name}' of {function}() should {should}, "
                                     f"but {has}")


def check_units(**expected: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Check the units of a function's arguments and result, as Brian's decorator does.

    Each keyword names an argument (or ``result``) and its units: a unit (``volt``),
    ``1`` for a plain number, ``bool``, ``None`` for any value, or the name of another
    argument whose units it must share.

    Examples
    --------
    >>> @check_units(v=volt, tau=second, result=volt/second)
    ... def slope(v, tau):
    ...     return v / tau
    """

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(function)

        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            for name, value in arguments.items():
                if name in expected:
                    _check_one(name, value, expected[name], arguments, function.__name__)
            result = function(*args, **kwargs)
            if "result" in expected:
                _check_one("result", result, expected["result"], arguments,
                           function.__name__)
            return result

        checked._jnsim_units = dict(expected)  # type: ignore[attr-defined]
        return checked

    return decorate
