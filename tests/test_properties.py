"""Property: any text given to jnsim either parses or raises a JnsimError — nothing else."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jnsim import Equations, JnsimError
from jnsim.analysis import analyse
from jnsim.context import ModelContext
from jnsim.equations import parse_statements
from jnsim.units import parse_unit_spec

TOKENS = [
    "dv/dt", "dx/dt", "v", "x", "w", "tau", "I", "g_e", "=", "==", ":", " : ", "(", ")",
    "+", "-", "*", "/", "//", "%", "**", "^", ",", ".", "\n", "  ", "#", "# note\n",
    "volt", "mV", "1", "0", "2.5", "1e-3", "1e999", ".5", "10**10**10", "boolean", "integer",
    "siemens/meter**2", "farad/meter**2", "Hz", "ms", "second", "mmolar", "molar",
    "(unless refractory)", "(constant)", "(constant over dt)", "(shared)", "(linked)",
    "(event-driven)", "(clock-driven)", "(summed)", "(constant, shared)", "(", "unless",
    "exp(", "sqrt(", "clip(", "rand()", "randn()", "xi", "xi_1", "t", "dt", "i", "j", "N",
    "lastspike", "not_refractory", "and", "or", "not", "<", ">=", "!=", "True", "np.exp(",
    "__import__", "'s'", "lambda", "[0]", "if", "else", "_pre", "_post", "lastupdate",
    "x_post", "τ", "\t", "\x00", ";", "+=", "\\", "{", "}", "@", "~", "&", "|",
]

equation_soup = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)
printable = st.text(alphabet=string.printable, max_size=80)
anything = st.text(max_size=80)

SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _parses_or_jnsim_error(function, text):
    try:
        function(text)
    except JnsimError as error:
        assert str(error)  # the message formats without failing
        if error.span is not None:
            assert error.line >= 1 and error.column >= 1


@SETTINGS
@given(st.one_of(equation_soup, printable, anything))
def test_equations_parse_or_raise_jnsim_error(text):
    _parses_or_jnsim_error(Equations, text)


@SETTINGS
@given(st.one_of(equation_soup, printable))
def test_analysis_succeeds_or_raises_jnsim_error(text):
    for context in (ModelContext.neuron(), ModelContext.synapse()):
        _parses_or_jnsim_error(lambda t, c=context: analyse(t, c, namespace={"tau": 1.0}), text)


@SETTINGS
@given(st.one_of(equation_soup, printable, anything))
def test_statements_parse_or_raise_jnsim_error(text):
    _parses_or_jnsim_error(parse_statements, text)


@SETTINGS
@given(st.one_of(st.lists(st.sampled_from(TOKENS[30:50]), max_size=6).map("".join), printable))
def test_unit_specs_parse_or_raise_jnsim_error(text):
    _parses_or_jnsim_error(parse_unit_spec, text)


def test_deeply_nested_expressions_are_errors_not_crashes():
    for text in ("x = " + "(" * 500 + "1" + ")" * 500 + " : 1",
                 "x = " + "+".join(["1"] * 20000) + " : 1",
                 "x = " + "-" * 5000 + "1 : 1",
                 "x = " + "9" * 5000 + " : 1"):
        _parses_or_jnsim_error(Equations, text)
        _parses_or_jnsim_error(analyse, text)
