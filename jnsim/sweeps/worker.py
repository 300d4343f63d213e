"""What runs on a sweep's workers: build once per structure, then restore, set, run.

A worker process keeps the networks it built (:data:`_NETWORKS`), keyed by the
sweep and the structure, so that every run after the first of a structure only
restores the stored state, sets the run's values and runs: the kernel is the
same (the values are arguments, not part of its source), so nothing compiles.
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import JnsimError
from ..units import registry
from .points import Run, structure_key

__all__ = ["SweepSpec", "default_measure", "network_of", "run_batch", "run_one",
           "run_pickled_batch"]

#: The name the built network's starting state is stored under.
STORE_NAME = "jnsim-sweep"

#: Networks built in this process: (sweep token, structure) -> network, newest last.
_NETWORKS: OrderedDict[tuple[str, str], Any] = OrderedDict()
_KEEP_NETWORKS = 4
#: The spec of the latest sweep, unpickled once per worker: (pickled bytes, spec).
_SPEC: list[Any] = [None, None]
#: One batch at a time per process: runs share the random generators (seed()) and
#: the cache of built networks.
_LOCK = threading.Lock()


@dataclass(frozen=True)
class SweepSpec:
    """Everything a worker needs besides the runs (sent to each worker once).

    Attributes
    ----------
    token
        Identifies the sweep (networks of another sweep are not reused).
    build
        The user's function ``build(**structural) -> Network``.
    duration
        Model time of every run.
    namespace
        The external names the network reads from the run namespace, resolved
        where :func:`jnsim.sweep` was called.
    measure
        ``measure(net) -> {name: number or quantity}``, or ``None`` for
        :func:`default_measure`.
    build_seed
        Given to :func:`jnsim.seed` before ``build`` runs, so that random
        connections and initial values are the same on every worker.
    """

    token: str
    build: Callable[..., Any]
    duration: Any
    namespace: Mapping[str, Any] = field(default_factory=dict)
    measure: Callable[[Any], Mapping[str, Any]] | None = None
    build_seed: int = 0


def network_of(built: Any) -> Any:
    """The :class:`~jnsim.Network` that ``build`` returned (objects are gathered into one).

    Raises
    ------
    JnsimError
        If ``build`` returned something else.
    """
    from ..base import JnsimObject
    from ..network import Network

    if isinstance(built, Network):
        return built
    if isinstance(built, JnsimObject) or (
            isinstance(built, list | tuple) and built
            and all(isinstance(o, JnsimObject | Network) for o in built)):
        return Network(built)
    raise JnsimError(f"build() must return a Network, not {type(built).__name__}",
                     hint="end build() with 'return Network(G, S, M)'")


def default_measure(net: Any, duration_s: float) -> dict[str, Any]:
    """The mean firing rate of every group a :class:`~jnsim.SpikeMonitor` records.

    Returns
    -------
    dict
        ``'<group>.rate'`` -> rate in Hz (over the run's duration).
    """
    from ..monitors import SpikeMonitor

    rates = {}
    for obj in net.objects:
        if isinstance(obj, SpikeMonitor):
            neurons = max(1, len(obj.count))
            rates[f"{obj.group.name}.rate"] = registry.Quantity(
                obj.num_spikes / (neurons * duration_s), "Hz")
    if not rates:
        raise JnsimError("the network has no SpikeMonitor to measure",
                         hint="give measure=lambda net: {...}, or add a SpikeMonitor")
    return rates


def check_metrics(metrics: Any) -> dict[str, Any]:
    """The metrics of one run, each a number or a scalar quantity.

    Raises
    ------
    JnsimError
        For anything else (a metric must fit in one cell of a table).
    """
    if not isinstance(metrics, Mapping):
        raise JnsimError(f"measure() must return a dict of numbers, not "
                         f"{type(metrics).__name__}", hint="e.g. {'rate': M.num_spikes/...}")
    checked = {}
    for name, value in metrics.items():
        if not isinstance(name, str):
            raise JnsimError(f"measure() returned the name {name!r}; names must be strings")
        if isinstance(value, np.ndarray | np.generic) and np.ndim(value) == 0:
            value = value.item()
        magnitude = value.magnitude if isinstance(value, registry.Quantity) else value
        if isinstance(magnitude, np.ndarray) and magnitude.ndim == 0:
            magnitude = magnitude.item()
        if isinstance(magnitude, bool) or not isinstance(magnitude, int | float):
            raise JnsimError(f"measure() returned {value!r} for '{name}', which is not a "
                             "number", hint="return one number (or quantity) per name, e.g. "
                             "np.mean(M.v) instead of M.v")
        checked[name] = (registry.Quantity(float(magnitude), value.units)
                         if isinstance(value, registry.Quantity) else magnitude)
    return checked


def _single_threaded() -> None:
    """Kernels in a worker use one thread: the workers already fill the cores. (The
    kernel itself is the one the network gets anywhere: a large network's
    multi-threaded kernel runs on one thread, with the same results.)"""
    from .. import threads

    threads.limit_threads(1)


def _prepared_network(spec: SweepSpec, run: Run) -> Any:
    from ..namespace import fallback_names
    from ..random import seed

    key = (spec.token, structure_key(run.structural))
    net = _NETWORKS.get(key)
    if net is not None:
        _NETWORKS.move_to_end(key)
        return net
    for old in [k for k in _NETWORKS if k[0] != spec.token]:
        del _NETWORKS[old]
    seed(spec.build_seed)
    # build() finds the names of the namespace the sweep was started from, as it
    # did there (no user frame is on a worker's stack)
    with fallback_names(spec.namespace):
        net = network_of(spec.build(**dict(run.structural)))
    net.store(STORE_NAME)
    _NETWORKS[key] = net
    while len(_NETWORKS) > _KEEP_NETWORKS:
        _NETWORKS.popitem(last=False)
    return net


def apply_values(net: Any, run: Run, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Set the run's state-variable values; return the run namespace with its constants."""
    namespace = dict(namespace)
    for name, value in run.values:
        if "." in name:
            owner, variable = name.rsplit(".", 1)
            setattr(net[owner], variable, value)
        else:
            namespace[name] = value
    return namespace


def run_one(spec: SweepSpec, net: Any, run: Run) -> dict[str, Any]:
    """Run one point on a built network; failures become the row's status and error."""
    from ..network import _duration_seconds
    from ..random import seed

    started = time.perf_counter()
    row: dict[str, Any] = {"index": run.index, "status": "ok", "error": "", "metrics": {}}
    try:
        net.restore(STORE_NAME)
        namespace = apply_values(net, run, spec.namespace)
        seed(run.seed)
        net.run(spec.duration, namespace=namespace)
        if spec.measure is None:
            metrics = default_measure(net, _duration_seconds(spec.duration))
        else:
            metrics = spec.measure(net)
        row["metrics"] = check_metrics(metrics)
        row["compiled"] = bool(net.last_run_stats is not None and net.last_run_stats.compiled)
    except Exception as error:  # a failed run is a row of the results
        row.update(status="error", error=f"{type(error).__name__}: {error}")
    row["wall_time"] = time.perf_counter() - started
    row["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    return row


def run_batch(spec: SweepSpec, runs: list[Run]) -> list[dict[str, Any]]:
    """Run a batch of runs of one structure (a task of the sweep).

    Returns
    -------
    list of dict
        One row per run: ``index``, ``status`` (``'ok'`` or ``'error'``),
        ``error``, ``metrics``, ``wall_time`` (seconds), ``worker``.
    """
    with _LOCK:
        _single_threaded()
        try:
            net = _prepared_network(spec, runs[0])
        except Exception as error:  # build() failed: every run of the batch did
            message = f"build() failed: {type(error).__name__}: {error}"
            return [{"index": r.index, "status": "error", "error": message, "metrics": {},
                     "wall_time": math.nan, "worker": f"{socket.gethostname()}:{os.getpid()}"}
                    for r in runs]
        return [run_one(spec, net, run) for run in runs]


def run_pickled_batch(payload: bytes, runs: list[Run]) -> list[dict[str, Any]]:
    """:func:`run_batch` with the spec pickled (unpickled once per worker and sweep)."""
    import pickle

    if _SPEC[0] != payload:
        _SPEC[:] = [payload, pickle.loads(payload)]
    return run_batch(_SPEC[1], runs)
