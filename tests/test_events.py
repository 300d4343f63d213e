"""Custom events: ``NeuronGroup(events=...)``, ``run_on_event``, ``EventMonitor``,
``Synapses(on_event=...)`` and ``set_event_schedule``."""

from __future__ import annotations

import numpy as np
import pytest

from jnsim import (
    CodeError,
    EventMonitor,
    JnsimError,
    Network,
    NeuronGroup,
    SpikeMonitor,
    Synapses,
    defaultclock,
    ms,
    start_scope,
)

from .conftest import raises_jnsim

DT_MS = 0.1


@pytest.fixture(autouse=True)
def _fresh_scope():
    start_scope()
    defaultclock.dt = DT_MS * ms
    yield


def _ramps(n: int = 5, **options):
    """Neurons whose v rises at (i + 1)/(10 ms) and that flag once when v passes 0.503."""
    G = NeuronGroup(n, """dv/dt = (i + 1)/(10*ms) : 1
                          crossed : boolean""",
                    events={"half": "v > 0.503 and not crossed"}, method="euler", **options)
    G.run_on_event("half", "crossed = True")
    return G


def test_custom_event_times_and_values_follow_the_analytic_ramp():
    G = _ramps()
    events = EventMonitor(G, "half", variables="v")
    Network(G, events).run(20 * ms)
    # One event per neuron. After m updates v = m*dt*slope; the test follows the update
    # of the step that starts at (m - 1)*dt, which is the event's time.
    assert sorted(events.i) == list(range(5))
    order = np.argsort(events.i)
    slope = (np.arange(5) + 1) / 10.0  # per ms
    updates = np.floor(0.503 / (slope * DT_MS)) + 1
    np.testing.assert_allclose(events.t_[order] * 1e3, (updates - 1) * DT_MS, atol=1e-9)
    v_at_event = events.v_[order]
    assert np.all(v_at_event > 0.503) and np.all(v_at_event <= 0.503 + slope * DT_MS)
    assert events.num_events == 5 and list(events.count) == [1] * 5
    assert set(events.event_trains()) == set(range(5))
    assert np.all(G.crossed[:])


def test_run_on_event_can_reset_and_repeat_like_a_second_threshold():
    # the event resets w, so it repeats every 51 steps (w > 0.503 after 51 updates of 0.01)
    G = NeuronGroup(1, "dw/dt = 1/(10*ms) : 1", events={"wrap": "w > 0.503"}, method="euler")
    G.run_on_event("wrap", "w = 0")
    events = EventMonitor(G, "wrap")
    Network(G, events).run(100 * ms)
    intervals = np.diff(events.t_) * 1e3
    assert len(events.t_) >= 18
    np.testing.assert_allclose(intervals, 5.1, atol=1e-9)


def test_events_are_independent_of_spikes_and_refractoriness():
    G = NeuronGroup(1, "dv/dt = 1/(10*ms) : 1 (unless refractory)",
                    threshold="v > 1", reset="v = 0", refractory=5 * ms,
                    events={"above": "v > 0.8"}, method="euler")
    spikes, above = SpikeMonitor(G), EventMonitor(G, "above")
    Network(G, spikes, above).run(40 * ms)
    assert spikes.num_spikes >= 2
    # v stays above 0.8 for 2 ms before each spike: about 20 events per spike
    assert above.num_events >= 19 * spikes.num_spikes
    assert G.events == ("spike", "above")


def test_synapse_pathway_triggered_by_a_custom_event():
    G = _ramps(4)
    H = NeuronGroup(4, "x : 1")
    S = Synapses(G, H, on_pre="x += 1", on_event="half", delay=1 * ms)
    S.connect(j="i")
    S2 = Synapses(G, H, on_pre="x += 10", on_event={"pre": "half"})
    S2.connect(i=0, j=3)
    Network(G, H, S, S2).run(30 * ms)
    np.testing.assert_array_equal(H.x[:], [1, 1, 1, 11])


def test_event_schedule_moves_the_test_to_another_slot():
    def first_event_ms(when):
        start_scope()
        G = NeuronGroup(1, "dv/dt = 1/(10*ms) : 1", events={"high": "v > 0.505"},
                        method="euler")
        if when is not None:
            G.set_event_schedule("high", when=when)
        events = EventMonitor(G, "high")
        Network(G, events).run(10 * ms)
        return events.t_[0] * 1e3

    # tested before the state update, the event is seen one step later
    assert first_event_ms("start") == pytest.approx(first_event_ms(None) + DT_MS)


def test_store_restore_covers_event_buffers_and_monitors():
    G = _ramps(3)
    events = EventMonitor(G, "half")
    net = Network(G, events)
    net.store()
    net.run(20 * ms)
    first = events.t_.copy()
    net.restore()
    assert events.num_events == 0 and not np.any(G.crossed[:])
    net.run(20 * ms)
    np.testing.assert_array_equal(events.t_, first)


def test_bad_event_declarations_and_uses_get_clear_errors():
    raises_jnsim(lambda: NeuronGroup(2, "v : 1", events={"spike": "v > 1"}), JnsimError,
                 "threshold")
    raises_jnsim(lambda: NeuronGroup(2, "v : 1", events={"2fast": "v > 1"}), JnsimError,
                 "cannot name an event")
    raises_jnsim(lambda: NeuronGroup(2, "v : 1", events={"big": "v + 1"}), CodeError,
                 "event 'big'")
    unknown = NeuronGroup(2, "v : 1", events={"big": "v > w_unknown"})
    raises_jnsim(lambda: Network(unknown).run(1 * ms), JnsimError, "'w_unknown'")
    G = NeuronGroup(2, "v : 1", events={"big": "v > 1"})
    raises_jnsim(lambda: EventMonitor(G, "bgi"), JnsimError, "no event 'bgi'", "'big'",
                 "did you mean 'big'?")
    raises_jnsim(lambda: G.run_on_event("small", "v = 0"), JnsimError, "no event 'small'")
    # 'u = 0' would define a temporary (Brian's rule); updating a new name is an error
    raises_jnsim(lambda: G.run_on_event("big", "u += 1"), CodeError,
                 "'u += ...' needs a value of 'u'")
    raises_jnsim(lambda: G.set_event_schedule("big", when="later"), JnsimError, "slot")
    raises_jnsim(lambda: EventMonitor(G, "big", variables="u"), JnsimError,
                 "no variable 'u'")
    H = NeuronGroup(2, "x : 1")
    raises_jnsim(lambda: Synapses(G, H, on_pre="x += 1", on_event="small"), JnsimError,
                 "no event 'small'")
    raises_jnsim(lambda: Synapses(G, H, on_pre="x += 1", on_event={"post": "big"}),
                 JnsimError, "pathway 'post'")


def test_spike_monitor_records_variables_at_spikes():
    G = NeuronGroup(3, "dv/dt = (i + 1)/(10*ms) : 1", threshold="v > 1", reset="v = 0",
                    method="euler")
    spikes = SpikeMonitor(G, variables=["v"])
    Network(G, spikes).run(30 * ms)
    # recorded after the reset (in the threshold slot, before it): above threshold
    assert spikes.num_spikes > 3
    assert np.all(spikes.v_ > 1.0)
    assert spikes.v.units == spikes.v.units  # a quantity (dimensionless)


def test_group_card_and_report_show_events_and_event_monitors():
    from jnsim.display import group_markdown
    from jnsim.report import network_markdown

    G = _ramps(3)
    events = EventMonitor(G, "half", variables="v")
    text = group_markdown(G)
    assert "event `half`" in text and "on event `half`" in text
    report = network_markdown(Network(G, events))
    assert "times of 'half' events with $v$" in report
