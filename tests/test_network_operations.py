"""Brian's ``network_operation``: Python functions called between time steps of a run."""

from __future__ import annotations

import numpy as np
import pytest

from jnsim import (
    JnsimError,
    Network,
    NetworkOperation,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    cache_info,
    defaultclock,
    ms,
    network_operation,
    run,
    start_scope,
)

from .conftest import raises_jnsim


@pytest.fixture(autouse=True)
def _fresh_scope():
    start_scope()
    defaultclock.dt = 0.1 * ms
    yield
    defaultclock.dt = 0.1 * ms


def test_calls_at_brians_times_across_runs_and_changes_the_dynamics():
    """Same calls, spikes and final value as Brian 2.9 gives for this script."""
    G = NeuronGroup(3, "dv/dt = (I - v)/(10*ms) : 1\nI : 1", threshold="v > 1", reset="v = 0",
                    method="exact")
    calls = []

    @network_operation(dt=5 * ms)
    def change_input(t):
        calls.append(float(t / ms))
        G.I = 1.2 + 0.3 * np.sin(float(t / ms)) * np.arange(3)

    ends = []

    @network_operation(when="end")
    def count():
        ends.append(1)

    spikes = SpikeMonitor(G)
    M = StateMonitor(G, "v", record=0)
    run(50 * ms)
    run(12 * ms)
    assert calls == [0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 55.0,
                     60.0]
    assert len(ends) == 620  # after every step
    assert spikes.count[:].tolist() == [3, 2, 2]
    assert float(M.v_[0][-1]) == pytest.approx(0.655386246, abs=1e-9)
    assert isinstance(change_input, NetworkOperation)


def test_an_operation_sets_the_input_at_the_start_of_its_step():
    """dv/dt = (I - v)/tau with I switched from 0 to 1 before the step at 2 ms: the closed
    form v = 1 - exp(-(t - 2 ms)/tau) afterwards."""
    G = NeuronGroup(1, "dv/dt = (I - v)/(10*ms) : 1\nI : 1", method="exact")

    def switch_on(t):
        if t >= 2 * ms:
            G.I = 1

    net = Network(G, NetworkOperation(switch_on, dt=1 * ms))
    net.run(5 * ms)
    assert G.v_[0] == pytest.approx(1 - np.exp(-0.3), rel=1e-12)
    before = cache_info()
    net.run(1 * ms)  # the same kernel goes on
    assert cache_info().compiled == before.compiled
    assert G.v_[0] == pytest.approx(1 - np.exp(-0.4), rel=1e-12)


def test_mistakes_are_named():
    raises_jnsim(lambda: NetworkOperation(lambda: None, when="thresholds"), JnsimError,
                 "when='thresholds'", "between time steps")
    raises_jnsim(lambda: NetworkOperation(lambda a, b: None), JnsimError, "2 arguments")
    raises_jnsim(lambda: network_operation(1 * ms), JnsimError, "options by name")
    G = NeuronGroup(1, "v : 1")

    @network_operation
    def broken():
        raise ValueError("from the user's function")

    with pytest.raises(ValueError, match="from the user's function"):
        Network(G, broken).run(1 * ms)
