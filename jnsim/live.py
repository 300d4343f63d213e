"""Live exploration of a network with sliders: :func:`explore`.

::

    ex = explore(net, params={'we': (0*mV, 3*mV), 'wi': (-15*mV, 0*mV)},
                 duration=1*second)

shows one slider per parameter (with its current value and unit), *Run* and
*Reset* buttons, a status line and the Bokeh figures of the network's monitors.
Moving a slider reruns the network from the state it had when ``explore`` was
called (or, with ``start='initial'``, from its state at t = 0) and redraws the
figures in place. The value run is the value given (``ex.set(we=2*mV)`` runs
2 mV even where the slider's step grid has 1.98 and 2.01); each slider's readout
shows it.

How an update works
-------------------
``explore`` stores the network's state (``net.store('explore')``, or
``net.store_initial('explore')`` with ``start='initial'``). Each run then

1. restores that state (``net.restore('explore')``),
2. sets the state-variable parameters (``'G.tau'``) on their groups,
3. runs for ``duration`` with ``namespace=`` the caller's namespace (captured when
   ``explore`` was called) updated with the namespace parameters (``'we'``),
4. replaces the ``data`` of the figures' ``ColumnDataSource`` objects, which
   ``jupyter_bokeh.BokehModel`` sends to the browser as a document patch.

Parameters are kernel *arguments*, so no run after the first compiles anything
(``jnsim.cache_info()`` does not change).

Coalescing
----------
Runs happen on one worker thread, one at a time. A slider change (an ipywidgets
message handled on the kernel's main thread) only writes the new value into a
*pending* slot and wakes the worker, so the kernel is never blocked by a
simulation and stays free to handle further messages and cells. When the worker
finishes a run it takes *all* pending values at once: changes that arrived
during a run are merged (the latest value of each parameter wins, changes to
different parameters are all kept) and cost a single further run. The compiled
kernels release the GIL (``nogil=True``), so the main thread keeps running
while a simulation is in the kernel. (Running on the kernel thread with a
debounce instead would block the message queue for the whole run and would
still run once per queued message, or delay every change by the debounce time.)

``ex.set(we=2*mV)`` goes through the same slot and returns once the figures
show the result (re-raising any error of that run).

Do not run the network yourself while an update is in progress; call
``ex.wait()`` first, or ``ex.close()`` to stop exploring.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import progress as _progress  # also makes jnsim.progress available
from .errors import JnsimError, UnitError
from .namespace import caller_namespace
from .units import dimensions_of, is_dimensionless, registry, to_si, unit_words

__all__ = ["Explorer", "Parameter", "explore"]

_STORE_NAME = "explore"


@dataclass
class Parameter:
    """One explored parameter and its slider range.

    Attributes
    ----------
    name
        The key in ``ex.sliders`` (``'we'``, ``'G.tau'``).
    target
        The group or synapses for a state variable; ``None`` for a namespace constant.
    variable
        The state variable's name (``None`` for a namespace constant).
    unit
        The slider's unit (a pint unit; ``None`` for dimensionless values).
    low, high, step
        The slider range and step, in ``unit``.
    initial
        The value at creation, in ``unit`` (where the slider starts).
    integer
        Whether the value is an integer (an ``IntSlider``).
    initial_value
        The value at creation as given to the model: the namespace's own value
        (``0.0805*nA`` stays that, even on a ``pA`` slider whose step it is not on).
    """

    name: str
    target: Any
    variable: str | None
    unit: Any
    low: float
    high: float
    step: float
    initial: float
    integer: bool = False
    initial_value: Any = None

    def __post_init__(self) -> None:
        if self.initial_value is None:
            self.initial_value = self.quantity(self.initial)

    @property
    def unit_label(self) -> str:
        """The unit as shown next to the slider (``'mV'``; empty if dimensionless)."""
        return "" if self.unit is None else f"{self.unit:~P}"

    def quantity(self, value: float) -> Any:
        """A slider value as the quantity given to the model."""
        if self.unit is None:
            return int(value) if self.integer else float(value)
        return registry.Quantity(float(value), self.unit)

    def number(self, value: Any) -> float:
        """A value given to the model (quantity or number) in the slider's unit."""
        if self.unit is not None:
            return float(value.to(self.unit).magnitude)
        return float(to_si(value))

    def check(self, value: Any) -> Any:
        """``value`` as it will be given to the model; checks its units and range.

        The value is kept as given (not moved onto the slider's step grid); an
        integer parameter's value is rounded to an integer.
        """
        if isinstance(value, registry.Unit):
            value = registry.Quantity(1.0, value)
        dims = dimensions_of(value)
        wanted = dimensions_of(registry.Quantity(1.0, self.unit)) if self.unit else dims
        if (self.unit is None and not is_dimensionless(dims)) or (
                self.unit is not None and dims != wanted):
            raise UnitError(f"'{self.name}' needs a value in {self.unit_label or 'no units'}, "
                            f"not one with units of {unit_words(dims)}")
        number = self.number(value)
        span = abs(self.high - self.low)
        if not self.low - 1e-9 * span <= number <= self.high + 1e-9 * span:
            raise JnsimError(f"{self.name} = {format_number(number)} {self.unit_label} lies "
                             f"outside the slider's range [{format_number(self.low)}, "
                             f"{format_number(self.high)}]",
                             hint="give explore() a wider range for it")
        if self.integer:
            return self.quantity(round(number))
        return value

    def snap(self, number: float) -> float:
        """Where the browser's slider puts ``number``: the nearest point of its step grid."""
        if self.step <= 0:
            return number
        snapped = self.low + round((number - self.low) / self.step) * self.step
        return min(max(snapped, self.low), self.high)

    def readout(self, value: Any) -> str:
        """A value as the slider's readout shows it: ``'80.5 pA'``."""
        return f"{format_number(self.number(value), self.integer)} {self.unit_label}".rstrip()

    def describe(self, value: Any) -> str:
        """``'we = 1.62 mV'``."""
        return f"{self.name} = {self.readout(value)}"


def format_number(number: float, integer: bool = False) -> str:
    """A parameter's value as readouts, the status line and ``repr`` show it.

    Six significant digits, so that a value given exactly (``80.5``, ``2``) reads
    exactly and a slider position (``2.0100000000000002``) reads as its grid point.
    """
    if integer:
        return str(round(number))
    text = f"{number:.6g}"
    return "0" if text == "-0" else text


def _parse_parameter(key: Any, spec: Any, namespace: Mapping[str, Any]) -> Parameter:
    """Build a :class:`Parameter` from one ``params`` entry."""
    target, variable = None, None
    if isinstance(key, tuple):
        if len(key) != 2 or not isinstance(key[1], str):
            raise JnsimError(f"a parameter key {key!r} must be a name or (group, 'variable')")
        target, variable = key
        name = f"{getattr(target, 'name', target)}.{variable}"
    elif isinstance(key, str) and "." in key:
        owner, variable = key.rsplit(".", 1)
        if owner not in namespace:
            raise JnsimError(f"cannot explore '{key}': no '{owner}' here",
                             hint="write 'G.tau' with G a group defined where explore() is "
                                  "called, or use the key (G, 'tau')")
        target, name = namespace[owner], key
    elif isinstance(key, str) and key.isidentifier():
        name = key
    else:
        raise JnsimError(f"cannot explore {key!r}",
                         hint="name a constant ('we'), a state variable ('G.tau') or give "
                              "(group, 'tau')")
    if target is not None:
        specs = getattr(target, "specs", None)
        if specs is None and hasattr(target, "parent"):
            specs = target.parent.specs
        if specs is None or variable not in specs:
            raise JnsimError(f"cannot explore '{name}': {getattr(target, 'name', target)!r} "
                             f"has no state variable '{variable}'",
                             hint="known: " + ", ".join(sorted(specs or {})))
        if specs[variable].read_only:
            raise JnsimError(f"cannot explore '{name}': it cannot be set")
    if not isinstance(spec, tuple | list) or len(spec) not in (2, 3):
        raise JnsimError(f"the range of '{name}' must be (low, high) or (low, high, step), "
                         f"not {spec!r}", hint="e.g. params={'we': (0*mV, 3*mV)}")
    low, high = spec[0], spec[1]
    unit = next((v.units for v in (low, high) if isinstance(v, registry.Quantity)
                 and not is_dimensionless(dimensions_of(v))), None)

    def number(value: Any, what: str) -> float:
        if unit is None:
            if not is_dimensionless(dimensions_of(value)):
                raise UnitError(f"the {what} of '{name}' has units but the other bound has not")
            return float(to_si(value))
        if not isinstance(value, registry.Quantity):
            if value == 0:
                return 0.0
            raise UnitError(f"the {what} of '{name}' needs units of "
                            f"{unit_words(dimensions_of(registry.Quantity(1.0, unit)))}",
                            hint=f"write e.g. {value}*{unit:~P}")
        if dimensions_of(value) != dimensions_of(registry.Quantity(1.0, unit)):
            raise UnitError(f"the bounds of '{name}' have different units "
                            f"({unit_words(dimensions_of(value))} and "
                            f"{unit_words(dimensions_of(registry.Quantity(1.0, unit)))})")
        return float(value.to(unit).magnitude)

    lo, hi = number(low, "lower bound"), number(high, "upper bound")
    if not hi > lo:
        raise JnsimError(f"the range of '{name}' is empty: {lo:g} to {hi:g}",
                         hint="give (low, high) with low < high")
    current = _current_value(target, variable, name, namespace, unit)
    integer = (unit is None and isinstance(current, int | np.integer)
               and not isinstance(current, bool))
    if target is not None:
        dtype = (target.specs if hasattr(target, "specs") and target.specs
                 else target.parent.specs)[variable].dtype
        integer = dtype == "integer"
        if dtype == "boolean":
            raise JnsimError(f"cannot explore the boolean variable '{name}' with a slider")
    step = number(spec[2], "step") if len(spec) == 3 else (1.0 if integer else (hi - lo) / 100)
    initial = float(np.clip(current, lo, hi)) if current is not None else 0.5 * (lo + hi)
    if integer:
        lo, hi, initial, step = round(lo), round(hi), round(initial), max(1, round(step))
    exact = None
    if current is not None and initial == current:  # not clipped: keep the value itself
        exact = _exact_value(target, variable, name, namespace, unit)
    return Parameter(name, target, variable, unit, lo, hi, step, initial, integer, exact)


def _exact_value(target: Any, variable: str | None, name: str,
                 namespace: Mapping[str, Any], unit: Any) -> Any:
    """The parameter's value now, exactly as the model has it (no unit round trip)."""
    if target is None:
        return namespace[name]
    raw = np.asarray(getattr(target, variable + "_"), dtype=np.float64)
    si = float(raw.mean()) if raw.size else 0.0
    if unit is None:
        return si
    return registry.Quantity(si, registry.Quantity(1.0, unit).to_base_units().units)


def _current_value(target: Any, variable: str | None, name: str,
                   namespace: Mapping[str, Any], unit: Any) -> Any:
    """The parameter's value now, in the slider's unit (``None`` if unknown)."""
    if target is not None:
        raw = np.asarray(getattr(target, variable + "_"), dtype=np.float64)
        si = float(raw.mean()) if raw.size else 0.0
        dims = (target.specs if getattr(target, "specs", None) else target.parent.specs)[
            variable].dims
        wanted = dimensions_of(registry.Quantity(1.0, unit)) if unit is not None else None
        if (unit is None) != is_dimensionless(dims) or (wanted is not None and wanted != dims):
            raise UnitError(f"'{name}' has units of {unit_words(dims)}, but its slider range "
                            f"is in {f'{unit:~P}' if unit is not None else 'plain numbers'}")
        return si / float(to_si(registry.Quantity(1.0, unit))) if unit is not None else si
    if name not in namespace:
        return None
    value = namespace[name]
    if isinstance(value, bool) or not isinstance(value, registry.Quantity | int | float
                                                     | np.integer | np.floating):
        return None
    dims = dimensions_of(value)
    if unit is None:
        if not is_dimensionless(dims):
            raise UnitError(f"'{name}' is {value!r} here, but its slider range has no units")
        return value if isinstance(value, int | np.integer) else float(to_si(value))
    if dims != dimensions_of(registry.Quantity(1.0, unit)):
        raise UnitError(f"'{name}' has units of {unit_words(dims)} here, but its slider "
                        f"range is in {unit:~P}")
    return float(value.to(unit).magnitude)


def _monitor_figures(net: Any, plots: Any, start: float, duration: float) -> list[Any]:
    """The figures to show: one per monitor by default, with a shared time axis."""
    from bokeh.models import Range1d

    from . import plotting
    from .monitors import PopulationRateMonitor, SpikeMonitor, StateMonitor

    monitor_types = (SpikeMonitor, StateMonitor, PopulationRateMonitor)
    if plots is None:
        plots = [o for o in net.objects if isinstance(o, monitor_types)]
    scale = plotting.time_unit(start + duration)[0]
    x_range = Range1d(start * scale, (start + duration) * scale)
    figures = []
    for item in plots:
        options: dict[str, Any] = {}
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Mapping):
            item, options = item[0], dict(item[1])
        if isinstance(item, monitor_types):
            options.setdefault("time_scale", scale)
            options.setdefault("x_range", x_range)
            fig = plotting.plot(item, **options)
        elif plotting.is_updatable(item):
            fig = item
            if fig.document is not None:
                raise JnsimError("this figure is already shown elsewhere",
                                 hint="give explore() a new figure (or the monitor)")
        else:
            raise JnsimError(f"explore() cannot plot {item!r}",
                             hint="give monitors, (monitor, {options}) pairs or figures "
                                  "made by jnsim.plotting")
        plotting.set_since(fig, start)
        figures.append(fig)
    return figures


class Explorer:
    """Sliders, buttons, status line and figures for exploring a network.

    Made by :func:`explore`; see :mod:`jnsim.live` for how updates are run.

    Attributes
    ----------
    net
        The network.
    parameters
        Name to :class:`Parameter`.
    sliders
        Name to slider widget (``FloatSlider`` or ``IntSlider``; values in the
        parameter's unit, shown next to it).
    figures
        The Bokeh figures (their data sources are updated in place).
    values
        Name to the value used by the last run (a quantity or number).
    widget
        The whole ipywidgets layout.
    status
        The status line (an ``HTML`` widget).
    runs
        How many runs completed.
    last_stats
        ``net.last_run_stats`` of the last run.
    last_update_seconds
        Wall time of the last update, from the first request it served to the
        figures holding its data.
    """

    def __init__(self, net: Any, params: Mapping[Any, Any], duration: Any,
                 plots: Sequence[Any] | None, namespace: Mapping[str, Any],
                 seed: int | None = None, show: bool = True, start: str = "now") -> None:
        import ipywidgets as widgets

        from .network import _duration_seconds

        self.net = net
        self.duration = duration
        self.duration_s = _duration_seconds(duration)
        self.seed = seed
        self._namespace = dict(namespace)
        self.parameters: dict[str, Parameter] = {}
        for key, spec in params.items():
            parameter = _parse_parameter(key, spec, self._namespace)
            if parameter.name in self.parameters:
                raise JnsimError(f"'{parameter.name}' is explored twice")
            self.parameters[parameter.name] = parameter
        self.values: dict[str, Any] = {n: p.initial_value
                                       for n, p in self.parameters.items()}
        self._check_used()
        self.start = _check_start(start)
        if start == "initial":
            net.store_initial(_STORE_NAME)
        else:
            net.store(_STORE_NAME)
        self.start_s = float(net._stored[_STORE_NAME]["t"])

        # -- widgets -------------------------------------------------------------------
        # The sliders' own readouts are off: the browser shows a slider's value on its
        # step grid, so a value off the grid (80.5 pA on a 2 pA step) would read wrong.
        # ``readouts`` show the exact value run, in one format (:func:`format_number`).
        self.sliders: dict[str, Any] = {}
        self.readouts: dict[str, Any] = {}
        self._shown: dict[str, float] = {}
        rows = []
        for name, p in self.parameters.items():
            kind = widgets.IntSlider if p.integer else widgets.FloatSlider
            slider = kind(value=p.initial, min=p.low, max=p.high, step=p.step,
                          description=name, continuous_update=True, readout=False,
                          style={"description_width": "initial"},
                          layout=widgets.Layout(width="360px"))
            slider.observe(lambda change, n=name: self._on_slider(n, change), names="value")
            self.sliders[name] = slider
            self.readouts[name] = widgets.Label(p.readout(p.initial_value))
            self._shown[name] = p.number(p.initial_value)
            rows.append(widgets.HBox([slider, self.readouts[name]]))
        self.run_button = widgets.Button(description="Run", icon="play",
                                         tooltip="run again with the current values")
        self.reset_button = widgets.Button(description="Reset", icon="undo",
                                           tooltip="back to the initial values")
        self.run_button.on_click(lambda _: self._request({}))
        self.reset_button.on_click(lambda _: self._reset_request())
        self.status = widgets.HTML(value="")
        self.progress = widgets.FloatProgress(value=0.0, min=0.0, max=1.0,
                                              layout=widgets.Layout(width="200px"))
        self.figures = _monitor_figures(net, plots, self.start_s, self.duration_s)
        self._plot_area = widgets.Box([widgets.HTML("<i>running the first simulation…</i>")])
        controls = widgets.HBox([self.run_button, self.reset_button, self.progress])
        self.widget = widgets.VBox([*rows, controls, self.status, self._plot_area])

        # -- state of the worker -----------------------------------------------------------
        self._cond = threading.Condition()
        self._pending: dict[str, Any] = {}
        self._wanted = False
        self._requested = 0
        self._done = 0
        self._busy = False
        self._closed = False
        self._outcomes: dict[int, BaseException | None] = {}
        self._pending_since: float | None = None
        self._quiet = False
        self.runs = 0
        self.last_stats: Any = None
        self.last_error: BaseException | None = None
        self.last_update_seconds: float | None = None
        self._shown_in: int | None = None

        if show and _progress.in_notebook():
            self.show()
        # The first run happens here, before the figures' widget exists, so that
        # the browser receives the figures with their data.
        self._update(dict(self.values), time.perf_counter())
        if self.last_error is not None:
            raise self.last_error
        self._make_bokeh_model()
        self._thread = threading.Thread(target=self._work, name="jnsim-explore", daemon=True)
        self._thread.start()

    # -- set up ----------------------------------------------------------------------------
    def _check_used(self) -> None:
        """Every namespace parameter must be read by the network from the run namespace."""
        namespace = self._run_namespace(self.values)
        used: set[str] = set()
        for obj in self.net._runnable():
            externals = obj.resolve(namespace, None)
            used |= {n for n, e in externals.items()
                     if getattr(e, "origin", "") == "run namespace"}
        for name, p in self.parameters.items():
            if p.target is None and name not in used:
                raise JnsimError(
                    f"cannot explore '{name}': no equation of the network uses it from the "
                    "namespace", hint="explore constants used in the equations (objects with "
                    "their own namespace= do not see them), or a state variable ('G.tau')")

    def _make_bokeh_model(self) -> None:
        from bokeh.layouts import column
        from jupyter_bokeh import BokehModel

        self.layout = column(*self.figures) if self.figures else None
        self.bokeh_model = BokehModel(self.layout) if self.layout is not None else None
        self._plot_area.children = [self.bokeh_model] if self.bokeh_model is not None else []

    def _run_namespace(self, values: Mapping[str, Any]) -> dict[str, Any]:
        namespace = dict(self._namespace)
        namespace.update({n: v for n, v in values.items()
                          if self.parameters[n].target is None})
        return namespace

    # -- requests (any thread) ------------------------------------------------------------
    def _on_slider(self, name: str, change: Mapping[str, Any]) -> None:
        if self._quiet:
            return
        p = self.parameters[name]
        number = change["new"]
        if self._is_echo(p, number):
            return
        self._shown[name] = number
        self.readouts[name].value = p.readout(p.quantity(number))
        self._request({name: p.quantity(number)})

    def _is_echo(self, p: Parameter, number: float) -> bool:
        """Whether a slider value is the browser moving the exact value onto its grid.

        The browser snaps a value set here (80.5 on a step of 2) to the step grid
        and sends the snapped value (80) back; that is not a change by the user.
        """
        shown = self._shown[p.name]
        tolerance = 1e-9 * abs(p.high - p.low)
        return number != shown and abs(number - p.snap(shown)) <= tolerance

    def _request(self, changes: Mapping[str, Any]) -> int:
        with self._cond:
            if self._closed:
                raise JnsimError("this explorer is closed")
            self._pending.update(changes)
            self._wanted = True
            self._requested += 1
            if self._pending_since is None:
                self._pending_since = time.perf_counter()
            self._cond.notify_all()
            return self._requested

    def _reset_request(self) -> int:
        initial = {n: p.initial_value for n, p in self.parameters.items()}
        self._move_sliders(initial)
        return self._request(initial)

    def _move_sliders(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` (as given to the model) on the sliders and their readouts."""
        self._quiet = True
        try:
            for name, value in values.items():
                p = self.parameters[name]
                number = p.number(value)
                self._shown[name] = number
                self.sliders[name].value = round(number) if p.integer else number
                self.readouts[name].value = p.readout(value)
        finally:
            self._quiet = False

    # -- the worker -----------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._wanted and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                changes, self._pending = self._pending, {}
                started, self._pending_since = self._pending_since, None
                self._wanted = False
                generation = self._requested
                self._busy = True
            self._update(changes, started)
            with self._cond:
                self._busy = False
                self._done = generation
                self._outcomes[generation] = self.last_error
                for old in [g for g in self._outcomes if g < generation - 100]:
                    del self._outcomes[old]
                self._cond.notify_all()

    def _update(self, changes: Mapping[str, Any], started: float | None) -> None:
        """Run with ``changes`` applied and refresh the figures (the worker's one job)."""
        from . import plotting
        from .random import seed
        from .units import registry as units

        values = dict(self.values)
        values.update(changes)
        self.status.value = "<i>running with " + _escape(", ".join(
            self.parameters[n].describe(v) for n, v in values.items())) + " " + _escape(
            self._start_words()) + "…</i>"
        self.progress.bar_style = ""
        self.progress.value = 0.0
        try:
            self.net.restore(_STORE_NAME)
            for name, value in values.items():
                p = self.parameters[name]
                if p.target is not None:
                    setattr(p.target, p.variable, value)
            if self.seed is not None:
                seed(self.seed)
            self.net.run(self.duration, namespace=self._run_namespace(values),
                         report=self._report, report_period=0.1 * units.second)
            for fig in self.figures:
                plotting.update_figure(fig)
        except Exception as error:  # shown in the status line, re-raised by set()
            self.last_error = error
            self.values = values
            self.progress.bar_style = "danger"
            self.status.value = (f"<span style='color:#b00'><b>{type(error).__name__}</b>: "
                                 f"{_escape(str(error))}</span>")
            return
        self.last_error = None
        self.values = values
        self.runs += 1
        self.last_stats = self.net.last_run_stats
        self.last_update_seconds = (time.perf_counter() - started) if started else None
        self.progress.value = 1.0
        self.progress.bar_style = "success"
        self.status.value = self._describe_run(values)

    def _start_words(self) -> str:
        """Where each run starts, for the status line."""
        time_ms = format_number(self.start_s * 1e3)
        if self.start == "initial":
            return f"from t = {time_ms} ms (the initial state)"
        return f"from t = {time_ms} ms (the state when explore() was called)"

    def _report(self, elapsed: float, fraction: float, start: float, duration: float) -> None:
        self.progress.value = min(max(fraction, 0.0), 1.0)

    def _describe_run(self, values: Mapping[str, Any]) -> str:
        from .monitors import SpikeMonitor

        stats = self.last_stats
        parts = [", ".join(self.parameters[n].describe(v) for n, v in values.items()),
                 self._start_words()]
        if stats is not None:
            parts.append(f"{self.duration_s:g} s simulated in {stats.run_seconds:.3f} s "
                         f"(loop {stats.kernel_seconds:.3f} s"
                         + (", compiled" if stats.compiled else "") + ")")
        spikes = sum(int(np.count_nonzero(o.t_ >= self.start_s - 1e-12))
                     for o in self.net.objects if isinstance(o, SpikeMonitor))
        if any(isinstance(o, SpikeMonitor) for o in self.net.objects):
            parts.append(f"{spikes:,} spikes")
        parts.append(f"run {self.runs}")
        return " · ".join(_escape(p) for p in parts)

    # -- public ------------------------------------------------------------------------------
    def set(self, values: Mapping[str, Any] | None = None, /, timeout: float | None = None,
            **kwargs: Any) -> None:
        """Set parameters, rerun, and return once the figures show the result.

        The values are run exactly as given, also where they are not on the
        slider's step grid (the slider moves to the nearest grid point, its
        readout shows the value given).

        Parameters
        ----------
        values
            Name to value, for names that are not identifiers (``{'G.tau': 5*ms}``).
        timeout
            Most seconds to wait (forever by default).
        **kwargs
            Name to value (``we=2*mV``), in the parameter's units.

        Raises
        ------
        JnsimError
            For an unknown name or a value outside the slider's range.
        UnitError
            For a value with the wrong units.
        Exception
            Any error of the run (e.g. :class:`~jnsim.RunError`).
        """
        given = dict(values or {})
        given.update(kwargs)
        checked = {}
        for name, value in given.items():
            if name not in self.parameters:
                raise JnsimError(f"'{name}' is not explored here",
                                 hint="explored: " + ", ".join(self.parameters))
            checked[name] = self.parameters[name].check(value)
        self._move_sliders(checked)
        self._wait_for(self._request(checked), timeout)

    def run(self, timeout: float | None = None) -> None:
        """Run again with the current values (the *Run* button) and wait for the figures."""
        self._wait_for(self._request({}), timeout)

    def reset(self, timeout: float | None = None) -> None:
        """Back to the initial values (the *Reset* button); waits for the figures."""
        self._wait_for(self._reset_request(), timeout)

    def wait(self, timeout: float | None = None) -> None:
        """Wait until every requested run has finished and the figures are updated."""
        with self._cond:
            generation = self._requested
        self._wait_for(generation, timeout, raise_error=False)

    @property
    def busy(self) -> bool:
        """Whether a run is in progress or waiting."""
        with self._cond:
            return self._busy or self._wanted

    def _wait_for(self, generation: int, timeout: float | None,
                  raise_error: bool = True) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._done < generation:
                if self._closed:
                    raise JnsimError("this explorer was closed before the run finished")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"the run did not finish within {timeout} s")
                self._cond.wait(0.25 if remaining is None else min(remaining, 0.25))
            served = min((g for g in self._outcomes if g >= generation), default=None)
            error = self._outcomes.get(served) if served is not None else None
        if raise_error and error is not None:
            raise error

    def close(self) -> None:
        """Stop the worker and close the widgets (the network keeps its last state)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=60)
        # The BokehModel is left to close itself when collected: jupyter_bokeh's
        # close() fails when called twice (once here, once by Widget.__del__).
        self._plot_area.children = []
        for widget in (*self.sliders.values(), *self.readouts.values(), self.run_button,
                       self.reset_button, self.status, self.progress, self._plot_area, self.widget):
            widget.close()

    def show(self) -> None:
        """Display the widgets (again) in the notebook."""
        from IPython import get_ipython
        from IPython.display import display

        from .plotting import setup_notebook

        setup_notebook()
        display(self.widget)
        shell = get_ipython()
        self._shown_in = getattr(shell, "execution_count", None)

    def _ipython_display_(self) -> None:
        """Show the widgets, unless ``explore()`` already did in this very cell."""
        from IPython import get_ipython
        from IPython.display import display


        if not _progress.in_notebook():
            display({"text/plain": repr(self)}, raw=True)
        elif getattr(get_ipython(), "execution_count", None) != self._shown_in:
            self.show()

    def __repr__(self) -> str:
        values = ", ".join(self.parameters[n].describe(v) for n, v in self.values.items())
        return f"<Explorer of {self.net.name!r}: {values}; {self.runs} runs>"


_STARTS = ("now", "initial")


def _check_start(start: Any) -> str:
    """``start`` if it is one of :data:`_STARTS`, else a :class:`JnsimError`."""
    if start not in _STARTS:
        raise JnsimError(f"explore(start={start!r}) is not a starting point",
                         hint="start='now' (the network's state now, the default) or "
                              "start='initial' (its state at t = 0)")
    return start


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def explore(net: Any = None, params: Mapping[Any, Any] | None = None, duration: Any = None,
            plots: Sequence[Any] | None = None, namespace: Mapping[str, Any] | None = None,
            seed: int | None = None, show: bool = True, start: str = "now") -> Explorer:
    """Explore a network with sliders; figures update in place after every change.

    Parameters
    ----------
    net
        The network; by default the objects ``run()`` would simulate here.
    params
        What to explore, with slider ranges ``(low, high)`` or ``(low, high, step)``
        in the units to show (``(0*mV, 3*mV)``). Keys are

        - the name of a constant of the equations (``'we'``): given to ``run`` as
          ``namespace=``, over the namespace where ``explore`` is called (captured now);
        - ``'G.tau'`` (``G`` a group or synapses defined where ``explore`` is called)
          or ``(G, 'tau')``: a state variable, set to the slider's value for every
          element after the stored state is restored.

        A slider starts at the parameter's current value (its mean for a state
        variable), clipped into the range. Values are run exactly as given (by
        the namespace or ``ex.set``), also where they are not on the slider's step.
    duration
        Model time of each run.
    plots
        What to show: monitors, ``(monitor, {plot options})`` pairs or figures made
        by :mod:`jnsim.plotting`; by default one figure per monitor of the network.
    namespace
        The namespace to run in, instead of the caller's.
    seed
        If given, the random numbers are seeded with it before every run, so that
        runs differ only by the parameters.
    show
        Display the widgets now (in a notebook).
    start
        Where every run starts: ``'now'`` (the default), the network's state when
        ``explore`` is called; ``'initial'``, its state at t = 0, before its first
        run. The status line says which.

    Returns
    -------
    Explorer
        ``ex.sliders``, ``ex.figures``, ``ex.set(we=2*mV)``, ``ex.reset()``, ...

    Raises
    ------
    JnsimError
        For a parameter that is unknown, not used by the equations, or has an
        empty range; for ``start='initial'`` when the state at t = 0 is not known.
    UnitError
        For ranges whose units do not match the parameter's.

    Notes
    -----
    The first run happens before ``explore`` returns (it may compile the kernel);
    later runs never compile. Runs start from the network's state when ``explore``
    was called, or at t = 0 with ``start='initial'`` (stored as ``'explore'``).

    Examples
    --------
    >>> ex = explore(net, params={'we': (0*mV, 3*mV)}, duration=1*second)  # doctest: +SKIP
    >>> ex.set(we=2*mV)  # doctest: +SKIP
    """
    from .network import collect, get_magic_network

    caller = caller_namespace() if namespace is None else dict(namespace)
    if net is None:  # the network run() simulates: its time is the objects' time
        objects = collect(caller)
        if not objects:
            raise JnsimError("explore() found no objects to simulate",
                             hint="pass a Network, or create groups first")
        net = get_magic_network()
        net.objects = objects
    if not params:
        raise JnsimError("explore() needs at least one parameter",
                         hint="e.g. params={'we': (0*mV, 3*mV)}")
    if duration is None:
        raise JnsimError("explore() needs a duration", hint="e.g. duration=1*second")
    return Explorer(net, params, duration, plots, caller, seed=seed, show=show, start=start)

