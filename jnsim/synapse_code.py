"""The code of synapses: pathways, event-driven updates, summed variables, clock-driven ODEs.

Spike propagation keeps, per pathway, a ring buffer of the spikes of the last
``max_delay + 1`` steps.  Synapses are indexed by their source neuron (a CSR
layout: ``ptr[k]:ptr[k+1]`` are the synapses of neuron ``k``).  With one
delay for all synapses a step processes the spikes of exactly ``delay`` steps
ago; with per-synapse delays the synapses of each neuron are sorted by delay
and each past spike finds the synapses whose delay equals its age by binary
search.  Event-driven variables are advanced exactly over the time since
``lastupdate`` when an event reaches their synapse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy

from .analysis import analyse, check_code
from .codegen.blocks import FunctionBuilder, Operation, external_values, render_statements
from .codegen.parallel import loop_is_element_wise, parallel_pathway
from .dimensions import NameInfo
from .equations import EquationKind, Statement, parse_statements
from .errors import EquationError, JnsimError
from .groups import event_arrays
from .held_inputs import check_held, held_functions, integrate_holding
from .integration import integrate
from .linked_subexpressions import bind_computed_link, computed_link_externals
from .namespace import ExternalConstant
from .neuron_code import _every, check_shared_writes, ode_system, statements_to_sympy
from .sympy_conversion import symbol

if TYPE_CHECKING:
    from .synapses import Synapses

__all__ = ["Pathway", "SynapseCode"]

#: The loop over the target ranges of a multi-threaded pathway (jnsim.codegen.parallel).
_SPIKE_LOOP = "        for _c in numba.prange(_threads):"


@dataclass(frozen=True)
class Pathway:
    """One kind of synaptic event.

    Attributes
    ----------
    name
        ``'pre'``, ``'post'`` or a custom name.
    triggered_by
        ``'source'`` (pre-synaptic spikes) or ``'target'`` (post-synaptic spikes).
    statements
        The code run for each synapse the event reaches.
    event
        The event of the triggering group: ``'spike'`` or a custom event.
    temporaries
        The temporary variables of the code (locals of the loop over synapses).
    """

    name: str
    triggered_by: str
    statements: tuple[Statement, ...]
    event: str = "spike"
    temporaries: frozenset[str] = frozenset()


@dataclass
class SynapseFunction:
    """Builds a function over synapses, loading synaptic, pre- and post-synaptic values."""

    builder: FunctionBuilder
    synapses: Synapses
    externals: Mapping[str, Any]
    scalars: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.builder.register_timed_arrays(self.externals, self.synapses.code_id)

    def bind(self, names: Iterable[str]) -> tuple[list[str], list[str]]:
        """Declare parameters; returns (per-step lines, per-synapse loads)."""
        s = self.synapses
        sid, b = s.code_id, self.builder
        per_step: list[str] = []
        per_element: list[str] = []
        computed = s.computed_links()
        names = set(names)
        for name in names & set(computed):
            names |= computed[name].specials
        for name in sorted(names):
            if name in computed:
                bind_computed_link(computed[name], b, sid, self.scalars, per_step,
                                   per_element)
            elif name == "t":
                b.parameter("t", "t")
                self.scalars.add(name)
            elif name == "dt":
                b.parameter("dt", f"{sid}__dt")
                self.scalars.add(name)
            elif name in ("N", "N_pre", "N_post"):
                b.parameter(name, f"{sid}__{name}")
                self.scalars.add(name)
            elif name in ("N_incoming", "N_outgoing"):
                local = b.parameter(f"_a_{name}", f"{sid}__{name}")
                index = "_post - _tgt_start" if name == "N_incoming" else "_pre - _src_start"
                per_element.append(f"{name} = {local}[{index}]")
            elif name == "i":
                per_element.append("i = _pre - _src_start")
            elif name == "j":
                per_element.append("j = _post - _tgt_start")
            elif name in s.arrays:
                self._array(name, f"{sid}__{name}", "_idx", s.specs[name].shared,
                            per_step, per_element)
            elif name.startswith("_randn_"):
                per_element.append(f"{name} = _randn(_rng)")
            elif self._other_group(name) is not None:
                group, base, index = self._other_group(name)  # type: ignore[misc]
                self._array(name, f"{group.code_id}__{base}", index, group.specs[base].shared,
                            per_step, per_element)
            elif name in self.externals and isinstance(self.externals[name], ExternalConstant):
                b.parameter(name, f"{sid}__{name}")
                self.scalars.add(name)
        return per_step, per_element

    def _other_group(self, name: str) -> tuple[Any, str, str] | None:
        s = self.synapses
        found = None
        for suffix, group, index in (("_pre", s.source_group, "_pre"),
                                     ("_post", s.target_group, "_post")):
            if name.endswith(suffix) and name[: -len(suffix)] in group.specs:
                found = group, name[: -len(suffix)], index
                break
        else:
            if name in s.target_group.specs and name not in s.specs:
                found = s.target_group, name, "_post"
        if found is not None:
            found[0].check_direct_access(found[1], f"the code of {s.name} uses")
        return found

    def _array(self, name: str, key: str, index: str, shared: bool, per_step: list[str],
               per_element: list[str]) -> None:
        local = self.builder.parameter(f"_a_{name}", key)
        if shared:
            per_step.append(f"{name} = {local}[0]")
            self.scalars.add(name)
        else:
            per_element.append(f"{name} = {local}[{index}]")

    def store(self, names: Iterable[str], indent: int) -> None:
        """Write back assigned values (synaptic, pre- or post-synaptic)."""
        s = self.synapses
        for name in dict.fromkeys(names):
            if name in s.links and s.links[name].subexpression:
                continue  # read-only
            if name in s.arrays and not s.specs[name].shared:
                self.builder.add(f"_a_{name}[_idx] = {name}", indent=indent)
            elif name in s.arrays:
                self.builder.add(f"_a_{name}[0] = {name}", indent=indent)
            else:
                other = self._other_group(name)
                if other is not None:
                    group, base, index = other
                    target = "0" if group.specs[base].shared else index
                    self.builder.add(f"_a_{name}[{target}] = {name}", indent=indent)

    def indices(self) -> None:
        """Declare the synapse index arrays and offsets."""
        sid, b = self.synapses.code_id, self.builder
        b.parameter("_syn_i", f"{sid}__synapse_i")
        b.parameter("_syn_j", f"{sid}__synapse_j")
        b.parameter("_src_start", f"{sid}__src_start")
        b.parameter("_tgt_start", f"{sid}__tgt_start")


def _index_lines(per_element: list[str], statements: Iterable[tuple[str, sympy.Expr]],
                 always: tuple[str, ...] = ()) -> list[str]:
    """Lines computing ``_pre``/``_post`` for a synapse, only where they are used."""
    text = "\n".join(per_element)
    targets = {t for t, _ in statements}
    lines = []
    for local, line in (("_pre", "_pre = _syn_i[_idx] + _src_start"),
                        ("_post", "_post = _syn_j[_idx] + _tgt_start")):
        used = f"[{local}]" in text or f"{local} -" in text or local in always
        if used or any(_stores_into(t, local) for t in targets):
            lines.append(line)
    return lines


def _stores_into(target: str, local: str) -> bool:
    return (local == "_post" and target.endswith("_post")) or (
        local == "_pre" and target.endswith("_pre"))


def _names(statements: Iterable[tuple[str, sympy.Expr]]) -> set[str]:
    names: set[str] = set()
    for target, expression in statements:
        names.add(target)
        names |= {s.name for s in expression.free_symbols}
    return names


class SynapseCode:
    """The code blocks of a :class:`~jnsim.synapses.Synapses`, checked at creation."""

    def __init__(self, synapses: Synapses, on_pre: Any, on_post: Any, method: Any) -> None:
        self.synapses = synapses
        model = synapses.model
        assert model is not None
        self.sorted_by_pre = True
        self._csr: dict[str, Any] | None = None
        self._fan_counts_cache: dict[str, np.ndarray] | None = None
        self._queues: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.event_driven = tuple(n for n, v in model.variables.items()
                                  if "event-driven" in v.flags)
        self.clock_driven = tuple(n for n in model.names_of(EquationKind.DIFFERENTIAL)
                                  if n not in self.event_driven)
        #: TimedArrays constant during a step, integrated as constants (jnsim.held_inputs)
        self.held = held_functions(model.externals, synapses.dt_)
        self.state_update = integrate_holding(ode_system(model, self.clock_driven), self.held,
                                              method)
        self.event_updates = {
            name: integrate(ode_system(model, (name,)), "exact") for name in self.event_driven}
        self.summed = tuple(n for n, v in model.variables.items() if "summed" in v.flags)
        self._check_summed_targets()
        self.pathways: dict[str, Pathway] = {}
        for code, triggered_by, default in ((on_pre, "source", "pre"),
                                            (on_post, "target", "post")):
            if code is None:
                continue
            items = code.items() if isinstance(code, Mapping) else [(default, code)]
            for name, text in items:
                if name in self.pathways:
                    raise JnsimError(f"the pathway '{name}' is defined twice")
                statements = parse_statements(str(text))
                temporaries = check_code(
                    model, statements, what=f"on_{default} code", writable=self.writable(),
                    namespace=synapses.namespace,
                    caller_ns=synapses._creation_namespace()).temporaries
                check_shared_writes(
                    statements, f"on_{default} code", self.shared_names(),
                    hint=f"on_{default} code runs for single synapses, but a shared variable "
                         "has one value for the whole group (as in Brian, it cannot be "
                         "assigned here): declare it without the flag (shared)")
                self.pathways[name] = Pathway(name, triggered_by, statements,
                                              temporaries=temporaries)

    def summed_target(self, name: str) -> tuple[Any, str, int, int]:
        """Where the summed variable ``name`` writes: (group, variable, start, stop)."""
        s = self.synapses
        if name.endswith("_post"):
            return s.target_group, name.removesuffix("_post"), s.target_start, s.target_stop
        return s.source_group, name.removesuffix("_pre"), s.source_start, s.source_stop

    def _check_summed_targets(self) -> None:
        s = self.synapses
        for name in self.summed:
            group, variable, _, _ = self.summed_target(name)
            spec = group.specs[variable]
            equation = s.equations[name]
            if spec.read_only:
                raise EquationError(f"the summed variable '{name}' cannot write '{variable}' of "
                                    f"{group.name}: it is maintained by jnsim",
                                    equation.name_span(),
                                    f"sum into a parameter of {group.name}, e.g. "
                                    f"'{variable}_syn : <unit>'")
            if spec.shared:
                raise EquationError(f"the summed variable '{name}' cannot write the shared "
                                    f"variable '{variable}' of {group.name}",
                                    equation.name_span(),
                                    "a summed variable has one value per neuron: declare the "
                                    "target without the flag (shared)")

    def set_events(self, on_event: str | Mapping[str, str]) -> None:
        """Trigger pathways by an event other than ``'spike'`` (``on_event=``).

        A name applies to every pathway; a dictionary maps pathway names to events
        (pathways not named keep ``'spike'``).
        """
        s = self.synapses
        chosen = (dict.fromkeys(self.pathways, on_event) if isinstance(on_event, str)
                  else dict(on_event))
        for name, event in chosen.items():
            if name not in self.pathways:
                known = ", ".join(repr(p) for p in self.pathways) or "none"
                raise JnsimError(f"on_event names the pathway {name!r}, which {s.name} lacks",
                                 hint=f"its pathways: {known}")
            pathway = self.pathways[name]
            group = s.source_group if pathway.triggered_by == "source" else s.target_group
            event_arrays(group, event)  # raises a clear error for an unknown event
            self.pathways[name] = replace(pathway, event=event)

    def shared_names(self) -> set[str]:
        """Shared variables pathway code could name: synaptic, pre- and post-synaptic."""
        s = self.synapses
        names = {n for n, spec in s.specs.items() if spec.shared}
        for suffix, group in (("_pre", s.source_group), ("_post", s.target_group)):
            for name, spec in group.specs.items():
                if spec.shared:
                    names.add(f"{name}{suffix}")
                    if suffix == "_post" and name not in s.specs:
                        names.add(name)
        return names

    def writable(self) -> dict[str, NameInfo]:
        """What pathway code may assign: synaptic variables, and pre/post variables."""
        s = self.synapses
        model = s.model
        assert model is not None
        result = {name: NameInfo(v.dims, v.dtype) for name, v in model.variables.items()
                  if v.kind is not EquationKind.SUBEXPRESSION and "constant" not in v.flags}
        for suffix, group in (("_pre", s.source_group), ("_post", s.target_group)):
            for name, spec in group.specs.items():
                if not spec.read_only:
                    result[f"{name}{suffix}"] = NameInfo(spec.dims, spec.dtype)
                    if suffix == "_post" and name not in result:
                        result[name] = NameInfo(spec.dims, spec.dtype)
        return result

    # -- connectivity ----------------------------------------------------------------
    def connectivity_changed(self) -> None:
        """Forget the CSR layout and fan counts (rebuilt at the next run)."""
        self._csr = None
        self._fan_counts_cache = None

    def fan_counts(self) -> dict[str, np.ndarray]:
        """``{'N_incoming': per target, 'N_outgoing': per source}``, kept until the
        connectivity changes."""
        s = self.synapses
        if self._fan_counts_cache is None:
            self._fan_counts_cache = {
                "N_incoming": np.bincount(
                    s.j_array, minlength=s.target_stop - s.target_start).astype(np.int64),
                "N_outgoing": np.bincount(
                    s.i_array, minlength=s.source_stop - s.source_start).astype(np.int64)}
        return self._fan_counts_cache

    def _layout(self, pathway: Pathway, base_dt: float) -> dict[str, Any]:
        """CSR arrays of a pathway, and its delays in steps."""
        s = self.synapses
        if self._csr is None:
            self._csr = {}
        key = pathway.name
        heterogeneous = f"delay_{pathway.name}" in s.arrays
        shared_steps = round(s._shared_delay.get(pathway.name, 0.0) / base_dt)
        cached = self._csr.get(key)
        if heterogeneous:
            steps = np.rint(s.arrays[f"delay_{pathway.name}"] / base_dt).astype(np.int64)
            if (cached is not None and cached["heterogeneous"]
                    and np.array_equal(cached["steps"], steps)):
                return cached
        else:  # one delay for all synapses
            if (cached is not None and not cached["heterogeneous"]
                    and cached["shared_steps"] == shared_steps):
                return cached
            steps = np.full(s.N, shared_steps, dtype=np.int64)
        if pathway.triggered_by == "source":
            owner, size = s.i_array, s.source_stop - s.source_start
        else:
            owner, size = s.j_array, s.target_stop - s.target_start
        if heterogeneous:
            order = np.lexsort((steps, owner)).astype(np.int64)
        elif pathway.triggered_by == "source" and self.sorted_by_pre:
            order = None
        else:
            order = np.argsort(owner, kind="stable").astype(np.int64)
        counts = np.bincount(owner, minlength=size) if len(owner) else np.zeros(size, np.int64)
        pointers = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(counts, out=pointers[1:])
        layout = {"ptr": pointers, "order": order, "heterogeneous": heterogeneous,
                  "steps": steps, "shared_steps": shared_steps,
                  "sorted_steps": steps[order] if heterogeneous and order is not None else steps,
                  "max_steps": int(steps.max()) if heterogeneous and len(steps) else shared_steps,
                  "sources": size}
        self._csr[key] = layout
        return layout

    def _targets_sorted(self, pathway: Pathway, layout: dict[str, Any]) -> bool:
        """Whether the synapses of each source's row are in increasing target order (a
        multi-threaded kernel then finds a thread's synapses in a row by binary
        search); cached with the layout."""
        if "targets_sorted" not in layout:
            s = self.synapses
            targets = s.j_array if layout["order"] is None else s.j_array[layout["order"]]
            steps = np.diff(targets)
            row_starts = layout["ptr"][1:-1]
            within = np.ones(len(steps), dtype=bool)
            within[row_starts[(row_starts > 0) & (row_starts <= len(steps))] - 1] = False
            layout["targets_sorted"] = (pathway.triggered_by == "source"
                                        and bool(np.all(steps[within] >= 0)))
        return layout["targets_sorted"]

    def _queue(self, pathway: Pathway, layout: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        shape = (layout["max_steps"] + 1, max(1, layout["sources"]))
        queue = self._queues.get(pathway.name)
        if queue is None or queue[0].shape != shape:
            queue = (np.zeros(shape, dtype=np.int64), np.zeros(shape[0], dtype=np.int64))
            self._queues[pathway.name] = queue
        return queue

    def snapshot_queues(self) -> dict[str, Any]:
        """Spikes in flight, for store/restore."""
        return {n: (q[0].copy(), q[1].copy()) for n, q in self._queues.items()}

    def restore_queues(self, state: Mapping[str, Any]) -> None:
        """Return to stored spikes in flight."""
        self._queues = {n: (q[0].copy(), q[1].copy()) for n, q in state.items()}

    # -- at run time ------------------------------------------------------------------
    def resolve(self, run_namespace: Any, caller_ns: Any) -> dict[str, Any]:
        """Resolve external names of the model and every pathway."""
        s = self.synapses
        kwargs: dict[str, Any] = {"namespace": s.namespace, "run_namespace": run_namespace,
                                  "caller_ns": caller_ns, "strict": True}
        model = analyse(s.equations, s.context, **kwargs)
        externals = dict(model.externals)
        check_held(self.held, externals, s.dt_, s.name)
        for pathway in self.pathways.values():
            checked = check_code(model, pathway.statements, what=f"on_{pathway.name} code",
                                 writable=self.writable(), **kwargs)
            externals.update(checked.externals)
        # constants that subexpressions of the connected groups read (jnsim.foreign),
        # resolved where their group resolves them
        for suffix, group in (("_pre", s.source_group), ("_post", s.target_group)):
            wanted = s.foreign[suffix].externals
            if wanted:
                resolved = group.resolve(run_namespace, caller_ns)
                externals.update({internal: resolved[name] for internal, name in wanted.items()
                                  if name in resolved})
        externals.update(computed_link_externals(s, run_namespace, caller_ns))
        return externals

    def operations(self, externals: Mapping[str, Any], base_dt: float) -> list[Operation]:
        """The operations of the synapses for a run."""
        s = self.synapses
        every = _every(s.dt_, base_dt, s.name)
        operations = []
        if self.state_update.statements or self._constant_over_dt():
            operations.append(self._state_update_operation(externals, every))
        for name in self.summed:
            operations.append(self._summed_operation(name, externals, every))
        for pathway in self.pathways.values():
            operations.append(self._pathway_operation(pathway, externals, base_dt))
        return operations

    def argument_values(self, externals: Mapping[str, Any], base_dt: float) -> dict[str, Any]:
        """Values of the driver keys of the operations."""
        s = self.synapses
        sid = s.code_id
        values = synapse_values(s)
        for pathway in self.pathways.values():
            spiking = s.source_group if pathway.triggered_by == "source" else s.target_group
            stem, buffer, count = event_arrays(spiking, pathway.event)
            values[f"{spiking.code_id}__{stem}"] = buffer
            values[f"{spiking.code_id}__n{stem}"] = count
            layout = self._layout(pathway, base_dt)
            ring, counts = self._queue(pathway, layout)
            prefix = f"{sid}__{pathway.name}"
            values[f"{prefix}_ptr"] = layout["ptr"]
            values[f"{prefix}_order"] = (layout["order"] if layout["order"] is not None
                                         else np.zeros(1, np.int64))
            values[f"{prefix}_ring"] = ring
            values[f"{prefix}_ring_count"] = counts
            values[f"{prefix}_delay_steps"] = np.int64(layout["shared_steps"])
            values[f"{prefix}_sorted_steps"] = layout["sorted_steps"]
            values[f"{prefix}_tsorted"] = np.bool_(self._targets_sorted(pathway, layout))
        values.update(external_values(externals, sid))
        values.update(s.link_values())
        return values

    def _function(self, name: str, externals: Mapping[str, Any]) -> SynapseFunction:
        s = self.synapses
        return SynapseFunction(FunctionBuilder(f"{s.code_id}_{s.slug}_{name}"), s, externals)

    def _state_update_operation(self, externals: Mapping[str, Any], every: int) -> Operation:
        s = self.synapses
        function = self._function("state_update", externals)
        b = function.builder
        function.indices()
        b.parameter("N", f"{s.code_id}__N")
        # "constant over dt" subexpressions: computed at the start of the step and stored
        # (shared ones once, before the loop)
        once = [(n, e) for n, e in self._constant_over_dt() if s.specs[n].shared]
        statements = [(n, e) for n, e in self._constant_over_dt() if not s.specs[n].shared]
        statements += list(self.state_update.statements)
        per_step, per_element = function.bind(_names(statements + once))
        b.add(*per_step)
        if once:
            render_statements(b, once, function.scalars, indent=1, loop_indent=-1)
            b.add(*(f"_a_{n}[0] = {n}" for n, _ in once))
        b.add("for _idx in range(N):")
        b.add(*_index_lines(per_element, statements), *per_element, indent=2)
        render_statements(b, statements, function.scalars, indent=2, loop_indent=1)
        function.store([t for t, _ in statements], indent=2)
        return b.operation("groups", s.creation_index, s.code_id, every)

    def _constant_over_dt(self) -> list[tuple[str, sympy.Expr]]:
        """The "constant over dt" subexpressions with their (inlined) expressions."""
        model = self.synapses.model
        assert model is not None
        return [(n, model.inline_subexpressions(model.expressions[n]))
                for n in model.names_of(EquationKind.SUBEXPRESSION)
                if "constant over dt" in model.variables[n].flags]

    def _summed_operation(self, name: str, externals: Mapping[str, Any], every: int
                          ) -> Operation:
        s = self.synapses
        model = s.model
        assert model is not None
        group, target, _, _ = self.summed_target(name)
        into_post = name.endswith("_post")
        function = self._function(f"summed_{target}", externals)
        b = function.builder
        function.indices()
        b.parameter("N", f"{s.code_id}__N")
        b.parameter("_target", f"{group.code_id}__{target}")
        b.parameter("_first", f"{s.code_id}__{'tgt' if into_post else 'src'}_start")
        b.parameter("_last", f"{s.code_id}__{'tgt' if into_post else 'src'}_stop")
        value = model.inline_subexpressions(model.expressions[name])
        statements = [("_value", value)]
        per_step, per_element = function.bind(_names(statements) - {"_value"})
        b.add("for _n in range(_first, _last):", "    _target[_n] = 0.0")
        b.add(*per_step)
        b.add("for _idx in range(N):")
        b.add("_pre = _syn_i[_idx] + _src_start", "_post = _syn_j[_idx] + _tgt_start",
              *per_element, indent=2)
        render_statements(b, statements, function.scalars, indent=2, loop_indent=1)
        b.add(f"_target[{'_post' if into_post else '_pre'}] += _value", indent=2)
        return b.operation("groups", -1.0 + s.creation_index * 1e-6, s.code_id, every)

    def _event_statements(self) -> list[tuple[str, sympy.Expr]]:
        """Exact updates of event-driven variables over the time since ``lastupdate``."""
        if not self.event_driven:
            return []
        statements: list[tuple[str, sympy.Expr]] = [
            ("_elapsed", symbol("t") - symbol("lastupdate"))]
        for name in self.event_driven:
            for target, expression in self.event_updates[name].statements:
                statements.append((target, expression.xreplace({symbol("dt"): symbol(
                    "_elapsed")})))
        return statements

    def _pathway_operation(self, pathway: Pathway, externals: Mapping[str, Any],
                           base_dt: float) -> Operation:
        s = self.synapses
        model = s.model
        assert model is not None
        layout = self._layout(pathway, base_dt)
        function = self._function(pathway.name, externals)
        b = function.builder
        function.indices()
        spiking = s.source_group if pathway.triggered_by == "source" else s.target_group
        prefix = f"{s.code_id}__{pathway.name}"
        first = "_src_start" if pathway.triggered_by == "source" else "_tgt_start"
        b.parameter("_step", "_step")
        stem = event_arrays(spiking, pathway.event)[0]
        b.parameter("_spikes", f"{spiking.code_id}__{stem}")
        b.parameter("_nspikes", f"{spiking.code_id}__n{stem}")
        b.parameter("_last", f"{s.code_id}__{'src' if first == '_src_start' else 'tgt'}_stop")
        b.parameter("_ptr", f"{prefix}_ptr")
        b.parameter("_order", f"{prefix}_order")
        b.parameter("_ring", f"{prefix}_ring")
        b.parameter("_ring_count", f"{prefix}_ring_count")
        statements = self._event_statements() + statements_to_sympy(model, pathway.statements)
        if self.event_driven:
            statements.append(("lastupdate", symbol("t")))
        per_step, per_element = function.bind(_names(statements) - pathway.temporaries)
        b.add("_size = _ring.shape[0]", "_slot = _step % _size", "_n = 0")
        b.add("for _k in range(_nspikes[0]):")
        b.add("_neuron = _spikes[_k]", indent=2)
        b.add(f"if {first} <= _neuron < _last:", indent=2)
        b.add(f"_ring[_slot, _n] = _neuron - {first}", "_n += 1", indent=3)
        b.add("_ring_count[_slot] = _n")
        b.add(*per_step)
        synapse = "_order[_s]" if layout["order"] is not None else "_s"
        body_indent = 4
        if layout["heterogeneous"]:
            b.parameter("_sorted_steps", f"{prefix}_sorted_steps")
            b.add("for _age in range(_size):")
            b.add("_past = (_step - _age) % _size", indent=2)
            b.add("for _k in range(_ring_count[_past]):", indent=2)
            b.add("_source = _ring[_past, _k]", "_lo = _ptr[_source]", "_hi = _ptr[_source + 1]",
                  "_s = _lo + np.searchsorted(_sorted_steps[_lo:_hi], _age)", indent=3)
            b.add("while _s < _hi and _sorted_steps[_s] == _age:", indent=3)
            body_indent = 4
            loop_indent = 1
        else:
            b.parameter("_delay_steps", f"{prefix}_delay_steps")
            b.add("_past = (_step - _delay_steps) % _size")
            b.add("for _k in range(_ring_count[_past]):")
            b.add("_source = _ring[_past, _k]", indent=2)
            b.add("for _s in range(_ptr[_source], _ptr[_source + 1]):", indent=2)
            body_indent = 3
            loop_indent = 1
        b.add(f"_idx = {synapse}", *_index_lines(per_element, statements),
              *per_element, indent=body_indent)
        render_statements(b, statements, function.scalars, indent=body_indent,
                          loop_indent=loop_indent)
        function.store([t for t, _ in statements
                        if not t.startswith("_") and t not in pathway.temporaries],
                       indent=body_indent)
        if layout["heterogeneous"]:
            b.add("_s += 1", indent=body_indent)
        parallel = None
        if pathway.triggered_by == "source" and not layout["heterogeneous"]:
            parallel = parallel_pathway(b.lines)
            b.parameter("_tgt_stop", f"{s.code_id}__tgt_stop")
            b.parameter("_tsorted", f"{prefix}_tsorted")
            if parallel is not None and not loop_is_element_wise(
                    parallel, _SPIKE_LOOP, b.parameters, owned=("_idx", "_post")):
                parallel = None
        return b.operation("synapses", s.creation_index + (0.5 if pathway.triggered_by
                                                           == "target" else 0.0), s.code_id,
                           parallel=parallel)



def synapse_values(synapses: Any) -> dict[str, Any]:
    """The arrays and sizes that code reading synapses and their connected groups uses
    (the synapses' operations, and monitors recording synapses)."""
    sid = synapses.code_id
    values: dict[str, Any] = {f"{sid}__{n}": a for n, a in synapses.arrays.items()}
    values.update({
        f"{sid}__synapse_i": synapses.i_array, f"{sid}__synapse_j": synapses.j_array,
        f"{sid}__src_start": np.int64(synapses.source_start),
        f"{sid}__src_stop": np.int64(synapses.source_stop),
        f"{sid}__tgt_start": np.int64(synapses.target_start),
        f"{sid}__tgt_stop": np.int64(synapses.target_stop),
        f"{sid}__N": np.int64(synapses.N), f"{sid}__dt": float(synapses.dt_),
        f"{sid}__N_pre": np.int64(synapses.source_stop - synapses.source_start),
        f"{sid}__N_post": np.int64(synapses.target_stop - synapses.target_start),
        **{f"{sid}__{name}": counts for name, counts in synapses.code.fan_counts().items()},
    })
    for group in (synapses.source_group, synapses.target_group):
        values.update({f"{group.code_id}__{n}": a for n, a in group.arrays.items()})
    return values
