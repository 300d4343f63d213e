"""The ``%%neuron`` and ``%%synapse`` cell magics (``%load_ext jnsim``).

A cell defines a named model: leading ``#`` comment lines are its description
(Markdown with LaTeX math), the equations follow, and code that does not fit on
the magic line goes into *blocks*::

    %%neuron LIF --threshold "v > Vt" --refractory 5*ms
    # Leaky integrate-and-fire neuron with membrane time constant $\\tau_m$.
    dv/dt = (El - v + R*I)/taum : volt (unless refractory)
    I : amp
    reset:
        v = Vr
        I = 0*amp

A block starts with a line holding only a block name and a colon, at column 0
(``threshold:``, ``reset:``, ``refractory:`` in ``%%neuron``; ``on_pre:``,
``on_post:`` in ``%%synapse``); its statements are the indented lines below it,
up to the next line at column 0. No equation line can look like a block header: a
parameter line always has a unit after its colon. Outside blocks, only a line
continuing an unfinished equation may be indented.

Running the cell binds ``NAME`` in the notebook to a
:class:`~jnsim.models.NeuronModel` (or :class:`~jnsim.models.SynapseModel`) and
shows its model card. Mistakes are shown as a short message pointing at the line of
the cell (the magic line is line 1), and an earlier model of that name is kept.
"""

from __future__ import annotations

import argparse
import difflib
import keyword
import re
import shlex
import sys
import textwrap
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

from .equations import Equations, parse_expression, parse_statements
from .errors import CodeError, JnsimError, MethodError, SourceSpan, UnitError
from .models import NeuronModel, SynapseModel

__all__ = ["BLOCK_HEADER", "MAGIC_OPTIONS", "MagicError", "load_ipython_extension", "neuron_cell",
           "option_parser", "split_cell", "synapse_cell", "top_level_colon"]

NEURON_BLOCKS = ("threshold", "reset", "refractory")
SYNAPSE_BLOCKS = ("on_pre", "on_post")
#: The options with a value of each magic (``--show-code`` and ``--quiet`` are switches).
MAGIC_OPTIONS: dict[str, tuple[str, ...]] = {
    "%%neuron": ("threshold", "reset", "refractory", "method"),
    "%%synapse": ("on-pre", "on-post", "delay", "method"),
}
#: A block header line: ``reset:`` (an optional comment after the colon).
BLOCK_HEADER = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)[ \t]*:[ \t]*(#.*)?")
_TIME = {"[time]": 1}


class MagicError(JnsimError):
    """A mistake in the layout of a ``%%neuron`` or ``%%synapse`` cell or its options."""


# -- splitting a cell -------------------------------------------------------------------

@dataclass
class Block:
    """The indented statements under a ``name:`` header.

    Attributes
    ----------
    name
        The block name (``reset``, ``on_pre``, ...).
    header_line
        The cell line of the header (the magic line is line 1).
    lines
        The block's lines as written, indentation included.
    """

    name: str
    header_line: int
    lines: list[str] = field(default_factory=list)

    @property
    def first_line(self) -> int:
        """The cell line of the block's first line."""
        return self.header_line + 1

    @property
    def text(self) -> str:
        """The raw text (indented; error positions refer to it)."""
        lines = list(self.lines)
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines)

    @property
    def code(self) -> str:
        """The text without indentation, as stored in the model."""
        return textwrap.dedent(self.text).strip("\n")


@dataclass(frozen=True)
class SplitCell:
    """A cell body taken apart: description, equation text and blocks.

    ``equations`` has as many lines as the body: lines that belong to the
    description or to blocks are blank, so equation errors keep their line.
    """

    description: str | None
    equations: str
    blocks: dict[str, Block]


def _error(message: str, cell: str, line: int, column: int = 1, length: int = 1,
           hint: str | None = None) -> MagicError:
    return MagicError(message, SourceSpan(cell, line, column, length), hint)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _opens_equation(line: str, pending: bool) -> bool:
    """Whether, after ``line``, an equation still waits for its ``: unit``."""
    code = line.split("#", 1)[0]
    if not code.strip():
        return pending
    return top_level_colon(code) < 0


def top_level_colon(code: str) -> int:
    """The index of the first ``:`` outside brackets in ``code``, or -1."""
    depth = 0
    for index, char in enumerate(code):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == ":" and depth <= 0:
            return index
    return -1


def split_cell(cell: str, block_names: tuple[str, ...], magic: str = "%%neuron") -> SplitCell:
    """Split a cell body into description, equations and blocks.

    Parameters
    ----------
    cell
        The cell body (without the magic line).
    block_names
        The block names this magic accepts.
    magic
        The magic line's start, for messages.

    Raises
    ------
    MagicError
        For an unknown block name, a block given twice or empty, an indented
        line outside a block, or a header that is indented.
    """
    full = f"{magic}\n{cell}"
    lines = cell.split("\n")
    equation_lines = [""] * len(lines)
    description: list[str] = []
    blocks: dict[str, Block] = {}
    current: Block | None = None
    in_description, pending = True, False
    for index, line in enumerate(lines):
        number = index + 2
        stripped = line.strip()
        if current is not None:
            if not stripped or stripped.startswith("#") or _indent(line):
                current.lines.append("" if stripped.startswith("#") else line)
                continue
            current = None
        if in_description:
            if stripped.startswith("#") and not _indent(line):
                description.append(re.sub(r"^# ?", "", line.rstrip()))
                continue
            if not stripped:
                description.append("")
                continue
            in_description = False
        header = BLOCK_HEADER.fullmatch(line)
        if header:
            current = _start_block(header.group("name"), number, blocks, block_names, full,
                                   magic)
            pending = False
            continue
        if stripped and not stripped.startswith("#") and _indent(line) and not pending:
            raise _indented_outside(line, number, full, block_names, blocks)
        equation_lines[index] = line
        pending = _opens_equation(line, pending)
    for block in blocks.values():
        if not block.code.strip():
            raise _error(f"the block '{block.name}:' is empty", full, block.header_line,
                         1, len(block.name) + 1,
                         f"write its statements on the lines below, indented, e.g.\n"
                         f"{block.name}:\n    {_example(block.name)}")
    text = "\n".join(description).strip()
    return SplitCell(text or None, "\n".join(equation_lines), blocks)


def _example(name: str) -> str:
    return {"threshold": "v > v_th", "reset": "v = v_reset", "refractory": "5*ms",
            "on_pre": "g_post += w", "on_post": "w += A"}.get(name, "...")


def _start_block(name: str, number: int, blocks: dict[str, Block],
                 block_names: tuple[str, ...], full: str, magic: str) -> Block:
    if name not in block_names:
        close = difflib.get_close_matches(name.replace("-", "_"), block_names, n=1, cutoff=0.6)
        other = NEURON_BLOCKS if block_names == SYNAPSE_BLOCKS else SYNAPSE_BLOCKS
        names = ", ".join(f"'{n}:'" for n in block_names)
        if close:
            hint = f"did you mean '{close[0]}:'?"
        elif name in other:
            where = "%%synapse" if block_names == NEURON_BLOCKS else "%%neuron"
            hint = f"'{name}:' belongs in a {where} cell; blocks here are {names}"
        else:
            hint = (f"blocks here are {names}; a parameter is written with its unit, "
                    f"e.g. '{name} : volt'")
        raise _error(f"unknown block '{name}:'", full, number, 1, len(name), hint)
    if name in blocks:
        raise _error(f"the block '{name}:' is given twice", full, number, 1, len(name),
                     f"it already starts on line {blocks[name].header_line}; merge the two")
    blocks[name] = Block(name, number)
    return blocks[name]


def _indented_outside(line: str, number: int, full: str, block_names: tuple[str, ...],
                      blocks: dict[str, Block]) -> MagicError:
    column = _indent(line) + 1
    length = len(line.strip())
    if BLOCK_HEADER.fullmatch(line.strip()):
        return _error("a block header must start at column 0", full, number, column, length,
                      f"remove the indentation before '{line.strip()}'")
    names = " or ".join(f"'{n}:'" for n in block_names)
    return _error("an indented line outside a block", full, number, column, length,
                  f"statements go in an indented block under a header line ({names}); "
                  "equations start at column 0, and only a line continuing an unfinished "
                  "equation may be indented")


# -- options ----------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting."""

    def __init__(self, magic: str, full: str, **kwargs: Any) -> None:
        super().__init__(prog=magic, add_help=False, exit_on_error=False, **kwargs)
        self.full = full

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _error(f"{self.prog}: {message}", self.full, 1, 1, len(self.prog),
                     f"usage: {self.format_usage().strip().removeprefix('usage: ')}")


def option_parser(magic: str, options: tuple[str, ...], full: str = ""
                  ) -> argparse.ArgumentParser:
    """The argparse parser of a magic line.

    Parameters
    ----------
    magic
        ``'%%neuron'`` or ``'%%synapse'`` (the program name in messages).
    options
        The options that take a value (see :data:`MAGIC_OPTIONS`); ``NAME``,
        ``--show-code`` and ``--quiet`` are always accepted.
    full
        The whole cell, for error positions.
    """
    parser = _Parser(magic, full)
    parser.add_argument("name")
    for option in options:
        parser.add_argument(f"--{option}", default=None)
    parser.add_argument("--show-code", action="store_true")
    parser.add_argument("--quiet", action="store_true")
    return parser


def _parse_options(magic: str, line: str, full: str, options: tuple[str, ...]
                   ) -> argparse.Namespace:
    parser = option_parser(magic, options, full)
    try:
        tokens = shlex.split(line)
    except ValueError as exc:
        raise _error(f"cannot read the options ({exc})", full, 1, 1, len(magic),
                     "quote values with spaces, e.g. --threshold \"v > v_th\"") from None
    try:
        arguments, unknown = parser.parse_known_args(tokens)
    except argparse.ArgumentError as exc:
        parser.error(str(exc))
        raise  # pragma: no cover - error() raises
    if unknown:
        known = [f"--{o}" for o in (*options, "show-code", "quiet")]
        close = difflib.get_close_matches(unknown[0].replace("_", "-"), known, n=1)
        column = full.find(unknown[0]) + 1
        raise _error(f"unknown option '{unknown[0]}'", full, 1, max(column, 1), len(unknown[0]),
                     f"did you mean '{close[0]}'?" if close else "options: " + ", ".join(known))
    name = arguments.name
    if not name.isidentifier() or keyword.iskeyword(name):
        column = full.find(name) + 1
        raise _error(f"the model name '{name}' is not a Python name", full, 1, max(column, 1),
                     len(name), "the name is bound in the notebook: use letters, digits and "
                                "underscores, e.g. LIF or AdEx_neuron")
    return arguments


# -- code sources and error positions ------------------------------------------------

@dataclass(frozen=True)
class _Source:
    """A piece of the cell given to the parsers on its own, and where it sits."""

    text: str
    line: int
    column: int


def _option_source(value: str, full: str) -> _Source:
    first = full.split("\n", 1)[0]
    column = first.find(value)
    return _Source(value, 1, column + 1 if column >= 0 else 1)


def _relocate(error: JnsimError, sources: list[_Source], full: str) -> JnsimError:
    """``error`` with its position moved from a code piece into the cell."""
    span = error.span
    if span is None:
        return error
    for source in sources:
        if span.text == source.text:
            column = span.column + (source.column - 1 if span.line == 1 else 0)
            moved = SourceSpan(full, source.line + span.line - 1, column, span.length)
            clone = type(error).__new__(type(error))
            JnsimError.__init__(clone, error.message, moved, error.hint)
            return clone
    return error


def _at_method(error: JnsimError, method: Any, full: str) -> JnsimError:
    """A MethodError pointed at the ``--method`` option."""
    if error.span is not None or not isinstance(error, MethodError) or not method:
        return error
    source = _option_source(str(method), full)
    clone = type(error).__new__(type(error))
    JnsimError.__init__(clone, error.message, SourceSpan(full, 1, source.column, len(method)),
                        error.hint)
    return clone


def _code(name: str, option: str | None, blocks: dict[str, Block], full: str,
          sources: list[_Source]) -> tuple[str | None, str | None]:
    """(text for the model, text to check) of a code option or block; records its source."""
    block = blocks.get(name)
    if block is not None and option is not None:
        raise _error(f"'{name}' is given twice: as --{name.replace('_', '-')} and as a block",
                     full, block.header_line, 1, len(name),
                     "keep one of them (the block is easier to read for several statements)")
    if block is not None:
        sources.append(_Source(block.text, block.first_line, 1))
        return block.code, block.text
    if option is not None:
        sources.append(_option_source(option, full))
        return option, option
    return None, None


def _time_value(text: str, what: str, keep_expression: bool,
                namespace: MutableMapping[str, Any]) -> Any:
    """A time written as ``5*ms``, evaluated without ``eval``.

    With ``keep_expression``, text that refers to other names is kept as a
    string expression (evaluated by the group, e.g. a refractory condition).
    """
    from .report.values import evaluate_quantity
    from .units import dimensions_of

    parse_expression(text, error=CodeError)  # syntax errors point into the text
    try:
        value = evaluate_quantity(text, {} if keep_expression else namespace)
    except JnsimError:
        if keep_expression:
            return text
        raise
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise CodeError(f"cannot compute the {what} '{text}': {exc}") from None
    if dict(dimensions_of(value)) != _TIME:
        expression = parse_expression(text, error=CodeError)
        raise UnitError(f"the {what} must be a time, not '{text.strip()}'", expression.span(),
                        "give it units, e.g. 5*ms")
    return value


# -- the magics -------------------------------------------------------------------------

def error_text(error: JnsimError) -> str:
    """How a notebook shows a jnsim error: ``'NamespaceError: NeuronGroup ...'``."""
    return f"{type(error).__name__}: {error}"


def _show_error(error: JnsimError) -> None:
    print(error_text(error), file=sys.stderr)


def _display(model: Any) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency
        print(repr(model))
        return
    display(model)


def neuron_cell(line: str, cell: str, namespace: MutableMapping[str, Any]) -> NeuronModel | None:
    """Run a ``%%neuron`` cell: bind the model in ``namespace`` and show its card.

    Usage::

        %%neuron NAME [--threshold EXPR] [--reset CODE] [--refractory TIME]
                      [--method METHOD] [--show-code] [--quiet]
        # Description (Markdown, $LaTeX$), optional.
        equations...
        threshold:
            <condition>
        reset:
            <statements>
        refractory:
            <time or condition>

    Values with spaces are quoted (``--threshold "v > Vt"``); several statements
    in an option are separated by ``;`` (``--reset "v = Vr; w += b"``). A block and
    the option of the same name cannot both be given. ``TIME`` is a number times
    units (``5*ms``), computed without ``eval``; anything naming other values
    (``refractory: tref`` or ``v > -40*mV``) is kept as an expression for the group.

    Returns
    -------
    NeuronModel or None
        The model, or ``None`` when the cell has a mistake (the message is printed
        and an earlier ``NAME`` is left as it was).
    """
    full = f"%%neuron {line}".rstrip() + "\n" + cell
    try:
        arguments = _parse_options("%%neuron", line, full, MAGIC_OPTIONS["%%neuron"])
        split = split_cell(cell, NEURON_BLOCKS, f"%%neuron {line}".rstrip())
        model, checked, sources = _neuron_model(arguments, split, full, namespace)
        _check_neuron(checked, sources, full, arguments.show_code)
    except JnsimError as error:
        _show_error(error)
        return None
    namespace[arguments.name] = model
    if not arguments.quiet:
        _display(model)
    return model


def _equations(split: SplitCell, full: str) -> Equations:
    try:
        return Equations(split.equations, line_offset=1)
    except JnsimError as error:
        raise _explain_inline_block(error, full) from None


def _explain_inline_block(error: JnsimError, full: str) -> JnsimError:
    """A clearer message for ``reset: v = 0*mV`` written on one line."""
    span = error.span
    if span is None:
        return error
    text = full.split("\n")[span.line + span.line_offset - 1] if span.line_offset else ""
    match = re.match(r"(?P<name>[A-Za-z_]\w*)\s*:(?P<rest>.+)", text)
    blocks = NEURON_BLOCKS + SYNAPSE_BLOCKS
    if match and match.group("name") in blocks:
        name = match.group("name")
        return _error(f"'{name}:' must stand alone on its line", full,
                      span.line + span.line_offset, 1, len(text.rstrip()),
                      f"put the code on the next line, indented:\n{name}:\n"
                      f"    {match.group('rest').strip()}")
    return error


def _neuron_model(arguments: argparse.Namespace, split: SplitCell, full: str,
                  namespace: MutableMapping[str, Any]
                  ) -> tuple[NeuronModel, NeuronModel, list[_Source]]:
    equations = _equations(split, full)
    sources: list[_Source] = []
    threshold, threshold_raw = _code("threshold", arguments.threshold, split.blocks, full,
                                     sources)
    reset, reset_raw = _code("reset", arguments.reset, split.blocks, full, sources)
    refractory_text, refractory_raw = _code("refractory", arguments.refractory, split.blocks,
                                            full, sources)
    refractory: Any = False
    if refractory_text is not None:
        try:
            refractory = _time_value(refractory_raw or "", "refractory period", True, namespace)
        except JnsimError as error:
            raise _relocate(error, sources, full) from None
    stored = refractory_text if isinstance(refractory, str) else refractory
    model = NeuronModel(arguments.name, equations, threshold, reset, stored,
                        arguments.method, split.description, full)
    raw_refractory = refractory_raw if isinstance(refractory, str) else refractory
    checked = replace(model, threshold=threshold_raw, reset=reset_raw, refractory=raw_refractory)
    return model, checked, sources


def _check_neuron(model: NeuronModel, sources: list[_Source], full: str,
                  show_code: bool) -> None:
    """Create a one-neuron group from ``model``: every check a real group makes."""
    from .groups import NeuronGroup

    try:
        group = NeuronGroup(1, model, name=model.name)
    except JnsimError as error:
        raise _relocate(_at_method(error, model.method, full), sources, full) from None
    if show_code:
        _print_neuron_code(group)


def _print_neuron_code(group: Any) -> None:
    from .network import show_code

    try:
        show_code(group)
    except Exception as error:  # show what is known without the kernel
        reason = error.message if isinstance(error, JnsimError) else "kernel code unavailable"
        print(f"# The kernel code needs every name defined ({reason}).\n"
              f"# State update ({group.method}):\n{group.code.state_update}")


def synapse_cell(line: str, cell: str, namespace: MutableMapping[str, Any]
                 ) -> SynapseModel | None:
    """Run a ``%%synapse`` cell: bind the model in ``namespace`` and show its card.

    Usage::

        %%synapse NAME [--on-pre CODE] [--on-post CODE] [--delay TIME]
                       [--method METHOD] [--show-code] [--quiet]
        # Description (Markdown, $LaTeX$), optional.
        equations...
        on_pre:
            <statements run when a pre-synaptic spike arrives>
        on_post:
            <statements run on a post-synaptic spike>

    ``--delay`` is a time (``1.5*ms``, or a name defined in the notebook, whose
    value is taken when the cell runs). Pathway code may name variables of the
    groups connected (``v_post``, ``ge``); those are checked when ``Synapses`` are
    created from the model.

    Returns
    -------
    SynapseModel or None
        The model, or ``None`` when the cell has a mistake.
    """
    full = f"%%synapse {line}".rstrip() + "\n" + cell
    try:
        arguments = _parse_options("%%synapse", line, full, MAGIC_OPTIONS["%%synapse"])
        split = split_cell(cell, SYNAPSE_BLOCKS, f"%%synapse {line}".rstrip())
        equations = _equations(split, full)
        sources: list[_Source] = []
        on_pre, pre_raw = _code("on_pre", arguments.on_pre, split.blocks, full, sources)
        on_post, post_raw = _code("on_post", arguments.on_post, split.blocks, full, sources)
        delay = None
        if arguments.delay is not None:
            sources.append(_option_source(arguments.delay, full))
            try:
                delay = _time_value(arguments.delay, "delay", False, namespace)
            except JnsimError as error:
                raise _relocate(error, sources, full) from None
        model = SynapseModel(arguments.name, equations, on_pre, on_post, delay,
                             arguments.method, split.description, full)
        try:
            update = _check_synapse(model, pre_raw, post_raw, namespace)
        except JnsimError as error:
            raise _relocate(_at_method(error, model.method, full), sources, full) from None
        if arguments.show_code:
            _print_synapse_code(model, update)
    except JnsimError as error:
        _show_error(error)
        return None
    namespace[arguments.name] = model
    if not arguments.quiet:
        _display(model)
    return model


def _check_synapse(model: SynapseModel, pre: str | None, post: str | None,
                   namespace: MutableMapping[str, Any]) -> Any:
    """Check what can be checked without the groups: names, units, method, statements."""
    from .analysis import analyse, check_code
    from .context import ModelContext
    from .dimensions import NameInfo
    from .equations import EquationKind
    from .integration import integrate
    from .neuron_code import ode_system

    equations = model.equations
    event_driven = any("event-driven" in e.flags for e in equations.values())
    analysed = analyse(equations, ModelContext.synapse(event_driven=event_driven),
                       caller_ns=dict(namespace))
    writable = {name: NameInfo(v.dims, v.dtype) for name, v in analysed.variables.items()
                if v.kind is not EquationKind.SUBEXPRESSION and "constant" not in v.flags}
    for what, text in (("on_pre code", pre), ("on_post code", post)):
        if text is None:
            continue
        statements = parse_statements(text)
        others = {s.target: NameInfo(None) for s in statements
                  if s.target not in analysed.variables}
        check_code(analysed, statements, what=what, writable={**others, **writable},
                   caller_ns=dict(namespace))
    clock = [n for n in analysed.names_of(EquationKind.DIFFERENTIAL)
             if "event-driven" not in analysed.variables[n].flags]
    return integrate(ode_system(analysed, clock), model.method) if clock else None


def _print_synapse_code(model: SynapseModel, update: Any) -> None:
    if update is not None:
        print(f"# clock-driven state update ({update.method}):\n{update}")
    for name, code in (("on_pre", model.on_pre), ("on_post", model.on_post)):
        if code:
            print(f"# {name}:\n{code}")
    print("# (the kernel code is generated when Synapses connect groups: "
          "use show_code(S) on them)")


# -- IPython ----------------------------------------------------------------------------

def _cell_magic(function: Callable[[str, str, MutableMapping[str, Any]], Any],
                shell: Any) -> Callable[[str, str], None]:
    def magic(line: str, cell: str) -> None:
        function(line, cell, shell.user_ns)

    magic.__doc__ = function.__doc__
    return magic


def show_jnsim_error(shell: Any, etype: type[BaseException], value: BaseException, tb: Any,
                     tb_offset: int | None = None) -> list[str]:
    """IPython's handler for a :class:`JnsimError` raised in a cell (``run()``, ...).

    Shows the message (the object and model it is about, the line with a caret,
    the hint) as the magics show their own errors, instead of a traceback through
    jnsim's internals. The cell still fails (``%tb`` shows the full traceback).

    Returns
    -------
    list of str
        The lines shown (IPython's "structured traceback").
    """
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb  # for %tb, %debug
    lines = error_text(value).split("\n")  # type: ignore[arg-type]
    shell._showtraceback(etype, value, lines)
    return lines


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%%neuron`` and ``%%synapse`` and their Tab completion (``%load_ext jnsim``),
    and show a :class:`JnsimError` raised in a cell as its message, not a traceback.

    A custom exception handler set by someone else is left in place.
    """
    from .completion import register_completer

    ipython.register_magic_function(_cell_magic(neuron_cell, ipython), "cell", "neuron")
    ipython.register_magic_function(_cell_magic(synapse_cell, ipython), "cell", "synapse")
    register_completer(ipython)
    if tuple(getattr(ipython, "custom_exceptions", ())) in ((), (JnsimError,)):
        ipython.set_custom_exc((JnsimError,), show_jnsim_error)
