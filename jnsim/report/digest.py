"""Hashes for reports: of a network's parameters and connectivity, of recorded data.

:func:`network_hash` is a sha256 of everything that decides what a simulation does:
the equations and code (the model hash's text), the time step, the values of the
external constants, and every object's state *as it was set up* — its values at
the start of its first run from t = 0 if it ran (kept by the protocol recorder,
:mod:`jnsim.protocol`), else its values now — with the synapses' connections
(``i``, ``j``) and delays. The bytes are fed in a fixed order, with names and
array shapes, so that the same script gives the same hash in any process, and any
changed parameter, weight or synapse gives another.

:func:`data_checksums` gives a sha256 of each array a monitor recorded (in SI units,
as stored: ``SpikeMonitor.t_``, ``StateMonitor.v_``, ...).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DataChecksum", "array_digest", "data_checksums", "feed", "network_hash"]


@dataclass(frozen=True)
class DataChecksum:
    """The sha256 of one recorded array (``monitor``, its ``variable``, ``shape``)."""

    monitor: str
    variable: str
    shape: str
    dtype: str
    sha256: str


def _canonical_array(array: np.ndarray) -> np.ndarray:
    """The array in C order and little-endian, so that its bytes do not depend on the
    machine or on how it was made (a view, a transposed copy)."""
    array = np.asarray(array)
    if array.dtype.byteorder == ">" or (array.dtype.byteorder == "=" and
                                         np.little_endian is False):
        array = array.astype(array.dtype.newbyteorder("<"))
    return np.ascontiguousarray(array)


def feed(hasher: Any, label: str, value: Any) -> None:
    """Feed ``value`` (arrays, numbers, strings, mappings, sequences) into ``hasher``,
    each part preceded by its label, type and (for arrays) dtype and shape."""
    if isinstance(value, Mapping):
        hasher.update(f"{label}:map:{len(value)}\n".encode())
        for key in sorted(value, key=str):
            feed(hasher, f"{label}.{key}", value[key])
    elif isinstance(value, np.ndarray):
        array = _canonical_array(value)
        hasher.update(f"{label}:array:{array.dtype.str}:{array.shape}\n".encode())
        hasher.update(array.tobytes())
    elif isinstance(value, list | tuple):
        hasher.update(f"{label}:seq:{len(value)}\n".encode())
        for index, item in enumerate(value):
            feed(hasher, f"{label}[{index}]", item)
    elif isinstance(value, bool | np.bool_):
        hasher.update(f"{label}:bool:{bool(value)}\n".encode())
    elif isinstance(value, int | np.integer):
        hasher.update(f"{label}:int:{int(value)}\n".encode())
    elif isinstance(value, float | np.floating):
        hasher.update(f"{label}:float:".encode() + struct.pack("<d", float(value)) + b"\n")
    elif value is None:
        hasher.update(f"{label}:none\n".encode())
    else:
        hasher.update(f"{label}:str:{value}\n".encode())


def array_digest(array: np.ndarray) -> str:
    """sha256 of an array's bytes, little-endian and in C order (its dtype and shape
    are given beside it): ``hashlib.sha256(np.ascontiguousarray(a).tobytes())`` on a
    little-endian machine."""
    return hashlib.sha256(_canonical_array(array).tobytes()).hexdigest()


def network_hash(model_text: str, dt: float,
                 constants: Iterable[tuple[str, float, str]],
                 objects: Sequence[tuple[str, str, Mapping[str, Any]]]) -> str:
    """sha256 of a network's model, parameters and connectivity.

    Parameters
    ----------
    model_text
        The canonical text of the equations and code (see
        :meth:`~jnsim.report.models.ModelCode.canonical_text`).
    dt
        The time step in seconds.
    constants
        ``(name, value in SI, dimensions)`` of the external constants the models use.
    objects
        ``(name, kind, state)`` for every population, projection and input, in a
        fixed order; ``state`` maps names to arrays or numbers (see :func:`object_state`).
    """
    hasher = hashlib.sha256()
    feed(hasher, "model", model_text)
    feed(hasher, "dt", float(dt))
    for name, value, dims in sorted(constants):
        feed(hasher, f"constant.{name}", (float(value), dims))
    for name, kind, state in objects:
        feed(hasher, f"{kind}.{name}", state)
    return hasher.hexdigest()


#: The parts of a snapshot that hold the set-up (not spike buffers, queues, cursors).
_KEPT = ("arrays", "i", "j")


def object_state(obj: Any, initial: Mapping[str, Any] | None) -> dict[str, Any]:
    """The values that define an object: its initial state (as recorded at t = 0) or
    its current state, its size, connections and input settings."""
    state: dict[str, Any] = {}
    snapshot = initial
    if snapshot is None:
        snapshot = {"arrays": dict(getattr(obj, "arrays", {}))}
        if hasattr(obj, "i_array"):
            snapshot.update(i=obj.i_array, j=obj.j_array)
    for key, value in snapshot.items():
        if key in _KEPT:
            state[key] = value
    state["N"] = int(getattr(obj, "N", 0))
    for attribute in ("_indices", "_times", "_period", "_rate", "_weight_value", "_n",
                      "_shared_delay", "target_var", "source_start", "source_stop",
                      "target_start", "target_stop"):
        value = getattr(obj, "__dict__", {}).get(attribute)
        if value is not None:
            state[attribute.lstrip("_")] = value
    weight = getattr(obj, "__dict__", {}).get("weight")
    if isinstance(weight, str):
        state["weight_expression"] = weight
    return state


def data_checksums(monitors: Sequence[tuple[str, Any]],
                   recorded: Callable[[Any], Mapping[str, np.ndarray]]) -> list[DataChecksum]:
    """A checksum of each array each monitor recorded.

    Parameters
    ----------
    monitors
        ``(name, monitor)`` pairs.
    recorded
        Gives a monitor's recorded arrays by name (see :func:`recorded_arrays`).
    """
    result = []
    for name, monitor in monitors:
        for variable, array in recorded(monitor).items():
            result.append(DataChecksum(name, variable, "×".join(map(str, array.shape)) or "1",
                                       _canonical_array(array).dtype.name, array_digest(array)))
    return result


def recorded_arrays(monitor: Any) -> dict[str, np.ndarray]:
    """The arrays a monitor has recorded so far (SI units), by variable name."""
    buffers = getattr(monitor, "buffers", None)
    if buffers is None:
        return {}
    return {name: np.asarray(buffers.view(name)) for name in buffers.arrays}
