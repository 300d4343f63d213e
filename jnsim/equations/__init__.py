"""The equation language: parsing, validation and the :class:`Equations` object."""

from .equations import Equations
from .expressions import Expression, Statement, parse_expression, parse_statements
from .parser import ALL_FLAGS, EquationKind, SingleEquation, parse_equations
from .symbols import SPECIAL_SYMBOLS, check_defined_name, is_noise_name

__all__ = [
    "ALL_FLAGS",
    "SPECIAL_SYMBOLS",
    "EquationKind",
    "Equations",
    "Expression",
    "SingleEquation",
    "Statement",
    "check_defined_name",
    "is_noise_name",
    "parse_equations",
    "parse_expression",
    "parse_statements",
]
