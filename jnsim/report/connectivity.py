"""Connectivity statistics of projections: degrees, weights and delays, as plain values.

:func:`projection_statistics` reads a ``Synapses`` object's connections (``i``,
``j``), the per-synapse values of its weight and the delays of its ``pre``
pathway, and returns a :class:`ProjectionStatistics`: histograms and summaries
that the report's tables and the connectivity figure show, and that the JSON
export keeps (so a loaded report draws the same figure).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..units import Dimensions
from .typeset import quantity_text, unit_symbol_and_factor

__all__ = ["Histogram", "ProjectionStatistics", "degree_histogram", "projection_statistics",
           "value_histogram"]

_SECOND = Dimensions({"[time]": 1})
#: At most this many bars per histogram.
MAX_BINS = 40
#: Target variables read as inhibitory (conductances or currents of inhibitory synapses).
_INHIBITORY_TARGET = re.compile(r"^(g_?i|g_?inh\w*|g_?gaba\w*|i_?inh\w*|\w*inh\w*|\w*gaba\w*)"
                                r"(_post)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Histogram:
    """Counts of values in bins ``[edges[k], edges[k + 1])`` (the last bin closed).

    ``edges`` are in ``unit`` (the unit of the axis: ``'ms'``, ``'mV'``, ``''``).
    """

    label: str
    unit: str
    edges: tuple[float, ...]
    counts: tuple[int, ...]


@dataclass(frozen=True)
class ProjectionStatistics:
    """What the connectivity figure and table say about one projection."""

    name: str
    source: str
    target: str
    #: the populations (whole groups) the source and target belong to
    source_population: str
    target_population: str
    #: ``'excitatory'``, ``'inhibitory'`` or ``'unknown'`` (see :func:`projection_sign`)
    sign: str
    synapses: int
    in_degree: Histogram
    out_degree: Histogram
    weights: Histogram | None
    delays: Histogram
    #: rich text: ``min 0, mean 7.9, max 14``
    in_degree_summary: str
    out_degree_summary: str
    weight_summary: str
    delay_summary: str


def degree_histogram(indices: np.ndarray, size: int, label: str) -> Histogram:
    """How many neurons have each number of connections (``indices``: one per synapse).

    The degrees are ``np.bincount(indices, minlength=size)``; the histogram counts
    them in bins of integer width (1 when the degrees span at most
    :data:`MAX_BINS` values), edges at half-integers.
    """
    degrees = np.bincount(np.asarray(indices, dtype=np.int64), minlength=size)[:size] \
        if size else np.zeros(0, dtype=np.int64)
    if degrees.size == 0:
        return Histogram(label, "", (), ())
    low, high = int(degrees.min()), int(degrees.max())
    width = max(1, math.ceil((high - low + 1) / MAX_BINS))
    counts = np.bincount((degrees - low) // width)
    edges = low - 0.5 + width * np.arange(counts.size + 1)
    return Histogram(label, "", tuple(float(e) for e in edges), tuple(int(c) for c in counts))


def value_histogram(values_si: np.ndarray, dims: Dimensions | None, label: str) -> Histogram:
    """A histogram of per-synapse values (SI) in the unit that suits them."""
    values = np.asarray(values_si, dtype=float).ravel()
    if values.size == 0:
        return Histogram(label, "", (), ())
    scale = float(np.max(np.abs(values))) or 0.0
    unit, factor = unit_symbol_and_factor(dims, scale, zero=scale == 0)
    shown = values / factor
    low, high = float(shown.min()), float(shown.max())
    if low == high:
        half = abs(low) * 0.05 or 0.5
        edges = np.array([low - half, low + half])
    else:
        edges = np.histogram_bin_edges(shown, bins=min(MAX_BINS, max(1, values.size)))
    counts, edges = np.histogram(shown, bins=edges)
    return Histogram(label, unit, tuple(float(e) for e in edges), tuple(int(c) for c in counts))


def summary(values: np.ndarray, dims: Dimensions | None) -> str:
    """``min 1, mean 2.5, max 4`` (one value when all are equal; ``—`` when none)."""
    values = np.asarray(values, dtype=float).ravel()
    if values.size == 0:
        return "—"
    low, high = float(values.min()), float(values.max())
    if low == high:
        return quantity_text(low, dims)
    scale = max(abs(low), abs(high))
    return ", ".join(f"{word} {quantity_text(float(f'{value:.4g}'), dims, scale)}"
                     for word, value in (("min", low), ("mean", values.mean()), ("max", high)))


def projection_sign(weights_si: np.ndarray | None, target_variable: str) -> str:
    """``'inhibitory'`` for weights that are all negative, or all positive onto a target
    variable named as inhibitory (``gi``, ``g_inh``, ``I_gaba``: a conductance-based
    inhibitory synapse adds a positive conductance); ``'excitatory'`` for other
    positive weights; ``'unknown'`` when weights are of both signs or not known."""
    if weights_si is None or np.size(weights_si) == 0:
        return "unknown"
    values = np.asarray(weights_si, dtype=float)
    if np.all(values <= 0) and np.any(values < 0):
        return "inhibitory"
    if np.all(values >= 0):
        return "inhibitory" if _INHIBITORY_TARGET.match(target_variable) else "excitatory"
    return "unknown"


def projection_statistics(name: str, source: str, target: str, populations: tuple[str, str],
                          synapses: Any,
                          weights_si: np.ndarray | None, weight_dims: Dimensions | None,
                          weight_label: str, target_variable: str) -> ProjectionStatistics:
    """The statistics of one projection.

    Parameters
    ----------
    name, source, target
        The names the report gives the projection, its source and its target.
    populations
        The names of the whole populations the source and target belong to.
    synapses
        The ``Synapses`` object (its ``i_array``, ``j_array``, ``delay_array``).
    weights_si
        One weight per synapse in SI units (``None`` when the weight is not known).
    weight_dims, weight_label
        The weight's dimensions and its name (plain text, for the axis).
    target_variable
        The variable the weight is added to (for :func:`projection_sign`).
    """
    i = np.asarray(synapses.i_array, dtype=np.int64)
    j = np.asarray(synapses.j_array, dtype=np.int64)
    n_source = int(synapses.source_stop - synapses.source_start)
    n_target = int(synapses.target_stop - synapses.target_start)
    in_degrees = np.bincount(j, minlength=n_target)[:n_target]
    out_degrees = np.bincount(i, minlength=n_source)[:n_source]
    delays = np.asarray(synapses.delay_array("delay_pre") if "pre" in getattr(
        synapses.code, "pathways", {"pre": None}) else np.zeros(i.size), dtype=float)
    weights = None if weights_si is None else np.broadcast_to(
        np.asarray(weights_si, dtype=float), i.shape)
    return ProjectionStatistics(
        name=name, source=source, target=target, source_population=populations[0],
        target_population=populations[1],
        sign=projection_sign(weights, target_variable), synapses=int(i.size),
        in_degree=degree_histogram(j, n_target, "in-degree"),
        out_degree=degree_histogram(i, n_source, "out-degree"),
        weights=value_histogram(weights, weight_dims, weight_label) if weights is not None
        else None,
        delays=value_histogram(delays, _SECOND, "delay"),
        in_degree_summary=summary(in_degrees, None),
        out_degree_summary=summary(out_degrees, None),
        weight_summary=summary(weights, weight_dims) if weights is not None else "—",
        delay_summary=summary(delays, _SECOND))
