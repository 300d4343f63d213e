"""Static PNG copies of jnsim's Bokeh figures, drawn without a browser.

A figure shown in a notebook carries, next to its Bokeh output, an ``image/png``
rendering for places that cannot run BokehJS (nbviewer without JavaScript, GitHub,
static exporters). The PNG is drawn with matplotlib's Agg canvas from the figure's
own data sources, title, axis labels and legend; matplotlib is imported only here,
only when a figure is displayed, and if it is not installed (it comes with the
``lab`` extra) no PNG is made.

Only the glyphs jnsim's figures use are drawn: scatter (rasters), multi_line
(traces), line (rates) and quad (histograms); other glyphs are skipped.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

__all__ = ["figure_png"]

#: Pixels per inch of the PNG: a 800 x 280 px Bokeh figure becomes 800 x 280 px.
DPI = 100
_DASHES = {"solid": "-", "dashed": "--", "dotted": ":", "dotdash": "-.", "dashdot": "-."}


def figure_png(fig: Any) -> bytes | None:
    """A PNG image of a Bokeh figure made by :mod:`jnsim.plotting`.

    Parameters
    ----------
    fig
        A ``bokeh.plotting.figure``.

    Returns
    -------
    bytes or None
        The PNG file's bytes; ``None`` if matplotlib is not installed or the
        figure cannot be drawn (a static copy must never break a display).
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    try:
        width = (getattr(fig, "width", None) or 800) / DPI
        height = (getattr(fig, "height", None) or 280) / DPI
        image = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
        FigureCanvasAgg(image)
        axes = image.add_subplot()
        _draw(fig, axes)
        buffer = io.BytesIO()
        image.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()
    except Exception:
        return None


def _draw(fig: Any, axes: Any) -> None:
    extra_axes: dict[str, Any] = {}
    for name in getattr(fig, "extra_y_ranges", {}) or {}:
        extra_axes[name] = axes.twinx()
    labelled = False
    for renderer in fig.renderers:
        glyph = getattr(renderer, "glyph", None)
        source = getattr(renderer, "data_source", None)
        if glyph is None or source is None:
            continue
        target = extra_axes.get(getattr(renderer, "y_range_name", "default"), axes)
        label = _legend_label(fig, renderer)
        labelled |= label is not None
        _draw_glyph(target, type(glyph).__name__, glyph, source.data, label)
    if fig.title is not None and fig.title.text:
        axes.set_title(fig.title.text, fontsize=10, loc="left")
    if fig.xaxis:
        axes.set_xlabel(fig.xaxis[0].axis_label or "")
    for axis in fig.yaxis:
        name = getattr(axis, "y_range_name", "default")
        extra_axes.get(name, axes).set_ylabel(axis.axis_label or "")
    y_range = getattr(fig, "y_range", None)
    if type(y_range).__name__ == "Range1d" and y_range.start is not None:
        axes.set_ylim(y_range.start, y_range.end)
    if labelled:
        handles, labels = [], []
        for each in (axes, *extra_axes.values()):
            h, lab = each.get_legend_handles_labels()
            handles += h
            labels += lab
        axes.legend(handles, labels, fontsize=8, loc="upper right")


def _legend_label(fig: Any, renderer: Any) -> str | None:
    for legend in getattr(fig, "legend", []) or []:
        for item in legend.items:
            if renderer in item.renderers:
                label = item.label
                value = label.get("value") if isinstance(label, dict) else \
                    getattr(label, "value", label)
                return None if value is None else str(value)
    return None


def _column(data: dict[str, Any], spec: Any) -> Any:
    """The values of a glyph property: a data column or a fixed value."""
    field = spec if isinstance(spec, str) else getattr(spec, "field", None)
    if isinstance(field, str) and field in data:
        return data[field]
    value = getattr(spec, "value", spec)
    return value


def _color(data: dict[str, Any], spec: Any, k: int | None = None) -> Any:
    value = _column(data, spec)
    if isinstance(value, str) or value is None:
        return value
    if k is not None and len(value) > k:
        return value[k]
    return None


def _draw_glyph(axes: Any, kind: str, glyph: Any, data: dict[str, Any],
                label: str | None) -> None:
    if kind == "Scatter":
        x = np.asarray(_column(data, glyph.x), dtype=np.float64)
        y = np.asarray(_column(data, glyph.y), dtype=np.float64)
        axes.scatter(x, y, s=2.0, c=_color(data, glyph.fill_color) or "#1f3b73",
                     linewidths=0, alpha=0.7, rasterized=True, label=label)
    elif kind == "MultiLine":
        xs, ys = _column(data, glyph.xs), _column(data, glyph.ys)
        style = _DASHES.get(str(getattr(glyph, "line_dash", "solid")), "-")
        for k, (x, y) in enumerate(zip(xs, ys, strict=False)):
            axes.plot(np.asarray(x), np.asarray(y), lw=1.0, ls=style,
                      color=_color(data, glyph.line_color, k),
                      label=label if k == 0 else None)
    elif kind == "Line":
        axes.plot(np.asarray(_column(data, glyph.x)), np.asarray(_column(data, glyph.y)),
                  lw=1.0, color=_color(data, glyph.line_color) or "#b22222", label=label)
    elif kind == "Quad":
        left = np.asarray(_column(data, glyph.left), dtype=np.float64)
        right = np.asarray(_column(data, glyph.right), dtype=np.float64)
        top = np.asarray(_column(data, glyph.top), dtype=np.float64)
        axes.bar(left, top, width=right - left, align="edge",
                 color=_color(data, glyph.fill_color) or "#4c72b0", edgecolor="white",
                 label=label)
