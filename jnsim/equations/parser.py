"""Split equation text into single equations, keeping where each part was written.

The three forms are::

    dx/dt = f : unit (flags)     differential equation
    x = f : unit (flags)         subexpression
    x : unit (flags)             parameter

An equation may span several lines: its expression runs up to the first ``:``
outside parentheses.  ``#`` starts a comment.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from enum import Enum

from ..errors import EquationError, SourceSpan, UnitError
from ..units import UnitSpec, parse_unit_spec
from .expressions import Expression, check_text_characters, mask_comments, parse_expression

__all__ = ["ALL_FLAGS", "EquationKind", "SingleEquation", "parse_equations"]


class EquationKind(Enum):
    """The three kinds of equation line."""

    DIFFERENTIAL = "differential equation"
    SUBEXPRESSION = "subexpression"
    PARAMETER = "parameter"


#: Every flag of the language, with the kind of equation it may qualify.
ALL_FLAGS: dict[str, tuple[EquationKind, ...]] = {
    "unless refractory": (EquationKind.DIFFERENTIAL,),
    "event-driven": (EquationKind.DIFFERENTIAL,),
    "clock-driven": (EquationKind.DIFFERENTIAL,),
    "constant": (EquationKind.PARAMETER,),
    "linked": (EquationKind.PARAMETER,),
    "shared": (EquationKind.PARAMETER, EquationKind.SUBEXPRESSION),
    "constant over dt": (EquationKind.SUBEXPRESSION,),
    "summed": (EquationKind.SUBEXPRESSION,),
}

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_DIFFERENTIAL = re.compile(rf"d(?P<name>{_NAME})\s*/\s*dt\s*=(?!=)")
_SUBEXPRESSION = re.compile(rf"(?P<name>{_NAME})\s*=(?!=)")
_PARAMETER = re.compile(rf"(?P<name>{_NAME})\s*:")
#: How each kind of equation starts: ``dv/dt =``, ``I =``, ``C :`` (the name as ``name``).
EQUATION_FORMS: tuple[tuple[EquationKind, re.Pattern[str]], ...] = (
    (EquationKind.DIFFERENTIAL, _DIFFERENTIAL),
    (EquationKind.SUBEXPRESSION, _SUBEXPRESSION),
    (EquationKind.PARAMETER, _PARAMETER),
)
_EQUATION_START = re.compile(rf"\s*(d{_NAME}\s*/\s*dt\s*=(?!=)|{_NAME}\s*=(?!=)|{_NAME}\s*:)")
# A line ending in an operator continues on the next line.
_CONTINUES = re.compile(r"([-+*/%<>=,]|\band|\bor|\bnot)\s*$")
_FLAG_GROUP = re.compile(r"\(\s*(?P<flags>[A-Za-z][A-Za-z \-]*(?:,[A-Za-z \-]*)*)\)\s*$")


@dataclass(frozen=True, eq=False)
class SingleEquation:
    """One equation of a model.

    Attributes
    ----------
    kind
        Differential equation, subexpression or parameter.
    name
        The variable it defines.
    expression
        The right-hand side (``None`` for parameters).
    unit
        The unit specification.
    flags
        Flags in the order written, normalised (``'unless refractory'``).
    source
        The text the equation was parsed from, and where in it the name,
        unit and flags were written (for error messages).
    """

    kind: EquationKind
    name: str
    expression: Expression | None
    unit: UnitSpec
    flags: tuple[str, ...] = ()
    source: str = field(default="", repr=False)
    name_offset: int = field(default=0, repr=False)
    unit_offset: int = field(default=0, repr=False)
    flags_offset: int = field(default=0, repr=False)
    line_offset: int = field(default=0, repr=False)

    @property
    def lhs(self) -> str:
        """The left-hand side as written: ``dv/dt`` or ``v``."""
        return f"d{self.name}/dt" if self.kind is EquationKind.DIFFERENTIAL else self.name

    def __str__(self) -> str:
        text = self.lhs
        if self.expression is not None:
            text += f" = {self.expression.code.strip()}"
        text += f" : {self.unit.symbol}"
        if self.flags:
            text += f" ({', '.join(self.flags)})"
        return text

    def as_source(self) -> str:
        """The equation in re-parseable form, with the unit as it was written."""
        text = self.lhs
        if self.expression is not None:
            text += f" = {self.expression.code.strip()}"
        text += f" : {self.unit.text}"
        if self.flags:
            text += f" ({', '.join(self.flags)})"
        return text

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SingleEquation):
            return NotImplemented
        return (self.kind, self.name, self.expression, self.unit.dims, self.unit.dtype,
                frozenset(self.flags)) == (other.kind, other.name, other.expression,
                                           other.unit.dims, other.unit.dtype,
                                           frozenset(other.flags))

    def __hash__(self) -> int:
        return hash((self.kind, self.name, self.expression, frozenset(self.flags)))

    @property
    def identifiers(self) -> frozenset[str]:
        """Names (variables and functions) the right-hand side refers to."""
        return self.expression.identifiers if self.expression is not None else frozenset()

    def name_span(self) -> SourceSpan:
        """Where the defined name is written."""
        return SourceSpan.from_offset(self.source, self.name_offset, len(self.name),
                                      self.line_offset)

    def unit_span(self) -> SourceSpan:
        """Where the unit specification is written."""
        return SourceSpan.from_offset(self.source, self.unit_offset, max(1, len(self.unit.text)),
                                      self.line_offset)

    def flags_span(self) -> SourceSpan:
        """Where the flags are written (the parenthesis)."""
        return SourceSpan.from_offset(self.source, self.flags_offset, 1, self.line_offset)

    def flag_span(self, flag: str) -> SourceSpan:
        """Where one flag is written (``unless refractory`` in ``(unless  refractory)``);
        the parenthesis if it cannot be found."""
        pattern = r"\s+".join(re.escape(word) for word in flag.split())
        found = re.compile(pattern).search(self.source, self.flags_offset)
        if found is None:
            return self.flags_span()
        return SourceSpan.from_offset(self.source, found.start(), len(found.group()),
                                      self.line_offset)

    def with_line_offset(self, line_offset: int) -> SingleEquation:
        """The same equation with spans shifted by ``line_offset`` lines."""
        expression = self.expression
        if expression is not None:
            expression = replace(expression, line_offset=line_offset)
        return replace(self, expression=expression, line_offset=line_offset)


def parse_equations(text: str, line_offset: int = 0) -> tuple[SingleEquation, ...]:
    """Parse equation text into single equations.

    Parameters
    ----------
    text
        The model equations, one per line (an equation may continue over lines).
    line_offset
        Line shift for error display (e.g. 1 for a cell body below a magic line).

    Raises
    ------
    EquationError
        For text that is not one of the three equation forms, with the line,
        column and a hint.
    UnitError
        For an invalid unit specification.
    """
    if not isinstance(text, str):
        raise EquationError(f"equations must be given as a string, not {type(text).__name__}",
                            hint="write e.g. Equations('dv/dt = -v/tau : volt')")
    check_text_characters(text, EquationError, line_offset)
    masked = mask_comments(text).replace("\t", " ").replace("\r", " ")
    equations: list[SingleEquation] = []
    position = _skip_blank(masked, 0)
    while position < len(masked):
        equation, position = _parse_one(text, masked, position, line_offset)
        equations.append(equation)
        position = _skip_blank(masked, position)
    return tuple(equations)


def _skip_blank(masked: str, position: int) -> int:
    while position < len(masked) and masked[position] in " \n":
        position += 1
    return position


def _span(text: str, offset: int, length: int, line_offset: int) -> SourceSpan:
    return SourceSpan.from_offset(text, offset, length, line_offset)


def _parse_one(text: str, masked: str, start: int, line_offset: int
               ) -> tuple[SingleEquation, int]:
    forms = EQUATION_FORMS
    found = next(((kind, m) for kind, pattern in forms if (m := pattern.match(masked, start))),
                 None)
    if found is None:
        raise _not_an_equation(text, masked, start, line_offset)
    kind, match = found
    name_offset = match.start("name")
    expression = None
    if kind is EquationKind.PARAMETER:
        colon = match.end() - 1
    else:
        colon = _find_colon(text, masked, match.end(), start, line_offset)
        code = masked[match.end():colon]
        code_start = match.end() + (len(code) - len(code.lstrip(" \n")))
        if not code.strip():
            unit_words = masked[colon + 1:].split("\n")[0].split("(")[0].strip() or "unit"
            hint = (f"a parameter is written '{match.group('name')} : {unit_words}'"
                    if kind is EquationKind.SUBEXPRESSION else "write the right-hand side, "
                    f"e.g. 'd{match.group('name')}/dt = -{match.group('name')}/tau : 1'")
            raise EquationError("expected an expression after '='",
                                _span(text, colon, 1, line_offset), hint)
        expression = parse_expression(masked[code_start:colon], text, code_start, line_offset)
    line_end = masked.find("\n", colon)
    line_end = len(masked) if line_end < 0 else line_end
    unit_text, unit_offset, flags, flags_offset = _split_unit_and_flags(
        text, masked, colon + 1, line_end, line_offset)
    unit = parse_unit_spec(unit_text, _span(text, unit_offset, max(1, len(unit_text)),
                                            line_offset))
    equation = SingleEquation(kind, match.group("name"), expression, unit, flags, text,
                              name_offset, unit_offset, flags_offset, line_offset)
    _check_flag_kinds(equation)
    return equation, line_end


def _check_flag_kinds(equation: SingleEquation) -> None:
    """Reject flags that cannot qualify this kind of equation in any model."""
    for flag in equation.flags:
        kinds = ALL_FLAGS[flag]
        if equation.kind not in kinds:
            allowed = " or ".join(f"{k.value}s" for k in kinds)
            raise EquationError(
                f"flag '{flag}' cannot qualify a {equation.kind.value}",
                equation.flag_span(flag), f"'{flag}' can only qualify {allowed}")


def _not_an_equation(text: str, masked: str, start: int, line_offset: int) -> EquationError:
    line_end = masked.find("\n", start)
    line = masked[start: len(masked) if line_end < 0 else line_end].strip()
    hint = "equations are written 'dx/dt = f : unit', 'x = f : unit' or 'x : unit'"
    length = 1
    if re.match(r"d\s*/\s*dt", line):
        hint = "the variable goes between 'd' and '/dt', e.g. 'dv/dt = -v/tau : volt'"
    elif re.match(rf"d{_NAME}\s*/\s*dt\s*==", line) or re.match(rf"{_NAME}\s*==", line):
        hint = "equations are written with a single '='"
    elif re.match(rf"d{_NAME}\s*/\s*dt\s*:", line):
        hint = "a differential equation needs a right-hand side: 'dv/dt = f : unit'"
    elif re.match(rf"d{_NAME}\s*/\s*d{_NAME}", line):
        hint = "derivatives are taken with respect to time only: 'dv/dt'"
    elif re.match(rf"{_NAME}\s*'", line):
        hint = "derivatives are written 'dv/dt', not with a prime"
    elif re.match(r"[0-9]", line):
        hint = "an equation starts with the variable it defines"
    word = re.match(_NAME, line)
    if word:
        length = len(word.group(0))
    return EquationError("expected an equation", _span(text, start, length, line_offset), hint)


def _find_colon(text: str, masked: str, position: int, start: int, line_offset: int) -> int:
    """Offset of the ':' that ends the expression starting at ``position``."""
    depth = 0
    opened: list[int] = []
    for index in range(position, len(masked)):
        char = masked[index]
        if char in "([{":
            depth += 1
            opened.append(index)
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                raise EquationError("this ')' has no matching '('",
                                    _span(text, index, 1, line_offset),
                                    "remove it or add the missing '('")
            opened.pop()
        elif char == ":" and depth == 0:
            return index
        elif (char == "\n" and depth == 0 and _EQUATION_START.match(masked, index + 1)
              and not _CONTINUES.search(masked, position, index)):
            raise _missing_unit(text, masked, start, index, line_offset)
    if opened:
        raise EquationError("a parenthesis is not closed", _span(text, opened[-1], 1, line_offset),
                            "add the missing ')'")
    raise _missing_unit(text, masked, start, len(masked), line_offset)


def _missing_unit(text: str, masked: str, start: int, end: int, line_offset: int
                  ) -> EquationError:
    stripped_end = len(masked[:end].rstrip())
    return EquationError("missing ': unit' at the end of the equation",
                         _span(text, stripped_end, 1, line_offset),
                         "every equation ends with its unit, e.g. 'dv/dt = -v/tau : volt'")


def _split_unit_and_flags(text: str, masked: str, start: int, end: int, line_offset: int
                          ) -> tuple[str, int, tuple[str, ...], int]:
    segment = masked[start:end]
    flags_match = _FLAG_GROUP.search(segment)
    flags: tuple[str, ...] = ()
    flags_offset = end
    if flags_match and not segment[: flags_match.start()].rstrip().endswith(("*", "/")):
        flags_offset = start + flags_match.start()
        flags = _parse_flags(text, flags_match.group("flags"),
                             start + flags_match.start("flags"), line_offset)
        segment = segment[: flags_match.start()]
    elif "(" in segment and ")" not in segment[segment.index("("):]:
        raise EquationError("a parenthesis is not closed",
                            _span(text, start + segment.index("("), 1, line_offset),
                            "flags are written in parentheses, e.g. '(constant)'")
    unit_offset = start + len(segment) - len(segment.lstrip())
    unit_text = segment.strip()
    if not unit_text:
        raise UnitError("missing unit after ':'", _span(text, start - 1, 1, line_offset),
                        "write the unit of the variable, e.g. 'volt', or '1' if it has none")
    return unit_text, unit_offset, flags, flags_offset


def _parse_flags(text: str, flags_text: str, offset: int, line_offset: int) -> tuple[str, ...]:
    flags: list[str] = []
    position = offset
    for raw in flags_text.split(","):
        flag = " ".join(raw.split())
        flag_offset = position + (len(raw) - len(raw.lstrip()))
        span = _span(text, flag_offset, max(1, len(raw.strip())), line_offset)
        if not flag:
            raise EquationError("empty flag", span, "separate flags with commas: '(flag1, flag2)'")
        if flag == "point current":
            raise EquationError(
                "the flag 'point current' is not supported: it belongs to "
                "multi-compartment models (SpatialNeuron)", span,
                "jnsim simulates point neurons: add the current to the membrane equation")
        if flag not in ALL_FLAGS:
            close = difflib.get_close_matches(flag, list(ALL_FLAGS), n=1, cutoff=0.6)
            hint = (f"did you mean '{close[0]}'?" if close else
                    "flags are: " + ", ".join(f"'{f}'" for f in ALL_FLAGS))
            raise EquationError(f"unknown flag '{flag}'", span, hint)
        if flag in flags:
            raise EquationError(f"flag '{flag}' is given twice", span, "give each flag once")
        flags.append(flag)
        position += len(raw) + 1
    return tuple(flags)
