"""The code of a neuron group: state update, threshold, reset and regular operations.

:class:`NeuronCode` checks every code block when the group is created and,
for a run, produces the group's :class:`~jnsim.codegen.blocks.Operation` s.
Generated functions read parameters as arguments, so changing a value never
changes the source (and never recompiles).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy

from .analysis import AnalysedModel, analyse, check_code
from .clock import time_in_seconds
from .codegen.blocks import FunctionBuilder, Operation, external_values, render_statements
from .codegen.parallel import chunked_element_loop, loop_is_element_wise, parallel_threshold
from .context import ModelContext
from .dimensions import BOOLEAN, NameInfo
from .equations import EquationKind, Expression, Statement, parse_expression, parse_statements
from .errors import CodeError, JnsimError
from .held_inputs import check_held, held_functions, integrate_holding
from .integration import ODESystem, StateUpdate
from .linked_subexpressions import ComputedLink, bind_computed_link, computed_link_externals
from .namespace import ExternalConstant, ExternalFunction
from .sympy_conversion import symbol, to_sympy
from .units import Dimensions, dimensions_of, to_si

if TYPE_CHECKING:
    from .groups import NeuronGroup

__all__ = ["ElementFunction", "NeuronCode", "RegularOperation", "ode_system"]

_SECOND = Dimensions({"[time]": 1})
#: The loop over a group's elements in generated functions.
_ELEMENT_LOOP = "    for _idx in range(N):"


def ode_system(model: AnalysedModel, names: Iterable[str]) -> ODESystem:
    """The differential equations ``names`` of ``model`` with subexpressions inlined."""
    drift: dict[str, sympy.Expr] = {}
    diffusion: dict[str, dict[str, sympy.Expr]] = {}
    names = tuple(names)
    for name in names:
        expression = model.inline_subexpressions(model.expressions[name])
        noise = model.noise.get(name, ())
        diffusion[name] = {n: sympy.diff(expression, symbol(n)) for n in noise}
        drift[name] = expression.xreplace({symbol(n): 0 for n in noise})
    return ODESystem(names, drift, diffusion)


def statements_to_sympy(model: AnalysedModel, statements: tuple[Statement, ...]
                        ) -> list[tuple[str, sympy.Expr]]:
    """Code statements as ``(target, expression)`` with in-place operators expanded."""
    result = []
    for statement in statements:
        value = model.inline_subexpressions(to_sympy(statement.expression, _constants(
            statement.expression)))
        target = symbol(statement.target)
        operator = statement.operator
        if operator == "+=":
            value = target + value
        elif operator == "-=":
            value = target - value
        elif operator == "*=":
            value = target * value
        elif operator == "/=":
            value = target / value
        elif operator == "//=":
            value = sympy.floor(target / value)
        elif operator == "%=":
            value = sympy.Mod(target, value)
        elif operator == "**=":
            value = target**value
        result.append((statement.target, value))
    return result


def check_shared_writes(statements: Iterable[Statement], what: str, shared: set[str],
                        per_element: set[str] | None = None, hint: str | None = None,
                        temporaries: frozenset[str] = frozenset()) -> frozenset[str]:
    """Check assignments to shared variables, following Brian's rules.

    Code that runs for some elements only (a reset, ``on_pre``) cannot assign a
    shared variable (``per_element`` is ``None`` then). Code that runs for every
    element (``run_regularly``) can: such statements run once per step, so they
    must come first and may read only element-independent values (``per_element``
    lists the names that are not).

    Returns
    -------
    frozenset of str
        The ``temporaries`` that have one value for all elements: those assigned
        before any per-element variable from element-independent values (and
        without random numbers), as in Brian. They run once per step too.
    """
    vector_written: str | None = None
    once: set[str] = set()
    for statement in statements:
        target = statement.target
        if target in temporaries:
            if per_element is not None and vector_written is None and _element_independent(
                    statement.expression, per_element | (temporaries - once)):
                once.add(target)
            else:
                vector_written = vector_written or target
            continue
        if target not in shared:
            vector_written = vector_written or target
            continue
        if per_element is None:
            raise CodeError(
                f"the {what} cannot assign to the shared variable '{target}'",
                statement.target_span,
                hint or f"the {what} runs for single elements, but '{target}' has one value "
                         "for the whole group: declare it without the flag (shared)")
        if vector_written is not None:
            raise CodeError(
                f"in {what}, the shared variable '{target}' is assigned after the "
                f"per-element variable '{vector_written}'", statement.target_span,
                "put assignments to shared variables first: they run once per step, "
                "before the statements run for each element")
        from .groups import check_shared_value

        check_shared_value(statement.expression, target, per_element | (temporaries - once))
    return frozenset(once)


def _element_independent(expression: Expression, per_element: set[str]) -> bool:
    """Whether ``expression`` has one value for all elements (no random numbers either)."""
    random = {"rand", "randn", "poisson"} & expression.function_names
    return not random and not expression.names & per_element


def _constants(expression: Expression) -> frozenset[str]:
    return frozenset({"pi", "e", "inf"} & expression.identifiers)


@dataclass
class ElementFunction:
    """Builds a function that loops over the elements of one group.

    Names used by the statements are classified: the group's arrays are loaded
    per element (or once, if shared), external constants and ``t``/``dt``/``N``
    become parameters, noise symbols become fresh normal draws.
    """

    builder: FunctionBuilder
    arrays: Mapping[str, bool]  # name -> shared
    code_id: str
    externals: Mapping[str, ExternalConstant | ExternalFunction]
    scalars: set[str] = field(default_factory=set)
    #: Linked variables: name -> (driver key of the source array, key of the index map
    #: or None when element k reads element k, whether the source is shared)
    links: Mapping[str, tuple[str, str | None, bool]] = field(default_factory=dict)
    #: Linked variables computed from a subexpression of their source (by name)
    computed: Mapping[str, ComputedLink] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.builder.register_timed_arrays(self.externals, self.code_id)

    def bind(self, names: Iterable[str]) -> tuple[list[str], list[str]]:
        """Declare parameters for ``names``; returns (per-step lines, per-element loads)."""
        per_step: list[str] = []
        per_element: list[str] = []
        b = self.builder
        names = set(names)
        for name in names & set(self.computed):
            names |= self.computed[name].specials
        for name in sorted(names):
            if name in self.computed:
                bind_computed_link(self.computed[name], b, self.code_id, self.scalars,
                                   per_step, per_element)
            elif name in ("t",):
                b.parameter("t", "t")
                self.scalars.add(name)
            elif name == "dt":
                b.parameter("dt", f"{self.code_id}__dt")
                self.scalars.add(name)
            elif name == "N":
                b.parameter("N", f"{self.code_id}__N")
                self.scalars.add(name)
            elif name == "t_in_timesteps":
                b.parameter("t", "t")
                b.parameter("dt", f"{self.code_id}__dt")
                per_step.append("t_in_timesteps = np.int64(t / dt + 0.5)")
                self.scalars.add(name)
            elif name == "i":
                per_element.append("i = _idx")
            elif name in self.links:
                key, index_key, shared = self.links[name]
                local = b.parameter(f"_a_{name}", key)
                if shared:
                    per_step.append(f"{name} = {local}[0]")
                    self.scalars.add(name)
                elif index_key is None:
                    per_element.append(f"{name} = {local}[_idx]")
                else:
                    b.parameter(f"_link_{name}", index_key)
                    per_element.append(f"{name} = {local}[_link_{name}[_idx]]")
            elif name in self.arrays:
                local = b.parameter(f"_a_{name}", f"{self.code_id}__{name}")
                if self.arrays[name]:
                    per_step.append(f"{name} = {local}[0]")
                    self.scalars.add(name)
                else:
                    per_element.append(f"{name} = {local}[_idx]")
            elif name.startswith("_randn_"):
                per_element.append(f"{name} = _randn(_rng)")
            elif name in self.externals and isinstance(self.externals[name], ExternalConstant):
                b.parameter(name, f"{self.code_id}__{name}")
                self.scalars.add(name)
        return per_step, per_element

    def select_guarded(self, names: Iterable[str], guards: Mapping[str, str], indent: int
                       ) -> None:
        """Keep the old value of a guarded variable where its guard is false.

        ``v = v if not_refractory else _a_v[_idx]`` is a select, not a branch around a
        store, so the element loop stays vectorizable.
        """
        for name in names:
            if name in guards and name in self.arrays and not self.arrays[name]:
                self.builder.add(f"{name} = {name} if {guards[name]} else _a_{name}[_idx]",
                                 indent=indent)

    def store(self, names: Iterable[str], indent: int) -> None:
        """Write back assigned per-element variables (shared ones after the loop).

        A linked variable is written where it is read: into its source, through the
        link's index if it has one (Brian's rule too).
        """
        for name in names:
            if name in self.links:
                key, index_key, shared = self.links[name]
                local = self.builder.parameter(f"_a_{name}", key)
                element = "_idx"
                if shared:
                    element = "0"
                elif index_key is not None:
                    element = f"{self.builder.parameter(f'_link_{name}', index_key)}[_idx]"
                self.builder.add(f"{local}[{element}] = {name}", indent=indent)
                continue
            if name not in self.arrays or self.arrays[name]:
                continue
            self.builder.add(f"_a_{name}[_idx] = {name}", indent=indent)


def _free_names(statements: Iterable[tuple[str, sympy.Expr]]) -> set[str]:
    names: set[str] = set()
    for _, expression in statements:
        names |= {s.name for s in expression.free_symbols}
    return names


class NeuronCode:
    """The code blocks of a :class:`~jnsim.groups.NeuronGroup`, checked at creation."""

    def __init__(self, group: NeuronGroup, threshold: str | None, reset: str | None,
                 refractory: Any, method: Any, events: Mapping[str, str] | None = None
                 ) -> None:
        self.group = group
        model = group.model
        assert model is not None
        self.system = ode_system(model, model.names_of(EquationKind.DIFFERENTIAL))
        #: TimedArrays constant during a step, integrated as constants (jnsim.held_inputs)
        self.held = held_functions(model.externals, group.dt_)
        self.state_update: StateUpdate = integrate_holding(self.system, self.held, method)
        self.threshold: Expression | None = None
        self.reset: tuple[Statement, ...] = ()
        #: temporary variables of the reset (locals of its loop)
        self.reset_temporaries: frozenset[str] = frozenset()
        self.refractory_time: float | None = None
        self.refractory_expression: Expression | None = None
        self.refractory_is_condition = False
        self.regular_operations: list[RegularOperation] = []
        #: custom events: name -> condition, and the slot each is tested in
        self.events: dict[str, Expression] = {}
        self.event_slots: dict[str, str] = {}
        self.event_operations: list[EventOperation] = []
        namespace = group.namespace
        caller = group._creation_namespace()
        if threshold is not None:
            self.threshold = parse_expression(str(threshold), error=CodeError)
            check_code(model, self.threshold, what="threshold", expect=BOOLEAN,
                       namespace=namespace, caller_ns=caller)
        if reset is not None:
            self.reset = parse_statements(str(reset))
            self.reset_temporaries = check_code(
                model, self.reset, what="reset", writable=self.writable(),
                namespace=namespace, caller_ns=caller).temporaries
            check_shared_writes(
                self.reset, "reset", self.shared_names(),
                hint="the reset runs only for the neurons that spike, but a shared variable "
                     "has one value for the whole group (as in Brian, it cannot be assigned "
                     "here): change it in run_regularly code, or declare it without the flag "
                     "(shared)")
        self._set_refractory(refractory, namespace, caller)
        self._set_events(events or {}, namespace, caller)

    def _set_events(self, events: Mapping[str, str], namespace: Any, caller: Any) -> None:
        model = self.group.model
        assert model is not None
        if not isinstance(events, Mapping):
            raise JnsimError("events must be a dictionary from event names to conditions",
                             hint="e.g. events={'burst': 'Ca > Ca_th'}")
        for name, condition in events.items():
            if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
                raise JnsimError(f"{name!r} cannot name an event",
                                 hint="event names are identifiers not starting with '_'")
            if name == "spike":
                raise JnsimError("the event 'spike' is the threshold's",
                                 hint="give its condition as threshold='...'")
            expression = parse_expression(str(condition), error=CodeError)
            check_code(model, expression, what=f"condition of the event '{name}'",
                       expect=BOOLEAN, namespace=namespace, caller_ns=caller)
            self.events[name] = expression
            self.event_slots[name] = "thresholds"

    def _set_refractory(self, refractory: Any, namespace: Any, caller: Any) -> None:
        if refractory is False or refractory is None:
            return
        model = self.group.model
        assert model is not None
        if isinstance(refractory, str):
            expression = parse_expression(refractory, error=CodeError)
            checked = check_code(model, expression, what="refractory period",
                                 namespace=namespace, caller_ns=caller)
            if checked.dtype == BOOLEAN:
                self.refractory_is_condition = True
            elif checked.dims is not None and dict(checked.dims) != dict(_SECOND):
                from .errors import UnitError

                raise UnitError("the refractory period must be a time or a condition",
                                expression.span(), "e.g. refractory='5*ms' or 'v > -40*mV'")
            self.refractory_expression = expression
            return
        dims = dimensions_of(refractory)
        if dims and dict(dims) == dict(_SECOND) and float(to_si(refractory)) == 0:
            self.refractory_time = 0.0
            return
        self.refractory_time = time_in_seconds(refractory, "refractory")

    def shared_names(self) -> set[str]:
        """The group's shared variables."""
        model = self.group.model
        assert model is not None
        return {n for n, v in model.variables.items() if v.shared}

    def writable(self) -> dict[str, NameInfo]:
        """Variables that code blocks may assign."""
        model = self.group.model
        assert model is not None
        return {name: NameInfo(v.dims, v.dtype) for name, v in model.variables.items()
                if v.kind is not EquationKind.SUBEXPRESSION and "constant" not in v.flags}

    # -- at run time ------------------------------------------------------------------
    def resolve(self, run_namespace: Mapping[str, Any] | None,
                caller_ns: Mapping[str, Any] | None) -> dict[str, Any]:
        """Resolve every external name of every block for a run (errors if missing)."""
        group = self.group
        namespace = group.namespace
        kwargs: dict[str, Any] = {"namespace": namespace, "run_namespace": run_namespace,
                                  "caller_ns": caller_ns, "strict": True}
        model = analyse(group.equations, ModelContext.neuron(group.has_refractoriness),
                        **kwargs)
        externals = dict(model.externals)
        check_held(self.held, externals, group.dt_, group.name)
        blocks: list[tuple[Any, dict[str, Any]]] = []
        if self.threshold is not None:
            blocks.append((self.threshold, {"what": "threshold", "expect": BOOLEAN}))
        if self.reset:
            blocks.append((self.reset, {"what": "reset", "writable": self.writable()}))
        if self.refractory_expression is not None:
            blocks.append((self.refractory_expression, {"what": "refractory period"}))
        for operation in self.regular_operations:
            blocks.append((operation.statements, {"what": "run_regularly code",
                                                  "writable": self.writable()}))
        for name, condition in self.events.items():
            blocks.append((condition, {"what": f"condition of the event '{name}'",
                                       "expect": BOOLEAN}))
        for event_operation in self.event_operations:
            blocks.append((event_operation.statements, {
                "what": f"code run on the event '{event_operation.event}'",
                "writable": self.writable()}))
        for code, options in blocks:
            externals.update(check_code(model, code, **options, **kwargs).externals)
        externals.update(computed_link_externals(group, run_namespace, caller_ns))
        return externals

    def operations(self, externals: Mapping[str, Any], base_dt: float) -> list[Operation]:
        """The group's operations for a run."""
        group = self.group
        every = _every(group.dt_, base_dt, group.name)
        operations = []
        has_update = bool(self.state_update.statements or group.has_refractoriness or any(
            "constant over dt" in v.flags for v in group.model.variables.values()))
        if has_update:
            operations.append(self._state_update_operation(externals, every))
        if self.threshold is not None:
            operations.append(self._threshold_operation(externals, every))
            if self.reset:
                operations.append(self._reset_operation(externals, every))
        for index, name in enumerate(self.events):
            operations.append(self._event_operation(name, externals, every, index))
        for index, regular in enumerate(self.regular_operations):
            operations.append(regular.operation(externals, base_dt, index))
        for index, on_event in enumerate(self.event_operations):
            operations.append(on_event.operation(externals, every, index))
        return operations

    def argument_values(self, externals: Mapping[str, Any], base_dt: float) -> dict[str, Any]:
        """Values of the driver keys this group's operations use."""
        group = self.group
        cid = group.code_id
        values: dict[str, Any] = {f"{cid}__{name}": array for name, array in group.arrays.items()}
        values[f"{cid}__N"] = np.int64(group.N)
        values[f"{cid}__owner"] = np.int64(group.creation_index + 1)
        values[f"{cid}__dt"] = float(group.dt_)
        values.update(group.link_values())
        values[f"{cid}__spikes"] = group.spike_buffer
        values[f"{cid}__nspikes"] = group.spike_count
        for name, (buffer, count) in group.event_buffers.items():
            values[f"{cid}__ev_{name}"] = buffer
            values[f"{cid}__nev_{name}"] = count
        values[f"{cid}___refractory"] = float(self.refractory_time or 0.0)
        values.update(external_values(externals, cid))
        return values

    def _element_function(self, name: str, externals: Mapping[str, Any]) -> ElementFunction:
        group = self.group
        arrays = {n: spec.shared for n, spec in group.specs.items()}
        builder = FunctionBuilder(f"{group.code_id}_{group.slug}_{name}")
        return ElementFunction(builder, arrays, group.code_id, externals,
                               links=group.link_keys(), computed=group.computed_links())

    def _state_update_operation(self, externals: Mapping[str, Any], every: int) -> Operation:
        """The state update: one loop over the elements, written to be vectorizable.

        Brian's schedule runs every state update before any threshold, and so does
        this one: the threshold is a loop of its own. Keeping spike recording out of
        this loop leaves it free of branches and stores that depend on the data (the
        refractory guard is a select, the NaN check a reduction), so LLVM can turn it
        into SIMD code.
        """
        group = self.group
        model = group.model
        assert model is not None
        function = self._element_function("state_update", externals)
        b = function.builder
        b.parameter("N", f"{group.code_id}__N")
        statements: list[tuple[str, sympy.Expr]] = []
        # Shared "constant over dt" subexpressions are computed (and stored) once per step,
        # before the loop; per-element ones at the start of each element's update.
        once: list[tuple[str, sympy.Expr]] = []
        for name in model.names_of(EquationKind.SUBEXPRESSION):
            if "constant over dt" in model.variables[name].flags:
                value = model.inline_subexpressions(model.expressions[name])
                (once if model.variables[name].shared else statements).append((name, value))
        statements += list(self.state_update.statements)
        guards: dict[str, str] = {}
        refractory_lines: list[str] = []
        names = _free_names(statements + once) | {t for t, _ in statements + once
                                                  if t in group.arrays}
        if group.has_refractoriness:
            refractory_lines, names = self._refractory_lines(function, names, externals)
            guards = {n: "not_refractory" for n in model.names_of(EquationKind.DIFFERENTIAL)
                      if "unless refractory" in model.variables[n].flags}
        per_step, per_element = function.bind(names)
        b.add(*per_step)
        if once:
            render_statements(b, once, function.scalars, indent=1, loop_indent=-1)
            b.add(*(f"_a_{t}[0] = {t}" for t, _ in once))
        assigned = [t for t, _ in statements if t in group.arrays]
        checked = [n for n in assigned if n in self.float_state_names()]
        if checked:
            b.add("_nonfinite = False")
        b.add("for _idx in range(N):")
        b.add(*per_element, indent=2)
        b.add(*refractory_lines, indent=2)
        render_statements(b, statements, function.scalars, indent=2, loop_indent=1)
        function.select_guarded(assigned, guards, indent=2)
        if checked:
            b.add(f"_nonfinite |= not math.isfinite({' + '.join(checked)})", indent=2)
        function.store(assigned, indent=2)
        if checked:
            self._locate_nonfinite(function)
        parallel = None
        if loop_is_element_wise(b.lines, _ELEMENT_LOOP, b.parameters):
            parallel = chunked_element_loop(b.lines, _ELEMENT_LOOP)
        return b.operation("groups", group.creation_index, group.code_id, every,
                           parallel=parallel)

    def float_state_names(self) -> list[str]:
        """Floating point variables the state update assigns (for NaN reports)."""
        return [n for n in self.system.variables]

    def _locate_nonfinite(self, function: ElementFunction) -> None:
        """After the loop: name this group in ``_nan_flag`` if some value was not finite.

        The loop only accumulates whether some value was not finite (a reduction that
        keeps it vectorizable); which element and variable it was is found afterwards,
        in Python (:meth:`jnsim.network.Network._nan_error`), so that this rare path
        adds almost nothing to the code Numba compiles.
        """
        b = function.builder
        b.parameter("_nan_flag", "_nan_flag")
        b.parameter("_owner", f"{self.group.code_id}__owner")
        b.add("if _nonfinite and _nan_flag[0] == 0:")
        b.add("_nan_flag[0] = _owner", indent=2)

    def _refractory_lines(self, function: ElementFunction, names: set[str],
                          externals: Mapping[str, Any]) -> tuple[list[str], set[str]]:
        """Lines that update ``not_refractory`` at the start of the step."""
        group = self.group
        names = names | {"lastspike", "t", "dt"}
        lines: list[str] = []
        if self.refractory_expression is not None:
            value = to_sympy(self.refractory_expression, _constants(self.refractory_expression))
            assert group.model is not None
            value = group.model.inline_subexpressions(value)
            names |= {s.name for s in value.free_symbols}
            rendered = function.builder.printer.doprint(value)
            if self.refractory_is_condition:
                # Brian's rule: the condition only ends refractoriness (which a spike
                # starts); a neuron that is not refractory stays so. Bitwise, not `or`,
                # so that the loop has no branch.
                lines.append(f"not_refractory = _a_not_refractory[_idx] | (not ({rendered}))")
            else:
                lines.append(f"not_refractory = _timestep(t - lastspike, dt) >= "
                             f"_timestep({rendered}, dt)")
                function.builder.printer.helpers_used.add("_timestep")
        else:
            # Brian's rule timestep(t - lastspike) >= timestep(refractory), with the
            # element-independent part computed once per step.
            function.builder.parameter("_refractory", f"{group.code_id}___refractory")
            function.builder.add("_refractory_steps = float(_timestep(_refractory, dt))",
                                 "_per_dt = 1.0 / dt")
            # For the non-negative step counts that occur, int(x) >= n is x >= n; the
            # float comparison keeps the loop free of conversions (vectorizable).
            lines.append("not_refractory = (t - lastspike) * _per_dt + 1e-3 >= "
                         "_refractory_steps")
            function.builder.printer.helpers_used.add("_timestep")
        lines.append("_a_not_refractory[_idx] = not_refractory")
        function.builder.parameter("_a_not_refractory", f"{group.code_id}__not_refractory")
        names.discard("not_refractory")
        return lines, names

    def _threshold_operation(self, externals: Mapping[str, Any], every: int) -> Operation:
        """The spike threshold: collect the neurons whose condition holds (and that are
        not refractory), mark them refractory."""
        assert self.threshold is not None
        group = self.group
        b = self._detection(self.threshold, "threshold", externals, "spikes",
                            refractory=group.has_refractoriness)
        return self._detection_operation(b, "thresholds", group.creation_index, every)

    def _event_operation(self, name: str, externals: Mapping[str, Any], every: int,
                         index: int) -> Operation:
        """A custom event: collect the neurons whose condition holds (refractoriness
        plays no part unless the condition reads ``not_refractory``)."""
        group = self.group
        b = self._detection(self.events[name], f"event_{name}", externals, f"ev_{name}",
                            refractory=False)
        return self._detection_operation(b, self.event_slots[name],
                                         group.creation_index + 0.1 + 0.01 * index, every)

    def _detection(self, condition_code: Expression, label: str,
                   externals: Mapping[str, Any], stem: str, refractory: bool
                   ) -> FunctionBuilder:
        group = self.group
        assert group.model is not None
        function = self._element_function(label, externals)
        b = function.builder
        b.parameter("N", f"{group.code_id}__N")
        condition = group.model.inline_subexpressions(
            to_sympy(condition_code, _constants(condition_code)))
        names = {s.name for s in condition.free_symbols}
        if refractory:
            names |= {"t"}
            b.parameter("_a_lastspike", f"{group.code_id}__lastspike")
            b.parameter("_a_not_refractory", f"{group.code_id}__not_refractory")
        per_step, per_element = function.bind(names)
        b.parameter("_spikes", f"{group.code_id}__{stem}")
        b.parameter("_nspikes", f"{group.code_id}__n{stem}")
        b.add(*per_step)
        b.add("_n = 0")
        b.add("for _idx in range(N):")
        b.add(*per_element, indent=2)
        render_statements(b, [("_cond", condition)], function.scalars, indent=2, loop_indent=1)
        # The refractory flag is read only where the condition holds: a load that
        # depends on the branch cannot be hoisted above it, so the rarely true
        # condition is tested first and the branch is well predicted (LLVM at -O3
        # otherwise tests the flag first, which mispredicts on refractory neurons).
        b.add("if _cond and _a_not_refractory[_idx]:" if refractory else "if _cond:",
              indent=2)
        b.add("_spikes[_n] = _idx", "_n += 1", indent=3)
        if refractory:
            b.add("_a_lastspike[_idx] = t", "_a_not_refractory[_idx] = False", indent=3)
        b.add("_nspikes[0] = _n")
        return b

    def _detection_operation(self, b: FunctionBuilder, slot: str, order: float, every: int
                             ) -> Operation:
        """A detection's operation, multi-threaded where its loop is element-wise."""
        parallel = None
        if loop_is_element_wise(b.lines, _ELEMENT_LOOP, b.parameters, exempt=("_spikes",)):
            parallel = parallel_threshold(b.lines)
        return b.operation(slot, order, self.group.code_id, every, parallel=parallel)

    def _reset_operation(self, externals: Mapping[str, Any], every: int) -> Operation:
        group = self.group
        b = self._on_event_function("reset", self.reset, "spikes", externals,
                                    self.reset_temporaries)
        return b.operation("resets", group.creation_index, group.code_id, every)

    def _on_event_function(self, label: str, code: tuple[Statement, ...], stem: str,
                           externals: Mapping[str, Any], temporaries: frozenset[str]
                           ) -> FunctionBuilder:
        """Statements run for each element listed in an event buffer (reset and the like).

        Temporary variables of the code are plain locals of the loop (never loaded or
        stored).
        """
        group = self.group
        assert group.model is not None
        function = self._element_function(label, externals)
        b = function.builder
        statements = statements_to_sympy(group.model, code)
        per_step, per_element = function.bind((_free_names(statements) | {
            t for t, _ in statements}) - temporaries)
        b.parameter("_spikes", f"{group.code_id}__{stem}")
        b.parameter("_nspikes", f"{group.code_id}__n{stem}")
        b.add(*per_step)
        b.add("for _k in range(_nspikes[0]):")
        b.add("_idx = _spikes[_k]", indent=2)
        b.add(*per_element, indent=2)
        render_statements(b, statements, function.scalars, indent=2, loop_indent=1)
        function.store(dict.fromkeys(t for t, _ in statements), indent=2)
        return b


class EventOperation:
    """Statements run for each neuron that had an event (``G.run_on_event``)."""

    def __init__(self, group: NeuronGroup, event: str, code: str, when: str) -> None:
        from .codegen.blocks import check_slot
        from .groups import check_event

        check_event(group, event)
        check_slot(when, f"run_on_event({event!r})")
        self.group = group
        self.event = event
        self.when = when
        self.statements = parse_statements(code)
        assert group.model is not None
        what = f"code run on the event '{event}'"
        self.temporaries = check_code(
            group.model, self.statements, what=what, writable=group.code.writable(),
            namespace=group.namespace, caller_ns=group._creation_namespace()).temporaries
        check_shared_writes(
            self.statements, what, group.code.shared_names(),
            hint=f"it runs only for the neurons with the event '{event}', but a shared "
                 "variable has one value for the whole group: change it in run_regularly "
                 "code, or declare it without the flag (shared)")

    def operation(self, externals: Mapping[str, Any], every: int, index: int) -> Operation:
        from .groups import event_arrays

        group = self.group
        stem = event_arrays(group, self.event)[0]
        b = group.code._on_event_function(f"on_{self.event}_{index}", self.statements, stem,
                                          externals, self.temporaries)
        return b.operation(self.when, group.creation_index + 0.6 + 0.01 * index,
                           group.code_id, every)


class RegularOperation:
    """Statements run for every neuron of a group every ``dt`` (``G.run_regularly``)."""

    def __init__(self, group: NeuronGroup, code: str, dt: Any, when: str,
                 name: str | None, elements: tuple[int, int] | None = None) -> None:
        from .codegen.blocks import check_slot

        check_slot(when, "run_regularly")
        self.group = group
        #: ``(start, stop)`` of a subgroup's neurons (``G[:800].run_regularly``), else all
        self.elements = elements
        self.statements = parse_statements(code)
        assert group.model is not None
        self.temporaries = check_code(
            group.model, self.statements, what="run_regularly code",
            writable=group.code.writable(), namespace=group.namespace,
            caller_ns=group._creation_namespace()).temporaries
        #: temporaries with one value for all neurons, computed once before the loop
        self.scalar_temporaries = check_shared_writes(
            self.statements, "run_regularly code", group.code.shared_names(),
            group.per_element_names(), temporaries=self.temporaries)
        self.dt = time_in_seconds(dt, "dt") if dt is not None else None
        self.when = when
        self.name = name or f"{group.name}_run_regularly"

    def operation(self, externals: Mapping[str, Any], base_dt: float, index: int) -> Operation:
        group = self.group
        assert group.model is not None
        code = group.code
        function = code._element_function(f"regular_{index}", externals)
        b = function.builder
        b.parameter("N", f"{group.code_id}__N")
        statements = statements_to_sympy(group.model, self.statements)
        per_step, per_element = function.bind((_free_names(statements) | {
            t for t, _ in statements}) - self.temporaries)
        b.add(*per_step)
        if self.elements is not None:  # N is the subgroup's size in its code
            b.add(f"N = {self.elements[1] - self.elements[0]}")
        # Statements assigning shared variables (and the temporaries they use) come
        # first (checked at creation) and run once, before the loop over the neurons
        # (Brian's "scalar code").
        count = 0
        while count < len(statements) and (function.arrays.get(statements[count][0]) or (
                statements[count][0] in self.scalar_temporaries)):
            count += 1
        shared, per_neuron = statements[:count], statements[count:]
        if shared:
            render_statements(b, shared, function.scalars, indent=1, loop_indent=-1)
            b.add(*(f"_a_{t}[0] = {t}" for t in dict.fromkeys(t for t, _ in shared)
                    if t not in self.scalar_temporaries))
        if per_neuron:
            if self.elements is None:
                b.add("for _idx in range(N):")
            else:  # a subgroup's neurons; its i counts from its first neuron, as in Brian
                start, stop = self.elements
                b.add(f"for _idx in range({start}, {stop}):")
                per_element = [f"i = _idx - {start}" if line == "i = _idx" else line
                               for line in per_element]
            b.add(*per_element, indent=2)
            render_statements(b, per_neuron, function.scalars | self.scalar_temporaries,
                              indent=2, loop_indent=1)
            function.store(dict.fromkeys(t for t, _ in per_neuron), indent=2)
        every = _every(self.dt or group.dt_, base_dt, self.name)
        return b.operation(self.when, group.creation_index + 0.5, group.code_id, every)


def _every(dt: float, base_dt: float, name: str) -> int:
    ratio = dt / base_dt
    steps = round(ratio)
    if steps < 1 or abs(ratio - steps) > 1e-6 * max(1.0, ratio):
        raise JnsimError(f"the time step of {name} ({dt * 1e3:g} ms) is not a whole multiple of "
                         f"the network's smallest time step ({base_dt * 1e3:g} ms)",
                         hint="choose time steps that are multiples of each other")
    return steps
