"""Rules for event-driven equations in synapses.

An event-driven variable is updated only when a pre- or post-synaptic spike
arrives, by solving its equation exactly over the time since ``lastupdate``.
That is possible when the equation is one-dimensional and linear:
``dx/dt = a*x + b`` with ``a`` and ``b`` fixed between events.  Hence:

* an event-driven variable cannot be used by any equation that is not itself
  event-driven;
* an event-driven equation cannot depend on a clock-driven differential
  equation, directly or through subexpressions, nor on another event-driven
  variable, nor on the time ``t``; it can depend on parameters;
* it must be linear in its own variable, and cannot contain noise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy

from .equations import EquationKind, is_noise_name
from .errors import EquationError
from .sympy_conversion import symbol

if TYPE_CHECKING:
    from .analysis import AnalysedModel

__all__ = ["check_event_driven", "event_driven_names"]


def event_driven_names(model: AnalysedModel) -> tuple[str, ...]:
    """Names of the event-driven variables of ``model``."""
    return tuple(n for n, v in model.variables.items() if "event-driven" in v.flags)


def check_event_driven(model: AnalysedModel) -> None:
    """Raise an :class:`EquationError` if an event-driven rule is broken."""
    event_driven = set(event_driven_names(model))
    if not event_driven:
        return
    _check_users(model, event_driven)
    clock_driven = {n for n in model.names_of(EquationKind.DIFFERENTIAL)
                    if n not in event_driven}
    for name in sorted(event_driven, key=list(model.variables).index):
        _check_one(model, name, event_driven, clock_driven)


def _check_users(model: AnalysedModel, event_driven: set[str]) -> None:
    for equation in model.equations.ordered:
        if equation.name in event_driven or equation.expression is None:
            continue
        used = sorted(equation.identifiers & event_driven)
        if used:
            raise EquationError(
                f"the event-driven variable '{used[0]}' cannot be used by '{equation.name}', "
                "which is not event-driven", _use_span(equation, used[0]),
                "event-driven variables are only up to date at events; use them in on_pre/"
                "on_post code, or make this equation event-driven too")


def _check_one(model: AnalysedModel, name: str, event_driven: set[str],
               clock_driven: set[str]) -> None:
    equation = model.equations[name]
    rhs = model.inline_subexpressions(model.expressions[name])
    dependencies = {s.name for s in rhs.free_symbols}
    span = equation.expression.span() if equation.expression else equation.name_span()
    noise = sorted(d for d in dependencies if is_noise_name(d))
    if noise:
        raise EquationError(f"the event-driven equation for '{name}' contains noise "
                            f"('{noise[0]}')", span,
                            "event-driven equations are deterministic; make it clock-driven")
    depends_on_clock = sorted(dependencies & clock_driven)
    if depends_on_clock:
        raise EquationError(
            f"the event-driven variable '{name}' depends on the clock-driven variable "
            f"'{depends_on_clock[0]}'", span,
            "an event-driven equation can only depend on itself and on parameters; "
            "remove the 'event-driven' flag to integrate it every time step")
    others = sorted(dependencies & (event_driven - {name}))
    if others:
        raise EquationError(
            f"the event-driven equation for '{name}' depends on the event-driven variable "
            f"'{others[0]}'", span,
            "only one-dimensional event-driven equations can be solved; make them "
            "clock-driven")
    if "t" in dependencies:
        raise EquationError(
            f"the event-driven equation for '{name}' depends on the time 't'", span,
            "an event-driven equation must not change its form over time; make it clock-driven")
    variable = symbol(name)
    slope = sympy.diff(rhs, variable)
    if variable in slope.free_symbols or (rhs.has(sympy.Function) and _nonlinear(rhs, variable)):
        raise EquationError(
            f"the event-driven equation for '{name}' is not linear in '{name}'", span,
            "only equations of the form 'dx/dt = a*x + b' can be event-driven; make it "
            "clock-driven")


def _nonlinear(rhs: sympy.Expr, variable: sympy.Symbol) -> bool:
    """True if ``variable`` appears inside a function call of ``rhs``."""
    return any(variable in f.free_symbols for f in rhs.atoms(sympy.Function))


def _use_span(equation, name: str):  # type: ignore[no-untyped-def]
    import ast

    assert equation.expression is not None
    for node in ast.walk(equation.expression.tree):
        if isinstance(node, ast.Name) and node.id == name:
            return equation.expression.span_of(node)
    return equation.expression.span()
