"""Evaluate validated expressions with NumPy, vectorised over neurons or synapses.

Used where a kernel would be overkill: setting state from a string
(``G.v = 'Vr + rand()*(Vt - Vr)'``), evaluating connection conditions and
probabilities.  Values are plain arrays in SI units; the expression has been
validated (:func:`~jnsim.equations.parse_expression`) and checked for units
before it gets here.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .equations.expressions import Expression
from .errors import NamespaceError
from .functions import DEFAULT_CONSTANTS

__all__ = ["evaluate", "random_generator", "seed_generator"]

_rng = np.random.default_rng()


def random_generator() -> np.random.Generator:
    """The generator used for random numbers drawn outside kernels."""
    return _rng


def seed_generator(seed: int | None) -> None:
    """Reseed the generator used outside kernels."""
    global _rng
    _rng = np.random.default_rng(seed)


def _exprel(x: Any) -> Any:
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = np.where(np.abs(x) < 1e-8, 1.0 + x / 2.0, np.expm1(x) / np.where(x == 0, 1, x))
    return result


def _timestep(t: Any, dt: Any) -> Any:
    return np.int64(np.asarray(t) / dt + 1e-3) if np.ndim(t) == 0 else (
        (np.asarray(t) + 1e-3 * dt) / dt).astype(np.int64)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": np.exp, "log": np.log, "log10": np.log10, "expm1": np.expm1, "log1p": np.log1p,
    "exprel": _exprel, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "arcsin": np.arcsin,
    "arccos": np.arccos, "arctan": np.arctan, "abs": np.abs, "floor": np.floor,
    "ceil": np.ceil, "sign": np.sign, "clip": np.clip,
    "int": lambda x: np.trunc(x).astype(np.int64), "timestep": _timestep,
}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
           ast.Pow: operator.pow}
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
            ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}


def evaluate(
    expression: Expression,
    values: Mapping[str, Any],
    size: int,
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> Any:
    """Evaluate ``expression`` for ``size`` elements at once.

    Parameters
    ----------
    expression
        A validated expression.
    values
        Every name it uses, as a scalar or an array of length ``size`` (SI units).
    size
        How many elements to evaluate for (random functions draw this many numbers).
    functions
        Extra callable objects (e.g. TimedArray implementations) by name.

    Returns
    -------
    numpy.ndarray or scalar
    """
    evaluator = _Evaluator(values, size, {**_FUNCTIONS, **(functions or {})})
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return evaluator.visit(expression.tree)


class _Evaluator:
    def __init__(self, values: Mapping[str, Any], size: int,
                 functions: Mapping[str, Callable[..., Any]]) -> None:
        self.values = values
        self.size = size
        self.functions = functions

    def visit(self, node: ast.AST) -> Any:
        return getattr(self, f"visit_{type(node).__name__}")(node)

    def visit_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in self.values:
            return self.values[node.id]
        if node.id in DEFAULT_CONSTANTS:
            return DEFAULT_CONSTANTS[node.id]
        raise NamespaceError(f"'{node.id}' has no value here",
                             hint="define it where the value is read (or in the group's "
                                  "namespace=)")

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return np.logical_not(operand)
        return -operand if isinstance(node.op, ast.USub) else operand

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, ast.Pow):
            left = np.asarray(left, dtype=float) if np.ndim(left) else float(left)
        return _BINARY[type(node.op)](left, right)

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        values = [self.visit(v) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        result = values[0]
        for value in values[1:]:
            result = combine(result, value)
        return result

    def visit_Compare(self, node: ast.Compare) -> Any:
        operands = [self.visit(node.left)] + [self.visit(c) for c in node.comparators]
        result: Any = True
        for op, a, b in zip(node.ops, operands, operands[1:], strict=False):
            result = np.logical_and(result, _COMPARE[type(op)](a, b))
        return result

    def visit_Call(self, node: ast.Call) -> Any:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        args = [self.visit(a) for a in node.args]
        if name == "rand":
            return _rng.random(self.size)
        if name == "randn":
            return _rng.standard_normal(self.size)
        if name == "poisson":
            return _rng.poisson(np.broadcast_to(args[0], (self.size,)))
        if name not in self.functions:
            raise NamespaceError(f"the function '{name}' is not defined here",
                                 hint="define it (e.g. a TimedArray) where the value is read, "
                                      "or in the group's namespace=")
        return self.functions[name](*args)
