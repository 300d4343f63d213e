"""The simulation clock: the time step ``dt`` shared by objects that do not set their own."""

from __future__ import annotations

from typing import Any

from .errors import JnsimError
from .units import Quantity, dimensions_of, registry, to_si

__all__ = ["DefaultClock", "defaultclock", "time_in_seconds"]


def time_in_seconds(value: Any, what: str) -> float:
    """A time given as a quantity, in seconds; a plain number is an error."""
    dims = dimensions_of(value)
    if dict(dims) != {"[time]": 1}:
        raise JnsimError(f"{what} must be a time, not {value!r}",
                         hint=f"give it units, e.g. {what.split()[-1]}=0.1*ms")
    seconds = float(to_si(value))
    if not seconds > 0:
        raise JnsimError(f"{what} must be positive, not {value!r}")
    return seconds


class DefaultClock:
    """The default time step (``defaultclock.dt = 0.05*ms``) and the time reached by the
    latest run (``defaultclock.t``)."""

    def __init__(self) -> None:
        self._dt = 1e-4
        #: Where the most recent run (or restore) of any network left time (seconds).
        self._t = 0.0

    @property
    def t(self) -> Quantity:
        """The time reached by the most recent run, as Brian's ``defaultclock.t``."""
        return (self._t * registry.second).to("ms")

    @property
    def t_(self) -> float:
        """:attr:`t` in seconds."""
        return self._t

    @property
    def dt(self) -> Quantity:
        """The time step as a quantity."""
        return (self._dt * registry.second).to("ms")

    @dt.setter
    def dt(self, value: Any) -> None:
        self._dt = time_in_seconds(value, "defaultclock.dt")

    @property
    def dt_(self) -> float:
        """The time step in seconds."""
        return self._dt

    def __repr__(self) -> str:
        return f"defaultclock(dt={self.dt:~P})"


defaultclock = DefaultClock()
