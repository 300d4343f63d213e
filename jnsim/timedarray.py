"""TimedArray: values that change over time (and optionally per neuron), used in equations.

``stimulus = TimedArray([0, 1, 0]*nA, dt=10*ms)`` makes ``I = stimulus(t) : amp``
step through the values; a two-dimensional array ``values[time, neuron]`` is
called as ``stimulus(t, i)``.  Past the last value the last one is kept.  In
kernels the call becomes a lookup into the values array, which is passed as an
argument: new values never recompile anything.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .clock import time_in_seconds
from .errors import JnsimError
from .namespace import FunctionInfo
from .units import (
    DIMENSIONLESS,
    Dimensions,
    dimensions_of,
    quantity_from_sequence,
    to_si,
    unit_words,
)

__all__ = ["TimedArray"]

_SECOND = Dimensions({"[time]": 1})


class TimedArray:
    """Values given at regular times, callable in equations as ``name(t)`` or ``name(t, i)``.

    Parameters
    ----------
    values
        A 1-D array (one value per time step) or a 2-D array ``[time, neuron]``,
        as a quantity or plain numbers.
    dt
        The time between two values.
    name
        For messages.
    """

    def __init__(self, values: Any, dt: Any, name: str | None = None) -> None:
        values = quantity_from_sequence(values)  # [25*Hz, 50*Hz], nested lists
        magnitude = np.asarray(to_si(values), dtype=float)
        if magnitude.ndim not in (1, 2) or magnitude.shape[0] == 0:
            raise JnsimError(f"a TimedArray needs a 1-D or 2-D array of values, not shape "
                             f"{magnitude.shape}", hint="give values[time] or values[time, i]")
        if not np.all(np.isfinite(magnitude)):
            raise JnsimError("a TimedArray's values must be finite")
        self.values_si = np.ascontiguousarray(magnitude)
        self.dims = dimensions_of(values)
        self.dt_ = time_in_seconds(dt, "dt")
        self.name = name or "timedarray"

    @property
    def values(self) -> np.ndarray:
        """The values as a plain array in SI units, as Brian's ``TimedArray.values``."""
        return self.values_si

    @property
    def dt(self) -> float:
        """The time between two values in seconds, a plain number, as Brian's
        ``TimedArray.dt``."""
        return self.dt_

    @property
    def ndim(self) -> int:
        """1 for ``f(t)``, 2 for ``f(t, i)``."""
        return self.values_si.ndim

    def jnsim_function_info(self) -> FunctionInfo:
        """Units of the call: a time (and an index) in, the values' units out."""
        arguments = (_SECOND,) if self.ndim == 1 else (_SECOND, DIMENSIONLESS)
        return FunctionInfo(arguments, self.dims)

    def values_at(self, t: Any, i: Any = None) -> Any:
        """The values (SI units, plain numbers) at times ``t`` given in seconds."""
        seconds = np.asarray(t, dtype=float)
        index = np.clip(((seconds + 1e-3 * self.dt_) / self.dt_).astype(np.int64), 0,
                        self.values_si.shape[0] - 1)
        if i is None:
            return self.values_si[index]
        return self.values_si[index, np.asarray(i).astype(np.int64)]

    def __call__(self, t: Any, i: Any = None) -> Any:
        """Evaluate in Python (times as quantities or seconds)."""
        from .units import quantity_from_si

        seconds = np.asarray(to_si(t), dtype=float)
        index = np.clip(((seconds + 1e-3 * self.dt_) / self.dt_).astype(np.int64), 0,
                        self.values_si.shape[0] - 1)
        values = self.values_si[index] if i is None else self.values_si[index, i]
        return quantity_from_si(values, self.dims) if self.dims else values

    def __repr__(self) -> str:
        unit = unit_words(self.dims)
        return (f"TimedArray({self.name!r}, {self.values_si.shape[0]} values of {unit}, "
                f"dt = {self.dt_ * 1e3:g} ms)")


LOOKUP_HELPERS = {
    "_timed_1d": (
        "@numba.njit(cache=True, inline='always', error_model='numpy')\n"
        "def _timed_1d(values, dt, t):\n"
        "    k = np.int64((t + 1e-3 * dt) / dt)\n"
        "    k = 0 if k < 0 else k\n"
        "    last = values.shape[0] - 1\n"
        "    return values[last if last < k else k]\n"
    ),
    "_timed_2d": (
        "@numba.njit(cache=True, inline='always', error_model='numpy')\n"
        "def _timed_2d(values, dt, t, i):\n"
        "    k = np.int64((t + 1e-3 * dt) / dt)\n"
        "    k = 0 if k < 0 else k\n"
        "    last = values.shape[0] - 1\n"
        "    return values[last if last < k else k, np.int64(i)]\n"
    ),
}
