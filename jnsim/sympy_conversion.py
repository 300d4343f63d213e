"""Convert validated expressions to SymPy, and the SymPy versions of default functions.

The conversion walks the validated :mod:`ast` tree; model text is never passed
to ``sympify`` or ``eval``.  Every name becomes a real :class:`sympy.Symbol`.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable
from typing import Any, ClassVar

import sympy

from .equations.expressions import Expression

__all__ = ["STATEFUL_FUNCTIONS", "symbol", "to_sympy"]


def symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol jnsim uses for ``name`` (always real)."""
    return sympy.Symbol(name, real=True)


class _Named(sympy.Function):
    """A function printed by its jnsim name in LaTeX."""

    latex_name: ClassVar[str] = ""

    def _latex(self, printer: Any, exp: Any = None) -> str:
        args = ", ".join(printer._print(a) for a in self.args)
        text = rf"\operatorname{{{self.latex_name or type(self).__name__}}}\left({args}\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"


class log10(_Named):
    """Logarithm to base 10."""

    nargs = 1

    def _eval_rewrite_as_log(self, x: Any, **kwargs: Any) -> Any:
        return sympy.log(x) / sympy.log(10)

    def _latex(self, printer: Any, exp: Any = None) -> str:
        text = rf"\log_{{10}}\left({printer._print(self.args[0])}\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"


class expm1(_Named):
    """``exp(x) - 1``."""

    nargs = 1

    def _eval_rewrite_as_exp(self, x: Any, **kwargs: Any) -> Any:
        return sympy.exp(x) - 1

    def fdiff(self, argindex: int = 1) -> Any:
        return sympy.exp(self.args[0])


class log1p(_Named):
    """``log(1 + x)``."""

    nargs = 1

    def _eval_rewrite_as_log(self, x: Any, **kwargs: Any) -> Any:
        return sympy.log(1 + x)

    def fdiff(self, argindex: int = 1) -> Any:
        return 1 / (1 + self.args[0])


class exprel(_Named):
    """``(exp(x) - 1)/x``, continuous at 0."""

    nargs = 1

    def _eval_rewrite_as_exp(self, x: Any, **kwargs: Any) -> Any:
        return (sympy.exp(x) - 1) / x

    def fdiff(self, argindex: int = 1) -> Any:
        x = self.args[0]
        return (x * sympy.exp(x) - sympy.exp(x) + 1) / x**2


class clip(_Named):
    """``x`` limited to ``[low, high]``."""

    nargs = 3


class int_(_Named):
    """Truncation towards zero, as an integer."""

    nargs = 1
    latex_name = "int"


class timestep(_Named):
    """A time expressed in whole time steps."""

    nargs = 2


class _Stateful(_Named):
    """A random-number function; its hidden argument keeps separate calls distinct."""

    def _eval_evalf(self, prec: int) -> None:
        # A draw has no numerical value; without this SymPy would call mpmath's
        # function of the same name (mpmath.rand takes no argument).
        return None

    def _latex(self, printer: Any, exp: Any = None) -> str:
        args = ", ".join(printer._print(a) for a in self.args[1:])
        text = rf"\operatorname{{{type(self).__name__}}}\left({args}\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"

    def _sympystr(self, printer: Any) -> str:
        args = ", ".join(printer._print(a) for a in self.args[1:])
        return f"{type(self).__name__}({args})"


class rand(_Stateful):
    """Uniform random number in [0, 1)."""

    nargs = 1


class randn(_Stateful):
    """Standard normal random number."""

    nargs = 1


class poisson(_Stateful):
    """Poisson-distributed random integer."""

    nargs = 2


STATEFUL_FUNCTIONS: tuple[type[sympy.Function], ...] = (rand, randn, poisson)

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": sympy.exp, "log": sympy.log, "log10": log10, "expm1": expm1, "log1p": log1p,
    "exprel": exprel, "sqrt": sympy.sqrt, "sin": sympy.sin, "cos": sympy.cos,
    "tan": sympy.tan, "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh,
    "arcsin": sympy.asin, "arccos": sympy.acos, "arctan": sympy.atan, "abs": sympy.Abs,
    "floor": sympy.floor, "ceil": sympy.ceiling, "sign": sympy.sign, "int": int_,
    "clip": clip, "timestep": timestep,
}
_CONSTANTS: dict[str, Any] = {"pi": sympy.pi, "e": sympy.E, "inf": sympy.oo,
                              "True": sympy.true, "False": sympy.false}
_COMPARISONS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: sympy.Eq, ast.NotEq: sympy.Ne, ast.Lt: sympy.Lt, ast.LtE: sympy.Le,
    ast.Gt: sympy.Gt, ast.GtE: sympy.Ge,
}

_call_counter = itertools.count()


def _as_number(value: Any) -> Any:
    """A condition used in arithmetic (``x*(v > 0)``) as 1 or 0, like Python's bools."""
    boolean = (sympy.core.relational.Relational, sympy.logic.boolalg.BooleanFunction,
               sympy.logic.boolalg.BooleanAtom)
    if isinstance(value, boolean):
        if value is sympy.true:
            return sympy.Integer(1)
        if value is sympy.false:
            return sympy.Integer(0)
        return sympy.Piecewise((1, value), (0, True))
    return value


def to_sympy(expression: Expression | ast.expr, constants: frozenset[str] = frozenset()
             ) -> sympy.Basic:
    """The SymPy form of a validated expression.

    Parameters
    ----------
    expression
        A validated :class:`Expression` (or its tree).
    constants
        Names that stand for jnsim's default constants (``pi``, ``e``, ``inf``)
        rather than for model variables or external values.
    """
    tree = expression.tree if isinstance(expression, Expression) else expression
    return _Converter(constants).visit(tree)


class _Converter:
    def __init__(self, constants: frozenset[str]) -> None:
        self.constants = constants

    def visit(self, node: ast.AST) -> Any:
        return getattr(self, f"visit_{type(node).__name__}")(node)

    def visit_Constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, bool):
            return sympy.true if value else sympy.false
        if isinstance(value, int):
            return sympy.Integer(value)
        return sympy.Float(value)

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in self.constants and node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if node.id in ("True", "False"):
            return _CONSTANTS[node.id]
        return symbol(node.id)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return sympy.Not(operand)
        if isinstance(node.op, ast.USub):
            return -_as_number(operand)
        return _as_number(operand)

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        left = _as_number(self.visit(node.left))
        right = _as_number(self.visit(node.right))
        op = node.op
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, ast.Div):
            return left / right
        if isinstance(op, ast.FloorDiv):
            return sympy.floor(left / right)
        if isinstance(op, ast.Mod):
            return sympy.Mod(left, right)
        # Numeric powers stay unevaluated: 10**10**10 must not be computed here.
        numeric = getattr(left, "is_number", False) and getattr(right, "is_number", False)
        return sympy.Pow(left, right, evaluate=not numeric)

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        values = [self.visit(v) for v in node.values]
        return sympy.And(*values) if isinstance(node.op, ast.And) else sympy.Or(*values)

    def visit_Compare(self, node: ast.Compare) -> Any:
        operands = [self.visit(node.left)] + [self.visit(c) for c in node.comparators]
        parts = [
            _COMPARISONS[type(op)](a, b, evaluate=False)
            for op, a, b in zip(node.ops, operands, operands[1:], strict=False)
        ]
        return parts[0] if len(parts) == 1 else sympy.And(*parts)

    def visit_Call(self, node: ast.Call) -> Any:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        args = [self.visit(a) for a in node.args]
        if name in ("rand", "randn", "poisson"):
            stateful = {"rand": rand, "randn": randn, "poisson": poisson}[name]
            return stateful(sympy.Integer(next(_call_counter)), *args)
        function = _FUNCTIONS.get(name)
        if function is None:
            function = sympy.Function(name, real=True)
        return function(*args)
