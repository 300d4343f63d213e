"""Groups of elements with state: the shared machinery and :class:`NeuronGroup`."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from .analysis import AnalysedModel, analyse, check_code
from .base import JnsimObject
from .clock import defaultclock, time_in_seconds
from .context import ModelContext
from .dimensions import BOOLEAN, NameInfo
from .equations import EquationKind, Equations, parse_expression
from .errors import CodeError, JnsimError, errors_within
from .integration.methods import check_method_options
from .namespace import ExternalConstant, caller_namespace
from .units import DIMENSIONLESS, Dimensions
from .variables import VariableSpec, VariableView, convert_value

__all__ = ["Group", "NeuronGroup", "Subgroup", "check_event", "event_arrays"]

_SECOND = Dimensions({"[time]": 1})
LASTSPIKE_INITIAL = -1e4  # seconds: "long ago", finite so that t - lastspike stays finite
#: Names whose value depends on the clock, not on the elements.
TIME_NAMES = ("t", "dt", "t_in_timesteps")


class LinkedVariable:
    """A reference to a variable of another group: ``H.v = linked_var(G, 'v')``.

    Parameters
    ----------
    group
        The source group (or a view on one of its variables, ``G.v``).
    variable
        The source variable's name.
    index
        For each element of the linking group, the source element it reads
        (needed when the sizes differ).
    """

    def __init__(self, group: Any, variable: str | None = None, index: Any = None) -> None:
        if isinstance(group, VariableView):
            variable = group._spec.name
            group = group._owner
        group = getattr(group, "parent", group)
        subexpressions = (group.subexpression_names() if hasattr(group, "subexpression_names")
                          else ())
        #: Whether the source is a subexpression (computed where it is read)
        self.subexpression = (variable not in getattr(group, "specs", {})
                              and variable in subexpressions)
        if variable is None or (variable not in getattr(group, "specs", {})
                                and not self.subexpression):
            raise JnsimError(f"{getattr(group, 'name', group)!r} has no variable "
                             f"{variable!r} to link to")
        self.group = group
        self.variable = variable
        self.index = None if index is None else np.asarray(index, dtype=np.int64)
        if self.index is not None and self.index.size and (
                self.index.min() < 0 or self.index.max() >= group.N):
            raise JnsimError(f"linked_var index outside [0, {group.N})")

    @property
    def source_spec(self) -> VariableSpec:
        """What the source is: a variable's spec, or one made for a subexpression."""
        if not self.subexpression:
            return self.group.specs[self.variable]
        info = self.group.model.variables[self.variable]
        return VariableSpec(self.variable, info.dims, info.dtype, info.shared, read_only=True)

    @property
    def direct(self) -> bool:
        """Whether the link has no index (element k reads element k of the source, or
        the one value of a shared source): then the linked group can share the
        source's array."""
        return self.index is None

    def values_for(self, size: int) -> np.ndarray:
        """The linked values as seen by a group of ``size`` elements."""
        if self.subexpression:
            source = self.group.subexpression_si(self.variable)
        else:
            source = self.group.arrays[self.variable]
        if self.source_spec.shared:
            return source
        return source[self.index] if self.index is not None else source

    def describe(self) -> str:
        """Words naming the source."""
        return f"{self.group.name}.{self.variable}"


def linked_var(group: Any, variable: str | None = None, index: Any = None) -> LinkedVariable:
    """Link a variable to one of another group (see :class:`LinkedVariable`)."""
    return LinkedVariable(group, variable, index)


class Group(JnsimObject):
    """Something with state variables: neuron groups and synapses.

    Subclasses fill :attr:`specs` and :attr:`arrays`; this class gives the
    Brian-style attribute access (``G.v``, ``G.v = ...``, ``G.v_``) and the
    evaluation of string expressions.
    """

    _frozen = False
    #: How examples in messages call an object of this kind when no variable names it.
    _example_name = "G"

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self.specs: dict[str, VariableSpec] = {}
        self.arrays: dict[str, np.ndarray] = {}
        self.namespace: dict[str, Any] | None = None
        self.model: AnalysedModel | None = None
        #: How each variable was last set, for reports: the expression text, the
        #: scalar value, or a phrase for arrays (see :meth:`set_variable`).
        self.initializers: dict[str, Any] = {}
        #: Linked variables: name -> the LinkedVariable it reads from.
        self.links: dict[str, LinkedVariable] = {}

    # -- sizes ----------------------------------------------------------------------
    def __len__(self) -> int:
        return self.N

    @property
    def N(self) -> int:
        """Number of elements."""
        raise NotImplementedError

    def variable_size(self, name: str) -> int:
        """The length of a variable's array."""
        spec = self.specs.get(name)
        return 1 if spec is not None and spec.shared else self.N

    # -- attribute access ---------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("specs", "arrays"):
            raise AttributeError(name)
        specs = self.__dict__.get("specs", {})
        if name in specs:
            return VariableView(self, specs[name], lambda n=name: self.array(n))
        if name.endswith("_") and name[:-1] in specs:
            return self.array(name[:-1]).copy()
        if name in self.subexpression_names():
            return self.subexpression_view(name)
        if name.endswith("_") and name[:-1] in self.subexpression_names():
            return self.subexpression_si(name[:-1])
        raise AttributeError(
            f"{type(self).__name__} {self.name!r} has no variable '{name}'"
            + (f"; its variables are: {', '.join(sorted(specs))}" if specs else ""))

    def __setattr__(self, name: str, value: Any) -> None:
        specs = self.__dict__.get("specs", {})
        if name in specs:
            self.set_variable(name, value)
        elif name.endswith("_") and name[:-1] in specs:
            self.set_variable(name[:-1], value, raw=True)
        elif self._frozen and name.removesuffix("_") in self.subexpression_names():
            raise self.subexpression_error(name.removesuffix("_"))
        elif self._frozen and not name.startswith("_") and name not in self.__dict__ and (
                name not in type(self).__dict__):
            raise JnsimError(f"{type(self).__name__} {self.name!r} has no variable '{name}'",
                             hint="variables are declared in the model equations; "
                                  f"known: {', '.join(sorted(specs))}")
        else:
            object.__setattr__(self, name, value)

    def array(self, name: str) -> np.ndarray:
        """The storage array of a variable (SI units); linked variables read their source."""
        link = self.__dict__.get("links", {}).get(name)
        if link is not None:
            return link.values_for(self.N)
        return self.arrays[name]

    # -- linked variables -------------------------------------------------------------
    def _link(self, name: str, link: LinkedVariable) -> None:
        assert self.model is not None
        variable = self.model.variables.get(name)
        if variable is None or "linked" not in variable.flags:
            raise JnsimError(f"'{name}' of {self.name} is not declared as linked",
                             hint=f"declare it with the flag: '{name} : <unit> (linked)'")
        source_spec = link.source_spec
        from .dimensions import same_dimensions

        if not same_dimensions(source_spec.dims, variable.dims):
            from .errors import UnitError
            from .units import unit_words

            raise UnitError(f"cannot link '{name}' ({unit_words(variable.dims)}) to "
                            f"{link.describe()} ({unit_words(source_spec.dims)})")
        if link.index is None and not source_spec.shared and link.group.N == 1 != self.N:
            # one source element for all (Brian allows this without an index)
            link = LinkedVariable(link.group, link.variable, np.zeros(self.N, np.int64))
        if link.index is None and not source_spec.shared and link.group.N != self.N:
            raise JnsimError(
                f"cannot link '{name}' of {self.name} ({self.N} elements) to "
                f"{link.describe()} ({link.group.N} elements) without an index",
                hint="give index=... with one source index per element")
        if link.index is not None and len(link.index) != self.N:
            raise JnsimError(f"the index of a linked variable needs {self.N} entries, "
                             f"not {len(link.index)}")
        if source_spec.dtype != variable.dtype:
            raise JnsimError(f"cannot link '{name}' ({variable.dtype}) to {link.describe()} "
                             f"({source_spec.dtype})",
                             hint=f"declare '{name}' with the type of {link.describe()}")
        self._check_link_for_shared_readers(name, link, source_spec.shared)
        own = self.specs[name]
        if link.subexpression:
            # computed where it is read (jnsim.linked_subexpressions); the array is only
            # a placeholder
            self.specs[name] = replace(own, shared=source_spec.shared, read_only=True)
            self.arrays[name] = np.zeros(1 if source_spec.shared else self.N, own.numpy_type)
        elif link.direct:
            # The group shares the source's array (and whether it is shared), so that
            # every reader and writer of the variable (own code, synapses, monitors)
            # reaches the source without knowing about the link.
            self.specs[name] = replace(own, shared=source_spec.shared)
            self.arrays[name] = link.group.arrays[link.variable]
        else:
            self.specs[name] = replace(own, shared=False)
            self.arrays[name] = np.zeros(self.N, own.numpy_type)
        self.links[name] = link
        self.initializers[name] = f"linked to {link.describe()}"
        if link.subexpression:
            self.computed_links()  # errors now, not at run()

    def check_direct_access(self, name: str, user: str) -> None:
        """Raise unless code outside this group may use the array of ``name`` as its own.

        A variable linked with an index is element ``index[k]`` of its source: only the
        group's own code (threshold, reset, ...) follows the index.
        """
        link = self.__dict__.get("links", {}).get(name)
        if link is not None and not link.direct:
            raise JnsimError(
                f"{user} '{name}' of {self.name}, which is linked to {link.describe()} "
                "through an index: only the group's own code (equations, threshold, reset, "
                "run_regularly) follows that index",
                hint=f"use {link.describe()} directly (e.g. record it, or connect the "
                     f"synapses to {link.group.name})")

    def _check_link_for_shared_readers(self, name: str, link: LinkedVariable,
                                       source_shared: bool) -> None:
        """A shared subexpression may read a linked variable (Brian's rule) only if the
        link gives every element the same value: a shared source, or one source element."""
        assert self.model is not None
        single = source_shared or self.N == 1 or (
            link.index is not None and bool(np.all(link.index == link.index[0])))
        readers = [eq.name for eq in self.model.equations.values()
                   if eq.kind is EquationKind.SUBEXPRESSION and "shared" in eq.flags
                   and name in eq.identifiers]
        if readers and not single:
            raise JnsimError(
                f"the shared subexpression '{readers[0]}' of {self.name} reads '{name}', so "
                f"'{name}' must be linked to one value for all elements, but "
                f"{link.describe()} has a value per element",
                hint="link it to a shared variable or to a group of one element, or drop "
                     f"the flag (shared) from '{readers[0]}'")

    def link_keys(self) -> dict[str, tuple[str, str | None, bool]]:
        """Driver keys of linked variables (see ``ElementFunction.links``)."""
        result = {}
        for name, link in self.links.items():
            if link.subexpression:
                continue  # see computed_links
            shared = link.group.specs[link.variable].shared
            index_key = f"{self.code_id}__link_{name}" if link.index is not None else None
            result[name] = (f"{link.group.code_id}__{link.variable}", index_key, shared)
        return result

    def link_values(self) -> dict[str, Any]:
        """Driver values of linked variables (source arrays and index maps)."""
        values: dict[str, Any] = {}
        for name, link in self.links.items():
            if link.subexpression:
                source = link.group
                values.update({f"{source.code_id}__{n}": source.arrays[n]
                               for n in source.arrays})
            else:
                values[f"{link.group.code_id}__{link.variable}"] = link.group.arrays[
                    link.variable]
            if link.index is not None:
                values[f"{self.code_id}__link_{name}"] = link.index
        return values

    def computed_links(self) -> dict[str, Any]:
        """Linked variables that read a subexpression of their source, as
        :class:`~jnsim.linked_subexpressions.ComputedLink` values."""
        from .linked_subexpressions import computed_link

        return {name: computed_link(self, name, link)
                for name, link in self.__dict__.get("links", {}).items() if link.subexpression}

    def check_links(self) -> None:
        """Raise if a variable declared linked has not been linked."""
        if self.model is None:
            return
        for name, variable in self.model.variables.items():
            if "linked" in variable.flags and name not in self.links:
                raise JnsimError(f"the linked variable '{name}' of {self.name} is not linked",
                                 hint=f"set {self.name}.{name} = linked_var(source, "
                                      f"'{name}') before running")

    def per_element_names(self) -> set[str]:
        """Names whose value differs between elements (what a shared value cannot use)."""
        names = {n for n, spec in self.specs.items() if not spec.shared}
        if self.model is not None:
            names |= {n for n in self.subexpression_names()
                      if not self.model.variables[n].shared}
        return names | {"i"}

    def subexpression_names(self) -> tuple[str, ...]:
        """Names of the model's subexpressions."""
        if self.model is None:
            return ()
        return self.model.names_of(EquationKind.SUBEXPRESSION)

    def subexpression_si(self, name: str) -> np.ndarray:
        """The current value of a subexpression for every element (SI units)."""
        assert self.model is not None
        expression = self.model.equations[name].expression
        assert expression is not None
        values = self._evaluate(expression, None)
        return np.broadcast_to(values, (self.N,)).copy()

    def subexpression_values(self, name: str) -> Any:
        """The current value of a subexpression, as a quantity."""
        from .units import quantity_from_si

        assert self.model is not None
        return quantity_from_si(self.subexpression_si(name), self.model.variables[name].dims)

    def subexpression_view(self, name: str, index: Any = slice(None)) -> VariableView:
        """A read-only view on a subexpression (``G.I_syn``): reads its current value,
        and explains that it cannot be assigned."""
        assert self.model is not None
        variable = self.model.variables[name]
        spec = VariableSpec(name, variable.dims, variable.dtype, variable.shared,
                            read_only=True)
        return VariableView(self, spec, lambda: self.subexpression_si(name), index)

    # -- assignment -----------------------------------------------------------------
    def set_variable(self, name: str, value: Any, index: Any = slice(None),
                     raw: bool = False, index_offset: int = 0) -> None:
        """Assign ``value`` to variable ``name`` at ``index``.

        ``value`` may be a quantity, a number, an array, or a string expression
        evaluated for each element (it may use the model's variables, ``i``,
        ``N``, ``rand()`` and external names).
        """
        if name in self.subexpression_names():
            raise self.subexpression_error(name)
        spec = self.specs[name]
        if isinstance(value, LinkedVariable):
            self._link(name, value)
            return
        if name in self.links:
            raise JnsimError(f"'{name}' of {self.name} is linked to "
                             f"{self.links[name].describe()}: set the source instead")
        if spec.read_only:
            raise JnsimError(f"'{name}' of {self.name} cannot be set",
                             hint="it is maintained by jnsim")
        target = self.array(name)
        whole = isinstance(index, slice) and index == slice(None)
        if isinstance(value, str):
            self.initializers[name] = value if whole else f"{value} (for some elements)"
        elif whole:
            self.initializers[name] = _describe_value(value)
        if isinstance(value, str):
            expression = parse_expression(value, error=CodeError)
            self._check_value_expression(expression, spec)
            if spec.shared:
                check_shared_value(expression, name, self.per_element_names())
            values = self._evaluate(expression, index, index_offset)
            values = np.asarray(values).astype(spec.numpy_type, copy=False)
        elif raw:
            values = np.asarray(value).astype(spec.numpy_type)
        else:
            values = convert_value(spec, value, self.name, lambda: self._written(name))
        if spec.shared:
            if np.ndim(values) and np.size(values) != 1:
                raise JnsimError(f"'{name}' is shared: give one value, not {np.size(values)}")
            target[0] = np.ravel(values)[0] if np.ndim(values) else values
            return
        try:
            target[index] = values
        except ValueError:
            size = len(np.arange(self.N)[index])
            raise JnsimError(f"cannot set {size} values of '{name}' from "
                             f"{np.size(values)} values",
                             hint=f"give one value, or an array of {size}") from None

    def _written(self, name: str) -> str:
        """How the user refers to variable ``name`` (``G.v``), for hints."""
        from .namespace import user_variable_name

        return f"{user_variable_name(self, self._example_name)}.{name}"

    def subexpression_error(self, name: str) -> JnsimError:
        """The error for assigning to the subexpression ``name``."""
        assert self.model is not None
        expression = self.model.equations[name].expression
        unit = self.model.equations[name].unit.text
        return JnsimError(
            f"'{name}' of {self.name} is a subexpression ({name} = {expression}): it is "
            "computed from other variables and cannot be set",
            hint=f"set the variables it is computed from, or, to give it values of its own, "
                 f"declare it as a parameter: '{name} : {unit}'")

    def _check_value_expression(self, expression: Any, spec: VariableSpec) -> None:
        if self.model is None:
            return
        expect = BOOLEAN if spec.dtype == BOOLEAN else spec.dims
        check_code(self.model, expression, what=f"value of '{spec.name}'", expect=expect,
                   extra_names=self.extra_code_names(), namespace=self.namespace,
                   caller_ns=None if self.namespace is not None else caller_namespace(),
                   strict=True)

    def extra_code_names(self) -> dict[str, NameInfo]:
        """Names code of this group can read beyond its model (``lastspike``, ...)."""
        return {}

    def _evaluate(self, expression: Any, index: Any, index_offset: int = 0) -> Any:
        """Evaluate ``expression`` for the elements at ``index`` with NumPy.

        ``index_offset`` is subtracted from ``i`` (a subgroup counts from its start).
        """
        names = expression.names
        namespace = self.namespace if self.namespace is not None else caller_namespace()
        elements = np.arange(self.N)[index if index is not None else slice(None)]
        size = len(elements)
        values: dict[str, Any] = {}
        for name in names:
            if name == "i":
                values[name] = elements - index_offset
            elif name in self.arrays:
                array = self.array(name)
                values[name] = array[0] if (np.size(array) == 1 and self.specs[name].shared) or (
                    name in self.links and self.links[name].group.specs[
                        self.links[name].variable].shared) else array[elements]
            elif name == "N":
                values[name] = self.N
            elif name in TIME_NAMES:
                values[name] = self.time_value(name)
            elif name in self.subexpression_names():
                assert self.model is not None
                sub = self.model.equations[name].expression
                values[name] = self._evaluate(sub, index, index_offset)
            else:
                values.update(self.external_values([name], namespace))
        from .evaluate import evaluate as run_evaluate

        return run_evaluate(expression, values, size,
                            self.external_functions(expression, namespace))

    def time_value(self, name: str) -> Any:
        """``t``, ``dt`` or ``t_in_timesteps`` at the group's current time (SI units)."""
        if name == "t":
            return self.current_time()
        if name == "dt":
            return self.dt_
        return np.int64(self.current_time() / self.dt_ + 0.5)  # as kernels compute it

    def external_functions(self, expression: Any, namespace: Mapping[str, Any] | None
                           ) -> dict[str, Any]:
        """Python implementations (SI units) of the TimedArrays ``expression`` calls."""
        from .functions import DEFAULT_FUNCTIONS
        from .namespace import resolve_external

        functions = {}
        for name in expression.function_names - DEFAULT_FUNCTIONS.keys():
            found = resolve_external(name, namespace, "caller", as_function=True)
            implementation = getattr(found, "implementation", None)
            if implementation is not None and hasattr(implementation, "values_at"):
                functions[name] = implementation.values_at
        return functions

    def external_values(self, names: list[str], namespace: Mapping[str, Any]) -> dict[str, Any]:
        """SI values of external constants by name."""
        from .namespace import resolve_external

        values = {}
        for name in names:
            found = resolve_external(name, namespace, "caller", as_function=False)
            if isinstance(found, ExternalConstant):
                values[name] = found.value
        return values

    def indices_where(self, condition: str) -> np.ndarray:
        """Indices of elements for which ``condition`` holds."""
        expression = parse_expression(condition, error=CodeError)
        if self.model is not None:
            check_code(self.model, expression, what="condition", expect=BOOLEAN,
                       extra_names=self.extra_code_names(), namespace=self.namespace,
                       caller_ns=None if self.namespace is not None else caller_namespace(),
                       strict=True)
        mask = np.broadcast_to(self._evaluate(expression, None), (self.N,))
        return np.flatnonzero(mask)

    def current_time(self) -> float:
        """The time of the network this group last ran in (0 before any run)."""
        return getattr(self, "_t", 0.0)

    @property
    def dt_(self) -> float:
        """The group's time step in seconds."""
        own = self.__dict__.get("_own_dt")
        return own if own is not None else defaultclock.dt_


class NeuronGroup(Group):
    """A group of neurons sharing one model.

    Parameters
    ----------
    N
        Number of neurons.
    model
        The equations: a string, an :class:`~jnsim.Equations` object, or a neuron
        model made with ``%%neuron`` (whose threshold, reset, ... are defaults
        that the keyword arguments override).
    threshold
        Spike condition, e.g. ``'v > -50*mV'``.
    reset
        Statements run for each spiking neuron, e.g. ``'v = -60*mV; w += b'``.
    refractory
        Refractory period: a time, a string expression giving a time per neuron,
        or a condition that holds while the neuron is refractory.
    method
        Integration method (``'exact'``, ``'euler'``, ``'rk4'``, ...); chosen
        automatically if omitted.
    namespace
        External names for this group (then nothing else is searched).
    dt
        The group's own time step (an integer multiple of the network's).
    name
        Free-text name used in reports.
    description
        Markdown/LaTeX text describing the population, for reports.

    Raises
    ------
    EquationError, UnitError, CodeError, MethodError, NamespaceError
        For every mistake found when the group is created.
    """

    _name_prefix = "neurongroup"

    def __init__(
        self,
        N: int,
        model: str | Equations | Any,
        threshold: str | None = None,
        reset: str | None = None,
        refractory: Any = False,
        method: str | tuple[str, ...] | None = None,
        namespace: Mapping[str, Any] | None = None,
        dt: Any = None,
        name: str | None = None,
        description: str | None = None,
        events: Mapping[str, str] | None = None,
        method_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(name)
        check_method_options(method_options)
        defaults = getattr(model, "neuron_defaults", None)
        if defaults is not None:  # a model object from the %%neuron magic
            self.source_model = model
            threshold = threshold if threshold is not None else defaults.get("threshold")
            reset = reset if reset is not None else defaults.get("reset")
            if refractory is False:
                refractory = defaults.get("refractory", False)
            method = method if method is not None else defaults.get("method")
            description = description if description is not None else defaults.get(
                "description")
            model = model.equations
        if isinstance(N, float | np.floating) and float(N).is_integer():
            N = int(N)  # NeuronGroup(0.8*N_total, ...), as Brian scripts compute sizes
        if not isinstance(N, int | np.integer) or isinstance(N, bool) or N < 1:
            raise JnsimError(f"the number of neurons must be a positive integer, not {N!r}")
        self._size = int(N)
        self.namespace = dict(namespace) if namespace is not None else None
        self.description = description
        self._own_dt = time_in_seconds(dt, "dt") if dt is not None else None
        self.has_refractoriness = refractory is not False and refractory is not None
        from .neuron_code import NeuronCode

        with errors_within(lambda: self.error_context):
            equations = model if isinstance(model, Equations) else Equations(model)
            self.equations = equations
            self.model = analyse(equations, ModelContext.neuron(self.has_refractoriness),
                                 namespace=self.namespace,
                                 caller_ns=self._creation_namespace())
            self.method_requested = method
            self.code = NeuronCode(self, threshold, reset, refractory, method, events)
        self._allocate()
        self._frozen = True

    def _creation_namespace(self) -> dict[str, Any] | None:
        return None if self.namespace is not None else caller_namespace()

    @property
    def N(self) -> int:
        """Number of neurons."""
        return self._size

    @property
    def method(self) -> str:
        """The integration method in use."""
        return self.code.state_update.method

    def _allocate(self) -> None:
        assert self.model is not None
        for name, variable in self.model.variables.items():
            if variable.kind is EquationKind.SUBEXPRESSION and (
                    "constant over dt" not in variable.flags):
                continue
            spec = VariableSpec(name, variable.dims, variable.dtype, variable.shared,
                                read_only=variable.kind is EquationKind.SUBEXPRESSION)
            self.specs[name] = spec
            self.arrays[name] = np.zeros(1 if spec.shared else self.N, spec.numpy_type)
        if self.has_refractoriness:
            self.specs["lastspike"] = VariableSpec("lastspike", _SECOND, read_only=True)
            self.arrays["lastspike"] = np.full(self.N, LASTSPIKE_INITIAL)
            self.specs["not_refractory"] = VariableSpec("not_refractory", DIMENSIONLESS,
                                                        "boolean", read_only=True)
            self.arrays["not_refractory"] = np.ones(self.N, dtype=bool)
        self.specs["i"] = VariableSpec("i", DIMENSIONLESS, "integer", read_only=True)
        self.arrays["i"] = np.arange(self.N, dtype=np.int64)
        # spikes of the current step, written by the threshold
        self.spike_buffer = np.zeros(self.N, dtype=np.int64)
        self.spike_count = np.zeros(1, dtype=np.int64)
        #: custom events: name -> (indices of the elements with the event this step, count)
        self.event_buffers = {name: (np.zeros(self.N, dtype=np.int64),
                                     np.zeros(1, dtype=np.int64))
                              for name in self.code.events}

    @property
    def events(self) -> tuple[str, ...]:
        """Names of the group's events: ``'spike'`` (with a threshold) and custom ones."""
        spike = ("spike",) if self.code.threshold is not None else ()
        return spike + tuple(self.code.events)

    def run_on_event(self, event: str, code: str, when: str = "resets") -> Any:
        """Run statements for every neuron that had ``event`` in this step.

        Parameters
        ----------
        event
            A custom event of the group (``events={'name': 'condition'}``) or
            ``'spike'`` (then the statements run in addition to the reset).
        code
            Statements, as in a reset.
        when
            The slot of the step (default ``'resets'``: after the group's reset).

        Returns
        -------
        EventOperation
            The operation, which runs with the group.
        """
        from .neuron_code import EventOperation

        operation = EventOperation(self, event, code, when)
        self.code.event_operations.append(operation)
        return operation

    def set_event_schedule(self, event: str, when: str = "thresholds") -> None:
        """Choose the slot of the step in which ``event``'s condition is tested."""
        from .codegen.blocks import check_slot

        check_event(self, event, custom_only=True)
        self.code.event_slots[event] = check_slot(when, f"the schedule of event '{event}'")

    def extra_code_names(self) -> dict[str, NameInfo]:
        return {}

    def __getitem__(self, item: slice | int) -> Subgroup:
        if isinstance(item, int | np.integer) and not isinstance(item, bool):
            index = int(item) + self.N if item < 0 else int(item)
            if not 0 <= index < self.N:
                raise JnsimError(f"{self.name} has {self.N} neurons: there is no neuron "
                                 f"{int(item)}")
            item = slice(index, index + 1)  # one neuron, as in Brian: G[3]
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise JnsimError("subgroups are contiguous: use G[start:stop]",
                             hint="for other selections, use indices in connect() or monitors")
        start, stop, _ = item.indices(self.N)
        if stop <= start:
            raise JnsimError(f"the subgroup {self.name}[{start}:{stop}] is empty")
        return Subgroup(self, start, stop)

    # -- running (called by the network) -------------------------------------------------
    def contained_objects(self) -> list[Any]:
        """Groups whose variables this one links to."""
        return [link.group for link in self.links.values()]

    def resolve(self, run_namespace: Any, caller_ns: Any) -> dict[str, Any]:
        """Resolve external names for a run."""
        self.check_links()
        return self.code.resolve(run_namespace, caller_ns)

    def operations(self, externals: Mapping[str, Any], base_dt: float) -> list[Any]:
        """The generated operations of this group."""
        return self.code.operations(externals, base_dt)

    def argument_values(self, externals: Mapping[str, Any], base_dt: float) -> dict[str, Any]:
        """Arrays and values the operations read."""
        return self.code.argument_values(externals, base_dt)

    def snapshot(self) -> dict[str, Any]:
        """A copy of the state (for ``store()``)."""
        return {"arrays": {n: a.copy() for n, a in self.arrays.items()},
                "spikes": (self.spike_buffer.copy(), self.spike_count.copy()),
                "events": {n: (b.copy(), c.copy()) for n, (b, c) in self.event_buffers.items()}}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Return to a state from :meth:`snapshot`."""
        for name, array in state["arrays"].items():
            self.arrays[name][...] = array
        self.spike_buffer[...], self.spike_count[...] = state["spikes"]
        for name, (buffer, count) in state.get("events", {}).items():
            self.event_buffers[name][0][...], self.event_buffers[name][1][...] = buffer, count

    def run_regularly(self, code: str, dt: Any = None, when: str = "start",
                      name: str | None = None) -> Any:
        """Run statements for every neuron at regular intervals (every ``dt``)."""
        from .neuron_code import RegularOperation

        operation = RegularOperation(self, code, dt, when, name)
        self.code.regular_operations.append(operation)
        return operation

    def __repr__(self) -> str:
        return f"<NeuronGroup {self.name!r} of {self.N} neurons>"

    def _repr_markdown_(self) -> str | None:
        from .display import group_markdown

        return group_markdown(self)


class Subgroup(JnsimObject):
    """A contiguous slice of a :class:`NeuronGroup`: ``G[100:200]``."""

    _name_prefix = "subgroup"

    def __init__(self, parent: NeuronGroup, start: int, stop: int) -> None:
        super().__init__(f"{parent.name}[{start}:{stop}]")
        self.parent = parent
        self.start = start
        self.stop = stop
        self.code_id = parent.code_id

    @property
    def N(self) -> int:
        """Number of neurons in the slice."""
        return self.stop - self.start

    def __len__(self) -> int:
        return self.N

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("parent", "start", "stop"):
            raise AttributeError(name)
        specs = self.parent.specs
        if name in specs:
            if specs[name].shared:
                return getattr(self.parent, name)
            return VariableView(self.parent, specs[name], lambda n=name: self.parent.array(n),
                                slice(self.start, self.stop))
        if name.endswith("_") and name[:-1] in specs:
            return self.parent.array(name[:-1])[self.start:self.stop].copy()
        if name in self.parent.subexpression_names():
            return self.parent.subexpression_view(name, slice(self.start, self.stop))
        if name.endswith("_") and name[:-1] in self.parent.subexpression_names():
            return self.parent.subexpression_si(name[:-1])[self.start:self.stop]
        return getattr(self.parent, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("parent", "start", "stop") or name.startswith("_") or name in (
                "creation_index", "scope", "name", "code_id", "active"):
            object.__setattr__(self, name, value)
            return
        if name in self.parent.specs:
            index = np.arange(self.start, self.stop)
            self.parent.set_variable(name, value, index, index_offset=self.start)
            return
        if name in self.parent.subexpression_names():
            raise self.parent.subexpression_error(name)
        raise JnsimError(f"{self.name} has no variable '{name}'")

    def run_regularly(self, code: str, dt: Any = None, when: str = "start",
                      name: str | None = None) -> Any:
        """Run statements for the subgroup's neurons at regular intervals (``i`` counts
        from the subgroup's first neuron)."""
        from .neuron_code import RegularOperation

        parent = self.parent
        operation = RegularOperation(parent, code, dt, when,
                                     name or f"{self.name}_run_regularly",
                                     elements=(self.start, self.stop))
        parent.code.regular_operations.append(operation)
        return operation

    def contained_objects(self) -> list[Any]:
        return [self.parent]

    def __repr__(self) -> str:
        return f"<Subgroup {self.name!r} of {self.N} neurons>"


def _describe_value(value: Any) -> Any:
    """What reports need of an assigned value: a scalar itself, else a phrase.

    The scalar is kept as given and formatted only when a report asks for it
    (:func:`jnsim.report.values.describe_assignment`): choosing a display unit
    costs more than the assignment.
    """
    magnitude = getattr(value, "magnitude", value)
    if np.ndim(magnitude) == 0:
        return value
    return "values given per element"


def group_slice(group: Any) -> tuple[Any, int, int]:
    """The group behind ``group`` (itself, or a subgroup's parent) and the slice it covers."""
    parent = getattr(group, "parent", None)
    if parent is not None:
        return parent, group.start, group.stop
    return group, 0, group.N


def check_event(group: Any, event: str, custom_only: bool = False) -> None:
    """Raise a clear error unless ``group`` has the event ``event``."""
    known = tuple(getattr(group, "events", ("spike",) if hasattr(group, "spike_buffer")
                          else ()))
    if custom_only:
        known = tuple(e for e in known if e != "spike")
    if event not in known:
        listed = ", ".join(repr(e) for e in known) or "none"
        close = difflib.get_close_matches(str(event), known, n=1)
        hint = (f"did you mean {close[0]!r}?" if close else
                "custom events are declared at creation: "
                "NeuronGroup(..., events={'name': 'condition'})")
        raise JnsimError(f"{group.name} has no event {event!r} (its events: {listed})",
                         hint=hint)


def event_arrays(group: Any, event: str) -> tuple[str, np.ndarray, np.ndarray]:
    """The driver-key stem, index buffer and count of one event of a group.

    ``'spike'`` is the threshold's event (keys ``<id>__spikes``/``<id>__nspikes``);
    custom events use ``<id>__ev_<name>``/``<id>__nev_<name>``.
    """
    if event == "spike" and hasattr(group, "spike_buffer"):
        return "spikes", group.spike_buffer, group.spike_count
    check_event(group, event)
    buffer, count = group.event_buffers[event]
    return f"ev_{event}", buffer, count


def check_shared_value(expression: Any, target: str, per_element: set[str],
                       span: Any = None) -> None:
    """Raise unless ``expression`` has one value for all elements (as a shared ``target``
    needs): it may not read variables that have a value per element."""
    used = sorted(expression.names & per_element)
    if used:
        raise CodeError(
            f"the shared variable '{target}' cannot be set from '{used[0]}', which has a "
            "value per element", span if span is not None else expression.span(),
            "a shared variable has one value for the whole group: compute it from shared "
            "variables, constants, t and dt only")
