"""Analyse equations for a neuron group or synapses: names, units, flags, noise.

:func:`analyse` is the stage between the parsed :class:`~jnsim.Equations` and
code generation.  It resolves every name (model variables, special symbols,
``_pre``/``_post`` references, external values), checks the physical dimensions
of every equation, applies the rules for flags, noise and event-driven
equations, and converts right-hand sides to SymPy.  The result, an
:class:`AnalysedModel`, is a plain value that can be inspected.

External names that cannot be found yet do not fail the analysis unless the
namespace is final (an explicit ``namespace=``, or the analysis made at
``run()``): they are listed in :attr:`AnalysedModel.unresolved` and the
equations using them are checked once they are known.
"""

from __future__ import annotations

import ast
import difflib
import sys
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import sympy

from .context import INCOMPATIBLE_FLAGS, PER_ELEMENT_SYMBOLS, SYNAPSE, ModelContext
from .dimensions import BOOLEAN, FLOAT, INTEGER, Inferred, NameInfo, infer, same_dimensions
from .equations import (
    EquationKind,
    Equations,
    Expression,
    SingleEquation,
    Statement,
    is_noise_name,
)
from .equations.symbols import check_defined_name
from .errors import CodeError, EquationError, NamespaceError, UnitError, UnusedTemporaryWarning
from .event_driven import check_event_driven
from .namespace import ExternalConstant, ExternalFunction, caller_namespace, resolve_external
from .sympy_conversion import STATEFUL_FUNCTIONS, symbol, to_sympy
from .units import Dimensions, is_dimensionless, unit_words

__all__ = ["AnalysedModel", "CheckedCode", "Variable", "analyse", "check_code"]

_DEFAULT_CONSTANT_NAMES = frozenset({"pi", "e", "inf"})


@dataclass(frozen=True)
class Variable:
    """A variable defined by a model.

    Attributes
    ----------
    name
        Its name.
    kind
        Differential equation, subexpression or parameter.
    dims
        Its dimensions.
    dtype
        ``'float'``, ``'integer'`` or ``'boolean'``.
    flags
        Its flags.
    """

    name: str
    kind: EquationKind
    dims: Dimensions
    dtype: str
    flags: tuple[str, ...] = ()

    @property
    def shared(self) -> bool:
        """One value for the whole group rather than one per element."""
        return "shared" in self.flags

    @property
    def unit(self) -> str:
        """The unit in words (``volt``, ``siemens/metre**2``, ``1``)."""
        return unit_words(self.dims)

    def __repr__(self) -> str:
        flags = f" ({', '.join(self.flags)})" if self.flags else ""
        return f"Variable({self.name}: {self.kind.value}, {self.unit}, {self.dtype}{flags})"


@dataclass(frozen=True)
class AnalysedModel:
    """Equations with every name resolved, units checked and SymPy forms attached.

    Attributes
    ----------
    equations
        The equations analysed.
    context
        The object kind they were analysed for.
    variables
        Every variable the model defines.
    externals
        The external names that were resolved, with their values.
    unresolved
        External names not found yet (to be resolved at ``run()``).
    symbols_used
        Special symbols the model uses (``t``, ``i``, ``xi``, ...).
    expressions
        The SymPy right-hand side of each differential equation and subexpression.
    noise
        For each differential equation, the noise names it contains.
    """

    equations: Equations
    context: ModelContext
    variables: Mapping[str, Variable]
    externals: Mapping[str, ExternalConstant | ExternalFunction]
    unresolved: frozenset[str]
    symbols_used: frozenset[str]
    expressions: Mapping[str, sympy.Expr] = field(repr=False)
    noise: Mapping[str, tuple[str, ...]] = field(repr=False)
    #: Synapses: subexpressions of the connected groups that the code reads
    #: (``I_post``), as expressions in the synapses' own names (``g_post*(E - v_post)``).
    foreign: Mapping[sympy.Symbol, sympy.Expr] = field(default_factory=dict, repr=False)

    @property
    def complete(self) -> bool:
        """True when every name is resolved (all units have been checked)."""
        return not self.unresolved

    def names_of(self, kind: EquationKind) -> tuple[str, ...]:
        """Names of the variables of one kind, in definition order."""
        return tuple(n for n, v in self.variables.items() if v.kind is kind)

    def inline_subexpressions(self, expression: sympy.Expr) -> sympy.Expr:
        """``expression`` with every subexpression replaced by its definition.

        Subexpressions flagged ``constant over dt`` are kept as symbols: they are
        evaluated once at the start of each time step.
        """
        replacements = {
            symbol(name): self.expressions[name]
            for name in self.names_of(EquationKind.SUBEXPRESSION)
            if "constant over dt" not in self.variables[name].flags
        }
        replacements.update(self.foreign)
        for _ in range(len(replacements) + 1):
            updated = expression.xreplace(replacements)
            if updated == expression:
                return updated
            expression = updated
        return expression

    def __repr__(self) -> str:
        lines = [f"AnalysedModel for a {self.context.kind} ({len(self.variables)} variables)"]
        lines += [f"  {v!r}" for v in self.variables.values()]
        if self.externals:
            lines.append("  externals: " + ", ".join(sorted(self.externals)))
        if self.unresolved:
            lines.append("  unresolved: " + ", ".join(sorted(self.unresolved)))
        return "\n".join(lines)


def analyse(
    equations: Equations | str,
    context: ModelContext | None = None,
    namespace: Mapping[str, Any] | None = None,
    run_namespace: Mapping[str, Any] | None = None,
    strict: bool = False,
    caller_ns: Mapping[str, Any] | None = None,
) -> AnalysedModel:
    """Analyse equations for a neuron group or synapses.

    Parameters
    ----------
    equations
        The model equations.
    context
        What they are for (default: a neuron group with refractoriness).
    namespace
        The object's explicit namespace. If given, it is the only place
        external names are searched (besides jnsim's units, functions and
        constants), and a missing name is an error.
    run_namespace
        The namespace given to ``run()``; used when ``namespace`` is ``None``.
        A missing name is then an error.
    strict
        When neither namespace is given, external names are looked up in the
        caller's namespace (or the IPython user namespace); ``strict=True`` makes
        a name missing there an error, otherwise it is left unresolved.
    caller_ns
        The caller's namespace, when the caller has already captured it
        (objects capture it when they are created, ``run()`` when it is called).

    Returns
    -------
    AnalysedModel

    Raises
    ------
    EquationError, UnitError, NamespaceError
        For every mistake found, with the line, column and a hint.
    """
    if not isinstance(equations, Equations):
        equations = Equations(equations)
    context = context or ModelContext.neuron()
    user_namespace, origin, strict = _choose_namespace(namespace, run_namespace, caller_ns,
                                                       strict)
    return _Analysis(equations, context, user_namespace, origin, strict).run()


def _choose_namespace(namespace: Mapping[str, Any] | None,
                      run_namespace: Mapping[str, Any] | None,
                      caller_ns: Mapping[str, Any] | None,
                      strict: bool) -> tuple[dict[str, Any], str, bool]:
    """The user namespace to search, where it came from, and whether it is final."""
    if namespace is not None:
        return dict(namespace), "namespace", True
    if run_namespace is not None:
        return dict(run_namespace), "run namespace", True
    if caller_ns is not None:
        return dict(caller_ns), "caller", strict
    return caller_namespace(), "caller", strict


class _Analysis:
    """One analysis run; holds the lookup state while checking each equation."""

    def __init__(self, equations: Equations, context: ModelContext,
                 user_namespace: Mapping[str, Any], origin: str, strict: bool) -> None:
        self.equations = equations
        self.context = context
        self.user_namespace = user_namespace
        self.origin = origin
        self.strict = strict
        self.variables = {
            eq.name: Variable(eq.name, eq.kind, eq.unit.dims, eq.unit.dtype, eq.flags)
            for eq in equations.values()
        }
        self.externals: dict[str, ExternalConstant | ExternalFunction] = {}
        self.unresolved: set[str] = set()
        self.symbols_used: set[str] = set()
        self.current: SingleEquation | None = None
        self.current_expression: Expression | None = None
        self.extra_names: Mapping[str, NameInfo] = {}
        #: In a code block: the temporaries it defines (name -> the statement that first
        #: assigns it), and those assigned so far with what is known of them.
        self.temporaries: Mapping[str, Statement] = {}
        self.defined_temporaries: dict[str, NameInfo] = {}
        #: The noise each equation draws, directly or through the subexpressions it uses.
        self.noisy: Mapping[str, tuple[str, ...]] = _noise_drawn(equations)

    def run(self) -> AnalysedModel:
        for equation in self.equations.ordered:
            self.check_flags(equation)
        expressions = {
            eq.name: to_sympy(eq.expression, _DEFAULT_CONSTANT_NAMES & eq.identifiers)
            for eq in self.equations.ordered if eq.expression is not None
        }
        self.noisy = _noise_drawn(self.equations)
        noise = {name: self.noisy.get(name, ()) for name in self.equations.diff_eq_names}
        self.check_noise(expressions, noise)
        self.check_stateful(expressions)
        for equation in self.equations.ordered:
            self.current = equation
            self.current_expression = equation.expression
            self.check_equation(equation)
        self.check_shared()
        model = AnalysedModel(
            self.equations, self.context, MappingProxyType(self.variables),
            MappingProxyType(self.externals), frozenset(self.unresolved),
            frozenset(self.symbols_used), MappingProxyType(self.constants_resolved(expressions)),
            MappingProxyType(noise))
        if self.context.kind == SYNAPSE:
            check_event_driven(model)
            self.check_summed()
        return model

    def constants_resolved(self, expressions: dict[str, sympy.Expr]) -> dict[str, sympy.Expr]:
        """Turn ``pi``/``e``/``inf`` back into symbols where the user namespace defines them."""
        shadowed = {sympy.pi: "pi", sympy.E: "e", sympy.oo: "inf"}
        replacements = {value: symbol(name) for value, name in shadowed.items()
                        if name in self.externals
                        and getattr(self.externals[name], "origin", "") != "constants"}
        if not replacements:
            return expressions
        return {n: e.xreplace(replacements) for n, e in expressions.items()}

    # -- flags ----------------------------------------------------------------
    def check_flags(self, equation: SingleEquation) -> None:
        allowed = self.context.allowed_flags(equation.kind)
        for flag in equation.flags:
            if flag not in allowed:
                where = "neuron groups" if self.context.kind != SYNAPSE else "synapses"
                hint = (f"in {where}, a {equation.kind.value} accepts "
                        + (", ".join(f"'{f}'" for f in allowed) or "no flags"))
                if flag in ("event-driven", "clock-driven", "summed"):
                    hint = f"'{flag}' is only used in synapses"
                elif flag == "unless refractory":
                    hint = "only neuron groups have a refractory period"
                raise EquationError(f"flag '{flag}' is not allowed here",
                                    equation.flag_span(flag), hint)
        for pair, reason in INCOMPATIBLE_FLAGS.items():
            if pair <= set(equation.flags):
                first, second = sorted(pair)
                later = max(pair, key=lambda f: (equation.flag_span(f).line,
                                                 equation.flag_span(f).column))
                raise EquationError(f"flags '{first}' and '{second}' cannot be combined",
                                    equation.flag_span(later), reason)
        if "summed" in equation.flags and not equation.name.endswith(("_post", "_pre")):
            raise EquationError(
                f"the summed variable '{equation.name}' must name a variable of the post- or "
                "pre-synaptic group", equation.name_span(),
                f"write e.g. '{equation.name}_post = ... (summed)'")

    # -- names ----------------------------------------------------------------
    def lookup_name(self, name: str, node: ast.Name) -> NameInfo:
        assert self.current_expression is not None
        span = self.current_expression.span_of(node)
        if name in self.variables:
            variable = self.variables[name]
            if self.current is None and variable.kind is EquationKind.SUBEXPRESSION and (
                    self.noisy.get(name)):
                raise CodeError(
                    f"'{name}' draws noise ('{self.noisy[name][0]}'), so it can only be used "
                    "in differential equations", span,
                    "noise has no value at one time: it enters the integration of the "
                    "differential equations that use the subexpression")
            return NameInfo(variable.dims, variable.dtype)
        if name in self.temporaries:
            return self.lookup_temporary(name, span)
        if name in self.extra_names:
            return self.extra_names[name]
        if is_noise_name(name):
            if self.current is None or self.current.kind not in (
                    EquationKind.DIFFERENTIAL, EquationKind.SUBEXPRESSION):
                raise EquationError(
                    f"noise '{name}' can only appear in differential equations", span,
                    "move the noise term into the differential equation it drives")
            self.symbols_used.add(name)
            return self.context.noise_info()
        if name in self.context.symbols:
            self.symbols_used.add(name)
            return self.context.symbols[name]
        if name in self.context.unavailable:
            raise EquationError(self.context.unavailable[name], span,
                                "see the list of special symbols in the equation reference")
        found = self.lookup_pre_post(name, span)
        if found is not None:
            return found
        external = self.resolve(name, as_function=False, span=span)
        if isinstance(external, ExternalConstant):
            return NameInfo(external.dims, external.dtype, float(external.value))
        return NameInfo(None)

    def lookup_temporary(self, name: str, span: Any) -> NameInfo:
        """What is known of the temporary ``name`` (an error if it is not assigned yet)."""
        if name in self.defined_temporaries:
            return self.defined_temporaries[name]
        first = self.temporaries[name]
        raise CodeError(
            f"'{name}' is read before it is assigned", span,
            _typo_hint(name, self.variables) + f"'{name}' is not a variable of the model: "
            f"the code assigns it on line {first.target_span.shown_line}, which makes it a "
            "temporary variable; assign it before it is read, or declare it in the model "
            f"('{name} : <unit>')")

    def lookup_pre_post(self, name: str, span: Any) -> NameInfo | None:
        if self.context.kind != SYNAPSE:
            return None
        context = self.context
        for suffix, table, subexpressions, which in (
                ("_pre", context.pre, context.pre_subexpressions, "pre"),
                ("_post", context.post, context.post_subexpressions, "post")):
            if name.endswith(suffix):
                base = name[: -len(suffix)]
                if base in table:
                    return table[base]
                if base in subexpressions:
                    return self.foreign_subexpression(subexpressions[base], name, which, span)
                if name in self.user_namespace:
                    # no such variable: an external name that ends in _pre (Brian reads
                    # ``C_pre = 1`` from the namespace then too)
                    return None
                if table:
                    readable = [*table, *subexpressions]
                    close = difflib.get_close_matches(base, readable, n=1)
                    hint = (f"did you mean '{close[0]}{suffix}'?" if close else
                            f"its variables are: {', '.join(sorted(readable))}")
                    raise EquationError(
                        f"the {which}-synaptic group has no variable '{base}'", span, hint)
                return NameInfo(None)
        if name in context.post:
            return context.post[name]
        if name in context.post_subexpressions:
            return self.foreign_subexpression(context.post_subexpressions[name], name, "post",
                                              span)
        return None

    @staticmethod
    def foreign_subexpression(info: NameInfo | str, name: str, which: str, span: Any
                              ) -> NameInfo:
        """The units of a subexpression of a connected group (or why it cannot be read)."""
        if isinstance(info, str):
            raise EquationError(
                f"synaptic code cannot read '{name}', a subexpression of the {which}-synaptic "
                f"group: {info}", span,
                "declare it '(constant over dt)' in that group (then it is stored and can be "
                "read), or write what you need from its variables")
        return info

    def lookup_function(self, name: str, node: ast.Call) -> ExternalFunction | None:
        assert self.current_expression is not None
        span = self.current_expression.span_of(node.func)
        if name in self.variables:
            raise EquationError(f"'{name}' is a variable of the model, not a function", span,
                                f"use it without parentheses: '{name}'")
        found = self.resolve(name, as_function=True, span=span)
        return found if isinstance(found, ExternalFunction) else None

    def resolve(self, name: str, as_function: bool, span: Any
                ) -> ExternalConstant | ExternalFunction | None:
        found = resolve_external(name, self.user_namespace, self.origin, as_function, span)
        if found is not None:
            self.externals[name] = found
            return found
        if self.strict:
            raise self.missing_name_error(name, span, as_function)
        self.unresolved.add(name)
        return None

    def missing_name_error(self, name: str, span: Any, as_function: bool) -> NamespaceError:
        candidates = list(self.variables) + list(self.context.symbols) + list(self.user_namespace)
        close = difflib.get_close_matches(name, [c for c in candidates if not c.startswith("_")],
                                          n=1)
        where = {"namespace": "in the namespace given to the object",
                 "run namespace": "in the namespace given to run()",
                 "caller": "in the calling code's namespace"}[self.origin]
        hint = f"did you mean '{close[0]}'? " if close else ""
        if as_function:
            hint += "only default functions and jnsim function objects (TimedArray) can be called"
        else:
            hint += (f"define {name} (e.g. '{name} = 10*ms') before running, or declare it "
                     f"as a parameter: '{name} : <unit>'")
        return NamespaceError(f"'{name}' is not defined {where}", span, hint)

    # -- dimensions -----------------------------------------------------------
    def check_equation(self, equation: SingleEquation) -> None:
        if equation.kind is EquationKind.DIFFERENTIAL and equation.unit.dtype != FLOAT:
            raise UnitError(
                f"a differential equation defines a floating point variable, not "
                f"'{equation.unit.dtype}'", equation.unit_span(),
                "use a unit such as '1' or 'volt'")
        if equation.expression is None:
            return
        result = infer(equation.expression, self.lookup_name, self.lookup_function)
        self.check_type(equation, result)
        if not result.known:
            return
        expected = equation.unit.dims
        if equation.kind is EquationKind.DIFFERENTIAL:
            expected = Dimensions({k: v for k, v in {
                **dict(expected), "[time]": expected.get("[time]", 0) - 1}.items() if v})
        assert result.dims is not None
        if not same_dimensions(result.dims, expected):
            raise self.dimension_error(equation, result.dims, expected)

    def check_type(self, equation: SingleEquation, result: Inferred) -> None:
        declared = equation.unit.dtype
        if declared == BOOLEAN and result.dtype != BOOLEAN:
            raise EquationError(
                f"'{equation.name}' is declared boolean, but its expression is a number",
                equation.expression.span() if equation.expression else None,
                "write a condition, e.g. 'v > v_th', or declare the unit as '1'")
        if declared == INTEGER and result.dtype == FLOAT:
            raise EquationError(
                f"'{equation.name}' is declared integer, but its expression is a float",
                equation.expression.span() if equation.expression else None,
                "wrap the expression in int(...), or declare the unit as '1'")

    def dimension_error(self, equation: SingleEquation, found: Dimensions,
                        expected: Dimensions) -> UnitError:
        assert equation.expression is not None
        declared = unit_words(equation.unit.dims)
        if equation.kind is EquationKind.DIFFERENTIAL:
            what = f"dimensions of {equation.lhs} must be {declared}/second"
            if declared == "1":
                what = f"dimensions of {equation.lhs} must be 1/second"
            message = f"the right-hand side has {_units_phrase(found)}, but the {what}"
            unitless = sorted(
                name for name in equation.identifiers
                if isinstance(self.externals.get(name), ExternalConstant)
                and self.externals[name].origin not in ("units", "constants")
                and not self.externals[name].dims)
            if same_dimensions(found, equation.unit.dims) and unitless:
                hint = (f"'{unitless[0]}' is a plain number here; if it is a time constant, "
                        f"give it a unit, e.g. {unitless[0]} = 10*ms")
            elif same_dimensions(found, equation.unit.dims):
                hint = (f"divide by a time constant, e.g. "
                        f"'{_parenthesized(equation.expression)} / tau'")
            else:
                hint = (f"check the units of each term, or of '{equation.name}' "
                        f"(declared as '{equation.unit.text}')")
        else:
            message = (f"the right-hand side has {_units_phrase(found)}, but "
                       f"'{equation.name}' is declared as {unit_words(expected)}")
            hint = f"change the unit after ':' to '{unit_words(found)}', or fix the expression"
        return UnitError(message, equation.expression.span(), hint)

    # -- noise, stateful functions, shared -------------------------------------
    def check_noise(self, expressions: Mapping[str, sympy.Expr],
                    noise: Mapping[str, tuple[str, ...]]) -> None:
        for equation in self.equations.values():
            if equation.kind is EquationKind.DIFFERENTIAL or not self.noisy.get(equation.name):
                continue
            self.check_noisy_subexpression(equation)
        plain = [name for name, sources in noise.items() if "xi" in sources]
        if len(plain) > 1:
            second = self.equations[plain[1]]
            raise EquationError(
                f"plain 'xi' is used in more than one equation ({', '.join(plain)})",
                _first_use(second, "xi"),
                "each equation's noise must be named apart: use 'xi_1' in several equations "
                "for the same noise, and 'xi_2', 'xi_inh', ... for independent noise")
        for name, sources in noise.items():
            expression = _inlined(expressions[name], expressions, self.noisy, self.variables)
            for source in sources:
                coefficient = sympy.diff(expression, symbol(source))
                if any(is_noise_name(s.name) for s in coefficient.free_symbols):
                    raise EquationError(
                        f"the noise '{source}' must enter linearly, as 'f + g*{source}'",
                        _first_use(self.equations[name], source),
                        "noise cannot be squared, multiplied by other noise, or put inside a "
                        "function")

    def check_noisy_subexpression(self, equation: SingleEquation) -> None:
        """A subexpression may draw noise (Brian substitutes it into the differential
        equations that use it), unless it is stored or has one value for all elements."""
        source = self.noisy[equation.name][0]
        where = _first_use(equation, source) if source in equation.identifiers else (
            equation.expression.span() if equation.expression else equation.name_span())
        hint = ("a subexpression that draws noise is substituted into the differential "
                "equations that use it: drop the flag")
        for flag in ("shared", "constant over dt", "summed"):
            if flag in equation.flags:
                raise EquationError(
                    f"the subexpression '{equation.name}' draws noise ('{source}'), so it "
                    f"cannot be flagged ({flag})", where, hint)
        if equation.kind is not EquationKind.SUBEXPRESSION:
            raise EquationError(f"noise '{source}' can only appear in differential equations "
                                "and subexpressions", where,
                                "move the noise term into the differential equation it drives")

    def check_stateful(self, expressions: Mapping[str, sympy.Expr]) -> None:
        for name, expression in expressions.items():
            equation = self.equations[name]
            calls = expression.atoms(*STATEFUL_FUNCTIONS)
            if not calls:
                continue
            function = type(next(iter(calls))).__name__
            if equation.kind is EquationKind.DIFFERENTIAL:
                raise EquationError(
                    f"{function}() cannot be used in a differential equation",
                    _first_use(equation, function),
                    "for white noise write 'xi' (e.g. '+ sigma*sqrt(2/tau)*xi'); otherwise "
                    "define a subexpression with the flag (constant over dt)")
            if "constant over dt" not in equation.flags:
                raise EquationError(
                    f"the subexpression '{name}' calls {function}(), so it must be flagged "
                    "(constant over dt)", _first_use(equation, function),
                    "otherwise it would be drawn again each time it is used or recorded; add "
                    "'(constant over dt)' after the unit")

    def check_shared(self) -> None:
        for equation in self.equations.values():
            if equation.kind is not EquationKind.SUBEXPRESSION or "shared" not in equation.flags:
                continue
            for name in sorted(equation.identifiers):
                variable = self.variables.get(name)
                # Brian's rule: a linked variable is not checked here (what it links to is
                # known only later); the link must then give one value for all elements
                # (jnsim.groups.NeuronGroup._link checks that).
                linked = variable is not None and "linked" in variable.flags
                per_element = (variable is not None and not variable.shared and not linked) or (
                    name in PER_ELEMENT_SYMBOLS)
                if per_element:
                    raise EquationError(
                        f"the shared subexpression '{equation.name}' refers to '{name}', which "
                        "has a value per element", _first_use(equation, name),
                        "a shared subexpression can only refer to shared variables")

    def check_summed(self) -> None:
        for equation in self.equations.values():
            if "summed" not in equation.flags:
                continue
            target, which = ((equation.name[:-5], "post") if equation.name.endswith("_post")
                             else (equation.name[:-4], "pre"))
            table = self.context.post if which == "post" else self.context.pre
            if not table:
                continue
            subexpressions = (self.context.post_subexpressions if which == "post"
                              else self.context.pre_subexpressions)
            if target in subexpressions:
                raise EquationError(
                    f"'{target}' of the {which}-synaptic group is a subexpression: a summed "
                    "variable writes a parameter", equation.name_span(),
                    f"declare '{target} : <unit>' in that group instead of its expression")
            if target not in table:
                raise EquationError(
                    f"the {which}-synaptic group has no variable '{target}' to sum into",
                    equation.name_span(), f"declare '{target} : <unit>' in that group")
            dims = table[target].dims
            if dims is not None and not same_dimensions(dims, equation.unit.dims):
                raise UnitError(
                    f"'{target}' of the {which}-synaptic group has units of {unit_words(dims)}, "
                    f"but the summed variable is declared as {unit_words(equation.unit.dims)}",
                    equation.unit_span(), f"declare it as '{unit_words(dims)}'")


def _noise_drawn(equations: Equations) -> dict[str, tuple[str, ...]]:
    """The noise names each equation draws: its own and those of the subexpressions it
    uses (at any depth), sorted."""
    subexpressions = {eq.name for eq in equations.values()
                      if eq.kind is EquationKind.SUBEXPRESSION}
    found: dict[str, frozenset[str]] = {}

    def of(name: str, visiting: frozenset[str]) -> frozenset[str]:
        if name not in found:
            identifiers = equations[name].identifiers
            result = {n for n in identifiers if is_noise_name(n)}
            for used in identifiers & subexpressions - visiting - {name}:
                result |= of(used, visiting | {name})
            found[name] = frozenset(result)
        return found[name]

    return {eq.name: tuple(sorted(of(eq.name, frozenset()))) for eq in equations.values()
            if of(eq.name, frozenset())}


def _inlined(expression: sympy.Expr, expressions: Mapping[str, sympy.Expr],
             noisy: Mapping[str, tuple[str, ...]], variables: Mapping[str, Variable]
             ) -> sympy.Expr:
    """``expression`` with the subexpressions that draw noise substituted (at any depth)."""
    replacements = {symbol(name): expressions[name] for name in noisy
                    if variables[name].kind is EquationKind.SUBEXPRESSION}
    for _ in range(len(replacements) + 1):
        updated = expression.xreplace(replacements)
        if updated == expression:
            break
        expression = updated
    return expression


def _parenthesized(expression: Expression) -> str:
    """The expression's text, in parentheses unless ``text / tau`` reads right without."""
    text = str(expression)
    tree = expression.tree
    product = isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Mult | ast.Div | ast.Pow)
    negated = isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub | ast.UAdd)
    if isinstance(tree, ast.Name | ast.Constant | ast.Call) or _enclosed(text) or product or (
            negated):
        return text
    return f"({text})"


def _enclosed(text: str) -> bool:
    """Whether ``text`` is one parenthesized group: ``(a - b)`` but not ``(a) - (b)``."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for position, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and position < len(text) - 1:
            return False
    return True


def _value_phrase(dims: Dimensions) -> str:
    """``'a dimensionless value'`` or ``'volt/second'``: what an assignment assigns."""
    return "a dimensionless value" if is_dimensionless(dims) else unit_words(dims)


def _has_units_phrase(dims: Dimensions) -> str:
    """``'is dimensionless'`` or ``'has units of volt'``."""
    return "is dimensionless" if is_dimensionless(dims) else f"has units of {unit_words(dims)}"


def _units_phrase(dims: Dimensions) -> str:
    words = unit_words(dims)
    return "no units (it is dimensionless)" if words == "1" else f"units of {words}"


def _first_use(equation: SingleEquation, name: str) -> Any:
    expression = equation.expression
    if expression is None:
        return equation.name_span()
    for node in ast.walk(expression.tree):
        if isinstance(node, ast.Name) and node.id == name:
            return expression.span_of(node)
    return expression.span()


# ---------------------------------------------------------------------------
# Code blocks: thresholds, resets, pathways, values given as strings
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedCode:
    """What a checked code block refers to.

    Attributes
    ----------
    externals
        External names it uses, resolved.
    unresolved
        External names not found yet.
    symbols_used
        Special symbols it uses.
    dims
        For a single expression, its dimensions (``None`` for statements or when unknown).
    dtype
        For a single expression, its type.
    temporaries
        For statements, the temporary variables they define: names that are not
        variables, assigned before they are read (Brian's rule).
    """

    externals: Mapping[str, ExternalConstant | ExternalFunction]
    unresolved: frozenset[str]
    symbols_used: frozenset[str]
    dims: Dimensions | None = None
    dtype: str = FLOAT
    temporaries: frozenset[str] = frozenset()


def check_code(
    model: AnalysedModel,
    code: Expression | tuple[Statement, ...],
    *,
    what: str,
    expect: str | Dimensions | None = None,
    writable: Mapping[str, NameInfo] | None = None,
    extra_names: Mapping[str, NameInfo] | None = None,
    namespace: Mapping[str, Any] | None = None,
    run_namespace: Mapping[str, Any] | None = None,
    strict: bool = False,
    caller_ns: Mapping[str, Any] | None = None,
) -> CheckedCode:
    """Check a code block of a model: names, units and what it may assign.

    Parameters
    ----------
    model
        The analysed model the code belongs to.
    code
        An expression (threshold, refractory period, initial value) or
        statements (reset, ``on_pre``, ``on_post``).
    what
        How to call the block in messages (``'threshold'``, ``'reset'``, ...).
    expect
        For an expression: ``'boolean'`` for a condition, or the dimensions
        it must have.
    writable
        For statements: the variables that may be assigned, with their units. Any
        other new name a statement assigns is a temporary variable of the block: its
        units are those of its first value, and later statements may read it.
    extra_names
        Further names the code may read (e.g. variables of another group).
    namespace, run_namespace, strict, caller_ns
        As for :func:`analyse`.

    Raises
    ------
    CodeError, UnitError, NamespaceError
        For invalid names, assignments and units.
    """
    user_namespace, origin, strict = _choose_namespace(namespace, run_namespace, caller_ns,
                                                       strict)
    analysis = _Analysis(model.equations, model.context, user_namespace, origin, strict)
    analysis.extra_names = dict(extra_names or {})
    if isinstance(code, Expression):
        result = _check_code_expression(analysis, code, what, expect)
        return CheckedCode(MappingProxyType(analysis.externals), frozenset(analysis.unresolved),
                           frozenset(analysis.symbols_used), result.dims, result.dtype)
    temporaries = _check_statements(analysis, code, what, writable or {})
    return CheckedCode(MappingProxyType(analysis.externals), frozenset(analysis.unresolved),
                       frozenset(analysis.symbols_used), temporaries=temporaries)


def _check_code_expression(analysis: _Analysis, expression: Expression, what: str,
                           expect: str | Dimensions | None) -> Inferred:
    noise = sorted(n for n in expression.identifiers if is_noise_name(n))
    if noise:
        raise CodeError(f"noise '{noise[0]}' cannot be used in the {what}", expression.span(),
                        "noise belongs in differential equations")
    analysis.current_expression = expression
    result = infer(expression, analysis.lookup_name, analysis.lookup_function)
    if expect == BOOLEAN:
        if result.dtype != BOOLEAN:
            raise CodeError(f"the {what} must be a condition (true or false)", expression.span(),
                            "write a comparison, e.g. 'v > v_th'")
    elif expect is not None and result.known:
        assert result.dims is not None
        if not same_dimensions(result.dims, expect):
            raise UnitError(
                f"the {what} must have units of {unit_words(expect)}, but it has "
                f"{_units_phrase(result.dims)}", expression.span(),
                f"give it units of {unit_words(expect)}")
    return result


_SCALING_OPERATORS = ("*=", "/=", "**=", "//=", "%=")


def _check_statements(analysis: _Analysis, code: tuple[Statement, ...], what: str,
                      writable: Mapping[str, NameInfo]) -> frozenset[str]:
    """Check each statement in order; returns the temporaries the block defines."""
    analysis.temporaries = _temporaries(analysis, code, what, writable)
    analysis.defined_temporaries = {}
    for statement in code:
        _check_statement(analysis, statement, what, writable)
    _warn_unread_temporaries(analysis, code, what, writable)
    return frozenset(analysis.temporaries)


def _temporaries(analysis: _Analysis, code: tuple[Statement, ...], what: str,
                 writable: Mapping[str, NameInfo]) -> dict[str, Statement]:
    """The names ``code`` assigns that are new: Brian's temporary variables.

    A name that is not a variable but is known otherwise (a subexpression, a
    special symbol, a unit, ...) cannot be assigned: that is a :class:`CodeError`.
    """
    found: dict[str, Statement] = {}
    for statement in code:
        target = statement.target
        if target in writable or target in found:
            continue
        hint = _refusal_hint(analysis, target, writable)
        if hint is not None:
            raise CodeError(f"the {what} cannot assign to '{target}'", statement.target_span,
                            hint)
        found[target] = statement
    return found


def _refusal_hint(analysis: _Analysis, target: str, writable: Mapping[str, NameInfo]
                  ) -> str | None:
    """Why ``target`` cannot be assigned, or ``None`` if it can name a temporary."""
    variable = analysis.variables.get(target)
    if variable is not None and variable.kind is EquationKind.SUBEXPRESSION:
        return f"'{target}' is a subexpression, computed from other variables"
    if variable is not None and "constant" in variable.flags:
        return f"'{target}' is flagged (constant): it cannot change during a run"
    if variable is not None:
        return f"'{target}' cannot be assigned here"
    if target in analysis.context.symbols or target in SPECIAL_NAMES:
        return f"'{target}' is a special symbol, maintained by jnsim"
    if owner := _foreign_subexpression_owner(analysis.context, target):
        return (f"'{target}' is a subexpression of the {owner}-synaptic group, computed "
                "from its variables")
    if target.endswith(("_pre", "_post")) and analysis.context.kind == SYNAPSE:
        close = difflib.get_close_matches(target, list(writable), n=1)
        return (f"did you mean '{close[0]}'?" if close else
                "variables that can be assigned: " + ", ".join(sorted(writable)))
    try:
        check_defined_name(target)
    except EquationError as error:
        return f"{error.message}, so it cannot name a temporary variable"
    return None


def _typo_hint(name: str, known: Iterable[str]) -> str:
    """``"did you mean 'v'? "`` when a known name is close to ``name``, else ``""``."""
    close = difflib.get_close_matches(name, [k for k in known if not k.startswith("_")], n=1)
    return f"did you mean '{close[0]}'? " if close else ""


def _warn_unread_temporaries(analysis: _Analysis, code: tuple[Statement, ...], what: str,
                             writable: Mapping[str, NameInfo]) -> None:
    """Warn about temporaries no later statement reads: most likely a misspelt variable."""
    for name, first in analysis.temporaries.items():
        position = code.index(first)
        if any(name in later.expression.names for later in code[position + 1:]):
            continue
        warnings.warn(UnusedTemporaryWarning(
            f"the {what} assigns '{name}', which is not a variable of the model, so it is a "
            "temporary variable; no later statement reads it, so the assignment has no "
            f"effect. {_typo_hint(name, writable)}".rstrip()), stacklevel=_user_level())


def _user_level() -> int:
    """The ``stacklevel`` of the first frame outside jnsim (the user's line)."""
    package = str(Path(__file__).parent)
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(package):
        level, frame = level + 1, frame.f_back
    return level


def _check_statement(analysis: _Analysis, statement: Statement, what: str,
                     writable: Mapping[str, NameInfo]) -> None:
    target = statement.target
    temporary = target in analysis.temporaries
    if temporary and target not in analysis.defined_temporaries and statement.operator != "=":
        raise CodeError(
            f"'{target} {statement.operator} ...' needs a value of '{target}', which is not "
            "assigned yet", statement.target_span,
            _typo_hint(target, writable) + f"'{target}' is not a variable of the model; a "
            f"temporary variable is first assigned with '=' ('{target} = ...')")
    result = _check_code_expression(analysis, statement.expression, what, None)
    if temporary and target not in analysis.defined_temporaries:
        analysis.defined_temporaries[target] = NameInfo(result.dims if result.known else None,
                                                        result.dtype)
        return
    target_info = analysis.defined_temporaries[target] if temporary else writable[target]
    if not result.known or target_info.dims is None:
        return
    assert result.dims is not None
    if statement.operator in _SCALING_OPERATORS:
        if not is_dimensionless(result.dims) and statement.operator != "/=" and (
                statement.operator != "*="):
            raise UnitError(f"'{statement.operator}' needs a dimensionless right-hand side",
                            statement.expression.span(), "divide by a unit, e.g. 'x/mV'")
        if statement.operator in ("*=", "/=") and not is_dimensionless(result.dims):
            raise UnitError(
                f"'{target} {statement.operator} ...' would change the units of '{target}' "
                f"(the right-hand side has {_units_phrase(result.dims)})",
                statement.expression.span(), "multiply or divide by a dimensionless factor")
        return
    if not same_dimensions(result.dims, target_info.dims):
        raise UnitError(
            f"cannot assign {_value_phrase(result.dims)} to '{target}', which "
            f"{_has_units_phrase(target_info.dims)}", statement.expression.span(),
            _assignment_hint(result.dims, target_info.dims))
    if target_info.dtype == BOOLEAN and statement.operator == "=" and result.dtype != BOOLEAN:
        raise CodeError(f"'{target}' is boolean, but the value assigned is a number",
                        statement.expression.span(), "assign a condition, e.g. 'v > v_th'")


def _foreign_subexpression_owner(context: ModelContext, name: str) -> str | None:
    """``'pre'``/``'post'`` if ``name`` is a subexpression of a connected group."""
    if name.endswith("_pre") and name[:-4] in context.pre_subexpressions:
        return "pre"
    if (name.endswith("_post") and name[:-5] in context.post_subexpressions) or (
            name in context.post_subexpressions):
        return "post"
    return None


def _assignment_hint(found: Dimensions, expected: Dimensions) -> str:
    if is_dimensionless(found):
        return f"a plain number has no units: write e.g. '5*{unit_words(expected)}'"
    if is_dimensionless(expected):
        return f"the value must be dimensionless: divide by a unit, e.g. 'x/{unit_words(found)}'"
    return f"the value must have units of {unit_words(expected)}"


SPECIAL_NAMES = frozenset({"t", "dt", "i", "j", "N", "lastspike", "not_refractory",
                           "lastupdate", "t_in_timesteps", "N_pre", "N_post"})
