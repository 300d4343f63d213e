"""Multi-threaded kernels: the same results on any number of threads, the automatic
choice of threads, ``JNSIM_THREADS``, and the serial fallback for unsafe code."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numba
import numpy as np
import pytest

import jnsim
import jnsim.codegen.parallel
import jnsim.network
import jnsim.threads
from jnsim import (
    Network,
    NeuronGroup,
    SpikeMonitor,
    Synapses,
    defaultclock,
    ms,
    mV,
    seed,
    set_threads,
    start_scope,
)
from jnsim.codegen.parallel import loop_is_element_wise
from jnsim.errors import JnsimError
from jnsim.threads import choose_threads, kernel_threads

two_cores = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2,
                               reason="needs NUMBA_NUM_THREADS >= 2")


@pytest.fixture(autouse=True)
def _automatic_threads() -> Iterator[None]:
    yield
    set_threads(None)


@contextlib.contextmanager
def _numba_threads(n: int) -> Iterator[None]:
    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def _noisy_network(n: int = 3000, noise: bool = True) -> tuple[Network, Any, Any]:
    """A CUBA-like network with (optionally) noise, random initial values and synapses."""
    start_scope()
    seed(2024)
    defaultclock.dt = 0.1 * ms
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
    sigma = (1.5 if noise else 0.0) * mV
    eqs = """
    dv/dt = (ge + gi - (v - El)) / taum + sigma * xi * taum**-0.5 : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
    """
    group = NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr + 2*mV*rand()",
                        refractory=5 * ms, method="euler",
                        namespace=dict(taum=taum, taue=taue, taui=taui, Vt=Vt, Vr=Vr,
                                       El=El, sigma=sigma, mV=mV))
    group.v = "Vr + rand() * (Vt - Vr)"
    exc = Synapses(group[:int(0.8 * n)], group, on_pre="ge += 1.62*mV*(0.5 + rand())",
                   namespace={"mV": mV})
    exc.connect(p=80 / n)
    inh = Synapses(group[int(0.8 * n):], group, on_pre="gi += -9*mV", namespace={"mV": mV})
    inh.connect(p=80 / n)
    spikes = SpikeMonitor(group)
    return Network(group, exc, inh, spikes), group, spikes


def _results(threads_at_run: int | None, threads: int, noise: bool = True
             ) -> tuple[np.ndarray, ...]:
    """Spikes and final state of the noisy network; the kernel is chosen for ``threads``
    and run on ``threads_at_run`` threads (``None``: as chosen)."""
    set_threads(threads)
    net, group, spikes = _noisy_network(noise=noise)
    if threads_at_run is None:
        net.run(30 * ms)
    else:
        original = jnsim.network.running_threads
        jnsim.network.running_threads = lambda _: _numba_threads(threads_at_run)
        try:
            net.run(30 * ms)
        finally:
            jnsim.network.running_threads = original
    assert net.last_plan.threads == threads
    return (np.asarray(spikes.i[:]).copy(), np.asarray(spikes.t_[:]).copy(),
            group.arrays["v"].copy(), group.arrays["ge"].copy(), group.arrays["gi"].copy())


@two_cores
@pytest.mark.parametrize("min_events", [0, 10**9])  # synapses on all threads, or on one
def test_multithreaded_kernel_gives_the_same_bits_on_one_and_two_threads(
        monkeypatch: Any, min_events: int) -> None:
    monkeypatch.setattr(jnsim.codegen.parallel, "MIN_EVENTS", min_events)
    one = _results(1, 2)
    two = _results(2, 2)
    assert len(one[0]) > 500  # the network is active: spikes, resets and synapses ran
    for a, b in zip(one, two, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    if not os.environ.get("NUMBA_THREADING_LAYER"):
        assert numba.threading_layer() in ("tbb", "omp")  # thread-safe, never workqueue


@two_cores
def test_synapses_give_the_same_bits_on_one_thread_and_on_all() -> None:
    import jnsim.codegen.parallel as parallel

    original = parallel.MIN_EVENTS
    try:
        parallel.MIN_EVENTS = 0
        split = _results(2, 2)
        parallel.MIN_EVENTS = 10**9
        alone = _results(2, 2)
    finally:
        parallel.MIN_EVENTS = original
    assert all(np.array_equal(a, b) for a, b in zip(split, alone, strict=True))


@two_cores
def test_noise_is_drawn_per_element_from_the_seed() -> None:
    first = _results(None, 2)
    again = _results(None, 2)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    set_threads(2)
    net, group, _ = _noisy_network()
    seed(7)  # another seed, other numbers
    net.run(30 * ms)
    assert not np.array_equal(group.arrays["v"], first[2])


@two_cores
def test_without_random_numbers_the_serial_and_multithreaded_kernels_agree() -> None:
    # the reset and on_pre still draw (from rand()), so take them out as well
    set_threads(2)
    serial = _deterministic(1)
    parallel = _deterministic(2)
    assert len(serial[0]) > 500
    for a, b in zip(serial, parallel, strict=True):
        assert np.array_equal(a, b)


def _deterministic(threads: int) -> tuple[np.ndarray, ...]:
    set_threads(threads)
    start_scope()
    seed(11)
    n = 2500
    group = NeuronGroup(n, "dv/dt = (1.2 - v) / (10*ms) : 1 (unless refractory)",
                        threshold="v > 1", reset="v = 0", refractory=2 * ms,
                        method="exact", namespace={"ms": ms})
    group.v = "rand()"
    syn = Synapses(group, group, on_pre="v_post += 0.02 - 0.05 * (i % 3 == 0)")
    syn.connect(p=0.03)
    spikes = SpikeMonitor(group)
    net = Network(group, syn, spikes)
    net.run(40 * ms)
    assert net.last_plan.threads == threads
    return (np.asarray(spikes.i[:]).copy(), np.asarray(spikes.t_[:]).copy(),
            group.arrays["v"].copy())


def test_choice_of_threads_follows_size_setting_and_cores() -> None:
    assert choose_threads(999, None, 8, minimum=1000) == 1
    assert choose_threads(1000, None, 8, minimum=1000) == 8
    assert choose_threads(10, 4, 8, minimum=1000) == 4
    assert choose_threads(10**6, 1, 8, minimum=1000) == 1
    assert choose_threads(10**6, 16, 8, minimum=1000) == 8  # never more than Numba has
    assert choose_threads(10**6, None, 1, minimum=1000) == 1


@two_cores
def test_networks_above_the_measured_size_get_every_thread(monkeypatch: Any) -> None:
    monkeypatch.delenv("JNSIM_THREADS", raising=False)
    monkeypatch.setattr(jnsim.threads, "AUTO_MIN_NEURONS", 200)
    assert kernel_threads(199) == 1
    assert kernel_threads(200) == numba.config.NUMBA_NUM_THREADS
    start_scope()
    small = Network(NeuronGroup(100, "dv/dt = -v / (10*ms) : 1", namespace={"ms": ms}))
    large = Network(NeuronGroup(300, "dv/dt = -v / (10*ms) : 1", namespace={"ms": ms}))
    assert small.prepare()[0].threads == 1
    plan = large.prepare()[0]
    assert plan.threads == numba.config.NUMBA_NUM_THREADS
    assert "numba.prange" in plan.source
    set_threads(1)
    assert "numba.prange" not in large.prepare()[0].source
    # nothing to run on several threads: the serial kernel, whatever the setting
    set_threads(2)
    start_scope()
    inputs = Network(jnsim.PoissonGroup(300, rates=5 * jnsim.Hz))
    assert inputs.prepare()[0].threads == 1


_PROBE = """
import jnsim, jnsim.threads
from jnsim import NeuronGroup, Network, ms
jnsim.threads.AUTO_MIN_NEURONS = 10
net = Network(NeuronGroup(50, "dv/dt = -v / (10*ms) : 1", namespace={"ms": ms}))
print(net.prepare()[0].threads)
"""


@two_cores
@pytest.mark.parametrize(("value", "expected"), [("1", "1"), ("", "2"), ("2", "2")])
def test_jnsim_threads_environment_variable(value: str, expected: str) -> None:
    env = {**os.environ, "JNSIM_THREADS": value, "NUMBA_NUM_THREADS": "2"}
    result = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                            env=env, timeout=120, check=True)
    assert result.stdout.split()[-1] == expected


def test_wrong_thread_counts_are_errors(monkeypatch: Any) -> None:
    with pytest.raises(JnsimError, match="positive number of threads"):
        set_threads(0)
    with pytest.raises(JnsimError, match="positive number of threads"):
        set_threads(1.5)  # type: ignore[arg-type]
    monkeypatch.setenv("JNSIM_THREADS", "many")
    with pytest.raises(JnsimError, match="JNSIM_THREADS='many'"):
        kernel_threads(10)


def _parallel_operations(net: Network) -> dict[str, bool]:
    """Whether each operation of the network's kernel has a multi-threaded variant."""
    return {op.name: bool(op.parallel_source) for op in net.prepare()[0].operations}


def test_code_that_is_not_element_wise_stays_serial() -> None:
    start_scope()
    source = NeuronGroup(40, "dx/dt = -x / (10*ms) : 1", threshold="x > 1", reset="x = 0",
                         namespace={"ms": ms})
    target = NeuronGroup(40, "dv/dt = -v / (10*ms) : 1\ns : 1", threshold="v > 1",
                         reset="v = 0", namespace={"ms": ms})
    plain = Synapses(source, target, "w : 1", on_pre="v_post += w", name="plain")
    writes_pre = Synapses(source, target, on_pre="v_post += 0.1\nx_pre += 0.01",
                          name="writes_pre")
    delays = Synapses(source, target, on_pre="v_post += 0.1", name="delays")
    summed = Synapses(source, target, "s_post = 0.1 * x_pre : 1 (summed)", name="summed")
    on_post = Synapses(source, target, "w : 1", on_pre="v_post += w", on_post="w += 0.01",
                       name="on_post")
    for synapses in (plain, writes_pre, delays, summed, on_post):
        synapses.connect(p=0.2)
    delays.delay = "rand() * 2*ms"
    reads_other = NeuronGroup(20, "dy/dt = (u - y) / (10*ms) : 1\nu : 1 (linked)",
                              namespace={"ms": ms}, name="reads_other")
    reads_other.u = jnsim.linked_var(source, "x", index=np.arange(20) * 2)
    net = Network(source, target, plain, writes_pre, delays, summed, on_post, reads_other)
    position = {obj.name: k for k, obj in enumerate(net._runnable())}
    variants = _parallel_operations(net)

    def variant(obj: str, suffix: str) -> bool:
        (found,) = [v for name, v in variants.items()
                    if name.startswith(f"n{position[obj]}_") and name.endswith(suffix)]
        return found

    assert variant(source.name, "state_update") and variant(target.name, "threshold")
    assert variant("plain", "_pre")
    assert not variant("writes_pre", "_pre")  # two threads could write one source
    assert not variant("delays", "_pre")  # heterogeneous delays: serial
    assert not variant("summed", "summed_s")
    assert not variant("on_post", "_post")
    assert not variant(target.name, "reset")
    assert variant("reads_other", "state_update")  # reads what no thread writes


def test_loops_reading_what_other_elements_write_are_not_element_wise() -> None:
    header = "    for _idx in range(N):"
    own = [header, "        y = _a_y[_idx]", "        u = _a_x[_link[_idx]]",
           "        _a_y[_idx] = y + u"]
    assert loop_is_element_wise(own, header, {"_a_y": "n1__y", "_a_x": "n0__x"})
    # the same array under two names (a group linked to itself): another element's y
    assert not loop_is_element_wise(own, header, {"_a_y": "n1__y", "_a_x": "n1__y"})
    scattered = [header, "        _a_y[_link[_idx]] = 1.0"]
    assert not loop_is_element_wise(scattered, header, {})
    numba_random = [header, "        _a_y[_idx] = np.random.poisson(1.0)"]
    assert not loop_is_element_wise(numba_random, header, {})
    assert not loop_is_element_wise(own, "    for _k in range(M):", {})


@two_cores
def test_a_multithreaded_kernel_with_serial_operations_agrees_with_the_serial_one() -> None:
    def run(threads: int) -> tuple[np.ndarray, ...]:
        set_threads(threads)
        start_scope()
        seed(5)
        group = NeuronGroup(1500, "dv/dt = (1.1 - v) / (10*ms) : 1\nx : 1", threshold="v > 1",
                            reset="v = 0", method="exact", namespace={"ms": ms})
        group.v = "rand()"
        syn = Synapses(group, group, on_pre="v_post += 0.01\nx_pre += 1")
        syn.connect(p=0.02)
        syn.delay = "i % 4 * 0.1*ms"
        net = Network(group, syn)
        net.run(20 * ms)
        return group.arrays["v"].copy(), group.arrays["x"].copy()

    serial, parallel = run(1), run(2)
    assert serial[1].sum() > 100
    assert all(np.array_equal(a, b) for a, b in zip(serial, parallel, strict=True))


def test_kernels_are_serial_by_default_whatever_the_size(monkeypatch: Any) -> None:
    # multi-threading is opt-in while no size has been measured to gain from it
    monkeypatch.delenv("JNSIM_THREADS", raising=False)
    set_threads(None)
    assert jnsim.threads.AUTO_MIN_NEURONS is None
    assert kernel_threads(10**7) == 1
    assert choose_threads(10**7, None, 8, minimum=None) == 1
