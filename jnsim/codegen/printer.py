"""Print SymPy expressions as Numba-compatible Python source.

Every name prints as itself: generated functions load model variables, special
symbols and parameters into local variables of the same name before the
statements run.  Floats print with full precision; random-number functions
print as NumPy's scalar generators, which Numba supports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sympy
from sympy.printing.pycode import PythonCodePrinter

from ..compiler import sha256_file

__all__ = ["HELPERS", "NumbaPrinter", "code"]

_LLVM_MATH_DIGEST = sha256_file(Path(__file__).parent / "llvm_math.py")[:16]

#: Helper functions that generated modules define when their code uses them.
HELPERS: dict[str, str] = {
    # exp and exprel: branch-free polynomials that LLVM vectorizes, built as LLVM IR
    # (see jnsim.codegen.llvm_math); the digest of that file is part of the kernel's
    # source, so a change to it never reuses a kernel cached before.
    "_exp": f"from jnsim.codegen.llvm_math import _exp  # llvm_math {_LLVM_MATH_DIGEST}\n",
    "_exprel": (
        f"from jnsim.codegen.llvm_math import _exprel  # llvm_math {_LLVM_MATH_DIGEST}\n"
    ),
    "_timestep": (
        "@numba.njit(cache=True, inline='always', error_model='numpy')\n"
        "def _timestep(t, dt):\n"
        "    return np.int64((t + 1e-3 * dt) / dt)\n"
    ),
    # xoshiro256+ (Blackman & Vigna 2018): fast, good uniform floats from the top 53 bits.
    "_rand": (
        "@numba.njit(cache=True, inline='always', error_model='numpy')\n"
        "def _rand(s):\n"
        "    s0 = s[0]\n"
        "    s1 = s[1]\n"
        "    s2 = s[2] ^ s0\n"
        "    s3 = s[3] ^ s1\n"
        "    result = s0 + s[3]\n"
        "    t = s1 << np.uint64(17)\n"
        "    s[1] = s1 ^ s2\n"
        "    s[0] = s0 ^ s3\n"
        "    s[2] = s2 ^ t\n"
        "    s[3] = (s3 << np.uint64(45)) | (s3 >> np.uint64(19))\n"
        "    return (result >> np.uint64(11)) * (1.0 / 9007199254740992.0)\n"
    ),
    # Box-Muller transform of two uniforms (1 - u keeps the logarithm finite).
    "_randn": (
        "@numba.njit(cache=True, inline='always', error_model='numpy')\n"
        "def _randn(s):\n"
        "    u = 1.0 - _rand(s)\n"
        "    return math.sqrt(-2.0 * math.log(u)) * math.cos(6.283185307179586 * _rand(s))\n"
    ),
    # min and max as Python's (the first of equal values; a NaN only when it comes
    # first), written out: Numba compiles its builtin min and max as functions of their
    # own, once per signature, which a cold start would pay for.
    "_clip": (
        "@numba.njit(cache=True, inline='always', error_model='numpy')\n"
        "def _clip(x, low, high):\n"
        "    x = low if low > x else x\n"
        "    return high if high < x else x\n"
    ),
    "_min2": (
        "@numba.njit(cache=True, inline='always', error_model='numpy')\n"
        "def _min2(a, b):\n"
        "    return b if b < a else a\n"
    ),
    "_max2": (
        "@numba.njit(cache=True, inline='always', error_model='numpy')\n"
        "def _max2(a, b):\n"
        "    return b if b > a else a\n"
    ),
    "_sign": (
        "@numba.njit(cache=True, inline='always', error_model='numpy')\n"
        "def _sign(x):\n"
        "    return (x > 0) - (x < 0)\n"
    ),
}


class NumbaPrinter(PythonCodePrinter):
    """A printer for code inside ``@numba.njit`` functions.

    ``timed_arrays`` maps the names of TimedArray-like functions to the number of
    their arguments; calls to them print as lookups into ``_ta_<name>`` arrays,
    and their names are collected in ``timed_arrays_used``.
    """

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__(settings or {})
        self.helpers_used: set[str] = set()
        self.timed_arrays: dict[str, int] = {}
        self.timed_arrays_used: set[str] = set()
        #: Whether the code runs once per step rather than per element: then libm's
        #: exp (quick to compile) serves as well as the vectorizable one.
        self.once_per_step = False

    # -- numbers and names ------------------------------------------------
    def _print_Float(self, expr: sympy.Float) -> str:
        return repr(float(expr))

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"({float(expr.p)}/{float(expr.q)})"

    def _print_Half(self, expr: Any) -> str:
        return "0.5"

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        return expr.name

    def _print_Infinity(self, expr: Any) -> str:
        return "math.inf"

    def _print_NegativeInfinity(self, expr: Any) -> str:
        return "(-math.inf)"

    def _print_BooleanTrue(self, expr: Any) -> str:
        return "True"

    def _print_BooleanFalse(self, expr: Any) -> str:
        return "False"

    # -- functions ----------------------------------------------------------
    def _helper(self, name: str, expr: Any) -> str:
        self.helpers_used.add(name)
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_exp(self, expr: Any) -> str:
        if self.once_per_step:
            return f"math.exp({self._print(expr.args[0])})"
        return self._helper("_exp", expr)

    def _print_exprel(self, expr: Any) -> str:
        return self._helper("_exprel", expr)

    def _print_timestep(self, expr: Any) -> str:
        return self._helper("_timestep", expr)

    def _print_clip(self, expr: Any) -> str:
        return self._helper("_clip", expr)

    def _print_sign(self, expr: Any) -> str:
        return self._helper("_sign", expr)

    def _print_log10(self, expr: Any) -> str:
        return f"math.log10({self._print(expr.args[0])})"

    def _print_expm1(self, expr: Any) -> str:
        return f"math.expm1({self._print(expr.args[0])})"

    def _print_log1p(self, expr: Any) -> str:
        return f"math.log1p({self._print(expr.args[0])})"

    def _print_int_(self, expr: Any) -> str:
        return f"np.int64({self._print(expr.args[0])})"

    def _print_floor(self, expr: Any) -> str:
        return f"np.floor({self._print(expr.args[0])})"

    def _print_ceiling(self, expr: Any) -> str:
        return f"np.ceil({self._print(expr.args[0])})"

    def _print_Abs(self, expr: Any) -> str:
        return f"abs({self._print(expr.args[0])})"

    def _fold(self, helper: str, args: Any) -> str:
        self.helpers_used.add(helper)
        text = self._print(args[0])
        for arg in args[1:]:
            text = f"{helper}({text}, {self._print(arg)})"
        return text

    def _print_Min(self, expr: Any) -> str:
        return self._fold("_min2", expr.args)

    def _print_Max(self, expr: Any) -> str:
        return self._fold("_max2", expr.args)

    def _print_rand(self, expr: Any) -> str:
        self.helpers_used.add("_rand")
        return "_rand(_rng)"

    def _print_randn(self, expr: Any) -> str:
        self.helpers_used.update(("_rand", "_randn"))
        return "_randn(_rng)"

    def _print_poisson(self, expr: Any) -> str:
        return f"np.random.poisson({self._print(expr.args[1])})"

    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        base, exponent = expr.args
        if exponent == sympy.S.Half:
            return f"math.sqrt({self._print(base)})"
        if exponent == -sympy.S.Half:
            return f"(1.0/math.sqrt({self._print(base)}))"
        if exponent.is_Integer and 2 <= int(exponent) <= 4:
            factor = self.parenthesize(base, 100)
            return "*".join([factor] * int(exponent)).join("()")
        if exponent == -1:
            return f"(1.0/{self.parenthesize(base, 100)})"
        return f"{self.parenthesize(base, 100)}**{self.parenthesize(exponent, 100)}"

    def _print_Not(self, expr: Any) -> str:
        return f"(not {self.parenthesize(expr.args[0], 100)})"

    def _print_Function(self, expr: Any) -> str:
        name = type(expr).__name__
        arguments = ", ".join(self._print(a) for a in expr.args)
        if name in self.timed_arrays:
            helper = "_timed_1d" if self.timed_arrays[name] == 1 else "_timed_2d"
            self.helpers_used.add(helper)
            self.timed_arrays_used.add(name)
            return f"{helper}(_ta_{name}, _ta_{name}_dt, {arguments})"
        return f"{name}({arguments})"


def code(expression: sympy.Basic, printer: NumbaPrinter | None = None) -> str:
    """Numba-compatible source for ``expression``."""
    return (printer or NumbaPrinter()).doprint(expression)
