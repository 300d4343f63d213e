"""Monitors: record state variables, spikes and population rates during runs.

Recording buffers live in NumPy arrays that the generated kernel writes into.
They grow by doubling, so a long run costs amortised linear copying; a kernel
returns early when a buffer is about to overflow and Python makes room.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .analysis import check_code
from .base import JnsimObject
from .clock import time_in_seconds
from .codegen.blocks import (
    FunctionBuilder,
    Operation,
    check_slot,
    external_values,
    render_statements,
)
from .equations import EquationKind, is_noise_name, parse_expression
from .errors import JnsimError
from .groups import group_slice
from .neuron_code import ElementFunction, _every
from .sympy_conversion import symbol, to_sympy
from .units import Dimensions, quantity_from_si, registry

__all__ = ["EventMonitor", "PopulationRateMonitor", "SpikeMonitor", "StateMonitor"]

_HERTZ = Dimensions({"[time]": -1})


class _Growing:
    """A set of arrays with a row count that grow together by doubling."""

    def __init__(self, shapes: Mapping[str, tuple[tuple[int, ...], type]], capacity: int = 64
                 ) -> None:
        self.shapes = dict(shapes)
        self.count = np.zeros(1, dtype=np.int64)
        self.arrays = {name: np.zeros((capacity, *shape), dtype)
                       for name, (shape, dtype) in self.shapes.items()}

    @property
    def capacity(self) -> int:
        return next(iter(self.arrays.values())).shape[0]

    def reserve(self, rows: int) -> bool:
        """Make room for ``rows`` more rows; returns True if arrays were replaced."""
        needed = int(self.count[0]) + rows
        if needed <= self.capacity:
            return False
        capacity = max(needed, 2 * self.capacity)
        for name, array in self.arrays.items():
            grown = np.zeros((capacity, *array.shape[1:]), array.dtype)
            grown[: self.count[0]] = array[: self.count[0]]
            self.arrays[name] = grown
        return True

    def view(self, name: str) -> np.ndarray:
        return self.arrays[name][: self.count[0]]

    def snapshot(self) -> dict[str, Any]:
        return {"count": int(self.count[0]),
                **{n: a[: self.count[0]].copy() for n, a in self.arrays.items()}}

    def restore(self, state: Mapping[str, Any]) -> None:
        count = state["count"]
        self.count[0] = 0
        self.reserve(count)
        for name in self.arrays:
            self.arrays[name][:count] = state[name]
        self.count[0] = count


def _check_not_noisy(group: Any, variable: str) -> None:
    """Raise if ``variable`` is a subexpression that draws noise (it has no value)."""
    model = group.model
    if model is None or variable not in model.names_of(EquationKind.SUBEXPRESSION):
        return
    value = model.inline_subexpressions(model.expressions[variable])
    noise = sorted(s.name for s in value.free_symbols if is_noise_name(s.name))
    if noise:
        raise JnsimError(f"'{variable}' of {group.name} draws noise ('{noise[0]}'): it has no "
                         "value to record",
                         hint="record the variables it is computed from, or a subexpression "
                              "without the noise term")


class StateMonitor(JnsimObject):
    """Record variables of a group over time.

    Parameters
    ----------
    source
        The group (or subgroup, or synapses) to record from.
    variables
        A name, a list of names, or ``True`` for every state variable.
    record
        ``True`` for every element, ``False`` for none, or indices.
    dt
        Recording interval (a multiple of the network's time step); every step
        by default.
    when
        The time slot of the step to record in (``'start'`` by default: values
        at the beginning of the step).
    name
        Free-text name.

    Examples
    --------
    After a run, ``M.t`` holds the times and ``M.v`` the values with shape
    ``(len(record), len(M.t))``; ``M[3].v`` is the trace of element 3.
    """

    _name_prefix = "statemonitor"
    _dependency_verb = "records"

    def dependencies(self) -> list[Any]:
        """The group it records, which must run in the same network."""
        return [self.group]

    def __init__(self, source: Any, variables: str | Sequence[str] | bool,
                 record: bool | int | Sequence[int] | np.ndarray = True, dt: Any = None,
                 when: str = "start", name: str | None = None) -> None:
        super().__init__(name)
        self.source = source
        self.group, self.offset, stop = group_slice(source)
        size = stop - self.offset
        if variables is True:
            variables = [n for n in self.group.specs if n not in ("i",)
                         and not self.group.specs[n].read_only]
        if isinstance(variables, str):
            variables = [variables]
        self.variables = tuple(variables)
        #: Brian's name for :attr:`variables`
        self.record_variables = list(self.variables)
        if _is_synapses(self.group):
            known = set(self.group.recordable())
        else:
            known = set(self.group.specs) | set(self.group.subexpression_names())
        for variable in self.variables:
            if variable not in known:
                raise JnsimError(f"{self.group.name} has no variable '{variable}' to record",
                                 hint="recordable: " + ", ".join(sorted(known)))
            _check_not_noisy(self.group, variable)
        if record is True:
            indices = np.arange(size)
        elif record is False:
            indices = np.arange(0)
        else:
            indices = np.atleast_1d(np.asarray(record, dtype=np.int64))
            if indices.size and (indices.min() < 0 or indices.max() >= size):
                raise JnsimError(f"record indices must lie in [0, {size}), not "
                                 f"{indices.min()}..{indices.max()}")
        self.record = indices
        self._absolute = (indices + self.offset).astype(np.int64)
        self.record_dt = time_in_seconds(dt, "dt") if dt is not None else None
        self.when = check_slot(when, f"StateMonitor of {self.source.name}")
        shapes = {"t": ((), np.float64)}
        for variable in self.variables:
            shapes[variable] = ((len(indices),), self._dtype(variable))
        self.buffers = _Growing(shapes)

    def _spec(self, variable: str) -> Any:
        if _is_synapses(self.group):
            return self.group.recordable().get(variable)
        return self.group.specs.get(variable)

    def _dtype(self, variable: str) -> type:
        spec = self._spec(variable)
        return spec.numpy_type if spec is not None else np.float64

    def _dims(self, variable: str) -> Dimensions:
        spec = self._spec(variable)
        if spec is not None:
            return spec.dims
        return self.group.model.variables[variable].dims

    # -- results --------------------------------------------------------------------
    @property
    def t(self) -> Any:
        """Recording times."""
        return quantity_from_si(self.buffers.view("t").copy(), Dimensions({"[time]": 1}))

    @property
    def t_(self) -> np.ndarray:
        """Recording times in seconds."""
        return self.buffers.view("t").copy()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("buffers", "variables"):
            raise AttributeError(name)
        raw = name.endswith("_") and name[:-1] in self.variables
        variable = name[:-1] if raw else name
        if variable not in self.variables:
            raise AttributeError(f"{self.name} does not record '{name}'; it records: "
                                 + ", ".join(self.variables))
        values = self.buffers.view(variable).T.copy()
        if raw or self._dtype(variable) is not np.float64:
            return values
        return quantity_from_si(values, self._dims(variable))

    def __getitem__(self, index: Any) -> _StateMonitorView:
        """The recording of element ``index`` (an int), or of several elements (a list
        or array of indices, or a subgroup of the recorded group), as in Brian."""
        if getattr(index, "parent", None) is not None:  # a subgroup: its elements
            index = np.arange(index.start, index.stop) - self.offset
        if isinstance(index, int | np.integer):
            wanted = np.array([index])
        else:
            wanted = np.asarray(index)
            if wanted.ndim != 1 or not (wanted.size == 0 or np.issubdtype(wanted.dtype,
                                                                           np.integer)):
                raise JnsimError(f"cannot select recorded elements with {index!r}",
                                 hint="use an int or a list of ints, e.g. M[0].v or M[[0, 2]].v")
        positions = []
        for element in wanted.tolist():
            found = np.flatnonzero(self.record == element)
            if found.size == 0:
                raise JnsimError(f"{self.name} does not record element {element}",
                                 hint=f"it records {self.record.tolist()[:10]}...")
            positions.append(int(found[0]))
        if isinstance(index, int | np.integer):
            return _StateMonitorView(self, positions[0])
        return _StateMonitorView(self, np.array(positions, dtype=np.int64))

    # -- running ------------------------------------------------------------------------
    def resolve(self, run_namespace: Any, caller_ns: Any) -> dict[str, Any]:
        if _is_synapses(self.group):  # the synapses' own names, and those of their groups
            return self.group.resolve(run_namespace, caller_ns)
        from .linked_subexpressions import computed_link_externals

        externals: dict[str, Any] = computed_link_externals(self.group, run_namespace,
                                                            caller_ns)
        model = self.group.model
        subexpressions = set(self.group.subexpression_names())
        # a recorded subexpression is inlined with the subexpressions it reads: the
        # external names of all of them are the recording's (``I = int(a)``, with
        # ``a = index < limit``, reads ``limit``)
        pending = [v for v in self.variables if v in subexpressions]
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            equation = model.equations[name]
            externals.update(check_code(
                model, equation.expression, what=f"recorded '{name}'",
                namespace=self.group.namespace, run_namespace=run_namespace,
                caller_ns=caller_ns, strict=True).externals)
            pending += sorted(equation.identifiers & subexpressions - seen)
        return externals

    def _synapse_statements(self) -> list[tuple[str, Any]]:
        """What each recorded name of synapses is, in the names synapse code reads."""
        model = self.group.model
        statements = []
        for variable in self.variables:
            value = symbol(variable)
            if variable in self.group.specs:
                pass
            elif variable in model.variables and "summed" not in model.variables[
                    variable].flags:  # a synaptic subexpression
                value = model.inline_subexpressions(model.expressions[variable])
            elif value in model.foreign:  # a subexpression of a connected group
                value = model.foreign[value]
            statements.append((f"_value_{variable}", value))
        return statements

    def _synapse_operation(self, externals: Mapping[str, Any], base_dt: float) -> Operation:
        from .synapse_code import SynapseFunction, _index_lines

        group = self.group
        cid = self.code_id
        builder = FunctionBuilder(f"{cid}_{self.slug}_record")
        function = SynapseFunction(builder, group, externals)
        function.indices()
        builder.parameter("t", "t")
        builder.parameter("_count", f"{cid}__count")
        builder.parameter("_t_buffer", f"{cid}__t")
        builder.parameter("_indices", f"{cid}__indices")
        for variable in self.variables:
            builder.parameter(f"_buffer_{variable}", f"{cid}__buffer_{variable}")
        statements = self._synapse_statements()
        names = set()
        for _, value in statements:
            names |= {s.name for s in value.free_symbols}
        per_step, per_element = function.bind(names)
        builder.add("_row = _count[0]", "_t_buffer[_row] = t", *per_step)
        builder.add("for _k in range(_indices.shape[0]):")
        builder.add("_idx = _indices[_k]", *_index_lines(per_element, statements),
                    *per_element, indent=2)
        render_statements(builder, statements, function.scalars, indent=2, loop_indent=1)
        for variable in self.variables:
            builder.add(f"_buffer_{variable}[_row, _k] = _value_{variable}", indent=2)
        builder.add("_count[0] = _row + 1")
        every = _every(self.record_dt or group.dt_, base_dt, self.name)
        room = f"({cid}__t.shape[0] - {cid}__count[0]) * {every}"
        return builder.operation(self.when, 1000 + self.creation_index, cid, every, (room,))

    def operations(self, externals: Mapping[str, Any], base_dt: float) -> list[Operation]:
        group = self.group
        if _is_synapses(group):
            return [self._synapse_operation(externals, base_dt)]
        cid = self.code_id
        builder = FunctionBuilder(f"{cid}_{self.slug}_record")
        arrays = {n: spec.shared for n, spec in group.specs.items()}
        function = ElementFunction(builder, arrays, group.code_id, externals,
                                   links=_link_keys(group),
                                   computed=getattr(group, "computed_links", dict)())
        builder.parameter("t", "t")
        builder.parameter("_count", f"{cid}__count")
        builder.parameter("_t_buffer", f"{cid}__t")
        builder.parameter("_indices", f"{cid}__indices")
        statements = []
        for variable in self.variables:
            builder.parameter(f"_buffer_{variable}", f"{cid}__buffer_{variable}")
            if variable in group.subexpression_names() and variable not in group.specs:
                expression = group.model.equations[variable].expression
                value = group.model.inline_subexpressions(to_sympy(expression))
            else:  # a stored variable ("constant over dt" subexpressions too: the value used)
                value = to_sympy(parse_expression(variable))
            statements.append((f"_value_{variable}", value))
        names = set()
        for _, value in statements:
            names |= {s.name for s in value.free_symbols}
        per_step, per_element = function.bind(names)
        builder.add("_row = _count[0]", "_t_buffer[_row] = t", *per_step)
        builder.add("for _k in range(_indices.shape[0]):")
        builder.add("_idx = _indices[_k]", *per_element, indent=2)
        render_statements(builder, statements, function.scalars, indent=2, loop_indent=1)
        for variable in self.variables:
            builder.add(f"_buffer_{variable}[_row, _k] = _value_{variable}", indent=2)
        builder.add("_count[0] = _row + 1")
        every = _every(self.record_dt or group.dt_, base_dt, self.name)
        room = f"({cid}__t.shape[0] - {cid}__count[0]) * {every}"
        return [builder.operation(self.when, 1000 + self.creation_index, cid, every, (room,))]

    def argument_values(self, externals: Mapping[str, Any], base_dt: float) -> dict[str, Any]:
        cid = self.code_id
        values: dict[str, Any] = {f"{cid}__count": self.buffers.count,
                                  f"{cid}__t": self.buffers.arrays["t"],
                                  f"{cid}__indices": self._absolute}
        for variable in self.variables:
            values[f"{cid}__buffer_{variable}"] = self.buffers.arrays[variable]
        values.update(external_values(externals, self.group.code_id))
        if _is_synapses(self.group):
            values.update(_synapse_values(self.group))
        if hasattr(self.group, "link_values"):
            values.update(self.group.link_values())
        return values

    def reserve(self, steps: int, base_dt: float) -> bool:
        every = _every(self.record_dt or self.group.dt_, base_dt, self.name)
        return self.buffers.reserve(steps // every + 1)

    def snapshot(self) -> dict[str, Any]:
        return self.buffers.snapshot()

    def restore(self, state: Mapping[str, Any]) -> None:
        self.buffers.restore(state)

    def __repr__(self) -> str:
        return (f"<StateMonitor {self.name!r} recording {', '.join(self.variables)} of "
                f"{len(self.record)} elements of {self.group.name!r}>")

    def plot(self, var: str | None = None, indices: Sequence[int] | None = None,
             **options: Any) -> Any:
        """A Bokeh figure of the traces (see :func:`jnsim.plotting.trace_plot`)."""
        from .plotting import trace_plot

        return trace_plot(self, var=var, indices=indices, **options)

    def _ipython_display_(self) -> None:
        from .plotting import display_monitor

        display_monitor(self)

    def _repr_markdown_(self) -> str | None:
        from .display import monitor_markdown

        return monitor_markdown(self)


class _StateMonitorView:
    """The recording of one element: ``M[3].v``."""

    def __init__(self, monitor: StateMonitor, position: int) -> None:
        self._monitor = monitor
        self._position = position

    def __getattr__(self, name: str) -> Any:
        values = getattr(self._monitor, name)
        if name in ("t", "t_"):
            return values
        return values[self._position]


class EventMonitor(JnsimObject):
    """Record the events of a group: its spikes, or a custom event.

    Parameters
    ----------
    source
        A group (or subgroup) with the event.
    event
        The event's name: ``'spike'`` or a name given in ``NeuronGroup(events=...)``.
    variables
        Names of the group's variables whose values are recorded with each event
        (a name or a sequence of names); read them as attributes (``mon.v``).
    record
        Whether to keep every event's index and time (counts are always kept).
    name
        A name for the monitor.

    Attributes
    ----------
    i, t
        Index and time of every event (after a run).
    count
        Events per neuron.
    num_events
        Total number of events.
    """

    _name_prefix = "eventmonitor"
    _dependency_verb = "records"

    def dependencies(self) -> list[Any]:
        """The group it records, which must run in the same network."""
        return [self.group]

    def __init__(self, source: Any, event: str, variables: str | Sequence[str] | None = None,
                 record: bool = True, name: str | None = None) -> None:
        from .groups import check_event

        super().__init__(name)
        self.source = source
        self.event = event
        self.group, self.offset, self.stop = group_slice(source)
        if event == "spike" and not hasattr(self.group, "spike_buffer"):
            raise JnsimError(f"{self.group.name} does not spike",
                             hint="monitor a NeuronGroup with a threshold, or an input group")
        if event != "spike":
            check_event(self.group, event)
        self.record_spikes = bool(record)
        names = [variables] if isinstance(variables, str) else list(variables or ())
        specs = getattr(self.group, "specs", {})
        for variable in names:
            if variable not in specs or variable == "i":
                known = ", ".join(n for n in specs if n != "i") or "none"
                raise JnsimError(f"{self.group.name} has no variable '{variable}' to record",
                                 hint=f"its stored variables: {known}")
        if names and not self.record_spikes:
            raise JnsimError("recording variables needs record=True",
                             hint="the values are stored with each event's index and time")
        self.variables = tuple(names)
        shapes = {"i": ((), np.int64), "t": ((), np.float64)}
        shapes.update({f"var_{n}": ((), specs[n].numpy_type) for n in names})
        self.buffers = _Growing(shapes)
        self.counts = np.zeros(self.stop - self.offset, dtype=np.int64)

    def __getattr__(self, name: str) -> Any:
        variables = self.__dict__.get("variables", ())
        if name in variables:
            spec = self.group.specs[name]
            return quantity_from_si(self.buffers.view(f"var_{name}").copy(), spec.dims)
        if name.endswith("_") and name[:-1] in variables:
            return self.buffers.view(f"var_{name[:-1]}").copy()
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @property
    def i(self) -> np.ndarray:
        """Neuron index of every event (relative to the monitored group)."""
        return self.buffers.view("i").copy()

    @property
    def t(self) -> Any:
        """Time of every event."""
        return quantity_from_si(self.buffers.view("t").copy(), Dimensions({"[time]": 1}))

    @property
    def t_(self) -> np.ndarray:
        """Event times in seconds."""
        return self.buffers.view("t").copy()

    @property
    def it(self) -> tuple[np.ndarray, Any]:
        """``(i, t)``."""
        return self.i, self.t

    @property
    def count(self) -> np.ndarray:
        """Number of events of each neuron."""
        return self.counts.copy()

    @property
    def num_events(self) -> int:
        """Total number of events recorded."""
        return int(self.counts.sum())

    def _per_neuron(self, values: np.ndarray) -> dict[int, np.ndarray]:
        """``values`` (one per event) split by neuron, in event order."""
        indices = self.buffers.view("i")
        order = np.argsort(indices, kind="stable")
        split = np.searchsorted(indices[order], np.arange(len(self.counts) + 1))
        return {n: values[order[split[n]:split[n + 1]]] for n in range(len(self.counts))}

    def event_trains(self) -> dict[int, Any]:
        """A dictionary from neuron index to its event times (sorted)."""
        seconds = registry.second
        return {n: (times * seconds).to("ms")
                for n, times in self._per_neuron(self.buffers.view("t")).items()}

    def values(self, variable: str) -> dict[int, Any]:
        """A dictionary from neuron index to the values of ``variable`` at its events."""
        if variable not in self.variables:
            raise JnsimError(f"{self.name} does not record '{variable}'",
                             hint="record it: variables=[...] when creating the monitor; "
                                  f"recorded: {', '.join(self.variables) or 'none'}")
        dims = self.group.specs[variable].dims
        return {n: quantity_from_si(values.copy(), dims) for n, values
                in self._per_neuron(self.buffers.view(f"var_{variable}")).items()}

    def all_values(self) -> dict[str, dict[int, Any]]:
        """``{'t': event times by neuron, <variable>: values by neuron, ...}``."""
        result = {"t": self.event_trains()}
        result.update({name: self.values(name) for name in self.variables})
        return result

    # -- running ---------------------------------------------------------------------------
    def resolve(self, run_namespace: Any, caller_ns: Any) -> dict[str, Any]:
        return {}

    def _source_keys(self) -> tuple[str, str]:
        from .groups import event_arrays

        stem = event_arrays(self.group, self.event)[0]
        source = self.group.code_id
        return f"{source}__{stem}", f"{source}__n{stem}"

    def operations(self, externals: Mapping[str, Any], base_dt: float) -> list[Operation]:
        cid, source = self.code_id, self.group.code_id
        events, count = self._source_keys()
        builder = FunctionBuilder(f"{cid}_{self.slug}_record")
        for local, key in (("t", "t"), ("_spikes", events),
                           ("_nspikes", count), ("_start", f"{cid}__start"),
                           ("_stop", f"{cid}__stop"), ("_count", f"{cid}__count"),
                           ("_i_buffer", f"{cid}__i"), ("_t_buffer", f"{cid}__t"),
                           ("_counts", f"{cid}__counts")):
            builder.parameter(local, key)
        for variable in self.variables:
            if hasattr(self.group, "check_direct_access"):
                self.group.check_direct_access(variable, f"{self.name} records")
            builder.parameter(f"_a_{variable}", f"{source}__{variable}")
            builder.parameter(f"_var_{variable}", f"{cid}__var_{variable}")
        builder.add("_n = _count[0]")
        builder.add("for _k in range(_nspikes[0]):")
        builder.add("_idx = _spikes[_k]", indent=2)
        builder.add("if _start <= _idx < _stop:", indent=2)
        builder.add("_counts[_idx - _start] += 1", indent=3)
        if self.record_spikes:
            for variable in self.variables:
                element = "0" if self.group.specs[variable].shared else "_idx"
                builder.add(f"_var_{variable}[_n] = _a_{variable}[{element}]", indent=3)
            builder.add("_i_buffer[_n] = _idx - _start", "_t_buffer[_n] = t", "_n += 1",
                        indent=3)
        builder.add("_count[0] = _n")
        every = _every(self.group.dt_, base_dt, self.name)
        # every step may add up to N events
        # (no builtin max: Numba would compile it as a function of its own)
        size = f"{source}__N"
        room = f"({cid}__i.shape[0] - {cid}__count[0]) // ({size} if {size} > 1 else 1) * {every}"
        slot = "thresholds"
        if self.event != "spike":
            slot = self.group.code.event_slots[self.event]
        return [builder.operation(slot, 1000 + self.creation_index, cid, every,
                                  (room,) if self.record_spikes else ())]

    def argument_values(self, externals: Mapping[str, Any], base_dt: float) -> dict[str, Any]:
        from .groups import event_arrays

        cid = self.code_id
        events, count = self._source_keys()
        _, buffer, number = event_arrays(self.group, self.event)
        values = {f"{cid}__start": np.int64(self.offset), f"{cid}__stop": np.int64(self.stop),
                  f"{cid}__count": self.buffers.count, f"{cid}__i": self.buffers.arrays["i"],
                  f"{cid}__t": self.buffers.arrays["t"], f"{cid}__counts": self.counts,
                  f"{self.group.code_id}__N": np.int64(self.group.N),
                  events: buffer, count: number}
        for variable in self.variables:
            values[f"{self.group.code_id}__{variable}"] = self.group.arrays[variable]
            values[f"{cid}__var_{variable}"] = self.buffers.arrays[f"var_{variable}"]
        return values

    def reserve(self, steps: int, base_dt: float) -> bool:
        """Room for at least one full step of events; the kernel asks for more on demand."""
        free = self.buffers.capacity - int(self.buffers.count[0])
        if free >= self.group.N:
            return False
        return self.buffers.reserve(self.group.N + self.buffers.capacity)

    def snapshot(self) -> dict[str, Any]:
        return {"buffers": self.buffers.snapshot(), "counts": self.counts.copy()}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.buffers.restore(state["buffers"])
        self.counts[:] = state["counts"]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} of {self.group.name!r} ({self.event!r})>"


    def plot(self, **options: Any) -> Any:
        """A Bokeh raster plot (see :func:`jnsim.plotting.raster_plot`)."""
        from .plotting import raster_plot

        return raster_plot(self, **options)

    def _ipython_display_(self) -> None:
        from .plotting import display_monitor

        display_monitor(self)

    def _repr_markdown_(self) -> str | None:
        from .display import monitor_markdown

        return monitor_markdown(self)


class SpikeMonitor(EventMonitor):
    """Record the spikes of a group (an :class:`EventMonitor` of the ``'spike'`` event).

    Parameters
    ----------
    source
        A group (or subgroup) that spikes: a NeuronGroup with a threshold, or an input.
    variables
        Names of variables whose values are recorded with each spike (``mon.v``).
    record
        Whether to keep every spike's index and time (counts are always kept).
    name
        A name for the monitor.

    Attributes
    ----------
    i, t
        Index and time of every spike (after a run).
    count
        Spikes per neuron.
    num_spikes
        Total number of spikes.
    """

    _name_prefix = "spikemonitor"

    def __init__(self, source: Any, variables: str | Sequence[str] | None = None,
                 record: bool = True, name: str | None = None) -> None:
        super().__init__(source, "spike", variables=variables, record=record, name=name)

    @property
    def num_spikes(self) -> int:
        """Total number of spikes recorded."""
        return self.num_events

    def spike_trains(self) -> dict[int, Any]:
        """A dictionary from neuron index to its spike times (sorted)."""
        return self.event_trains()

    def __repr__(self) -> str:
        return f"<SpikeMonitor {self.name!r} of {self.group.name!r}>"

class PopulationRateMonitor(JnsimObject):
    """Record the instantaneous firing rate of a group at every time step."""

    _name_prefix = "ratemonitor"
    _dependency_verb = "records"

    def dependencies(self) -> list[Any]:
        """The group it records, which must run in the same network."""
        return [self.group]

    def __init__(self, source: Any, name: str | None = None) -> None:
        super().__init__(name)
        self.source = source
        self.group, self.offset, self.stop = group_slice(source)
        if not hasattr(self.group, "spike_buffer"):
            raise JnsimError(f"{self.group.name} does not spike",
                             hint="monitor a NeuronGroup with a threshold, or an input group")
        self.buffers = _Growing({"t": ((), np.float64), "rate": ((), np.float64)})

    @property
    def t(self) -> Any:
        """Recording times."""
        return quantity_from_si(self.buffers.view("t").copy(), Dimensions({"[time]": 1}))

    @property
    def rate(self) -> Any:
        """Population rate at each step (spikes per neuron per second)."""
        return quantity_from_si(self.buffers.view("rate").copy(), _HERTZ)

    def smooth_rate(self, window: Any = "gaussian", width: Any = None) -> Any:
        """The rate convolved with a normalized window, as Brian smooths it.

        Parameters
        ----------
        window
            ``'gaussian'`` (``width`` is the standard deviation; the window extends
            over two of them on each side), ``'flat'`` (``width`` is the window's
            length, made an odd number of samples), or the window itself as a 1-D
            array of odd length.
        width
            A time, for the named windows.
        """
        rate = self.buffers.view("rate")
        times = self.buffers.view("t")
        dt = times[1] - times[0] if len(times) > 1 else self.group.dt_
        if not isinstance(window, str):
            if width is not None:
                raise JnsimError("width= applies to the named windows only",
                                 hint="give either window='gaussian'/'flat' with a width, "
                                      "or the window itself as an array")
            kernel = np.asarray(window, dtype=np.float64)
            if kernel.ndim != 1 or len(kernel) % 2 != 1:
                raise JnsimError("a window must be a 1-D array with an odd number of values",
                                 hint=f"it has shape {kernel.shape}")
        else:
            if width is None:
                raise JnsimError("smooth_rate needs a window width", hint="e.g. width=5*ms")
            width_s = time_in_seconds(width, "width")
            if window == "gaussian":
                half = round(2 * width_s / dt)
                x = np.arange(-half, half + 1) * dt
                kernel = np.exp(-0.5 * (x / width_s) ** 2)
            elif window == "flat":
                kernel = np.ones(int(width_s / dt / 2 + 1e-9) * 2 + 1)
            else:
                raise JnsimError(f"unknown window '{window}'",
                                 hint="use 'gaussian' or 'flat', or give the window as an array")
        kernel = kernel / kernel.sum()
        smoothed = np.convolve(rate, kernel, mode="same")
        return quantity_from_si(smoothed, _HERTZ)

    def resolve(self, run_namespace: Any, caller_ns: Any) -> dict[str, Any]:
        return {}

    def operations(self, externals: Mapping[str, Any], base_dt: float) -> list[Operation]:
        cid, source = self.code_id, self.group.code_id
        builder = FunctionBuilder(f"{cid}_{self.slug}_record")
        for local, key in (("t", "t"), ("dt", f"{source}__dt"), ("_spikes", f"{source}__spikes"),
                           ("_nspikes", f"{source}__nspikes"), ("_start", f"{cid}__start"),
                           ("_stop", f"{cid}__stop"), ("_count", f"{cid}__count"),
                           ("_t_buffer", f"{cid}__t"), ("_rate_buffer", f"{cid}__rate")):
            builder.parameter(local, key)
        builder.add("_n = 0")
        builder.add("for _k in range(_nspikes[0]):")
        builder.add("_idx = _spikes[_k]", indent=2)
        builder.add("if _start <= _idx < _stop:", indent=2)
        builder.add("_n += 1", indent=3)
        builder.add("_row = _count[0]", "_t_buffer[_row] = t",
                    "_rate_buffer[_row] = _n / ((_stop - _start) * dt)", "_count[0] = _row + 1")
        every = _every(self.group.dt_, base_dt, self.name)
        room = f"({cid}__t.shape[0] - {cid}__count[0]) * {every}"
        return [builder.operation("end", 1000 + self.creation_index, cid, every, (room,))]

    def argument_values(self, externals: Mapping[str, Any], base_dt: float) -> dict[str, Any]:
        cid, source = self.code_id, self.group.code_id
        return {f"{cid}__start": np.int64(self.offset), f"{cid}__stop": np.int64(self.stop),
                f"{cid}__count": self.buffers.count, f"{cid}__t": self.buffers.arrays["t"],
                f"{cid}__rate": self.buffers.arrays["rate"],
                f"{source}__dt": float(self.group.dt_),
                f"{source}__spikes": self.group.spike_buffer,
                f"{source}__nspikes": self.group.spike_count}

    def reserve(self, steps: int, base_dt: float) -> bool:
        every = _every(self.group.dt_, base_dt, self.name)
        return self.buffers.reserve(steps // every + 1)

    def snapshot(self) -> dict[str, Any]:
        return self.buffers.snapshot()

    def restore(self, state: Mapping[str, Any]) -> None:
        self.buffers.restore(state)

    def __repr__(self) -> str:
        return f"<PopulationRateMonitor {self.name!r} of {self.group.name!r}>"

    def plot(self, smooth: Any = None, **options: Any) -> Any:
        """A Bokeh figure of the rate, smoothed over a ``smooth`` width if given
        (see :func:`jnsim.plotting.rate_plot`)."""
        from .plotting import rate_plot

        return rate_plot(self, smooth=smooth, **options)

    def _ipython_display_(self) -> None:
        from .plotting import display_monitor

        display_monitor(self)

    def _repr_markdown_(self) -> str | None:
        from .display import monitor_markdown

        return monitor_markdown(self)


_unused = EquationKind


def _is_synapses(group: Any) -> bool:
    return hasattr(group, "recordable") and hasattr(group, "i_array")


def _synapse_values(synapses: Any) -> dict[str, Any]:
    """The arrays that code reading synapses and their connected groups uses."""
    from .synapse_code import synapse_values

    return synapse_values(synapses)


def _link_keys(group: Any) -> dict[str, tuple[str, str | None, bool]]:
    """The linked variables of a group, for code that reads its variables."""
    return group.link_keys() if hasattr(group, "link_keys") else {}
