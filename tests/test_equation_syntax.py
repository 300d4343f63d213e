"""The equation language's syntax: forms, lines, comments, flags, operators, functions."""

import pytest

from jnsim import CodeError, EquationError, Equations, UnitError
from jnsim.equations import EquationKind, parse_expression, parse_statements

from .conftest import raises_jnsim

# -- the three forms --------------------------------------------------------------

def test_three_forms():
    eqs = Equations("""
        dv/dt = (I - v)/tau : volt
        I = I0*sin(t/ms) : volt
        I0 : volt
    """)
    assert eqs["v"].kind is EquationKind.DIFFERENTIAL
    assert eqs["I"].kind is EquationKind.SUBEXPRESSION
    assert eqs["I0"].kind is EquationKind.PARAMETER
    assert eqs.diff_eq_names == ("v",)
    assert eqs.subexpr_names == ("I",)
    assert eqs.parameter_names == ("I0",)
    assert str(eqs["v"].expression) == "(I - v)/tau"
    assert eqs["I0"].expression is None


def test_spacing_is_free():
    eqs = Equations("dv  /  dt=-v/tau:volt\nx=1:1\ny  :  1")
    assert set(eqs) == {"v", "x", "y"}


def test_equation_spread_over_lines():
    eqs = Equations("""
        dv/dt = (-v
                 + I)/tau : volt
        dw/dt = -w/tau +
                I/tau : volt
        I : volt
    """)
    assert str(eqs["v"].expression).split() == ["(-v", "+", "I)/tau"]
    assert eqs["w"].identifiers == {"w", "tau", "I"}


def test_comments_are_ignored():
    eqs = Equations("""
        # membrane equation
        dv/dt = -v/tau : volt  # leak only
        # a parameter
        I : amp (constant)  # with a flag
    """)
    assert set(eqs) == {"v", "I"}
    assert eqs["I"].flags == ("constant",)


def test_empty_text_gives_empty_equations():
    assert len(Equations("")) == 0
    assert len(Equations("\n  # only a comment\n")) == 0


# -- flags syntax -------------------------------------------------------------------

def test_one_and_several_flags():
    eqs = Equations("""
        dv/dt = -v/tau : volt (unless refractory)
        a : 1 (constant, shared)
        b : 1 (shared,constant)
        c = a : 1 (constant over dt)
    """)
    assert eqs["v"].flags == ("unless refractory",)
    assert eqs["a"].flags == ("constant", "shared")
    assert eqs["b"].flags == ("shared", "constant")
    assert eqs["c"].flags == ("constant over dt",)


def test_flag_whitespace_is_normalised():
    assert Equations("dv/dt = -v/tau : volt (unless   refractory)")["v"].flags == (
        "unless refractory",)


@pytest.mark.parametrize(("text", "fragments"), [
    ("dv/dt = -v/tau : volt (unles refractory)",
     ["unknown flag 'unles refractory'", "did you mean 'unless refractory'?"]),
    ("x : 1 (constnt)", ["unknown flag 'constnt'", "did you mean 'constant'?"]),
    ("x : 1 (constant, constant)", ["flag 'constant' is given twice"]),
    ("x : 1 (constant,)", ["empty flag"]),
    ("dv/dt = -v/tau : volt (constant)",
     ["flag 'constant' cannot qualify a differential equation", "only qualify parameters"]),
    ("x : 1 (unless refractory)",
     ["cannot qualify a parameter", "only qualify differential equations"]),
    ("x = 1 : 1 (constant)", ["cannot qualify a subexpression"]),
    ("x : 1 (constant over dt)", ["cannot qualify a parameter", "subexpressions"]),
    ("x : 1 (summed)", ["cannot qualify a parameter"]),
    ("x : 1 (constant", ["parenthesis is not closed"]),
])
def test_bad_flags(text, fragments):
    raises_jnsim(lambda: Equations(text), EquationError, *fragments)


# -- operators, comparisons, logic -------------------------------------------------------

@pytest.mark.parametrize("expression", [
    "a + b", "a - b", "a * b", "a / b", "a // b", "a % b", "a ** b", "-a", "+a",
    "a == b", "a != b", "a < b", "a <= b", "a > b", "a >= b", "a < b <= c",
    "(a > b) and (b > c)", "a > b or b > c", "not a > b", "True", "False",
    "1e-3", ".5", "10.", "2.5e+2",
])
def test_supported_operators_parse(expression):
    parsed = parse_expression(expression)
    assert str(parsed) == expression


@pytest.mark.parametrize(("expression", "fragment", "hint"), [
    ("a ^ 2", "'^' is not an operator", "'**'"),
    ("a & b", "'&' is not an operator", "'and'"),
    ("a | b", "'|' is not an operator", "'or'"),
    ("a << 2", "'<<' is not an operator", "bitwise"),
    ("a >> 2", "'>>' is not an operator", "bitwise"),
    ("~a", "'~' is not allowed", "'not'"),
    ("a @ b", "'@' is not an operator", "matrix"),
    ("a if b else c", "conditional expressions", "x*(v > 0)"),
    ("a[0]", "indexing", "TimedArray"),
    ("'text'", "strings are not allowed", "without quotes"),
    ("1j", "complex numbers", "real numbers"),
    ("a in b", "'in' and 'is' are not allowed", "compare values"),
    ("[a, b]", "lists are not allowed", "one expression"),
    ("a, b", "comma-separated", "one expression"),
    ("lambda: 1", "'lambda' is not allowed", "directly"),
    ("(y := 3)", "':=' is not allowed", "subexpression"),
    ("_x + 1", "underscore are reserved", "without the leading underscore"),
    ("f(x=1)", "keyword arguments", "by position"),
    ("(a + b", "parenthesis is not closed", "missing ')'"),
    ("10ms", "number runs straight into a name", "10*ms"),
])
def test_forbidden_constructs_are_explained(expression, fragment, hint):
    raises_jnsim(lambda: parse_expression(expression), EquationError, fragment, hint)


def test_error_inside_an_equation_points_at_the_token():
    error = raises_jnsim(lambda: Equations("x : 1\ndv/dt = -v^2/tau : volt"), EquationError,
                         "line 2, column 11", "'^' is not an operator")
    assert "    |           ^\n" in str(error)


# -- default functions ----------------------------------------------------------

@pytest.mark.parametrize("call", [
    "exp(x)", "log(x)", "log10(x)", "sqrt(x)", "abs(x)", "clip(x, 0, 1)", "sin(x)",
    "cos(x)", "tan(x)", "sinh(x)", "cosh(x)", "tanh(x)", "arcsin(x)", "arccos(x)",
    "arctan(x)", "floor(x)", "ceil(x)", "sign(x)", "int(x)", "exprel(x)", "expm1(x)",
    "log1p(x)", "rand()", "randn()", "poisson(x)", "timestep(t, dt)",
])
def test_default_functions_by_bare_name(call):
    assert parse_expression(call).function_names == {call.split("(")[0]}


@pytest.mark.parametrize(("call", "fragment"), [
    ("exp(x, y)", "'exp' takes 1 argument, not 2"),
    ("clip(x, 1)", "'clip' takes 3 arguments, not 2"),
    ("rand(1)", "'rand' takes no arguments, not 1"),
])
def test_default_function_arity(call, fragment):
    raises_jnsim(lambda: parse_expression(call), EquationError, fragment)


@pytest.mark.parametrize(("call", "hint"), [
    ("np.exp(x)", "write 'exp'"),
    ("numpy.sqrt(x)", "write 'sqrt'"),
    ("math.sin(x)", "write 'sin'"),
    ("np.random.rand()", "attribute access"),
    ("np.fft(x)", "only the default functions"),
])
def test_numpy_prefixed_functions_are_rejected(call, hint):
    raises_jnsim(lambda: parse_expression(call), EquationError, "cannot be used in equations"
                 if "random" not in call else "not allowed", hint)


# -- safety: text never reaches eval -------------------------------------------------

@pytest.mark.parametrize("attack", [
    "__import__('os').system('echo hacked')",
    "__import__",
    "open('/etc/passwd').read()",
    "().__class__.__bases__[0].__subclasses__()",
    "(lambda: 0)()",
    "eval('1')",
    "x.__dict__",
])
def test_malicious_text_is_rejected_by_the_parser(attack):
    with pytest.raises(EquationError):
        Equations(f"y = {attack} : 1")
    with pytest.raises(EquationError):
        parse_expression(attack)


def test_unknown_calls_are_rejected_when_analysed():
    """eval(), open() and friends parse as calls but resolve to nothing callable."""
    from jnsim.analysis import analyse
    from jnsim.errors import NamespaceError

    for name in ("eval", "open", "globals"):
        raises_jnsim(lambda name=name: analyse(f"x = {name}('1') : 1", namespace={}),
                     EquationError, "strings are not allowed")
        raises_jnsim(lambda name=name: analyse(f"x = {name}(1) : 1", namespace={}),
                     NamespaceError, f"'{name}' is not defined")
        raises_jnsim(lambda name=name: analyse(f"x = {name}(1) : 1",
                                               namespace={name: __builtins__[name]}),
                     NamespaceError, f"'{name}' is a Python function")


# -- statement blocks (reset, on_pre) -------------------------------------------------

def test_statements_with_in_place_operators():
    statements = parse_statements("v = v_reset; w += b\nx -= 1\ny *= 2; z /= 3\n"
                                  "a //= 2; c %= 3; d **= 2")
    assert [(s.target, s.operator) for s in statements] == [
        ("v", "="), ("w", "+="), ("x", "-="), ("y", "*="), ("z", "/="), ("a", "//="),
        ("c", "%="), ("d", "**=")]
    assert str(statements[1]) == "w += b"


def test_indented_statement_block():
    statements = parse_statements("""
        v = v_reset   # back to rest
        w += b
    """)
    assert [str(s) for s in statements] == ["v = v_reset", "w += b"]


@pytest.mark.parametrize(("code", "fragment", "hint"), [
    ("v == 3", "expression, not an assignment", "single '='"),
    ("v + 3", "expression, not an assignment", "assigns a value"),
    ("a = b = 1", "chained assignment", "one assignment"),
    ("a, b = 1, 2", "plain variable name", "v = v_reset"),
    ("if v > 1: v = 0", "'if' statements are not supported", "assignments only"),
    ("v &= 3", "in-place operator is not supported", "+="),
    ("_v = 3", "underscore are reserved", "leading underscore"),
    ("v = np.exp(1)", "cannot be used in equations", "write 'exp'"),
    ("v = (3", "parenthesis is not closed", "')'"),
])
def test_bad_statements(code, fragment, hint):
    raises_jnsim(lambda: parse_statements(code), CodeError, fragment, hint)


def test_statement_error_position_in_multiline_block():
    error = raises_jnsim(lambda: parse_statements("v = 0\n    w = x ^ 2"), CodeError,
                         "line 2, column 11")
    assert error.column == 11


# -- structural mistakes -----------------------------------------------------------

@pytest.mark.parametrize(("text", "fragments"), [
    ("dv/dt = -v/tau", ["missing ': unit'", "line 1, column 15"]),
    ("dv/dt = -v/tau\nx : 1", ["missing ': unit'", "line 1"]),
    ("I = : amp", ["expected an expression after '='", "'I : amp'"]),
    ("dv/dt = : volt", ["expected an expression after '='", "right-hand side"]),
    ("d/dt = 1 : 1", ["expected an equation", "between 'd' and '/dt'"]),
    ("dv/dx = 1 : 1", ["expected an equation", "respect to time"]),
    ("v' = -v/tau : volt", ["expected an equation", "prime"]),
    ("dv/dt == 1 : 1", ["expected an equation", "single '='"]),
    ("dv/dt : volt", ["expected an equation", "right-hand side"]),
    ("3 = x : 1", ["expected an equation", "starts with the variable"]),
    ("x : ", ["missing unit after ':'"]),
    ("dv/dt = (-v/tau : volt", ["parenthesis is not closed"]),
    ("dv/dt = -v)/tau : volt", ["')' has no matching '('"]),
    ("x : volt extra", ["not a unit specification"]),
    ("x = a = b : 1", ["'=' cannot appear inside an expression"]),
    ("dτ/dt = -τ : 1", ["character 'τ' is not allowed", "'tau'"]),
    ("dv/dt = −v/tau : 1", ["character '−' is not allowed", "ASCII minus"]),
])
def test_structural_mistakes(text, fragments):
    raises_jnsim(lambda: Equations(text), (EquationError, UnitError), *fragments)


def test_non_string_input():
    raises_jnsim(lambda: Equations(42), EquationError, "cannot make equations from int")
