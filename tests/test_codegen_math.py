"""The vectorizable ``exp`` and ``exprel`` that generated kernels use, against NumPy.

The kernels replace libm's ``exp`` (a call, which keeps LLVM from vectorizing a loop)
by a branch-free polynomial. These tests compile the helpers exactly as kernels get
them (``helper_sources`` through ``compile_kernel``) and compare them with NumPy's
``exp``/``expm1`` in units in the last place, over the whole range of doubles.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from jnsim.codegen.blocks import helper_sources
from jnsim.compiler import compile_kernel

_LOOPS = """

@numba.njit(cache=True, error_model='numpy', fastmath={'nsz', 'arcp', 'contract', 'afn'})
def many_exp(x, out):
    for i in range(x.size):
        out[i] = _exp(x[i])


@numba.njit(cache=True, error_model='numpy', fastmath={'nsz', 'arcp', 'contract', 'afn'})
def many_exprel(x, out):
    for i in range(x.size):
        out[i] = _exprel(x[i])
"""


@pytest.fixture(scope="module")
def kernels():
    source = ("import math\nimport numba\nimport numpy as np\n\n"
              + helper_sources(["_exp", "_exprel"]) + _LOOPS)

    def call(name):
        kernel = compile_kernel(source, name)

        def apply(x):
            x = np.asarray(x, dtype=np.float64)
            out = np.empty_like(x)
            kernel(x, out)
            return out
        return apply
    return call("many_exp"), call("many_exprel")


def _ulps(value: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return np.abs(value - reference) / np.spacing(np.abs(reference))


@pytest.mark.parametrize("low, high", [
    (-1.0, 1.0), (-50.0, 50.0), (-700.0, 700.0),
    (-745.1, -708.5),  # subnormal results
    (700.0, 709.78),  # next to the largest double
])
def test_exp_is_within_one_ulp_of_numpy(kernels, low, high):
    many_exp, _ = kernels
    x = np.random.default_rng(1).uniform(low, high, 100_000)
    assert _ulps(many_exp(x), np.exp(x)).max() <= 1.0


def test_exp_special_values(kernels):
    many_exp, _ = kernels
    x = np.array([np.nan, np.inf, -np.inf, 709.79, 710.0, 1e3, -745.2, -746.0, -1e3,
                  0.0, -0.0, 1e-300, np.log(2.0)])
    with np.errstate(over="ignore"):
        expected = np.exp(x)
    np.testing.assert_array_equal(many_exp(x), expected)


def test_exprel_is_within_two_ulps_and_has_no_cancellation_near_zero(kernels):
    _, many_exprel = kernels
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.uniform(-40, 40, 100_000), rng.uniform(-1e-3, 1e-3, 10_000),
                        [1e-20, -1e-20, 0.49999, 0.5, -0.5, 1e-8]])
    reference = np.expm1(x) / x
    assert _ulps(many_exprel(x), reference).max() <= 2.0
    special = many_exprel(np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 800.0]))
    np.testing.assert_array_equal(special, [1.0, 1.0, np.inf, 0.0, np.nan, np.inf])


def test_loops_calling_exp_and_exprel_are_vectorized():
    """The reason these helpers exist: LLVM turns such loops into vector code."""
    source = ("import math\nimport numba\nimport numpy as np\n\n"
              + helper_sources(["_exp", "_exprel"]) + _LOOPS).replace("cache=True", "cache=False")
    namespace: dict = {}
    exec(compile(source, "<vectorization test>", "exec"), namespace)
    for name in ("many_exp", "many_exprel"):
        dispatcher = namespace[name]
        dispatcher(np.ones(8), np.empty(8))
        ir = "\n".join(dispatcher.inspect_llvm().values())
        assert re.search(r"<\d+ x double>", ir), name
        assert "call double @jnsim_exp" not in ir and "@llvm.exp" not in ir, name


_MIN_MAX = """

@numba.njit(cache=True, error_model='numpy', fastmath={'nsz', 'arcp', 'contract', 'afn'})
def pick(a, b, low, high, out):
    for k in range(a.size):
        out[k, 0] = MIN_AB
        out[k, 1] = MAX_AB
        out[k, 2] = _clip(a[k], low, high)
        out[k, 3] = THREE_MIN
"""


def test_min_max_and_clip_helpers_behave_like_pythons_builtins():
    """Kernels spell min/max/clip without Numba's builtins; the results must not change:
    the first of equal values, NaN only when it comes first, ints promoted to floats."""
    import sympy

    from jnsim.codegen.printer import NumbaPrinter

    a_, b_, h_ = sympy.symbols("a_k b_k high")
    printer = NumbaPrinter()
    texts = {"MIN_AB": printer.doprint(sympy.Min(a_, b_, evaluate=False)),
             "MAX_AB": printer.doprint(sympy.Max(a_, b_, evaluate=False)),
             "THREE_MIN": printer.doprint(sympy.Min(a_, b_, h_, evaluate=False))}
    assert texts["THREE_MIN"].count("_min2(") == 2 and "min(" not in texts["MIN_AB"]
    loops = _MIN_MAX
    for name, text in texts.items():
        loops = loops.replace(name, text.replace("a_k", "a[k]").replace("b_k", "b[k]"))
    source = ("import math\nimport numba\nimport numpy as np\n\n"
              + helper_sources(["_clip", "_min2", "_max2"]) + loops)
    kernel = compile_kernel(source, "pick")
    nan = float("nan")
    a = np.array([1.0, 2.0, nan, 1.0, -0.0, 0.0, 5.0, -3.0])
    b = np.array([2.0, 1.0, 1.0, nan, 0.0, -0.0, 5.0, 7.5])
    low, high = 0, 4  # integers, as a model's literal bounds would be
    out = np.empty((a.size, 4))
    kernel(a, b, low, high, out)
    expected = np.array([[min(x, y), max(x, y), min(max(x, low), high), min(x, y, high)]
                         for x, y in zip(a, b, strict=True)], dtype=float)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(np.signbit(out), np.signbit(expected))
