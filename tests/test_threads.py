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
from jnsim.threads import KernelThreads, choose_threads, kernel_threads

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
    serial = KernelThreads(False, 1)
    assert choose_threads(999, None, 8, minimum=1000) == serial
    assert choose_threads(1000, None, 8, minimum=1000) == KernelThreads(True, 8)
    assert choose_threads(10, 4, 8, minimum=1000) == KernelThreads(True, 4)
    assert choose_threads(10**6, 1, 8, minimum=1000) == serial
    assert choose_threads(10**6, 16, 8, minimum=1000) == KernelThreads(True, 8)  # at most
    # the kernel follows from the size, not the machine: one core runs the same kernel
    assert choose_threads(10**6, None, 1, minimum=1000) == KernelThreads(True, 1)
    assert choose_threads(10**6, 4, 1, minimum=1000) == KernelThreads(True, 1)
    assert choose_threads(10**7, None, 8, minimum=None) == serial


@two_cores
def test_networks_above_the_measured_size_get_every_thread(monkeypatch: Any) -> None:
    monkeypatch.delenv("JNSIM_THREADS", raising=False)
    monkeypatch.setattr(jnsim.threads, "AUTO_MIN_NEURONS", 200)
    assert kernel_threads(199) == KernelThreads(False, 1)
    assert kernel_threads(200) == KernelThreads(True, numba.config.NUMBA_NUM_THREADS)
    start_scope()
    small = Network(NeuronGroup(100, "dv/dt = -v / (10*ms) : 1", namespace={"ms": ms}))
    large = Network(NeuronGroup(300, "dv/dt = -v / (10*ms) : 1", namespace={"ms": ms}))
    assert small.prepare()[0].threads == 1
    plan = large.prepare()[0]
    assert plan.threads == numba.config.NUMBA_NUM_THREADS and plan.multithreaded
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
plan = net.prepare()[0]
print(plan.multithreaded, plan.threads)
"""


@pytest.mark.parametrize(("value", "numba_threads", "expected"),
                         [("1", "2", "False 1"), ("", "2", "True 2"), ("2", "2", "True 2"),
                          ("", "1", "True 1"), ("1", "1", "False 1")])
def test_jnsim_threads_environment_variable(value: str, numba_threads: str,
                                            expected: str) -> None:
    # NUMBA_NUM_THREADS=1 (a sweep worker) keeps the kernel, on one thread
    env = {**os.environ, "JNSIM_THREADS": value, "NUMBA_NUM_THREADS": numba_threads}
    result = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                            env=env, timeout=120, check=True)
    assert " ".join(result.stdout.split()[-2:]) == expected


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


def test_large_networks_run_the_multithreaded_kernel_by_default(monkeypatch: Any) -> None:
    # from the size measured to gain (benchmarks/threads.py), on every thread Numba has
    monkeypatch.delenv("JNSIM_THREADS", raising=False)
    set_threads(None)
    minimum = jnsim.threads.AUTO_MIN_NEURONS
    assert minimum == 64_000
    assert not kernel_threads(minimum - 1).multithreaded
    if jnsim.threads.parallel_available():
        assert kernel_threads(minimum) == KernelThreads(True, numba.config.NUMBA_NUM_THREADS)


def _rows_network(order: str, threads: int) -> tuple[tuple[np.ndarray, ...], bool]:
    """A deterministic network whose synapses are given in ``order``: ``'pre'`` (rows
    sorted by target), ``'post'`` (sorted by target, then source: not by source),
    ``'shuffled'`` (rows not sorted by target). Its spikes and state, and whether the
    pathway's rows were found sorted by target."""
    set_threads(threads)
    start_scope()
    n = 1200
    group = NeuronGroup(n, "dv/dt = (1.1 - v) / (10*ms) : 1", threshold="v > 1",
                        reset="v = 0", method="exact", namespace={"ms": ms})
    group.v = np.linspace(0, 1, n, endpoint=False)[np.random.default_rng(3).permutation(n)]
    pairs = np.random.default_rng(4).random((n, n)) < 0.04
    i, j = np.nonzero(pairs)  # sorted by source, then target
    if order == "post":
        by_target = np.lexsort((i, j))
        i, j = i[by_target], j[by_target]
    elif order == "shuffled":
        mixed = np.random.default_rng(5).permutation(len(i))
        i, j = i[mixed], j[mixed]
    syn = Synapses(group, group, "w : 1", on_pre="v_post += w")
    syn.connect(i=i, j=j)
    syn.w = "0.004 + 0.002 * (j % 3) - 0.0005 * (i % 7)"
    spikes = SpikeMonitor(group)
    net = Network(group, syn, spikes)
    net.run(30 * ms)
    pathway = syn.code.pathways["pre"]
    found_sorted = syn.code._targets_sorted(pathway, syn.code._layout(pathway, 1e-4))
    return (np.asarray(spikes.i[:]).copy(), np.asarray(spikes.t_[:]).copy(),
            group.arrays["v"].copy()), found_sorted


@two_cores
@pytest.mark.parametrize(("order", "sorted_rows"),
                         [("pre", True), ("post", True), ("shuffled", False)])
def test_rows_sorted_by_target_or_not_give_the_serial_bits(
        monkeypatch: Any, order: str, sorted_rows: bool) -> None:
    # every step's synapses split over threads: by binary search in rows sorted by
    # target, by testing every target otherwise
    monkeypatch.setattr(jnsim.codegen.parallel, "MIN_EVENTS", 0)
    serial, found = _rows_network(order, 1)
    assert found is sorted_rows
    assert len(serial[0]) > 300
    parallel, _ = _rows_network(order, 2)
    for a, b in zip(serial, parallel, strict=True):
        assert np.array_equal(a, b)


def test_prange_bodies_read_arrays_through_pointers() -> None:
    from jnsim.codegen.parallel import prange_pointers

    source = "\n".join([
        "def f(v, ok, ring, n):",
        "    v[0] = 1.0",
        "    for _c in numba.prange(n):",
        "        x = v[_c]",
        "        if ok[_c] and not ok[_c + 1]:",
        "            v[_c] = x + ring[_c, 0]",
        "            ok[_c] = False",
        "        y = v.shape[0] if ring[0, 0] > 0 else 0",
        "    return v"])
    kinds = {"v": ("float64", 1), "ok": ("bool", 1), "ring": ("int64", 2)}
    rewritten, dtypes = prange_pointers(source, kinds)
    lines = rewritten.split("\n")
    # v is used otherwise (its shape): it stays an array; so does the 2-d ring
    assert "        ok__t = _pointer_uint8(ok.ctypes.data)" in lines
    assert "        if (ok__t[_c] != 0) and not (ok__t[_c + 1] != 0):" in lines
    assert "            ok__t[_c] = False" in lines
    assert "        x = v[_c]" in lines and "    v[0] = 1.0" in lines
    assert dtypes == {"uint8"}
    plain, dtypes = prange_pointers(source.replace("v.shape[0]", "n"), kinds)
    assert "        x = v__t[_c]" in plain.split("\n") and "    v[0] = 1.0" in plain
    assert dtypes == {"uint8", "float64"}


def _threshold_fused(plan: Any, position: int) -> bool:
    """Whether the threshold of the group at ``position`` runs in the prange region of
    its state update (its own comment line is then missing from the driver)."""
    (name,) = [op.name for op in plan.operations
               if op.name.startswith(f"n{position}_") and op.name.endswith("_threshold")]
    return f"# {name}" not in plan.source


@two_cores
@pytest.mark.parametrize("linked_threshold", [False, True])
def test_threshold_runs_in_the_region_of_the_update_unless_something_between_writes_it(
        linked_threshold: bool) -> None:
    def run(threads: int) -> tuple[Any, tuple[np.ndarray, ...]]:
        set_threads(threads)
        start_scope()
        seed(8)
        n = 3000
        first = NeuronGroup(n, "dv/dt = (1.2 - v) / (10*ms) : 1 (unless refractory)\n"
                            + ("vt : 1 (linked)" if linked_threshold else "vt : 1"),
                            threshold="v > vt", reset="v = 0", refractory=2 * ms,
                            method="exact", namespace={"ms": ms}, name="first")
        first.v = np.linspace(0, 1, n)
        # a second group updated after the first one's update, before its threshold
        second = NeuronGroup(n, "dx/dt = (1.5 - x) / (20*ms) : 1", method="exact",
                             namespace={"ms": ms}, name="second")
        second.x = 0.9
        if linked_threshold:  # the threshold reads what the second update writes
            first.vt = jnsim.linked_var(second, "x")
        else:
            first.vt = 1.0
        syn = Synapses(first, first, on_pre="v_post += 0.01")
        syn.connect(p=0.02)
        spikes = SpikeMonitor(first)
        net = Network(first, second, syn, spikes)
        net.run(30 * ms)
        position = {obj.name: k for k, obj in enumerate(net._runnable())}["first"]
        fused = _threshold_fused(net.last_plan, position) if threads > 1 else None
        return fused, (np.asarray(spikes.i[:]).copy(), np.asarray(spikes.t_[:]).copy(),
                       first.arrays["v"].copy(), second.arrays["x"].copy())

    _, serial = run(1)
    fused, parallel = run(2)
    assert fused is (not linked_threshold)
    assert len(serial[0]) > 500
    for a, b in zip(serial, parallel, strict=True):
        assert np.array_equal(a, b)


def test_loops_reading_other_elements_of_what_the_other_writes_are_not_fused() -> None:
    from jnsim.codegen.fusion import fuse_chunk_loops

    update = ["_a__nchunks = (N + 1023) // 1024",
              "for _a__c in numba.prange(_a__nchunks):",
              "    _a__idx = _a__c",
              "    n0__v[_a__idx] = n0__v[_a__idx] + 1.0"]
    threshold = ["_b__nchunks = (N + 1023) // 1024",
                 "for _b__c in numba.prange(_b__nchunks):",
                 "    _b__idx = _b__c",
                 "    if n0__v[_b__idx] > 1.0:",
                 "        n0__spikes[_b__c] = _b__idx",
                 "_b__n = 0"]
    fused = fuse_chunk_loops(update, threshold, "_a_", "_b_")
    assert fused is not None
    assert fused[-1] == "_b__n = 0" and sum("numba.prange" in line for line in fused) == 1
    assert "        n0__spikes[_a__c] = _b__idx" in fused
    neighbour = [line.replace("n0__v[_b__idx] > 1.0", "n0__v[_b__idx + 1] > 1.0")
                 for line in threshold]
    assert fuse_chunk_loops(update, neighbour, "_a_", "_b_") is None
    other_chunks = [line.replace("(N + 1023)", "(M + 1023)") for line in threshold]
    assert fuse_chunk_loops(update, other_chunks, "_a_", "_b_") is None


def test_a_thread_limit_keeps_the_kernel_and_caps_its_threads(monkeypatch: Any) -> None:
    monkeypatch.delenv("JNSIM_THREADS", raising=False)
    if not jnsim.threads.parallel_available():
        pytest.skip("no thread-safe threading layer")
    minimum = jnsim.threads.AUTO_MIN_NEURONS
    try:
        jnsim.threads.limit_threads(1)  # what a sweep worker does
        assert kernel_threads(minimum) == KernelThreads(True, 1)
        assert kernel_threads(minimum - 1) == KernelThreads(False, 1)
    finally:
        jnsim.threads.limit_threads(None)
    assert kernel_threads(minimum).count == numba.config.NUMBA_NUM_THREADS
    with pytest.raises(JnsimError, match="positive number of threads"):
        jnsim.threads.limit_threads(0)
