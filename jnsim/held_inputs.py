"""Inputs that hold their value during a time step, for the integration methods.

A ``TimedArray`` whose ``dt`` is a whole multiple of a group's time step changes value
only between steps. Inside one step, ``stim(t, i)`` is then a constant, so an equation
like ``dv/dt = (stim(t, i) - v)/tau`` is linear with constant coefficients over the
step and the ``exact`` method applies, as in Brian. Integration sees each such call as
a symbol (``_held_0``); the statements it produces get the call back, evaluated at the
start of the step.

The condition is checked when the group is created (to choose the method) and again
at every run, where the time step or the ``TimedArray`` may have changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import sympy
from sympy.core.function import AppliedUndef

from .errors import JnsimError
from .integration import integrate
from .integration.system import ODESystem, StateUpdate
from .namespace import ExternalFunction
from .sympy_conversion import symbol

__all__ = ["check_held", "held_functions", "integrate_holding"]


def _holds(external: Any, dt: float) -> bool:
    """Whether ``external`` is a TimedArray that changes only every whole ``dt``."""
    implementation = getattr(external, "implementation", None)
    step = getattr(implementation, "dt_", None)
    if not isinstance(external, ExternalFunction) or step is None or dt <= 0:
        return False
    ratio = step / dt
    return round(ratio) >= 1 and abs(ratio - round(ratio)) <= 1e-6 * ratio


def held_functions(externals: Mapping[str, Any], dt: float) -> frozenset[str]:
    """The external functions that hold their value during a step of length ``dt``."""
    return frozenset(name for name, external in externals.items() if _holds(external, dt))


def integrate_holding(system: ODESystem, functions: frozenset[str], method: Any
                      ) -> StateUpdate:
    """:func:`~jnsim.integration.integrate` with calls of ``functions`` held constant.

    Parameters
    ----------
    system
        The equations, with calls such as ``stim(t, i)``.
    functions
        Names of the functions whose calls hold their value during a step.
    method
        As for :func:`~jnsim.integration.integrate`.
    """
    calls: dict[sympy.Expr, sympy.Symbol] = {}
    states = set(system.symbols)  # a call that reads the state does not hold

    def hold(expression: sympy.Expr) -> sympy.Expr:
        def placeholder(call: sympy.Expr) -> sympy.Symbol:
            return calls.setdefault(call, symbol(f"_held_{len(calls)}"))

        return expression.replace(
            lambda e: (isinstance(e, AppliedUndef) and type(e).__name__ in functions
                       and not e.free_symbols & states),
            placeholder)

    if not functions:
        return integrate(system, method)
    held = ODESystem(system.variables, {v: hold(system.drift[v]) for v in system.variables},
                     {v: {k: hold(g) for k, g in system.diffusion[v].items()}
                      for v in system.variables})
    if not calls:
        return integrate(system, method)
    update = integrate(held, method)
    back = {placeholder: call for call, placeholder in calls.items()}
    return replace(update, statements=tuple((target, expression.xreplace(back))
                                            for target, expression in update.statements))


def check_held(functions: frozenset[str], externals: Mapping[str, Any], dt: float,
               owner: str) -> None:
    """Raise if a function integrated as held no longer holds during a step of ``dt``."""
    for name in sorted(functions):
        external = externals.get(name)
        if external is not None and not _holds(external, dt):
            step = getattr(getattr(external, "implementation", None), "dt_", None)
            what = (f"its dt ({step * 1e3:g} ms) is not a whole multiple of the time step "
                    f"({dt * 1e3:g} ms)" if step is not None else "it is not a TimedArray")
            raise JnsimError(
                f"the equations of {owner} were integrated with '{name}' constant during a "
                f"time step, but {what} any more",
                hint=f"give '{name}' a dt that is a multiple of the time step, or create "
                     f"{owner} again (or choose method='euler')")
