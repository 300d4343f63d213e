"""The simulation protocol: a record of every ``run()``, for reports.

:meth:`jnsim.Network.run` calls :func:`record_run` after each run with what it
simulated; :func:`runs_of` gives the runs that simulated any of some objects (the
report's *Simulation protocol* section). Records hold weak references to the
objects, so they never keep a network alive; the state the network took at t = 0
(for :meth:`~jnsim.Network.store_initial`) is kept with the run that started there,
so that a report's parameter hash describes the network as it was set up.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RunRecord", "clear_protocol", "initial_state_of", "record_run", "runs_of"]

#: At most this many runs are remembered (the oldest go first).
MAX_RECORDS = 1000


@dataclass(frozen=True)
class RunRecord:
    """One ``run()`` of a network.

    Attributes
    ----------
    network
        The network's name (``'magic network'`` for :func:`~jnsim.run`).
    start, duration
        Simulated time at the start, and simulated time covered, in seconds
        (shorter than ``requested`` when :func:`~jnsim.stop` ended the run).
    requested
        The duration asked for, in seconds.
    dt
        The network's time step in seconds.
    steps
        Time steps simulated.
    wall_seconds
        Wall time of the ``run()`` call.
    objects
        Weak references to the objects simulated.
    initial_state
        For a run that started at t = 0: the state of the objects then (the
        network's snapshot, by object id); else ``None``.
    """

    network: str
    start: float
    duration: float
    requested: float
    dt: float
    steps: int
    wall_seconds: float
    objects: tuple[weakref.ref, ...] = field(repr=False)
    initial_state: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

    def simulated(self, obj: Any) -> bool:
        """Whether ``obj`` (or the group it is a part of) ran in this run."""
        parent = getattr(obj, "parent", None)
        obj = obj if parent is None else parent
        return any(ref() is obj for ref in self.objects)

    def alive(self) -> bool:
        """Whether any of the objects still exists."""
        return any(ref() is not None for ref in self.objects)


_RECORDS: list[RunRecord] = []


def _reference(obj: Any) -> weakref.ref:
    return weakref.ref(obj)


def record_run(network: str, objects: Iterable[Any], start: float, duration: float,
               requested: float, dt: float, steps: int, wall_seconds: float,
               initial_state: Mapping[str, Any] | None = None) -> RunRecord:
    """Remember one run (called by :meth:`jnsim.Network.run`); returns the record."""
    objects = list(objects)
    record = RunRecord(network, float(start), float(duration), float(requested), float(dt),
                       int(steps), float(wall_seconds),
                       tuple(_reference(o) for o in objects), initial_state)
    _RECORDS[:] = [r for r in _RECORDS if r.alive()]
    if initial_state is not None:
        # only the latest start at t = 0 of these objects is asked for its state
        # (runs_of starts there): earlier records let go of theirs, so that many runs
        # from t = 0 (a sweep's worker, explore) do not keep one copy of the state each
        _RECORDS[:] = [dataclasses.replace(r, initial_state=None)
                       if r.initial_state is not None and any(r.simulated(o) for o in objects)
                       else r for r in _RECORDS]
    _RECORDS.append(record)
    del _RECORDS[:-MAX_RECORDS]
    return record


def runs_of(objects: Sequence[Any]) -> list[RunRecord]:
    """The recorded runs that simulated any of ``objects``, oldest first.

    A run belongs to the protocol of the objects' current simulation only: runs
    before the last one that started at t = 0 (a new simulation) are left out.
    """
    runs = [r for r in _RECORDS if any(r.simulated(o) for o in objects)]
    starts = [k for k, r in enumerate(runs) if r.start == 0.0]
    return runs[starts[-1]:] if starts else runs


def initial_state_of(obj: Any, runs: Sequence[RunRecord]) -> Mapping[str, Any] | None:
    """The state ``obj`` had at t = 0, from the first of ``runs`` that kept it."""
    for run in runs:
        state = run.initial_state
        if state is not None and id(obj) in state.get("objects", {}) and run.simulated(obj):
            return state["objects"][id(obj)]
    return None


def clear_protocol() -> None:
    """Forget every recorded run."""
    _RECORDS.clear()
