"""Bokeh figures of monitors: labels, hover, data, in-place updates, reduction rules."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pytest

import jnsim
from jnsim import (
    Hz,
    Network,
    NeuronGroup,
    PopulationRateMonitor,
    SpikeMonitor,
    StateMonitor,
    ms,
    mV,
    nS,
    plotting,
    second,
    volt,
)
from jnsim.errors import JnsimError
from jnsim.plotting import envelope, figure_sources, raster_stride, thin_raster, update_figure
from jnsim.units import dimensions_of


def _driven_group(n: int = 20) -> tuple[Network, Any, SpikeMonitor, StateMonitor,
                                        PopulationRateMonitor]:
    """LIF neurons with constant, increasing drive: deterministic regular spiking."""
    jnsim.start_scope()
    namespace = {"tau": 10 * ms, "vt": 10 * mV}
    group = NeuronGroup(n, "dv/dt = (I - v) / tau : volt\nI : volt", threshold="v > vt",
                        reset="v = 0*volt", method="exact", namespace=namespace)
    group.I = "(11 + i) * mV"
    spikes = SpikeMonitor(group)
    states = StateMonitor(group, "v", record=[0, 3, 7])
    rates = PopulationRateMonitor(group)
    return Network(group, spikes, states, rates), group, spikes, states, rates


@pytest.fixture(scope="module")
def ran() -> tuple[Network, Any, SpikeMonitor, StateMonitor, PopulationRateMonitor]:
    parts = _driven_group()
    parts[0].run(100 * ms)
    return parts


def _hover_tooltips(fig: Any) -> list[tuple[str, str]]:
    from bokeh.models import HoverTool

    tools = [t for t in fig.toolbar.tools if isinstance(t, HoverTool)]
    assert tools, "no hover tool"
    return [tuple(t) for t in tools[0].tooltips]


def test_raster_has_unit_labels_hover_webgl_and_the_spikes(ran: Any) -> None:
    _, group, spikes, _, _ = ran
    fig = spikes.plot()
    assert fig.xaxis[0].axis_label == "t (ms)"
    assert fig.yaxis[0].axis_label == "neuron index"
    assert fig.output_backend == "webgl"
    names = [name for name, _ in _hover_tooltips(fig)]
    assert names == ["neuron", "t"]
    source = figure_sources(fig)["spikes"]
    assert spikes.num_spikes > 50
    np.testing.assert_allclose(source.data["t"], spikes.t_ * 1e3)
    np.testing.assert_array_equal(source.data["i"], spikes.i)
    assert (fig.y_range.start, fig.y_range.end) == (-0.5, group.N - 0.5)


def test_trace_plot_shows_values_in_millivolts(ran: Any) -> None:
    _, _, _, states, _ = ran
    fig = states.plot()
    assert fig.yaxis[0].axis_label == "v (mV)"
    assert fig.xaxis[0].axis_label == "t (ms)"
    assert fig.output_backend == "webgl"
    assert ("v", "$y{0.000} mV") in _hover_tooltips(fig)
    data = figure_sources(fig)["traces"].data
    assert data["index"] == [0, 3, 7]
    for k in range(3):
        np.testing.assert_allclose(data["ys"][k], states.v_[k] * 1e3)
        np.testing.assert_allclose(data["xs"][k], states.t_ * 1e3)


def test_state_monitor_figure_shows_every_variable_with_a_legend() -> None:
    jnsim.start_scope()
    namespace = {"tau": 10 * ms}
    group = NeuronGroup(4, "dv/dt = (I - v) / tau : volt\nI : volt\nx : 1",
                        method="exact", namespace=namespace)
    group.I = "(1 + i) * mV"
    group.x = "i * 0.5"
    states = StateMonitor(group, ["v", "I", "x"], record=[0, 2])
    Network(group, states).run(20 * ms)
    fig = states.plot()
    labels = [item.label["value"] for item in fig.legend[0].items]
    assert labels == ["v", "I", "x"]
    sources = figure_sources(fig)
    assert set(sources) == {"traces", "traces_I", "traces_x"}
    assert sources["traces_I"].data["ys"][1][-1] == pytest.approx(3.0)  # mV
    assert sources["traces_x"].data["ys"][1][0] == pytest.approx(1.0)
    # v and I share the left axis (mV); x (no unit) has its own on the right.
    assert fig.yaxis[0].axis_label == "v, I (mV)"
    assert [a.axis_label for a in fig.right] == ["x"]
    assert list(fig.extra_y_ranges) == ["y_x"]
    assert len({c for name in sources for c in sources[name].data["color"]}) == 3
    # One variable on request: no legend, the old figure.
    assert states.plot("I").yaxis[0].axis_label == "I (mV)"
    assert not states.plot("I").legend
    from jnsim.figure_png import figure_png

    assert figure_png(fig) is not None
    group.I = "10*mV"
    Network(group, states).run(5 * ms)
    update_figure(fig)
    assert sources["traces_I"].data["ys"][0][-1] == pytest.approx(10.0)


def test_trace_plot_selects_recorded_elements_and_rejects_others(ran: Any) -> None:
    _, _, _, states, _ = ran
    data = figure_sources(states.plot(indices=[7]))["traces"].data
    assert data["index"] == [7]
    np.testing.assert_allclose(data["ys"][0], states.v_[2] * 1e3)
    with pytest.raises(JnsimError, match=r"does not record element\(s\) \[5\]"):
        states.plot(indices=[5])
    with pytest.raises(JnsimError, match="does not record 'w'"):
        states.plot(var="w")


def test_rate_plot_raw_and_smoothed(ran: Any) -> None:
    _, _, _, _, rates = ran
    raw = rates.plot()
    assert raw.yaxis[0].axis_label == "rate (Hz)"
    np.testing.assert_allclose(figure_sources(raw)["rate"].data["rate"],
                               rates.rate.to("Hz").magnitude)
    smooth = rates.plot(smooth=2 * ms)
    expected = rates.smooth_rate("gaussian", 2 * ms).to("Hz").magnitude
    np.testing.assert_allclose(figure_sources(smooth)["rate"].data["rate"], expected)
    # Smoothing keeps the mean rate (away from the edges) but removes the spikes of one step.
    assert expected.max() < rates.rate.to("Hz").magnitude.max()


def test_update_figure_refills_the_same_source_after_another_run() -> None:
    net, _, spikes, states, rates = _driven_group()
    net.run(50 * ms)
    figures = [spikes.plot(), states.plot(), rates.plot()]
    sources = [next(iter(figure_sources(f).values())) for f in figures]
    before = [len(s.data["t"] if "t" in s.data else s.data["xs"][0]) for s in sources]
    net.run(50 * ms)
    for fig in figures:
        update_figure(fig)
    after_sources = [next(iter(figure_sources(f).values())) for f in figures]
    assert all(a is b for a, b in zip(sources, after_sources, strict=True))
    after = [len(s.data["t"] if "t" in s.data else s.data["xs"][0]) for s in sources]
    assert all(b > a for a, b in zip(before, after, strict=True))
    np.testing.assert_allclose(sources[0].data["t"], spikes.t_ * 1e3)


def test_raster_stride_rule() -> None:
    counts = np.full(999, 300)  # 299 700 spikes: every 3rd neuron gives 99 900
    assert raster_stride(counts, 100_000) == 3
    assert raster_stride(np.full(1000, 300), 100_000) == 4  # 334 neurons would be 100 200
    assert raster_stride(np.full(10, 5), 100) == 1
    # Uneven counts: the smallest stride whose neurons fit.
    uneven = np.array([1000, 1, 1000, 1, 1000, 1])
    stride = raster_stride(uneven, 1500)
    assert uneven[::stride].sum() <= 1500
    assert all(uneven[::k].sum() > 1500 for k in range(1, stride))


def test_thin_raster_keeps_whole_trains_of_every_kth_neuron() -> None:
    rng = np.random.default_rng(0)
    n, total = 2000, 250_000
    i = rng.integers(0, n, total)
    t = np.sort(rng.uniform(0, 1, total))
    kept_i, kept_t, stride = thin_raster(i, t, n, 100_000)
    assert stride == 3
    assert len(kept_i) <= 100_000
    assert np.all(kept_i % stride == 0)
    for neuron in (0, 3, 1998):
        np.testing.assert_array_equal(kept_t[kept_i == neuron], t[i == neuron])
    # Under the budget nothing changes.
    same_i, same_t, one = thin_raster(i[:1000], t[:1000], n, 100_000)
    assert one == 1 and same_i is not None and len(same_t) == 1000
    # A single neuron above the budget is thinned evenly in time.
    lone_i, lone_t, _ = thin_raster(np.zeros(5000, np.int64), np.linspace(0, 1, 5000), 1, 1000)
    assert len(lone_i) <= 1000 and lone_t[0] == 0.0


def test_raster_figure_applies_the_budget_and_says_so(ran: Any) -> None:
    _, _, spikes, _, _ = ran
    budget = spikes.num_spikes // 3
    fig = spikes.plot(max_spikes=budget)
    data = figure_sources(fig)["spikes"].data
    assert len(data["i"]) <= budget
    stride = raster_stride(spikes.count, budget)
    assert stride > 1 and np.all(np.asarray(data["i"]) % stride == 0)
    assert "neuron shown" in fig.title.text


def test_envelope_bounds_points_and_keeps_extremes() -> None:
    n = 1_000_001
    t = np.linspace(0, 10, n)
    y = np.sin(t)
    y[123_457] = 5.0  # a one-sample spike must survive
    y[777_777] = -4.0
    times, values = envelope(t, y, 2000)
    assert len(times) == len(values) <= 2000
    assert values.max() == 5.0 and values.min() == -4.0
    assert np.all(np.diff(times) >= 0)
    # Several traces at once, and short traces unchanged.
    two = np.vstack([y, -y])
    _, both = envelope(t, two, 1000)
    assert both.shape == (2, 1000) and both[1].max() == 4.0
    short_t, short_y = envelope(t[:10], y[:10], 2000)
    assert short_t is t[:10].base or np.array_equal(short_t, t[:10])
    np.testing.assert_array_equal(short_y, y[:10])


def test_long_traces_are_decimated_within_the_point_budget(ran: Any) -> None:
    _, _, _, states, rates = ran
    fig = states.plot(max_points=300)
    data = figure_sources(fig)["traces"].data
    assert sum(len(ys) for ys in data["ys"]) <= 300
    np.testing.assert_allclose(max(ys.max() for ys in data["ys"]), states.v_.max() * 1e3)
    rate = figure_sources(rates.plot(max_points=100))["rate"].data["rate"]
    assert len(rate) <= 100
    assert rate.max() == pytest.approx(rates.rate.to("Hz").magnitude.max())


def test_display_units() -> None:
    volts = dimensions_of(1 * volt)
    assert plotting.display_unit(volts, np.array([-0.065, -0.05])) == (1e3, "mV")
    assert plotting.display_unit(volts, None) == (1.0, "V")
    factor, unit = plotting.display_unit(dimensions_of(1 * nS), np.array([3e-9]))
    assert unit == "nS" and factor == pytest.approx(1e9)
    assert plotting.display_unit(dimensions_of(1 * Hz), np.array([20.0])) == (1.0, "Hz")
    assert plotting.display_unit(dimensions_of(2.0), np.array([0.5])) == (1.0, "")
    assert plotting.axis_label("w", "") == "w"
    assert plotting.time_unit(1.0) == (1e3, "ms") and plotting.time_unit(20.0) == (1.0, "s")


def test_long_recordings_use_seconds() -> None:
    net, _, spikes, _, _ = _driven_group(8)
    net.run(10.5 * second)
    assert spikes.plot().xaxis[0].axis_label == "t (s)"


def test_histogram_follows_a_values_function() -> None:
    values = {"w": np.array([0.1, 0.2, 0.2, 0.9])}
    fig = plotting.histogram_plot(lambda: values["w"], bins=np.linspace(0, 1, 11), label="w")
    source = figure_sources(fig)["histogram"]
    assert source.data["count"].sum() == 4 and source.data["count"][2] == 2
    values["w"] = np.array([0.95, 0.96])
    update_figure(fig)
    assert source.data["count"].sum() == 2 and source.data["count"][9] == 2
    assert fig.xaxis[0].axis_label == "w"


def test_monitor_rich_display_loads_bokeh_inline_once(ran: Any, monkeypatch: Any) -> None:
    import bokeh.io

    _, _, spikes, states, _ = ran
    published: list[tuple[dict[str, Any], dict[str, Any]]] = []
    monkeypatch.setattr(plotting, "in_notebook", lambda: True)
    monkeypatch.setattr(plotting, "_setup_done", [False])
    monkeypatch.setattr(plotting, "_publish",
                        lambda data, metadata=None: published.append((data, metadata or {})))
    loads: list[Any] = []
    real_load = bokeh.io.output_notebook
    monkeypatch.setattr(bokeh.io, "output_notebook",
                        lambda resources=None, **kw: (loads.append((resources, kw)),
                                                      real_load(resources, **kw)))
    spikes._ipython_display_()
    states._ipython_display_()
    from bokeh.resources import INLINE

    assert len(loads) == 1 and loads[0][0] is INLINE and loads[0][1]["hide_banner"]
    # BokehJS (megabytes) is published once, under one MIME type only.
    bokehjs = [d for d, _ in published if "Bokeh" in d.get("application/javascript", "")
               and len(d["application/javascript"]) > 1_000_000]
    assert len(bokehjs) == 1 and list(bokehjs[0]) == ["application/javascript"]
    assert not any("application/vnd.bokehjs_load.v0+json" in d for d, _ in published)
    # Each figure: its element with a static PNG copy, then the script that renders it.
    figures = [d for d, _ in published if "text/html" in d]
    assert len(figures) == 2
    for data in figures:
        png = base64.b64decode(data["image/png"])
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
    scripts = [m for d, m in published if "application/vnd.bokehjs_exec.v0+json" in d]
    assert len(scripts) == 2 and all("id" in m["application/vnd.bokehjs_exec.v0+json"]
                                     for m in scripts)


def test_png_copy_is_omitted_without_matplotlib(ran: Any, monkeypatch: Any) -> None:
    import sys

    from jnsim.figure_png import figure_png

    _, _, spikes, _, _ = ran
    assert figure_png(spikes.plot()) is not None
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    assert figure_png(spikes.plot()) is None


def test_monitor_display_outside_a_notebook_is_text(ran: Any, monkeypatch: Any,
                                                    capsys: Any) -> None:
    _, _, spikes, _, _ = ran
    published: list[Any] = []
    monkeypatch.setattr("IPython.display.display",
                        lambda obj, raw=False: published.append(obj))
    spikes._ipython_display_()
    assert published == [{"text/plain": repr(spikes)}]


def test_plot_rejects_other_objects() -> None:
    with pytest.raises(JnsimError, match="cannot plot"):
        plotting.plot(object())
