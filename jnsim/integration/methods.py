"""Choosing an integration method and checking that it applies.

======================  ===============================================  =======================
method                  accepts                                          order
======================  ===============================================  =======================
``exact`` (``linear``)  ``dx/dt = A x + b`` with ``A``, ``b`` free of    exact
                        state variables and ``t``; no noise
``exponential_euler``   each ``dx/dt = a x + b`` with ``a``, ``b`` free  1
                        of ``x`` (Hodgkin-Huxley gating); no noise
``euler``               any drift; additive noise (Euler-Maruyama)       1
``rk2`` (``midpoint``)  any drift; no noise                              2
``rk4``                 any drift; no noise                              4
``heun``                anything; noise read as Stratonovich             2 without noise,
                                                                         1 strong (scalar noise)
``milstein``            anything where no noise coefficient depends on   1 strong
                        a variable driven by another noise source (e.g.
                        diagonal noise); noise read as Itô; forward
                        Euler without noise
======================  ===============================================  =======================

Additive noise has coefficients free of state variables; there Itô and
Stratonovich agree.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..errors import MethodError
from .linear import exact_solution, split_conditionally_linear
from .schemes import BUILDERS
from .system import ODESystem, StateUpdate, symbol

__all__ = ["METHODS", "can_integrate", "check_method_options", "default_method", "integrate"]

#: Canonical method names, in the order they are documented.
METHODS: tuple[str, ...] = (
    "exact",
    "exponential_euler",
    "euler",
    "rk2",
    "rk4",
    "heun",
    "milstein",
)

_ALIASES = {"linear": "exact", "midpoint": "rk2"}


@dataclass(frozen=True)
class _Problem:
    """Why a method cannot integrate a system; ``what`` completes "cannot integrate ..."."""

    what: str
    hint_prefix: str = ""


def canonical_name(method: str) -> str:
    """The canonical name of ``method`` (resolving aliases).

    Raises
    ------
    MethodError
        If ``method`` is not a known method name.
    """
    if not isinstance(method, str):
        raise MethodError(
            f"an integration method is given by name, not as {type(method).__name__}",
            hint=f"use one of {_known_names()}",
        )
    if method in METHODS:
        return method
    if method in _ALIASES:
        return _ALIASES[method]
    if method.lower().startswith("gsl"):
        raise MethodError(
            f"the GSL method {method!r} is not supported: Brian's GSL integrators need the "
            "GNU Scientific Library and its compiled code",
            hint="use 'rk4' or 'heun' (with a smaller dt where accuracy matters)")
    candidates = [*METHODS, *_ALIASES]
    close = difflib.get_close_matches(method.lower(), candidates, n=1, cutoff=0.5)
    suggestion = f"did you mean {close[0]!r}? " if close else ""
    raise MethodError(
        f"unknown integration method {method!r}",
        hint=f"{suggestion}known methods: {_known_names()}",
    )


def _known_names() -> str:
    aliases = {target: alias for alias, target in _ALIASES.items()}
    return ", ".join(
        f"'{name}' (or '{aliases[name]}')" if name in aliases else f"'{name}'" for name in METHODS
    )


# --- what each method accepts ----------------------------------------------------------


def _stochastic(system: ODESystem) -> _Problem | None:
    return _Problem("stochastic equations") if system.is_stochastic else None


def _multiplicative(system: ODESystem) -> _Problem | None:
    states = set(system.symbols)
    for var in system.variables:
        for noise, g in system.diffusion[var].items():
            depends = sorted(str(s) for s in g.free_symbols & states)
            if depends:
                return _Problem(
                    f"multiplicative noise: the coefficient of {noise} in d{var}/dt "
                    f"depends on {', '.join(depends)}"
                )
    return None


def _check_exact(system: ODESystem) -> _Problem | None:
    if system.is_stochastic:
        return _stochastic(system)
    new, reason = exact_solution(system)
    if new is None:
        return _Problem(
            f"these equations: {reason}",
            "'exact' needs dx/dt = A*x + b with A and b free of state variables and t",
        )
    return None


def _check_exponential_euler(system: ODESystem) -> _Problem | None:
    if system.is_stochastic:
        return _stochastic(system)
    for var in system.variables:
        if split_conditionally_linear(system.drift[var], symbol(var)) is None:
            return _Problem(
                f"these equations: d{var}/dt is not linear in {var}",
                "'exponential_euler' needs every dx/dt to be a*x + b, where x may appear "
                "in a and b only inside functions such as exp(x)",
            )
    return None


def _check_milstein(system: ODESystem) -> _Problem | None:
    """Refuse noise coefficients that depend on a variable another noise source drives.

    Then every cross term ``sum_j g_k[j] d(g_l)/dx_j`` (``k != l``) of the Milstein
    expansion vanishes and only the diagonal double integrals are needed.  This
    covers diagonal noise and additive noise; it is stricter than commutativity.
    """
    for k in system.noise_names:
        driven = {symbol(v) for v in system.variables if k in system.diffusion[v]}
        for var in system.variables:
            for other, g in system.diffusion[var].items():
                shared = sorted(str(s) for s in g.free_symbols & driven)
                if other != k and shared:
                    return _Problem(
                        f"interacting noise sources: {k} drives {', '.join(shared)}, on which "
                        f"the coefficient of {other} in d{var}/dt depends",
                        "'milstein' needs each noise coefficient to depend only on variables "
                        "that no other noise source drives (e.g. diagonal noise)",
                    )
    return None


_CHECKS: dict[str, Callable[[ODESystem], _Problem | None]] = {
    "exact": _check_exact,
    "exponential_euler": _check_exponential_euler,
    "euler": _multiplicative,
    "rk2": _stochastic,
    "rk4": _stochastic,
    "heun": lambda system: None,
    "milstein": _check_milstein,
}


def _problem(name: str, system: ODESystem) -> _Problem | None:
    return _CHECKS[name](system)


def _message(given: str, problem: _Problem) -> str:
    return f"method '{given}' cannot integrate {problem.what}"


def _alternatives(system: ODESystem, exclude: Sequence[str] = ()) -> str:
    """'use ...' naming the methods that can integrate ``system``."""
    usable = [m for m in METHODS if m not in exclude and _problem(m, system) is None]
    if not system.is_stochastic:
        usable = [m for m in usable if m != "milstein"]  # it is forward Euler then
    notes = {}
    if system.has_multiplicative_noise:
        notes = {"heun": " (Stratonovich)", "milstein": " (Itô)"}
    elif system.is_stochastic:
        notes = {"euler": " (additive noise)"}
    named = [f"'{m}'{notes.get(m, '')}" for m in usable]
    if len(named) > 1:
        return f"use {', '.join(named[:-1])} or {named[-1]}"
    return f"use {named[0]}" if named else ""


def _hint(system: ODESystem, name: str, problem: _Problem) -> str:
    parts = [problem.hint_prefix, _alternatives(system, exclude=(name,))]
    return "; ".join(p for p in parts if p)


# --- public API -------------------------------------------------------------------------


def can_integrate(method: str, system: ODESystem) -> tuple[bool, str]:
    """Whether ``method`` can integrate ``system``.

    Parameters
    ----------
    method
        A method name or alias (see :data:`METHODS`).
    system
        The equations.

    Returns
    -------
    ok, reason
        ``(True, "")``, or ``(False, message)`` with a message such as
        ``"method 'rk4' cannot integrate stochastic equations"``.

    Raises
    ------
    MethodError
        If ``method`` is not a known method name.
    """
    problem = _problem(canonical_name(method), system)
    return (True, "") if problem is None else (False, _message(method, problem))


def default_method(system: ODESystem) -> str:
    """The method chosen when none is given, as Brian 2 chooses it.

    ``exact`` for linear deterministic systems, else ``euler`` when the
    system has no noise or only additive noise, else ``heun``.
    """
    for name in ("exact", "euler"):
        if _problem(name, system) is None:
            return name
    return "heun"


def integrate(system: ODESystem, method: str | Sequence[str] | None = None) -> StateUpdate:
    """Turn ``system`` into the statements of one time step.

    Parameters
    ----------
    system
        The equations.
    method
        A method name or alias, a list of names (the first one that can
        integrate the system is used), or ``None`` for :func:`default_method`.

    Returns
    -------
    StateUpdate
        The statements, ending with the assignments of the state variables.

    Raises
    ------
    MethodError
        If a name is unknown, or no given method can integrate the system.

    Examples
    --------
    >>> import sympy
    >>> v, El, tau = sympy.symbols("v El tau", real=True)
    >>> print(integrate(ODESystem(("v",), {"v": (El - v) / tau}), "euler"))
    v = dt*(El - v)/tau + v
    """
    if method is None:
        name = default_method(system)
    elif isinstance(method, list | tuple):
        name = _first_usable(system, method)
    else:
        name = canonical_name(method)
        problem = _problem(name, system)
        if problem is not None:
            raise MethodError(_message(method, problem), hint=_hint(system, name, problem))
    return BUILDERS[name](system)


def _first_usable(system: ODESystem, methods: Sequence[str]) -> str:
    given = list(methods)
    if not given:
        raise MethodError("no integration method given", hint=f"known methods: {_known_names()}")
    names = [canonical_name(m) for m in given]
    problems = []
    for original, name in zip(given, names, strict=True):
        problem = _problem(name, system)
        if problem is None:
            return name
        problems.append(f"'{original}' cannot integrate {problem.what}")
    listed = ", ".join(f"'{m}'" for m in given)
    message = f"none of the methods {listed} can integrate these equations: " + "; ".join(problems)
    raise MethodError(message, hint=_alternatives(system, exclude=names))


def check_method_options(options: Mapping[str, object] | None) -> None:
    """Brian's ``method_options=``: accepted when empty; jnsim's methods take none."""
    if options:
        raise MethodError(
            f"method_options are not supported (got {sorted(options)!r}): jnsim's "
            "integration methods have no options",
            hint="leave method_options out; choose the method with method=")
