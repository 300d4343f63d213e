"""A sweep as it runs: a progress bar, the dashboard link and a plot that fills in.

In a notebook the display is ipywidgets (a progress bar and a line of counts) and
a Bokeh figure (shown through ``jupyter_bokeh``) whose data source grows by one
point per finished run; elsewhere, with ``progress=True``, a line of text on
``sys.stderr``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import JnsimError
from ..progress import _format_seconds, in_notebook
from ..units import registry
from .points import Run

__all__ = ["SweepDisplay", "describe_counts"]


def describe_counts(done: int, total: int, failed: int, lost: int, elapsed: float,
                    done_here: int) -> str:
    """The words beside the bar: ``'12 of 48 runs · 1 failed · about 20 s left'``."""
    words = [f"{done} of {total} runs"]
    if failed:
        words.append(f"{failed} failed")
    if lost:
        words.append(f"{lost} lost")
    if done_here > 0 and done < total:
        left = elapsed / done_here * (total - done)
        words.append(f"about {_format_seconds(left)} left")
    elif done >= total:
        words.append(f"{_format_seconds(elapsed)}")
    return " · ".join(words)


def _number(value: Any) -> float:
    if isinstance(value, registry.Quantity):
        return float(value.magnitude)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


class SweepDisplay:
    """The progress of one sweep (made by :meth:`start`, fed by :func:`jnsim.sweep`).

    ``SweepDisplay.latest`` is the display of the latest sweep (to inspect it).
    """

    latest: SweepDisplay | None = None

    def __init__(self, total: int, rows: Mapping[int, Mapping[str, Any]], widget: bool,
                 axes: tuple[str, str] | None, runs: Sequence[Run]) -> None:
        self.total = total
        self.runs = runs
        self.done = len(rows)
        self.failed = sum(r["status"] == "error" for r in rows.values())
        self.lost = sum(r["status"] == "lost" for r in rows.values())
        self.started = time.perf_counter()
        self.done_here = 0
        self.widget = widget
        self.axes = axes
        self.units: dict[str, Any] = {}
        self.source: Any = None
        self.figure: Any = None
        self.dashboard_link = ""
        if widget:
            self._make_widgets()
        for index, row in rows.items():
            self._plot(runs[index], row)
        self._show()
        SweepDisplay.latest = self

    @classmethod
    def start(cls, progress: bool | None, plot: tuple[str, str] | bool | None,
              names: Sequence[str], runs: Sequence[Run], rows: Mapping[int, Mapping[str, Any]],
              metrics: Sequence[str]) -> SweepDisplay | None:
        """The display for a sweep, or ``None`` when there is nothing to show."""
        notebook = in_notebook()
        if progress is None:
            progress = notebook
        if not progress:
            return None
        axes = None
        if plot is not False and notebook:
            metrics = [*metrics, *(name for row in rows.values()
                                   for name in row.get("metrics", {}))]
            if isinstance(plot, tuple):
                if len(plot) != 2 or plot[0] not in names:
                    raise JnsimError(f"plot={plot!r} must be (parameter, metric)",
                                     hint="parameters: " + ", ".join(names))
                axes = plot
            elif metrics:
                varied = [n for n in names
                          if len({repr(run.parameters[n]) for run in runs}) > 1]
                axes = ((varied or list(names))[0], metrics[0])
        return cls(len(runs), rows, notebook, axes, runs)

    # -- widgets ---------------------------------------------------------------------------
    def _make_widgets(self) -> None:
        import ipywidgets as widgets

        self.bar = widgets.IntProgress(value=self.done, min=0, max=self.total,
                                       description="sweep",
                                       style={"description_width": "initial"})
        self.label = widgets.Label(value="")
        self.link = widgets.HTML(value="")
        children = [widgets.HBox([self.bar, self.label]), self.link]
        if self.axes is not None:
            children.append(self._make_figure())
        self.box = widgets.VBox(children)

    def _make_figure(self) -> Any:
        from bokeh.models import ColumnDataSource, HoverTool
        from bokeh.plotting import figure
        from jupyter_bokeh import BokehModel

        x, y = self.axes
        self.source = ColumnDataSource({"x": [], "y": [], "replicate": []})
        self.figure = figure(width=480, height=300, title=f"{y} against {x}",
                             x_axis_label=x, y_axis_label=y, tools="pan,wheel_zoom,reset")
        self.figure.scatter("x", "y", source=self.source, size=7, alpha=0.7)
        self.figure.add_tools(HoverTool(tooltips=[(x, "@x"), (y, "@y"),
                                                  ("replicate", "@replicate")]))
        return BokehModel(self.figure)

    def _show(self) -> None:
        if self.widget:
            from IPython.display import display

            self._refresh()
            display(self.box)

    def _refresh(self) -> None:
        text = describe_counts(self.done, self.total, self.failed, self.lost,
                               time.perf_counter() - self.started, self.done_here)
        if self.widget:
            self.bar.value = self.done
            self.label.value = text
            if self.done >= self.total:
                self.bar.bar_style = "danger" if self.failed or self.lost else "success"
        else:
            end = "\n" if self.done >= self.total else ""
            sys.stderr.write(f"\rsweep: {text}{end}")
            sys.stderr.flush()

    def _plot(self, run: Run, row: Mapping[str, Any]) -> None:
        if self.source is None or row["status"] != "ok":
            return
        x_name, y_name = self.axes
        x, y = run.parameters.get(x_name), row["metrics"].get(y_name)
        if x is None or y is None:
            return
        for name, value in ((x_name, x), (y_name, y)):
            if isinstance(value, registry.Quantity) and name not in self.units:
                self.units[name] = value.units
                axis = self.figure.xaxis if name == x_name else self.figure.yaxis
                axis.axis_label = f"{name} ({value.units:~P})"
        values = []
        for name, value in ((x_name, x), (y_name, y)):
            if isinstance(value, registry.Quantity) and name in self.units:
                value = value.to(self.units[name])
            values.append(_number(value))
        self.source.stream({"x": [values[0]], "y": [values[1]],
                            "replicate": [run.replicate]})

    # -- fed by sweep() ----------------------------------------------------------------------
    def connected(self, client: Any) -> None:
        """Show the link to the cluster's dashboard."""
        link = getattr(client, "dashboard_link", "") or ""
        self.dashboard_link = link
        if self.widget and link:
            self.link.value = (f"Dask dashboard: <a href='{link}' target='_blank'>"
                               f"{link}</a>")

    def add(self, run: Run, row: Mapping[str, Any]) -> None:
        """One more run finished."""
        self.done += 1
        self.done_here += 1
        self.failed += row["status"] == "error"
        self.lost += row["status"] == "lost"
        self._plot(run, row)
        self._refresh()

    def finish(self, rows: Mapping[int, Mapping[str, Any]]) -> None:
        """The sweep ended (completely or not)."""
        self.done = len(rows)
        self._refresh()

    def cluster_closed(self) -> None:
        """The LocalCluster the sweep started is gone: its dashboard link is dead."""
        if self.widget and self.dashboard_link:
            self.link.value = "Dask dashboard: closed with the sweep's LocalCluster"
