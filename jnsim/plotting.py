"""Bokeh figures of monitors: spike rasters, state traces, population rates.

``SpikeMonitor.plot()``, ``StateMonitor.plot()`` and ``PopulationRateMonitor.plot()``
return Bokeh figures made here; a monitor shown as the last expression of a
notebook cell displays its figure. Every figure

- labels its axes with units (``t (ms)``, ``v (mV)``, ``rate (Hz)``),
- has a hover tool naming the element, time and value under the pointer,
- draws with ``output_backend="webgl"``,
- keeps its data in named ``ColumnDataSource`` objects (:func:`figure_sources`)
  that :func:`update_figure` refills in place from the monitor after another run;
  the browser then redraws without a new output.

Large recordings are reduced before they are sent to the browser:

- **Rasters** show at most ``max_spikes`` (100 000) spikes. Beyond that, only every
  k-th neuron is drawn, with all of its spikes, for the smallest k that fits; the
  title says so (``"every 3rd neuron shown"``). (If a single neuron alone has more
  spikes than that, its spikes are thinned evenly in time.)
- **Traces and rates** keep at most ``max_points`` (200 000) points per figure,
  shared among the traces. A longer trace is cut into bins of equal numbers of
  samples and each bin becomes two points, its minimum and its maximum (at the
  bin's centre time): the envelope is exact, so spikes and extremes stay visible.

Bokeh's JavaScript is loaded inline (``output_notebook(INLINE, hide_banner=True)``)
before the first figure is shown in a notebook (:func:`setup_notebook`), once per
kernel and under one MIME type; the CDN is never used. A figure shown with
:func:`show` (or a monitor displayed in a cell) also carries a static ``image/png``
copy for renderers without JavaScript (:mod:`jnsim.figure_png`, needs matplotlib).
"""

from __future__ import annotations

import base64
import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import JnsimError
from .progress import in_notebook
from .units import Dimensions, is_dimensionless, to_si, unit_symbol

__all__ = [
    "MAX_POINTS",
    "MAX_SPIKES",
    "envelope",
    "figure_sources",
    "histogram_plot",
    "plot",
    "raster_plot",
    "raster_stride",
    "rate_plot",
    "setup_notebook",
    "show",
    "trace_plot",
    "update_figure",
]

#: Most spikes a raster draws (see the module docstring for the rule).
MAX_SPIKES = 100_000
#: Most points a trace or rate figure draws, shared among its lines.
MAX_POINTS = 200_000
#: Traces a StateMonitor figure shows when no indices are given.
MAX_TRACES = 10
WIDTH = 800
HEIGHT = 280
_TOOLS = "pan,box_zoom,wheel_zoom,reset,save"
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf")
_PREFIXES = {3: "k", 0: "", -3: "m", -6: "µ", -9: "n", -12: "p", -15: "f"}
_PREFIXABLE = {"V", "A", "S", "F", "s", "m", "ohm", "Hz", "C", "W", "J"}

_setup_done = [False]


# -- notebook output ----------------------------------------------------------------------

def setup_notebook(force: bool = False) -> bool:
    """Load BokehJS inline into the notebook, once per kernel.

    ``output_notebook(INLINE, hide_banner=True)`` publishes the 4 MB of BokehJS
    twice, as ``application/javascript`` and again as JupyterLab's
    ``application/vnd.bokehjs_load.v0+json``. Only the first is kept: JupyterLab,
    Notebook 7, the classic notebook, VS Code and nbviewer all run it, and the
    notebook stores BokehJS once.

    Parameters
    ----------
    force
        Load it again even if it was loaded before (e.g. after the page was
        reloaded without re-running the notebook).

    Returns
    -------
    bool
        Whether the code runs in a notebook (nothing is done outside one).
    """
    if not in_notebook():
        return False
    if _setup_done[0] and not force:
        return True
    from unittest import mock

    import bokeh.io.notebook
    from bokeh.io import output_notebook
    from bokeh.resources import INLINE

    published: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def capture(data: dict[str, Any], metadata: Any = None, **kwargs: Any) -> None:
        published.append((data, metadata or {}))

    with mock.patch.object(bokeh.io.notebook, "publish_display_data", capture):
        output_notebook(INLINE, hide_banner=True)
    for data, metadata in published:
        if JS_MIME_TYPE in data:
            data = {JS_MIME_TYPE: data[JS_MIME_TYPE]}
        _publish(data, metadata)
    _setup_done[0] = True
    return True


JS_MIME_TYPE = "application/javascript"
EXEC_MIME_TYPE = "application/vnd.bokehjs_exec.v0+json"


def _publish(data: dict[str, Any], metadata: dict[str, Any] | None = None) -> None:
    from IPython.display import publish_display_data

    publish_display_data(data, metadata or {})


def show(fig: Any) -> None:
    """Show a Bokeh figure in the notebook (loading BokehJS inline first).

    The output holds the figure's HTML element, a static ``image/png`` copy of it
    (for renderers that cannot run BokehJS; made with matplotlib if installed, see
    :mod:`jnsim.figure_png`) and the script that renders it. Outside a notebook
    this does nothing: it never opens a browser or writes an HTML file.
    """
    if not setup_notebook():
        return
    from bokeh.embed.notebook import notebook_content

    from .figure_png import figure_png

    script, div, _ = notebook_content(fig)
    title = getattr(getattr(fig, "title", None), "text", "") or type(fig).__name__
    bundle: dict[str, Any] = {"text/html": div, "text/plain": f"<Bokeh figure: {title}>"}
    png = figure_png(fig)
    if png is not None:
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
    _publish(bundle)
    _publish({JS_MIME_TYPE: script, EXEC_MIME_TYPE: ""}, {EXEC_MIME_TYPE: {"id": fig.id}})


def display_monitor(monitor: Any) -> None:
    """Rich display of a monitor: its figure in a notebook, its ``repr`` elsewhere.

    A monitor that has recorded nothing yet is shown as text.
    """
    from IPython.display import display

    if in_notebook() and _has_data(monitor):
        show(plot(monitor))
    else:
        display({"text/plain": repr(monitor)}, raw=True)


def _has_data(monitor: Any) -> bool:
    buffers = getattr(monitor, "buffers", None)
    return buffers is not None and int(buffers.count[0]) > 0


# -- units and time -------------------------------------------------------------------

def display_unit(dims: Dimensions, sample: Any = None) -> tuple[float, str]:
    """The factor from SI values to a readable unit, and that unit's symbol.

    Parameters
    ----------
    dims
        The dimensions of the values.
    sample
        Typical values in SI units; the prefix is chosen so that the largest
        magnitude among them lies in [1, 1000).

    Returns
    -------
    tuple of (float, str)
        ``(factor, symbol)``: ``(1e3, 'mV')`` for membrane potentials,
        ``(1.0, '')`` for dimensionless values.
    """
    if is_dimensionless(dims):
        return 1.0, ""
    symbol = unit_symbol(dims)
    if symbol not in _PREFIXABLE or sample is None:
        return 1.0, symbol
    values = np.abs(np.asarray(sample, dtype=np.float64).ravel())
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return 1.0, symbol
    exponent = int(math.floor(math.log10(float(values.max())) / 3) * 3)
    exponent = max(min(_PREFIXES), min(max(_PREFIXES), exponent))
    return 10.0 ** -exponent, _PREFIXES[exponent] + symbol


def time_unit(end_s: float) -> tuple[float, str]:
    """Milliseconds for recordings up to 10 s, seconds beyond: ``(factor, symbol)``."""
    return (1e3, "ms") if end_s <= 10.0 else (1.0, "s")


def axis_label(name: str, unit: str) -> str:
    """``'v (mV)'``; just the name for dimensionless values."""
    return f"{name} ({unit})" if unit else name


def _element_word(group: Any) -> str:
    return "synapse" if getattr(group, "_name_prefix", "") == "synapses" else "neuron"


# -- reduction of large data ----------------------------------------------------------

def raster_stride(counts: np.ndarray, max_spikes: int = MAX_SPIKES) -> int:
    """The smallest k such that every k-th neuron's spikes number at most ``max_spikes``.

    Parameters
    ----------
    counts
        Spikes of each neuron.
    max_spikes
        The budget.

    Returns
    -------
    int
        1 if all spikes fit; ``len(counts)`` at most (then only neuron 0 is drawn).
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total <= max_spikes or counts.size <= 1:
        return 1
    stride = max(1, math.ceil(total / max_spikes))
    while stride < counts.size and int(counts[::stride].sum()) > max_spikes:
        stride += 1
    return min(stride, counts.size)


def thin_raster(i: np.ndarray, t: np.ndarray, size: int, max_spikes: int = MAX_SPIKES
                ) -> tuple[np.ndarray, np.ndarray, int]:
    """Reduce a raster to at most ``max_spikes`` spikes (rule in the module docstring).

    Parameters
    ----------
    i, t
        Neuron index and time of every spike.
    size
        Number of neurons.
    max_spikes
        The budget.

    Returns
    -------
    tuple of (ndarray, ndarray, int)
        The kept indices and times, and the neuron stride k (1: all shown).
    """
    if i.size <= max_spikes:
        return i, t, 1
    counts = np.bincount(i, minlength=max(size, 1))
    stride = raster_stride(counts, max_spikes)
    keep = i % stride == 0
    i, t = i[keep], t[keep]
    if i.size > max_spikes:  # one neuron alone exceeds the budget: thin evenly in time
        step = math.ceil(i.size / max_spikes)
        i, t = i[::step], t[::step]
    return i, t, stride


def envelope(t: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Min/max decimation of traces sampled at times ``t``.

    Parameters
    ----------
    t
        Sample times, shape ``(n,)``.
    y
        Values, shape ``(n,)`` or ``(traces, n)``.
    max_points
        Most points per trace in the result.

    Returns
    -------
    tuple of (ndarray, ndarray)
        ``t`` and ``y`` unchanged if ``n <= max_points``; otherwise ``max_points // 2``
        bins of (nearly) equal numbers of samples, each giving two points, the
        bin's minimum then its maximum, both at the bin's centre time.
    """
    n = t.shape[0]
    if n <= max_points:
        return t, y
    bins = max(1, max_points // 2)
    starts = np.linspace(0, n, bins + 1).astype(np.int64)[:-1]
    ends = np.append(starts[1:], n)
    centres = 0.5 * (t[starts] + t[ends - 1])
    lows = np.minimum.reduceat(y, starts, axis=-1)
    highs = np.maximum.reduceat(y, starts, axis=-1)
    times = np.repeat(centres, 2)
    values = np.empty((*y.shape[:-1], 2 * bins), dtype=np.result_type(y, np.float64))
    values[..., 0::2] = lows
    values[..., 1::2] = highs
    return times, values


# -- figures ------------------------------------------------------------------------------

@dataclass
class _PlotSpec:
    """How to recompute a figure's data (kept per figure, see :func:`update_figure`)."""

    compute: Callable[[_PlotSpec], tuple[dict[str, Any], str]]
    source: Any
    options: dict[str, Any] = field(default_factory=dict)
    since: float | None = None


_PLOTS: weakref.WeakKeyDictionary[Any, _PlotSpec] = weakref.WeakKeyDictionary()


def _new_figure(title: str, x_label: str, y_label: str, **kwargs: Any) -> Any:
    from bokeh.plotting import figure

    options: dict[str, Any] = {"width": WIDTH, "height": HEIGHT, "tools": _TOOLS,
                               "output_backend": "webgl"}
    options.update(kwargs)
    fig = figure(title=title, x_axis_label=x_label, y_axis_label=y_label, **options)
    fig.toolbar.logo = None
    return fig


def _hover(fig: Any, renderer: Any, tooltips: list[tuple[str, str]], **kwargs: Any) -> None:
    from bokeh.models import HoverTool

    fig.add_tools(HoverTool(renderers=[renderer], tooltips=tooltips, **kwargs))


def _register(fig: Any, spec: _PlotSpec) -> Any:
    _PLOTS[fig] = spec
    update_figure(fig)
    return fig


def _since_mask(t: np.ndarray, since: float | None) -> np.ndarray | slice:
    if since is None:
        return slice(None)
    return t >= since - 1e-12


def _end_time(monitor: Any, duration: float | None = None) -> float:
    if duration is not None:
        return duration
    t = monitor.buffers.view("t")
    return float(t[-1]) if t.size else 0.0


def raster_plot(monitor: Any, max_spikes: int = MAX_SPIKES, time_scale: float | None = None,
                **figure_options: Any) -> Any:
    """A raster plot of a :class:`~jnsim.SpikeMonitor`: one dot per spike.

    Parameters
    ----------
    monitor
        The spike monitor.
    max_spikes
        Most spikes drawn (see the module docstring for the thinning rule).
    time_scale
        Factor from seconds to the time axis unit: ``1e3`` (ms) or ``1.0`` (s);
        chosen from the recording's length by default.
    **figure_options
        Passed to ``bokeh.plotting.figure`` (``width``, ``height``, ``title``, ...).

    Returns
    -------
    bokeh.plotting.figure
        Axes ``t (ms)`` and ``neuron index``; its source (``figure_sources(fig)
        ['spikes']``) has columns ``t`` and ``i``.
    """
    from bokeh.models import ColumnDataSource, Range1d

    scale = time_scale if time_scale is not None else time_unit(_end_time(monitor))[0]
    unit = "ms" if scale == 1e3 else "s"
    size = int(monitor.stop - monitor.offset)
    word = _element_word(monitor.group)
    title = figure_options.pop("title", f"spikes of {monitor.group.name}")
    fig = _new_figure(title, f"t ({unit})", f"{word} index",
                      y_range=Range1d(-0.5, max(size, 1) - 0.5), **figure_options)
    source = ColumnDataSource({"t": np.zeros(0), "i": np.zeros(0, np.int32)}, name="spikes")
    renderer = fig.scatter("t", "i", source=source, size=2.5, line_color=None,
                           fill_color="#1f3b73", fill_alpha=0.7)
    _hover(fig, renderer, [(word, "@i"), ("t", f"@t{{0.00}} {unit}")])

    def compute(spec: _PlotSpec) -> tuple[dict[str, Any], str]:
        times = monitor.buffers.view("t")
        indices = monitor.buffers.view("i")
        mask = _since_mask(times, spec.since)
        i, t, stride = thin_raster(indices[mask], times[mask], size, spec.options["max_spikes"])
        note = "" if stride == 1 else f" (every {_ordinal(stride)} {word} shown)"
        return {"t": t * scale, "i": i.astype(np.int32)}, title + note

    return _register(fig, _PlotSpec(compute, monitor, {"max_spikes": max_spikes}))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def trace_plot(monitor: Any, var: str | None = None, indices: Sequence[int] | None = None,
               max_points: int = MAX_POINTS, time_scale: float | None = None,
               **figure_options: Any) -> Any:
    """Traces of the variables recorded by a :class:`~jnsim.StateMonitor`.

    Parameters
    ----------
    monitor
        The state monitor.
    var
        The variable to show; by default every recorded variable, each with a
        legend entry and its own colour. Variables with other units than the
        first get their own y axis (on the right).
    indices
        Elements to show, as indices of the group (they must be recorded);
        by default the first 10 recorded elements.
    max_points
        Most points drawn, shared among the traces (min/max decimation beyond).
    time_scale
        Factor from seconds to the time axis unit (``1e3`` for ms, ``1.0`` for s).
    **figure_options
        Passed to ``bokeh.plotting.figure``.

    Returns
    -------
    bokeh.plotting.figure
        Axes ``t (ms)`` and e.g. ``v (mV)``; the source of the first variable
        (``figure_sources(fig)['traces']``; the others are ``'traces_<var>'``) has
        columns ``xs``, ``ys``, ``index`` and ``color``.
    """
    from bokeh.models import ColumnDataSource, DataRange1d, LinearAxis

    variables = list(monitor.variables)
    if not variables:
        raise JnsimError(f"{monitor.name} records no variables")
    if var is not None and var not in variables:
        raise JnsimError(f"{monitor.name} does not record '{var}'",
                         hint="it records: " + ", ".join(variables))
    shown = [var] if var is not None else variables
    recorded = np.asarray(monitor.record)
    if indices is None:
        positions = np.arange(min(len(recorded), MAX_TRACES))
    else:
        wanted = np.atleast_1d(np.asarray(indices, dtype=np.int64))
        missing = [int(k) for k in wanted if k not in recorded]
        if missing:
            raise JnsimError(f"{monitor.name} does not record element(s) {missing[:5]}",
                             hint=f"it records {recorded.tolist()[:10]}"
                                  + ("..." if len(recorded) > 10 else ""))
        positions = np.array([int(np.flatnonzero(recorded == k)[0]) for k in wanted])
    scale = time_scale if time_scale is not None else time_unit(_end_time(monitor))[0]
    t_unit = "ms" if scale == 1e3 else "s"
    word = _element_word(monitor.group)
    units: dict[str, tuple[float, str]] = {}
    for name in shown:
        buffer = monitor.buffers.view(name)
        sample = buffer[:, positions] if buffer.size else _group_values(monitor, name)
        units[name] = display_unit(monitor._dims(name), sample)
    # One y axis per unit; the first variable's unit on the left.
    axis_of: dict[str, str] = {}
    for name in shown:
        axis_of[name] = next((axis_of[other] for other in axis_of
                              if monitor._dims(other) == monitor._dims(name)),
                             "default" if not axis_of else f"y_{name}")
    first = shown[0]
    default_title = f"{', '.join(shown)} of {monitor.group.name}"
    title = figure_options.pop("title", default_title)
    left = [n for n in shown if axis_of[n] == "default"]
    y_label = axis_label(", ".join(left), units[first][1])
    fig = _new_figure(title, f"t ({t_unit})", y_label, **figure_options)
    several = len(shown) > 1
    elements = recorded[positions].astype(np.int64)
    sources, renderers = {}, {}
    for name in shown:
        unit = units[name][1]
        key = "traces" if name == first else f"traces_{name}"
        sources[name] = ColumnDataSource({"xs": [], "ys": [], "index": [], "color": []},
                                         name=key)
        extra = {} if axis_of[name] == "default" else {"y_range_name": axis_of[name]}
        if extra and axis_of[name] not in fig.extra_y_ranges:
            fig.extra_y_ranges[axis_of[name]] = DataRange1d()
            same = [n for n in shown if axis_of[n] == axis_of[name]]
            fig.add_layout(LinearAxis(y_range_name=axis_of[name],
                                      axis_label=axis_label(", ".join(same), unit)), "right")
        legend = {"legend_label": name} if several else {}
        renderers[name] = fig.multi_line("xs", "ys", source=sources[name], line_color="color",
                                         line_width=1.2, **extra, **legend)
        _hover(fig, renderers[name], [(word, "@index"), ("t", f"$x{{0.00}} {t_unit}"),
                                      (name, f"$y{{0.000}} {unit}".rstrip())])
    for range_name in fig.extra_y_ranges:
        fig.extra_y_ranges[range_name].renderers = [
            renderers[n] for n in shown if axis_of[n] == range_name]
    if several:
        fig.y_range = DataRange1d(renderers=[renderers[n] for n in left])
        fig.legend.location = "top_left"
        fig.legend.click_policy = "hide"

    def colors_of(k: int) -> list[str]:
        if several:  # one colour per variable
            return [_PALETTE[k % len(_PALETTE)]] * len(positions)
        return [_PALETTE[j % len(_PALETTE)] for j in range(len(positions))]

    def compute(spec: _PlotSpec) -> tuple[dict[str, Any], str]:
        times = monitor.buffers.view("t")
        mask = _since_mask(times, spec.since)
        budget = max(2, spec.options["max_points"] // max(len(positions) * len(shown), 1))
        data = _Sources()
        for k, name in enumerate(shown):
            values = monitor.buffers.view(name)[mask][:, positions].T.astype(np.float64)
            t, y = envelope(times[mask] * scale, values * units[name][0], budget)
            data[sources[name].name] = {"xs": [t] * len(positions), "ys": list(y),
                                        "index": elements.tolist(), "color": colors_of(k)}
        return data, title

    return _register(fig, _PlotSpec(compute, monitor, {"max_points": max_points}))


class _Sources(dict):
    """New data for several named sources of one figure (source name to columns)."""


def _group_values(monitor: Any, var: str) -> Any:
    array = getattr(monitor.group, "arrays", {}).get(var)
    return None if array is None else array


def rate_plot(monitor: Any, smooth: Any = None, window: str = "gaussian",
              max_points: int = MAX_POINTS, time_scale: float | None = None,
              **figure_options: Any) -> Any:
    """The rate recorded by a :class:`~jnsim.PopulationRateMonitor`.

    Parameters
    ----------
    monitor
        The population rate monitor.
    smooth
        Width of the smoothing window (a time, e.g. ``5*ms``); the raw rate per
        time step by default.
    window
        ``'gaussian'`` (``smooth`` is its standard deviation) or ``'flat'``.
    max_points
        Most points drawn (min/max decimation beyond).
    time_scale
        Factor from seconds to the time axis unit (``1e3`` for ms, ``1.0`` for s).
    **figure_options
        Passed to ``bokeh.plotting.figure``.

    Returns
    -------
    bokeh.plotting.figure
        Axes ``t (ms)`` and ``rate (Hz)``; its source (``figure_sources(fig)
        ['rate']``) has columns ``t`` and ``rate``.
    """
    from bokeh.models import ColumnDataSource

    if smooth is not None:
        monitor.smooth_rate(window, smooth)  # check the arguments now, not at update
    scale = time_scale if time_scale is not None else time_unit(_end_time(monitor))[0]
    t_unit = "ms" if scale == 1e3 else "s"
    title = figure_options.pop("title", f"population rate of {monitor.group.name}")
    fig = _new_figure(title, f"t ({t_unit})", "rate (Hz)", **figure_options)
    source = ColumnDataSource({"t": np.zeros(0), "rate": np.zeros(0)}, name="rate")
    renderer = fig.line("t", "rate", source=source, line_width=1.2, line_color="#b22222")
    _hover(fig, renderer, [("t", f"@t{{0.00}} {t_unit}"), ("rate", "@rate{0.0} Hz")],
           mode="vline")

    def compute(spec: _PlotSpec) -> tuple[dict[str, Any], str]:
        times = monitor.buffers.view("t")
        if smooth is None or times.size == 0:
            rate = monitor.buffers.view("rate")
        else:
            rate = np.asarray(to_si(monitor.smooth_rate(window, smooth)), dtype=np.float64)
        mask = _since_mask(times, spec.since)
        t, r = envelope(times[mask] * scale, np.asarray(rate[mask], np.float64),
                        spec.options["max_points"])
        return {"t": t, "rate": r}, title

    return _register(fig, _PlotSpec(compute, monitor, {"max_points": max_points}))


def histogram_plot(values: Any, bins: int | Sequence[float] = 40, label: str = "value",
                   title: str = "", **figure_options: Any) -> Any:
    """A histogram, e.g. of synaptic weights.

    Parameters
    ----------
    values
        The values (array or quantity), or a function returning them: then
        :func:`update_figure` calls it again, so the figure can follow a
        variable across runs (``lambda: S.w_``).
    bins
        Number of bins or bin edges (edges stay fixed across updates).
    label
        Name of the quantity; its unit is added (``'w (nS)'``).
    title
        Figure title.
    **figure_options
        Passed to ``bokeh.plotting.figure``.

    Returns
    -------
    bokeh.plotting.figure
        Its source (``figure_sources(fig)['histogram']``) has columns ``left``,
        ``right`` and ``count``.
    """
    from bokeh.models import ColumnDataSource

    from .units import dimensions_of

    get = values if callable(values) else (lambda: values)
    first = get()
    factor, unit = display_unit(dimensions_of(first), to_si(first))
    magnitudes = np.asarray(to_si(first), dtype=np.float64).ravel() * factor
    if np.isscalar(bins) or np.ndim(bins) == 0:
        finite = magnitudes[np.isfinite(magnitudes)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        edges = np.linspace(low, high if high > low else low + 1.0, int(bins) + 1)
    else:
        edges = np.asarray(bins, dtype=np.float64)
    fig = _new_figure(title, axis_label(label, unit), "count", **figure_options)
    source = ColumnDataSource({"left": edges[:-1], "right": edges[1:],
                               "count": np.zeros(len(edges) - 1)}, name="histogram")
    renderer = fig.quad(left="left", right="right", top="count", bottom=0, source=source,
                        fill_color="#4c72b0", line_color="white")
    _hover(fig, renderer, [(label, f"@left{{0.000}}–@right{{0.000}} {unit}".rstrip()),
                           ("count", "@count")])

    def compute(spec: _PlotSpec) -> tuple[dict[str, Any], str]:
        data = np.asarray(to_si(get()), dtype=np.float64).ravel() * factor
        counts, _ = np.histogram(data, bins=edges)
        return {"left": edges[:-1], "right": edges[1:], "count": counts.astype(np.float64)}, title

    return _register(fig, _PlotSpec(compute, None))


def plot(monitor: Any, **options: Any) -> Any:
    """The default figure of a monitor (raster, traces or rate).

    Parameters
    ----------
    monitor
        A SpikeMonitor, StateMonitor or PopulationRateMonitor.
    **options
        Passed to :func:`raster_plot`, :func:`trace_plot` or :func:`rate_plot`.

    Returns
    -------
    bokeh.plotting.figure
    """
    from .monitors import EventMonitor, PopulationRateMonitor, StateMonitor

    if isinstance(monitor, EventMonitor):
        return raster_plot(monitor, **options)
    if isinstance(monitor, StateMonitor):
        return trace_plot(monitor, **options)
    if isinstance(monitor, PopulationRateMonitor):
        return rate_plot(monitor, **options)
    raise JnsimError(f"cannot plot {monitor!r}",
                     hint="plot a SpikeMonitor, StateMonitor or PopulationRateMonitor")


# -- updating in place ------------------------------------------------------------------

def is_updatable(fig: Any) -> bool:
    """Whether ``fig`` was made by this module (so :func:`update_figure` can refill it)."""
    return fig in _PLOTS


def update_figure(fig: Any, since: float | None = None) -> None:
    """Refill a figure's data sources from its monitor (or values function), in place.

    Parameters
    ----------
    fig
        A figure made by this module.
    since
        If given, from now on show only recordings at or after this time (seconds).

    Notes
    -----
    The ``ColumnDataSource`` objects are kept and their ``data`` replaced, so a
    figure displayed in a notebook (through ``jupyter_bokeh.BokehModel``) redraws
    without a new cell output.
    """
    spec = _PLOTS.get(fig)
    if spec is None:
        raise JnsimError("this figure was not made by jnsim.plotting and cannot be updated")
    if since is not None:
        spec.since = since
    data, title = spec.compute(spec)
    sources = figure_sources(fig)
    if isinstance(data, _Sources):
        for name, columns in data.items():
            sources[name].data = columns
    else:
        next(iter(sources.values())).data = data
    if fig.title is not None and fig.title.text != title:
        fig.title.text = title


def set_since(fig: Any, since: float | None) -> None:
    """Show only recordings at or after ``since`` (seconds) at the next update."""
    spec = _PLOTS.get(fig)
    if spec is not None:
        spec.since = since


def figure_sources(fig: Any) -> dict[str, Any]:
    """The named data sources of a figure (``'spikes'``, ``'traces'``, ``'rate'``, ...).

    Parameters
    ----------
    fig
        A Bokeh figure.

    Returns
    -------
    dict
        Source name to ``ColumnDataSource``.
    """
    from bokeh.models import ColumnDataSource

    found: dict[str, Any] = {}
    for renderer in fig.renderers:
        source = getattr(renderer, "data_source", None)
        if isinstance(source, ColumnDataSource):
            found.setdefault(source.name or f"source{len(found)}", source)
    return found
