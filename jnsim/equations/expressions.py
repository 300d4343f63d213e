"""Parse and validate the expressions and statements inside model text.

Model text never reaches ``eval`` or ``exec``: it is parsed with :mod:`ast`
and only a whitelist of node types and names survives.  Everything else is an
:class:`~jnsim.errors.EquationError` (or :class:`~jnsim.errors.CodeError` for
statements) that points at the offending token and says what to write instead.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import CodeError, EquationError, JnsimError, SourceSpan
from ..functions import DEFAULT_FUNCTIONS

__all__ = [
    "Expression",
    "Statement",
    "check_text_characters",
    "parse_expression",
    "parse_statements",
]

_BINARY_OPERATORS: dict[type, str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
    ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
}
_FORBIDDEN_BINARY: dict[type, tuple[str, str]] = {
    ast.BitXor: ("^", "powers are written '**', e.g. 'x**2'"),
    ast.BitAnd: ("&", "combine conditions with 'and'"),
    ast.BitOr: ("|", "combine conditions with 'or'"),
    ast.LShift: ("<<", "there are no bitwise operations in equations"),
    ast.RShift: (">>", "there are no bitwise operations in equations"),
    ast.MatMult: ("@", "there is no matrix product in equations; write '*'"),
}
_COMPARISONS: dict[type, str] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
}
_NUMPY_MODULES = ("np", "numpy", "math", "brian2", "b2", "jnsim", "scipy", "sympy")
_FORBIDDEN_NODES: dict[type, tuple[str, str]] = {
    ast.IfExp: ("conditional expressions ('a if c else b') are not supported",
                "multiply by a condition instead, e.g. 'x*(v > 0)', or use clip()"),
    ast.Subscript: ("indexing ('x[...]') is not supported",
                    "equations work on one neuron or synapse at a time; use a TimedArray "
                    "for values that change over time"),
    ast.Lambda: ("'lambda' is not allowed in equations", "write the expression directly"),
    ast.NamedExpr: ("':=' is not allowed in equations", "define a subexpression instead"),
    ast.JoinedStr: ("strings are not allowed in equations", "write a number or a name"),
    ast.Tuple: ("a comma-separated list is not an expression",
                "write one expression; function arguments go inside parentheses"),
    ast.List: ("lists are not allowed in equations", "write one expression"),
    ast.Dict: ("dictionaries are not allowed in equations", "write one expression"),
    ast.Set: ("sets are not allowed in equations", "write one expression"),
    ast.ListComp: ("comprehensions are not allowed in equations", "write one expression"),
    ast.SetComp: ("comprehensions are not allowed in equations", "write one expression"),
    ast.DictComp: ("comprehensions are not allowed in equations", "write one expression"),
    ast.GeneratorExp: ("generators are not allowed in equations", "write one expression"),
    ast.Starred: ("'*' unpacking is not allowed in equations", "write the arguments out"),
    ast.Await: ("'await' is not allowed in equations", "write one expression"),
    ast.Yield: ("'yield' is not allowed in equations", "write one expression"),
    ast.YieldFrom: ("'yield' is not allowed in equations", "write one expression"),
    ast.Slice: ("slices are not allowed in equations", "write one expression"),
}


def check_text_characters(text: str, error: type[JnsimError], line_offset: int = 0) -> None:
    """Reject characters that cannot appear in model text (non-ASCII, control codes).

    Raises
    ------
    JnsimError
        Of class ``error``, pointing at the first offending character.
    """
    for offset, char in enumerate(text):
        if char in "\n\t\r" or " " <= char <= "~":
            continue
        span = SourceSpan.from_offset(text, offset, 1, line_offset)
        if ord(char) > 127 and char.isalpha():
            hint = "spell Greek letters and accented names in ASCII, e.g. 'tau' instead of 'τ'"
        elif char in "−–":
            hint = "use the ASCII minus sign '-'"
        elif char in "·×":
            hint = "use '*' for multiplication"
        else:
            hint = "equations are written in plain ASCII"
        raise error(f"character {char!r} is not allowed in model text", span, hint)


def mask_comments(text: str) -> str:
    """``text`` with every ``# comment`` replaced by spaces (offsets unchanged)."""
    return re.sub(r"#[^\n]*", lambda m: " " * len(m.group(0)), text)


@dataclass(frozen=True, eq=False)
class Expression:
    """A validated expression, with the place it came from.

    Attributes
    ----------
    code
        The expression as written (comments removed).
    tree
        The validated :mod:`ast` expression node.
    source
        The complete text the expression is part of (for error spans).
    offset
        Character offset of ``code`` inside ``source``.
    line_offset
        Line shift applied when showing spans (see :class:`SourceSpan`).
    """

    code: str
    tree: ast.expr = field(repr=False)
    source: str = field(repr=False, default="")
    offset: int = field(repr=False, default=0)
    line_offset: int = field(repr=False, default=0)
    # ast offsets are relative to a wrapped copy of ``code``; this shifts them back.
    node_shift: int = field(repr=False, default=-1)

    def __str__(self) -> str:
        return self.code.strip()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    @property
    def names(self) -> frozenset[str]:
        """Every name used as a value (not as a called function)."""
        called = {id(n.func) for n in ast.walk(self.tree) if isinstance(n, ast.Call)}
        return frozenset(
            n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name) and id(n) not in called
        )

    @property
    def function_names(self) -> frozenset[str]:
        """Every name that is called as a function."""
        return frozenset(
            n.func.id for n in ast.walk(self.tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        )

    @property
    def identifiers(self) -> frozenset[str]:
        """All names, variables and functions alike."""
        return self.names | self.function_names

    def span_of(self, node: ast.AST) -> SourceSpan:
        """The span of ``node`` (a node of :attr:`tree`) in :attr:`source`."""
        start = getattr(node, "col_offset", 0) + self.node_shift
        end = getattr(node, "end_col_offset", start + 1) + self.node_shift
        return SourceSpan.from_offset(
            self.source, self.offset + start, max(1, end - start), self.line_offset
        )

    def span(self) -> SourceSpan:
        """The span of the whole expression."""
        stripped = len(self.code) - len(self.code.lstrip())
        return SourceSpan.from_offset(
            self.source, self.offset + stripped, max(1, len(self.code.strip())), self.line_offset
        )


def parse_expression(
    code: str,
    source: str | None = None,
    offset: int = 0,
    line_offset: int = 0,
    error: type[JnsimError] = EquationError,
) -> Expression:
    """Parse and validate one expression.

    Parameters
    ----------
    code
        The expression text; it may span several lines.
    source, offset
        The complete text ``code`` is part of and its position there, so that
        errors point into the user's text. Defaults to ``code`` itself.
    line_offset
        Line shift for displayed spans.
    error
        The error class to raise.

    Raises
    ------
    EquationError
        For syntax errors and anything outside the whitelist.
    """
    source = code if source is None else source
    check_text_characters(code, error, line_offset)
    flat = mask_comments(code).replace("\n", " ").replace("\r", " ").replace("\t", " ")

    def span_at(position: int, length: int = 1) -> SourceSpan:
        return SourceSpan.from_offset(source, offset + position, length, line_offset)

    if not flat.strip():
        raise error("expected an expression", span_at(0), "write e.g. '-v/tau'")
    tree = _parse_python(f"({flat})", mode="eval", shift=-1, span_at=span_at, error=error,
                         what="expression")
    assert isinstance(tree, ast.Expression)
    expression = Expression(code, tree.body, source, offset, line_offset, -1)
    _validate(tree.body, expression, error)
    return expression


def _parse_python(
    text: str,
    mode: str,
    shift: int,
    span_at: Callable[[int, int], SourceSpan],
    error: type[JnsimError],
    what: str,
    line_starts: list[int] | None = None,
) -> ast.AST:
    """``ast.parse`` whose failures become jnsim errors pointing at the problem."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)  # e.g. "1and x"
            return ast.parse(text, mode=mode)
    except SyntaxError as exc:
        line = exc.lineno or 1
        column = (exc.offset or 1) - 1
        position = (line_starts[line - 1] if line_starts else 0) + column + shift
        message, hint = _explain_syntax_error(exc, text)
        raise error(message, span_at(max(0, position), 1), hint) from None
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        raise error(f"cannot read this {what}: {exc}", span_at(0, 1),
                    "simplify the expression") from None


def _explain_syntax_error(exc: SyntaxError, text: str) -> tuple[str, str]:
    reason = (exc.msg or "invalid syntax").replace("invalid syntax. ", "")
    if "'(' was never closed" in reason or "unexpected EOF" in reason:
        return "a parenthesis is not closed", "add the missing ')'"
    if "unmatched ')'" in reason:
        return "this ')' has no matching '('", "remove it or add the missing '('"
    if "Maybe you meant '==' or ':=' instead of '='" in reason or "cannot assign" in reason:
        return ("'=' cannot appear inside an expression",
                "compare with '==', or write one equation per line")
    if "invalid decimal literal" in reason:
        return ("a number runs straight into a name",
                "put '*' between a number and a unit or name, e.g. '10*ms'")
    if "Perhaps you forgot a comma" in reason:
        return "two values stand next to each other", "put an operator between them, e.g. '*'"
    if reason.strip().rstrip(".") in ("invalid syntax", ""):
        return "invalid syntax", "check the operators and parentheses around here"
    return f"invalid syntax ({reason})", "check the operators and parentheses around here"


def _validate(node: ast.AST, expression: Expression, error: type[JnsimError]) -> None:
    """Walk ``node`` and reject everything outside the expression whitelist."""
    stack = [node]
    while stack:
        current = stack.pop()
        _check_node(current, expression, error)
        stack.extend(ast.iter_child_nodes(current))


def _check_node(node: ast.AST, expression: Expression, error: type[JnsimError]) -> None:
    span = expression.span_of
    if isinstance(node, ast.expr_context | ast.unaryop | ast.boolop | ast.cmpop):
        if isinstance(node, ast.Invert):
            raise error("'~' is not allowed in equations", span(node),
                        "negate a condition with 'not'")
        if isinstance(node, ast.In | ast.NotIn | ast.Is | ast.IsNot):
            raise error("'in' and 'is' are not allowed in equations", None,
                        "compare values with ==, !=, <, <=, > or >=")
        return
    if isinstance(node, ast.operator):
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) in _FORBIDDEN_BINARY:
            symbol, hint = _FORBIDDEN_BINARY[type(node.op)]
            raise error(f"'{symbol}' is not an operator of the equation language",
                        _operator_span(node, expression, symbol), hint)
        return
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Invert):
            raise error("'~' is not allowed in equations", span(node),
                        "negate a condition with 'not'")
        return
    if isinstance(node, ast.BoolOp):
        return
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _COMPARISONS:
                raise error("'in' and 'is' are not allowed in equations", span(node),
                            "compare values with ==, !=, <, <=, > or >=")
        return
    if isinstance(node, ast.Name):
        _check_name(node, expression, error)
        return
    if isinstance(node, ast.Constant):
        _check_constant(node, expression, error)
        return
    if isinstance(node, ast.Call):
        _check_call(node, expression, error)
        return
    if isinstance(node, ast.Attribute):
        _raise_attribute(node, expression, error)
    if type(node) in _FORBIDDEN_NODES:
        message, hint = _FORBIDDEN_NODES[type(node)]
        raise error(message, span(node), hint)
    if isinstance(node, ast.keyword):
        raise error("keyword arguments are not allowed in equations", None,
                    "pass arguments by position")
    raise error(f"'{type(node).__name__}' is not allowed in equations", span(node),
                "equations use numbers, names, arithmetic, comparisons and function calls")


def _operator_span(node: ast.BinOp, expression: Expression, symbol: str) -> SourceSpan:
    left_end = getattr(node.left, "end_col_offset", node.col_offset)
    flat = f"({expression.code})"
    position = flat.find(symbol, left_end)
    if position < 0:
        return expression.span_of(node)
    start = position + expression.node_shift
    return SourceSpan.from_offset(expression.source, expression.offset + start, len(symbol),
                                  expression.line_offset)


def _check_name(node: ast.Name, expression: Expression, error: type[JnsimError]) -> None:
    if node.id.startswith("_"):
        raise error(f"names starting with an underscore are reserved ('{node.id}')",
                    expression.span_of(node), "rename it without the leading underscore")


def _check_constant(node: ast.Constant, expression: Expression, error: type[JnsimError]) -> None:
    value = node.value
    if isinstance(value, bool | int | float):
        return
    if isinstance(value, complex):
        raise error("complex numbers are not supported", expression.span_of(node),
                    "equations work with real numbers")
    if isinstance(value, str | bytes):
        raise error("strings are not allowed in equations", expression.span_of(node),
                    "write a number or a name; units are written without quotes, e.g. 10*mV")
    raise error(f"'{value!r}' is not allowed in equations", expression.span_of(node),
                "write a number or a name")


def _check_call(node: ast.Call, expression: Expression, error: type[JnsimError]) -> None:
    if isinstance(node.func, ast.Attribute):
        _raise_attribute(node.func, expression, error)
    if not isinstance(node.func, ast.Name):
        raise error("only named functions can be called", expression.span_of(node.func),
                    "call a function by its name, e.g. 'exp(x)'")
    if node.keywords:
        raise error(f"keyword arguments are not allowed in calls to '{node.func.id}'",
                    expression.span_of(node.keywords[0].value), "pass arguments by position")
    spec = DEFAULT_FUNCTIONS.get(node.func.id)
    if spec is not None and not spec.min_args <= len(node.args) <= spec.max_args:
        count = spec.max_args
        expected = "no arguments" if count == 0 else f"{count} argument{'s' * (count > 1)}"
        raise error(f"'{spec.name}' takes {expected}, not {len(node.args)}",
                    expression.span_of(node), f"call it as '{spec.signature}'")


def _raise_attribute(node: ast.Attribute, expression: Expression,
                     error: type[JnsimError]) -> None:
    value = node.value
    if isinstance(value, ast.Name) and value.id in _NUMPY_MODULES:
        if node.attr in DEFAULT_FUNCTIONS:
            raise error(f"'{value.id}.{node.attr}' cannot be used in equations",
                        expression.span_of(node),
                        f"write '{node.attr}': default functions are called by their bare name")
        raise error(f"'{value.id}.{node.attr}' cannot be used in equations",
                    expression.span_of(node),
                    "only the default functions (exp, log, sqrt, clip, ...) can be called; "
                    "other functions must be provided as a jnsim Function")
    raise error("attribute access ('a.b') is not allowed in equations",
                expression.span_of(node),
                "refer to values by a plain name and pass them in the namespace")


# ---------------------------------------------------------------------------
# Statements (reset, on_pre, on_post, run_regularly code)
# ---------------------------------------------------------------------------

_ASSIGNMENT_OPERATORS: dict[type, str] = {
    ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.Div: "/=",
    ast.FloorDiv: "//=", ast.Mod: "%=", ast.Pow: "**=",
}


@dataclass(frozen=True, eq=False)
class Statement:
    """One assignment in a code block: ``target op expression``.

    Attributes
    ----------
    target
        The assigned variable.
    operator
        ``'='`` or an in-place operator such as ``'+='``.
    expression
        The validated right-hand side.
    target_span
        Where the target is written.
    """

    target: str
    operator: str
    expression: Expression
    target_span: SourceSpan = field(repr=False)

    def __str__(self) -> str:
        return f"{self.target} {self.operator} {self.expression}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Statement) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def parse_statements(code: str, line_offset: int = 0) -> tuple[Statement, ...]:
    """Parse a block of assignments separated by newlines or ``;``.

    Parameters
    ----------
    code
        E.g. ``'v = Vr; w += b'`` or an indented triple-quoted block.
    line_offset
        Line shift for displayed spans.

    Raises
    ------
    CodeError
        For anything but simple assignments to a single name.
    """
    check_text_characters(code, CodeError, line_offset)
    masked = mask_comments(code).replace("\t", " ").replace("\r", " ")
    lines = masked.split("\n")
    # Statements are not nested, so each line's indentation can go, whatever it is.
    dedented = "\n".join(line.lstrip(" ") for line in lines)
    # offsets of each line's first kept character in the original text
    line_starts, position = [], 0
    for line in lines:
        line_starts.append(position + len(line) - len(line.lstrip(" ")))
        position += len(line) + 1

    def span_at(position: int, length: int = 1) -> SourceSpan:
        return SourceSpan.from_offset(code, position, length, line_offset)

    if not dedented.strip():
        return ()
    tree = _parse_python(dedented, "exec", 0, span_at, CodeError, "code", line_starts)
    assert isinstance(tree, ast.Module)
    return tuple(_statement(node, code, line_starts, line_offset) for node in tree.body)


def _node_offset(node: ast.AST, line_starts: list[int]) -> int:
    return line_starts[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]


def _statement(node: ast.stmt, code: str, line_starts: list[int], line_offset: int) -> Statement:
    start = _node_offset(node, line_starts)
    end_line = getattr(node, "end_lineno", node.lineno)
    end = line_starts[end_line - 1] + getattr(node, "end_col_offset", node.col_offset)
    whole = SourceSpan.from_offset(code, start, max(1, end - start), line_offset)
    if isinstance(node, ast.Assign):
        if len(node.targets) != 1:
            raise CodeError("chained assignment ('a = b = ...') is not supported", whole,
                            "write one assignment per statement")
        target, operator, value = node.targets[0], "=", node.value
    elif isinstance(node, ast.AugAssign):
        target, value = node.target, node.value
        operator = _ASSIGNMENT_OPERATORS.get(type(node.op), "")
        if not operator:
            raise CodeError("this in-place operator is not supported", whole,
                            "use =, +=, -=, *=, /=, //=, %= or **=")
    elif isinstance(node, ast.Expr):
        hint = "a statement assigns a value, e.g. 'v = v_reset' or 'w += b'"
        if isinstance(node.value, ast.Compare) and isinstance(node.value.ops[0], ast.Eq):
            hint = "assignment is written with a single '=', e.g. 'v = v_reset'"
        raise CodeError("this is an expression, not an assignment", whole, hint)
    else:
        raise CodeError(f"'{type(node).__name__.lower()}' statements are not supported", whole,
                        "code blocks contain assignments only, e.g. 'v = v_reset; w += b'")
    if not isinstance(target, ast.Name):
        raise CodeError("only a plain variable name can be assigned to", whole,
                        "write e.g. 'v = v_reset'")
    if target.id.startswith("_"):
        raise CodeError(f"names starting with an underscore are reserved ('{target.id}')",
                        whole, "rename it without the leading underscore")
    value_start = _node_offset(value, line_starts)
    value_end_line = getattr(value, "end_lineno", value.lineno)
    value_end = line_starts[value_end_line - 1] + getattr(value, "end_col_offset", 0)
    text = code[value_start:value_end]
    expression = parse_expression(text, code, value_start, line_offset, CodeError)
    target_start = _node_offset(target, line_starts)
    target_span = SourceSpan.from_offset(code, target_start, len(target.id), line_offset)
    return Statement(target.id, operator, expression, target_span)
