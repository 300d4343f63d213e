"""Building blocks of generated kernels.

An :class:`Operation` is one ``@numba.njit`` function (a state update, a
threshold, a reset, a monitor's recording, a synaptic pathway) together with
what the network's driver loop must pass to it.  Arguments are named by
*keys* (``o3__v``, ``o3__tau``) that the network maps to arrays and values;
the functions themselves use the model's own names, so generated code reads
like the equations. ``show_code(obj)`` prints them as functions; in a network's
kernel their bodies are written into the driver loop
(:mod:`jnsim.codegen.inline`), so that Numba compiles a single function.

:func:`render_statements` turns SymPy statements into the body of a loop over
elements, hoisting everything that does not depend on the element (such as
``exp(-dt/tau)``) out of the loop.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import sympy
from sympy.functions.elementary.piecewise import ExprCondPair

from ..errors import JnsimError
from ..sympy_conversion import STATEFUL_FUNCTIONS, symbol
from .printer import HELPERS, NumbaPrinter

__all__ = ["FunctionBuilder", "Operation", "Statements", "check_slot", "render_statements"]

#: The parts of a time step in order, as Brian 2 schedules them: its six slots, each
#: with a ``before_`` and an ``after_`` slot around it (``when='after_thresholds'``).
BASE_SLOTS = ("start", "groups", "thresholds", "synapses", "resets", "end")
SLOTS = tuple(f"{prefix}{slot}" for slot in BASE_SLOTS
              for prefix in ("before_", "", "after_"))


def check_slot(when: str, what: str) -> str:
    """``when`` if it names a slot of a step; otherwise a :class:`JnsimError`."""
    if when not in SLOTS:
        close = difflib.get_close_matches(str(when), SLOTS, n=1)
        raise JnsimError(
            f"{what}: {when!r} is not a slot of a time step",
            hint=(f"did you mean {close[0]!r}? " if close else "")
            + "the slots are " + ", ".join(BASE_SLOTS)
            + ", each also with 'before_' and 'after_' (e.g. 'after_thresholds')")
    return when

#: Options of every generated function. Floating point flags in the spirit of Brian 2's
#: C++ targets (-ffast-math -fno-finite-math-only): contraction into FMA, reciprocals,
#: approximate functions, no signed zeros. NaN and infinity keep their meaning, and
#: there is no reassociation (with it LLVM folds the x - x inside isfinite() to 0,
#: which would silence the NaN check of the state).
FASTMATH = "{'nsz', 'arcp', 'contract', 'afn'}"
NJIT_OPTIONS = f"cache=True, nogil=True, error_model='numpy', fastmath={FASTMATH}"
Statements = Sequence[tuple[str, sympy.Expr]]


@dataclass(frozen=True)
class Operation:
    """One generated function and how the driver loop calls it.

    Attributes
    ----------
    name
        The function's name in the generated module.
    slot
        When in the time step it runs: one of ``start, groups, thresholds,
        synapses, resets, end``.
    order
        Order within the slot.
    source
        The function's source, decorator included.
    arguments
        Driver keys passed to it, in the order of its parameters.
    every
        It runs on steps that are multiples of ``every`` (objects with a larger ``dt``).
    room
        Expressions (Python source over driver keys) giving how many more steps
        the operation can run before Python must act, e.g. enlarge a monitor's
        buffer. The driver runs blocks of steps that fit every operation's room
        without checking inside a block, and returns when no step fits.
    helpers
        Helper functions (:data:`~jnsim.codegen.printer.HELPERS`) its source uses.
    owner
        The ``code_id`` of the object it belongs to.
    parallel_source
        The source of its multi-threaded variant (:mod:`jnsim.codegen.parallel`), with
        the same parameters as ``source`` (and ``_rkey``, the step's random key, where
        it draws random numbers); empty if it has none, and then it runs serially in a
        multi-threaded kernel too.
    parallel_arguments
        Driver keys passed to the multi-threaded variant.
    parallel_helpers
        Helper functions the multi-threaded variant uses.
    """

    name: str
    slot: str
    order: float
    source: str
    arguments: tuple[str, ...]
    every: int = 1
    room: tuple[str, ...] = ()
    helpers: frozenset[str] = frozenset()
    owner: str = ""
    parallel_source: str = ""
    parallel_arguments: tuple[str, ...] = ()
    parallel_helpers: frozenset[str] = frozenset()

    def multithreaded(self) -> Operation:
        """This operation as a multi-threaded kernel runs it (itself if it has no
        multi-threaded variant)."""
        if not self.parallel_source:
            return self
        return replace(self, source=self.parallel_source, arguments=self.parallel_arguments,
                       helpers=self.parallel_helpers)


@dataclass
class FunctionBuilder:
    """Collects the parameters and lines of one generated function.

    Naming rule of generated code: model names appear as themselves (``v``, ``tau``);
    the array holding variable ``v`` is ``_a_v``; every other internal name starts with
    ``_`` but never with ``_a_``. Model names cannot start with ``_``, so nothing a
    user writes can collide with generated names.
    """

    name: str
    parameters: dict[str, str] = field(default_factory=dict)  # local name -> driver key
    lines: list[str] = field(default_factory=list)
    printer: NumbaPrinter = field(default_factory=NumbaPrinter)
    #: TimedArray-like functions callable here: name -> (driver key prefix, argument count)
    timed_arrays: dict[str, tuple[str, int]] = field(default_factory=dict)

    def parameter(self, local: str, key: str) -> str:
        """Declare a parameter ``local`` filled from driver key ``key``; returns ``local``."""
        existing = self.parameters.get(local)
        if existing is not None and existing != key:
            raise ValueError(f"parameter {local} bound to both {existing} and {key}")
        self.parameters[local] = key
        return local

    def add(self, *lines: str, indent: int = 1) -> None:
        """Append lines at ``indent`` levels (four spaces each)."""
        self.lines.extend("    " * indent + line for line in lines)

    def register_timed_arrays(self, externals: Mapping[str, object], code_id: str) -> None:
        """Make the TimedArrays among ``externals`` callable in this function."""
        for name, external in externals.items():
            implementation = getattr(external, "implementation", None)
            if implementation is not None and hasattr(implementation, "values_si"):
                self.timed_arrays[name] = (f"{code_id}__ta_{name}", implementation.ndim)
                self.printer.timed_arrays[name] = implementation.ndim

    def operation(self, slot: str, order: float, owner: str, every: int = 1,
                  room: Iterable[str] = (), parallel: Sequence[str] | None = None
                  ) -> Operation:
        """The finished :class:`Operation`, with ``parallel`` (the lines of a
        multi-threaded variant of the body, see :mod:`jnsim.codegen.parallel`) if given."""
        body = "\n".join(self.lines)
        if "_rng)" in body:  # draws random numbers from jnsim's generator
            self.parameter("_rng", "_rng")
            self.printer.helpers_used.add("_rand")
            if "_randn(_rng)" in body:
                self.printer.helpers_used.add("_randn")
        for name in sorted(self.printer.timed_arrays_used):
            key = self.timed_arrays[name][0]
            self.parameter(f"_ta_{name}", key)
            self.parameter(f"_ta_{name}_dt", f"{key}_dt")
        locals_ = list(self.parameters)
        header = (f"@numba.njit({NJIT_OPTIONS}, no_cpython_wrapper=True, no_cfunc_wrapper=True)\n"
                  f"def {self.name}({', '.join(locals_)}):\n")
        body = "\n".join(self.lines) if self.lines else "    pass"
        variant: dict[str, object] = {}
        if parallel is not None:
            variant = self._parallel_variant(locals_, parallel)
        return Operation(self.name, slot, order, header + body + "\n",
                         tuple(self.parameters[n] for n in locals_), every, tuple(room),
                         frozenset(self.printer.helpers_used), owner, **variant)

    def _parallel_variant(self, locals_: list[str], lines: Sequence[str]) -> dict[str, object]:
        """The ``parallel_*`` fields of the operation for the variant's ``lines``."""
        from .parallel import PARALLEL_NJIT_OPTIONS

        body = "\n".join(lines)
        helpers = set(self.printer.helpers_used)
        parameters = list(locals_)
        keys = [self.parameters[n] for n in locals_]
        for name in ("_threads", "_min_events"):  # arguments of the kernel
            if re.search(rf"\b{name}\b", body):
                parameters.append(name)
                keys.append(name)
        if "_rand_at(_rkey" in body or "_randn_at(_rkey" in body:
            parameters.append("_rkey")
            keys.append("_rkey")
            helpers |= {"_mix64", "_rand_at"} | (
                {"_randn_at"} if "_randn_at(" in body else set())
        header = (f"@numba.njit({NJIT_OPTIONS}, {PARALLEL_NJIT_OPTIONS}, "
                  "no_cpython_wrapper=True, no_cfunc_wrapper=True)\n"
                  f"def {self.name}({', '.join(parameters)}):\n")
        return {"parallel_source": header + body + "\n", "parallel_arguments": tuple(keys),
                "parallel_helpers": frozenset(helpers)}


def _hoist(expr: sympy.Expr, scalars: frozenset[sympy.Symbol],
           hoisted: dict[sympy.Expr, sympy.Symbol]) -> sympy.Expr:
    """Replace maximal element-independent subexpressions by fresh symbols."""
    if expr.is_Atom:
        return expr
    if isinstance(expr, ExprCondPair):  # a Piecewise branch stays a (value, condition) pair
        return ExprCondPair(_hoist(expr.expr, scalars, hoisted), expr.cond)
    independent = expr.free_symbols <= scalars and not expr.atoms(*STATEFUL_FUNCTIONS)
    if independent and not isinstance(expr, sympy.logic.boolalg.Boolean):
        if expr not in hoisted:
            hoisted[expr] = symbol(f"_inv{len(hoisted)}")
        return hoisted[expr]
    args = [_hoist(a, scalars, hoisted) for a in expr.args]
    return expr.func(*args) if args != list(expr.args) else expr


def render_statements(
    builder: FunctionBuilder,
    statements: Statements,
    scalars: Iterable[str],
    indent: int,
    loop_indent: int,
) -> None:
    """Append ``statements`` to ``builder`` with invariants hoisted to ``loop_indent``.

    Parameters
    ----------
    builder
        The function being built. Hoisted invariants are inserted at the end
        of the lines written so far at ``loop_indent`` (before the loop).
    statements
        ``(target, expression)`` pairs, executed in order.
    scalars
        Names whose value is the same for every element (parameters, ``t``, ``dt``,
        shared variables). Subexpressions built only from these are computed
        once per step, before the loop.
    indent
        Indentation of the statements (inside the loop).
    loop_indent
        Where the hoisted lines go; ``None``-like negative values disable hoisting.
    """
    rendered = _render(tuple(statements), frozenset(scalars), loop_indent >= 0,
                       frozenset(builder.printer.timed_arrays.items()))
    hoisted_lines, body, helpers, timed_arrays = rendered
    builder.printer.helpers_used |= helpers
    builder.printer.timed_arrays_used |= timed_arrays
    if hoisted_lines:
        prefix = "    " * loop_indent
        insert_at = _last_line_at(builder.lines, loop_indent)
        builder.lines[insert_at:insert_at] = [prefix + line for line in hoisted_lines]
    builder.add(*body, indent=indent)


@functools.lru_cache(maxsize=512)
def _render(statements: tuple[tuple[str, sympy.Expr], ...], scalars: frozenset[str],
            hoist: bool, timed_arrays: frozenset[tuple[str, int]]
            ) -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str], frozenset[str]]:
    """The lines of :func:`render_statements`: (hoisted lines, body lines, helpers used,
    TimedArrays used). Pure, hence cached: a rerun generates the same code again."""
    printer = NumbaPrinter()
    printer.timed_arrays = dict(timed_arrays)
    scalar_symbols = frozenset(symbol(n) for n in scalars)
    written: set[sympy.Symbol] = set()
    hoisted: dict[sympy.Expr, sympy.Symbol] = {}
    body: list[str] = []
    for run in _independent_runs(statements):
        reduced = []
        for target, expression in run:
            # A name assigned earlier in the block is no longer element-independent.
            usable = scalar_symbols - written
            reduced.append(_hoist(expression, usable, hoisted) if hoist else expression)
            written.add(symbol(target))
        replacements, simplified = sympy.cse(reduced, symbols=_cse_symbols(run[0][0]))
        for temp, value in replacements:
            body.append(f"{temp} = {printer.doprint(value)}")
        for (target, _), value in zip(run, simplified, strict=True):
            body.append(f"{target} = {printer.doprint(value)}")
    printer.once_per_step = True
    hoisted_lines = tuple(f"{name} = {printer.doprint(value)}" for value, name in hoisted.items())
    return (hoisted_lines, tuple(body), frozenset(printer.helpers_used),
            frozenset(printer.timed_arrays_used))


def _independent_runs(statements: Statements) -> list[list[tuple[str, sympy.Expr]]]:
    """Split ``statements`` into runs in which no statement reads an earlier one's target.

    The expressions of such a run can be evaluated in any order, so their common
    subexpressions are computed once for the whole run (the exponential Euler slopes
    and offsets of one variable share their rate functions, for instance).
    """
    runs: list[list[tuple[str, sympy.Expr]]] = []
    targets: set[sympy.Symbol] = set()
    for target, expression in statements:
        if not runs or expression.free_symbols & targets or symbol(target) in targets:
            runs.append([])
            targets = set()
        runs[-1].append((target, expression))
        targets.add(symbol(target))
    return runs


def _last_line_at(lines: list[str], indent: int) -> int:
    """Index just before the last line written at exactly ``indent`` levels that opens a loop."""
    prefix = "    " * indent
    for position in range(len(lines) - 1, -1, -1):
        line = lines[position]
        if line.startswith(prefix + "for ") or line.startswith(prefix + "while "):
            return position
    return len(lines)


def _cse_symbols(target: str) -> Iterable[sympy.Symbol]:
    index = 0
    while True:
        yield symbol(f"_cse_{target.strip('_')}_{index}")
        index += 1


def external_values(externals: Mapping[str, object], code_id: str) -> dict[str, object]:
    """Driver values for external constants and TimedArrays of one object."""
    import numpy as np

    from ..namespace import ExternalConstant

    values: dict[str, object] = {}
    for name, external in externals.items():
        if isinstance(external, ExternalConstant):
            values[f"{code_id}__{name}"] = (np.bool_(external.value)
                                            if external.dtype == "boolean"
                                            else np.float64(external.value))
        implementation = getattr(external, "implementation", None)
        if implementation is not None and hasattr(implementation, "values_si"):
            values[f"{code_id}__ta_{name}"] = implementation.values_si
            values[f"{code_id}__ta_{name}_dt"] = np.float64(implementation.dt_)
    return values


def helper_sources(names: Iterable[str]) -> str:
    """Source of the helper functions named."""
    from ..timedarray import LOOKUP_HELPERS
    from .parallel import RANDOM_HELPERS

    known = {**HELPERS, **LOOKUP_HELPERS, **RANDOM_HELPERS}
    return "\n\n".join(known[n] for n in sorted(set(names)))


