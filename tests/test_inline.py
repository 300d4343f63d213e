"""Tests of jnsim.codegen.inline: operations written into the driver loop."""

from __future__ import annotations

import re

import numpy as np
import pytest

from jnsim import Network, NeuronGroup, SpikeMonitor, Synapses, ms
from jnsim.codegen.inline import inline_body

OPERATION = """\
@numba.njit(cache=True)
def add_input(N, _a_v, _spikes, _nspikes, w, t):
    _n = 0
    for _idx in range(N):
        v = _a_v[_idx]
        v = v + w * t
        _a_v[_idx] = v
        if v > 1.0:
            _spikes[_n] = _idx
            _n += 1
    _nspikes[0] = _n
"""


def _call_inlined(lines: list[str], namespace: dict) -> None:
    exec("\n".join(lines), {"math": __import__("math")}, namespace)


def test_inlined_body_renames_locals_and_substitutes_parameters() -> None:
    lines = inline_body(OPERATION, ("n0__N", "n0__v", "n0__spikes", "n0__nspikes",
                                    "n1__w", "t"), "_o3_")
    assert lines is not None
    text = "\n".join(lines)
    assert "_o3_0_end = n0__N\nwhile _o3_0_i < _o3_0_end:\n    _o3__idx = _o3_0_i" in text
    assert "_o3_v = n0__v[_o3__idx]" in text
    assert "_o3_v = _o3_v + n1__w * t" in text
    assert "n0__nspikes[0] = _o3__n" in text
    # no name of the function survives un-renamed
    for name in ("_a_v", "_spikes", "w", "N", "_n", "_idx", "v"):
        assert re.search(rf"(?<![\w]){name}(?![\w])", text) is None, name


def test_inlined_body_computes_what_the_call_computes() -> None:
    namespace = {"def_source": OPERATION.split("\n", 1)[1]}
    exec(namespace["def_source"], namespace)
    values = np.array([0.2, 0.9, 1.5, -3.0])
    called = {"v": values.copy(), "spikes": np.zeros(4, np.int64), "n": np.zeros(1, np.int64)}
    namespace["add_input"](4, called["v"], called["spikes"], called["n"], 0.5, 0.4)

    inlined = {"n0__N": 4, "n0__v": values.copy(), "n0__spikes": np.zeros(4, np.int64),
               "n0__nspikes": np.zeros(1, np.int64), "n1__w": 0.5, "t": 0.4}
    lines = inline_body(OPERATION, ("n0__N", "n0__v", "n0__spikes", "n0__nspikes",
                                    "n1__w", "t"), "_o0_")
    _call_inlined(lines, inlined)
    np.testing.assert_array_equal(inlined["n0__v"], called["v"])
    np.testing.assert_array_equal(inlined["n0__spikes"], called["spikes"])
    assert inlined["n0__nspikes"][0] == called["n"][0] == 2
    assert inlined["t"] == 0.4  # the caller's names are untouched


def test_parameter_rebound_inside_works_on_a_copy() -> None:
    source = "def f(x, y):\n    x = x + 1\n    y[0] = x\n"
    lines = inline_body(source, ("a", "b"), "_p_")
    assert lines is not None
    namespace = {"a": 1, "b": [0]}
    _call_inlined(lines, namespace)
    assert namespace["a"] == 1 and namespace["b"] == [2]


LOOPS = """\
def loops(n, m, out):
    total = 0
    for i in range(n):
        if i == 2:
            continue
        for j in range(i, m):
            if j > 6:
                break
            total += 10 * i + j
    last = -1
    for k in range(m - 3, m):
        last = k
    out[0] = total
    out[1] = i
    out[2] = j
    out[3] = last + k
    for q in range(0, n, 2):
        total += q
    else:
        total += 1000
    out[4] = total
    z = -5
    for z in range(n, 0):
        pass
    out[5] = z
"""


def test_range_loops_become_counting_loops_with_the_same_results() -> None:
    lines = inline_body(LOOPS, ("a", "b", "c"), "_p_")
    assert lines is not None
    text = "\n".join(lines)
    assert text.count("while ") == 4 and text.count("for ") == 1  # the stepped one stays
    assert "continue" in text and "break" in text
    namespace: dict = {}
    exec(LOOPS, namespace)
    for n, m in ((1, 3), (5, 9), (4, 4), (7, 5), (3, 2)):
        reference = [0] * 6
        namespace["loops"](n, m, reference)
        ours = {"a": n, "b": m, "c": [0] * 6}
        _call_inlined(lines, ours)
        assert ours["c"] == reference, (n, m)
    # no iteration: the loop variable stays unbound, as after a range loop
    with pytest.raises(UnboundLocalError):
        namespace["loops"](0, 0, [0] * 6)
    with pytest.raises(NameError, match="'_p_i'"):
        _call_inlined(lines, {"a": 0, "b": 0, "c": [0] * 6})


def test_functions_that_cannot_be_inlined_are_refused() -> None:
    assert inline_body("def f(x):\n    return x\n", ("a",), "_p_") is None
    assert inline_body("def f(x):\n    def g():\n        pass\n", ("a",), "_p_") is None
    assert inline_body("def f(x, y):\n    pass\n", ("a",), "_p_") is None  # arity
    assert inline_body("def f(x):\n    pass\n", ("a[0]",), "_p_") is None


def test_network_kernel_is_one_function_and_keeps_the_dynamics() -> None:
    G = NeuronGroup(50, "dv/dt = (1.2 - v)/(10*ms) : 1", threshold="v > 1", reset="v = 0",
                    refractory=2 * ms, method="exact")
    G.v = "i / 50.0"
    S = Synapses(G, G, "w : 1", on_pre="v += w")
    S.connect(i=[1], j=[2])
    S.w = 0.0
    spikes = SpikeMonitor(G)
    net = Network(G, S, spikes)
    net.run(20 * ms)
    source = net.last_plan.source
    assert [op.name for op in net.last_plan.operations if f"def {op.name}(" in source] == []
    assert source.count("def run_steps(") == 1
    # neuron 0 starts at 0 and crosses 1 at tau*ln(1.2/0.2); the spike carries the
    # time of the step that crossed
    first = float(spikes.t[spikes.i == 0][0] / ms)
    crossing = 10 * np.log(6.0)
    assert crossing - 0.1 < first <= crossing
