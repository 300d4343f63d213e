"""The connectivity figure of a report: a network diagram and histograms.

The diagram follows the graphical notation of Nordlie et al. (2009) as refined by
Senk et al. (2022), *Connectivity concepts in neuronal network modeling*, PLoS
Comput Biol 18(9): e1010086: populations are boxes, projections are arrows from
source to target, with a pointed head for excitatory and a flat bar head for
inhibitory projections (a plain line when the sign is not known). Below it, one
row per projection shows the histograms of its in-degrees, out-degrees, weights
and delays (:class:`~jnsim.report.connectivity.ProjectionStatistics`).

matplotlib is imported only when a figure is drawn (its Agg and PDF canvases,
not pyplot); if it is not installed, :func:`draw_connectivity` says so and the
report notes that the figure was omitted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .connectivity import Histogram, ProjectionStatistics

__all__ = ["FigureLink", "diagram_layout", "draw_connectivity", "figure_path"]

_COLOURS = {"excitatory": "#1f5fa8", "inhibitory": "#c0392b", "unknown": "#555555"}


@dataclass(frozen=True)
class FigureLink:
    """Where a report's figure is (relative to the report), or why there is none."""

    path: str | None
    reason: str = ""


def figure_path(report_path: Path, suffix: str) -> Path:
    """``model-connectivity.png`` next to ``model.md`` (``.pdf`` for ``.tex``)."""
    return report_path.with_name(f"{report_path.stem}-connectivity{suffix}")


def diagram_layout(populations: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Box centres in a 3 × 1 area: in a row for up to four populations, else on an
    ellipse (in the given order)."""
    count = len(populations)
    if count <= 4:
        return {name: (3 * (k + 0.5) / count, 0.4) for k, name in enumerate(populations)}
    return {name: (1.5 + 1.2 * math.cos(math.pi / 2 - 2 * math.pi * k / count),
                   0.5 + 0.36 * math.sin(math.pi / 2 - 2 * math.pi * k / count))
            for k, name in enumerate(populations)}


def _head(sign: str) -> str:
    if sign == "excitatory":
        return "-|>,head_length=5,head_width=2.5"
    if sign == "inhibitory":
        return "-[,widthB=4,lengthB=0"
    return "-"


def _diagram(axes: Any, populations: Sequence[str],
             projections: Sequence[ProjectionStatistics]) -> None:
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path as CurvePath

    used = list(dict.fromkeys([p for s in projections
                               for p in (s.source_population, s.target_population)]))
    names = list(dict.fromkeys([*populations, *used]))
    where = diagram_layout(names)
    axes.set_xlim(0, 3)
    axes.set_ylim(0, 1.05)
    axes.set_aspect("equal")
    axes.set_axis_off()
    for name, (x, y) in where.items():
        axes.text(x, y, name, ha="center", va="center", fontsize=10, zorder=3,
                  bbox={"boxstyle": "square,pad=0.5", "facecolor": "#f2f2f2",
                        "edgecolor": "black"})
    seen: dict[tuple[str, str], int] = {}
    for stats in projections:
        key = (stats.source_population, stats.target_population)
        order = seen.get(key, 0)
        seen[key] = order + 1
        (x0, y0), (x1, y1) = where[key[0]], where[key[1]]
        colour = _COLOURS.get(stats.sign, _COLOURS["unknown"])
        style = dict(arrowstyle=_head(stats.sign), color=colour, lw=1.4, mutation_scale=2.5,
                     zorder=2)
        if key[0] == key[1]:  # a loop above the box, one higher than the other
            spread, height = 0.16 + 0.1 * order, 0.3 + 0.13 * order
            curve = CurvePath([(x0 - 0.05, y0 + 0.07), (x0 - spread, y0 + height),
                               (x0 + spread, y0 + height), (x0 + 0.05, y0 + 0.07)],
                              [CurvePath.MOVETO] + [CurvePath.CURVE4] * 3)
            arrow = FancyArrowPatch(path=curve, **style)
            label = (x0 + 0.75 * spread + 0.04, y0 + 0.75 * height)
            alignment = "left"
        else:
            rad = 0.15 + 0.12 * order
            arrow = FancyArrowPatch((x0, y0), (x1, y1), connectionstyle=f"arc3,rad={rad}",
                                    shrinkA=22, shrinkB=22, **style)
            label = ((x0 + x1) / 2 + rad * (y1 - y0) / 2,
                     (y0 + y1) / 2 - rad * (x1 - x0) / 2 + 0.02)
            alignment = "center"
        axes.add_patch(arrow)
        axes.text(*label, stats.name, ha=alignment, va="bottom", fontsize=8, color=colour)
    axes.text(0.0, 0.0, "→ excitatory    ⊣ inhibitory    — sign unknown", fontsize=8,
              ha="left", va="bottom", color="#333333")


def _histogram(axes: Any, histogram: Histogram | None, title: str, xlabel: str) -> None:
    axes.set_title(title, fontsize=8)
    axes.tick_params(labelsize=7)
    if histogram is None or not histogram.counts:
        axes.text(0.5, 0.5, "not known", ha="center", va="center", fontsize=8,
                  transform=axes.transAxes)
        axes.set_xticks([])
        axes.set_yticks([])
        return
    axes.stairs(histogram.counts, histogram.edges, fill=True, color="#7f7f7f")
    unit = f" ({histogram.unit})" if histogram.unit else ""
    axes.set_xlabel(xlabel + unit, fontsize=7)


def draw_connectivity(populations: Sequence[str],
                      projections: Sequence[ProjectionStatistics],
                      path: Path) -> FigureLink:
    """Draw the figure into ``path`` (PNG or PDF by its suffix).

    Returns
    -------
    FigureLink
        ``path``'s name, or no path and the reason (matplotlib is not installed).
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return FigureLink(None, "matplotlib is not installed")
    from matplotlib.ticker import EngFormatter

    rows = len(projections)
    height = 2.6 + 1.7 * rows  # inches: the diagram, then a row of histograms each
    figure = Figure(figsize=(8.0, height), dpi=100)
    # fixed margins (in inches, for titles, tick labels and axis labels), not a layout
    # engine: constrained layout measures every label and took most of the drawing time
    split = 1 - 2.6 / height
    top = figure.add_gridspec(1, 1, left=0.03, right=0.97, bottom=split + 0.05 / height,
                              top=1 - 0.05 / height)
    _diagram(figure.add_subplot(top[0, 0]), populations, projections)
    grid = figure.add_gridspec(max(rows, 1), 4, left=0.08, right=0.985,
                               bottom=0.45 / height, top=split - 0.3 / height, wspace=0.5,
                               hspace=0.75)
    for row, stats in enumerate(projections):
        cells = [figure.add_subplot(grid[row, k]) for k in range(4)]
        for cell in cells:  # 250k, 1M: no offset text ("1e6") over the titles
            cell.yaxis.set_major_formatter(EngFormatter(sep=""))
        _histogram(cells[0], stats.in_degree, f"{stats.name}: in-degree", "synapses in")
        _histogram(cells[1], stats.out_degree, f"{stats.name}: out-degree", "synapses out")
        _histogram(cells[2], stats.weights, f"{stats.name}: weights",
                   stats.weights.label if stats.weights else "weight")
        _histogram(cells[3], stats.delays, f"{stats.name}: delays", "delay")
        cells[0].set_ylabel("neurons", fontsize=7)
        cells[2].set_ylabel("synapses", fontsize=7)
    if path.suffix.lower() == ".pdf":
        figure.savefig(path, format="pdf", metadata={"CreationDate": None})
    else:
        figure.savefig(path, format="png", metadata={"Software": None})
    return FigureLink(path.name)
