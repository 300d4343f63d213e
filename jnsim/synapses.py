"""Synapses: connections between groups, with their own state and event code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from .analysis import analyse, check_code
from .clock import time_in_seconds
from .connect import ConnectRequest, generate_connections, parse_generator
from .context import ModelContext
from .dimensions import BOOLEAN, NameInfo
from .equations import EquationKind, Equations, parse_expression
from .errors import CodeError, JnsimError, errors_within
from .evaluate import evaluate
from .foreign import foreign_subexpressions, subexpression_table
from .groups import LASTSPIKE_INITIAL, TIME_NAMES, Group, group_slice
from .integration.methods import check_method_options
from .namespace import ExternalConstant, caller_namespace, resolve_external
from .units import DIMENSIONLESS, Dimensions
from .variables import VariableSpec, VariableView

__all__ = ["Synapses"]

_SECOND = Dimensions({"[time]": 1})


def _table(group: Any) -> dict[str, NameInfo]:
    """The variables of a group that synapse code can read, by name (without suffix);
    its subexpressions are in :func:`jnsim.foreign.subexpression_table`."""
    return {name: NameInfo(spec.dims, spec.dtype) for name, spec in group.specs.items()}


class Synapses(Group):
    """Synapses from a source group to a target group.

    Parameters
    ----------
    source, target
        The pre- and post-synaptic groups (or subgroups); ``target`` defaults
        to ``source``.
    model
        Synaptic equations: per-synapse parameters, clock-driven or event-driven
        differential equations, subexpressions, summed variables
        (``g_post = g : siemens (summed)``).
    on_pre, on_post
        Statements run when a pre-/post-synaptic spike arrives, e.g.
        ``'v_post += w'``; or a dict of named pathways.
    delay
        Transmission delay of ``on_pre`` events (a time; per-synapse delays can
        be assigned later with ``S.delay = ...``).
    method
        Integration method of clock-driven equations.
    namespace
        External names (then nothing else is searched).
    name, description
        Free text for reports.
    """

    _name_prefix = "synapses"
    _example_name = "S"

    def __init__(
        self,
        source: Any,
        target: Any = None,
        model: str | Equations | Any = "",
        on_pre: str | Mapping[str, str] | None = None,
        on_post: str | Mapping[str, str] | None = None,
        delay: Any = None,
        method: str | tuple[str, ...] | None = None,
        namespace: Mapping[str, Any] | None = None,
        dt: Any = None,
        name: str | None = None,
        description: str | None = None,
        pre: str | None = None,
        post: str | None = None,
        on_event: str | Mapping[str, str] | None = None,
        method_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(name)
        check_method_options(method_options)
        defaults = getattr(model, "synapse_defaults", None)
        if defaults is not None:  # a model object from the %%synapse magic
            self.source_model = model
            on_pre = on_pre if on_pre is not None else defaults.get("on_pre")
            on_post = on_post if on_post is not None else defaults.get("on_post")
            delay = delay if delay is not None else defaults.get("delay")
            method = method if method is not None else defaults.get("method")
            description = description if description is not None else defaults.get(
                "description")
            model = model.equations
        on_pre = on_pre if on_pre is not None else pre
        on_post = on_post if on_post is not None else post
        target = source if target is None else target
        for role, group in (("source", source), ("target", target)):
            if not hasattr(group, "N") or not hasattr(group_slice(group)[0], "specs"):
                raise JnsimError(f"the {role} of synapses must be a group, not {group!r}")
        self.source, self.target = source, target
        self.source_group, self.source_start, self.source_stop = group_slice(source)
        self.target_group, self.target_start, self.target_stop = group_slice(target)
        self.namespace = dict(namespace) if namespace is not None else None
        self.description = description
        self._own_dt = time_in_seconds(dt, "dt") if dt is not None else None
        with errors_within(lambda: self.error_context):
            equations = model if isinstance(model, Equations) else Equations(model or "")
            self.equations = equations
            has_event_driven = any("event-driven" in e.flags for e in equations.values())
            self.context = ModelContext.synapse(
                _table(self.source_group), _table(self.target_group),
                event_driven=has_event_driven,
                pre_subexpressions=subexpression_table(self.source_group),
                post_subexpressions=subexpression_table(self.target_group))
            model = analyse(equations, self.context, namespace=self.namespace,
                            caller_ns=self._creation_namespace())
            own = set(model.variables)
            #: Subexpressions of the connected groups, in the synapses' names (see
            #: :mod:`jnsim.foreign`).
            self.foreign = {
                "_pre": foreign_subexpressions(self.source_group, "_pre", own, self.source_start),
                "_post": foreign_subexpressions(self.target_group, "_post", own, self.target_start)}
            self.model = replace(model, foreign={
                k: v for f in self.foreign.values() for k, v in f.replacements.items()})
            self.i_array = np.zeros(0, dtype=np.int32)
            self.j_array = np.zeros(0, dtype=np.int32)
            #: One entry per ``connect()`` call, for reports (see :meth:`connect`).
            self.connections: list[dict[str, Any]] = []
            self._allocate(has_event_driven)
            from .synapse_code import SynapseCode

            self.code = SynapseCode(self, on_pre, on_post, method)
            if on_event is not None:
                self.code.set_events(on_event)
        self.delay_steps_hint: float | None = None
        self._shared_delay = {name: 0.0 for name in self.code.pathways}
        if delay is not None:
            if isinstance(delay, Mapping):
                for pathway, value in delay.items():
                    self.set_delay(pathway, value)
            else:
                self.set_delay(self.delay_pathway(argument=True), delay)
        self._frozen = True

    def _creation_namespace(self) -> dict[str, Any] | None:
        return None if self.namespace is not None else caller_namespace()

    @property
    def N(self) -> int:
        """Number of synapses."""
        return len(self.i_array)

    @property
    def method(self) -> str:
        """The integration method of the clock-driven equations."""
        return self.code.state_update.method

    def _allocate(self, has_event_driven: bool) -> None:
        assert self.model is not None
        for name, variable in self.model.variables.items():
            stored = "constant over dt" in variable.flags  # computed once per step, kept
            if variable.kind is EquationKind.SUBEXPRESSION and not stored:
                continue
            spec = VariableSpec(name, variable.dims, variable.dtype, variable.shared,
                                read_only=variable.kind is EquationKind.SUBEXPRESSION)
            self.specs[name] = spec
            self.arrays[name] = np.zeros(1 if spec.shared else 0, spec.numpy_type)
        if has_event_driven:
            self.specs["lastupdate"] = VariableSpec("lastupdate", _SECOND, read_only=True)
            self.arrays["lastupdate"] = np.zeros(0)
        for name in ("i", "j"):
            self.specs[name] = VariableSpec(name, DIMENSIONLESS, "integer", read_only=True)

    def array(self, name: str) -> np.ndarray:
        if name == "i":
            return self.i_array.astype(np.int64)
        if name == "j":
            return self.j_array.astype(np.int64)
        if name.startswith("delay"):
            return self.delay_array(name)
        return self.arrays[name]

    def synapse_indices(self, item: tuple[Any, ...]) -> np.ndarray:
        """The synapses selected by ``S.w[i, j]`` or ``S.w[i, j, k]`` (as in Brian).

        Each of ``i`` (pre-synaptic), ``j`` (post-synaptic) and ``k`` (the number of a
        synapse among those connecting the same pair, in creation order) is an index,
        a slice or a list of indices.
        """
        if not 2 <= len(item) <= 3:
            raise JnsimError(f"synapses are indexed by [i, j] or [i, j, k], not by {len(item)} "
                             "indices", hint="e.g. S.w[0, :] for the synapses from neuron 0")
        sizes = (self.source_stop - self.source_start, self.target_stop - self.target_start)
        selected = np.ones(self.N, dtype=bool)
        for values, selector, size in zip((self.i_array, self.j_array), item, sizes,
                                          strict=False):
            selected &= _matches(values, selector, size)
        if len(item) == 3:
            selected &= _matches(self._multisynaptic_index(), item[2], None)
        return np.flatnonzero(selected)

    def _multisynaptic_index(self) -> np.ndarray:
        """For each synapse, how many synapses of the same pair were created before it."""
        pairs = self.i_array.astype(np.int64) * (self.target_stop - self.target_start + 1) \
            + self.j_array
        order = np.argsort(pairs, kind="stable")
        sorted_pairs = pairs[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_pairs)) + 1]
        rank = np.arange(len(pairs)) - np.repeat(starts, np.diff(np.r_[starts, len(pairs)]))
        result = np.empty(len(pairs), dtype=np.int64)
        result[order] = rank
        return result

    @property
    def N_incoming_post(self) -> np.ndarray:
        """The number of synapses onto each neuron of the target group (Brian's name and
        layout: indexed by the neuron's index in the whole group, so synapses onto a
        subgroup ``G[k:]`` give ``k`` leading zeros)."""
        counts = self.code.fan_counts()["N_incoming"]
        return np.concatenate([np.zeros(self.target_start, np.int64), counts]).astype(np.int32)

    @property
    def N_outgoing_pre(self) -> np.ndarray:
        """The number of synapses from each neuron of the source group (indexed as
        :attr:`N_incoming_post`)."""
        counts = self.code.fan_counts()["N_outgoing"]
        return np.concatenate([np.zeros(self.source_start, np.int64), counts]).astype(np.int32)

    def _fan_in_out(self, name: str) -> np.ndarray:
        """``N_incoming``/``N_outgoing`` per synapse, from the per-neuron counts."""
        owner = self.j_array if name == "N_incoming" else self.i_array
        return self.code.fan_counts()[name][owner]

    # -- delays ----------------------------------------------------------------------
    def delay_array(self, name: str = "delay") -> np.ndarray:
        """Per-synapse delays (seconds) of a pathway (``delay`` is the ``pre`` pathway)."""
        pathway = "pre" if name == "delay" else name.removeprefix("delay_")
        per_synapse = self.arrays.get(f"delay_{pathway}")
        if per_synapse is not None:
            return per_synapse
        return np.full(self.N, self._shared_delay.get(pathway, 0.0))

    def set_delay(self, pathway: str, value: Any, index: Any = slice(None)) -> None:
        """Set the delay of ``pathway`` (a time, an array of times or a string)."""
        if pathway not in self.code.pathways:
            raise JnsimError(f"there is no pathway '{pathway}' to set a delay for",
                             hint="pathways: " + (", ".join(self.code.pathways) or "none"))
        name = f"delay_{pathway}"
        spec = VariableSpec(name, _SECOND)
        whole = isinstance(index, slice) and index == slice(None)
        if isinstance(value, str) or np.ndim(getattr(value, "magnitude", value)) > 0 or (
                name in self.arrays) or not whole:
            previous = self.arrays.get(name)
            if previous is None:
                self.specs[name] = spec
                self.arrays[name] = np.full(self.N, self._shared_delay.get(pathway, 0.0))
            kept = self.arrays[name].copy()
            Group.set_variable(self, name, value, index)
            if np.any(self.arrays[name] < 0):
                self.arrays[name][...] = kept
                if previous is None:  # back to one delay for all synapses
                    del self.arrays[name], self.specs[name]
                raise _negative_delay(pathway)
        else:
            from .variables import convert_value

            shown = "delay" if pathway == "pre" else f"{pathway}.delay"
            values = convert_value(VariableSpec(shown, _SECOND), value, self.name,
                                   lambda: self._written(shown))
            if float(values) < 0:
                raise _negative_delay(pathway)
            self._shared_delay[pathway] = float(values)

    def delay_pathway(self, argument: bool = False) -> str:
        """The pathway ``S.delay`` refers to: ``'pre'``, or the only pre-synaptic one.

        As in Brian, ``S.delay`` is the delay of the ``'pre'`` pathway; jnsim also
        accepts it when there is a single pathway triggered by pre-synaptic spikes,
        whatever its name. Otherwise the pathway must be named (``S.fast.delay``).
        ``argument`` words errors for the ``delay=`` argument instead.
        """
        pathways = self.code.pathways
        if "pre" in pathways:
            return "pre"
        presynaptic = [n for n, p in pathways.items() if p.triggered_by == "source"]
        if len(presynaptic) == 1:
            return presynaptic[0]
        from .namespace import user_variable_name

        me = "S" if argument else user_variable_name(self, self._example_name)
        used = "a single delay=" if argument else f"{me}.delay"
        if not presynaptic:
            raise JnsimError(f"{self.name} has no pathway triggered by pre-synaptic spikes, "
                             f"so {used} has nothing to delay",
                             hint=("its pathways: " + ", ".join(pathways) + "; give the delay "
                                   f"of one with delay={{'{next(iter(pathways))}': ...}} or "
                                   f"{me}.<pathway>.delay = ...") if pathways else
                             "give on_pre code to transmit pre-synaptic spikes")
        example = presynaptic[0]
        raise JnsimError(
            f"{self.name} has several pre-synaptic pathways ({', '.join(presynaptic)}) and "
            f"none called 'pre': {used} does not say which one is meant",
            hint=f"name the pathway: delay={{'{example}': 2*ms, ...}} when creating the "
                 f"synapses, or {me}.{example}.delay = 2*ms")

    def delay_view(self, pathway: str) -> VariableView:
        """The delays of ``pathway`` as a view (readable, and assignable by index)."""
        return VariableView(self, VariableSpec(f"delay_{pathway}", _SECOND),
                            lambda: self.delay_array(f"delay_{pathway}"))

    def set_variable(self, name: str, value: Any, index: Any = slice(None),
                     raw: bool = False, index_offset: int = 0) -> None:
        pathway = name.removeprefix("delay_")
        if name.startswith("delay_") and pathway in self.code.pathways:
            self.set_delay(pathway, value, index)
            return
        super().set_variable(name, value, index, raw, index_offset)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "delay" and "code" in self.__dict__:
            self.set_delay(self.delay_pathway(), value)
            return
        super().__setattr__(name, value)

    def __getattr__(self, name: str) -> Any:
        code = self.__dict__.get("code")
        if code is not None and name == "delay":
            return self.delay_view(self.delay_pathway())
        if code is not None and name in ("N_incoming", "N_outgoing"):
            # per synapse: the synapses onto its target / from its source (read-only)
            spec = VariableSpec(name, DIMENSIONLESS, "integer", read_only=True)
            return VariableView(self, spec, lambda: self._fan_in_out(name))
        if code is not None and name in ("N_incoming_", "N_outgoing_"):
            return self._fan_in_out(name[:-1])
        if code is not None and name in code.pathways and name not in self.__dict__.get(
                "specs", {}):
            return SynapticPathway(self, name)
        if code is not None and name == "indices":
            return _SynapseIndexer(self)
        if code is not None and name not in self.__dict__.get("specs", {}):
            connected = self._connected_values(name)
            if connected is not None:
                return connected
        return super().__getattr__(name)

    def recordable(self) -> dict[str, VariableSpec]:
        """What a :class:`~jnsim.monitors.StateMonitor` can record of the synapses, one
        value per synapse (Brian's names): synaptic variables and subexpressions,
        ``x_pre``/``x_post`` of the connected groups (variables and subexpressions),
        and the target's names without suffix where the synapses have no such name."""
        assert self.model is not None
        found: dict[str, VariableSpec] = {}
        for suffix, group in (("_pre", self.source_group), ("_post", self.target_group)):
            table = {name: NameInfo(spec.dims, spec.dtype) for name, spec in group.specs.items()
                     if name != "i"}
            table.update({n: info for n, info in subexpression_table(group).items()
                          if isinstance(info, NameInfo)})
            for name, info in table.items():
                found[f"{name}{suffix}"] = VariableSpec(f"{name}{suffix}", info.dims,
                                                        info.dtype, read_only=True)
                if suffix == "_post":
                    found.setdefault(name, VariableSpec(name, info.dims, info.dtype,
                                                        read_only=True))
        for name in self.subexpression_names():
            variable = self.model.variables[name]
            if "summed" in variable.flags:  # the name is the target's variable (Brian's too)
                continue
            found[name] = VariableSpec(name, variable.dims, variable.dtype, variable.shared,
                                       read_only=True)
        found.update(self.specs)
        for name in ("N_incoming", "N_outgoing"):
            found[name] = VariableSpec(name, DIMENSIONLESS, "integer", read_only=True)
        return found

    def _connected_values(self, name: str) -> Any:
        """``S.v_post``/``S.x_pre``: a variable or subexpression of the connected
        group, one value per synapse (read-only, as in Brian); ``None`` if ``name`` is
        not of that form."""
        for suffix, group, start, indices in (
                ("_pre", self.source_group, self.source_start, self.i_array),
                ("_post", self.target_group, self.target_start, self.j_array)):
            base = name.removesuffix(suffix)
            if base == name or not base:
                continue
            if base in group.specs or base in group.subexpression_names():
                values = getattr(group, base)
                quantity = values.quantity if isinstance(values, VariableView) else values
                if np.ndim(quantity) == 0:  # a shared variable: the same for every synapse
                    return quantity * np.ones(self.N)
                return quantity[start + np.asarray(indices, dtype=np.int64)]
        return None

    # -- connecting -----------------------------------------------------------------
    def connect(self, condition: str | bool | None = None, i: Any = None, j: Any = None,
                p: float | str = 1.0, n: int | str = 1, skip_if_invalid: bool = False,
                namespace: Mapping[str, Any] | None = None, level: int = 0) -> None:
        """Create synapses.

        Parameters
        ----------
        condition
            A condition on pairs, e.g. ``'i != j'`` (``True`` or ``None``: all pairs).
        i, j
            Explicit indices (arrays or ints), or a generator string for ``j``
            (``j='i'``, ``j='k for k in range(i-2, i+3) if 0 <= k < N_post'``) or for ``i``.
        p
            Connection probability (a number or an expression).
        n
            Synapses per connected pair (a number or an expression).
        skip_if_invalid
            Drop generated indices outside the target instead of raising.
        namespace
            External names used in the expressions (default: the caller's).
        """
        namespace = dict(namespace) if namespace is not None else (
            self.namespace if self.namespace is not None else caller_namespace())
        request = self._request(condition, i, j, p, n, skip_if_invalid, namespace)
        n_pre = self.source_stop - self.source_start
        n_post = self.target_stop - self.target_start
        new_i, new_j = generate_connections(request, n_pre, n_post,
                                            lambda e, a, b: self._pair_values(e, a, b,
                                                                               namespace))
        self._append(new_i, new_j)
        self.connections.append({
            "condition": condition if isinstance(condition, str) else None,
            "p": p, "n": n, "i": i if isinstance(i, str) else (
                None if i is None else "explicit"),
            "j": j if isinstance(j, str) else (None if j is None else "explicit"),
            "skip_if_invalid": skip_if_invalid, "created": len(new_i),
        })

    def _request(self, condition: Any, i: Any, j: Any, p: Any, n: Any, skip: bool,
                 namespace: Mapping[str, Any]) -> ConnectRequest:
        if condition is True or condition is None:
            condition_expression = None
        elif condition is False:
            condition_expression = parse_expression("False")
        elif isinstance(condition, str):
            condition_expression = self._pair_expression(condition, "connection condition",
                                                         BOOLEAN, namespace)
        else:
            raise JnsimError(f"connect() takes a condition string, not {condition!r}",
                             hint="e.g. S.connect('i != j') or S.connect(p=0.1)")
        generator = None
        target = "j"
        if isinstance(j, str) or isinstance(i, str):
            if isinstance(j, str) and isinstance(i, str):
                raise JnsimError("give a generator for i or for j, not both")
            target = "j" if isinstance(j, str) else "i"
            generator = parse_generator(j if isinstance(j, str) else i)
            j = i = None
        p_value: float | Any = p
        if isinstance(p, str):
            p_value = self._pair_expression(p, "connection probability", DIMENSIONLESS,
                                            namespace)
        elif not isinstance(p, float | int) or isinstance(p, bool):
            raise JnsimError(f"p must be a number or a string expression, not {p!r}")
        n_value: int | Any = n
        if isinstance(n, str):
            n_value = self._pair_expression(n, "number of synapses", DIMENSIONLESS, namespace)
        return ConnectRequest(condition_expression, p_value, n_value,
                              None if i is None else np.asarray(i),
                              None if j is None else np.asarray(j), generator, target, skip)

    def _pair_expression(self, text: str, what: str, expect: Any,
                         namespace: Mapping[str, Any]) -> Any:
        expression = parse_expression(text, error=CodeError)
        extra = {"N_pre": NameInfo(DIMENSIONLESS, "integer"),
                 "N_post": NameInfo(DIMENSIONLESS, "integer")}
        assert self.model is not None
        check_code(self.model, expression, what=what, expect=expect, extra_names=extra,
                   run_namespace=namespace)
        return expression

    def _pair_values(self, expression: Any, i: np.ndarray, j: np.ndarray,
                     namespace: Mapping[str, Any]) -> dict[str, Any]:
        """Values of the names of a connection expression for candidate pairs."""
        values: dict[str, Any] = {"i": i, "j": j,
                                  "N_pre": self.source_stop - self.source_start,
                                  "N_post": self.target_stop - self.target_start}
        for name in expression.names:
            if name in values:
                continue
            value = self._group_value(name, i, j)
            if value is not None:
                values[name] = value
                continue
            found = resolve_external(name, namespace, "caller", as_function=False)
            if isinstance(found, ExternalConstant):
                values[name] = found.value
        return values

    def _group_value(self, name: str, i: np.ndarray, j: np.ndarray) -> Any:
        for suffix, group, start, index in (
                ("_pre", self.source_group, self.source_start, i),
                ("_post", self.target_group, self.target_start, j)):
            if name.endswith(suffix):
                base = name[: -len(suffix)]
                if base in group.specs:
                    array = group.array(base)
                    return array[0] if group.specs[base].shared else array[index + start]
        if name in self.target_group.specs and name not in self.specs:
            return self.target_group.array(name)[j + self.target_start]
        return None

    def _append(self, new_i: np.ndarray, new_j: np.ndarray) -> None:
        count = len(new_i)
        if count == 0:
            return
        if self.N and (new_i[0] < self.i_array[-1]):
            self.code.sorted_by_pre = False
        self.i_array = np.concatenate([self.i_array, new_i.astype(np.int32)])
        self.j_array = np.concatenate([self.j_array, new_j.astype(np.int32)])
        for name, spec in self.specs.items():
            if spec.shared or name in ("i", "j"):
                continue
            if name == "lastupdate":
                fill = LASTSPIKE_INITIAL * 0
            elif name.startswith("delay_"):
                fill = self._shared_delay.get(name.removeprefix("delay_"), 0.0)
            else:
                fill = 0
            self.arrays[name] = np.concatenate([self.arrays[name],
                                                np.full(count, fill, spec.numpy_type)])
        self.code.connectivity_changed()

    # -- values -----------------------------------------------------------------------
    def _evaluate(self, expression: Any, index: Any, index_offset: int = 0) -> Any:
        namespace = self.namespace if self.namespace is not None else caller_namespace()
        elements = np.arange(self.N)[index if index is not None else slice(None)]
        i = self.i_array[elements].astype(np.int64)
        j = self.j_array[elements].astype(np.int64)
        values: dict[str, Any] = {"i": i, "j": j, "N": self.N,
                                  "N_pre": self.source_stop - self.source_start,
                                  "N_post": self.target_stop - self.target_start}
        for name in expression.names:
            if name in values:
                continue
            if name in self.arrays:
                array = self.arrays[name]
                values[name] = array[0] if self.specs[name].shared else array[elements]
                continue
            if name in ("N_incoming", "N_outgoing"):
                counts = (np.bincount(self.j_array, minlength=self.target_stop) if
                          name == "N_incoming" else np.bincount(self.i_array,
                                                                minlength=self.source_stop))
                values[name] = counts[j if name == "N_incoming" else i]
                continue
            value = self._group_value(name, i, j)
            if value is not None:
                values[name] = value
                continue
            if name in TIME_NAMES:
                values[name] = self.time_value(name)
                continue
            if name in self.subexpression_names():
                assert self.model is not None
                values[name] = self._evaluate(self.model.equations[name].expression, index)
                continue
            found = resolve_external(name, namespace, "caller", as_function=False)
            if isinstance(found, ExternalConstant):
                values[name] = found.value
        return evaluate(expression, values, len(elements),
                        self.external_functions(expression, namespace))

    def per_element_names(self) -> set[str]:
        names = super().per_element_names() | {"j", "N_incoming", "N_outgoing"}
        for suffix, group in (("_pre", self.source_group), ("_post", self.target_group)):
            for name, spec in group.specs.items():
                if not spec.shared:
                    names.add(f"{name}{suffix}")
                    if suffix == "_post" and name not in self.specs:
                        names.add(name)
        return names

    def extra_code_names(self) -> dict[str, NameInfo]:
        return {"N_pre": NameInfo(DIMENSIONLESS, "integer"),
                "N_post": NameInfo(DIMENSIONLESS, "integer"),
                "N_incoming": NameInfo(DIMENSIONLESS, "integer"),
                "N_outgoing": NameInfo(DIMENSIONLESS, "integer")}

    def __getitem__(self, item: Any) -> np.ndarray:
        """Synapse indices for ``S[i, j]`` or ``S['condition']``."""
        if isinstance(item, str):
            return self.indices_where(item)
        if isinstance(item, tuple) and len(item) == 2:
            pre, post = item
            mask = np.isin(self.i_array, np.arange(self.source_stop)[pre]) & np.isin(
                self.j_array, np.arange(self.target_stop)[post])
            return np.flatnonzero(mask)
        return np.arange(self.N)[item]

    # -- running ----------------------------------------------------------------------
    def resolve(self, run_namespace: Any, caller_ns: Any) -> dict[str, Any]:
        return self.code.resolve(run_namespace, caller_ns)

    def operations(self, externals: Mapping[str, Any], base_dt: float) -> list[Any]:
        return self.code.operations(externals, base_dt)

    def argument_values(self, externals: Mapping[str, Any], base_dt: float) -> dict[str, Any]:
        return self.code.argument_values(externals, base_dt)

    def contained_objects(self) -> list[Any]:
        return [self.source_group, self.target_group]

    def snapshot(self) -> dict[str, Any]:
        return {"arrays": {n: a.copy() for n, a in self.arrays.items()},
                "i": self.i_array.copy(), "j": self.j_array.copy(),
                "queues": self.code.snapshot_queues()}

    def restore(self, state: Mapping[str, Any]) -> None:
        for name, array in state["arrays"].items():
            self.arrays[name] = array.copy()
        self.code.restore_queues(state["queues"])
        if (np.array_equal(state["i"], self.i_array)
                and np.array_equal(state["j"], self.j_array)):
            return  # the same connections: the layout built for them still holds
        self.i_array, self.j_array = state["i"].copy(), state["j"].copy()
        self.code.connectivity_changed()

    def __repr__(self) -> str:
        return (f"<Synapses {self.name!r} from {self.source_group.name!r} to "
                f"{self.target_group.name!r}: {self.N} synapses>")

    def _repr_markdown_(self) -> str | None:
        from .display import group_markdown

        return group_markdown(self)


class _SynapseIndexer:
    """``S.indices[i, j]``: synapse indices, as ``S[i, j]`` gives them (Brian's name)."""

    def __init__(self, synapses: Synapses) -> None:
        self.synapses = synapses

    def __getitem__(self, item: Any) -> np.ndarray:
        return self.synapses[item]


class SynapticPathway:
    """One pathway of a :class:`Synapses` object (``S.pre``, ``S.fast``): its delay.

    ``S.fast.delay = 2*ms`` sets the delay of the pathway ``fast``; reading
    ``S.fast.delay`` gives the delay of each synapse.
    """

    def __init__(self, synapses: Synapses, name: str) -> None:
        object.__setattr__(self, "_synapses", synapses)
        object.__setattr__(self, "name", name)

    @property
    def delay(self) -> VariableView:
        """The pathway's delay per synapse."""
        return self._synapses.delay_view(self.name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "delay":
            self._synapses.set_delay(self.name, value)
            return
        raise JnsimError(f"the pathway '{self.name}' of {self._synapses.name} has no "
                         f"attribute '{name}' to set", hint="set its delay: .delay = 2*ms")

    def __repr__(self) -> str:
        pathway = self._synapses.code.pathways[self.name]
        trigger = "pre" if pathway.triggered_by == "source" else "post"
        return (f"<pathway {self.name!r} of {self._synapses.name!r}, triggered by "
                f"{trigger}-synaptic {pathway.event}s>")


def _negative_delay(pathway: str) -> JnsimError:
    """The error for a negative delay (the values are left as they were)."""
    return JnsimError(f"delays must not be negative (pathway '{pathway}')",
                      hint="a spike cannot act before it happens: give delays >= 0, e.g. "
                           "'rand()*2*ms'; the delays were left unchanged")


def _matches(values: np.ndarray, selector: Any, size: int | None) -> np.ndarray:
    """Which of ``values`` an index, slice or list of indices selects."""
    if isinstance(selector, slice):
        if selector == slice(None):
            return np.ones(len(values), dtype=bool)
        if size is None:
            size = int(values.max()) + 1 if len(values) else 0
        return np.isin(values, np.arange(size)[selector])
    if isinstance(selector, int | np.integer):
        return values == selector
    chosen = np.asarray(selector)
    if chosen.dtype == bool or not np.issubdtype(chosen.dtype, np.integer):
        raise JnsimError(f"cannot select synapses with {selector!r}",
                         hint="use neuron indices: an int, a slice or a list of ints")
    return np.isin(values, chosen)
