"""Python functions called during a run: Brian's ``network_operation``.

The time loop runs inside the compiled kernel, so a Python function can only run between
time steps. A :class:`NetworkOperation` tells the kernel how many steps it may run before
the next call (its *room*); the kernel returns there, the network calls the function, and
the kernel goes on. With ``when='start'`` (Brian's default) the function runs before the
step at time ``t``; with ``when='end'``, after it. Brian's slots inside a step
(``'groups'``, ``'thresholds'``, ...) would need Python in the middle of the kernel's
step and are refused.

Each call costs a return from the kernel (some microseconds): an operation every step
slows a large model down noticeably, one every millisecond hardly at all.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .base import JnsimObject
from .clock import defaultclock, time_in_seconds
from .codegen.blocks import FunctionBuilder, Operation
from .errors import JnsimError
from .units import registry

__all__ = ["NetworkOperation", "network_operation"]

_WHEN = ("start", "end")


class NetworkOperation(JnsimObject):
    """A Python function called at regular times during a run.

    Parameters
    ----------
    function
        Called with no argument, or with the current time ``t`` (a quantity) when it
        takes one argument.
    dt
        How often (a multiple of the network's time step); every step by default.
    when
        ``'start'`` (before the step at ``t``) or ``'end'`` (after it).
    name
        Free text naming the operation.
    """

    _name_prefix = "network_operation"

    def __init__(self, function: Callable[..., Any], dt: Any = None, when: str = "start",
                 name: str | None = None) -> None:
        super().__init__(name if name is not None else getattr(function, "__name__", None))
        if not callable(function):
            raise JnsimError(f"a network operation needs a function, not {function!r}")
        if when not in _WHEN:
            raise JnsimError(
                f"a network operation cannot run at when={when!r}",
                hint="the time loop runs compiled: Python functions run between time steps, "
                     "when='start' (before a step, the default) or when='end' (after it)")
        self.function = function
        self.when = when
        self._dt = time_in_seconds(dt, "dt") if dt is not None else None
        self._takes_time = _takes_time(function)
        #: the step boundary of the next call, shared with the kernel
        self._next = np.zeros(1, dtype=np.int64)
        self._every = 1

    @property
    def dt_(self) -> float:
        """How often it runs, in seconds."""
        return self._dt if self._dt is not None else defaultclock.dt_

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function directly (as the decorated name still allows)."""
        return self.function(*args, **kwargs)

    # -- the network's protocol ---------------------------------------------------------
    def resolve(self, run_namespace: Any, caller_ns: Any) -> dict[str, Any]:
        return {}

    def operations(self, externals: Mapping[str, Any], base_dt: float) -> list[Operation]:
        from .neuron_code import _every

        self._every = _every(self.dt_, base_dt, self.name)
        builder = FunctionBuilder(f"{self.code_id}_{self.slug}")
        builder.parameter("_next", f"{self.code_id}__next")
        builder.add("pass")
        # the kernel may run up to (not including) the boundary of the next call
        room = f"{self.code_id}__next[0] - _step"
        return [builder.operation("start", self.creation_index, self.code_id, 1, (room,))]

    def argument_values(self, externals: Mapping[str, Any], base_dt: float) -> dict[str, Any]:
        return {f"{self.code_id}__next": self._next}

    def start_run(self, step: int) -> None:
        """Schedule the first call of a run that starts at boundary ``step``."""
        every = self._every
        if self.when == "start":  # before steps k with k % every == 0
            self._next[0] = -(-step // every) * every
        else:  # after steps k with k % every == 0, i.e. at boundaries k + 1
            self._next[0] = -(-(step - 1) // every) * every + 1
            if self._next[0] <= step:
                self._next[0] += every

    def between_steps(self, boundary: int, stop: int, base_dt: float) -> None:
        """Call the function if it is due at ``boundary`` (between two steps)."""
        while self._next[0] == boundary:
            step = boundary if self.when == "start" else boundary - 1
            if self.when == "start" and boundary >= stop:
                return  # the step at this time belongs to the next run
            # the time on the operation's own clock, as Brian computes it
            t = (step // self._every) * self.dt_ if self._dt is not None else step * base_dt
            self._next[0] += self._every
            defaultclock._t = step * base_dt  # defaultclock.t reads the step's time
            _CALLING[:] = [self.when]
            try:
                if self._takes_time:
                    self.function(t * registry.second)
                else:
                    self.function()
            finally:
                _CALLING.clear()
            if _stop_requested():
                return

    def snapshot(self) -> dict[str, Any]:
        return {}

    def restore(self, state: Mapping[str, Any]) -> None:
        pass

    def __repr__(self) -> str:
        every = "every step" if self._dt is None else f"every {self._dt * 1e3:g} ms"
        return f"<NetworkOperation {self.name!r} ({every}, when={self.when!r})>"


_CALLING: list[str] = []


def current_operation_slot() -> str:
    """The slot (``'start'``/``'end'``) of the network operation being called, or
    ``'start'`` outside one."""
    return _CALLING[0] if _CALLING else "start"


def _stop_requested() -> bool:
    from .network import _STOP_REQUESTS

    return bool(_STOP_REQUESTS)


def _takes_time(function: Callable[..., Any]) -> bool:
    try:
        parameters = [p for p in inspect.signature(function).parameters.values()
                      if p.default is inspect.Parameter.empty
                      and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    if len(parameters) > 1:
        raise JnsimError(f"a network operation is called with t or with nothing, but "
                         f"{getattr(function, '__name__', function)} needs "
                         f"{len(parameters)} arguments")
    return len(parameters) == 1


def network_operation(*args: Any, **kwargs: Any) -> Any:
    """Brian's decorator: ``@network_operation`` or ``@network_operation(dt=1*ms)``.

    The decorated name becomes a :class:`NetworkOperation`, which ``run()`` finds
    like the groups (or give it to a :class:`~jnsim.Network`).
    """
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return NetworkOperation(args[0])
    if args:
        raise JnsimError("network_operation takes its options by name",
                         hint="write @network_operation(dt=1*ms)")

    def decorate(function: Callable[..., Any]) -> NetworkOperation:
        return NetworkOperation(function, **kwargs)

    return decorate
