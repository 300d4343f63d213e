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


STORED_MODEL = '''
import sys
import numpy as np
from jnsim import *

state_file, phase = sys.argv[1], sys.argv[2]
seed(3)
G = NeuronGroup(20, "dv/dt = (1.1 - v)/(10*ms) + 0.3*xi/sqrt(10*ms) : 1", threshold="v > 1",
                reset="v = 0", method="euler", name="cells")
S = Synapses(G, G, "w : 1", on_pre="v_post += w", delay=1*ms, name="links")
S.connect(p=0.3)
S.w = "0.01*rand()"
spikes = SpikeMonitor(G, name="spikes")
net = Network(G, S, spikes)
if phase == "first":
    net.run(20*ms)
    net.store("middle", filename=state_file)
else:
    net.restore("middle", filename=state_file, restore_random_state=True)
net.run(10*ms)
np.save(state_file + "." + phase + ".npy", np.concatenate([G.v_, spikes.t_, S.w_]))
'''


def test_store_to_a_file_and_restore_in_a_new_process(tmp_path):
    """Brian's store(name, filename): a new process that builds the same network (same
    names) continues exactly where the stored one was, random numbers included."""
    import subprocess
    import sys

    script = tmp_path / "model.py"
    script.write_text(STORED_MODEL)
    state = tmp_path / "state.pkl"
    for phase in ("first", "second"):
        result = subprocess.run([sys.executable, str(script), str(state), phase],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
    first = np.load(f"{state}.first.npy")
    second = np.load(f"{state}.second.npy")
    np.testing.assert_array_equal(first, second)
    G = NeuronGroup(2, "v : 1", name="other")
    raises_jnsim(lambda: Network(G).restore("middle", filename=str(state)), JnsimError,
                 "has no state for other", "cells")
    raises_jnsim(lambda: Network(G).restore("end", filename=str(state)), JnsimError,
                 "no state named 'end'", "middle")
    twin = NeuronGroup(2, "v : 1", name="other")
    raises_jnsim(lambda: Network(G, twin).store(filename=str(tmp_path / "x.pkl")), JnsimError,
                 "two objects are named 'other'")
