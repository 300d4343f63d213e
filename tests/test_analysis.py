"""Model analysis: units of every equation, external names, flags per context, rules."""

import numpy as np
import pytest
import sympy

from jnsim import (
    CodeError,
    EquationError,
    Equations,
    NamespaceError,
    UnitError,
    amp,
    ms,
    mV,
    nS,
    siemens,
    volt,
)
from jnsim.analysis import analyse
from jnsim.context import ModelContext
from jnsim.dimensions import NameInfo
from jnsim.equations import EquationKind
from jnsim.sympy_conversion import symbol
from jnsim.units import dimensions_of, unit_words

from .conftest import raises_jnsim

VOLT = dimensions_of(volt)
SIEMENS = dimensions_of(siemens)


def synapse(**post):
    return ModelContext.synapse(post={k: NameInfo(v) for k, v in post.items()})


# -- dimensional analysis ------------------------------------------------------------

def test_consistent_model_is_accepted():
    model = analyse("""
        dv/dt = (gl*(El - v) + ge*(Ee - v) + I)/C : volt
        dge/dt = -ge/tau_e : siemens
        I : amp
    """, namespace={"gl": 10 * nS, "El": -70 * mV, "Ee": 0 * mV, "C": 200e-12 * amp * ms / mV,
                    "tau_e": 5 * ms})
    assert model.complete
    assert model.variables["v"].unit == "volt"
    assert model.variables["ge"].unit == "siemens"
    assert model.externals["tau_e"].value == pytest.approx(0.005)


@pytest.mark.parametrize(("text", "fragments"), [
    ("dv/dt = -v : volt", ["units of volt", "dv/dt must be volt/second",
                           "divide by a time constant"]),
    ("dv/dt = (-70*mV - v) : volt", ["divide by a time constant, e.g. '(-70*mV - v) / tau'"]),
    ("dv/dt = -v*2 : volt", ["e.g. '-v*2 / tau'"]),
    ("dv/dt = (v) - (v) : volt", ["e.g. '((v) - (v)) / tau'"]),
    ("dv/dt = -v/tau : 1", ["units of 1/second"]),  # accepted: see below
    ("dv/dt = (-v + I)/tau : volt\nI : amp", ["cannot add volt and amp"]),
    ("dv/dt = (I - v)/tau : volt\nI : amp", ["cannot subtract volt from amp"]),
    ("x = v*I : volt\nv : volt\nI : amp", ["units of amp*volt", "'x' is declared as volt",
                                            "change the unit after ':' to 'amp*volt'"]),
    ("dx/dt = 1 : 1", ["no units (it is dimensionless)", "dx/dt must be 1/second"]),
    ("x = exp(v) : 1\nv : volt", ["argument of exp() must be dimensionless", "units of volt",
                                  "v/mV"]),
    ("x = v > 0 : boolean\nv : volt", ["cannot compare volt with dimensionless numbers",
                                       "'0*volt'"]),
    ("x = v**y : volt**2\nv : volt\ny : 1", ["'y' must be a constant number",
                                             "base has units of volt"]),
    ("x = 2**v : 1\nv : volt", ["exponent must be dimensionless, not volt"]),
    ("x = clip(v, 0*mV, 1) : volt\nv : volt", ["arguments of clip() must have the same units"]),
    ("x = v % tau : volt\nv : volt", ["remainder of volt by second"]),
])
def test_unit_mismatches_name_both_sides_in_words(text, fragments):
    if "1/second" in fragments[0]:
        analyse(text, namespace={"tau": 10 * ms})
        return
    raises_jnsim(lambda: analyse(text, namespace={"tau": 10 * ms}), UnitError, *fragments)


def test_mismatch_error_points_at_the_expression():
    error = raises_jnsim(lambda: analyse("\n  dv/dt = -v/tau : volt", namespace={"tau": 1}),
                         UnitError, "line 2, column 11",
                         "'tau' is a plain number here", "tau = 10*ms")
    assert "    |           ^^^^^^\n" in str(error)


@pytest.mark.parametrize(("text", "unit"), [
    ("x = sqrt(v) : volt**0.5\nv : volt", None),
    ("x = sqrt(a) : metre\na : metre**2", "metre"),
    ("x = v**2 : volt**2\nv : volt", "volt**2"),
    ("x = v**-1 : 1/volt\nv : volt", "1/volt"),
    ("x = abs(v) + floor(v) + ceil(v) : volt\nv : volt", "volt"),
    ("x = sign(v) : 1\nv : volt", "1"),
    ("x = v/(1*mV) : 1\nv : volt", "1"),
    ("x = t/ms + dt/ms + i + N : 1", "1"),
    ("x = exprel(v/mV) * log10(2) * expm1(1) * log1p(1) : 1\nv : volt", "1"),
    ("x = sin(2*pi*f*t) : 1\nf : Hz", "1"),
])
def test_units_of_functions_and_powers(text, unit):
    if unit is None:
        with pytest.raises(UnitError):  # 'volt**0.5' is not a valid unit specification
            analyse(text)
        return
    model = analyse(text, namespace={})
    assert model.variables["x"].unit == unit or unit == "1"


def test_types_boolean_integer_float():
    model = analyse("""
        spiking = v > v_th : boolean
        n = int(v/mV) : integer
        f = floor(v/mV) : 1
        both = (v > v_th) and not (v < -v_th) : boolean
        v : volt
    """, namespace={"v_th": 10 * mV})
    assert model.variables["spiking"].dtype == "boolean"
    assert model.variables["n"].dtype == "integer"
    raises_jnsim(lambda: analyse("n = floor(v/mV) : integer\nv : volt"), EquationError,
                 "declared integer, but its expression is a float", "int(...)")
    raises_jnsim(lambda: analyse("b = v/mV : boolean\nv : volt"), EquationError,
                 "declared boolean", "v > v_th")
    raises_jnsim(lambda: analyse("b = v and v : boolean\nv : 1"), EquationError,
                 "'and' needs a condition")
    raises_jnsim(lambda: analyse("b = not v : boolean\nv : 1"), EquationError,
                 "'not' needs a condition")


def test_differential_equations_are_float():
    for unit in ("integer", "boolean"):
        raises_jnsim(lambda unit=unit: analyse(f"dn/dt = 1/ms : {unit}"), UnitError,
                     "floating point variable", "'1' or 'volt'")


def test_floor_division_and_division_types():
    """'/' is floating point division, '//' floors; floor() gives a float, int() an integer."""
    model = analyse("""
        a = i // 2 : integer
        b = i / 2 : 1
        c = int(floor(b)) : integer
    """)
    assert model.expressions["a"] == sympy.floor(symbol("i") / 2)
    assert model.expressions["b"] == symbol("i") / 2
    raises_jnsim(lambda: analyse("a = i / 2 : integer"), EquationError, "declared integer")


# -- SymPy forms --------------------------------------------------------------------

def test_sympy_forms_of_operators():
    model = analyse("""
        a = x + y - x*y/z : 1
        b = x ** 2 % 3 : 1
        c = (x > y) and (y <= z) or not (x == z) : boolean
        d = clip(x, 0, 1) + exprel(x) + abs(x) : 1
        x : 1
        y : 1
        z : 1
    """)
    x, y, z = symbol("x"), symbol("y"), symbol("z")
    assert model.expressions["a"] == x + y - x * y / z
    assert model.expressions["b"] == sympy.Mod(x**2, 3)
    assert isinstance(model.expressions["c"], sympy.Or)
    assert "clip" in str(model.expressions["d"]) and "exprel" in str(model.expressions["d"])


def test_random_calls_stay_distinct():
    model = analyse("x = rand() - rand() : 1 (constant over dt)")
    assert model.expressions["x"] != 0
    assert str(model.expressions["x"]).count("rand()") == 2


def test_huge_constant_powers_are_not_evaluated():
    model = analyse("x = 10**10**10 * y : 1\ny : 1")
    assert "10**(10**10)" in str(model.expressions["x"])


# -- external names: the three ways ------------------------------------------------------

def test_explicit_namespace_on_the_object():
    model = analyse("dv/dt = -v / tau : 1", namespace={"tau": 10 * ms})
    assert model.externals["tau"].value == pytest.approx(0.01)
    assert model.externals["tau"].origin == "namespace"


def test_namespace_given_at_run():
    model = analyse("dv/dt = -v / tau : 1", run_namespace={"tau": 10 * ms})
    assert model.externals["tau"].origin == "run namespace"


def test_implicit_namespace_from_the_calling_code():
    tau = 10 * ms
    model = analyse("dv/dt = -v / tau : 1")
    assert model.externals["tau"].value == pytest.approx(0.01)
    assert model.externals["tau"].origin == "caller"


TAU_AT_MODULE_LEVEL = 3 * ms


def test_implicit_namespace_includes_globals_and_locals_win():
    model = analyse("dv/dt = -v / TAU_AT_MODULE_LEVEL : 1")
    assert model.externals["TAU_AT_MODULE_LEVEL"].value == pytest.approx(0.003)
    TAU_AT_MODULE_LEVEL = 7 * ms
    model = analyse("dv/dt = -v / TAU_AT_MODULE_LEVEL : 1")
    assert model.externals["TAU_AT_MODULE_LEVEL"].value == pytest.approx(0.007)


def test_explicit_namespace_excludes_the_caller():
    tau = 10 * ms
    raises_jnsim(lambda: analyse("dv/dt = -v / tau : 1", namespace={}), NamespaceError,
                 "'tau' is not defined in the namespace given to the object")


def test_names_not_found_yet_are_left_for_run():
    model = analyse("dv/dt = -v / tau_later : 1")
    assert model.unresolved == {"tau_later"}
    assert not model.complete
    # equations that use only known names are still checked
    raises_jnsim(lambda: analyse("dv/dt = -v/tau_later : 1\ndw/dt = w : volt"), UnitError,
                 "dw/dt must be volt/second")


def test_missing_name_error_names_it_with_a_suggestion():
    tau_m = 10 * ms
    with pytest.raises(NamespaceError) as caught:
        analyse("dv/dt = -v / tau : 1", strict=True)
    for fragment in ("'tau' is not defined in the calling code's namespace",
                     "did you mean 'tau_m'?", "'tau : <unit>'"):
        assert fragment in str(caught.value)
    assert (caught.value.line, caught.value.column) == (1, 14)
    raises_jnsim(lambda: analyse("dv/dt = -v / tau : 1", run_namespace={"tau_x": 1}),
                 NamespaceError, "in the namespace given to run()")


def test_units_and_constants_need_no_namespace():
    model = analyse("dv/dt = (10*mV - v)/(5*ms) * cos(pi*t/ms) : volt", namespace={})
    assert model.complete
    assert model.externals["mV"].origin == "units"
    assert model.expressions["v"].has(sympy.pi)


@pytest.mark.parametrize(("value", "fragments"), [
    (np.ones(3), ["'tau' is an array of shape (3,)", "declare a parameter"]),
    (np.ones(3) * ms, ["'tau' is an array of shape (3,)", "TimedArray"]),
    ("10 ms", ["'tau' refers to a str", "numbers or quantities"]),
    ([1, 2], ["'tau' is an array of shape (2,)"]),
    (None, ["'tau' refers to a NoneType"]),
])
def test_unusable_namespace_values(value, fragments):
    raises_jnsim(lambda: analyse("dv/dt = -v/tau : 1", namespace={"tau": value}),
                 NamespaceError, *fragments)


def test_usable_namespace_values():
    from jnsim.namespace import resolve_external

    for value, dtype in ((ms, "float"), (np.float64(0.01), "float"), (0.01, "float"),
                         (1, "integer"), (np.int32(2), "integer"), (True, "boolean")):
        found = resolve_external("tau", {"tau": value}, "namespace", as_function=False)
        assert (unit_words(found.dims) == "second") == (value is ms)
        assert found.dtype == dtype


def test_functions_from_the_namespace_cannot_shadow_default_functions():
    model = analyse("x = exp(y) : 1\ny : 1", namespace={"exp": np.exp})
    assert model.externals["exp"].spec is not None


def test_calling_python_functions_is_refused():
    raises_jnsim(lambda: analyse("x = f(y) : 1\ny : 1", namespace={"f": np.cos}),
                 NamespaceError, "'f' is a Python function", "default functions")
    raises_jnsim(lambda: analyse("x = g(y) : 1\ny : 1", namespace={"g": 3}),
                 NamespaceError, "'g' is a int and cannot be called")
    raises_jnsim(lambda: analyse("x = exp : 1"), NamespaceError,
                 "'exp' is a function and must be called", "exp(x)")


def test_ipython_user_namespace_is_used_from_cells_and_magics():
    """In a real IPython shell: cell code is found by frame, magics by the user namespace."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.run_cell("from jnsim import ms\nfrom jnsim.analysis import analyse\n"
                       "tau_cell = 4*ms\n"
                       "model = analyse('dv/dt = -v/tau_cell : 1', strict=True)",
                       store_history=False).raise_error()
        assert shell.user_ns["model"].externals["tau_cell"].value == pytest.approx(0.004)
        # A magic implemented inside jnsim: the frames above it are IPython's own.
        magic_globals = {"__name__": "jnsim.magic_under_test", "analyse": analyse}
        exec("def probe(line):\n    return analyse(line, strict=True)", magic_globals)
        shell.register_magic_function(magic_globals["probe"], "line", "jnsim_probe")
        shell.run_cell("tau_magic = 6*ms", store_history=False).raise_error()
        model = shell.run_line_magic("jnsim_probe", "dv/dt = -v/tau_magic : 1")
        assert model.externals["tau_magic"].value == pytest.approx(0.006)
    finally:
        InteractiveShell.clear_instance()


# -- flags per context -------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "dv/dt = -v/tau : volt (unless refractory)",
    "a : 1 (constant)", "a : 1 (shared)", "a : 1 (linked)", "a : 1 (constant, shared)",
    "a = 2*b : 1 (shared)\nb : 1 (shared)", "a = rand() : 1 (constant over dt)",
])
def test_flags_accepted_in_neuron_groups(text):
    analyse(text, ModelContext.neuron(), namespace={"tau": 10 * ms})


@pytest.mark.parametrize(("text", "fragments"), [
    ("dv/dt = -v/tau : volt (event-driven)", ["'event-driven' is only used in synapses"]),
    ("dv/dt = -v/tau : volt (clock-driven)", ["'clock-driven' is only used in synapses"]),
    ("g_post = w : 1 (summed)\nw : 1", ["'summed' is only used in synapses"]),
    ("a : 1 (shared, linked)", ["flags 'linked' and 'shared' cannot be combined"]),
    ("a : 1 (constant, linked)", ["flags 'constant' and 'linked' cannot be combined"]),
])
def test_flags_rejected_in_neuron_groups(text, fragments):
    raises_jnsim(lambda: analyse(text, ModelContext.neuron(), namespace={"tau": 10 * ms}),
                 EquationError, *fragments)


@pytest.mark.parametrize("text", [
    "dx/dt = -x/tau : 1 (event-driven)", "dx/dt = -x/tau : 1 (clock-driven)",
    "dx/dt = -x/tau : 1", "w : 1 (constant)", "w : 1 (shared)", "w : 1 (linked)",
    "g_post = w : siemens (summed)\nw : siemens", "a = rand() : 1 (constant over dt)",
])
def test_flags_accepted_in_synapses(text):
    analyse(text, synapse(g=SIEMENS), namespace={"tau": 10 * ms})


@pytest.mark.parametrize(("text", "fragments"), [
    ("dx/dt = -x/tau : 1 (unless refractory)", ["only neuron groups have a refractory"]),
    ("dx/dt = -x/tau : 1 (event-driven, clock-driven)",
     ["'clock-driven' and 'event-driven' cannot be combined"]),
    ("g_post = w : siemens (summed, shared)\nw : siemens", ["cannot be combined"]),
    ("g = w : siemens (summed)\nw : siemens", ["summed variable 'g' must name a variable",
                                               "'g_post = ... (summed)'"]),
    ("h_post = w : siemens (summed)\nw : siemens", ["no variable 'h' to sum into"]),
])
def test_flags_rejected_in_synapses(text, fragments):
    raises_jnsim(lambda: analyse(text, synapse(g=SIEMENS), namespace={"tau": 10 * ms}),
                 EquationError, *fragments)


def test_summed_variable_units_must_match_the_target():
    raises_jnsim(lambda: analyse("g_post = w : 1 (summed)\nw : 1", synapse(g=SIEMENS)),
                 UnitError, "'g' of the post-synaptic group has units of siemens")


def test_shared_subexpression_refers_only_to_shared_variables():
    analyse("s = a + t/ms + N : 1 (shared)\na : 1 (shared)")
    raises_jnsim(lambda: analyse("s = v : 1 (shared)\nv : 1"), EquationError,
                 "shared subexpression 's' refers to 'v'", "only refer to shared variables")
    raises_jnsim(lambda: analyse("s = i : 1 (shared)"), EquationError, "refers to 'i'")
    raises_jnsim(lambda: analyse("s = x : 1 (shared)\ndx/dt = -x/ms : 1"), EquationError,
                 "refers to 'x'")


def test_constant_over_dt_is_required_for_stateful_functions():
    for function in ("rand()", "randn()", "poisson(2)"):
        raises_jnsim(lambda f=function: analyse(f"n = {f} : 1"), EquationError,
                     "must be flagged (constant over dt)")
        analyse(f"n = {function} : 1 (constant over dt)")
    raises_jnsim(lambda: analyse("dv/dt = randn()/ms : 1"), EquationError,
                 "cannot be used in a differential equation", "'xi'")


def test_constant_over_dt_subexpressions_are_kept_by_inlining():
    model = analyse("""
        dv/dt = (I + n - v)/tau : 1
        I = 2*v : 1
        n = rand() : 1 (constant over dt)
    """, namespace={"tau": 1 * ms})
    inlined = model.inline_subexpressions(model.expressions["v"])
    assert symbol("n") in inlined.free_symbols
    assert symbol("I") not in inlined.free_symbols


# -- special symbols -------------------------------------------------------------------

@pytest.mark.parametrize(("name", "unit", "dtype"), [
    ("t", "second", "float"), ("dt", "second", "float"), ("i", "1", "integer"),
    ("N", "1", "integer"), ("t_in_timesteps", "1", "integer"),
    ("lastspike", "second", "float"), ("not_refractory", "1", "boolean"),
])
def test_special_symbols_in_neuron_groups(name, unit, dtype):
    info = ModelContext.neuron().symbols[name]
    assert unit_words(info.dims) == unit and info.dtype == dtype


@pytest.mark.parametrize("name", ["i", "j", "N", "N_pre", "N_post", "lastupdate"])
def test_special_symbols_in_synapses(name):
    model = analyse(f"x = {name}*0 + 1 : 1" if name != "lastupdate" else "x = lastupdate/ms : 1",
                    ModelContext.synapse())
    assert name in model.symbols_used


def test_xi_has_units_of_one_over_root_second():
    assert unit_words(ModelContext.noise_info().dims) == "1/second**0.5"
    model = analyse("dv/dt = -v/tau + sigma*xi/sqrt(tau) : volt",
                    namespace={"tau": 10 * ms, "sigma": 1 * mV})
    assert "xi" in model.symbols_used


@pytest.mark.parametrize(("text", "context", "fragment"), [
    ("x = j : 1", ModelContext.neuron(), "'j' (post-synaptic index) exists only in synapses"),
    ("x = N_pre : 1", ModelContext.neuron(), "'N_pre' exists only in synapses"),
    ("x = lastupdate/ms : 1", ModelContext.neuron(), "only in synapses with event-driven"),
    ("x = lastspike/ms : 1", ModelContext.neuron(refractory=False),
     "only in groups with refractoriness"),
    ("x = lastspike/ms : 1", ModelContext.synapse(), "'lastspike_pre' or 'lastspike_post'"),
    ("x = lastupdate/ms : 1", ModelContext.synapse(event_driven=False),
     "'lastupdate' exists only in synapses with event-driven equations"),
])
def test_special_symbols_outside_their_context(text, context, fragment):
    with pytest.raises((EquationError, NamespaceError)) as caught:
        analyse(text, context, namespace={})
    assert fragment in str(caught.value)


@pytest.mark.parametrize(("name", "fragment"), [
    ("_x", "starts with an underscore"), ("x_pre", "ends in '_pre' or '_post'"),
    ("x_post", "ends in '_pre' or '_post'"), ("t", "special symbol (the current time)"),
    ("dt", "special symbol (the time step)"), ("i", "special symbol"), ("j", "special symbol"),
    ("N", "special symbol"), ("N_pre", "'N_pre' ends in"), ("lastspike", "special symbol"),
    ("lastupdate", "special symbol"), ("not_refractory", "special symbol"),
    ("t_in_timesteps", "special symbol"), ("xi", "noise symbol"), ("xi_1", "noise symbol"),
    ("xi_inh", "noise symbol"), ("mV", "name of a unit"), ("volt", "name of a unit"),
    ("exp", "name of a default function"), ("rand", "name of a default function"),
    ("pi", "name of a constant"), ("e", "name of a constant"), ("inf", "name of a constant"),
    ("lambda", "Python keyword"), ("class", "Python keyword"), ("None", "Python keyword"),
])
def test_forbidden_names(name, fragment):
    for text in (f"{name} : 1", f"{name} = 1 : 1", f"d{name}/dt = 1/second : 1"):
        raises_jnsim(lambda text=text: Equations(text), EquationError, fragment)


# -- noise -------------------------------------------------------------------------------

def test_same_suffixed_noise_in_several_equations_is_one_source():
    model = analyse("""
        dv/dt = -v/tau + xi_1/sqrt(tau) : 1
        dw/dt = -w/tau + xi_1/sqrt(tau) : 1
        du/dt = -u/tau + xi_inh/sqrt(tau) + xi_1/sqrt(tau) : 1
    """, namespace={"tau": 10 * ms})
    assert model.noise == {"v": ("xi_1",), "w": ("xi_1",), "u": ("xi_1", "xi_inh")}


def test_more_than_one_plain_xi_is_an_error():
    error = raises_jnsim(lambda: analyse("""
        dv/dt = -v/tau + xi/sqrt(tau) : 1
        dw/dt = -w/tau + xi/sqrt(tau) : 1
    """, namespace={"tau": 10 * ms}), EquationError,
        "plain 'xi' is used in more than one equation (v, w)", "'xi_1'")
    assert error.line == 3


def test_plain_xi_twice_in_one_equation_is_the_same_noise():
    model = analyse("dv/dt = -v/tau + (xi + 2*xi)/sqrt(tau) : 1", namespace={"tau": 10 * ms})
    assert model.noise["v"] == ("xi",)


@pytest.mark.parametrize(("text", "fragment"), [
    # a subexpression may draw noise (substituted into the equations using it), but it
    # cannot be stored or shared
    ("x = xi*sqrt(tau) : 1 (shared)", "draws noise ('xi'), so it cannot be flagged (shared)"),
    ("x = xi_2*sqrt(tau) : 1 (constant over dt)",
     "draws noise ('xi_2'), so it cannot be flagged (constant over dt)"),
    ("dv/dt = y/tau : 1\ny = x**2 : 1\nx = xi*sqrt(tau) : 1", "must enter linearly"),
    ("dv/dt = -v/tau + xi**2/tau**0.5 : 1", "must enter linearly"),
    ("dv/dt = -v/tau + exp(xi) : 1", "must enter linearly"),
    ("dv/dt = -v/tau + xi*xi_2*sqrt(tau)/tau : 1", "must enter linearly"),
])
def test_noise_rules(text, fragment):
    raises_jnsim(lambda: analyse(text, namespace={"tau": 10 * ms}), EquationError, fragment)


# -- event-driven equations ----------------------------------------------------------

STDP = """
    w : 1
    dapre/dt = -apre/taupre : 1 (event-driven)
    dapost/dt = -apost/taupost : 1 (event-driven)
"""


def test_stdp_model_is_accepted():
    model = analyse(STDP, ModelContext.synapse(),
                    namespace={"taupre": 20 * ms, "taupost": 20 * ms})
    assert model.names_of(EquationKind.DIFFERENTIAL) == ("apre", "apost")


def test_event_driven_may_depend_on_parameters_and_subexpressions_of_them():
    analyse("""
        dx/dt = (x0 - x)/tau : 1 (event-driven)
        x0 : 1 (constant)
        rate = 2*x0/tau : Hz
        dy/dt = rate - y/tau : 1 (event-driven)
    """, ModelContext.synapse(), namespace={"tau": 5 * ms})


@pytest.mark.parametrize(("text", "fragments"), [
    ("dx/dt = -x/tau : 1 (event-driven)\ndv/dt = (x - v)/tau : 1 (clock-driven)",
     ["'x' cannot be used by 'v', which is not event-driven"]),
    ("dx/dt = -x/tau : 1 (event-driven)\ns = 2*x : 1",
     ["'x' cannot be used by 's'"]),
    ("dx/dt = (v - x)/tau : 1 (event-driven)\ndv/dt = -v/tau : 1",
     ["'x' depends on the clock-driven variable 'v'"]),
    ("dx/dt = (s - x)/tau : 1 (event-driven)\ns = 2*v : 1\ndv/dt = -v/tau : 1",
     ["'x' depends on the clock-driven variable 'v'"]),
    ("dx/dt = (y - x)/tau : 1 (event-driven)\ndy/dt = -y/tau : 1 (event-driven)",
     ["depends on the event-driven variable 'y'", "one-dimensional"]),
    ("dx/dt = -x**2/tau : 1 (event-driven)", ["not linear in 'x'"]),
    ("dx/dt = -exp(x)/tau : 1 (event-driven)", ["not linear in 'x'"]),
    ("dx/dt = sin(t/tau)/tau : 1 (event-driven)", ["depends on the time 't'"]),
])
def test_event_driven_restrictions(text, fragments):
    raises_jnsim(lambda: analyse(text, ModelContext.synapse(), namespace={"tau": 5 * ms}),
                 EquationError, *fragments)


# -- synapse references ------------------------------------------------------------------

def test_pre_and_post_references():
    context = ModelContext.synapse(pre={"v": NameInfo(VOLT)}, post={"v": NameInfo(VOLT),
                                                                     "g": NameInfo(SIEMENS)})
    analyse("dx/dt = (v_pre - v_post)/(mV*ms) : 1 (clock-driven)", context)
    analyse("x = g/nS : 1", context)  # unsuffixed names refer to the post-synaptic group
    raises_jnsim(lambda: analyse("x = u_pre/mV : 1", context), EquationError,
                 "the pre-synaptic group has no variable 'u'", "its variables are: v")
    raises_jnsim(lambda: analyse("x = v_post/ms : 1", context), UnitError,
                 "units of volt/second")


def test_analysed_model_repr_lists_variables():
    text = repr(analyse("dv/dt = -v/tau : volt\nI : amp", namespace={"tau": 1 * ms}))
    assert "Variable(v: differential equation, volt, float)" in text
    assert "externals: tau" in text


def test_noise_in_a_subexpression_is_noise_of_the_equations_using_it():
    model = analyse("""dv/dt = (I - v)/tau : 1
                       I = mu + sigma*sqrt(tau)*xi_pop : 1
                       dw/dt = -w/tau : 1
                       mu : 1 (shared)
                       sigma : 1 (shared)""", namespace={"tau": 10 * ms})
    assert model.noise == {"v": ("xi_pop",), "w": ()}


def test_a_noisy_subexpression_cannot_be_read_by_code():
    from jnsim.analysis import check_code
    from jnsim.equations import parse_expression

    model = analyse("dv/dt = I/tau : 1\nI = sqrt(tau)*xi : 1", namespace={"tau": 10 * ms})
    raises_jnsim(lambda: check_code(model, parse_expression("I > 1"), what="threshold",
                                    namespace={}), CodeError,
                 "'I' draws noise ('xi'), so it can only be used in differential equations")
    # the variable the noise drives has a value, and code reads it
    check_code(model, parse_expression("v > 1"), what="threshold", namespace={})
