"""Rich display of jnsim objects in Jupyter: Markdown with LaTeX math.

The classes delegate their ``_repr_markdown_`` / ``_repr_latex_`` methods here:

* :class:`~jnsim.Equations` — the equations typeset by SymPy, with units and flags;
* neuron and synapse models (``%%neuron``/``%%synapse``) — a model card;
* groups and synapses — a summary (size, variables and their values, code, connectivity);
* monitors — what is recorded and how much;
* :class:`~jnsim.Network` — the full model report.

JupyterLab shows the Markdown (it ranks above LaTeX), so math goes inside it as
``$...$``. Display must never break a notebook: a failure here falls back to the
plain ``repr`` (the display functions return ``None``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from .equations import EquationKind, Equations, SingleEquation
from .namespace import caller_namespace

__all__ = [
    "equations_latex",
    "equations_markdown",
    "group_markdown",
    "model_latex",
    "model_markdown",
    "monitor_markdown",
    "network_markdown",
]

F = TypeVar("F", bound=Callable[..., Any])


def _safe(function: F) -> F:
    """Return ``None`` (plain repr) instead of raising inside a display hook."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception:
            return None

    return wrapper  # type: ignore[return-value]


# -- equations ------------------------------------------------------------------------

def _is_synaptic(equations: Equations) -> bool:
    names = set(equations.names) | set(equations.identifiers)
    return any(n.endswith(("_pre", "_post")) for n in names) or any(
        f in ("summed", "event-driven", "clock-driven")
        for e in equations.values() for f in e.flags)


def _aligned_row(equation: SingleEquation, synaptic: bool) -> str:
    from .report.typeset import expression_latex, latex_name, unit_latex

    name = latex_name(equation.name, synaptic)
    if equation.kind is EquationKind.DIFFERENTIAL:
        lhs = rf"\frac{{\mathrm{{d}}{{{name}}}}}{{\mathrm{{d}}t}}"
    else:
        lhs = name
    unit = unit_latex(equation.unit.dims) if equation.unit.dtype == "float" else \
        rf"\text{{{equation.unit.dtype}}}"
    notes = list(equation.flags)
    if equation.kind is EquationKind.PARAMETER:
        notes.insert(0, "parameter")
    note = rf"\quad \text{{({', '.join(notes)})}}" if notes else ""
    if equation.expression is None:
        return rf"{lhs} & && [{unit}]{note}"
    return rf"{lhs} &= {expression_latex(equation.expression, synaptic)} && [{unit}]{note}"


def _aligned(rows: list[str]) -> str:
    return "$$\n\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\n$$"


@_safe
def equations_latex(equations: Equations) -> str | None:
    """The equations as one aligned LaTeX block (between ``$$``)."""
    if not len(equations):
        return None
    synaptic = _is_synaptic(equations)
    return _aligned([_aligned_row(e, synaptic) for e in equations.ordered])


@_safe
def equations_markdown(equations: Equations) -> str | None:
    """Markdown showing the typeset equations (the LaTeX block inside Markdown)."""
    if not len(equations):
        return "*(no equations)*"
    return equations_latex(equations)


# -- models ---------------------------------------------------------------------------

def _model_fact(model: Any) -> Any:
    from .report.models import model_code, model_fact

    code = model_code(model)
    return model_fact(model.name, code, namespace=caller_namespace())


@_safe
def model_markdown(model: Any) -> str | None:
    """The model card of a ``NeuronModel`` or ``SynapseModel``."""
    from .report.markdown import model_markdown as render

    fact = _model_fact(model)
    kind = "Neuron model" if fact.kind == "neuron" else "Synapse model"
    text = render(fact, level=3, show_users=False)
    heading, _, rest = text.partition("\n")
    return f"{heading} <small>({kind.lower()})</small>\n{rest}"


@_safe
def model_latex(model: Any) -> str | None:
    """The model's equations and code as one aligned LaTeX block."""
    from .report.models import model_code
    from .report.typeset import expression_latex, statement_latex

    code = model_code(model)
    synaptic = code.kind == "synapse"
    rows = [_aligned_row(e, synaptic) for e in code.equations.ordered]
    if code.threshold is not None:
        rows.append(rf"\text{{spike if}} & \quad {expression_latex(code.threshold)} &&")
    rows += [rf"\text{{reset:}} & \quad {statement_latex(s)} &&" for s in code.reset]
    for name, _, statements in code.pathways:
        rows += [rf"\text{{on\_{name}:}} & \quad {statement_latex(s, True)} &&"
                 for s in statements]
    return _aligned(rows) if rows else None


# -- groups, synapses, monitors --------------------------------------------------------

def _label(obj: Any) -> str:
    from .report.facts import _Namer, object_labels

    return _Namer(object_labels(caller_namespace()))(obj)


@_safe
def group_markdown(group: Any) -> str | None:
    """A summary of a neuron group or synapses: size, variables, code, connectivity."""
    from .report.facts import _projection
    from .report.markdown import table
    from .report.models import group_value, model_code
    from .report.typeset import expression_latex, latex_name, statement_latex, unit_latex

    code = model_code(group)
    synaptic = code is not None and code.kind == "synapse"
    name = _label(group)
    if synaptic:
        fact = _projection(group, _label, "", caller_namespace())
        lines = [f"**Synapses** `{name}`: {fact.source} → {fact.target}, "
                 f"{group.N} synapses"]
        lines.append(f"* connectivity: {fact.pattern}")
        if fact.delays != "0 ms":
            lines.append(f"* delays: {fact.delays}")
    else:
        method = f", {group.method} integration" if code and code.method else ""
        lines = [f"**{type(group).__name__}** `{name}`: {group.N} neurons{method}"]
    if code is not None:
        if code.threshold is not None:
            lines.append(f"* threshold: ${expression_latex(code.threshold)}$")
        if code.reset:
            lines.append("* reset: " + ", ".join(f"${statement_latex(s)}$" for s in code.reset))
        group_code = getattr(group, "code", None)
        for event, condition in getattr(group_code, "events", {}).items():
            lines.append(f"* event `{event}`: ${expression_latex(condition)}$")
        for on_event in getattr(group_code, "event_operations", ()):
            lines.append(f"* on event `{on_event.event}`: " + ", ".join(
                f"${statement_latex(s)}$" for s in on_event.statements))
        for pathway, _, statements in code.pathways:
            lines.append(f"* on_{pathway}: " + ", ".join(
                f"${statement_latex(s, True)}$" for s in statements))
    rows = []
    model = getattr(group, "model", None)
    for variable_name, variable in getattr(model, "variables", {}).items():
        if variable.kind is EquationKind.SUBEXPRESSION:
            continue
        unit = unit_latex(variable.dims)
        rows.append((f"${latex_name(variable_name, synaptic)}$", f"${unit}$",
                     variable.kind.value, group_value(group, variable_name, variable.dims,
                                                      synaptic)))
    text = "\n".join(lines)
    if rows:
        text += "\n\n" + table(("Variable", "Unit", "Kind", "Value"), rows)
    return text


@_safe
def monitor_markdown(monitor: Any) -> str | None:
    """What a monitor records and how much it has recorded."""
    kind = type(monitor).__name__
    source = _label(getattr(monitor, "source", monitor))
    if kind == "StateMonitor":
        from .report.typeset import latex_name

        variables = ", ".join(f"${latex_name(v)}$" for v in monitor.variables)
        samples = len(monitor.t_)
        return (f"**StateMonitor** of `{source}`: {variables} of {len(monitor.record)} "
                f"element(s), {samples} sample(s) recorded")
    if kind == "SpikeMonitor":
        return f"**SpikeMonitor** of `{source}`: {monitor.num_spikes} spike(s) recorded"
    if kind == "EventMonitor":
        return (f"**EventMonitor** of `{source}`: {monitor.num_events} "
                f"'{monitor.event}' event(s) recorded")
    return f"**{kind}** of `{source}`: {len(monitor.t_)} sample(s) recorded"


# -- networks ---------------------------------------------------------------------------

@_safe
def network_markdown(network: Any) -> str | None:
    """The full Markdown model report of a network, for display in a notebook."""
    from .report import network_markdown as render

    if not network.objects:
        return f"**Network** `{network.name}`: empty"
    # without the connectivity figure: drawing it (matplotlib) would make every display
    # of a network take most of a second; report() to a file draws it
    return render(network, caller_namespace(), figure=False)
