"""Equations objects: combination, substitution, printing, and the seed's examples."""

import pytest
import sympy

from jnsim import EquationError, Equations, ms, mV, siemens
from jnsim.analysis import analyse
from jnsim.namespace import ExternalConstant
from jnsim.sympy_conversion import symbol

from .conftest import raises_jnsim

# -- the seed's worked examples, exactly -------------------------------------------

def test_concatenating_equations():
    membrane_eqs = Equations("dv/dt = -(v + I)/ tau : volt")
    eqs1 = membrane_eqs + Equations("""I = sin(2*pi*freq*t) : volt
                                       freq : Hz""")
    eqs2 = membrane_eqs + Equations("""I : volt""")
    assert str(eqs1) == (
        "I = sin(2*pi*freq*t) : V\n"
        "dv/dt = -(v + I)/ tau : V\n"
        "freq : Hz"
    )
    assert str(eqs2) == "dv/dt = -(v + I)/ tau : V\nI : V"


def test_substituting_variable_names():
    general_equation = "dg/dt = -g / tau : siemens"
    eqs_exc = Equations(general_equation, g="g_e", tau="tau_e")
    eqs_inh = Equations(general_equation, g="g_i", tau="tau_i")
    assert str(eqs_exc) == "dg_e/dt = -g_e / tau_e : S"
    assert str(eqs_inh) == "dg_i/dt = -g_i / tau_i : S"


def test_inserting_values():
    eqs = Equations("dv/dt = mu/tau + sigma/tau**.5*xi : volt",
                    mu=-65 * mV, sigma=3 * mV, tau=10 * ms)
    assert str(eqs) == (
        "dv/dt = (-65. * mvolt)/(10. * msecond) + (3. * mvolt)/(10. * msecond)**.5*xi : V")


def test_plus_equals_combines():
    eqs = Equations("dx/dt = (y-x)/tau : volt")
    eqs += Equations("dy/dt = -y/tau: volt")
    assert eqs.diff_eq_names == ("x", "y")


# -- combination ----------------------------------------------------------------

def test_add_accepts_strings_on_either_side():
    eqs = Equations("dv/dt = -v/tau : volt")
    assert set(eqs + "I : amp") == {"v", "I"}
    assert set("I : amp" + eqs) == {"I", "v"}


def test_adding_a_duplicate_definition_is_an_error():
    error = raises_jnsim(
        lambda: Equations("dv/dt = -v/tau : volt") + Equations("v : volt"),
        EquationError, "'v' is defined twice", "already defined as a differential equation")
    assert error.line == 1


def test_duplicate_inside_one_text():
    raises_jnsim(lambda: Equations("x : 1\ny : 1\nx = y : 1"), EquationError,
                 "line 3, column 1", "'x' is defined twice", "defined as a parameter")


def test_adding_keeps_each_equation_s_own_source_for_errors():
    combined = Equations("a : 1") + Equations("\n\nb = c : volt")
    with pytest.raises(Exception) as caught:
        analyse(combined, namespace={"c": 1 * ms})
    assert "line 3, column 5" in str(caught.value)
    assert "3 | b = c : volt" in str(caught.value)


def test_equality_ignores_order_and_spacing():
    assert Equations("x : 1\ny : volt") == Equations("y : volt\nx:1")
    assert Equations("dv/dt = -v/tau : volt") == Equations("dv/dt =  -v/tau  : volt")
    assert Equations("x : 1") != Equations("x : volt")
    assert len({Equations("x : 1"), Equations("x:1")}) == 1


# -- substitution ------------------------------------------------------------------

def _in_si_units(model, name):
    """The right-hand side with every external constant replaced by its SI value."""
    values = {symbol(n): c.value for n, c in model.externals.items()
              if isinstance(c, ExternalConstant)}
    return model.expressions[name].xreplace(values)


def test_value_substitution_equals_writing_the_value():
    """Replacing a name by a value is the same as writing the value in the text."""
    substituted = analyse(Equations("dx/dt = x/tau : volt", tau=10 * ms), namespace={})
    written = analyse(Equations("dx/dt = x/(10*ms) : volt"), namespace={})
    difference = _in_si_units(substituted, "x") - _in_si_units(written, "x")
    assert sympy.simplify(difference) == 0
    assert sympy.simplify(_in_si_units(written, "x") - symbol("x") / 0.01) == 0


def test_substitution_on_combined_equations():
    eqs = Equations("dg/dt = -g/tau : siemens") + Equations("w : siemens")
    renamed = eqs.substitute(g="ge", tau="taue")
    assert str(renamed) == "dge/dt = -ge/taue : S\nw : S"
    assert Equations(eqs, w="we").parameter_names == ("we",)


def test_substitution_does_not_touch_longer_names_or_numbers():
    eqs = Equations("dv/dt = (e1 - v)/tau + 1e1*v/tau : 1", e1="E_L")
    assert "E_L" in str(eqs) and "1e1" in str(eqs)
    eqs = Equations("dv/dt = -v/tau_m + tau*0 : 1", tau="tau_x")
    assert "tau_m" in str(eqs) and "tau_x*0" in str(eqs)


def test_numbers_and_negative_values_are_parenthesised():
    eqs = Equations("dv/dt = a**2 * v / tau : 1", a=-2, tau=5 * ms)
    assert "(-2.)**2" in str(eqs)
    assert "(5. * msecond)" in str(eqs)


@pytest.mark.parametrize(("replacements", "fragment"), [
    ({"nope": "x"}, "cannot substitute 'nope'"),
    ({"v": 3}, "cannot replace the variable 'v' by a value"),
    ({"tau": "2*ms"}, "a replacement string must be a name"),
    ({"tau": [1, 2]}, "cannot insert a list"),
    ({"tau": [1, 2] * ms}, "cannot insert a Quantity"),
])
def test_bad_substitutions(replacements, fragment):
    raises_jnsim(lambda: Equations("dv/dt = -v/tau : volt", **replacements), EquationError,
                 fragment)


# -- views and printing ----------------------------------------------------------

def test_identifiers_and_stochastic_variables():
    eqs = Equations("dv/dt = (El - v)/tau + sigma*xi_1/sqrt(tau) : volt\nEl : volt")
    assert eqs.identifiers == {"tau", "sigma", "xi_1", "sqrt"}
    assert eqs.stochastic_variables == ("xi_1",)
    assert eqs.is_stochastic
    assert not Equations("x : 1").is_stochastic


def test_subexpressions_are_printed_in_dependency_order():
    eqs = Equations("""
        dv/dt = I_total/C : volt
        I_total = I_syn + I_ext : amp
        I_syn = g*(E - v) : amp
        I_ext : amp
        g : siemens
    """)
    assert [e.name for e in eqs.ordered] == ["I_syn", "I_total", "v", "I_ext", "g"]


def test_circular_subexpressions_are_rejected():
    raises_jnsim(lambda: Equations("a = b : 1\nb = a : 1"), EquationError,
                 "circle", "a -> b -> a")


def test_units_print_like_brian():
    eqs = Equations("""
        a : volt
        b : amp
        c : siemens
        d : farad
        e1 : 1
        f : Hz
        g : boolean
        h : integer
        k : farad/meter**2 (constant)
    """)
    assert [str(eq) for eq in eqs.ordered] == [
        "a : V", "b : A", "c : S", "d : F", "e1 : 1", "f : Hz", "g : boolean",
        "h : integer", "k : F/m^2 (constant)"]


def test_repr_names_the_count():
    assert repr(Equations("x : 1\ny : 1")).startswith("<Equations: 2 equations>")


def test_equations_object_checks_syntax_but_not_units():
    """Like Brian, Equations() checks syntax; units and names are checked by analyse()."""
    eqs = Equations("dv/dt = v : volt")  # inconsistent units, but syntactically fine
    assert eqs.diff_eq_names == ("v",)
    raises_jnsim(lambda: analyse(eqs), Exception, "volt/second")
    Equations("dv/dt = -v/undefined_name : 1")  # unknown names are fine here too
    Equations("dv/dt = -v/tau : 1 (event-driven)")  # context rules too


def test_seed_example_inserting_values_has_consistent_units():
    eqs = Equations("dv/dt = mu/tau + sigma/tau**.5*xi : volt",
                    mu=-65 * mV, sigma=3 * mV, tau=10 * ms)
    model = analyse(eqs, namespace={})
    assert model.noise["v"] == ("xi",)
    assert siemens  # units stay importable alongside
