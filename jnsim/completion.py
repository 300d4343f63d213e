"""Tab completion of names, units and flags in ``%%neuron`` and ``%%synapse`` cells.

``%load_ext jnsim`` adds a matcher to IPython's completer, so the ordinary Tab
completion of JupyterLab (a ``complete_request`` with the cell text and the cursor
position, answered by the kernel) offers, in a model cell:

* on the magic line: the magic's options (``--threshold``, ``--method``, ... taken
  from its argparse parser), the integration methods after ``--method``, and names
  inside code options (``--threshold "v > V``);
* after the ``:`` of an equation: the units an equation may be written in (base units
  only, ``volt``, ``siemens``, ``mmolar``, ..., and ``1``, ``boolean``, ``integer``;
  ``mV`` would be rejected there);
* inside the ``( ... )`` after the unit: the flags this kind of model accepts on this
  kind of equation;
* elsewhere (right-hand sides, blocks): the cell's own variables, the ``_pre`` /
  ``_post`` names of neuron models and groups in the notebook (``%%synapse``), the
  notebook's numbers, quantities and ``TimedArray`` objects, the special symbols,
  the default functions and constants, and every unit name (first after ``65*``);
  block headers (``reset:``) at column 0.

The cell is read with a tolerant line scan, so an unfinished or invalid cell still
completes; the matcher never raises.
"""

from __future__ import annotations

import difflib
import functools
import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy
from IPython.core.completer import (
    CompletionContext,
    SimpleCompletion,
    SimpleMatcherResult,
    context_matcher,
)

from .context import ALLOWED_FLAGS, INCOMPATIBLE_FLAGS, NEURON, SYNAPSE, ModelContext
from .equations import EquationKind
from .equations.parser import EQUATION_FORMS
from .functions import DEFAULT_CONSTANTS, DEFAULT_FUNCTIONS
from .magics import (
    BLOCK_HEADER,
    MAGIC_OPTIONS,
    NEURON_BLOCKS,
    SYNAPSE_BLOCKS,
    option_parser,
    top_level_colon,
)
from .units import UNITS, registry

__all__ = ["MATCHER_ID", "Completions", "complete_cell", "make_matcher", "register_completer"]

#: The identifier of jnsim's matcher among IPython's matchers.
MATCHER_ID = "jnsim.completion.equation_matcher"

MAGICS: dict[str, str] = {"%%neuron": NEURON, "%%synapse": SYNAPSE}
_BLOCKS: dict[str, tuple[str, ...]] = {NEURON: NEURON_BLOCKS, SYNAPSE: SYNAPSE_BLOCKS}
_ALL_BLOCKS = frozenset(NEURON_BLOCKS + SYNAPSE_BLOCKS)
_CODE_OPTIONS: dict[str, str] = {"--threshold": NEURON, "--reset": NEURON,
                                 "--refractory": NEURON, "--on-pre": SYNAPSE,
                                 "--on-post": SYNAPSE, "--delay": SYNAPSE}
_METHOD_ALIASES = ("linear", "midpoint")
_EXPRESSION_KEYWORDS = ("and", "or", "not")

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PRE_POST = re.compile(rf"\b{_NAME}_(?:pre|post)\b")
_FRAGMENT = re.compile(rf"{_NAME}$")
_AFTER_NUMBER = re.compile(r"(?<![A-Za-z_])[0-9.]+(?:[eE][-+]?[0-9]+)?\s*[*/]\s*$")
_OPERATOR_END = re.compile(r"(\*\*|[*/(])\s*$")

#: A completion: the text to insert and its type label.
Item = tuple[str, str]


@dataclass(frozen=True)
class Completions:
    """What to offer at the cursor.

    Attributes
    ----------
    fragment
        The text just before the cursor that the completions replace.
    items
        ``(text, type)`` pairs, best first.
    """

    fragment: str
    items: tuple[Item, ...]


# -- registering with IPython ------------------------------------------------------------

def register_completer(shell: Any) -> bool:
    """Add jnsim's matcher to ``shell.Completer.custom_matchers`` (once).

    A matcher added by an earlier load (``%reload_ext jnsim``) is replaced. The unit
    tables are computed here, so that the first Tab is as fast as the next ones.

    Parameters
    ----------
    shell
        The IPython shell (``get_ipython()``).

    Returns
    -------
    bool
        False when the shell has no completer to extend.
    """
    matchers = getattr(getattr(shell, "Completer", None), "custom_matchers", None)
    if not isinstance(matchers, list):
        return False
    matchers[:] = [m for m in matchers if getattr(m, "matcher_identifier", None) != MATCHER_ID]
    matchers.append(make_matcher(shell))
    _all_units()
    _spec_units()
    return True


def make_matcher(shell: Any) -> Callable[[CompletionContext], SimpleMatcherResult]:
    """An IPython matcher (API v2) for model cells, using ``shell.user_ns``.

    The matcher answers only in ``%%neuron`` / ``%%synapse`` cells; when it has
    completions it suppresses IPython's others (Python names make no sense there) and
    keeps its own order. It never raises.
    """

    @context_matcher(identifier=MATCHER_ID)
    def jnsim_matcher(context: CompletionContext) -> SimpleMatcherResult:
        try:
            found = complete_cell(context.full_text, context.cursor_line,
                                  context.cursor_position, getattr(shell, "user_ns", {}),
                                  context.limit)
        except Exception:  # a broken completion must not break the user's Tab
            found = None
        if found is None or not found.items:
            return SimpleMatcherResult(completions=[], suppress=False)
        return SimpleMatcherResult(
            completions=[SimpleCompletion(text, type=kind) for text, kind in found.items],
            matched_fragment=found.fragment, suppress=True, ordered=True)

    return jnsim_matcher


# -- the entry point ---------------------------------------------------------------------

def complete_cell(text: str, line: int, column: int, namespace: Mapping[str, Any],
                  limit: int | None = None) -> Completions | None:
    """The completions at a cursor in a ``%%neuron`` or ``%%synapse`` cell.

    Parameters
    ----------
    text
        The whole cell.
    line, column
        The cursor (0-based line of ``text``, 0-based column in that line).
    namespace
        The notebook's namespace (external constants, models defined earlier).
    limit
        The most completions wanted (all when ``None``).

    Returns
    -------
    Completions or None
        ``None`` when ``text`` is no model cell or nothing fits at the cursor.
    """
    lines = text.split("\n")
    start = _magic_line(lines)
    if start is None or not start <= line < len(lines):
        return None
    magic = lines[start].split(None, 1)[0]
    before = lines[line][:column]
    scan = _scan(lines[start + 1:])
    if line == start:
        found = _complete_magic_line(magic, before, scan, namespace)
    else:
        found = _complete_body(MAGICS[magic], scan, scan.lines[line - start - 1], before,
                               namespace)
    if found is None or not before.endswith(found.fragment):
        return None
    return Completions(found.fragment, found.items[:limit] if limit else found.items)


def _magic_line(lines: list[str]) -> int | None:
    """The index of the ``%%neuron``/``%%synapse`` line (after blank lines), if any."""
    for index, line in enumerate(lines):
        if line.strip():
            words = line.split(None, 1)
            return index if line.startswith("%%") and words[0] in MAGICS else None
    return None


# -- scanning a cell ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Line:
    """What a line of the cell body is: ``role`` and, for equations, their kind."""

    role: str  # description, blank, header, block, equation, continuation
    kind: EquationKind | None = None
    block: str | None = None


@dataclass(frozen=True)
class _Scan:
    """A cell body read line by line, without raising."""

    lines: tuple[_Line, ...]
    variables: tuple[str, ...]
    blocks: frozenset[str]
    text: str


def _indented(line: str) -> bool:
    return line[:1] in (" ", "\t")


def _equation_kind(line: str) -> tuple[EquationKind | None, str | None]:
    """The kind of equation a line starts, and the name it defines."""
    code = line.lstrip()
    for kind, pattern in EQUATION_FORMS:
        match = pattern.match(code)
        if match:
            return kind, match.group("name")
    return None, None


def _scan(body: list[str]) -> _Scan:
    """Classify each body line as :func:`~jnsim.magics.split_cell` would, tolerantly."""
    roles: list[_Line] = []
    variables: dict[str, None] = {}
    blocks: set[str] = set()
    block: str | None = None
    in_description, pending, kind = True, False, None
    for line in body:
        stripped = line.strip()
        if block is not None and (not stripped or stripped.startswith("#") or _indented(line)):
            roles.append(_Line("block", block=block))
            continue
        block = None
        if in_description and (not stripped or (stripped[0] == "#" and not _indented(line))):
            roles.append(_Line("description"))
            continue
        in_description = False
        header = BLOCK_HEADER.fullmatch(line)
        if header and header.group("name") in _ALL_BLOCKS:
            block = header.group("name")
            blocks.add(block)
            roles.append(_Line("header", block=block))
            pending = False
            continue
        if not stripped or stripped.startswith("#"):
            roles.append(_Line("continuation", kind) if pending else _Line("blank"))
            continue
        starts, name = _equation_kind(line)
        if pending and (_indented(line) or name is None):
            roles.append(_Line("continuation", kind))
        elif _indented(line):
            roles.append(_Line("block"))  # a statement outside a known block
            continue
        else:
            kind = starts
            if name is not None:
                variables.setdefault(name)
            roles.append(_Line("equation", kind))
        pending = top_level_colon(line.split("#", 1)[0]) < 0
    return _Scan(tuple(roles), tuple(variables), frozenset(blocks), "\n".join(body))


# -- the magic line ----------------------------------------------------------------------

def _split_words(text: str) -> tuple[list[str], str, str | None]:
    """Shell-like words of ``text``: (finished words, the word at the end, open quote)."""
    words: list[str] = []
    current, quote, started = "", None, False
    for char in text:
        if quote is not None:
            if char == quote:
                quote = None
            else:
                current += char
        elif char in "\"'":
            quote, started = char, True
        elif char.isspace():
            if started:
                words.append(current)
            current, started = "", False
        else:
            current, started = current + char, True
    return words, current, quote


@functools.cache
def _options(magic: str) -> tuple[str, ...]:
    """The option strings of a magic's parser (``--threshold``, ..., ``--quiet``)."""
    parser = option_parser(magic, MAGIC_OPTIONS[magic])
    return tuple(option for action in parser._actions for option in action.option_strings)


def _complete_magic_line(magic: str, before: str, scan: _Scan,
                         namespace: Mapping[str, Any]) -> Completions | None:
    if not before.startswith(magic) or before[len(magic):len(magic) + 1] not in (" ", "\t"):
        return None
    words, current, quote = _split_words(before[len(magic):])
    if quote is None and current.startswith("-"):
        used = set(words)
        items = [(option, "option") for option in _options(magic)
                 if option.startswith(current) and option not in used]
        return Completions(current, tuple(items))
    if not words or not words[-1].startswith("-"):
        return None
    option = words[-1]
    if option == "--method" and quote is None:
        methods = (*_methods(), *_METHOD_ALIASES)
        return Completions(current, tuple((m, "method") for m in methods
                                          if m.startswith(current)))
    if option in _CODE_OPTIONS:
        return _complete_expression(MAGICS[magic], scan, current, namespace)
    return None


def _methods() -> tuple[str, ...]:
    from .integration import METHODS

    return METHODS


# -- the cell body -----------------------------------------------------------------------

def _complete_body(kind: str, scan: _Scan, info: _Line, before: str,
                   namespace: Mapping[str, Any]) -> Completions | None:
    if "#" in before or info.role == "description":
        return None
    if info.role == "block":
        return _complete_expression(kind, scan, before, namespace)
    if info.role == "header":
        return _complete_line_start(kind, scan, before, namespace)
    colon = top_level_colon(before)
    if colon >= 0:
        equation = _Line(info.role, info.kind or _equation_kind(before)[0])
        return _complete_unit_part(kind, equation, before[colon + 1:])
    if info.role != "continuation" and (not before or _FRAGMENT.fullmatch(before)):
        return _complete_line_start(kind, scan, before, namespace)
    return _complete_expression(kind, scan, before, namespace)


def _complete_line_start(kind: str, scan: _Scan, before: str,
                         namespace: Mapping[str, Any]) -> Completions | None:
    """Column 0: block headers, then names (an equation may start with any)."""
    if before and not _FRAGMENT.fullmatch(before):
        return None
    headers = [(f"{name}:", "keyword") for name in _BLOCKS[kind]
               if name.startswith(before) and name not in scan.blocks]
    names = _complete_expression(kind, scan, before, namespace)
    return Completions(before, (*headers, *(names.items if names else ())))


def _complete_unit_part(kind: str, equation: _Line, after_colon: str) -> Completions | None:
    """After the colon: units, or flags inside the trailing parenthesis."""
    opened = _open_flag_paren(after_colon)
    if opened is not None:
        return _complete_flags(kind, equation.kind, after_colon[opened + 1:])
    match = _FRAGMENT.search(after_colon) or re.search(r"1$", after_colon)
    fragment = match.group() if match else ""
    spec = after_colon[: len(after_colon) - len(fragment)]
    if fragment == "" and spec.strip() and not _OPERATOR_END.search(spec):
        if spec.endswith((" ", "\t")) and "(" not in spec:  # 'volt ' + Tab: '(flag)'
            flags = _allowed_flags(kind, equation.kind)
            return Completions("", tuple((f"({flag})", "flag") for flag in flags))
        return None
    if spec.strip() and not _OPERATOR_END.search(spec):
        return None
    names = _spec_units() if spec.strip() else ("1", "boolean", "integer", *_spec_units())
    found = _prefixed(names, fragment) or _base_unit_for(fragment)
    return Completions(fragment, tuple((n, "unit") for n in found))


def _base_unit_for(name: str) -> list[str]:
    """For a prefixed or misspelt unit (``mV``, ``vlot``): the unit an equation takes."""
    unit = UNITS.get(name)
    if unit is not None:
        same = [n for n in _spec_units() if UNITS[n].dimensionality == unit.dimensionality]
        return same[:2]
    return difflib.get_close_matches(name, _spec_units(), n=3, cutoff=0.6)


def _open_flag_paren(text: str) -> int | None:
    """The index of an unclosed ``(`` that starts a flag list, or None."""
    stack: list[int] = []
    for index, char in enumerate(text):
        if char == "(":
            stack.append(index)
        elif char == ")" and stack:
            stack.pop()
    if not stack:
        return None
    head = text[: stack[-1]].strip()
    return stack[-1] if head and not _OPERATOR_END.search(head) else None


def _allowed_flags(kind: str, equation: EquationKind | None) -> tuple[str, ...]:
    allowed = ALLOWED_FLAGS[kind]
    if equation is not None:
        return allowed[equation]
    return tuple(dict.fromkeys(f for flags in allowed.values() for f in flags))


def _complete_flags(kind: str, equation: EquationKind | None, written: str) -> Completions:
    *given, current = written.split(",")
    fragment = current.lstrip()
    present = {" ".join(flag.split()) for flag in given}
    excluded = set(present)
    for pair in INCOMPATIBLE_FLAGS:
        if pair & present:
            excluded |= pair
    flags = [f for f in _allowed_flags(kind, equation) if f not in excluded]
    matching = [f for f in flags if f.startswith(fragment)]
    if not matching and re.fullmatch(r"[A-Za-z \-]*", fragment):
        matching = flags  # a misspelt flag: offer what is allowed here instead
    flags = matching
    return Completions(fragment, tuple((f, "flag") for f in flags))


# -- names in expressions and statements -------------------------------------------------

def _complete_expression(kind: str, scan: _Scan, before: str,
                         namespace: Mapping[str, Any]) -> Completions | None:
    """Names for the identifier being typed at the end of ``before``."""
    match = _FRAGMENT.search(before)
    fragment = match.group() if match else ""
    head = before[: len(before) - len(fragment)]
    if head[-1:].isalnum() or head[-1:] in (".", "_", "'", '"'):
        return None  # inside a number, after an attribute dot, or in a string
    units_first = bool(_AFTER_NUMBER.search(head))  # '-65*m': units follow numbers
    items = _expression_items(kind, scan, namespace, fragment, units_first, True)
    if not items and fragment:
        items = _expression_items(kind, scan, namespace, fragment, units_first, False)
    return Completions(fragment, items)


def _expression_items(kind: str, scan: _Scan, namespace: Mapping[str, Any], fragment: str,
                      units_first: bool, exact: bool) -> tuple[Item, ...]:
    """The names starting with ``fragment`` (ignoring case unless ``exact``), best first."""

    def labelled(names: Iterable[str], label: str) -> Iterable[Item]:
        return ((name, label) for name in _prefixed(names, fragment, exact))

    units = labelled(_all_units(), "unit")
    groups: list[Iterable[Item]] = [
        labelled(scan.variables, "variable"),
        labelled(_pre_post_names(kind, scan, namespace), "variable"),
        _namespace_items(namespace, fragment, exact, scan.variables),
        labelled(_special_symbols(kind), "special"),
        labelled(DEFAULT_FUNCTIONS, "function"),
        labelled(DEFAULT_CONSTANTS, "constant"),
        labelled(_EXPRESSION_KEYWORDS, "keyword"),
    ]
    groups.insert(0 if units_first else len(groups), units)
    items: dict[str, str] = {}
    for group in groups:
        for text, label in group:
            items.setdefault(text, label)
    return tuple(items.items())


def _prefixed(names: Iterable[str], fragment: str, exact: bool = True) -> list[str]:
    """The names starting with ``fragment`` (in any case unless ``exact``)."""
    if exact:
        return [n for n in names if n.startswith(fragment)]
    lower = fragment.lower()
    return [n for n in names if n.lower().startswith(lower)]


@functools.cache
def _special_symbols(kind: str) -> tuple[str, ...]:
    context = ModelContext.neuron() if kind == NEURON else ModelContext.synapse()
    return (*context.symbols, "xi")


def _pre_post_names(kind: str, scan: _Scan, namespace: Mapping[str, Any]) -> tuple[str, ...]:
    """``v_post``, ``lastspike_pre``...: neuron variables seen from a synapse."""
    if kind != SYNAPSE:
        return ()
    names = dict.fromkeys(n for n in _PRE_POST.findall(scan.text) if n not in _ALL_BLOCKS)
    for variable in (*_neuron_variables(namespace), "lastspike", "not_refractory"):
        names.setdefault(f"{variable}_post")
        names.setdefault(f"{variable}_pre")
    return tuple(names)


def _neuron_variables(namespace: Mapping[str, Any]) -> list[str]:
    """The variables of the neuron models and groups in the notebook."""
    from .groups import NeuronGroup
    from .models import NeuronModel

    found: dict[str, None] = {}
    for value in list(namespace.values()):
        if isinstance(value, NeuronModel):
            found.update(dict.fromkeys(value.equations.names))
        elif isinstance(value, NeuronGroup) and value.model is not None:
            found.update(dict.fromkeys(value.model.variables))
    return list(found)


def _namespace_items(namespace: Mapping[str, Any], fragment: str, exact: bool,
                     skip: Iterable[str]) -> list[Item]:
    """The notebook's names usable in equations: numbers, quantities, TimedArrays."""
    skipped = {*skip, *UNITS, *DEFAULT_FUNCTIONS, *DEFAULT_CONSTANTS}
    items: list[Item] = []
    for name in _prefixed(list(namespace), fragment, exact):
        if name.startswith("_") or name in skipped:
            continue
        if namespace.get(name) is getattr(numpy, name, _ABSENT):
            continue  # NumPy's own (``from jnsim import *`` brings them), not the user's
        label = _value_label(namespace.get(name))
        if label is not None:
            items.append((name, label))
    return sorted(items)


_ABSENT = object()


def _value_label(value: Any) -> str | None:
    """``'constant'``, ``'function'`` or None (a value equations cannot use)."""
    if isinstance(value, ModuleType | type):
        return None
    if hasattr(type(value), "jnsim_function_info"):
        return "function"
    if isinstance(value, bool | numbers.Real):
        return "constant"
    if isinstance(value, registry.Unit):
        return "constant"
    if isinstance(value, registry.Quantity):
        return "constant" if getattr(value.magnitude, "ndim", 0) == 0 else None
    return None


# -- unit names, computed once -----------------------------------------------------------

_COMMON_UNITS = ("volt", "siemens", "farad", "amp", "ampere", "second", "hertz", "Hz",
                 "ohm", "metre", "meter", "mmolar", "mM", "metre2", "meter2", "kilogram",
                 "kg", "mole", "mol", "coulomb")
_EVERYDAY = ("volt", "second", "siemens", "farad", "ampere", "hertz", "ohm", "meter",
             "molar")


@functools.cache
def _spec_units() -> tuple[str, ...]:
    """Units an equation's unit may be written in (no prefix: ``volt``, not ``mV``)."""
    base = [n for n, unit in UNITS.items() if _is_base(unit)]
    rank = {name: index for index, name in enumerate(_COMMON_UNITS)}
    return tuple(sorted(base, key=lambda n: (rank.get(n, len(rank)), len(n), n)))


def _scale(unit: Any) -> float:
    return float(registry.Quantity(1.0, unit).to_base_units().magnitude)


def _is_base(unit: Any) -> bool:
    return math.isclose(_scale(unit), 1.0, rel_tol=1e-9)


@functools.cache
def _all_units() -> tuple[str, ...]:
    """Every unit name: everyday ones (``mV``, ``ms``, ``nS``) first, short before long,
    exotic prefixes (``Evolt``, ``ymetre``) last."""
    everyday = {registry.Unit(n).dimensionality for n in _EVERYDAY}
    everyday |= {registry.Unit("meter**2").dimensionality}

    def key(name: str) -> tuple[bool, bool, int, str]:
        unit = UNITS[name]
        exotic = not 1e-16 < _scale(unit) < 1e7
        return (exotic, unit.dimensionality not in everyday, len(name), name)

    return tuple(sorted(UNITS, key=key))
