"""Tests of jnsim.codegen.pointers: the driver's arrays passed as data addresses."""

from __future__ import annotations

import types

import numba
import numpy as np
import pytest

import jnsim.network
from jnsim import (
    Hz,
    Network,
    NeuronGroup,
    PoissonGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    ms,
    mV,
)
from jnsim.codegen import pointers
from jnsim.codegen.pointers import argument_values, pointer_arguments, pointer_candidate

DRIVER = """\
@numba.njit(cache=False)
def run_steps(_step, a, ring, n, out, scale):
    total = 0.0
    for k in range(a.shape[0]):
        a[k] = a[k] * scale
        total += a[k]
    for r in range(ring.shape[0]):
        for c in range(ring.shape[1]):
            ring[r, c] = ring[r, c] + r * 10 + c
    out[n - 1] = total + ring[ring.shape[0] - 1, n + 0]
    return _step
"""
PARAMETERS = ("a", "ring", "n", "out", "scale")


def _values() -> dict:
    return {"a": np.arange(5.0), "ring": np.zeros((3, 4), dtype=np.int64), "n": 2,
            "out": np.zeros(3), "scale": 2.0}


def _run(source: str, arguments, kinds, values: dict) -> int:
    module = types.ModuleType("driver_under_test")
    module.__dict__["numba"] = numba
    header = pointers.pointer_import(sorted({d for d, _ in kinds.values()})) if kinds else ""
    exec(compile(header + source, "<driver>", "exec"), module.__dict__)
    return module.run_steps(7, *argument_values(arguments, values, kinds))


def _candidates(values: dict) -> dict:
    return {k: kind for k, v in values.items() if (kind := pointer_candidate(v)) is not None}


def test_driver_with_pointers_computes_what_the_array_driver_computes() -> None:
    values = _values()
    source, arguments, kinds = pointer_arguments(DRIVER, PARAMETERS, _candidates(values))
    assert kinds == {"a": ("float64", 1), "ring": ("int64", 2), "out": ("float64", 1)}
    assert "ring[r * ring__shape1 + c] = ring[r * ring__shape1 + c] + r * 10 + c" in source
    assert "ring[(ring__shape0 - 1) * ring__shape1 + (n + 0)]" in source
    assert "range(a__shape0)" in source and ".shape" not in source
    assert arguments == (("a", "address"), ("a", "shape0"), ("ring", "address"),
                         ("ring", "shape0"), ("ring", "shape1"), ("n", "value"),
                         ("out", "address"), ("scale", "value"))
    assert _run(source, arguments, kinds, values) == 7
    reference = _values()
    unchanged, plain, none = pointer_arguments(DRIVER, PARAMETERS, {})
    assert unchanged == DRIVER and none == {}
    _run(unchanged, plain, none, reference)
    for key in ("a", "ring", "out"):
        np.testing.assert_array_equal(values[key], reference[key])
    assert values["out"][1] == 2 * sum(range(5)) + 20 + 2  # not a vacuous comparison


@pytest.mark.parametrize("use", [
    "x = a[1:3]",             # a slice
    "x = a[-1]",              # a negative constant index wraps around in NumPy
    "x = len(a)",             # the array itself is used
    "a = out",                # the name is rebound
    "x = a.size",             # another attribute
    "x = a.shape[1]",         # no such axis
])
def test_arrays_used_otherwise_stay_arrays(use: str) -> None:
    source = DRIVER.replace("    total = 0.0\n", f"    total = 0.0\n    {use}\n")
    values = _values()
    rewritten, arguments, kinds = pointer_arguments(source, PARAMETERS, _candidates(values))
    assert "a" not in kinds and ("a", "value") in arguments
    assert "ring" in kinds  # the others are unaffected
    assert set(kinds) == ({"ring"} if use == "a = out" else {"ring", "out"})
    assert "a = _pointer" not in rewritten


def test_only_contiguous_native_numeric_arrays_qualify() -> None:
    assert pointer_candidate(np.zeros(4)) == ("float64", 1)
    assert pointer_candidate(np.zeros((2, 3), dtype=np.int32)) == ("int32", 2)
    assert pointer_candidate(np.zeros(4)[::2]) is None
    assert pointer_candidate(np.zeros((3, 3)).T) is None
    assert pointer_candidate(np.zeros(4, dtype=bool)) is None
    assert pointer_candidate(np.zeros(4, dtype=">f8")) is None
    assert pointer_candidate(np.zeros((2, 2, 2))) is None
    assert pointer_candidate(3.0) is None
    frozen = np.zeros(4)
    frozen.flags.writeable = False
    assert pointer_candidate(frozen) is None


def _cuba_like_network() -> tuple[Network, SpikeMonitor, StateMonitor, Synapses]:
    namespace = {"taum": 20 * ms, "taue": 5 * ms, "taui": 10 * ms, "Vt": -50 * mV,
                 "Vr": -60 * mV, "El": -49 * mV, "wi": -9 * mV}
    eqs = """
    dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
    """
    P = NeuronGroup(400, eqs, threshold="v > Vt", reset="v = Vr", refractory=5 * ms,
                    method="exact", namespace=namespace)
    P.v = "Vr + (i % 97) / 97.0 * (Vt - Vr)"
    exc = Synapses(P[:320], P, "w : volt", on_pre="ge += w", delay=1 * ms)
    exc.connect("(i + j) % 7 == 0")
    exc.w = 1.62 * mV
    inh = Synapses(P[320:], P, on_pre="gi += wi", namespace=namespace)
    inh.connect("(i * 3 + j) % 11 == 0")
    drive = PoissonGroup(20, rates=200 * Hz)
    feed = Synapses(drive, P, on_pre="v += 2*mV")
    feed.connect(j="i * 20 + k for k in range(20)")
    spikes = SpikeMonitor(P)
    trace = StateMonitor(P, ["v", "ge"], record=[0, 5, 399])
    return Network(P, exc, inh, drive, feed, spikes, trace), spikes, trace, exc


def test_network_runs_the_same_with_and_without_pointer_arguments(monkeypatch) -> None:
    results = []
    for with_pointers in (True, False):
        if not with_pointers:
            monkeypatch.setattr(jnsim.network, "pointer_candidate", lambda value, **_: None)
        jnsim.seed(5)
        net, spikes, trace, exc = _cuba_like_network()
        net.run(30 * ms)
        net.run(20 * ms)  # a second call: recording buffers have grown in between
        plan = net.last_plan
        model_arrays = set(plan.pointers) - {"_progress", "_nan_flag"}  # run()'s own
        assert bool(model_arrays) is with_pointers
        assert ("_pointer_float64(" in plan.source) is with_pointers
        results.append((spikes.i[:].copy(), spikes.t_[:].copy(), trace.v_.copy(),
                        trace.ge_.copy(), exc.w_[:].copy()))
    assert results[0][0].size > 100
    for with_pointers, without in zip(*results, strict=True):
        np.testing.assert_array_equal(with_pointers, without)
