"""Input stimuli: Poisson spike sources, spikes at given times, and Poisson input.

* :class:`PoissonGroup` — ``N`` independent Poisson spike trains whose rates
  are numbers (settable between runs) or a string expression (it may use
  ``i``, ``t``, ``N`` and external names).
* :class:`SpikeGeneratorGroup` — spikes of given neurons at given times,
  optionally repeated with a period.
* :class:`PoissonInput` — the summed effect of ``N`` Poisson inputs on one
  variable of every neuron of a group, drawn as a binomial number per step,
  without creating the inputs as a group.

The two groups emit spikes in the ``thresholds`` slot of a step through the
same interface as a :class:`~jnsim.NeuronGroup` (``spike_buffer`` and
``spike_count``), so monitors and synapses take them as sources.  Every value
(rates, spike times, weights) reaches the kernel as an argument: changing one
never recompiles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy

from .analysis import AnalysedModel, analyse, check_code
from .base import JnsimObject
from .clock import time_in_seconds
from .codegen.blocks import (
    FunctionBuilder,
    Operation,
    check_slot,
    external_values,
    render_statements,
)
from .context import ModelContext
from .dimensions import same_dimensions
from .equations import Equations, Expression, parse_expression
from .errors import CodeError, JnsimError, UnitError
from .groups import Group, Subgroup
from .namespace import caller_namespace
from .neuron_code import ElementFunction, _every
from .sympy_conversion import symbol, to_sympy
from .units import (
    DIMENSIONLESS,
    Dimensions,
    dimensions_of,
    format_quantity,
    is_dimensionless,
    quantity_from_sequence,
    quantity_from_si,
    registry,
    to_si,
    unit_words,
)
from .variables import VariableSpec, VariableView

__all__ = ["PoissonGroup", "PoissonInput", "SpikeGeneratorGroup"]

_HERTZ = Dimensions({"[time]": -1})
_SECOND = Dimensions({"[time]": 1})
_BASE_MODEL: AnalysedModel | None = None


# -- value helpers ------------------------------------------------------------------------

def _base_model() -> AnalysedModel:
    """A model without variables: the context in which rate expressions are checked."""
    global _BASE_MODEL
    if _BASE_MODEL is None:
        _BASE_MODEL = analyse(Equations(""), ModelContext.neuron(refractory=False))
    return _BASE_MODEL


def _constants(expression: Expression) -> frozenset[str]:
    return frozenset({"pi", "e", "inf"} & expression.identifiers)


def _count(value: Any, what: str, allow_zero: bool = False) -> int:
    """A positive (or non-negative) integer given by the user."""
    smallest = 0 if allow_zero else 1
    if isinstance(value, float | np.floating) and float(value).is_integer():
        value = int(value)  # 0.1 * 1e4 inputs, as Brian scripts compute counts
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < smallest:
        kind = "a non-negative" if allow_zero else "a positive"
        raise JnsimError(f"{what} must be {kind} integer, not {value!r}")
    return int(value)


def _as_quantity(value: Any) -> Any:
    """A list or tuple of quantities as one quantity array; anything else unchanged."""
    if isinstance(value, VariableView):
        return value.quantity
    return quantity_from_sequence(value)


def _describe_units(dims: Dimensions) -> str:
    return "no units" if is_dimensionless(dims) else f"units of {unit_words(dims)}"


def _rates_si(value: Any, what: str) -> np.ndarray:
    """Rates (a quantity or quantity array in Hz) in 1/second, checked.

    ``what`` names them in messages (``'the rates of poissongroup'``).
    """
    value = _as_quantity(value)
    dims = dimensions_of(value)
    if not same_dimensions(dims, _HERTZ):
        raise UnitError(f"{what} must be in Hz, but the value given has "
                        f"{_describe_units(dims)}",
                        hint="e.g. rates=10*Hz, or one rate per neuron such as "
                             "np.linspace(1, 20, N)*Hz")
    values = np.asarray(to_si(value), dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if np.any(bad):
        first = float(values[bad].flat[0])
        raise JnsimError(f"{what} must be finite and non-negative, not {first:g} Hz",
                         hint="a rate is a number of spikes per second, e.g. 5*Hz")
    return values


def _times_si(value: Any, what: str) -> np.ndarray:
    """Spike times (a time quantity array) in seconds, checked, as a 1-D array."""
    value = _as_quantity(value)
    dims = dimensions_of(value)
    if not same_dimensions(dims, _SECOND):
        raise UnitError(f"the {what} must be times, but the value given has "
                        f"{_describe_units(dims)}",
                        hint="give them units, e.g. times=[1, 5.5, 10]*ms")
    values = np.atleast_1d(np.asarray(to_si(value), dtype=float))
    if values.ndim != 1:
        raise JnsimError(f"the {what} must be a one-dimensional array, "
                         f"not one of shape {values.shape}")
    bad = ~np.isfinite(values) | (values < 0)
    if np.any(bad):
        raise JnsimError(f"the {what} must be finite and not negative, but one is "
                         f"{float(values[bad][0]) * 1e3:g} ms")
    return values


def _indices_array(value: Any, N: int, owner: str) -> np.ndarray:
    """Neuron indices as a 1-D int64 array, checked against the group size."""
    if isinstance(value, registry.Quantity):
        if not is_dimensionless(dimensions_of(value)):
            raise UnitError(f"the indices of {owner} must be plain integers, not a value "
                            f"with {_describe_units(dimensions_of(value))}")
        value = value.magnitude
    array = np.atleast_1d(np.asarray(value))
    if array.ndim != 1:
        raise JnsimError(f"the indices of {owner} must be a one-dimensional array, "
                         f"not one of shape {array.shape}")
    if array.size and array.dtype.kind not in "iu":
        numeric = array.dtype.kind == "f" and np.all(np.isfinite(array))
        if not numeric or not np.all(array == np.round(array)):
            raise JnsimError(f"the indices of {owner} must be integers, not {array[:5]!r}",
                             hint="e.g. indices=[0, 3, 1]")
    array = array.astype(np.int64)
    outside = (array < 0) | (array >= N)
    if np.any(outside):
        raise JnsimError(f"index {int(array[outside][0])} is out of range for {owner}, "
                         f"which has {N} neurons",
                         hint=f"indices go from 0 to {N - 1}")
    return array


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:g} ms"


class _InputSubgroup(Subgroup):
    """A contiguous slice of an input group: ``P[:10]``."""

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and name not in ("parent", "start", "stop"):
            parent = self.parent
            if name in parent.subexpression_names():
                return parent.subexpression_values(name)[self.start:self.stop]
            if name.endswith("_") and name[:-1] in parent.subexpression_names():
                return np.asarray(parent.subexpression_values(name[:-1]).to_base_units()
                                  .magnitude)[self.start:self.stop]
        return super().__getattr__(name)

    def __setattr__(self, name: str, value: Any) -> None:
        parent = self.__dict__.get("parent")
        if parent is not None and name.rstrip("_") in parent.subexpression_names():
            setattr(parent, name, value)  # the parent explains why it cannot be set
            return
        super().__setattr__(name, value)

    def __repr__(self) -> str:
        return f"<Subgroup {self.name!r} of {self.N} neurons>"


class _SpikeSource(Group):
    """What both input groups share: a size, the spike interface and subgroups."""

    def __init__(self, N: int, dt: Any, name: str | None) -> None:
        super().__init__(name)
        self._size = _count(N, f"the number of neurons of {type(self).__name__}")
        self._own_dt = time_in_seconds(dt, "dt") if dt is not None else None
        self.specs["i"] = VariableSpec("i", DIMENSIONLESS, "integer", read_only=True)
        self.arrays["i"] = np.arange(self._size, dtype=np.int64)
        #: Indices of the neurons that spiked in the current step (first ``spike_count[0]``).
        self.spike_buffer = np.zeros(self._size, dtype=np.int64)
        #: Number of spikes in the current step.
        self.spike_count = np.zeros(1, dtype=np.int64)

    @property
    def N(self) -> int:
        """Number of neurons."""
        return self._size

    def __getitem__(self, item: slice) -> Subgroup:
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise JnsimError("subgroups are contiguous: use G[start:stop]",
                             hint="for other selections, use indices in connect() or monitors")
        start, stop, _ = item.indices(self.N)
        if stop <= start:
            raise JnsimError(f"the subgroup {self.name}[{start}:{stop}] is empty")
        return _InputSubgroup(self, start, stop)  # type: ignore[arg-type]

    def _spike_arguments(self) -> dict[str, Any]:
        cid = self.code_id
        return {f"{cid}__N": np.int64(self.N), f"{cid}__dt": float(self.dt_),
                f"{cid}__spikes": self.spike_buffer, f"{cid}__nspikes": self.spike_count}

    def snapshot(self) -> dict[str, Any]:
        """A copy of the state (for ``store()``)."""
        return {"arrays": {n: a.copy() for n, a in self.arrays.items()},
                "spikes": (self.spike_buffer.copy(), self.spike_count.copy())}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Return to a state from :meth:`snapshot`."""
        for name, array in state["arrays"].items():
            self.arrays[name][...] = array
        self.spike_buffer[...], self.spike_count[...] = state["spikes"]


# -- PoissonGroup ---------------------------------------------------------------------------

class PoissonGroup(_SpikeSource):
    """``N`` independent Poisson spike trains.

    In each time step, neuron ``i`` spikes with probability ``rates[i]*dt``.

    Parameters
    ----------
    N
        Number of neurons.
    rates
        The firing rates: a rate (``10*Hz``), one rate per neuron (an array
        quantity or a list of rates), or a string expression in Hz that may use
        ``i``, ``t``, ``N`` and external names (``'r0*(1 + sin(2*pi*f*t))'``);
        external names are looked up at ``run()``, so changing them between
        runs never recompiles.
    dt
        The group's own time step (a multiple of the network's); the default
        clock's by default.
    name
        Free-text name.
    namespace
        External names for a string ``rates`` (then nothing else is searched).

    Raises
    ------
    UnitError
        If the rates are not in Hz.
    JnsimError
        For a negative rate, a wrong number of rates or a bad ``N``.

    Examples
    --------
    >>> P = PoissonGroup(100, rates=15*Hz)      # doctest: +SKIP
    >>> P.rates = np.linspace(1, 50, 100)*Hz    # doctest: +SKIP
    >>> P2 = PoissonGroup(10, 'i*5*Hz')         # doctest: +SKIP
    """

    _name_prefix = "poissongroup"

    def __init__(self, N: int, rates: Any, dt: Any = None, name: str | None = None,
                 namespace: Mapping[str, Any] | None = None) -> None:
        super().__init__(N, dt, name)
        self.namespace = dict(namespace) if namespace is not None else None
        #: The rate expression when ``rates`` was given as a string, else ``None``.
        self.rates_expression: Expression | None = None
        if isinstance(rates, str):
            self._use_expression(rates)
        else:
            self._use_values(rates)
        self._frozen = True

    def _creation_namespace(self) -> dict[str, Any] | None:
        return None if self.namespace is not None else caller_namespace()

    def _use_expression(self, text: str) -> None:
        expression = parse_expression(text, error=CodeError)
        _check_rate_expression(expression, namespace=self.namespace,
                               caller_ns=self._creation_namespace())
        self.rates_expression = expression
        self.model = analyse(Equations(f"rates = {expression} : Hz"),
                             ModelContext.neuron(refractory=False), namespace=self.namespace,
                             caller_ns=self._creation_namespace())

    def _use_values(self, rates: Any) -> None:
        values = _rates_si(rates, f"the rates of {self.name}")
        if values.ndim == 0:
            values = np.full(self.N, float(values))
        elif values.shape != (self.N,):
            raise JnsimError(f"{self.name} has {self.N} neurons but got {values.size} rates",
                             hint=f"give one rate, or an array of {self.N} rates")
        self.model = analyse(Equations("rates : Hz"), ModelContext.neuron(refractory=False))
        self.specs["rates"] = VariableSpec("rates", _HERTZ)
        self.arrays["rates"] = values.astype(np.float64)

    # -- rates ---------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("rates", "rates_") and self.__dict__.get("rates_expression") is not None:
            assert self.rates_expression is not None
            raise JnsimError(
                f"the rates of {self.name} are given by the expression "
                f"'{self.rates_expression!s}' and cannot be set",
                hint="use an external name in the expression (rates='r0*(1 + 0.5*sin(2*pi*f*t))')"
                     " and change its value, or create the group with numeric rates")
        super().__setattr__(name, value)

    def __getattr__(self, name: str) -> Any:
        if name == "rates_" and self.__dict__.get("rates_expression") is not None:
            return np.asarray(self.subexpression_values("rates").to_base_units().magnitude)
        return super().__getattr__(name)

    def set_variable(self, name: str, value: Any, index: Any = slice(None),
                     raw: bool = False, index_offset: int = 0) -> None:
        """Assign ``value`` to variable ``name`` at ``index`` (rates are checked).

        See :meth:`jnsim.groups.Group.set_variable`; rates must be in Hz,
        finite and non-negative.
        """
        if name != "rates":
            super().set_variable(name, value, index, raw, index_offset)
            return
        if not isinstance(value, str) and not raw:
            value, raw = _rates_si(value, f"the rates of {self.name}"), True
        before = self.arrays["rates"].copy()
        super().set_variable(name, value, index, raw, index_offset)
        after = self.arrays["rates"]
        bad = ~np.isfinite(after) | (after < 0)
        if np.any(bad):
            first = float(after[bad][0])
            after[...] = before
            raise JnsimError(f"the rates of {self.name} must be finite and non-negative, "
                             f"not {first:g} Hz", hint="the rates were left unchanged")

    # -- run_regularly ------------------------------------------------------------------
    @property
    def code(self) -> _PoissonCode:
        """What :class:`~jnsim.neuron_code.RegularOperation` needs of the group."""
        return _PoissonCode(self)

    @property
    def regular_operations(self) -> list[Any]:
        """The group's ``run_regularly`` operations."""
        return self.__dict__.setdefault("_regular_operations", [])

    def run_regularly(self, code: str, dt: Any = None, when: str = "start",
                      name: str | None = None) -> Any:
        """Run statements for every neuron at regular intervals (every ``dt``), e.g.
        ``P.run_regularly('rates = r0*(1 + 0.2*randn())', dt=50*ms)`` (numeric rates
        only: rates given as an expression have nothing to assign)."""
        from .neuron_code import RegularOperation

        if self.rates_expression is not None:
            raise JnsimError(
                f"the rates of {self.name} are given by the expression "
                f"'{self.rates_expression!s}': run_regularly code cannot assign them",
                hint="create the group with numeric rates (PoissonGroup(N, 0*Hz)) and set "
                     "them in the run_regularly code")
        operation = RegularOperation(self, code, dt, when, name)  # type: ignore[arg-type]
        self.regular_operations.append(operation)
        return operation

    # -- running -----------------------------------------------------------------------
    def resolve(self, run_namespace: Mapping[str, Any] | None,
                caller_ns: Mapping[str, Any] | None) -> dict[str, Any]:
        """Resolve the external names of a rate expression (or of run_regularly code)
        for a run."""
        if self.rates_expression is None:
            externals: dict[str, Any] = {}
            for operation in self.regular_operations:
                externals.update(check_code(
                    self.model, operation.statements, what="run_regularly code",
                    writable=self.code.writable(), namespace=self.namespace,
                    run_namespace=run_namespace, caller_ns=caller_ns, strict=True).externals)
            return externals
        return dict(_check_rate_expression(
            self.rates_expression, namespace=self.namespace, run_namespace=run_namespace,
            caller_ns=caller_ns, strict=True))

    def operations(self, externals: Mapping[str, Any], base_dt: float) -> list[Operation]:
        """The spike generation, in the ``thresholds`` slot."""
        cid = self.code_id
        every = _every(self.dt_, base_dt, self.name)
        builder = FunctionBuilder(f"{cid}_{self.slug}_thresholds")
        function = ElementFunction(builder, {n: False for n in self.arrays}, cid, externals)
        if self.rates_expression is not None:
            rate = to_sympy(self.rates_expression, _constants(self.rates_expression))
        else:
            rate = symbol("rates")
        builder.parameter("N", f"{cid}__N")
        builder.parameter("dt", f"{cid}__dt")
        per_step, per_element = function.bind({s.name for s in rate.free_symbols})
        builder.parameter("_spikes", f"{cid}__spikes")
        builder.parameter("_nspikes", f"{cid}__nspikes")
        builder.add(*per_step)
        builder.add("_n = 0")
        builder.add("for _idx in range(N):")
        builder.add(*per_element, indent=2)
        render_statements(builder, [("_p", rate * symbol("dt"))], function.scalars | {"dt"},
                          indent=2, loop_indent=1)
        builder.add("if _rand(_rng) < _p:", indent=2)
        builder.add("_spikes[_n] = _idx", "_n += 1", indent=3)
        builder.add("_nspikes[0] = _n")
        regular = [operation.operation(externals, base_dt, index)
                   for index, operation in enumerate(self.regular_operations)]
        return [builder.operation("thresholds", self.creation_index, cid, every), *regular]

    def argument_values(self, externals: Mapping[str, Any], base_dt: float) -> dict[str, Any]:
        """Arrays and values the operation reads."""
        cid = self.code_id
        values: dict[str, Any] = {f"{cid}__{n}": a for n, a in self.arrays.items()}
        values.update(self._spike_arguments())
        values.update(external_values(externals, cid))
        return values

    def __repr__(self) -> str:
        if self.rates_expression is not None:
            rates = f"'{self.rates_expression!s}'"
        else:
            values = self.arrays["rates"]
            rates = (format_quantity(values[0] * registry.hertz)
                     if np.all(values == values[0]) else "per-neuron rates")
        return f"<PoissonGroup {self.name!r} of {self.N} neurons at {rates}>"


class _PoissonCode:
    """The code interface of a :class:`PoissonGroup` that ``run_regularly`` uses
    (as :class:`~jnsim.neuron_code.NeuronCode` offers it for neuron groups)."""

    def __init__(self, group: PoissonGroup) -> None:
        self.group = group

    def shared_names(self) -> set[str]:
        return set()

    def writable(self) -> dict[str, Any]:
        from .dimensions import NameInfo

        return {"rates": NameInfo(_HERTZ, "float")}

    def _element_function(self, name: str, externals: Mapping[str, Any]) -> ElementFunction:
        group = self.group
        builder = FunctionBuilder(f"{group.code_id}_{group.slug}_{name}")
        return ElementFunction(builder, {n: False for n in group.arrays}, group.code_id,
                               externals)


def _check_rate_expression(expression: Expression, **namespaces: Any
                           ) -> Mapping[str, Any]:
    """Check that a rate expression is in Hz; returns its resolved external names."""
    checked = check_code(_base_model(), expression, what="rates", **namespaces)
    if checked.dims is not None and not same_dimensions(checked.dims, _HERTZ):
        raise UnitError(f"the rates must be in Hz, but '{expression}' has "
                        f"{_describe_units(checked.dims)}", expression.span(),
                        "e.g. rates='(1 + i)*5*Hz' or 'r0*(1 + sin(2*pi*f*t))'")
    return checked.externals


# -- SpikeGeneratorGroup --------------------------------------------------------------------

class SpikeGeneratorGroup(_SpikeSource):
    """Neurons that spike at given times.

    A spike at time ``t`` is emitted in the time step whose interval contains
    ``t`` (step ``floor(t/dt)``, with a tolerance of a thousandth of ``dt`` for
    rounding errors), so a :class:`~jnsim.SpikeMonitor` records it at the start
    of that step. Spikes at times already past when a run starts are not emitted.

    Parameters
    ----------
    N
        Number of neurons.
    indices
        The neuron of each spike (integers in ``[0, N)``).
    times
        The time of each spike (a time quantity array, as long as ``indices``).
    period
        If positive, the pattern repeats with this period (a multiple of
        ``dt``; every spike time must lie before it). ``0*ms`` or ``None``: no
        repetition. Keyword only (Brian's fourth positional argument is ``dt``,
        so positional use would be ambiguous).
    dt
        The group's own time step; the default clock's by default. Keyword only.
    sorted
        Accepted for Brian compatibility: the spikes are always sorted here
        (cheaply), so it is never needed.
    name
        Free-text name.

    Raises
    ------
    UnitError
        If the times (or the period) are not times.
    JnsimError
        For indices out of range, lengths that differ, negative times, two
        spikes of one neuron in one time step, or a period that does not fit.

    Examples
    --------
    >>> G = SpikeGeneratorGroup(3, [0, 2, 1], [1, 2, 4]*ms)                 # doctest: +SKIP
    >>> G.set_spikes([0, 0], [5, 10]*ms, period=20*ms)                       # doctest: +SKIP
    """

    _name_prefix = "spikegeneratorgroup"

    def __init__(self, N: int, indices: Any, times: Any, *, period: Any = None,
                 dt: Any = None, sorted: bool = False, name: str | None = None) -> None:
        super().__init__(N, dt, name)
        self._cursor = np.zeros(1, dtype=np.int64)
        self._binned: tuple[float, np.ndarray, np.ndarray, int] | None = None
        self._set(indices, times, period if period is not None else 0.0 * registry.second)
        self._frozen = True

    # -- the spikes ------------------------------------------------------------------------
    def set_spikes(self, indices: Any, times: Any, period: Any = None,
                   sorted: bool = False) -> None:
        """Replace the spikes this group emits.

        Parameters
        ----------
        indices, times
            As for the constructor.
        period
            The new period; the current one if omitted.
        sorted
            Accepted for Brian compatibility.

        Notes
        -----
        Spikes at times before the network's current time are not emitted.
        """
        self._set(indices, times, period if period is not None else self.period)

    def _set(self, indices: Any, times: Any, period: Any) -> None:
        times_s = _times_si(times, f"spike times of {self.name}")
        indices_ = _indices_array(indices, self.N, self.name)
        if indices_.size != times_s.size:
            raise JnsimError(f"{self.name} got {indices_.size} indices but {times_s.size} "
                             "times", hint="give one index for each spike time")
        period_s = _period_si(period, self.name)
        if period_s > 0 and times_s.size and times_s.max() >= period_s:
            raise JnsimError(f"the spike at {_ms(times_s.max())} of {self.name} is not before "
                             f"the end of the period ({_ms(period_s)})",
                             hint="every spike time must be smaller than the period")
        binned = _bin_spikes(indices_, times_s, period_s, self.dt_, self.name)
        self._indices, self._times, self._period = indices_, times_s, period_s
        self._binned = binned
        self._cursor[0] = 0

    @property
    def indices(self) -> np.ndarray:
        """The neuron index of each spike (in the order given)."""
        return self._indices.copy()

    @property
    def times(self) -> Any:
        """The time of each spike (in the order given)."""
        return quantity_from_si(self._times.copy(), _SECOND)

    @property
    def period(self) -> Any:
        """The period of repetition (``0 ms``: none)."""
        return quantity_from_si(self._period, _SECOND)

    def _current_bins(self) -> tuple[float, np.ndarray, np.ndarray, int]:
        dt = self.dt_
        if self._binned is None or self._binned[0] != dt:
            self._binned = _bin_spikes(self._indices, self._times, self._period, dt, self.name)
            self._cursor[0] = 0
        return self._binned

    # -- running ------------------------------------------------------------------------
    def resolve(self, run_namespace: Mapping[str, Any] | None,
                caller_ns: Mapping[str, Any] | None) -> dict[str, Any]:
        """Check the spikes against the current time step (no names to resolve)."""
        self._current_bins()
        return {}

    def operations(self, externals: Mapping[str, Any], base_dt: float) -> list[Operation]:
        """The spike emission, in the ``thresholds`` slot.

        The spikes are sorted by time step; a cursor remembers the next one, so
        each step costs only its own spikes.  If time went back (a new period,
        ``restore()``) or jumped forward, the cursor is found again by bisection.
        """
        cid = self.code_id
        every = _every(self.dt_, base_dt, self.name)
        b = FunctionBuilder(f"{cid}_{self.slug}_thresholds")
        # N is unused here, but a SpikeMonitor's precheck reads it as a driver argument.
        for local, key in (("t", "t"), ("dt", f"{cid}__dt"), ("N", f"{cid}__N"),
                           ("_steps", f"{cid}__spike_steps"),
                           ("_indices", f"{cid}__spike_indices"), ("_cursor", f"{cid}__cursor"),
                           ("_period", f"{cid}__period_steps"), ("_spikes", f"{cid}__spikes"),
                           ("_nspikes", f"{cid}__nspikes")):
            b.parameter(local, key)
        b.add("_now = np.int64(t / dt + 0.5)",
              "if _period > 0:",
              "    _now = _now % _period",
              "_m = _steps.shape[0]",
              "_k = _cursor[0]",
              "if (_k > 0 and _steps[_k - 1] >= _now) or (_k < _m and _steps[_k] < _now):",
              "    _k = np.searchsorted(_steps, _now)",
              "_n = 0",
              "while _k < _m and _steps[_k] == _now:",
              "    _spikes[_n] = _indices[_k]",
              "    _n += 1",
              "    _k += 1",
              "_cursor[0] = _k",
              "_nspikes[0] = _n")
        return [b.operation("thresholds", self.creation_index, cid, every)]

    def argument_values(self, externals: Mapping[str, Any], base_dt: float) -> dict[str, Any]:
        """Arrays and values the operation reads."""
        cid = self.code_id
        _, steps, indices, period_steps = self._current_bins()
        values = self._spike_arguments()
        values.update({f"{cid}__spike_steps": steps, f"{cid}__spike_indices": indices,
                       f"{cid}__cursor": self._cursor,
                       f"{cid}__period_steps": np.int64(period_steps)})
        return values

    def snapshot(self) -> dict[str, Any]:
        """A copy of the state, the spikes and the cursor (for ``store()``)."""
        state = super().snapshot()
        state["pattern"] = (self._indices, self._times, self._period, self._binned)
        state["cursor"] = self._cursor.copy()
        return state

    def restore(self, state: Mapping[str, Any]) -> None:
        """Return to a state from :meth:`snapshot`."""
        super().restore(state)
        self._indices, self._times, self._period, self._binned = state["pattern"]
        self._cursor[...] = state["cursor"]

    def __repr__(self) -> str:
        period = f", period {_ms(self._period)}" if self._period > 0 else ""
        return (f"<SpikeGeneratorGroup {self.name!r} of {self.N} neurons with "
                f"{self._times.size} spikes{period}>")


def _period_si(period: Any, owner: str) -> float:
    dims = dimensions_of(period)
    if not same_dimensions(dims, _SECOND):
        if is_dimensionless(dims) and np.ndim(period) == 0 and float(period) == 0:
            return 0.0
        raise UnitError(f"the period of {owner} must be a time, but the value given has "
                        f"{_describe_units(dims)}", hint="e.g. period=100*ms")
    seconds = float(to_si(period))
    if not np.isfinite(seconds) or seconds < 0:
        raise JnsimError(f"the period of {owner} must be a non-negative time, not {period!r}",
                         hint="use 0*ms for spikes that do not repeat")
    return seconds


def _bin_spikes(indices: np.ndarray, times: np.ndarray, period: float, dt: float,
                owner: str) -> tuple[float, np.ndarray, np.ndarray, int]:
    """The time step of each spike, sorted by (step, index), and the period in steps.

    Raises
    ------
    JnsimError
        If a neuron spikes twice in one step, or the period does not fit ``dt``.
    """
    period_steps = 0
    if period > 0:
        ratio = period / dt
        period_steps = round(ratio)
        if period_steps < 1 or abs(ratio - period_steps) > 1e-6 * max(1.0, ratio):
            raise JnsimError(f"the period of {owner} ({_ms(period)}) is not a whole multiple "
                             f"of its time step ({_ms(dt)})",
                             hint="choose a period that is a multiple of dt")
    steps = np.floor(times / dt + 1e-3).astype(np.int64)
    order = np.lexsort((indices, steps))
    steps, sorted_indices = steps[order], indices[order]
    if period_steps and steps.size and steps[-1] >= period_steps:
        raise JnsimError(f"a spike of {owner} at {_ms(times[order][-1])} falls in the last "
                         f"time step of the period ({_ms(period)}) or after it",
                         hint="every spike time must be smaller than the period")
    twice = np.flatnonzero((steps[1:] == steps[:-1])
                           & (sorted_indices[1:] == sorted_indices[:-1]))
    if twice.size:
        k = int(twice[0])
        first, second = times[order][k], times[order][k + 1]
        raise JnsimError(f"neuron {int(sorted_indices[k])} of {owner} would spike twice in "
                         f"one time step (dt = {_ms(dt)}): at {_ms(first)} and "
                         f"{_ms(second)}",
                         hint="use a smaller dt for the group, or remove one of the spikes")
    return dt, np.ascontiguousarray(steps), np.ascontiguousarray(sorted_indices), period_steps


# -- PoissonInput -----------------------------------------------------------------------------

class PoissonInput(JnsimObject):
    """``N`` independent Poisson inputs to one variable of every neuron of a group.

    Each time step, for each neuron, the variable is increased by
    ``weight * k`` where ``k ~ Binomial(N, rate*dt)``: the number of the
    ``N`` inputs that spiked in the step.  This is much cheaper than a
    :class:`PoissonGroup` with synapses and gives the same statistics.

    Parameters
    ----------
    target
        The neuron group (or subgroup) receiving the input.
    target_var
        The variable to increase (e.g. ``'v'`` or ``'ge'``).
    N
        Number of inputs per neuron.
    rate
        The rate of each input (in Hz).
    weight
        The increase per input spike: a quantity with the units of
        ``target_var``, or a string expression with those units that may use
        the target's variables, ``i``, ``t`` and external names.
    when
        The slot of the step in which the input is added (``'synapses'``).
    order
        Order within the slot, relative to other objects.
    name
        Free-text name.

    Raises
    ------
    UnitError
        If the rate is not in Hz or the weight has the wrong units.
    JnsimError
        For an unknown or read-only target variable, or a bad ``N``.

    Notes
    -----
    ``N``, ``rate`` and a numeric ``weight`` can be changed between runs
    without recompiling.
    """

    _name_prefix = "poissoninput"
    _dependency_verb = "drives"

    def dependencies(self) -> list[Any]:
        """The group it feeds, which must run in the same network."""
        return [self.group]

    def __init__(self, target: Any, target_var: str, N: int, rate: Any, weight: Any,
                 when: str = "synapses", order: int = 0, name: str | None = None) -> None:
        super().__init__(name)
        parent = getattr(target, "parent", None)
        self.target = target
        self.group = parent if parent is not None else target
        self.start = target.start if parent is not None else 0
        self.stop = target.stop if parent is not None else getattr(self.group, "N", 0)
        specs = getattr(self.group, "specs", None)
        if not isinstance(self.group, Group) or specs is None or self.group.model is None:
            raise JnsimError(f"PoissonInput needs a NeuronGroup as target, not {target!r}")
        if target_var not in specs:
            known = sorted(n for n, s in specs.items() if not s.read_only)
            raise JnsimError(f"{self.group.name} has no variable '{target_var}' for "
                             f"PoissonInput to increase",
                             hint="its variables are: " + ", ".join(known))
        spec = specs[target_var]
        if spec.read_only or spec.dtype != "float" or spec.shared:
            why = ("it is read-only" if spec.read_only else
                   "it is shared" if spec.shared else "it is not a floating point variable")
            raise JnsimError(f"PoissonInput cannot increase '{target_var}' of "
                             f"{self.group.name}: {why}",
                             hint="target a per-neuron floating point variable such as a "
                                  "membrane potential or a conductance")
        check_slot(when, f"PoissonInput of {target.name}")
        self.target_var = target_var
        self.when = when
        self.order = float(order)
        self._n = 0
        self._rate = 0.0
        self._weight_value = 0.0
        self.weight_expression: Expression | None = None
        self.N = N
        self.rate = rate
        self.weight = weight

    # -- values ---------------------------------------------------------------------------
    @property
    def target_dims(self) -> Dimensions:
        """The dimensions of the target variable."""
        return self.group.specs[self.target_var].dims

    @property
    def N(self) -> int:
        """Number of inputs per neuron."""
        return self._n

    @N.setter
    def N(self, value: int) -> None:
        self._n = _count(value, "the number of inputs of PoissonInput", allow_zero=True)

    @property
    def rate(self) -> Any:
        """The rate of each input."""
        return quantity_from_si(self._rate, _HERTZ)

    @rate.setter
    def rate(self, value: Any) -> None:
        rate = _rates_si(value, f"the rate of {self.name}")
        if rate.ndim != 0:
            raise JnsimError(f"the rate of {self.name} must be one value, not {rate.size}",
                             hint="all inputs share one rate; use a PoissonGroup with "
                                  "synapses for different rates")
        self._rate = float(rate)

    @property
    def weight(self) -> Any:
        """The increase per input spike (a quantity, or the expression string)."""
        if self.weight_expression is not None:
            return str(self.weight_expression)
        return quantity_from_si(self._weight_value, self.target_dims)

    @weight.setter
    def weight(self, value: Any) -> None:
        expected = self.target_dims
        what = f"the weight of {self.name}"
        hint = ("use a plain number" if is_dimensionless(expected) else
                f"give the weight units of {unit_words(expected)}, like '{self.target_var}'")
        if isinstance(value, str):
            expression = parse_expression(value, error=CodeError)
            namespace = self.group.namespace
            _check_weight(self.group.model, expression, expected, what, hint,
                          namespace=namespace,
                          caller_ns=None if namespace is not None else caller_namespace())
            self.weight_expression = expression
            return
        value = _as_quantity(value)
        dims = dimensions_of(value)
        if not same_dimensions(dims, expected):
            raise UnitError(f"{what} has {_describe_units(dims)}, but '{self.target_var}' "
                            f"of {self.group.name} has {_describe_units(expected)}", hint=hint)
        magnitude = np.asarray(to_si(value), dtype=float)
        if magnitude.ndim != 0:
            raise JnsimError(f"{what} must be one value (or a string expression), not "
                             f"{magnitude.size} values",
                             hint="for a weight per neuron, write an expression such as "
                                  "weight='w0*(1 + i/N)'")
        self.weight_expression = None
        self._weight_value = float(magnitude)

    def _probability(self, dt: float) -> float:
        p = self._rate * dt
        if p > 1:
            raise JnsimError(f"the rate of {self.name} ({self._rate:g} Hz) is too high for "
                             f"the time step {_ms(dt)}: rate*dt = {p:g} > 1",
                             hint="lower the rate (or use more inputs), or use a smaller dt")
        return p

    # -- running ----------------------------------------------------------------------------
    def resolve(self, run_namespace: Mapping[str, Any] | None,
                caller_ns: Mapping[str, Any] | None) -> dict[str, Any]:
        """Resolve the external names of a weight expression for a run."""
        self._probability(self.group.dt_)
        if self.weight_expression is None:
            return {}
        return dict(_check_weight(
            self.group.model, self.weight_expression, self.target_dims,
            f"the weight of {self.name}", "", namespace=self.group.namespace,
            run_namespace=run_namespace, caller_ns=caller_ns, strict=True))

    def operations(self, externals: Mapping[str, Any], base_dt: float) -> list[Operation]:
        """The input, in slot ``when``."""
        cid, group = self.code_id, self.group
        every = _every(group.dt_, base_dt, self.name)
        b = FunctionBuilder(f"{cid}_{self.slug}_update")
        arrays = {n: s.shared for n, s in group.specs.items()}
        function = ElementFunction(b, arrays, cid, externals)
        for local, key in (("_start", f"{cid}__start"), ("_stop", f"{cid}__stop"),
                           ("_n_inputs", f"{cid}__n_inputs"), ("_p", f"{cid}__p")):
            b.parameter(local, key)
        target = b.parameter(f"_a_{self.target_var}", f"{cid}__{self.target_var}")
        statements: list[tuple[str, sympy.Expr]] = []
        if self.weight_expression is not None:
            assert group.model is not None
            weight = group.model.inline_subexpressions(
                to_sympy(self.weight_expression, _constants(self.weight_expression)))
            statements.append(("_w", weight))
            per_step, per_element = function.bind({s.name for s in weight.free_symbols})
            per_element = ["i = _idx - _start" if line == "i = _idx" else line
                           for line in per_element]
        else:
            b.parameter("_w", f"{cid}__weight")
            per_step, per_element = [], []
        b.add(*per_step)
        b.add("for _idx in range(_start, _stop):")
        b.add(*per_element, indent=2)
        render_statements(b, statements, function.scalars, indent=2, loop_indent=1)
        b.add(f"{target}[_idx] += np.random.binomial(_n_inputs, _p) * _w", indent=2)
        return [b.operation(self.when, self.order * 1e6 + self.creation_index, cid, every)]

    def argument_values(self, externals: Mapping[str, Any], base_dt: float) -> dict[str, Any]:
        """Arrays and values the operation reads."""
        cid, group = self.code_id, self.group
        values: dict[str, Any] = {f"{cid}__{n}": a for n, a in group.arrays.items()}
        values.update({
            f"{cid}__start": np.int64(self.start), f"{cid}__stop": np.int64(self.stop),
            f"{cid}__n_inputs": np.int64(self._n), f"{cid}__p": self._probability(group.dt_),
            f"{cid}__weight": float(self._weight_value), f"{cid}__N": np.int64(
                self.stop - self.start), f"{cid}__dt": float(group.dt_)})
        values.update(external_values(externals, cid))
        return values

    def snapshot(self) -> dict[str, Any]:
        """PoissonInput has no state of its own."""
        return {}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Nothing to restore."""

    def __repr__(self) -> str:
        return (f"<PoissonInput {self.name!r}: {self.N} inputs at "
                f"{format_quantity(self.rate)} to {self.group.name}.{self.target_var}>")


def _check_weight(model: Any, expression: Expression, expected: Dimensions, what: str,
                  hint: str, **namespaces: Any) -> Mapping[str, Any]:
    """Check a weight expression's units; returns its resolved external names."""
    checked = check_code(model, expression, what=what, **namespaces)
    if checked.dims is not None and not same_dimensions(checked.dims, expected):
        raise UnitError(f"{what} must have {_describe_units(expected)}, but "
                        f"'{expression}' has {_describe_units(checked.dims)}",
                        expression.span(), hint or None)
    return checked.externals
