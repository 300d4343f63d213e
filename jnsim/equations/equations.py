"""The :class:`Equations` object: parsed equations that can be combined and specialised."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..errors import EquationError, SourceSpan
from ..units import format_quantity, registry
from .parser import EquationKind, SingleEquation, parse_equations
from .symbols import check_defined_name

__all__ = ["Equations"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Equations(Mapping[str, SingleEquation]):
    """A set of model equations, parsed and checked for syntax.

    Parameters
    ----------
    eqs
        Equation text (one equation per line; an equation may continue over
        lines), or single equations from another :class:`Equations`.
    line_offset
        Shift of the line numbers shown in errors (e.g. for a notebook cell).
    **replacements
        Names to substitute: a string renames an identifier
        (``Equations(s, g='g_e')``), a number or quantity inserts a value
        (``Equations(s, tau=10*ms)`` is the same as writing ``(10. * msecond)``).

    Raises
    ------
    EquationError
        For syntax errors, forbidden names, duplicate definitions and
        invalid substitutions.

    Notes
    -----
    Like Brian 2, this object checks syntax only. Units and external names are
    checked when a group or synapse is created from it (see
    :func:`jnsim.analysis.analyse`).

    Examples
    --------
    >>> from jnsim import Equations, ms
    >>> print(Equations('dg/dt = -g / tau : siemens', g='g_e', tau='tau_e'))
    dg_e/dt = -g_e / tau_e  : S
    """

    def __init__(
        self,
        eqs: str | Iterable[SingleEquation] = "",
        line_offset: int = 0,
        **replacements: Any,
    ) -> None:
        if isinstance(eqs, Equations):
            equations = tuple(eqs.values())
        elif isinstance(eqs, str):
            equations = parse_equations(eqs, line_offset)
            if replacements:
                equations = _substitute_text(eqs, equations, replacements, line_offset)
                replacements = {}
        else:
            equations = tuple(eqs) if isinstance(eqs, list | tuple) else (eqs,)
            if not all(isinstance(e, SingleEquation) for e in equations):
                raise EquationError(
                    f"cannot make equations from {type(eqs).__name__}",
                    hint="pass a string such as 'dv/dt = -v/tau : volt'")
        self._equations: dict[str, SingleEquation] = {}
        for equation in equations:
            self._add(equation)
        self._ordered = _order(self._equations)
        if replacements:
            substituted = Equations(self.as_source(), line_offset, **replacements)
            self._equations = dict(substituted._equations)
            self._ordered = substituted._ordered

    def _add(self, equation: SingleEquation) -> None:
        check_defined_name(equation.name, equation.name_span(), "summed" in equation.flags)
        if equation.name in self._equations:
            first = self._equations[equation.name]
            raise EquationError(
                f"'{equation.name}' is defined twice",
                equation.name_span(),
                f"it is already defined as a {first.kind.value} "
                f"('{first.lhs} ... : {first.unit.text}'); give each variable one equation",
            )
        self._equations[equation.name] = equation

    # -- Mapping interface ------------------------------------------------
    def __getitem__(self, name: str) -> SingleEquation:
        return self._equations[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._equations)

    def __len__(self) -> int:
        return len(self._equations)

    # -- combination --------------------------------------------------------
    def __add__(self, other: object) -> Equations:
        if isinstance(other, str):
            other = Equations(other)
        if not isinstance(other, Equations):
            return NotImplemented
        return Equations([*self._equations.values(), *other._equations.values()])

    def __radd__(self, other: object) -> Equations:
        if isinstance(other, str):
            return Equations(other) + self
        return NotImplemented

    def substitute(self, **replacements: Any) -> Equations:
        """A copy with names renamed or replaced by values (see the class docstring)."""
        return Equations(self.as_source(), **replacements)

    # -- views ----------------------------------------------------------------
    @property
    def ordered(self) -> tuple[SingleEquation, ...]:
        """Subexpressions in dependency order, then differential equations, then parameters."""
        return self._ordered

    @property
    def names(self) -> tuple[str, ...]:
        """Every name defined by these equations."""
        return tuple(self._equations)

    def _names_of(self, kind: EquationKind) -> tuple[str, ...]:
        return tuple(n for n, e in self._equations.items() if e.kind is kind)

    @property
    def diff_eq_names(self) -> tuple[str, ...]:
        """Names defined by differential equations."""
        return self._names_of(EquationKind.DIFFERENTIAL)

    @property
    def subexpr_names(self) -> tuple[str, ...]:
        """Names defined by subexpressions."""
        return self._names_of(EquationKind.SUBEXPRESSION)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names defined as parameters."""
        return self._names_of(EquationKind.PARAMETER)

    @property
    def identifiers(self) -> frozenset[str]:
        """Names used in expressions but not defined here (external names, symbols, functions)."""
        used = frozenset().union(*(e.identifiers for e in self._equations.values()))
        return used - set(self._equations)

    @property
    def stochastic_variables(self) -> tuple[str, ...]:
        """The noise names (``xi``, ``xi_*``) used, sorted."""
        used = frozenset().union(*(e.identifiers for e in self._equations.values()))
        return tuple(sorted(n for n in used if n == "xi" or n.startswith("xi_")))

    @property
    def is_stochastic(self) -> bool:
        """True when any equation contains white noise."""
        return bool(self.stochastic_variables)

    # -- display ------------------------------------------------------------
    def as_source(self) -> str:
        """The equations as re-parseable text (units as written, not as displayed)."""
        return "\n".join(equation.as_source() for equation in self._ordered)

    def __str__(self) -> str:
        return "\n".join(str(equation) for equation in self._ordered)

    def __repr__(self) -> str:
        return f"<Equations: {len(self)} equation{'s' * (len(self) != 1)}>\n{self}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Equations):
            return NotImplemented
        return set(self._equations.values()) == set(other._equations.values())

    def __hash__(self) -> int:
        return hash(frozenset(self._equations.values()))

    def _repr_markdown_(self) -> str | None:
        from ..display import equations_markdown

        return equations_markdown(self)

    def _repr_latex_(self) -> str | None:
        from ..display import equations_latex

        return equations_latex(self)


def _order(equations: dict[str, SingleEquation]) -> tuple[SingleEquation, ...]:
    """Subexpressions sorted by dependency, then differential equations, then parameters."""
    subexpressions = {n: e for n, e in equations.items() if e.kind is EquationKind.SUBEXPRESSION}
    ordered: list[SingleEquation] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = " -> ".join([*path[path.index(name):], name])
            equation = subexpressions[name]
            raise EquationError(f"subexpressions refer to each other in a circle: {cycle}",
                                equation.name_span(),
                                "a subexpression cannot depend on itself, even indirectly")
        state[name] = "visiting"
        for dependency in sorted(subexpressions[name].identifiers & set(subexpressions)):
            visit(dependency, [*path, name])
        state[name] = "done"
        ordered.append(subexpressions[name])

    for name in subexpressions:
        visit(name, [])
    ordered += [e for e in equations.values() if e.kind is EquationKind.DIFFERENTIAL]
    ordered += [e for e in equations.values() if e.kind is EquationKind.PARAMETER]
    return tuple(ordered)


def _replacement_text(name: str, value: Any, span: SourceSpan) -> str:
    if isinstance(value, str):
        if not _IDENTIFIER.fullmatch(value):
            raise EquationError(
                f"cannot replace '{name}' by '{value}': a replacement string must be a name",
                span, "to insert an expression, define a subexpression instead")
        return value
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, registry.Unit):
        value = registry.Quantity(1.0, value)
    if isinstance(value, int | float) or (
        isinstance(value, registry.Quantity) and getattr(value.magnitude, "ndim", 0) == 0
    ) or _is_numpy_scalar(value):
        return f"({format_quantity(value)})"
    raise EquationError(
        f"cannot insert a {type(value).__name__} for '{name}'", span,
        "insert a name (string), a number or a scalar quantity such as 10*ms")


def _is_numpy_scalar(value: Any) -> bool:
    import numpy as np

    return isinstance(value, np.generic) and np.issubdtype(type(value), np.number)


def _substitute_text(
    text: str,
    equations: tuple[SingleEquation, ...],
    replacements: Mapping[str, Any],
    line_offset: int,
) -> tuple[SingleEquation, ...]:
    """Apply replacements to the names and expressions of ``text`` and parse it again."""
    defined = {e.name for e in equations}
    used = frozenset().union(*(e.identifiers for e in equations)) | defined
    whole = SourceSpan.from_offset(text, 0, 1, line_offset)
    for name, value in replacements.items():
        if name not in used:
            raise EquationError(
                f"cannot substitute '{name}': the equations do not use this name", whole,
                "names in the equations are: " + ", ".join(sorted(used)))
        if name in defined and not isinstance(value, str):
            raise EquationError(
                f"cannot replace the variable '{name}' by a value", whole,
                "only external names can be replaced by values; a variable can be renamed "
                "with a string")
    # Collect (start, end, new text) edits inside names and expressions only.
    edits: list[tuple[int, int, str]] = []
    for equation in equations:
        if equation.name in replacements:
            new = _replacement_text(equation.name, replacements[equation.name],
                                    equation.name_span())
            edits.append((equation.name_offset, equation.name_offset + len(equation.name), new))
        expression = equation.expression
        if expression is None:
            continue
        for match in _IDENTIFIER.finditer(expression.code):
            name = match.group(0)
            before = expression.code[: match.start()]
            if name in replacements and not re.search(r"[0-9.]$", before):
                start = expression.offset + match.start()
                span = SourceSpan.from_offset(text, start, len(name), line_offset)
                edits.append((start, start + len(name),
                              _replacement_text(name, replacements[name], span)))
    substituted = text
    for start, end, new in sorted(edits, reverse=True):
        substituted = substituted[:start] + new + substituted[end:]
    return parse_equations(substituted, line_offset)
