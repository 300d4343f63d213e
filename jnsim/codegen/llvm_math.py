"""``exp`` and ``exprel`` for kernels, written directly as LLVM IR.

The state update of a neuron model like Hodgkin-Huxley calls ``exp`` a dozen times per
neuron. libm's ``exp`` is a call, which keeps LLVM from vectorizing the loop, so kernels
use a branch-free polynomial instead. Written as an ordinary ``@njit(inline='always')``
function, every call site is inlined by Numba and typed and lowered again, which makes
Numba's share of the compilation grow with each call (about 2 s for COBAHH). Here the
polynomial is one LLVM function per module, marked ``alwaysinline``: Numba types each
call as a single instruction and LLVM inlines and vectorizes it.

The algorithm (unchanged from the Python version it replaces): ``exp(x) = 2**k exp(r)``
with ``r = x - k ln 2`` in ``[-ln(2)/2, ln(2)/2]`` (ln 2 split in two parts so that
``r`` is exact), ``exp(r)`` from its Taylor polynomial of degree 13 (relative truncation
error below 1e-17), and ``2**k`` built from its bits in two halves, so that results in
the subnormal range and next to the largest double round once.
``exprel(x) = (exp(x) - 1)/x`` uses its Taylor series near 0 (no cancellation) and the
quotient elsewhere; both are computed and one selected.
"""

from __future__ import annotations

import math
from typing import Any

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

__all__ = ["_exp", "_exprel"]

_DOUBLE = ir.DoubleType()
_INT64 = ir.IntType(64)
#: The kernels' fast-math flags (``FASTMATH`` in ``jnsim.codegen.blocks``).
_FLAGS = ("nsz", "arcp", "contract", "afn")

_EXP_COEFFICIENTS = tuple(1.0 / math.factorial(n) for n in range(14))  # 1, 1, 1/2, ...
_EXPREL_COEFFICIENTS = tuple(1.0 / math.factorial(n + 1) for n in range(17))
_LOG2E = 1.4426950408889634
_LN2_HIGH = 0.6931471803691238
_LN2_LOW = 1.9082149292705877e-10


def _horner(builder: ir.IRBuilder, x: ir.Value, coefficients: tuple[float, ...]) -> ir.Value:
    """``c0 + x*(c1 + x*(c2 + ...))``."""
    result = ir.Constant(_DOUBLE, coefficients[-1])
    for coefficient in reversed(coefficients[:-1]):
        result = builder.fmul(x, result, flags=_FLAGS)
        result = builder.fadd(ir.Constant(_DOUBLE, coefficient), result, flags=_FLAGS)
    return result


def _define(module: ir.Module, name: str, build: Any) -> ir.Function:
    """The function ``name(double) -> double`` of ``module``, defined on first use."""
    function = cgutils.get_or_insert_function(
        module, ir.FunctionType(_DOUBLE, [_DOUBLE]), name)
    if function.is_declaration:
        function.linkage = "internal"
        function.attributes.add("alwaysinline")
        function.attributes.add("nounwind")
        builder = ir.IRBuilder(function.append_basic_block("entry"))
        builder.ret(build(builder, module, function.args[0]))
    return function


def _build_exp(builder: ir.IRBuilder, module: ir.Module, x: ir.Value) -> ir.Value:
    def constant(value: float) -> ir.Constant:
        return ir.Constant(_DOUBLE, value)

    low = builder.select(builder.fcmp_ordered(">", x, constant(-746.0)), x, constant(-746.0))
    c = builder.select(builder.fcmp_ordered("<", low, constant(710.0)), low, constant(710.0))
    floor = module.declare_intrinsic("llvm.floor", [_DOUBLE])
    k = builder.call(floor, [builder.fadd(builder.fmul(c, constant(_LOG2E), flags=_FLAGS),
                                          constant(0.5), flags=_FLAGS)])
    r = builder.fsub(c, builder.fmul(k, constant(_LN2_HIGH), flags=_FLAGS), flags=_FLAGS)
    r = builder.fsub(r, builder.fmul(k, constant(_LN2_LOW), flags=_FLAGS), flags=_FLAGS)
    p = _horner(builder, r, _EXP_COEFFICIENTS)
    n = builder.fptosi(k, _INT64)
    half = builder.ashr(n, ir.Constant(_INT64, 1))
    bias = ir.Constant(_INT64, 1023)
    shift = ir.Constant(_INT64, 52)
    first = builder.bitcast(builder.shl(builder.add(half, bias), shift), _DOUBLE)
    second = builder.bitcast(builder.shl(builder.add(builder.sub(n, half), bias), shift),
                             _DOUBLE)
    y = builder.fmul(builder.fmul(p, first, flags=_FLAGS), second, flags=_FLAGS)
    return builder.select(builder.fcmp_ordered("==", x, x), y, x)  # NaN stays NaN


def _build_exprel(builder: ir.IRBuilder, module: ir.Module, x: ir.Value) -> ir.Value:
    def constant(value: float) -> ir.Constant:
        return ir.Constant(_DOUBLE, value)

    series = _horner(builder, x, _EXPREL_COEFFICIENTS)
    exp = builder.call(_define(module, "jnsim_exp", _build_exp), [x])
    quotient = builder.fdiv(builder.fsub(exp, constant(1.0), flags=_FLAGS), x, flags=_FLAGS)
    quotient = builder.select(builder.fcmp_ordered(">", x, constant(709.0)),
                              constant(math.inf), quotient)
    fabs = module.declare_intrinsic("llvm.fabs", [_DOUBLE])
    near_zero = builder.fcmp_ordered("<", builder.call(fabs, [x]), constant(0.5))
    return builder.select(near_zero, series, quotient)


def _unary(name: str, build: Any) -> Any:
    def typer(typingctx: Any, x: Any) -> Any:
        if not isinstance(x, types.Number | types.Boolean):
            return None

        def codegen(context: Any, builder: ir.IRBuilder, signature: Any, args: Any) -> Any:
            value = context.cast(builder, args[0], signature.args[0], types.float64)
            return builder.call(_define(builder.module, name, build), [value])

        return types.float64(x), codegen

    typer.__name__ = name
    return intrinsic(typer)


#: ``exp`` of a float, vectorizable, within 1 ulp of libm.
_exp = _unary("jnsim_exp", _build_exp)
#: ``(exp(x) - 1)/x``, vectorizable, within 2 ulp, 1 at 0.
_exprel = _unary("jnsim_exprel", _build_exprel)
