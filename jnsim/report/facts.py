"""Gather what a model report says about a network, as plain values.

:func:`gather` walks the objects of a network — populations (neuron groups and
input groups), projections (synapses), monitors and inputs — and returns a
:class:`ReportFacts`. The Markdown and LaTeX writers only format it. Every text
field is *rich text*: words, LaTeX math between ``$`` and code between backticks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..base import JnsimObject
from ..errors import JnsimError
from ..units import Dimensions, dimensions_of, to_si
from .connectivity import ProjectionStatistics, projection_statistics
from .digest import DataChecksum, data_checksums, network_hash, object_state, recorded_arrays
from .models import ModelCode, ModelFact, group_value, model_code, model_fact, values_summary
from .provenance import Provenance, collect_provenance
from .typeset import latex_name, quantity_text
from .values import connection_pattern, describe_assignment, evaluate_quantity, resolve_constant

__all__ = ["ReportFacts", "RunFact", "StimulusFact", "gather", "object_labels"]

_SECOND = Dimensions({"[time]": 1})
_HERTZ = Dimensions({"[time]": -1})


@dataclass(frozen=True)
class PopulationFact:
    """A row of the populations table."""

    name: str
    size: int
    type: str


@dataclass(frozen=True)
class ProjectionFact:
    """A row of the projections table."""

    name: str
    source: str
    target: str
    type: str
    targets: str
    pattern: str
    weights: str
    delays: str
    synapses: int


@dataclass(frozen=True)
class MonitorFact:
    """A row of the monitors (measurements) table."""

    source: str
    kind: str
    variables: str
    period: str


@dataclass(frozen=True)
class InputFact:
    """A row of the input table."""

    name: str
    kind: str
    description: str


@dataclass(frozen=True)
class ParameterTable:
    """The parameter values of one population or projection."""

    owner: str
    type: str
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RunFact:
    """One ``run()`` of the network, in seconds (see :class:`jnsim.protocol.RunRecord`)."""

    network: str
    start: float
    duration: float
    requested: float
    dt: float
    steps: int
    wall_seconds: float


@dataclass(frozen=True)
class StimulusFact:
    """A row of the stimulus schedule: what an input does when, and in which runs."""

    name: str
    kind: str
    schedule: str
    runs: str


@dataclass(frozen=True)
class ReportFacts:
    """Everything a report says, ready to be formatted."""

    title: str
    author: str | None
    date: str | None
    versions: tuple[tuple[str, str], ...]
    dt: str
    seed: int | None
    model_hash: str
    populations: tuple[PopulationFact, ...]
    projections: tuple[ProjectionFact, ...]
    monitors: tuple[MonitorFact, ...]
    inputs: tuple[InputFact, ...]
    neuron_models: tuple[ModelFact, ...]
    synapse_models: tuple[ModelFact, ...]
    population_parameters: tuple[ParameterTable, ...]
    projection_parameters: tuple[ParameterTable, ...]
    connectivity: tuple[ProjectionStatistics, ...] = ()
    runs: tuple[RunFact, ...] = ()
    stimuli: tuple[StimulusFact, ...] = ()
    #: sha256 of the equations, code, parameters and connectivity (:mod:`.digest`)
    network_hash: str = ""
    data_checksums: tuple[DataChecksum, ...] = ()
    provenance: Provenance | None = None


# -- names ----------------------------------------------------------------------------

def object_labels(namespace: Mapping[str, Any]) -> dict[int, str]:
    """Variable names of the jnsim objects in ``namespace``, by object id."""
    labels: dict[int, str] = {}
    for key, value in namespace.items():
        if isinstance(value, JnsimObject) and not key.startswith("_"):
            labels.setdefault(id(value), key)
    return labels


class _Namer:
    """Names objects: their own name, or the variable holding them if the name is automatic."""

    def __init__(self, labels: Mapping[int, str]) -> None:
        self.labels = labels

    def __call__(self, obj: Any) -> str:
        parent = getattr(obj, "parent", None)
        if parent is not None and hasattr(obj, "start"):
            return f"{self(parent)}[{obj.start}:{obj.stop}]"
        name = getattr(obj, "name", str(obj))
        prefix = getattr(obj, "_name_prefix", None)
        automatic = prefix is not None and re.fullmatch(rf"{re.escape(prefix)}(_\d+)?", name)
        if automatic and id(obj) in self.labels:
            return self.labels[id(obj)]
        return name


# -- objects --------------------------------------------------------------------------

def _kind(obj: Any) -> str:
    name = type(obj).__name__
    if name == "NeuronGroup":
        return "neurons"
    if name in ("PoissonGroup", "SpikeGeneratorGroup"):
        return "source"
    if name == "Synapses":
        return "synapses"
    if name in ("StateMonitor", "SpikeMonitor", "EventMonitor", "PopulationRateMonitor"):
        return "monitor"
    if name == "PoissonInput":
        return "input"
    if name == "NetworkOperation":
        return "operation"
    return "other"


def expand(objects: Sequence[Any]) -> list[Any]:
    """``objects`` and everything they contain, each once, in creation order."""
    found: dict[int, Any] = {}

    def visit(obj: Any) -> None:
        if id(obj) in found:
            return
        found[id(obj)] = obj
        for inner in obj.contained_objects() if hasattr(obj, "contained_objects") else ():
            visit(inner)

    for obj in objects:
        visit(obj)
    result = [o for o in found.values() if getattr(o, "parent", None) is None]
    return sorted(result, key=lambda o: getattr(o, "creation_index", 0))


def _namespace_of(obj: Any, namespace: Mapping[str, Any]) -> Mapping[str, Any]:
    own = getattr(obj, "namespace", None)
    return own if own is not None else namespace


# -- models ---------------------------------------------------------------------------

def _definition_name(obj: Any, code: ModelCode, namespace: Mapping[str, Any]) -> str | None:
    """The name of a NeuronModel/SynapseModel in ``namespace`` that ``obj`` was made from."""
    attribute = "neuron_defaults" if code.kind == "neuron" else "synapse_defaults"
    for value in namespace.values():
        if hasattr(type(value), attribute) and getattr(value, "equations", None) == \
                code.equations and getattr(value, "description", None) == code.description:
            return value.name
    return None


def _group_models(objects: Sequence[Any], kind: str, name_of: _Namer,
                  namespace: Mapping[str, Any]
                  ) -> tuple[list[ModelFact], dict[int, str], dict[str, ModelCode]]:
    """Models of neuron groups or synapses: facts, type name per object, code per type."""
    groups: dict[str, tuple[str, ModelCode, list[Any]]] = {}
    for obj in objects:
        code = model_code(obj)
        if code is None or code.kind != kind:
            continue
        key = code.canonical_text() + f"\n{code.description}"
        if key not in groups:
            base = _definition_name(obj, code, namespace) or (
                f"{name_of(obj)} {'neuron' if kind == 'neuron' else 'synapse'}")
            name, count = base, 1
            while any(name == n for n, _, _ in groups.values()):
                count += 1
                name = f"{base} ({count})"
            groups[key] = (name, code, [])
        groups[key][2].append(obj)
    facts, type_of, codes = [], {}, {}
    for name, code, users in groups.values():
        facts.append(model_fact(name, code, users, [name_of(u) for u in users],
                                _namespace_of(users[0], namespace)))
        codes[name] = code
        for user in users:
            type_of[id(user)] = name
    return facts, type_of, codes


# -- tables ---------------------------------------------------------------------------

def _source_type(obj: Any) -> str:
    return "Poisson spike source" if type(obj).__name__ == "PoissonGroup" else "spike generator"


def _is_synaptic(name: str, s: Any) -> bool:
    """Whether ``name`` is declared in the equations of the synapses ``s`` (not a
    variable of a connected group, nor ``i``, ``j``, ``t``, ...)."""
    return name in getattr(s.model, "variables", {})


def _weight(name: str, s: Any) -> str:
    """``$w$: U(0.01, 0.03)``: a synaptic variable and its assigned value, if any."""
    text = f"${latex_name(name, True)}$"
    value = getattr(s, "initializers", {}).get(name)
    spec = getattr(s, "specs", {}).get(name)
    if value is None:
        return text
    return f"{text}: {describe_assignment(value, spec.dims if spec else None, True)}"


def _constant_weight(expression: Any, namespace: Mapping[str, Any]) -> str | None:
    """``$w_e$ = 1.62 mV`` or ``1 mV`` for a pathway that adds a constant, else ``None``."""
    if expression.function_names:
        return None
    if len(expression.names) == 1:
        constant = resolve_constant(next(iter(expression.names)), namespace)
        if constant is not None and str(expression) == constant.name:
            return (f"${latex_name(constant.name, True)}$ = "
                    f"{quantity_text(constant.value, constant.dims)}")
    try:
        value = evaluate_quantity(str(expression), namespace)
        return quantity_text(float(to_si(value)), dimensions_of(value))
    except (JnsimError, TypeError, ValueError, ZeroDivisionError, AttributeError):
        return None


def _weights(s: Any, namespace: Mapping[str, Any]) -> list[str]:
    """What the pathways add to the connected groups' variables (``ge += w`` → ``w``).

    The synaptic variables read by a statement whose target belongs to the pre- or
    post-synaptic group, with their assigned values; a constant (``ge += we``) when
    no synaptic variable is read.  Plasticity (``w += A_plus*apost``) and traces
    (``apre += A_pre``) update the synapses themselves and are not weights.
    """
    code = model_code(s)
    weights = []
    for _, _, statements in code.pathways if code else ():
        for statement in statements:
            if _is_synaptic(statement.target, s):
                continue
            names = sorted(n for n in statement.expression.names if _is_synaptic(n, s))
            if names:
                weights.extend(_weight(name, s) for name in names)
                continue
            constant = _constant_weight(statement.expression, namespace)
            if constant is not None:
                weights.append(constant)
    return weights


def _projection(s: Any, name_of: _Namer, type_name: str, namespace: Mapping[str, Any]
                ) -> ProjectionFact:
    ns = _namespace_of(s, namespace)
    pattern = "; ".join(connection_pattern(e) for e in getattr(s, "connections", ())) or \
        "not connected"
    targets = []
    for _, _, statements in model_code(s).pathways if model_code(s) else ():
        targets.extend(f"${latex_name(statement.target, True)}$" for statement in statements
                       if statement.target not in getattr(s, "specs", {}))
    for name, variable in getattr(s.model, "variables", {}).items():
        if "summed" in variable.flags:
            targets.append(f"${latex_name(name, True)}$ (summed)")
    return ProjectionFact(name_of(s), name_of(s.source), name_of(s.target), type_name,
                          ", ".join(dict.fromkeys(targets)) or "—", pattern,
                          "; ".join(dict.fromkeys(_weights(s, ns))) or "—", _delays(s), int(s.N))


def _delays(s: Any) -> str:
    """The delay of each pathway (just the value when there is only ``pre``)."""
    pathways = list(getattr(getattr(s, "code", None), "pathways", {}) or ["pre"])
    texts = []
    for pathway in pathways:
        initializer = getattr(s, "initializers", {}).get(f"delay_{pathway}")
        if initializer is not None:
            texts.append(describe_assignment(initializer, _SECOND))
        else:
            seconds = getattr(s, "_shared_delay", {}).get(pathway, 0.0)
            texts.append(quantity_text(seconds, _SECOND) if seconds else "0 ms")
    if pathways == ["pre"]:
        return texts[0]
    return "; ".join(f"{p}: {t}" for p, t in zip(pathways, texts, strict=True))


def _merge(rows: Sequence[ProjectionFact], sources: Sequence[Any], targets: Sequence[Any],
           name_of: _Namer) -> list[ProjectionFact]:
    """Projections between the same (parent) populations merged into one row."""
    merged: dict[tuple[int, int], list[ProjectionFact]] = {}
    parents: dict[tuple[int, int], tuple[Any, Any]] = {}
    for row, source, target in zip(rows, sources, targets, strict=True):
        key = (id(getattr(source, "parent", source)), id(getattr(target, "parent", target)))
        merged.setdefault(key, []).append(row)
        parents[key] = (getattr(source, "parent", source), getattr(target, "parent", target))
    result = []
    for key, group in merged.items():
        if len(group) == 1:
            result.append(group[0])
            continue

        def join(values: Sequence[str], separator: str = " / ") -> str:
            return separator.join(dict.fromkeys(values))

        source, target = parents[key]
        result.append(ProjectionFact(
            join([r.name for r in group], ", "), name_of(source), name_of(target),
            join([r.type for r in group]),
            join([r.targets for r in group], ", "),
            join([f"{r.source} → {r.target}: {r.pattern}" for r in group], "; "),
            join([r.weights for r in group], "; "), join([r.delays for r in group], "; "),
            sum(r.synapses for r in group)))
    return result


def _monitor(m: Any, name_of: _Namer) -> MonitorFact:
    kind = type(m).__name__
    source = name_of(getattr(m, "source", m))
    dt = getattr(getattr(m, "group", None), "dt_", None)
    every = quantity_text(dt, _SECOND) if dt else "every step"
    if kind == "StateMonitor":
        variables = ", ".join(f"${latex_name(v)}$" for v in m.variables)
        record = getattr(m, "record", ())
        size = getattr(getattr(m, "source", None), "N", None)
        if size is not None and len(record) != size:
            variables += f" ({len(record)} of {size} elements)"
        period = quantity_text(m.record_dt, _SECOND) if m.record_dt else every
        return MonitorFact(source, "state", variables, period)
    if kind in ("SpikeMonitor", "EventMonitor"):
        event = getattr(m, "event", "spike")
        what = "spike times" if event == "spike" else f"times of '{event}' events"
        extra = ", ".join(f"${latex_name(v)}$" for v in getattr(m, "variables", ()))
        if extra:
            what += f" with {extra}"
        if event == "spike":
            return MonitorFact(source, "spikes", what, "each spike")
        return MonitorFact(source, "events", what, "each event")
    return MonitorFact(source, "population rate", "population rate", every)


def _input(obj: Any, name_of: _Namer) -> InputFact:
    kind = type(obj).__name__
    if kind == "PoissonGroup":
        expression = getattr(obj, "rates_expression", None)
        if expression is not None:
            from .typeset import expression_latex

            rates = f"${expression_latex(expression)}$"
        else:
            rates = group_value(obj, "rates", _HERTZ, False)
        return InputFact(name_of(obj), "Poisson spike trains",
                         f"{obj.N} independent Poisson processes, rate {rates}")
    if kind == "SpikeGeneratorGroup":
        count = len(getattr(obj, "indices", ()))
        period = getattr(obj, "period", None)
        text = f"{count} given spike times for {obj.N} neurons"
        seconds = float(getattr(period, "magnitude", 0) and period.to("second").magnitude) \
            if period is not None else 0.0
        if seconds:
            text += f", repeated every {quantity_text(seconds, _SECOND)}"
        return InputFact(name_of(obj), "spike generator", text)
    weight = obj.weight
    if isinstance(weight, str):
        weight_text = f"`{weight}`"
    else:
        weight_text = quantity_text(float(weight.to_base_units().magnitude), obj.target_dims)
    return InputFact(
        name_of(obj), "Poisson input",
        f"{obj.N} Poisson inputs per neuron at {quantity_text(obj._rate, _HERTZ)}, each spike "
        f"adds {weight_text} to ${latex_name(obj.target_var)}$ of {name_of(obj.target)}")


def _operation_input(op: Any, name_of: _Namer) -> InputFact:
    """A ``network_operation``: Python code run between steps (it usually sets inputs)."""
    function = getattr(op.function, "__name__", "function")
    every = quantity_text(op.dt_, _SECOND) if op._dt is not None else "time step"
    slot = "before" if op.when == "start" else "after"
    return InputFact(name_of(op), "network operation",
                     f"Python function `{function}` called every {every} ({slot} the step)")


def _timed_arrays(objects: Sequence[Any], namespace: Mapping[str, Any]
                  ) -> list[tuple[str, Any, list[str]]]:
    """The TimedArrays called by the objects' models: (name, array, users)."""
    from ..timedarray import TimedArray

    found: dict[int, tuple[str, Any, list[str]]] = {}
    for obj in objects:
        code = model_code(obj)
        names = set(code.identifiers()[1]) if code is not None else set()
        rates = getattr(obj, "rates_expression", None)
        if rates is not None:
            names |= set(rates.function_names)
        ns = _namespace_of(obj, namespace)
        for name in sorted(names):
            value = ns.get(name, namespace.get(name))
            if isinstance(value, TimedArray):
                found.setdefault(id(value), (name, value, []))[2].append(obj)
    return list(found.values())


def _timed_array_input(name: str, array: Any, users: Sequence[Any], name_of: _Namer
                       ) -> InputFact:
    from ..equations import parse_expression
    from .typeset import expression_latex

    values = array.values_si
    call = f"{name}(t)" if values.ndim == 1 else f"{name}(t, i)"
    shape = (f"{values.shape[0]} values" if values.ndim == 1 else
             f"{values.shape[0]} × {values.shape[1]} values (time × neuron)")
    text = (f"{shape}, one every {quantity_text(array.dt_, _SECOND)}: "
            f"{values_summary(values, array.dims)}; called as "
            f"${expression_latex(parse_expression(call))}$ by "
            + ", ".join(dict.fromkeys(name_of(u) for u in users)))
    return InputFact(name, "time-varying values (TimedArray)", text)


def _parameter_table(obj: Any, fact: ModelFact, name_of: _Namer, synaptic: bool
                     ) -> ParameterTable:
    rows: list[tuple[str, str]] = []
    model = getattr(obj, "model", None)
    variables = getattr(model, "variables", {})
    code = model_code(obj)
    evolving = code.assigned() if code is not None else frozenset()
    for name, variable in variables.items():
        if variable.kind.value == "parameter":
            rows.append((f"${latex_name(name, synaptic)}$",
                         group_value(obj, name, variable.dims, synaptic, name in evolving)))
    for name, variable in variables.items():
        if variable.kind.value == "differential equation":
            rows.append((f"${latex_name(name, synaptic)}$ (initial)",
                         group_value(obj, name, variable.dims, synaptic, True)))
    rows += [(row.name, row.value) for row in fact.parameters if "external" in row.locality]
    return ParameterTable(name_of(obj), fact.name, tuple(rows))


# -- reproducibility -------------------------------------------------------------------

def model_hash(codes: Sequence[ModelCode], extra: Sequence[str] = ()) -> str:
    """sha256 of the canonical text of every model's equations and code."""
    text = "\n\n".join([c.canonical_text() for c in codes] + list(extra))
    return hashlib.sha256(text.encode()).hexdigest()


# -- connectivity, protocol, hashes ------------------------------------------------------

def weight_values(s: Any, namespace: Mapping[str, Any]
                  ) -> tuple[Any, Dimensions | None, str, str]:
    """The weight of a projection, one value per synapse in SI (or ``None``), its
    dimensions, its name and the variable it is added to.

    The weight is what the first pathway statement onto the target adds (as in
    :func:`_weights`): a synaptic variable's values, or a constant.
    """
    import numpy as np

    code = model_code(s)
    for _, _, statements in code.pathways if code else ():
        for statement in statements:
            if _is_synaptic(statement.target, s):
                continue
            target = statement.target
            names = sorted(n for n in statement.expression.names if _is_synaptic(n, s))
            if names:
                spec = getattr(s, "specs", {}).get(names[0])
                array = getattr(s, "arrays", {}).get(names[0])
                if array is not None:
                    return (np.asarray(array, dtype=float), spec.dims if spec else None,
                            names[0], target)
                continue
            if statement.expression.function_names:
                continue
            try:
                value = evaluate_quantity(str(statement.expression), namespace)
                return (np.full(int(s.N), float(to_si(value))), dimensions_of(value),
                        str(statement.expression), target)
            except (JnsimError, TypeError, ValueError, ZeroDivisionError, AttributeError):
                continue
    return None, None, "weight", ""


def _connectivity(s: Any, name_of: _Namer, namespace: Mapping[str, Any]
                  ) -> ProjectionStatistics:
    values, dims, label, target = weight_values(s, _namespace_of(s, namespace))
    populations = (name_of(s.source_group), name_of(s.target_group))
    return projection_statistics(name_of(s), name_of(s.source), name_of(s.target),
                                 populations, s, values, dims, label, target)


def _run_facts(runs: Sequence[Any]) -> list[RunFact]:
    return [RunFact(r.network, r.start, r.duration, r.requested, r.dt, r.steps,
                    r.wall_seconds) for r in runs]


def _run_numbers(users: Sequence[Any], runs: Sequence[Any]) -> str:
    """The runs (numbered from 1) that simulated any of ``users``: ``all``, ``2, 4``,
    ``none``."""
    numbers = [k + 1 for k, r in enumerate(runs) if any(r.simulated(u) for u in users)]
    if not runs:
        return "not run yet"
    if numbers == list(range(1, len(runs) + 1)):
        return "all" if len(runs) > 1 else "1"
    return ", ".join(map(str, numbers)) or "none"


def _times(seconds: Sequence[float]) -> str:
    return ", ".join(quantity_text(float(t), _SECOND) for t in seconds)


def _spikes_per_run(times: Any, runs: Sequence[Any]) -> str:
    import numpy as np

    counts = [int(np.count_nonzero((times >= r.start) & (times < r.start + r.duration)))
              for r in runs]
    if not runs:
        return ""
    return "; in run " + ", ".join(f"{k + 1}: {c}" for k, c in enumerate(counts))


def _schedule(obj: Any, kind: str, runs: Sequence[Any], name_of: _Namer) -> str:
    import numpy as np

    if kind == "SpikeGeneratorGroup":
        times = np.asarray(obj._times, dtype=float)
        if times.size == 0:
            return "no spikes"
        text = (f"{times.size} spikes from {quantity_text(float(times.min()), _SECOND)} "
                f"to {quantity_text(float(times.max()), _SECOND)}")
        if times.size <= 6:
            text = f"{times.size} spikes at " + _times(np.sort(times))
        period = float(obj._period or 0.0)
        if period:
            return text + f", repeated every {quantity_text(period, _SECOND)}"
        return text + _spikes_per_run(times, runs)
    if kind == "PoissonGroup":
        expression = getattr(obj, "rates_expression", None)
        if expression is not None:
            from .typeset import expression_latex

            return f"rate ${expression_latex(expression)}$, evaluated every time step"
        return f"constant rate {group_value(obj, 'rates', _HERTZ, False)} while it runs"
    if kind == "PoissonInput":
        return (f"{obj.N} inputs at a constant {quantity_text(obj._rate, _HERTZ)} while "
                f"{name_of(obj.target)} runs")
    every = quantity_text(obj.dt_, _SECOND) if getattr(obj, "_dt", None) is not None \
        else "time step"
    return f"Python code every {every}"


def _timed_array_schedule(array: Any) -> str:
    values = array.values_si
    steps = values.shape[0]
    end = steps * array.dt_
    if values.ndim == 1 and steps <= 6:
        listed = ", ".join(quantity_text(float(v), array.dims) for v in values)
        text = f"{listed}, one every {quantity_text(array.dt_, _SECOND)}"
    else:
        text = (f"{steps} values, one every {quantity_text(array.dt_, _SECOND)}: "
                f"{values_summary(values, array.dims)}")
    return (f"{text}, from 0 ms to {quantity_text(end, _SECOND)}; the last value holds "
            "after that")


def _stimuli(objects: Sequence[Any], timed: Sequence[tuple[str, Any, list[Any]]],
             name_of: _Namer, runs: Sequence[Any]) -> list[StimulusFact]:
    result = []
    for obj in objects:
        kind = type(obj).__name__
        if _kind(obj) in ("source", "input", "operation"):
            label = "network operation" if kind == "NetworkOperation" else kind
            result.append(StimulusFact(name_of(obj), label, _schedule(obj, kind, runs, name_of),
                                       _run_numbers([obj], runs)))
    for name, array, users in timed:
        result.append(StimulusFact(name, "TimedArray", _timed_array_schedule(array),
                                   _run_numbers(users, runs)))
    return result


def _constants(objects: Sequence[Any], namespace: Mapping[str, Any]
               ) -> list[tuple[str, float, str]]:
    """``(name, SI value, dimensions)`` of the external constants the models use."""
    found: dict[str, tuple[str, float, str]] = {}
    for obj in objects:
        code = model_code(obj)
        names = set(code.identifiers()[0]) - set(code.variables) if code is not None else set()
        rates = getattr(obj, "rates_expression", None)
        if rates is not None:
            names |= set(rates.names)
        ns = _namespace_of(obj, namespace)
        for name in sorted(names):
            constant = resolve_constant(name, ns)
            if constant is not None:
                try:
                    value = float(constant.value)
                except (TypeError, ValueError):
                    continue
                found.setdefault(name, (name, value, str(constant.dims)))
    return list(found.values())


def _network_hash(objects: Sequence[Any], model_text: str, dts: Sequence[float],
                  timed: Sequence[tuple[str, Any, list[Any]]], name_of: _Namer,
                  namespace: Mapping[str, Any], runs: Sequence[Any]) -> str:
    from ..protocol import initial_state_of

    states = []
    for obj in objects:
        if _kind(obj) in ("neurons", "source", "synapses", "input"):
            states.append((name_of(obj), type(obj).__name__,
                           object_state(obj, initial_state_of(obj, runs))))
    for name, array, _ in timed:
        states.append((name, "TimedArray", {"values": array.values_si, "dt": array.dt_}))
    return network_hash(model_text, min(dts), _constants(objects, namespace), states)


# -- everything -------------------------------------------------------------------------

def gather(objects: Sequence[Any], namespace: Mapping[str, Any], title: str | None = None,
           author: str | None = None, date: str | None = None,
           gather_subprojections: bool = False) -> ReportFacts:
    """Collect the facts of a report about ``objects``.

    Parameters
    ----------
    objects
        The network's objects (contained objects are added).
    namespace
        Where external constants and model definitions are looked up, and the
        variable names of objects with automatic names.
    title, author, date
        For the front matter.
    gather_subprojections
        Merge projections between the same populations into one row.
    """
    from ..clock import defaultclock
    from ..protocol import runs_of
    from ..random import last_seed

    objects = expand(objects)
    name_of = _Namer(object_labels(namespace))
    runs = runs_of(objects)
    neuron_models, neuron_type, neuron_codes = _group_models(
        [o for o in objects if _kind(o) == "neurons"], "neuron", name_of, namespace)
    synapse_models, synapse_type, synapse_codes = _group_models(
        [o for o in objects if _kind(o) == "synapses"], "synapse", name_of, namespace)
    populations = [PopulationFact(name_of(o), int(o.N),
                                  neuron_type.get(id(o)) or _source_type(o))
                   for o in objects if _kind(o) in ("neurons", "source")]
    synapses = [o for o in objects if _kind(o) == "synapses"]
    projections = [_projection(s, name_of, synapse_type.get(id(s), "—"), namespace)
                   for s in synapses]
    if gather_subprojections:
        projections = _merge(projections, [s.source for s in synapses],
                             [s.target for s in synapses], name_of)
    monitors = [_monitor(o, name_of) for o in objects if _kind(o) == "monitor"]
    inputs = [_input(o, name_of) for o in objects if _kind(o) in ("source", "input")]
    timed = _timed_arrays(objects, namespace)
    inputs += [_timed_array_input(*found, name_of) for found in timed]
    inputs += [_operation_input(o, name_of) for o in objects if _kind(o) == "operation"]
    facts_by_name = {f.name: f for f in neuron_models + synapse_models}
    population_parameters = [
        _parameter_table(o, facts_by_name[neuron_type[id(o)]], name_of, False)
        for o in objects if id(o) in neuron_type]
    projection_parameters = [
        _parameter_table(s, facts_by_name[synapse_type[id(s)]], name_of, True)
        for s in synapses if id(s) in synapse_type]
    sources = [f"[{type(o).__name__}] {getattr(o, 'rates_expression', '') or ''}"
               for o in objects if _kind(o) in ("source", "input")]
    # the network's time step (a network operation's dt is only how often it runs)
    dts = sorted({float(o.dt_) for o in objects if hasattr(o, "dt_") and _kind(o) in (
        "neurons", "source", "synapses", "monitor", "input")} or {defaultclock.dt_})
    codes = list(neuron_codes.values()) + list(synapse_codes.values())
    model_text = "\n\n".join([c.canonical_text() for c in codes] + sources + [
        f"[monitor] {m}" for m in monitors])
    provenance = collect_provenance(namespace)
    return ReportFacts(
        title=title or "Model description", author=author, date=date,
        versions=provenance.versions,
        dt=", ".join(quantity_text(d, _SECOND) for d in dts), seed=last_seed(),
        model_hash=model_hash(codes, sources),
        populations=tuple(populations), projections=tuple(projections),
        monitors=tuple(monitors), inputs=tuple(inputs), neuron_models=tuple(neuron_models),
        synapse_models=tuple(synapse_models),
        population_parameters=tuple(population_parameters),
        projection_parameters=tuple(projection_parameters),
        connectivity=tuple(_connectivity(s, name_of, namespace) for s in synapses),
        runs=tuple(_run_facts(runs)), stimuli=tuple(_stimuli(objects, timed, name_of, runs)),
        network_hash=_network_hash(objects, model_text, dts, timed, name_of, namespace, runs),
        data_checksums=tuple(data_checksums(
            [(name_of(o), o) for o in objects if _kind(o) == "monitor"], recorded_arrays)),
        provenance=provenance)

