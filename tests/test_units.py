"""Units: the registry, Brian-style names, unit specifications in equations, display."""

import subprocess
import sys

import numpy as np
import pytest

import jnsim
from jnsim import UnitError
from jnsim.units import (
    UNITS,
    dimensions_of,
    format_quantity,
    parse_unit_spec,
    quantity_from_si,
    registry,
    to_si,
    unit_symbol,
    unit_words,
)

from .conftest import raises_jnsim


@pytest.mark.parametrize("name", [
    "volt", "mV", "uV", "amp", "nA", "pA", "siemens", "nS", "uS", "farad", "pF", "uF",
    "ohm", "Mohm", "second", "ms", "us", "Hz", "kHz", "metre", "meter", "um", "cm",
    "mole", "molar", "mmolar", "mM", "kelvin", "mvolt", "msecond", "nsiemens", "pfarad",
    "umetre", "cm2", "um2", "metre2", "kilogram", "kgram", "coulomb", "joule", "watt",
])
def test_brian_unit_names_are_exported(name):
    assert name in jnsim.__all__
    assert getattr(jnsim, name) is UNITS[name]


def test_every_unit_name_is_pints_canonical_name_of_that_unit():
    """The table spells pint's canonical names itself; each must be one and mean the unit."""
    registry = jnsim.units.registry
    for name, unit in UNITS.items():
        for canonical in unit._units:
            assert registry.get_name(canonical) == canonical, name
        if name[-1] in "23":  # metre2, um3: not names pint parses
            continue
        ours = (1.0 * unit).to_base_units()
        pints = (1.0 * registry.Unit(name)).to_base_units()
        assert ours.units == pints.units, name
        assert ours.magnitude == pytest.approx(pints.magnitude, rel=1e-12), name


def test_no_single_letter_names_pollute_the_namespace():
    assert not [name for name in UNITS if len(name) == 1]
    assert "as" not in UNITS  # attosecond would shadow a keyword


def test_quantity_arithmetic_like_brian():
    from jnsim import farad, meter, ms, mV

    assert to_si(-65 * mV) == pytest.approx(-0.065)
    assert to_si(10 * ms) == pytest.approx(0.01)
    capacitance = 1e-2 * farad / meter**2
    assert unit_words(dimensions_of(capacitance)) == "farad/metre**2"


def test_times_divided_by_ms_are_plain_numbers_in_ms():
    """The pint trap of DESIGN.md: without reduction t/ms would be 1000x too small."""
    from jnsim import ms, second

    times = np.array([0.001, 0.0025, 0.01]) * second
    ratio = times / ms
    np.testing.assert_allclose(np.asarray(ratio.magnitude), [1.0, 2.5, 10.0])
    assert ratio.dimensionless
    np.testing.assert_allclose(np.asarray(ratio.to("").magnitude), [1.0, 2.5, 10.0])


def test_dimensionless_quantities_become_arrays_without_warnings():
    import warnings

    import pint

    times = np.array([0.5, 1.5]) * jnsim.second
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        as_ms = np.asarray(times / jnsim.ms)
        ratio = np.asarray(5 * jnsim.mV / jnsim.volt)
    assert isinstance(as_ms, np.ndarray)
    np.testing.assert_allclose(as_ms, [500.0, 1500.0])
    assert float(ratio) == pytest.approx(0.005)
    # A quantity with a dimension still warns that its unit is dropped.
    with pytest.warns(pint.UnitStrippedWarning):
        np.asarray(times)


def test_molar_units_are_exact():
    from jnsim import mM, mmolar, molar

    assert to_si(1 * mmolar) == 1.0
    assert to_si(1 * mM) == 1.0
    assert to_si(1 * molar) == 1000.0


# -- unit specifications in equations (seed: "Subunits are not allowed") ----------

@pytest.mark.parametrize(("spec", "symbol"), [
    ("volt", "V"), ("amp", "A"), ("siemens", "S"), ("farad", "F"), ("ohm", "ohm"),
    ("second", "s"), ("Hz", "Hz"), ("hertz", "Hz"), ("1", "1"), ("metre", "m"),
    ("meter", "m"), ("farad/meter**2", "F/m^2"), ("siemens/meter**2", "S/m^2"),
    ("1/meter", "1/m"), ("amp/meter**2", "A/m^2"), ("volt/second", "V/s"),
    ("mmolar", "mM"), ("mM", "mM"), ("kilogram", "kg"), ("meter**-1", "1/m"),
    ("boolean", "boolean"), ("integer", "integer"), ("coulomb", "A*s"),
])
def test_valid_unit_specifications(spec, symbol):
    assert parse_unit_spec(spec).symbol == symbol


def test_special_units_have_their_kinds():
    assert parse_unit_spec("1").dtype == "float"
    assert parse_unit_spec("boolean").dtype == "boolean"
    assert parse_unit_spec("integer").dtype == "integer"
    for spec in ("1", "boolean", "integer"):
        assert not parse_unit_spec(spec).dims


@pytest.mark.parametrize(("spec", "base"), [
    ("mV", "volt"), ("mvolt", "volt"), ("nS", "siemens"), ("pF", "farad"), ("ms", "second"),
    ("um", "metre"), ("nA", "amp"), ("kHz", "1/second"), ("gram", "kilogram"),
])
def test_prefixed_units_are_rejected_with_the_base_unit(spec, base):
    raises_jnsim(lambda: parse_unit_spec(spec), UnitError,
                 f"'{spec}' is not a base unit", f"use '{base}'")


def test_molar_must_be_written_mmolar():
    for spec in ("molar", "uM", "umolar"):
        raises_jnsim(lambda spec=spec: parse_unit_spec(spec), UnitError,
                     "not a base unit", "use 'mmolar' (or 'mM')", "1000 mol/m**3")


@pytest.mark.parametrize(("spec", "fragment", "hint"), [
    ("bool", "'bool' is not a unit", "use 'boolean'"),
    ("int", "'int' is not a unit", "use 'integer'"),
    ("float", "'float' is not a unit", "use '1'"),
    ("voltt", "'voltt' is not a unit", "did you mean 'volt'?"),
    ("volt**0.5", "whole numbers", "meter**2"),
    ("volt + amp", "not a unit specification", "'farad/meter**2'"),
    ("2*volt", "not a unit specification", "base units"),
    ("volt(", "is not a unit specification", "write a unit"),
])
def test_bad_unit_specifications(spec, fragment, hint):
    raises_jnsim(lambda: parse_unit_spec(spec), UnitError, fragment, hint)


# -- display --------------------------------------------------------------------

def test_unit_words_for_error_messages():
    volt = dimensions_of(registry.volt)
    second = dimensions_of(registry.second)
    assert unit_words(volt) == "volt"
    assert unit_words(volt / second) == "volt/second"
    assert unit_words(second**-1) == "1/second"
    assert unit_words(dimensions_of(registry.siemens / registry.meter**2)) == "siemens/metre**2"
    assert unit_symbol(second**-1) == "Hz"


def test_format_quantity_prints_like_brian():
    from jnsim import Hz, kHz, ms, mV, nS, volt

    assert format_quantity(-65 * mV) == "-65. * mvolt"
    assert format_quantity(10 * ms) == "10. * msecond"
    assert format_quantity(0.5 * nS) == "500. * psiemens"
    assert format_quantity(2 * volt) == "2. * volt"
    assert format_quantity(5 * kHz) == "5. * khertz"
    assert format_quantity(20 * Hz) == "20. * hertz"
    assert format_quantity(2.5) == "2.5"


def test_quantity_from_si_round_trips():
    from jnsim import mV

    value = quantity_from_si(-0.065, dimensions_of(mV))
    assert value.to("mV").magnitude == pytest.approx(-65)


def test_simplest_unit_without_the_full_table_agrees_with_the_table():
    """A single display unit scoring below any product of two is taken without building
    the table of products (a tenth of a second on first display); both must agree."""
    from jnsim import units

    table = units._decompositions()
    assert len(table) > 5000
    shortcut = 0
    for key, factors in table.items():
        single = units._single_units().get(key)
        shortcut += single is not None and single[0] < units._LOWEST_PAIR_SCORE
        assert units._decompose(units.UnitsContainer(dict(key))) == factors, key
    assert shortcut > 50


def test_reading_times_and_voltages_needs_no_table_of_products():
    script = ("import jnsim\nfrom jnsim import units, ms, mV, nS, pA\n"
              "print([str(units.quantity_from_si(1e-3, units.dimensions_of(u)).units)"
              " for u in (ms, mV, nS, pA)])\n"
              "print(units._decompositions.cache_info().currsize)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split("\n")[:2] == ["['s', 'V', 'S', 'A']", "0"]


def test_pickled_quantities_unpickle_as_jnsims_in_a_fresh_process():
    # A Dask worker receives pickled quantities before it has imported jnsim; they must
    # come back in jnsim's registry (so that they combine with jnsim's units there).
    import pickle

    from jnsim import ms, mV

    payload = pickle.dumps({"v": -65 * mV, "taus": np.array([5.0, 10.0]) * ms})
    script = (
        "import pickle, sys\n"
        "values = pickle.loads(sys.stdin.buffer.read())\n"
        "from jnsim import mV, ms, Quantity\n"
        "v, taus = values['v'], values['taus']\n"
        "assert type(v) is type(1 * mV), type(v)\n"
        "print(float((v + 5 * mV) / mV), *[float(x) for x in taus / ms])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], input=payload, capture_output=True, check=True
    )
    assert out.stdout.decode().split() == ["-60.0", "5.0", "10.0"]
