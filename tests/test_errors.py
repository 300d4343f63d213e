"""The shape of jnsim's error messages: line, column, caret, hint."""

import pytest

from jnsim import EquationError, Equations, JnsimError, UnitError
from jnsim.errors import SourceSpan

from .conftest import raises_jnsim


def test_design_example_is_reproduced_exactly():
    error = raises_jnsim(lambda: Equations("dv/dt = -v/tau : volt\nI = : amp"),
                         EquationError)
    assert str(error) == (
        "line 2, column 5: expected an expression after '='\n"
        "  2 | I = : amp\n"
        "    |     ^\n"
        "hint: a parameter is written 'I : amp'"
    )
    assert (error.line, error.column) == (2, 5)


def test_every_error_is_a_jnsim_error():
    for cls in (EquationError, UnitError):
        assert issubclass(cls, JnsimError)


def test_caret_covers_the_token():
    error = raises_jnsim(lambda: Equations("dv/dt = -v/tau : mV"), UnitError)
    assert "  1 | dv/dt = -v/tau : mV\n    |                  ^^\n" in str(error)


def test_line_offset_shifts_displayed_lines_only():
    span = SourceSpan("a\nbb", 2, 1, 2, line_offset=1)
    assert span.shown_line == 3
    assert span.excerpt() == "  3 | bb\n    | ^^"
    error = EquationError("problem", SourceSpan("x", 1, 1)).with_line_offset(4)
    assert str(error).startswith("line 5, column 1: problem")


def test_equations_line_offset_is_used_in_messages():
    error = raises_jnsim(lambda: Equations("x : volt\ny : mV", line_offset=1), UnitError)
    assert str(error).startswith("line 3, column 5")


def test_error_without_span_has_message_and_hint():
    error = JnsimError("something is off", hint="do this")
    assert str(error) == "something is off\nhint: do this"
    assert error.line is None and error.column is None


def test_plain_syntax_error_says_so_once():
    with pytest.raises(EquationError) as info:
        Equations("dv/dt = (1 +* v)/ms : 1")
    message = str(info.value)
    assert "invalid syntax" in message and "invalid syntax (" not in message
    assert "line 1, column 13" in message
