"""Brian's code-generation settings, accepted so that Brian scripts run unchanged.

Brian scripts choose how Brian runs them: ``prefs.codegen.target = 'numpy'``,
``set_device('cpp_standalone')``, ``device.build()``. jnsim has one way to run a model
(a compiled Numba kernel, executed at ``run()``), so these settings change nothing. They
are accepted, and the first use of each tells the user so once, with a warning, rather
than failing with a ``NameError`` or being silently ignored.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

from .errors import JnsimError

__all__ = ["BrianSettingIgnored", "device", "get_device", "prefs", "reinit_devices",
           "reset_device", "set_device"]


class BrianSettingIgnored(UserWarning):
    """A Brian setting that has no effect in jnsim."""


_told: set[str] = set()


def _tell(setting: str, why: str) -> None:
    if setting in _told:
        return
    _told.add(setting)
    # point the warning at the user's line, outside this module
    level, frame = 1, sys._getframe(0)
    while frame is not None and frame.f_code.co_filename == __file__:
        level, frame = level + 1, frame.f_back
    warnings.warn(f"{setting} has no effect in jnsim: {why}", BrianSettingIgnored,
                  stacklevel=level)


_WHY = "jnsim always compiles the model into one Numba kernel, run at run()"


class _Preferences:
    """``prefs``: any ``prefs.a.b = value`` or ``prefs['a.b'] = value`` is accepted."""

    def __init__(self, path: str = "prefs") -> None:
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_values", {})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        values = object.__getattribute__(self, "_values")
        if name not in values:
            values[name] = _Preferences(f"{self._path}.{name}")
        return values[name]

    def __setattr__(self, name: str, value: Any) -> None:
        _tell(f"{self._path}.{name}", _WHY)
        self._values[name] = value

    def __getitem__(self, key: str) -> Any:
        node: Any = self
        for part in key.split("."):
            node = getattr(node, part)
        return node

    def __setitem__(self, key: str, value: Any) -> None:
        *parents, last = key.split(".")
        node: Any = self
        for part in parents:
            node = getattr(node, part)
        setattr(node, last, value)

    def __repr__(self) -> str:
        return f"<{self._path}: Brian settings, accepted and without effect in jnsim>"


class _Device:
    """``device``: ``build()``, ``reinit()`` and ``activate()`` do nothing (every
    ``run()`` has already run); ``run(run_args=...)`` runs the model again from t = 0."""

    name = "jnsim"

    def build(self, *args: Any, **kwargs: Any) -> None:
        _tell("device.build()", "run() has already run the model")

    def run(self, directory: Any = None, with_output: bool = True,
            run_args: Any = None, **kwargs: Any) -> None:
        """Brian's standalone ``device.run(run_args={G.v: values})``: the runs so far
        once more from t = 0, with the given values set first.

        jnsim ran every ``run()`` at once; this restores the state the model had at
        t = 0 (after its initial values were set), sets each ``run_args`` variable
        (keys ``G.v`` or ``(G, 'v')``), and runs the same durations again. Monitors
        then hold the new run, as after Brian's rerun of the built program.

        Raises
        ------
        JnsimError
            If nothing has run yet, or a key does not name a variable.
        """
        from .namespace import caller_namespace
        from .network import get_magic_network
        from .protocol import runs_of
        from .units import registry

        net = get_magic_network()
        durations = [r.requested for r in runs_of(net._runnable())] if net.objects else []
        if not durations:
            raise JnsimError("device.run(): nothing has run yet",
                             hint="call run(duration) first; device.run() runs it again")
        targets = [_run_arg_target(key) for key in (run_args or {})]
        net.store_initial(_DEVICE_RUN)
        net.restore(_DEVICE_RUN)
        for (owner, variable), value in zip(targets, (run_args or {}).values(), strict=True):
            setattr(owner, variable, value)
        caller = caller_namespace()
        for duration in durations:
            net.run(duration * registry.second, caller_ns=caller)

    def reinit(self) -> None:
        """Nothing to reset: objects belong to the session until ``start_scope()``."""

    def activate(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to activate."""

    def __repr__(self) -> str:
        return "<jnsim device: compiled Numba kernels>"


#: The name under which ``device.run()`` stores the state at t = 0.
_DEVICE_RUN = "jnsim-device-run"


def _run_arg_target(key: Any) -> tuple[Any, str]:
    """The object and variable a ``run_args`` key names (``G.v`` or ``(G, 'v')``)."""
    target = getattr(key, "variable_target", None)
    if target is not None:
        return target
    if isinstance(key, tuple) and len(key) == 2 and isinstance(key[1], str):
        return key[0], key[1]
    raise JnsimError(f"device.run(run_args=...): {key!r} does not name a variable",
                     hint="give keys such as G.v or (G, 'v')")


prefs = _Preferences()
device = _Device()


def set_device(name: Any, *args: Any, **kwargs: Any) -> None:
    """Accept Brian's ``set_device(...)``; jnsim runs every model the same way."""
    _tell(f"set_device({name!r})", _WHY)


def get_device() -> _Device:
    """The device (there is one)."""
    return device


def reset_device(device: Any = None) -> None:
    """Accept Brian's ``reset_device()`` (back to the previous device): nothing to do."""


def reinit_devices() -> None:
    """Accept Brian's ``reinit_devices()``: jnsim keeps no build state between runs."""


class _UnsupportedFeature:
    """A Brian name for a feature jnsim does not offer: using it raises a
    :class:`~jnsim.errors.JnsimError` that names the feature at once."""

    def __init__(self, name: str, why: str, hint: str) -> None:
        self.__name__ = self.__qualname__ = name
        self._why, self._hint = why, hint

    def _refuse(self) -> Any:
        from .errors import JnsimError

        raise JnsimError(f"{self.__name__} is not supported: {self._why}", hint=self._hint)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._refuse()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._refuse()

    def __repr__(self) -> str:
        return f"<{self.__name__}: not supported by jnsim>"


MULTI_COMPARTMENT_NAMES = ("SpatialNeuron", "Morphology", "Soma", "Cylinder", "Section")
_MULTI_COMPARTMENT = ("jnsim simulates point neurons, not multi-compartment models "
                      "(SpatialNeuron, Morphology and its sections)",
                      "model each compartment as a NeuronGroup variable, or run this "
                      "script with Brian 2")
_USER_FUNCTIONS = ("equations in jnsim call the default functions and TimedArrays, not "
                   "Python functions",
                   "write the function in the equations (a subexpression), or tabulate it "
                   "with a TimedArray")
UNSUPPORTED = {
    **{name: _MULTI_COMPARTMENT for name in MULTI_COMPARTMENT_NAMES},
    "Function": _USER_FUNCTIONS,
    "implementation": _USER_FUNCTIONS,
    "BinomialFunction": ("binomially distributed random numbers in equations are not "
                         "available yet", "draw them with a PoissonInput or "
                         "rand() comparisons, or run this script with Brian 2"),
}
for _name, (_why, _hint) in UNSUPPORTED.items():
    globals()[_name] = _UnsupportedFeature(_name, _why, _hint)
__all__ += list(UNSUPPORTED)


class _BrianLogger:
    """``BrianLogger``: Brian's logging settings, accepted (jnsim uses Python's
    ``logging`` and warnings)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)

        def accept(*args: Any, **kwargs: Any) -> None:
            _tell(f"BrianLogger.{name}()", "jnsim reports through warnings and exceptions")

        return accept

    def __repr__(self) -> str:
        return "<BrianLogger: accepted, without effect in jnsim>"


BrianLogger = _BrianLogger()
__all__ += ["BrianLogger"]
