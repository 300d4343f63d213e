"""Dimensional analysis and type inference of expressions.

:func:`infer` walks a validated expression and returns its dimensions and type
(float, integer or boolean).  Names whose values are not known yet (external
names to be resolved at ``run()``) make the result *unknown* (``dims is None``)
rather than failing, so a model can be checked as far as possible when it is
created and completely when it runs.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

from .equations.expressions import Expression
from .errors import EquationError, JnsimError, UnitError
from .namespace import ExternalFunction, FunctionInfo
from .units import (
    DIMENSIONLESS,
    Dimensions,
    is_dimensionless,
    multiply_dimensions,
    power_dimensions,
    same_dimensions,
    unit_words,
)

__all__ = ["Inferred", "NameInfo", "infer", "same_dimensions"]

FLOAT, INTEGER, BOOLEAN = "float", "integer", "boolean"


@dataclass(frozen=True)
class NameInfo:
    """What the analysis knows about a name used in an expression.

    Attributes
    ----------
    dims
        Its dimensions (``None`` if not known yet).
    dtype
        ``'float'``, ``'integer'`` or ``'boolean'``.
    value
        Its numeric value in SI units if it is a known constant, else ``None``.
    """

    dims: Dimensions | None
    dtype: str = FLOAT
    value: float | None = None


@dataclass(frozen=True)
class Inferred:
    """The dimensions and type of an expression (``dims is None``: not known yet)."""

    dims: Dimensions | None
    dtype: str = FLOAT
    value: float | None = None

    @property
    def known(self) -> bool:
        """True when the dimensions are known."""
        return self.dims is not None


NameLookup = Callable[[str, ast.Name], NameInfo]
FunctionLookup = Callable[[str, ast.Call], ExternalFunction | None]


def infer(
    expression: Expression,
    lookup_name: NameLookup,
    lookup_function: FunctionLookup,
    error: type[JnsimError] = UnitError,
) -> Inferred:
    """Dimensions and type of ``expression``.

    Parameters
    ----------
    expression
        A validated expression.
    lookup_name
        Returns what is known about a name (raises if the name is invalid).
    lookup_function
        Returns the function a called name refers to, or ``None`` if not known yet.
    error
        The error class for dimension mismatches.

    Raises
    ------
    UnitError
        For inconsistent dimensions, naming both sides in the user's words.
    """
    return _Inference(expression, lookup_name, lookup_function, error).visit(expression.tree)


_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
               ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}


class _Inference:
    def __init__(self, expression: Expression, lookup_name: NameLookup,
                 lookup_function: FunctionLookup, error: type[JnsimError]) -> None:
        self.expression = expression
        self.lookup_name = lookup_name
        self.lookup_function = lookup_function
        self.error = error

    def fail(self, message: str, node: ast.AST, hint: str) -> JnsimError:
        return self.error(message, self.expression.span_of(node), hint)

    def visit(self, node: ast.AST) -> Inferred:
        method = getattr(self, f"visit_{type(node).__name__}")
        return method(node)

    # -- leaves ---------------------------------------------------------------
    def visit_Constant(self, node: ast.Constant) -> Inferred:
        value = node.value
        if isinstance(value, bool):
            return Inferred(DIMENSIONLESS, BOOLEAN, float(value))
        if isinstance(value, int):
            return Inferred(DIMENSIONLESS, INTEGER, float(value) if abs(value) < 2**63 else None)
        return Inferred(DIMENSIONLESS, FLOAT, float(value))

    def visit_Name(self, node: ast.Name) -> Inferred:
        info = self.lookup_name(node.id, node)
        return Inferred(info.dims, info.dtype, info.value)

    # -- operators ----------------------------------------------------------
    def visit_UnaryOp(self, node: ast.UnaryOp) -> Inferred:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            self.require_boolean(operand, node.operand, "not")
            return Inferred(DIMENSIONLESS, BOOLEAN)
        value = operand.value
        if value is not None and isinstance(node.op, ast.USub):
            value = -value
        dtype = INTEGER if operand.dtype == BOOLEAN else operand.dtype
        return Inferred(operand.dims, dtype, value)

    def visit_BinOp(self, node: ast.BinOp) -> Inferred:
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, ast.Pow):
            return self.power(node, left, right)
        dtype = self.arithmetic_type(node.op, left, right)
        value = self.fold(node.op, left.value, right.value)
        if not (left.known and right.known):
            return Inferred(None, dtype, value)
        assert left.dims is not None and right.dims is not None
        if isinstance(node.op, ast.Add | ast.Sub | ast.Mod):
            if not same_dimensions(left.dims, right.dims):
                verb = {ast.Add: "add", ast.Sub: "subtract", ast.Mod: "take the remainder of"}[
                    type(node.op)]
                joiner = "from" if isinstance(node.op, ast.Sub) else (
                    "by" if isinstance(node.op, ast.Mod) else "and")
                first, second = (right, left) if isinstance(node.op, ast.Sub) else (left, right)
                raise self.fail(
                    f"cannot {verb} {_words(first.dims)} {joiner} {_words(second.dims)}",
                    node, _mismatch_hint(left.dims, right.dims))
            return Inferred(left.dims, dtype, value)
        if isinstance(node.op, ast.Mult):
            return Inferred(multiply_dimensions(left.dims, right.dims), dtype, value)
        return Inferred(multiply_dimensions(left.dims, right.dims, -1), dtype, value)

    def arithmetic_type(self, op: ast.operator, left: Inferred, right: Inferred) -> str:
        if isinstance(op, ast.Div):
            return FLOAT
        if FLOAT in (left.dtype, right.dtype):
            return FLOAT
        return INTEGER

    @staticmethod
    def fold(op: ast.operator, a: float | None, b: float | None) -> float | None:
        if a is None or b is None or type(op) not in _ARITHMETIC:
            return None
        try:
            result = _ARITHMETIC[type(op)](a, b)
        except (ZeroDivisionError, OverflowError, ValueError):
            return None
        return result if math.isfinite(result) else None

    def power(self, node: ast.BinOp, base: Inferred, exponent: Inferred) -> Inferred:
        dtype = FLOAT if FLOAT in (base.dtype, exponent.dtype) else INTEGER
        value = None
        if base.value is not None and exponent.value is not None:
            try:
                value = base.value ** exponent.value if abs(exponent.value) < 1e3 else None
            except (OverflowError, ZeroDivisionError):
                value = None
            if isinstance(value, complex) or (value is not None and not math.isfinite(value)):
                value = None
        if exponent.known and not is_dimensionless(exponent.dims):  # type: ignore[arg-type]
            raise self.fail(f"an exponent must be dimensionless, not {_words(exponent.dims)}",
                            node.right, "divide the exponent by its unit")
        if not base.known:
            return Inferred(None, dtype, value)
        assert base.dims is not None
        if is_dimensionless(base.dims):
            return Inferred(DIMENSIONLESS, dtype, value)
        if exponent.value is None:
            if not exponent.known:
                return Inferred(None, dtype, value)
            raise self.fail(
                f"'{ast.unparse(node.right)}' must be a constant number, because the base has "
                f"units of {_words(base.dims)}", node.right,
                "raise quantities with units only to fixed powers such as 2 or 0.5")
        return Inferred(power_dimensions(base.dims, exponent.value), dtype, value)

    def visit_BoolOp(self, node: ast.BoolOp) -> Inferred:
        word = "and" if isinstance(node.op, ast.And) else "or"
        for value in node.values:
            self.require_boolean(self.visit(value), value, word)
        return Inferred(DIMENSIONLESS, BOOLEAN)

    def visit_Compare(self, node: ast.Compare) -> Inferred:
        operands = [self.visit(node.left)] + [self.visit(c) for c in node.comparators]
        nodes = [node.left, *node.comparators]
        for (a, an), (b, bn) in zip(zip(operands, nodes, strict=True),
                                    zip(operands[1:], nodes[1:], strict=True), strict=False):
            if a.known and b.known and not same_dimensions(a.dims, b.dims):  # type: ignore[arg-type]
                hint = _mismatch_hint(a.dims, b.dims)  # type: ignore[arg-type]
                if _is_zero(bn) or _is_zero(an):
                    other = a if _is_zero(bn) else b
                    hint = f"compare with a quantity, e.g. '0*{_words(other.dims)}'"
                raise self.fail(f"cannot compare {_words(a.dims)} with {_words(b.dims)}",
                                node, hint)
        return Inferred(DIMENSIONLESS, BOOLEAN)

    def require_boolean(self, operand: Inferred, node: ast.AST, word: str) -> None:
        if operand.dtype != BOOLEAN:
            raise EquationError(
                f"'{word}' needs a condition (true/false), but this is a number",
                self.expression.span_of(node),
                "write a comparison, e.g. 'v > v_th'")

    # -- calls --------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> Inferred:
        assert isinstance(node.func, ast.Name)
        arguments = [self.visit(a) for a in node.args]
        function = self.lookup_function(node.func.id, node)
        if function is None:
            return Inferred(None, FLOAT)
        if function.spec is not None:
            return self.default_call(node, function, arguments)
        return self.user_call(node, function.info, arguments)

    def default_call(self, node: ast.Call, function: ExternalFunction,
                     arguments: list[Inferred]) -> Inferred:
        spec = function.spec
        assert spec is not None
        rule, name = spec.unit_rule, spec.name
        if rule == "dimensionless":
            for argument, arg_node in zip(arguments, node.args, strict=True):
                if argument.known and not is_dimensionless(argument.dims):  # type: ignore[arg-type]
                    raise self.fail(
                        f"the argument of {name}() must be dimensionless, but it has units "
                        f"of {_words(argument.dims)}", arg_node,
                        "divide it by a quantity with the same units, e.g. 'v/mV'")
            return Inferred(DIMENSIONLESS, spec.returns)
        if rule == "any_to_dimensionless":
            return Inferred(DIMENSIONLESS, FLOAT)
        if rule == "time_to_integer":
            return Inferred(DIMENSIONLESS, INTEGER)
        if not all(a.known for a in arguments):
            return Inferred(None, arguments[0].dtype if arguments else FLOAT)
        first = arguments[0]
        if rule == "sqrt":
            return Inferred(power_dimensions(first.dims, 0.5), FLOAT)  # type: ignore[arg-type]
        for argument, arg_node in zip(arguments[1:], node.args[1:], strict=True):
            if not same_dimensions(first.dims, argument.dims):  # type: ignore[arg-type]
                raise self.fail(
                    f"all arguments of {name}() must have the same units, but "
                    f"{_words(first.dims)} differs from {_words(argument.dims)}", arg_node,
                    _mismatch_hint(first.dims, argument.dims))  # type: ignore[arg-type]
        dtype = first.dtype if name != "clip" else FLOAT
        return Inferred(first.dims, FLOAT if name in ("floor", "ceil") else dtype)

    def user_call(self, node: ast.Call, info: FunctionInfo, arguments: list[Inferred]
                  ) -> Inferred:
        assert isinstance(node.func, ast.Name)
        if len(arguments) != len(info.arg_dims):
            raise EquationError(
                f"'{node.func.id}' takes {len(info.arg_dims)} argument(s), not {len(arguments)}",
                self.expression.span_of(node), "check the call")
        for argument, expected, arg_node in zip(arguments, info.arg_dims, node.args, strict=True):
            if argument.known and not same_dimensions(argument.dims, expected):  # type: ignore[arg-type]
                raise self.fail(
                    f"the argument of {node.func.id}() must have units of {_words(expected)}, "
                    f"not {_words(argument.dims)}", arg_node,
                    _mismatch_hint(expected, argument.dims))  # type: ignore[arg-type]
        return Inferred(info.result_dims, info.result_dtype)


def _is_zero(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0


def _words(dims: Dimensions | None) -> str:
    if dims is None:
        return "unknown units"
    words = unit_words(dims)
    return "dimensionless numbers" if words == "1" else words


def _mismatch_hint(a: Dimensions, b: Dimensions) -> str:
    ratio = multiply_dimensions(a, b, -1)
    time = Dimensions({"[time]": 1})
    if same_dimensions(ratio, time) or same_dimensions(ratio, power_dimensions(time, -1)):
        return "the two sides differ by a unit of time: is a time constant missing?"
    if is_dimensionless(a) or is_dimensionless(b):
        return "a plain number has no units: give it one, e.g. '5*mV'"
    return "both sides must have the same units"
