"""Typesetting model text as LaTeX math: names, expressions, equations, statements, values.

Names follow the rules of model reports after Nordlie et al. (2009) as ANNarchy's
reporting documents them:

* a single letter stays as it is (``v`` → :math:`v`);
* a Greek letter's name becomes the letter, lower or upper case (``tau`` → ``\\tau``,
  ``theta`` → ``\\theta``, ``Sigma`` → ``\\Sigma``);
* one underscore makes a subscript, multi-letter parts are set as text
  (``tau_exc`` → ``\\tau_{\\text{exc}}``, ``g_e`` → ``g_{e}``);
* a letter followed by digits gets the digits as subscript (``x1`` → ``x_{1}``);
* anything else — several letters, several underscores — is set as text
  (``Vrest`` → ``\\text{Vrest}``, ``w_max_e`` → ``\\text{w\\_max\\_e}``);
* in synapse models the suffixes ``_pre``/``_post`` become superscripts
  (``v_post`` → ``v^{\\text{post}}``).
"""

from __future__ import annotations

import ast
import copy
import math
import re
from typing import Any

import sympy
from sympy.printing.latex import LatexPrinter

from ..equations import EquationKind, Expression, SingleEquation, Statement
from ..sympy_conversion import to_sympy
from ..units import UNITS, Dimensions, dimensions_of, is_dimensionless, to_si, unit_symbol

__all__ = [
    "equation_latex",
    "escape_latex_text",
    "expression_latex",
    "expression_sympy",
    "latex_name",
    "number_latex",
    "quantity_latex",
    "quantity_text",
    "statement_latex",
    "sympy_latex",
    "text_number_latex",
    "unit_latex",
    "unit_scale",
    "unit_symbol_and_factor",
]

_GREEK_LOWER = (
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "varepsilon", "vartheta", "varpi", "varrho", "varsigma", "varphi",
)
# Upper-case Greek letters that look like Latin ones have no LaTeX command.
_GREEK_UPPER_AS_LATIN = {
    "Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H", "Iota": "I",
    "Kappa": "K", "Mu": "M", "Nu": "N", "Omicron": "O", "Rho": "P", "Tau": "T", "Chi": "X",
}
_GREEK_UPPER = ("Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
                "Psi", "Omega")


def _atom(word: str) -> str | None:
    """LaTeX for a single letter or a Greek letter's name, else ``None``."""
    if len(word) == 1 and word.isalpha():
        return word
    if word in _GREEK_LOWER:
        return "\\" + word
    if word == "lamda":  # SymPy's spelling, as 'lambda' is a Python keyword
        return r"\lambda"
    if word == "omicron":
        return "o"
    if word in _GREEK_UPPER:
        return "\\" + word
    if word in _GREEK_UPPER_AS_LATIN:
        return rf"\mathrm{{{_GREEK_UPPER_AS_LATIN[word]}}}"
    return None


def escape_latex_text(text: str) -> str:
    """``text`` with LaTeX's special characters escaped (for ``\\text{}`` and tables)."""
    replacements = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$",
                    "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
                    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
    return "".join(replacements.get(char, char) for char in text)


def _text(word: str) -> str:
    return rf"\text{{{escape_latex_text(word)}}}"


def _word(word: str) -> str:
    atom = _atom(word)
    if atom is not None:
        return atom
    if word.isdigit():
        return word
    return _text(word)


_LETTERS_DIGITS = re.compile(r"([A-Za-z]+?)(\d+)")


def latex_name(name: str, synaptic: bool = False) -> str:
    """The LaTeX of a variable name (see the module docstring for the rules).

    Parameters
    ----------
    name
        An identifier from the model.
    synaptic
        True in synapse models: ``_pre``/``_post`` suffixes become superscripts.

    Examples
    --------
    >>> latex_name("tau_exc")
    '\\\\tau_{\\\\text{exc}}'
    >>> latex_name("v_post", synaptic=True)
    'v^{\\\\text{post}}'
    """
    if synaptic:
        for suffix in ("_pre", "_post"):
            if name.endswith(suffix) and len(name) > len(suffix):
                base = latex_name(name[: -len(suffix)])
                if "_" in base or "^" in base:
                    base = "{" + base + "}"
                return f"{base}^{{\\text{{{suffix[1:]}}}}}"
    atom = _atom(name)
    if atom is not None:
        return atom
    parts = name.split("_")
    if len(parts) == 1:
        match = _LETTERS_DIGITS.fullmatch(name)
        if match and _atom(match.group(1)) is not None:
            return f"{_atom(match.group(1))}_{{{match.group(2)}}}"
        return _text(name)
    if len(parts) == 2 and all(parts):
        return f"{_word(parts[0])}_{{{_word(parts[1])}}}"
    return _text(name)


#: Separator in the name of the symbol standing for ``number*unit`` as written
#: (``mV:13`` for ``13*mV``; a name no model can use).
_QUANTITY = ":"


def _number_times_unit(node: ast.BinOp) -> ast.expr | None:
    """The marker for ``node`` if it is ``number*unit`` or ``unit*number`` (or
    ``-number*unit``), else ``None``."""
    if not isinstance(node.op, ast.Mult):
        return None
    for number, unit in ((node.left, node.right), (node.right, node.left)):
        negative = isinstance(number, ast.UnaryOp) and isinstance(number.op, ast.USub)
        constant = number.operand if negative else number  # type: ignore[attr-defined]
        if (isinstance(constant, ast.Constant) and isinstance(constant.value, int | float)
                and not isinstance(constant.value, bool) and isinstance(unit, ast.Name)
                and len(unit.id) > 1 and unit.id in UNITS):
            marker: ast.expr = ast.Name(f"{unit.id}{_QUANTITY}{constant.value!r}", ast.Load())
            if negative:
                marker = ast.UnaryOp(ast.USub(), marker)
            return ast.copy_location(marker, node)
    return None


def _keep_quantities(node: ast.AST) -> ast.AST:
    """``node`` with ``13*mV`` replaced by a symbol typeset as ``13\\,\\mathrm{mV}``:
    SymPy would show a product (``13 \\cdot \\mathrm{mV}``), and drop the factor 1
    of ``v > 1*mV`` (``v > mV``).

    The tree is not changed: changed nodes are new, the rest is shared.  (Deep
    copies are slow: in IPython the parser's shared ``ast.Load()`` and operator
    instances carry attributes, which a deep copy would copy too.)
    """
    changes: dict[str, Any] = {}
    for name, value in ast.iter_fields(node):
        if isinstance(value, ast.AST):
            new = _keep_quantities(value)
            if new is not value:
                changes[name] = new
        elif isinstance(value, list):
            items = [_keep_quantities(v) if isinstance(v, ast.AST) else v for v in value]
            if any(a is not b for a, b in zip(items, value, strict=True)):
                changes[name] = items
    if changes:
        node = copy.copy(node)  # shallow: the unchanged children stay shared
        for name, value in changes.items():
            setattr(node, name, value)
    if isinstance(node, ast.BinOp):
        return _number_times_unit(node) or node
    return node


def _symbol_latex(name: str, synaptic: bool) -> str:
    if _QUANTITY in name:  # 13*mV as written (see _keep_quantities)
        unit, number = name.split(_QUANTITY)
        value = float(number)
        if len(unit) > 1 and unit in UNITS:
            factor = float(to_si(UNITS[unit]))
            text = quantity_latex(value * factor, dimensions_of(UNITS[unit]), factor)
            if text.split("\\,")[0] == number_latex(value):
                return text  # the unit has a usual symbol (mvolt is mV)
        return f"{number_latex(value)}\\,{_symbol_latex(unit, synaptic)}"
    if name == "dt":
        return r"\Delta t"
    # Multi-letter unit names (ms, mV, nS, amp) are set upright; single letters may be
    # model variables (C, A) and follow the naming rules.
    if len(name) > 1 and name in UNITS:
        unit = UNITS[name]
        text = quantity_latex(float(to_si(unit)), dimensions_of(unit))
        return text[3:] if text.startswith("1\\,") else rf"\mathrm{{{name}}}"
    return latex_name(name, synaptic)


def _symbol_names(expression: sympy.Basic, synaptic: bool) -> dict[sympy.Symbol, str]:
    return {s: _symbol_latex(s.name, synaptic) for s in expression.free_symbols
            if isinstance(s, sympy.Symbol)}


#: Longest exponent (in LaTeX characters) set as a superscript ``e^{...}``; longer
#: ones are set as ``\exp\left(...\right)``, readable at full size.
EXP_SUPERSCRIPT_CHARS = 12


class _LatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with products as dots but numbers as
    ``6.6 \\times 10^{-5}``, ``\\exp(...)`` for long exponents, and sums in the order
    their terms are written in the user's text (``positions``) where known."""

    def __init__(self, settings: dict[str, Any], positions: dict[Any, int] | None = None):
        super().__init__(settings)
        self._settings["mul_symbol_latex_numbers"] = r" \times "
        self._positions = positions or {}

    def _print_Mul(self, expr: sympy.Mul) -> str:
        """A number times a unit (made by SymPy's arithmetic) as a quantity."""
        coefficient, factors = expr.as_coeff_mul()
        if (len(factors) == 1 and isinstance(factors[0], sympy.Symbol)
                and isinstance(coefficient, sympy.Integer | sympy.Float)
                and unit_symbol_value(factors[0]) is not None
                and _QUANTITY not in factors[0].name):
            return f"{number_latex(float(coefficient))}\\,{self._print(factors[0])}"
        return super()._print_Mul(expr)

    def _print_exp(self, expr: sympy.Basic, exp: Any = None) -> str:
        argument = self._print(expr.args[0])
        if len(argument) <= EXP_SUPERSCRIPT_CHARS and "\\frac" not in argument:
            text = f"e^{{{argument}}}"
            return text if exp is None else f"\\left({text}\\right)^{{{exp}}}"
        text = f"\\exp\\left({argument}\\right)"
        return text if exp is None else f"{text}^{{{exp}}}"

    def _as_ordered_terms(self, expr: sympy.Basic, order: Any = None) -> list[Any]:
        terms = super()._as_ordered_terms(expr, order=order)
        if not (self._positions and getattr(expr, "is_Add", False)):
            return terms
        return sorted(terms, key=self._written_at)  # stable: ties keep SymPy's order

    def _written_at(self, term: sympy.Basic) -> tuple[int, ...]:
        places = [self._positions[s.name] for s in term.free_symbols
                  if getattr(s, "name", None) in self._positions]
        if not places and term.is_Number and abs(term) in self._positions:
            places = [self._positions[abs(term)]]
        return tuple(sorted(places)) or (1 << 30,)


def _written_positions(tree: ast.expr) -> dict[Any, int]:
    """Where each name (and number) first occurs in an expression's text (a quantity
    marker of :func:`_keep_quantities` is a name at the place of its product)."""
    positions: dict[Any, int] = {}
    for node in ast.walk(tree):
        key: Any = None
        if isinstance(node, ast.Name):
            key = node.id
        elif isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
                and not isinstance(node.value, bool):
            key = sympy.nsimplify(abs(node.value)) if float(node.value).is_integer() \
                else sympy.Float(abs(node.value))
        if key is not None and hasattr(node, "col_offset"):
            where = node.lineno * 100_000 + node.col_offset
            positions[key] = min(positions.get(key, where), where)
    return positions


# a minus sign that begins a value: '- 20\,\mathrm{mV}' becomes '-20\,\mathrm{mV}'
_LEADING_MINUS = re.compile(r"(^|\\left\(|, |[<>=] |\\[lgn]eq )- (?=\d)")


def sympy_latex(expression: sympy.Basic, synaptic: bool = False,
                positions: dict[Any, int] | None = None) -> str:
    """LaTeX of a SymPy expression with jnsim's naming rules.

    ``positions`` (name to place in the user's text) orders the terms of sums
    as the user wrote them (``v - V_T``, not SymPy's ``- V_T + v``).
    """
    settings = {"symbol_names": _symbol_names(expression, synaptic), "mul_symbol": "dot"}
    return _LEADING_MINUS.sub(r"\1-", _LatexPrinter(settings, positions).doprint(expression))


def expression_latex(expression: Expression, synaptic: bool = False) -> str:
    """LaTeX of a validated expression (``pi``, ``e``, ``inf`` as constants).

    A value made of numbers and units only (``0*amp``, ``-65*mV``) is shown as a
    quantity (``0\\,\\mathrm{A}``), which SymPy would reduce to a bare number.
    """
    constants = frozenset({"pi", "e", "inf"} & expression.identifiers)
    if not expression.function_names and expression.names and all(
            n in UNITS or n in constants for n in expression.names):
        quantity = _quantity_of(expression)
        if quantity is not None:
            return quantity
    tree = _keep_quantities(expression.tree)
    return sympy_latex(to_sympy(tree, constants), synaptic, _written_positions(tree))


def expression_sympy(expression: Expression) -> sympy.Expr:
    """The SymPy form of ``expression`` for typesetting: ``1*mV`` stays a symbol
    (see :func:`unit_symbol_value` to evaluate it)."""
    constants = frozenset({"pi", "e", "inf"} & expression.identifiers)
    return to_sympy(_keep_quantities(expression.tree), constants)


def unit_symbol_value(symbol: sympy.Symbol) -> Any | None:
    """The quantity a symbol of :func:`expression_sympy` stands for (the unit ``ms``,
    or ``4*ms`` as written), or ``None`` for other names.  Single letters are never
    units here: they may be model variables (``C``, ``A``)."""
    name, _, number = symbol.name.partition(_QUANTITY)
    if len(name) <= 1 or name not in UNITS:
        return None
    return float(number) * UNITS[name] if number else UNITS[name]


def _quantity_of(expression: Expression) -> str | None:
    from .values import evaluate_quantity

    try:
        value = evaluate_quantity(str(expression))
        if hasattr(value, "units"):
            return quantity_latex(value)
        return quantity_latex(float(to_si(value)), dimensions_of(value))
    except Exception:  # fall back to the symbolic form
        return None


_OPERATORS = {"=": r"\leftarrow", "+=": r"\mathrel{+}=", "-=": r"\mathrel{-}=",
              "*=": r"\mathrel{\times}=", "/=": r"\mathrel{/}=", "//=": r"\mathrel{//}=",
              "%=": r"\mathrel{\%}=", "**=": r"\mathrel{**}="}


def statement_latex(statement: Statement, synaptic: bool = False) -> str:
    """LaTeX of one statement: ``v \\leftarrow V_{r}``, ``w \\mathrel{+}= b``."""
    target = latex_name(statement.target, synaptic)
    value = expression_latex(statement.expression, synaptic)
    return f"{target} {_OPERATORS.get(statement.operator, statement.operator)} {value}"


def equation_latex(equation: SingleEquation, synaptic: bool = False) -> str:
    """LaTeX of a differential equation or subexpression (parameters have none)."""
    name = latex_name(equation.name, synaptic)
    if equation.expression is None:
        return name
    rhs = expression_latex(equation.expression, synaptic)
    if equation.kind is EquationKind.DIFFERENTIAL:
        if len(name) > 1:
            name = "{" + name + "}"
        return rf"\frac{{\mathrm{{d}}{name}}}{{\mathrm{{d}}t}} = {rhs}"
    return f"{name} = {rhs}"


def unit_latex(dims: Dimensions) -> str:
    """A unit as upright LaTeX: ``\\mathrm{V}``, ``\\mathrm{S}/\\mathrm{m}^{2}``."""
    symbol = unit_symbol(dims)
    if symbol == "1":
        return "1"
    if symbol == "ohm":
        return r"\Omega"
    return re.sub(r"([A-Za-z]+)(\^(-?[\d.]+))?",
                  lambda m: rf"\mathrm{{{m.group(1)}}}" + (f"^{{{m.group(3)}}}"
                                                          if m.group(3) else ""), symbol)


_PREFIXES = {-15: "f", -12: "p", -9: "n", -6: "µ", -3: "m", 0: "", 3: "k", 6: "M", 9: "G"}
#: The unit of a zero (that has no unit of its own) for some common dimensions.
_ZERO_EXPONENTS = {"V": -3, "s": -3, "S": -9, "A": -9, "F": -12, "Ω": 6}
_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _number_parts(value: float) -> tuple[str, int | None]:
    """A number as a short decimal, or as a mantissa and a power of ten."""
    if value == 0:
        return "0", None
    if abs(value) >= 1e6 or abs(value) < 1e-4:
        mantissa, exponent = f"{value:.6e}".split("e")
        return mantissa.rstrip("0").rstrip("."), int(exponent)
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    rounded = f"{float(f'{value:.6g}'):.10f}".rstrip("0").rstrip(".")
    return (rounded if len(rounded) < len(text) else text), None


def _number(value: float) -> str:
    """A number as text: ``0.5``, ``6.6×10⁻⁵``."""
    mantissa, exponent = _number_parts(value)
    if exponent is None:
        return mantissa
    return f"{mantissa}×10{str(exponent).translate(_SUPERSCRIPTS)}"


def number_latex(value: float) -> str:
    """A number as LaTeX math: ``0.5``, ``6.6 \\times 10^{-5}``."""
    mantissa, exponent = _number_parts(float(value))
    return mantissa if exponent is None else rf"{mantissa} \times 10^{{{exponent}}}"


def unit_scale(quantity: Any) -> float | None:
    """The size in SI of the unit ``quantity`` is given in (``1e-3`` for ``0*mV``),
    when that unit is a power of ten of the SI unit; else ``None``."""
    units = getattr(quantity, "units", None)
    if units is None:
        return None
    try:
        factor = float(to_si(1.0 * units))
    except Exception:
        return None
    exponent = round(math.log10(factor)) if factor > 0 else None
    if exponent is None or not math.isclose(factor, 10.0 ** exponent, rel_tol=1e-9):
        return None
    return factor


def quantity_text(value: Any, dims: Dimensions | None = None,
                  scale: float | None = None) -> str:
    """A value in SI base units as short readable text: ``10 ms``, ``-60 mV``, ``0.5``.

    A single named unit gets the SI prefix that puts the number in [1, 1000) (or
    ``scale`` there, to show several values in one unit, or a zero in the unit it
    was given in); compound units are shown in SI base units (``0.001 V/s``).
    Times read best in ms, rates in Hz (``0.2 Hz``, not ``200 mHz``); a zero without
    a ``scale`` is shown in the usual unit of its dimension (``0 mV``, ``0 nS``).
    A pint quantity (with its own unit) may be given instead of ``value, dims``.
    """
    if isinstance(value, bool):
        return str(value)
    if hasattr(value, "units") and dims is None:
        dims = dimensions_of(value)
        si = float(to_si(value))
        value, scale = si, (unit_scale(value) if si == 0 and scale is None else scale)
    if dims is None or is_dimensionless(dims):
        return _number(float(value)) if isinstance(value, float) else str(value)
    value = float(value)
    unit, factor = unit_symbol_and_factor(dims, value if scale is None else scale,
                                          zero=scale is None and value == 0)
    return f"{_number(value / factor)} {unit}"


def unit_symbol_and_factor(dims: Dimensions | None, scale: float,
                           zero: bool = False) -> tuple[str, float]:
    """The unit :func:`quantity_text` shows a value of size ``scale`` in, and its size
    in SI: ``('mV', 1e-3)`` for volts around 0.01 (``zero``: the value is a zero,
    shown in the usual unit of its dimension); ``('', 1.0)`` when dimensionless."""
    if dims is None or is_dimensionless(dims):
        return "", 1.0
    symbol = unit_symbol(dims).replace("ohm", "Ω")
    if not re.fullmatch(r"[A-Za-zΩ]+", symbol) or symbol in ("kg", "mM", "mol", "cd", "K"):
        return symbol, 1.0
    if zero:
        scale = 10.0 ** _ZERO_EXPONENTS.get(symbol, 0)
    scale = float(scale)
    exponent = 0 if scale == 0 or not math.isfinite(scale) else int(
        math.floor(math.log10(abs(scale)) / 3) * 3)
    exponent = max(-15, min(9, exponent))
    if symbol == "s" and scale != 0:  # times read best in ms (0.1 ms, 5 ms, 500 ms)
        exponent = -3 if 1e-5 <= abs(scale) < 1 else min(exponent, 0)
    if symbol == "Hz":  # rates: 0.2 Hz, 5 Hz, 2 kHz
        exponent = max(exponent, 0)
    return f"{_PREFIXES[exponent]}{symbol}", 10.0 ** exponent


def text_number_latex(text: str) -> str:
    """The numbers of :func:`quantity_text` as LaTeX: ``6.6×10⁻⁵`` → ``6.6 \\times 10^{-5}``."""
    def power(match: re.Match[str]) -> str:
        digits = match.group(2).translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
        return rf"{match.group(1)} \times 10^{{{digits}}}"

    return re.sub(r"(-?[\d.]+)×10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)", power, text)


def quantity_latex(value: Any, dims: Dimensions | None = None,
                   scale: float | None = None) -> str:
    """:func:`quantity_text` as LaTeX math (without ``$``): ``10\\,\\mathrm{ms}``."""
    text = quantity_text(value, dims, scale)
    if " " not in text:
        return text_number_latex(text)
    number, unit = text.split(" ", 1)

    def token(match: re.Match[str]) -> str:
        latin = re.sub(r"([A-Za-z]+)", r"\\mathrm{\1}", match.group(0))
        return latin.replace("µ", r"\mu ").replace("Ω", r"\Omega ").strip()

    unit = re.sub(r"[A-Za-zµΩ]+", token, unit)
    unit = re.sub(r"\^(-?[\d.]+)", r"^{\1}", unit)
    return f"{text_number_latex(number)}\\,{unit}"
