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


@pytest.mark.parametrize(("unit", "meant"), [
    ("apm", "amp"),  # a swap is one edit; 'pm' is one edit too, but amp is a base unit
    ("volts", "volt"),
    ("secnod", "second"),
    ("siemen", "siemens"),
])
def test_a_misspelt_unit_suggests_the_unit_meant(unit, meant):
    error = raises_jnsim(lambda: Equations(f"I : {unit}"), UnitError)
    assert str(error) == (
        f"line 1, column 5: '{unit}' is not a unit\n"
        f"  1 | I : {unit}\n"
        f"    |     {'^' * len(unit)}\n"
        f"hint: did you mean '{meant}'?"
    )


def test_assigning_a_plain_number_says_dimensionless():
    from jnsim import NeuronGroup

    error = raises_jnsim(lambda: NeuronGroup(1, "dv/dt = -v/(10*ms) : volt",
                                             threshold="v > -50*mV", reset="v = -65",
                                             name="cell"), UnitError)
    assert str(error).splitlines()[0] == (
        "NeuronGroup 'cell', line 1, column 5: cannot assign a dimensionless value to 'v', "
        "which has units of volt")
    error = raises_jnsim(lambda: NeuronGroup(1, "dv/dt = -v/(10*ms) : 1", threshold="v > 1",
                                             reset="v = 5*mV", name="cell"), UnitError)
    assert str(error).splitlines()[0].endswith(
        "cannot assign volt to 'v', which is dimensionless")
    assert error.hint == "the value must be dimensionless: divide by a unit, e.g. 'x/volt'"


def test_the_caret_of_a_wrong_flag_is_under_the_flag():
    from jnsim import NeuronGroup

    error = raises_jnsim(lambda: Equations("x : volt (constant, unless   refractory)"),
                         EquationError)
    assert str(error).splitlines()[:3] == [
        "line 1, column 21: flag 'unless refractory' cannot qualify a parameter",
        "  1 | x : volt (constant, unless   refractory)",
        "    |                     ^^^^^^^^^^^^^^^^^^^"]
    error = raises_jnsim(lambda: NeuronGroup(1, "dv/dt = -v/(10*ms) : volt (event-driven)",
                                             name="cell"), EquationError)
    assert str(error).splitlines()[1:3] == [
        "  1 | dv/dt = -v/(10*ms) : volt (event-driven)",
        "    |                            ^^^^^^^^^^^^"]
    error = raises_jnsim(lambda: NeuronGroup(1, "x : 1 (shared, linked)", name="cell"),
                         EquationError)
    assert "cannot be combined" in str(error)
    assert str(error).splitlines()[2] == "    |                ^^^^^^"
