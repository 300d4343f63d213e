"""Resolving the external names of a model: constants, quantities and functions.

External names are looked up, in this order of precedence, in

1. the object's explicit ``namespace=`` (then nothing else of the user's is searched),
2. otherwise the ``namespace=`` given to ``run()``,
3. otherwise the namespace of the code that called jnsim: the caller's locals and
   globals, or the IPython user namespace when called from a cell magic;

and finally among jnsim's defaults (units, default functions, ``pi``, ``e``, ``inf``).
"""

from __future__ import annotations

import inspect
import numbers
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .errors import NamespaceError, SourceSpan
from .functions import DEFAULT_CONSTANTS, DEFAULT_FUNCTIONS, FunctionSpec
from .units import DIMENSIONLESS, UNITS, Dimensions, dimensions_of, registry, to_si, unit_words

__all__ = [
    "ExternalConstant",
    "ExternalFunction",
    "FunctionInfo",
    "caller_namespace",
    "describe_value",
    "resolve_external",
    "user_variable_name",
    "without_output_history",
]


@dataclass(frozen=True)
class FunctionInfo:
    """How a user-provided function (e.g. a ``TimedArray``) treats units.

    Attributes
    ----------
    arg_dims
        The dimensions of each argument.
    result_dims
        The dimensions of the result.
    result_dtype
        ``'float'``, ``'integer'`` or ``'boolean'``.
    stateful
        True if the function draws random numbers.
    """

    arg_dims: tuple[Dimensions, ...]
    result_dims: Dimensions
    result_dtype: str = "float"
    stateful: bool = False


@runtime_checkable
class ProvidesFunction(Protocol):
    """An object usable as a function in equations (``TimedArray`` and the like)."""

    def jnsim_function_info(self) -> FunctionInfo:
        """Describe the function's units."""


@dataclass(frozen=True)
class ExternalConstant:
    """An external name that resolved to a number.

    Attributes
    ----------
    name
        The name in the equations.
    value
        The value in SI base units.
    dims
        Its dimensions.
    dtype
        ``'float'``, ``'integer'`` or ``'boolean'``.
    origin
        Where it was found (``'namespace'``, ``'run namespace'``, ``'caller'``,
        ``'units'``, ``'constants'``).
    """

    name: str
    value: float | int | bool
    dims: Dimensions
    dtype: str = "float"
    origin: str = "namespace"

    def __repr__(self) -> str:
        unit = "" if not self.dims else f" {unit_words(self.dims)}"
        return f"ExternalConstant({self.name} = {self.value!r}{unit}, from {self.origin})"


@dataclass(frozen=True)
class ExternalFunction:
    """An external name that resolved to a function.

    Attributes
    ----------
    name
        The name in the equations.
    info
        Its units and result type.
    implementation
        The object providing it (``None`` for default functions).
    spec
        The default function's description, if it is one.
    """

    name: str
    info: FunctionInfo
    implementation: Any = field(default=None, compare=False)
    spec: FunctionSpec | None = None


#: Names that :func:`caller_namespace` falls back on (see :func:`fallback_names`).
_FALLBACK_NAMES: ContextVar[Mapping[str, Any] | None] = ContextVar("jnsim_fallback_names",
                                                                   default=None)


@contextmanager
def fallback_names(names: Mapping[str, Any]) -> Iterator[None]:
    """Within the block, :func:`caller_namespace` also holds ``names`` (below its own).

    A sweep's worker builds the user's network where no user frame is on the
    stack; this gives ``build`` the names of the namespace the sweep was started
    from (``G.v = 'Vr + rand()*(Vt - Vr)'`` finds ``Vr``).
    """
    token = _FALLBACK_NAMES.set(names)
    try:
        yield
    finally:
        _FALLBACK_NAMES.reset(token)


def caller_namespace(skip_modules: tuple[str, ...] = ("jnsim",)) -> dict[str, Any]:
    """The namespace of the user code that called into jnsim.

    Walks up the call stack past frames of jnsim itself; if the first outside
    frame belongs to IPython's machinery (a cell magic), the IPython user
    namespace is returned instead. IPython's output history (``_``, ``__``,
    ``___``, ``_5``, ``Out``, ``_oh``) is left out: an object only shown in an
    earlier cell (an old group, a monitor of it) is not part of the user's model.
    Within :func:`fallback_names`, its names fill in what the frame lacks.
    """
    found = _frame_namespace(skip_modules)
    fallback = _FALLBACK_NAMES.get()
    return found if fallback is None else {**fallback, **found}


def _frame_namespace(skip_modules: tuple[str, ...]) -> dict[str, Any]:
    frame: FrameType | None = inspect.currentframe()
    try:
        while frame is not None:
            module = frame.f_globals.get("__name__", "")
            if not _is_inside(module, skip_modules):
                break
            frame = frame.f_back
        if frame is None:
            return {}
        module = frame.f_globals.get("__name__", "")
        shell = _ipython_shell()
        if _is_inside(module, ("IPython", "ipykernel", "traitlets")):
            return without_output_history(shell.user_ns, shell) if shell is not None else {}
        namespace = dict(frame.f_globals)
        namespace.update(frame.f_locals)
        if shell is not None and frame.f_globals is getattr(shell, "user_ns", None):
            return without_output_history(namespace, shell)
        return namespace
    finally:
        del frame


_OUTPUT_HISTORY_NAME = re.compile(r"_{1,3}|_\d+|_oh|Out")


def without_output_history(namespace: Mapping[str, Any], shell: Any) -> dict[str, Any]:
    """``namespace`` without the names through which IPython keeps earlier outputs.

    A name is left out when it is one IPython uses for its output history
    (``_``, ``__``, ``___``, ``_<n>``, ``_oh``, ``Out``) and its value is an output
    IPython keeps there; a user's own ``_ = ...`` stays.
    """
    user_ns = getattr(shell, "user_ns", {})
    history = user_ns.get("_oh")
    kept = {id(history)} if isinstance(history, Mapping) else set()
    kept |= {id(value) for value in history.values()} if isinstance(history, Mapping) else set()
    hook = getattr(shell, "displayhook", None)
    kept |= {id(getattr(hook, name)) for name in ("_", "__", "___") if hasattr(hook, name)}
    return {name: value for name, value in namespace.items()
            if not (_OUTPUT_HISTORY_NAME.fullmatch(name) and id(value) in kept)}


def user_variable_name(obj: Any, fallback: str) -> str:
    """The name of a variable of the user's code that refers to ``obj`` (for hints
    such as ``G.v = 5*mV``), or ``fallback`` if there is none."""
    try:
        namespace = caller_namespace()
    except Exception:  # pragma: no cover - stack inspection is best effort
        return fallback
    names = sorted(n for n, value in namespace.items() if value is obj and n.isidentifier()
                   and not n.startswith("_"))
    return names[0] if names else fallback


def _is_inside(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _ipython_shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return get_ipython()


def describe_value(value: Any) -> str:
    """A short description of a value for error messages."""
    if isinstance(value, np.ndarray | list | tuple):
        return f"an array of shape {np.shape(value)}"
    return f"a {type(value).__name__}"


def _scalar_dtype(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "boolean"
    if isinstance(value, numbers.Integral):
        return "integer"
    return "float"


def resolve_external(
    name: str,
    user_namespace: Mapping[str, Any] | None,
    origin: str,
    as_function: bool,
    span: SourceSpan | None = None,
) -> ExternalConstant | ExternalFunction | None:
    """Resolve one external name.

    Parameters
    ----------
    name
        The name as used in the equations.
    user_namespace
        The user's namespace to search (explicit, run or caller's), or ``None``.
    origin
        Words for where ``user_namespace`` came from, used in reports and errors.
    as_function
        True when the name is called (``f(x)``): default functions then take
        precedence over the user namespace.
    span
        Where the name is used, for errors.

    Returns
    -------
    ExternalConstant, ExternalFunction or None
        ``None`` if the name is found nowhere.

    Raises
    ------
    NamespaceError
        When the name is found but its value cannot be used in equations.
    """
    if as_function and name in DEFAULT_FUNCTIONS:
        spec = DEFAULT_FUNCTIONS[name]
        return ExternalFunction(name, _default_function_info(spec), None, spec)
    if user_namespace is not None and name in user_namespace:
        return _from_value(name, user_namespace[name], origin, as_function, span)
    if name in UNITS:
        return _from_value(name, UNITS[name], "units", as_function, span)
    if name in DEFAULT_CONSTANTS:
        value = DEFAULT_CONSTANTS[name]
        return ExternalConstant(name, value, DIMENSIONLESS, _scalar_dtype(value), "constants")
    if name in DEFAULT_FUNCTIONS:
        raise NamespaceError(f"'{name}' is a function and must be called", span,
                             f"write '{DEFAULT_FUNCTIONS[name].signature}'")
    return None


def _default_function_info(spec: FunctionSpec) -> FunctionInfo:
    return FunctionInfo((), DIMENSIONLESS, spec.returns, spec.stateful)


def _from_value(name: str, value: Any, origin: str, as_function: bool,
                span: SourceSpan | None) -> ExternalConstant | ExternalFunction:
    if isinstance(value, ProvidesFunction):
        info = value.jnsim_function_info()
        if not as_function:
            raise NamespaceError(f"'{name}' is a function and must be called", span,
                                 f"write '{name}(...)'")
        return ExternalFunction(name, info, value)
    if as_function:
        hint = ("equations can call the default functions (exp, log, sqrt, clip, ...) and "
                "jnsim function objects such as TimedArray")
        if callable(value):
            raise NamespaceError(f"'{name}' is a Python function, which equations cannot call",
                                 span, hint)
        raise NamespaceError(f"'{name}' is {describe_value(value)} and cannot be called",
                             span, hint)
    if isinstance(value, registry.Unit):
        value = registry.Quantity(1.0, value)
    if isinstance(value, registry.Quantity):
        magnitude = value.magnitude
        if np.ndim(magnitude) != 0:
            raise _not_scalar(name, value, span)
        si_value = to_si(value)
        dims = dimensions_of(value)
        dtype = _scalar_dtype(magnitude) if not dims else "float"
        return ExternalConstant(name, float(si_value) if dims else _plain(si_value), dims,
                                dtype, origin)
    if isinstance(value, bool | np.bool_ | numbers.Real):
        return ExternalConstant(name, _plain(value), DIMENSIONLESS, _scalar_dtype(value), origin)
    if isinstance(value, np.ndarray | list | tuple):
        raise _not_scalar(name, value, span)
    raise NamespaceError(
        f"'{name}' refers to {describe_value(value)}, which cannot be used in equations", span,
        "external names must be numbers or quantities (e.g. tau = 10*ms)")


def _plain(value: Any) -> float | int | bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    return float(value)


def _not_scalar(name: str, value: Any, span: SourceSpan | None) -> NamespaceError:
    return NamespaceError(
        f"'{name}' is {describe_value(getattr(value, 'magnitude', value))}, but external "
        "values must be single numbers", span,
        "for a value per neuron, declare a parameter (e.g. 'tau : second') and set it on the "
        "group; for a value that changes in time, use a TimedArray")
