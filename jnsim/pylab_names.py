"""The names ``from brian2 import *`` takes from pylab, given by ``from jnsim import *``.

Brian 2's star import begins with ``from pylab import *`` (NumPy with ``numpy.fft``,
``numpy.linalg`` and ``numpy.random``, and matplotlib's ``pyplot``), so Brian's example
scripts call ``plot``, ``figure``, ``xlabel``, ``show``, ``randn(10)``, ``fft`` ... without
importing anything else. jnsim gives the same names:

* NumPy's ``fft``, ``linalg`` and ``random`` names (``rand``, ``randn``, ``normal``,
  ``inv``, ...) always, as Brian does without matplotlib;
* matplotlib's names only where matplotlib is installed, and without importing it:
  importing ``matplotlib.pyplot`` takes 0.3-0.5 s, more than half of ``import jnsim``.
  Each name stands for its pylab object until first used: functions and classes are
  small functions that load pylab when called, modules and values (``plt``, ``cm``,
  ``rcParams``) proxies that load it on first attribute access. The list of names is
  read from pylab once per matplotlib installation and kept in jnsim's cache directory.

jnsim's own names win over pylab's (``seed``, ``rand`` in equations, units), as Brian's
win over pylab's in Brian, and NumPy's versions of Python builtins (``max``, ``round``,
``abs``...) are left out, as for NumPy's own names.
"""

from __future__ import annotations

import builtins
import hashlib
import importlib
import importlib.util
import json
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy

_NUMPY_SUBMODULES = ("numpy.fft", "numpy.linalg", "numpy.random")
# Modules pylab's namespace holds that are cheap to import (the standard library's and
# NumPy's); matplotlib's own modules stay proxies.
_EAGER_MODULE_PREFIXES = ("numpy", "datetime", "sys", "time", "logging", "functools",
                          "importlib", "inspect", "threading")


def numpy_submodule_names(taken: Iterable[str]) -> dict[str, Any]:
    """The public names of ``numpy.fft``, ``numpy.linalg`` and ``numpy.random``, and the
    module ``datetime``, less the names in ``taken`` and Python's builtins.

    (``numpy.ma`` is one of NumPy's own names, which jnsim gives already.)"""
    taken = set(taken)
    names: dict[str, Any] = {}
    for module_name in _NUMPY_SUBMODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            if _free(name, taken) and name not in names:
                names[name] = getattr(module, name)
    import datetime

    if _free("datetime", taken):
        names["datetime"] = datetime
    return names


def _free(name: str, taken: set[str]) -> bool:
    return not name.startswith("_") and name not in taken and not hasattr(builtins, name)


def _matplotlib_dir() -> Path | None:
    """matplotlib's package folder, found without importing it (None when absent)."""
    try:
        spec = importlib.util.find_spec("matplotlib")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _pylab() -> types.ModuleType:
    return importlib.import_module("matplotlib.pylab")


def _kind(value: Any) -> str:
    if isinstance(value, types.ModuleType):
        if value.__name__.startswith(_EAGER_MODULE_PREFIXES):
            return "module:" + value.__name__
        return "lazy-module"
    if callable(value):
        return "callable"
    return "value"


def _read_names_from_pylab() -> dict[str, str]:
    namespace: dict[str, Any] = {}
    exec("from matplotlib.pylab import *", namespace)
    return {name: _kind(value) for name, value in namespace.items()
            if not name.startswith("_")}


def _cached_pylab_names(matplotlib_dir: Path) -> dict[str, str]:
    """pylab's names and their kinds, read once per matplotlib installation."""
    from .compiler import cache_dir

    pyplot = matplotlib_dir / "pyplot.py"
    try:
        stat = pyplot.stat()
    except OSError:
        return {}
    key = hashlib.sha256(
        f"{pyplot}:{stat.st_mtime_ns}:{stat.st_size}:{numpy.__version__}".encode()
    ).hexdigest()[:16]
    path = cache_dir() / f"pylab-names-{key}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    names = _read_names_from_pylab()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{id(names)}.tmp")
        temporary.write_text(json.dumps(names, sort_keys=True))
        temporary.replace(path)
    except OSError:  # a read-only cache: the names are read again next time
        pass
    return names


def _lazy_callable(name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(_pylab(), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__module__ = "matplotlib.pylab"
    call.__doc__ = f"matplotlib's ``pylab.{name}`` (matplotlib is imported on first use)."
    return call


class _LazyModule(types.ModuleType):
    """A matplotlib module of pylab's namespace (``plt``, ``cm``), imported on first use."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._jnsim_pylab_name = name

    def _target(self) -> Any:
        return getattr(_pylab(), self._jnsim_pylab_name)

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__") and attribute.endswith("__"):
            raise AttributeError(attribute)
        return getattr(self._target(), attribute)

    def __repr__(self) -> str:
        return f"<pylab's {self._jnsim_pylab_name!r} (matplotlib is imported on first use)>"


class _LazyValue:
    """A value of pylab's namespace (``rcParams``), loaded on first use."""

    __slots__ = ("_jnsim_pylab_name",)

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_jnsim_pylab_name", name)

    def _target(self) -> Any:
        return getattr(_pylab(), object.__getattribute__(self, "_jnsim_pylab_name"))

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._target(), attribute)

    def __setattr__(self, attribute: str, value: Any) -> None:
        setattr(self._target(), attribute, value)

    def __getitem__(self, key: Any) -> Any:
        return self._target()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._target()[key] = value

    def __contains__(self, key: Any) -> bool:
        return key in self._target()

    def __iter__(self) -> Any:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._target()(*args, **kwargs)

    def __bool__(self) -> bool:
        return bool(self._target())

    def __eq__(self, other: object) -> bool:
        return self._target() == other

    def __hash__(self) -> int:
        return hash(self._target())

    def __repr__(self) -> str:
        return repr(self._target())


def matplotlib_names(taken: Iterable[str]) -> dict[str, Any]:
    """Stand-ins for pylab's matplotlib names not in ``taken``; empty without matplotlib."""
    matplotlib_dir = _matplotlib_dir()
    if matplotlib_dir is None:
        return {}
    taken = set(taken)
    names: dict[str, Any] = {}
    for name, kind in _cached_pylab_names(matplotlib_dir).items():
        if not _free(name, taken):
            continue
        if kind.startswith("module:"):
            try:
                names[name] = importlib.import_module(kind.removeprefix("module:"))
            except ImportError:
                continue
        elif kind == "lazy-module":
            names[name] = _LazyModule(name)
        elif kind == "callable":
            names[name] = _lazy_callable(name)
        else:
            names[name] = _LazyValue(name)
    return names
