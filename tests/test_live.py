"""explore(): sliders rerun the network and update figures in place, without compiling."""

from __future__ import annotations

import io
import math
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import jnsim
from jnsim import (
    Network,
    NeuronGroup,
    PoissonGroup,
    PopulationRateMonitor,
    RunError,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    UnitError,
    explore,
    ms,
    mV,
    nA,
    nS,
    pA,
)
from jnsim.errors import JnsimError
from jnsim.live import Explorer
from jnsim.plotting import figure_sources
from jnsim.progress import ProgressBar, describe_progress, progress_report

DURATION = 200 * ms

_open: list[Explorer] = []


@pytest.fixture(autouse=True)
def _close_explorers() -> Iterator[None]:
    yield
    while _open:
        _open.pop().close()


def _explore(*args: Any, **kwargs: Any) -> Explorer:
    kwargs.setdefault("show", False)
    ex = explore(*args, **kwargs)
    _open.append(ex)
    return ex


def _cuba(n: int = 400) -> tuple[Network, dict[str, Any], SpikeMonitor]:
    """A small CUBA network (Vogels & Abbott 2005) and the namespace it runs in."""
    jnsim.start_scope()
    jnsim.seed(11)
    namespace = {"taum": 20 * ms, "taue": 5 * ms, "taui": 10 * ms, "Vt": -50 * mV,
                 "Vr": -60 * mV, "El": -49 * mV, "we": 1.62 * mV, "wi": -9 * mV}
    eqs = """
    dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
    """
    group = NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr", refractory=5 * ms,
                        method="exact")
    group.set_variable("v", np.linspace(-60, -50, n) * 1e-3, raw=True)
    exc = Synapses(group[: int(0.8 * n)], group, on_pre="ge += we")
    exc.connect(p=0.05)
    inh = Synapses(group[int(0.8 * n):], group, on_pre="gi += wi")
    inh.connect(p=0.05)
    spikes = SpikeMonitor(group)
    rates = PopulationRateMonitor(group)
    states = StateMonitor(group, "v", record=[0, 1])
    return Network(group, exc, inh, spikes, rates, states), namespace, spikes


def _spike_times(ex: Explorer) -> np.ndarray:
    return np.asarray(figure_sources(ex.figures[0])["spikes"].data["t"]).copy()


def test_set_reruns_and_updates_sources_in_place_without_compiling() -> None:
    net, namespace, spikes = _cuba()
    ex = _explore(net, params={"we": (0 * mV, 3 * mV), "wi": (-15 * mV, 0 * mV)},
                  duration=DURATION, namespace=namespace)
    assert [f.yaxis[0].axis_label for f in ex.figures] == ["neuron index", "rate (Hz)",
                                                           "v (mV)"]
    sources = [next(iter(figure_sources(f).values())) for f in ex.figures]
    before = _spike_times(ex)
    rate_before = np.asarray(sources[1].data["rate"]).copy()
    info = jnsim.cache_info()
    ex.set(we=3 * mV)
    assert jnsim.cache_info() == info  # nothing compiled, loaded or even looked up
    assert [next(iter(figure_sources(f).values())) for f in ex.figures] == sources
    after = _spike_times(ex)
    assert len(after) > len(before)  # stronger excitation: more spikes
    np.testing.assert_allclose(after, spikes.t_ * 1e3)
    assert not np.array_equal(np.asarray(sources[1].data["rate"]), rate_before)
    assert ex.values["we"] == 3 * mV and ex.sliders["we"].value == 3.0
    assert f"{spikes.num_spikes:,} spikes" in ex.status.value
    assert ex.runs == 2 and ex.last_stats.compiled is False
    assert ex.last_update_seconds is not None and ex.last_update_seconds > 0
    # The run started from the stored state: the same as restoring and running by hand.
    count = spikes.num_spikes
    ex.close()
    net.restore("explore")
    net.run(DURATION, namespace={**namespace, "we": 3 * mV})
    assert spikes.num_spikes == count


def test_moving_a_slider_reruns_in_the_background() -> None:
    net, namespace, spikes = _cuba()
    ex = _explore(net, params={"we": (0 * mV, 3 * mV)}, duration=DURATION,
                  namespace=namespace)
    slider = ex.sliders["we"]
    assert (slider.min, slider.max, slider.value) == (0.0, 3.0, pytest.approx(1.62))
    assert slider.description == "we"
    first = spikes.num_spikes
    info = jnsim.cache_info()
    slider.value = 0.5  # what a message from the browser does
    ex.wait()
    assert ex.runs == 2 and ex.values["we"] == 0.5 * mV
    assert spikes.num_spikes < first
    assert jnsim.cache_info() == info


def test_changes_during_a_run_are_coalesced_latest_wins() -> None:
    net, namespace, _ = _cuba()
    ex = _explore(net, params={"we": (0 * mV, 3 * mV), "wi": (-15 * mV, 0 * mV)},
                  duration=DURATION, namespace=namespace)
    original = net.run
    seen: list[tuple[float, float]] = []
    gate = threading.Event()

    def gated_run(duration: Any, **kwargs: Any) -> None:
        ns = kwargs["namespace"]
        seen.append((ns["we"].to("mV").magnitude, ns["wi"].to("mV").magnitude))
        if len(seen) == 1:
            assert gate.wait(30)
        original(duration, **kwargs)

    net.run = gated_run  # type: ignore[method-assign]
    ex.sliders["we"].value = 1.0
    deadline = time.monotonic() + 30
    while not seen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ex.busy
    started = time.perf_counter()
    for value in (1.5, 2.0, 2.5):  # while the first run is blocked
        ex.sliders["we"].value = value
    ex.sliders["wi"].value = -5.0
    assert time.perf_counter() - started < 1.0  # the kernel thread was never blocked
    gate.set()
    ex.wait()
    assert seen == [(1.0, -9.0), (2.5, -5.0)]
    assert ex.runs == 3
    assert ex.values == {"we": 2.5 * mV, "wi": -5.0 * mV}


def test_state_variable_parameter_matches_the_analytic_firing_rate() -> None:
    jnsim.start_scope()
    group = NeuronGroup(5, "dv/dt = (I - v) / tau : volt\ntau : second\nI : volt",
                        threshold="v > 10*mV", reset="v = 0*mV", method="exact")
    group.tau = 20 * ms
    group.I = 15 * mV
    spikes = SpikeMonitor(group)
    net = Network(group, spikes)
    ex = _explore(net, params={"group.tau": (5 * ms, 50 * ms)}, duration=500 * ms,
                  namespace={"group": group})
    assert ex.sliders["group.tau"].value == 20.0
    ex.set({"group.tau": 10 * ms})
    period = 10e-3 * math.log(15 / 5)  # time from 0 to 10 mV with drive 15 mV
    expected = math.floor(0.5 / period + 1e-9)
    assert np.all(np.abs(spikes.count - expected) <= 1)
    np.testing.assert_allclose(group.tau_, 10e-3)
    # The same with a (group, 'variable') key.
    other = _explore(net, params={(group, "I"): (0 * mV, 30 * mV)}, duration=100 * ms,
                     namespace={})
    assert list(other.sliders) == [f"{group.name}.I"]
    other.set({f"{group.name}.I": 8 * mV})  # below threshold: silent
    assert spikes.num_spikes == 5 * expected  # only the spikes of the first explorer's run
    assert len(_spike_times(other)) == 0


def test_explore_captures_the_callers_namespace() -> None:
    jnsim.start_scope()
    tau = 10 * ms
    drive = 20 * mV
    group = NeuronGroup(3, "dv/dt = (drive - v) / tau : volt", threshold="v > 10*mV",
                        reset="v = 0*mV", method="exact")
    spikes = SpikeMonitor(group)
    ex = explore(params={"drive": (0 * mV, 40 * mV)}, duration=100 * ms, show=False)
    _open.append(ex)
    assert ex.sliders["drive"].value == 20.0
    busy = spikes.num_spikes
    ex.set(drive=5 * mV)
    assert spikes.num_spikes == 0 < busy
    assert [f.yaxis[0].axis_label for f in ex.figures] == ["neuron index"]
    assert tau == 10 * ms  # the caller's values are read, not changed


def test_plots_option_and_only_new_data_shown() -> None:
    net, namespace, spikes = _cuba()
    net.run(50 * ms, namespace=namespace)  # explored runs start at 50 ms
    rates = next(o for o in net.objects if isinstance(o, PopulationRateMonitor))
    ex = _explore(net, params={"we": (0 * mV, 3 * mV)}, duration=DURATION,
                  namespace=namespace, plots=[(rates, {"smooth": 5 * ms}), spikes])
    assert len(ex.figures) == 2
    times = np.asarray(figure_sources(ex.figures[1])["spikes"].data["t"])
    assert times.min() >= 50.0 and times.max() < 250.0
    assert ex.figures[0].x_range is ex.figures[1].x_range
    assert (ex.figures[0].x_range.start, ex.figures[0].x_range.end) == (50.0, 250.0)
    assert "spikes" in ex.status.value


def test_buttons_run_and_reset() -> None:
    net, namespace, spikes = _cuba()
    ex = _explore(net, params={"we": (0 * mV, 3 * mV)}, duration=DURATION,
                  namespace=namespace)
    initial = spikes.num_spikes
    ex.set(we=3 * mV)
    ex.reset_button.click()
    ex.wait()
    assert ex.sliders["we"].value == pytest.approx(1.62)
    assert ex.values["we"].to("mV").magnitude == pytest.approx(1.62)
    assert spikes.num_spikes == initial
    runs = ex.runs
    ex.run_button.click()
    ex.wait()
    assert ex.runs == runs + 1 and spikes.num_spikes == initial


def test_seed_makes_noisy_runs_repeatable() -> None:
    jnsim.start_scope()
    inputs = PoissonGroup(50, rates="rate")
    group = NeuronGroup(1, "dv/dt = -v / (10*ms) : volt", threshold="v > w * 5",
                        reset="v = 0*volt", method="exact")
    syn = Synapses(inputs, group, on_pre="v += w")
    syn.connect()
    spikes = SpikeMonitor(inputs)
    net = Network(inputs, group, syn, spikes)
    ns = {"rate": 20 * jnsim.Hz, "w": 1 * mV}
    ex = _explore(net, params={"w": (0 * mV, 2 * mV)}, duration=100 * ms, namespace=ns,
                  seed=3)
    first = _spike_times(ex)
    ex.set(w=1.5 * mV)
    ex.set(w=1 * mV)
    np.testing.assert_array_equal(_spike_times(ex), first)


def test_run_errors_are_shown_and_raised_then_recovered() -> None:
    jnsim.start_scope()
    group = NeuronGroup(2, "dv/dt = (1 - v) / tau : 1", method="euler")
    net = Network(group, StateMonitor(group, "v", record=0))
    ex = _explore(net, params={"tau": (0 * ms, 10 * ms)}, duration=10 * ms,
                  namespace={"tau": 5 * ms})
    with pytest.raises(RunError, match="NaN or infinite"):
        ex.set(tau=0 * ms)
    assert "RunError" in ex.status.value
    ex.set(tau=2 * ms)
    assert ex.last_error is None and "RunError" not in ex.status.value


def test_parameter_mistakes() -> None:
    net, namespace, _ = _cuba(100)
    with pytest.raises(JnsimError, match="no equation of the network uses it"):
        _explore(net, params={"unused": (0 * mV, 1 * mV)}, duration=DURATION,
                 namespace={**namespace, "unused": 1 * mV})
    with pytest.raises(UnitError, match="units of volt here, but its slider range is in nS"):
        _explore(net, params={"we": (0 * nS, 3 * nS)}, duration=DURATION, namespace=namespace)
    with pytest.raises(JnsimError, match="range of 'we' is empty"):
        _explore(net, params={"we": (3 * mV, 1 * mV)}, duration=DURATION, namespace=namespace)
    with pytest.raises(JnsimError, match="no 'H' here"):
        _explore(net, params={"H.tau": (1 * ms, 2 * ms)}, duration=DURATION,
                 namespace=namespace)
    with pytest.raises(JnsimError, match="must be \\(low, high\\)"):
        _explore(net, params={"we": 3 * mV}, duration=DURATION, namespace=namespace)
    with pytest.raises(JnsimError, match="needs a duration"):
        _explore(net, params={"we": (0 * mV, 3 * mV)}, namespace=namespace)
    ex = _explore(net, params={"we": (0 * mV, 3 * mV)}, duration=DURATION, namespace=namespace)
    with pytest.raises(JnsimError, match="lies outside the slider's range"):
        ex.set(we=5 * mV)
    with pytest.raises(UnitError, match="needs a value in mV"):
        ex.set(we=1 * ms)
    with pytest.raises(JnsimError, match="'wi' is not explored here"):
        ex.set(wi=-1 * mV)


def test_text_progress_bar_during_a_run() -> None:
    net, namespace, _ = _cuba(100)
    stream = io.StringIO()
    net.run(100 * ms, namespace=namespace,
            report=progress_report(widget=False, stream=stream), report_period=1 * ms)
    text = stream.getvalue()
    assert text.startswith("\rsimulating [")
    assert text.endswith("done in " + text.rsplit("done in ", 1)[1])
    assert "[" + "#" * 30 + "]" in text and text.endswith("\n")


def test_widget_progress_bar() -> None:
    bar = ProgressBar(widget=True)
    bar(1.0, 0.25, 0.0, 2.0)
    assert bar.bar is not None and bar.bar.value == 0.25
    assert bar.label.value == "25% · 1.0 s elapsed · about 3.0 s left"
    bar(4.0, 1.0, 0.0, 2.0)
    assert bar.bar.value == 1.0 and bar.bar.bar_style == "success"
    assert describe_progress(90.0, 0.5) == "50% · 1 min 30 s elapsed · about 1 min 30 s left"


def test_display_once_per_cell(monkeypatch: Any) -> None:
    import IPython
    import IPython.display

    from jnsim import plotting, progress

    class Shell:
        execution_count = 7

    shown: list[Any] = []
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr(plotting, "setup_notebook", lambda force=False: True)
    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell)
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append(obj))
    net, namespace, _ = _cuba(100)
    ex = _explore(net, params={"we": (0 * mV, 3 * mV)}, duration=50 * ms,
                  namespace=namespace, show=True)
    assert shown == [ex.widget]
    ex._ipython_display_()  # `explore(...)` as the last line of the same cell
    assert shown == [ex.widget]
    Shell.execution_count = 8  # `ex` in a later cell shows the widgets again
    ex._ipython_display_()
    assert shown == [ex.widget, ex.widget]


def _charging(namespace: dict[str, Any]) -> tuple[Network, NeuronGroup]:
    """One neuron charging towards ``b / gL`` with tau = 10 ms: v(t) = b/gL (1 - e^(-t/tau))."""
    jnsim.start_scope()
    group = NeuronGroup(1, "dv/dt = (b / gL - v) / (10*ms) : volt", method="exact")
    net = Network(group, StateMonitor(group, "v", record=0))
    namespace.setdefault("gL", 10 * nS)
    return net, group


def _charged(b_amp: float, t_s: float) -> float:
    return b_amp / 10e-9 * (1 - math.exp(-t_s / 10e-3))


def test_initial_value_off_the_step_grid_is_run_exactly() -> None:
    namespace: dict[str, Any] = {"b": 0.0805 * nA}
    net, group = _charging(namespace)
    ex = _explore(net, params={"b": (0 * pA, 200 * pA)}, duration=20 * ms, namespace=namespace)
    assert ex.values["b"] is namespace["b"]  # the value itself, not a slider position
    assert ex.readouts["b"].value == "80.5 pA"
    assert ex.status.value.startswith("b = 80.5 pA")
    np.testing.assert_allclose(group.v_, _charged(80.5e-12, 20e-3), rtol=1e-9)
    # The browser puts 80.5 on the 2 pA grid and sends 80 back: not a change.
    assert ex.parameters["b"].snap(80.5) == 80.0
    ex.sliders["b"].value = 80.0
    ex.wait()
    assert ex.runs == 1 and ex.values["b"] is namespace["b"]
    assert ex.readouts["b"].value == "80.5 pA"


def test_set_values_are_run_exactly_and_shown_by_the_readout() -> None:
    namespace: dict[str, Any] = {"b": 100 * pA}
    net, group = _charging(namespace)
    ex = _explore(net, params={"b": (0 * pA, 3 * pA)}, duration=20 * ms, namespace=namespace)
    ex.set(b=2 * pA)  # the grid (step 0.03) has 1.98 and 2.01, not 2
    assert ex.values["b"] == 2 * pA and ex.readouts["b"].value == "2 pA"
    assert "b = 2 pA" in ex.status.value
    np.testing.assert_allclose(group.v_, _charged(2e-12, 20e-3), rtol=1e-9)
    ex.sliders["b"].value = ex.parameters["b"].snap(2.0)  # the browser's echo: 2.01
    ex.wait()
    assert ex.runs == 2 and ex.values["b"] == 2 * pA and ex.readouts["b"].value == "2 pA"
    ex.sliders["b"].value = 0.03 * 69  # the user drags one step further
    ex.wait()
    assert ex.runs == 3 and ex.readouts["b"].value == "2.07 pA"
    assert ex.values["b"].to("pA").magnitude == pytest.approx(2.07)
    ex.set(b=1 * pA)
    ex.reset()  # back to the initial value, exactly: 100 pA clipped to 3 pA
    assert ex.values["b"] == 3 * pA and ex.readouts["b"].value == "3 pA"


def test_readouts_share_one_format() -> None:
    namespace: dict[str, Any] = {"b": 12.5 * pA, "gL": 10 * nS}
    net, _ = _charging(namespace)
    ex = _explore(net, params={"b": (0 * pA, 200 * pA), "gL": (1 * nS, 20 * nS, 0.5 * nS)},
                  duration=5 * ms, namespace=namespace)
    assert [r.value for r in ex.readouts.values()] == ["12.5 pA", "10 nS"]
    assert all(not s.readout for s in ex.sliders.values())  # the browser's would snap
    assert ex.status.value.startswith("b = 12.5 pA, gL = 10 nS")
    assert repr(ex).startswith("<Explorer of 'network': b = 12.5 pA, gL = 10 nS;")


def test_start_now_or_from_the_initial_state() -> None:
    namespace: dict[str, Any] = {"b": 100 * pA}
    net, group = _charging(namespace)
    net.run(50 * ms, namespace=namespace)
    ex = _explore(net, params={"b": (0 * pA, 200 * pA)}, duration=20 * ms, namespace=namespace)
    assert "from t = 50 ms (the state when explore() was called)" in ex.status.value
    np.testing.assert_allclose(group.v_, _charged(100e-12, 70e-3), rtol=1e-9)
    ex.close()
    _open.remove(ex)
    ex = _explore(net, params={"b": (0 * pA, 200 * pA)}, duration=20 * ms,
                  namespace=namespace, start="initial")
    assert "from t = 0 ms (the initial state)" in ex.status.value
    assert ex.start_s == 0.0 and ex.figures[0].x_range.start == 0.0
    np.testing.assert_allclose(group.v_, _charged(100e-12, 20e-3), rtol=1e-9)
    ex.set(b=50 * pA)
    np.testing.assert_allclose(group.v_, _charged(50e-12, 20e-3), rtol=1e-9)


def test_start_mistakes() -> None:
    namespace: dict[str, Any] = {"b": 100 * pA}
    net, group = _charging(namespace)
    with pytest.raises(JnsimError, match=r"start='now'.*start='initial'"):
        _explore(net, params={"b": (0 * pA, 200 * pA)}, duration=5 * ms,
                 namespace=namespace, start="beginning")
    net.run(5 * ms, namespace=namespace)
    net.add(SpikeMonitor(group))  # added after the state at t = 0 was taken
    with pytest.raises(JnsimError, match="at t = 0 is not known for spikemonitor"):
        _explore(net, params={"b": (0 * pA, 200 * pA)}, duration=5 * ms,
                 namespace=namespace, start="initial")
