"""Facts about one neuron or synapse model: parameters, equations, events, functions.

:func:`model_fact` describes a model as the report and the model cards show it. The
model comes either from objects that use it (a ``NeuronGroup``, ``Synapses``) —
then values are the ones set on those objects — or from a
:class:`~jnsim.models.NeuronModel` / :class:`~jnsim.models.SynapseModel` alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..context import ModelContext
from ..equations import (
    EquationKind,
    Equations,
    Expression,
    Statement,
    is_noise_name,
    parse_expression,
    parse_statements,
)
from ..errors import CodeError, JnsimError
from ..functions import DEFAULT_FUNCTIONS
from ..namespace import resolve_external
from ..units import DIMENSIONLESS, UNITS, Dimensions, to_si
from .typeset import (
    equation_latex,
    expression_latex,
    latex_name,
    quantity_text,
    statement_latex,
    unit_latex,
    unit_scale,
)
from .values import describe_assignment, resolve_constant

__all__ = ["ModelCode", "ModelFact", "Row", "VariableFact", "model_code", "model_fact"]

_SECOND = Dimensions({"[time]": 1})
_SPECIAL = frozenset({"t", "dt", "i", "j", "N", "t_in_timesteps", "lastspike", "not_refractory",
                      "lastupdate", "N_pre", "N_post", "N_incoming", "N_outgoing"})
_DTYPES = {"float": "float64", "integer": "int64", "boolean": "bool"}


@dataclass(frozen=True)
class Row:
    """One parameter: name (math), value, locality and type (rich text)."""

    name: str
    value: str
    locality: str
    dtype: str


@dataclass(frozen=True)
class VariableFact:
    """One variable defined by an equation, with the equation typeset."""

    name: str
    kind: str
    unit: str
    locality: str
    initial: str | None
    notes: tuple[str, ...]
    latex: str


@dataclass(frozen=True)
class ModelFact:
    """Everything a report says about one model (all text is rich text)."""

    kind: str
    name: str
    description: str | None
    users: tuple[str, ...]
    parameters: tuple[Row, ...]
    variables: tuple[VariableFact, ...]
    method: str | None
    threshold: str | None
    reset: tuple[str, ...]
    refractory: str | None
    pathways: tuple[tuple[str, tuple[str, ...]], ...]
    functions: tuple[str, ...]
    delay: str | None = None
    #: custom events, ``run_on_event`` and ``run_regularly`` code: (title, statements)
    operations: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class ModelCode:
    """A model's equations and code blocks, from an object or a model definition."""

    kind: str
    equations: Equations
    description: str | None = None
    threshold: Expression | None = None
    reset: tuple[Statement, ...] = ()
    refractory: Any = None  # seconds (float), an Expression, or None
    refractory_is_condition: bool = False
    pathways: tuple[tuple[str, str, tuple[Statement, ...]], ...] = ()
    method: str | None = None
    delay: Any = None
    variables: Mapping[str, Any] = field(default_factory=dict)  # name -> analysis Variable
    #: custom events: (name, condition, statements run on it, slot)
    events: tuple[tuple[str, Expression | None, tuple[Statement, ...], str], ...] = ()
    #: ``run_regularly`` code: (every, in seconds or None, statements, slot)
    regular: tuple[tuple[float | None, tuple[Statement, ...], str], ...] = ()

    def canonical_text(self) -> str:
        """A text that changes exactly when the equations or the code change."""
        lines = [f"[{self.kind}]"]
        lines += [e.as_source() for e in self.equations.ordered]
        if self.threshold is not None:
            lines.append(f"threshold: {self.threshold}")
        if self.reset:
            lines.append("reset: " + "; ".join(str(s) for s in self.reset))
        if self.refractory is not None:
            lines.append(f"refractory: {self.refractory}")
        for name, trigger, statements in self.pathways:
            lines.append(f"{name} ({trigger}): " + "; ".join(str(s) for s in statements))
        if self.method:
            lines.append(f"method: {self.method}")
        for name, condition, statements, when in self.events:
            lines.append(f"event {name} ({condition}; {when}): "
                         + "; ".join(str(s) for s in statements))
        for every, statements, when in self.regular:
            lines.append(f"every {every} ({when}): " + "; ".join(str(s) for s in statements))
        return "\n".join(lines)

    def assigned(self) -> frozenset[str]:
        """Variables that change during runs: differential equations and code targets."""
        targets = {s.target for s in self.reset}
        targets |= {s.target for _, _, block in self.pathways for s in block}
        return frozenset(targets) | frozenset(self.equations.diff_eq_names)

    def identifiers(self) -> tuple[frozenset[str], frozenset[str]]:
        """(names used as values, names called as functions) in equations and code."""
        expressions = [e.expression for e in self.equations.values() if e.expression]
        expressions += [s.expression for s in self.reset]
        expressions += [s.expression for _, _, block in self.pathways for s in block]
        expressions += [e for _, e, _, _ in self.events if e is not None]
        expressions += [s.expression for _, _, block, _ in self.events for s in block]
        expressions += [s.expression for _, block, _ in self.regular for s in block]
        if self.threshold is not None:
            expressions.append(self.threshold)
        if isinstance(self.refractory, Expression):
            expressions.append(self.refractory)
        names = frozenset().union(*(e.names for e in expressions))
        functions = frozenset().union(*(e.function_names for e in expressions))
        return names, functions


# -- from objects and definitions -------------------------------------------------------

def _variables(equations: Equations, kind: str) -> dict[str, Any]:
    from ..analysis import Variable

    return {e.name: Variable(e.name, e.kind, e.unit.dims, e.unit.dtype, e.flags)
            for e in equations.values()}


def method_name(requested: Any, used: str | None) -> str | None:
    """The integration method as the user named it (``midpoint``, not ``rk2``)."""
    from ..integration.methods import canonical_name

    if used is None:
        return None
    names = [requested] if isinstance(requested, str) else list(requested or ())
    for name in names:
        try:
            if isinstance(name, str) and canonical_name(name) == used:
                return name
        except JnsimError:
            continue
    return used if requested is not None else f"{used}, chosen automatically"


def _chosen_method(equations: Equations, kind: str, requested: Any) -> str | None:
    """The integration method ``requested`` (or the automatic choice) resolves to."""
    from ..analysis import analyse
    from ..integration import integrate
    from ..neuron_code import ode_system

    try:
        context = ModelContext.neuron() if kind == "neuron" else ModelContext.synapse()
        analysed = analyse(equations, context, caller_ns={})
        names = [n for n in analysed.names_of(EquationKind.DIFFERENTIAL)
                 if "event-driven" not in analysed.variables[n].flags]
        if not names:
            return None
        return method_name(requested, integrate(ode_system(analysed, names), requested).method)
    except JnsimError:
        return str(requested) if requested else None


def _code_from_definition(model: Any) -> ModelCode:
    """A ModelCode from a NeuronModel or SynapseModel (parsing its code strings)."""
    equations = model.equations
    if hasattr(model, "neuron_defaults"):
        threshold = (parse_expression(str(model.threshold), error=CodeError)
                     if model.threshold else None)
        reset = parse_statements(str(model.reset)) if model.reset else ()
        refractory: Any = None
        is_condition = False
        if isinstance(model.refractory, str):
            refractory = parse_expression(model.refractory, error=CodeError)
            is_condition = _is_condition(refractory)
        elif model.refractory not in (False, None):
            refractory = float(to_si(model.refractory))
        return ModelCode("neuron", equations, model.description, threshold, reset, refractory,
                         is_condition, (), _chosen_method(equations, "neuron", model.method),
                         None, _variables(equations, "neuron"))
    pathways = []
    for code, trigger, default in ((model.on_pre, "pre", "pre"), (model.on_post, "post", "post")):
        if code is None:
            continue
        items = code.items() if isinstance(code, Mapping) else [(default, code)]
        for name, text in items:
            pathways.append((name, trigger, parse_statements(str(text))))
    delay = float(to_si(model.delay)) if model.delay is not None and not isinstance(
        model.delay, Mapping | str) else None
    return ModelCode("synapse", equations, model.description, pathways=tuple(pathways),
                     method=_chosen_method(equations, "synapse", model.method), delay=delay,
                     variables=_variables(equations, "synapse"))


def _is_condition(expression: Expression) -> bool:
    import ast

    tree = expression.tree
    return isinstance(tree, ast.Compare | ast.BoolOp) or (
        isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.Not))


def model_code(obj: Any) -> ModelCode | None:
    """The :class:`ModelCode` of a group, synapses or model definition (else ``None``)."""
    if hasattr(obj, "neuron_defaults") or hasattr(obj, "synapse_defaults"):
        return _code_from_definition(obj)
    code = getattr(obj, "code", None)
    analysed = getattr(obj, "model", None)
    if code is None or analysed is None or not hasattr(obj, "equations"):
        return None
    variables = dict(analysed.variables)
    if hasattr(code, "pathways"):  # synapses
        pathways = tuple((p.name, "pre" if p.triggered_by == "source" else "post", p.statements)
                         for p in code.pathways.values())
        method = method_name(getattr(obj, "method_requested", None),
                             code.state_update.method) if code.clock_driven else None
        return ModelCode("synapse", obj.equations, obj.description, pathways=pathways,
                         method=method, variables=variables)
    refractory: Any = None
    if code.refractory_expression is not None:
        refractory = code.refractory_expression
    elif code.refractory_time is not None:
        refractory = code.refractory_time
    method = method_name(getattr(obj, "method_requested", None),
                         obj.method) if code.system.variables else None
    events = [(name, condition, (), code.event_slots.get(name, "thresholds"))
              for name, condition in getattr(code, "events", {}).items()]
    for operation in getattr(code, "event_operations", ()):
        condition = code.events.get(operation.event) if operation.event != "spike" else None
        events.append((operation.event, condition, tuple(operation.statements), operation.when))
    known = {name for name, _, statements, _ in events if statements}
    events = [e for e in events if e[2] or e[0] not in known]  # the condition with its code
    regular = tuple((operation.dt, tuple(operation.statements), operation.when)
                    for operation in getattr(code, "regular_operations", ()))
    return ModelCode("neuron", obj.equations, obj.description, code.threshold, code.reset,
                     refractory, code.refractory_is_condition, (), method, None, variables,
                     tuple(events), regular)


# -- values -----------------------------------------------------------------------------

def _locality(kind: str, variable: Any) -> str:
    flags = variable.flags
    if "summed" in flags:
        side = "post" if variable.name.endswith("_post") else "pre"
        return f"per {side}-synaptic neuron (summed)"
    base = "per neuron" if kind == "neuron" else "per synapse"
    if "shared" in flags:
        base = "shared"
    elif "linked" in flags:
        base += " (linked)"
    return f"{base}, constant" if "constant" in flags else base


def group_value(group: Any, name: str, dims: Dimensions, synaptic: bool,
                evolves: bool = False) -> str:
    """Rich text for the value of a group's variable as the user set it.

    ``evolves``: the variable changes during runs (a differential equation, or a
    target of reset or pathway code), so its current values say nothing about its
    initial value; without a recorded assignment it started at zero.
    """
    text = getattr(group, "initializers", {}).get(name)
    array = getattr(group, "arrays", {}).get(name)
    if text == "values given per element" and array is not None and array.size:
        return "given per element: " + values_summary(array, dims)
    if text is not None:
        return describe_assignment(text, dims, synaptic)
    if evolves:
        return quantity_text(0.0, dims) + " (default)"
    if array is None or array.size == 0:
        return quantity_text(0.0, dims) + " (default)"
    if np.all(array == array.flat[0]):
        value = array.flat[0]
        value = bool(value) if array.dtype == bool else (
            int(value) if array.dtype.kind == "i" else float(value))
        return quantity_text(value, dims) + (" (default)" if not np.any(array) else "")
    return values_summary(array, dims)


def values_summary(array: np.ndarray, dims: Dimensions) -> str:
    """``min -70 mV, mean -65 mV, max -60 mV`` (in one unit), or the one value."""
    values = np.asarray(array, dtype=float).ravel()
    low, high = float(values.min()), float(values.max())
    if low == high:
        return quantity_text(low, dims)
    scale = max(abs(low), abs(high))
    return ", ".join(f"{word} {quantity_text(value, dims, scale)}" for word, value in (
        ("min", low), ("mean", float(values.mean())), ("max", high)))


def _common(values: Sequence[str]) -> str | None:
    if not values:
        return None
    return values[0] if all(v == values[0] for v in values) else "set per population"


def external_rows(code: ModelCode, namespace: Mapping[str, Any] | None,
                  exclude: frozenset[str]) -> tuple[list[Row], list[str]]:
    """Rows for the external constants a model uses, and rich text for its functions."""
    names, functions = code.identifiers()
    rows: list[Row] = []
    synaptic = code.kind == "synapse"
    for name in sorted(names - exclude - _SPECIAL - set(code.variables)):
        if is_noise_name(name) or name in ("pi", "e", "inf", "True", "False"):
            continue
        if name in UNITS and (namespace is None or namespace.get(name, UNITS[name]) is
                              UNITS[name]):
            continue  # a unit, not a parameter
        if synaptic and name.endswith(("_pre", "_post")):
            continue
        constant = resolve_constant(name, namespace)
        if constant is None:
            if synaptic:
                continue  # a variable of the post-synaptic group, resolved by Synapses
            rows.append(Row(f"${latex_name(name, synaptic)}$", "not defined yet", "shared",
                            "float64"))
            continue
        given = namespace.get(name) if namespace is not None else None
        rows.append(Row(f"${latex_name(name, synaptic)}$",
                        quantity_text(constant.value, constant.dims,
                                      unit_scale(given) if constant.value == 0 else None),
                        "shared (external)",
                        _DTYPES.get(constant.dtype, constant.dtype)))
    described = []
    for name in sorted(functions - set(DEFAULT_FUNCTIONS)):
        try:
            found = resolve_external(name, namespace, "caller", as_function=True)
        except JnsimError:
            found = None
        kind = type(getattr(found, "implementation", None)).__name__ if found else "not defined"
        described.append(f"${latex_name(name)}$: {kind}")
    return rows, described


def _refractory_text(code: ModelCode, synaptic: bool) -> str | None:
    if code.refractory is None:
        return None
    clamped = [latex_name(n) for n, v in code.variables.items()
               if "unless refractory" in getattr(v, "flags", ())]
    if isinstance(code.refractory, Expression):
        if code.refractory_is_condition:
            text = f"while ${expression_latex(code.refractory)}$"
        else:
            text = f"for ${expression_latex(code.refractory)}$ after each spike"
    else:
        text = f"for {quantity_text(code.refractory, _SECOND)} after each spike"
    if clamped:
        text += "; " + ", ".join(f"${n}$" for n in clamped) + " held constant meanwhile"
    return text


def model_fact(name: str, code: ModelCode, users: Sequence[Any] = (),
               labels: Sequence[str] = (), namespace: Mapping[str, Any] | None = None
               ) -> ModelFact:
    """Describe a model.

    Parameters
    ----------
    name
        The model's name in the report.
    code
        Its equations and code (see :func:`model_code`).
    users
        The groups or synapses using it (their values are reported), possibly none.
    labels
        The users' names in the report.
    namespace
        Where external constants are looked up.
    """
    synaptic = code.kind == "synapse"
    parameters: list[Row] = []
    variables: list[VariableFact] = []
    evolving = code.assigned()
    for equation in code.equations.ordered:
        variable = code.variables.get(equation.name)
        flags = equation.flags
        locality = _locality(code.kind, variable) if variable is not None else ""
        dtype = _DTYPES.get(equation.unit.dtype, equation.unit.dtype)
        math_name = f"${latex_name(equation.name, synaptic)}$"
        if equation.kind is EquationKind.PARAMETER:
            values = [group_value(u, equation.name, equation.unit.dims, synaptic,
                                  equation.name in evolving) for u in users]
            parameters.append(Row(math_name, _common(values) or "—", locality, dtype))
            continue
        initial = None
        if equation.kind is EquationKind.DIFFERENTIAL:
            initial = _common([group_value(u, equation.name, equation.unit.dims, synaptic, True)
                               for u in users]) or quantity_text(0.0, equation.unit.dims)
        unit = "1" if equation.unit.dims == DIMENSIONLESS else unit_latex(equation.unit.dims)
        variables.append(VariableFact(
            math_name, equation.kind.value, f"${unit}$" if unit != "1" else "dimensionless",
            locality, initial, tuple(f for f in flags if f != "summed"),
            equation_latex(equation, synaptic)))
    exclude: frozenset[str] = frozenset()
    for user in users:
        target = getattr(user, "target_group", None)
        if target is not None:
            exclude |= frozenset(target.specs)
    externals, functions = external_rows(code, namespace, exclude)
    pathways = []
    for pathway, trigger, statements in code.pathways:
        title = (r"pre-synaptic spike, arriving at $t_\text{pre} + d$" if trigger == "pre"
                 else r"post-synaptic spike at $t_\text{post}$")
        if pathway not in ("pre", "post"):
            title += f" (pathway `{pathway}`)"
        pathways.append((title, tuple(statement_latex(s, synaptic) for s in statements)))
    delay = None
    if code.delay is not None:
        delay = quantity_text(code.delay, _SECOND)
    operations = []
    for event, condition, statements, _ in code.events:
        if event == "spike":
            title = "On a spike (`run_on_event`)"
        else:
            title = f"On event `{event}`"
            if condition is not None:
                title += f", when ${expression_latex(condition)}$"
            if statements:
                title += " (`run_on_event`)"
        operations.append((title, tuple(statement_latex(s) for s in statements)))
    for every, statements, when in code.regular:
        period = quantity_text(every, _SECOND) if every else "time step"
        operations.append((f"Every {period} (`run_regularly`, slot `{when}`)",
                           tuple(statement_latex(s) for s in statements)))
    return ModelFact(
        kind=code.kind, name=name, description=code.description, users=tuple(labels),
        parameters=tuple(parameters + externals), variables=tuple(variables),
        method=code.method,
        threshold=expression_latex(code.threshold) if code.threshold is not None else None,
        reset=tuple(statement_latex(s) for s in code.reset),
        refractory=_refractory_text(code, synaptic), pathways=tuple(pathways),
        functions=tuple(functions), delay=delay, operations=tuple(operations))
