"""What a network does in each time step, and where a run's time went.

``scheduling_summary()`` lists the operations of the compiled step in the order they
run (slot, order, which object, every how many steps), as Brian 2's function of that
name does. ``profiling_summary()`` gives the timings jnsim measures. jnsim compiles all
of a network's operations into one function with the time loop inside, so it times the
run as a whole (code generation and compilation, the loop), not object by object.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .codegen.blocks import SLOTS

__all__ = ["ProfilingSummary", "SchedulingSummary", "profiling_summary",
           "scheduling_summary"]


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows,
                                                                           strict=True)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths,
                                                                        strict=True))
             for row in (header, *rows)]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def _markdown(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass(frozen=True)
class SchedulingSummary:
    """The operations of one time step, in the order they run."""

    #: ``(object, operation, when, order, dt)`` per operation, in running order.
    rows: tuple[tuple[str, str, str, str, str], ...]

    _HEADER = ("object", "operation", "when", "order", "dt")

    def __repr__(self) -> str:
        return _table(self._HEADER, list(self.rows))

    def _repr_markdown_(self) -> str:
        return _markdown(self._HEADER, list(self.rows))


def _network(net: Any, caller_ns: Mapping[str, Any] | None) -> Any:
    from .network import collect, get_magic_network

    if net is not None:
        return net
    magic = get_magic_network()
    if caller_ns is not None:
        magic.objects = collect(caller_ns)
    return magic


def scheduling_summary(net: Any = None) -> SchedulingSummary:
    """The schedule of ``net`` (by default, the objects ``run()`` would collect here).

    Each row is one operation of the compiled step: the object it belongs to, what it
    does (``stateupdate``, ``thresholder``, ``pre pathway`` ...), its slot of the step
    (``when``), its ``order`` within the slot and its time step.
    """
    from .namespace import caller_namespace

    network = _network(net, caller_namespace() if net is None else None)
    plan = getattr(network, "last_plan", None)
    if plan is None:
        plan = network.prepare(caller_ns=caller_namespace())[0]
    base_dt = network.base_dt_seconds()
    objects = {obj.code_id: obj for obj in network._runnable()}
    operations = sorted(plan.operations, key=lambda o: (SLOTS.index(o.slot), o.order))
    rows = []
    for op in operations:
        obj = objects.get(op.owner)
        kind = getattr(obj, "slug", "")
        rows.append((obj.name if obj is not None else op.owner,
                     _operation_kind(op.name, kind), op.slot, f"{op.order:g}",
                     f"{op.every * base_dt * 1e3:g} ms"))
    return SchedulingSummary(tuple(rows))


def _operation_kind(name: str, kind: str) -> str:
    """``n0_neurongroup_state_update`` -> ``state update``."""
    words = name.split("_")
    if words and re.fullmatch(r"n\d+", words[0]):
        words = words[1:]
    if kind and words[:1] == [kind]:
        words = words[1:]
    return " ".join(word for word in words if word) or name


@dataclass(frozen=True)
class ProfilingSummary:
    """The timings of a network's runs (whole runs: jnsim does not time objects)."""

    #: ``(run, steps, compiled, loop s, whole run s)`` per run, oldest first.
    rows: tuple[tuple[str, str, str, str, str], ...]

    _HEADER = ("run", "steps", "compiled", "loop (s)", "whole run() (s)")
    _NOTE = ("jnsim compiles every operation of the network into one function with the "
             "time loop inside: runs are timed as a whole, not per object.")

    def __repr__(self) -> str:
        return _table(self._HEADER, list(self.rows)) + "\n" + self._NOTE

    def _repr_markdown_(self) -> str:
        return _markdown(self._HEADER, list(self.rows)) + "\n\n" + self._NOTE


def profiling_summary(net: Any = None, show: int | None = None) -> ProfilingSummary:
    """Timings of the latest runs (of ``net`` only, where it is given).

    Parameters
    ----------
    net
        A :class:`~jnsim.Network`; by default the runs of every network.
    show
        How many of the latest runs to list (all by default, at most 100).
    """
    from .network import run_history

    runs = ([net.last_run_stats] if net is not None and net.last_run_stats is not None
            else [] if net is not None else run_history())
    if show is not None:
        runs = runs[-show:]
    rows = tuple((str(number), str(stats.steps), "yes" if stats.compiled else "no",
                  f"{stats.kernel_seconds:.3f}", f"{stats.run_seconds:.3f}")
                 for number, stats in enumerate(runs, start=1))
    return ProfilingSummary(rows)
