"""Words and math for values: initial values, distributions, constants, connection patterns.

Every function here returns *rich text*: plain words with LaTeX math between ``$``
and code between backticks, which the Markdown and LaTeX writers both understand.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy

from ..equations import parse_expression
from ..errors import JnsimError
from ..functions import DEFAULT_CONSTANTS
from ..namespace import ExternalConstant, resolve_external
from ..sympy_conversion import rand, randn
from ..units import UNITS, Dimensions, dimensions_of, registry, to_si
from .typeset import (
    expression_latex,
    expression_sympy,
    quantity_latex,
    quantity_text,
    sympy_latex,
    unit_symbol_value,
)

__all__ = [
    "connection_pattern",
    "describe_assignment",
    "distribution_latex",
    "evaluate_quantity",
    "resolve_constant",
]

_SECOND = Dimensions({"[time]": 1})


# -- safe evaluation of quantity text ("5*ms", "-65. * mvolt") ----------------------------

_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
           ast.Pow: lambda a, b: a ** b}


def evaluate_quantity(text: str, namespace: Mapping[str, Any] | None = None) -> Any:
    """Evaluate arithmetic on numbers, units and named quantities, without ``eval``.

    Parameters
    ----------
    text
        E.g. ``'5*ms'``, ``'-65. * mvolt'``, ``'2*tau_ref'``.
    namespace
        Where other names are looked up (numbers and quantities only).

    Returns
    -------
    A pint quantity or a number.

    Raises
    ------
    JnsimError
        For anything but numbers, names of scalar values and ``+ - * / **``;
        the message names the offending part.
    """
    expression = parse_expression(text)
    return _evaluate_node(expression.tree, namespace or {}, text)


def _evaluate_node(node: ast.AST, namespace: Mapping[str, Any], text: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not (
            isinstance(node.value, bool)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate_node(node.operand, namespace, text)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left = _evaluate_node(node.left, namespace, text)
        right = _evaluate_node(node.right, namespace, text)
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.Name):
        if node.id in namespace:
            value = namespace[node.id]
            if isinstance(value, registry.Unit):
                return value
            magnitude = getattr(value, "magnitude", value)
            if np.ndim(magnitude) == 0 and isinstance(magnitude, int | float | np.number) and (
                    not isinstance(magnitude, bool)):
                return value
            raise JnsimError(f"'{node.id}' in '{text}' is not a single number or quantity")
        if node.id in UNITS:
            return UNITS[node.id]
        if node.id in DEFAULT_CONSTANTS and node.id != "inf":
            return DEFAULT_CONSTANTS[node.id]
        raise JnsimError(f"'{node.id}' in '{text}' is not defined",
                         hint=f"define it (e.g. '{node.id} = 5*ms') or write the value")
    raise JnsimError(f"'{text}' is not a value",
                     hint="write a number times a unit, e.g. '5*ms'")


# -- constants ---------------------------------------------------------------------------

def resolve_constant(name: str, namespace: Mapping[str, Any] | None) -> ExternalConstant | None:
    """The external constant ``name`` refers to, or ``None`` (never raises)."""
    try:
        found = resolve_external(name, namespace, "caller", as_function=False)
    except JnsimError:
        return None
    return found if isinstance(found, ExternalConstant) else None


# -- distributions -----------------------------------------------------------------------

def _quantity_value(expression: sympy.Expr) -> Any | None:
    """``expression`` as a quantity (or a number) when it is made of numbers and units
    only (``4*ms + 1*ms`` is 5 ms), else ``None``."""
    if expression.is_number:
        return float(expression) if expression.is_real else None
    symbols = [s for s in expression.free_symbols if isinstance(s, sympy.Symbol)]
    units = {s: unit_symbol_value(s) for s in symbols}
    if len(symbols) < len(expression.free_symbols) or any(u is None for u in units.values()):
        return None
    plain = expression.xreplace({s: sympy.Symbol(f"unit{i}") for i, s in enumerate(symbols)})
    namespace = {f"unit{i}": 1.0 * units[s] for i, s in enumerate(symbols)}
    try:
        return evaluate_quantity(sympy.sstr(plain), namespace)
    except (JnsimError, TypeError, ValueError, ZeroDivisionError, AttributeError):
        return None


def _scale(*values: Any) -> float | None:
    """The largest magnitude among the quantities ``values`` (``None`` entries left out)."""
    magnitudes = [abs(float(to_si(v))) for v in values if v is not None]
    return max(magnitudes) if magnitudes else None


def _parameter_latex(value: sympy.Expr, synaptic: bool, scale: float | None = None) -> str:
    """A parameter of a distribution: a quantity (``1\\,\\mathrm{ms}``, in the unit
    that suits ``scale``) or an expression."""
    quantity = _quantity_value(value)
    if quantity is not None:
        return quantity_latex(float(to_si(quantity)), dimensions_of(quantity), scale)
    return sympy_latex(value, synaptic)


def _variance_latex(sigma: sympy.Expr, synaptic: bool, scale: float | None = None) -> str:
    """``sigma**2``: a number squared, or ``(5\\,\\mathrm{mV})^{2}`` with units."""
    quantity = _quantity_value(sigma)
    if quantity is None:
        return sympy_latex(sigma ** 2, synaptic)
    if isinstance(quantity, float):
        return quantity_latex(quantity ** 2)
    text = quantity_latex(abs(float(to_si(quantity))), dimensions_of(quantity), scale)
    return rf"\left({text}\right)^{{2}}"


def distribution_latex(expression: sympy.Basic, synaptic: bool = False) -> str | None:
    """``\\mathcal{U}(a, b)`` or ``\\mathcal{N}(\\mu, \\sigma^2)`` for ``a + (b-a)*rand()``
    and ``mu + sigma*randn()``; ``None`` for anything else.

    Parameters made of numbers and units are shown as quantities in one unit,
    computed from the whole expression: ``1*ms + 4*ms*rand()`` is
    :math:`\\mathcal{U}(1\\,\\mathrm{ms}, 5\\,\\mathrm{ms})` (use
    :func:`~jnsim.report.typeset.expression_sympy` to keep ``1*ms`` as written).
    """
    draws = [a for a in expression.atoms(sympy.Function) if isinstance(a, rand | randn)]
    if len(draws) != 1:
        return None
    draw = draws[0]
    u = sympy.Dummy("u")
    replaced = expression.xreplace({draw: u})
    try:
        polynomial = sympy.Poly(replaced, u)
    except sympy.PolynomialError:
        return None
    if polynomial.degree() != 1:
        return None
    slope, intercept = polynomial.all_coeffs()
    if isinstance(draw, rand):
        low, high = intercept, sympy.simplify(intercept + slope)
        if _is_negative(slope):
            low, high = high, low
        scale = _scale(_quantity_value(low), _quantity_value(high))
        return (rf"\mathcal{{U}}\left({_parameter_latex(low, synaptic, scale)}, "
                rf"{_parameter_latex(high, synaptic, scale)}\right)")
    scale = _scale(_quantity_value(intercept), _quantity_value(slope))
    return (rf"\mathcal{{N}}\left({_parameter_latex(intercept, synaptic, scale)}, "
            rf"{_variance_latex(slope, synaptic, scale)}\right)")


def _is_negative(value: sympy.Expr) -> bool:
    """Whether ``value`` is negative (a quantity such as ``-2*ms`` included)."""
    if value.is_negative:
        return True
    quantity = _quantity_value(value)
    return quantity is not None and float(to_si(quantity)) < 0


# -- assigned values ---------------------------------------------------------------------

def describe_assignment(text: Any, dims: Dimensions | None, synaptic: bool = False) -> str:
    """Rich text for a value recorded in a group's ``initializers``.

    A quantity or number (``-65*mV``) and the text ``'-65. * mvolt'`` become
    ``-65 mV``; an expression with ``rand()`` becomes its distribution; other
    expressions are typeset.
    """
    if not isinstance(text, str):
        try:
            if hasattr(text, "units"):
                return quantity_text(text)
            return quantity_text(float(to_si(text)), dimensions_of(text))
        except (JnsimError, TypeError, ValueError):
            return f"`{text!r}`"
    if text.startswith("linked to "):
        return f"linked to `{text[len('linked to '):]}`"
    if text == "values given per element":
        return "given per element"
    suffix = ""
    if text.endswith(" (for some elements)"):
        text, suffix = text[: -len(" (for some elements)")], " (for some elements)"
    try:
        value = evaluate_quantity(text)
        if hasattr(value, "units"):
            return quantity_text(value) + suffix
        return quantity_text(float(to_si(value)), dimensions_of(value)) + suffix
    except (JnsimError, TypeError, ValueError, ZeroDivisionError, AttributeError):
        pass
    try:
        expression = parse_expression(text)
    except JnsimError:
        return f"`{text}`{suffix}"
    distribution = distribution_latex(expression_sympy(expression), synaptic)
    if distribution is not None:
        return f"${distribution}${suffix}"
    return f"${expression_latex(expression, synaptic)}${suffix}"


# -- connection patterns -----------------------------------------------------------------

_SAMPLE_SIZE = re.compile(r"sample\([^)]*size\s*=\s*([^),]+)\)")
_SAMPLE_P = re.compile(r"sample\([^)]*p\s*=\s*([^),]+)\)")


def _condition_latex(text: str) -> str:
    try:
        return f"${expression_latex(parse_expression(text), synaptic=True)}$"
    except JnsimError:
        return f"`{text}`"


def _generator_words(text: str, target: str) -> str:
    other = "i" if target == "j" else "j"
    if text.strip() == other:
        return "one-to-one"
    size = _SAMPLE_SIZE.search(text)
    if size:
        per = "source" if target == "j" else "target"
        return f"fixed number ({_condition_latex(size.group(1))}) per {per}, drawn at random"
    probability = _SAMPLE_P.search(text)
    if probability:
        return f"random, probability {_condition_latex(probability.group(1))}"
    return f"`{target} = {text.strip()}`"


def connection_pattern(entry: Mapping[str, Any]) -> str:
    """Rich text for one ``connect()`` call as recorded in ``Synapses.connections``."""
    i, j = entry.get("i"), entry.get("j")
    if i == "explicit" or j == "explicit":
        words = "explicit list of pairs"
    elif isinstance(j, str):
        words = _generator_words(j, "j")
    elif isinstance(i, str):
        words = _generator_words(i, "i")
    else:
        p = entry.get("p", 1.0)
        if isinstance(p, str):
            words = f"random, probability {_condition_latex(p)}"
        elif p == 1:
            words = "all-to-all"
        else:
            words = f"random, probability {p:g}"
    condition = entry.get("condition")
    if condition:
        words += f" where {_condition_latex(condition)}"
    n = entry.get("n", 1)
    if isinstance(n, str):
        words += f", {_condition_latex(n)} synapses per pair"
    elif n != 1:
        words += f", {n} synapses per pair"
    created = entry.get("created")
    if created is not None:
        words += f" ({created} synapses)"
    return words
