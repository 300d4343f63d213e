"""Run timings: the simulation loop and the kernel's compilation are reported apart."""

from __future__ import annotations

import jnsim
from jnsim import Network, NeuronGroup, ms, mV
from jnsim.network import run_history


def test_compile_time_is_not_counted_as_loop_time() -> None:
    jnsim.start_scope()
    # A model no other test compiles, so the first run must compile (or load) it.
    namespace = {"tau_stats": 7.25 * ms}
    group = NeuronGroup(10, "dv/dt = (3.5*mV - v) / tau_stats : volt", method="euler",
                        namespace=namespace)
    net = Network(group)
    net.run(1 * ms)
    first = net.last_run_stats
    assert first.compile_seconds > 0  # compiled, or loaded from a shared disk cache
    if first.compiled:  # Numba needs far longer than this to compile a kernel
        assert first.compile_seconds > 0.05
        assert first.kernel_seconds < first.compile_seconds
    assert first.run_seconds >= first.compile_seconds + first.kernel_seconds
    assert run_history()[-1] is first
    net.run(1 * ms)
    assert net.last_run_stats.compile_seconds == 0.0
    assert not net.last_run_stats.compiled
    assert float(group.v[0] / mV) > 0


def test_profiling_info_names_the_kernel_and_its_time_as_brian_lists_code_objects():
    from jnsim import Network, NeuronGroup, ms, second

    net = Network(NeuronGroup(10, "dv/dt = -v/(10*ms) : 1", namespace={"ms": ms}))
    assert net.profiling_info == []
    net.run(2 * ms, profile=True)
    [(name, seconds)] = net.profiling_info
    assert name == "network_kernel"
    assert seconds == net.last_run_stats.kernel_seconds * second
    total = sum(t for _, t in net.profiling_info)  # as Brian's scripts add them up
    assert float(total / second) == net.last_run_stats.kernel_seconds
