"""Physical units: one pint registry, Brian-style unit names, and unit strings.

Values live as pint quantities only at the API boundary; equation code works on
plain float64 numbers in SI base units.  The registry is created with
``auto_reduce_dimensions=True`` so that ``t/ms`` of an array of times is a plain
number array in milliseconds (without it pint keeps ``second/millisecond``).

Three unit vocabularies meet here:

* **names users type** (:data:`UNITS`): ``volt, mV, mvolt, nS, pF, ms, Hz, um2, mmolar, …``;
* **unit specifications in equations** (:func:`parse_unit_spec`): base units only
  (``volt`` not ``mV``), compounds (``farad/meter**2``), ``1``, ``boolean``, ``integer``;
* **display**: Brian's short symbols in printed equations (``V``, ``S``, ``Hz``, ``1``,
  :func:`unit_symbol`) and full names in error messages (``volt/second``,
  :func:`unit_words`).
"""

from __future__ import annotations

import ast
import functools
import itertools
import keyword
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pint
from pint.util import UnitsContainer

from ..errors import SourceSpan, UnitError

__all__ = [
    "DIMENSIONLESS",
    "UNITS",
    "Dimensions",
    "Quantity",
    "Unit",
    "UnitSpec",
    "dimensions_of",
    "format_quantity",
    "is_dimensionless",
    "multiply_dimensions",
    "parse_unit_spec",
    "power_dimensions",
    "quantity_from_si",
    "registry",
    "same_dimensions",
    "to_si",
    "unit_symbol",
    "unit_words",
]


class _JnsimQuantity(pint.UnitRegistry.Quantity):
    """pint's quantity, with Brian's conversions to plain numbers.

    ``numpy.asarray(mon.t/ms)`` (what plotting libraries call) is how users drop the
    unit on purpose; pint warns about any quantity turned into an array, which would
    flood notebooks. A quantity with a physical dimension still warns, and gives its
    values in SI base units, as ``float()`` does (Brian's quantities are arrays of SI
    values, and Brian scripts rely on ``float(tau)`` being seconds).
    """

    def __new__(cls, value: Any, units: Any = None, dtype: Any = None, copy: bool = False,
                dim: Any = None, force_quantity: bool = False) -> Any:
        # Brian's keywords: Quantity(arr, dim=None, dtype=None, copy=False,
        # force_quantity=False) (a quantity is always a quantity here)
        if dim is not None and units is None:
            if not isinstance(dim, UnitsContainer) or not all(
                    key in _BASE_UNIT_OF_DIMENSION for key in dim):
                raise UnitError(f"dim= takes dimensions, not {dim!r}",
                                hint="e.g. dim=get_dimensions(mV) or "
                                     "dim=get_or_create_dimension(time=1)")
            return quantity_from_si(np.asarray(value, dtype=dtype) if dtype is not None
                                    else value, dim)
        if isinstance(value, pint.UnitRegistry.Quantity):
            if units is None:
                value, units = value.magnitude, value.units  # shares the values, as in Brian
            elif copy or dtype is not None:
                value = value.m_as(units)
        if copy or dtype is not None:
            value = np.array(value, dtype=dtype, copy=True) if copy else np.asarray(
                value, dtype=dtype)
        # Integer arrays with a unit become float arrays, as Brian's quantities are:
        # otherwise ``spikes = [0, 50]*ms; spikes += 5*ms`` cannot add in place. Without
        # units they stay integers (``np.round(t/dt).astype(int)`` indexes arrays).
        if units and ((isinstance(value, np.ndarray) and value.dtype.kind in "iu") or (
                isinstance(value, list) and value and all(
                    isinstance(v, int) and not isinstance(v, bool) for v in value))):
            value = np.asarray(value, dtype=np.float64)
        return super().__new__(cls, value, units)

    def __reduce__(self) -> tuple[Any, ...]:
        # Unpickled through jnsim (importing it), so that a quantity sent to another
        # process (a Dask worker) is jnsim's there too, not pint's default registry's.
        return _unpickle_quantity, (self.magnitude, self._units)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if self.dimensionless:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", pint.UnitStrippedWarning)
                magnitude = self.to("dimensionless").magnitude
            if copy:
                return np.array(magnitude, dtype=dtype)
            return np.asarray(magnitude, dtype=dtype)
        # In SI base units, as Brian's quantities are arrays of SI values: an array
        # made from 5*mV holds 0.005 (pint would give 5, in the quantity's own unit).
        in_si = self.to_base_units()
        return pint.UnitRegistry.Quantity.__array__(in_si, dtype)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        result = super().__array_ufunc__(ufunc, method, *inputs, **kwargs)
        if result is not NotImplemented:
            return result
        # A ufunc pint does not know (scipy.special's ndtr, erfcx ...): dimensionless
        # quantities are plain numbers to it, as Brian's dimensionless arrays are.
        found: list[Any] = []
        plain = _as_plain(inputs, found)
        if found and all(value.dimensionless for value in found):
            return getattr(ufunc, method)(*plain, **kwargs)
        return NotImplemented

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        result = super().__array_function__(func, types, args, kwargs)
        if result is not NotImplemented:
            return result
        # A NumPy function pint does not take with these arguments (np.histogram of
        # t/ms with plain bins, np.bincount with weights): it gets plain numbers, as
        # from Brian's quantities; a quantity with units gives its SI values, with
        # pint's warning that the unit is dropped.
        found: list[Any] = []
        plain_args, plain_kwargs = _as_plain((args, kwargs), found)
        if not found:
            return NotImplemented
        if not all(value.dimensionless for value in found):
            warnings.warn(f"the units are dropped: numpy.{func.__name__} receives the "
                          "values in SI base units", pint.UnitStrippedWarning, stacklevel=3)
        return func(*plain_args, **plain_kwargs)

    def __getitem__(self, key: Any) -> Any:
        # indices computed from quantities (np.round(t/dt).astype(int)) index as numbers
        return super().__getitem__(_plain_index(key))

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(_plain_index(key), value)

    def __float__(self) -> float:
        # float(3*mV) is 0.003, as in Brian (pint refuses any dimensioned quantity)
        if self.dimensionless:
            return float(self.to("dimensionless").magnitude)
        return float(self.to_base_units().magnitude)

    def __int__(self) -> int:
        return int(float(self))


# Errors and reprs name the type: users know it as a Quantity.
_JnsimQuantity.__name__ = _JnsimQuantity.__qualname__ = "Quantity"


def _plain_index(key: Any) -> Any:
    """An index with its dimensionless quantities as plain arrays."""
    if isinstance(key, pint.Quantity) and key.dimensionless:
        return key.to("dimensionless").magnitude
    if isinstance(key, tuple):
        return tuple(_plain_index(part) for part in key)
    return key


def _as_plain(value: Any, found: list[Any]) -> Any:
    """``value`` with its quantities (collected in ``found``) as magnitudes in SI base
    units, looking into tuples, lists and dicts."""
    if isinstance(value, pint.Quantity):
        found.append(value)
        if value.dimensionless:
            return value.to("dimensionless").magnitude
        return value.to_base_units().magnitude
    if isinstance(value, tuple | list):
        return type(value)(_as_plain(item, found) for item in value)
    if isinstance(value, dict):
        return {key: _as_plain(item, found) for key, item in value.items()}
    return value


class _JnsimRegistry(pint.UnitRegistry):
    """pint's registry with :class:`_JnsimQuantity` as its quantity class."""

    Quantity = _JnsimQuantity


def _make_registry() -> pint.UnitRegistry:
    # pint's own cache of its parsed definition files (in the user cache directory)
    # makes the registry about ten times quicker to build; any trouble with it falls
    # back to parsing.
    try:
        ureg = _JnsimRegistry(auto_reduce_dimensions=True, on_redefinition="warn",
                              cache_folder=":auto:")
    except Exception:  # a damaged or unwritable cache is not fatal
        ureg = _JnsimRegistry(auto_reduce_dimensions=True, on_redefinition="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Exact decimal factors: pint's litre is decimetre**3, which makes
        # 1 mmolar come out as 0.9999999999999999 mol/m**3.
        ureg.define("liter = 1e-3 * meter ** 3 = l = L = litre")
        ureg.define("molar = mole / liter = M")
    ureg.formatter.default_format = "~P"
    return ureg


registry: pint.UnitRegistry = _make_registry()
pint.set_application_registry(registry)
Quantity = registry.Quantity
Unit = registry.Unit


def _unpickle_quantity(magnitude: Any, units: Any) -> Any:
    """A pickled quantity, rebuilt in jnsim's registry."""
    return registry.Quantity(magnitude, units)


#: The dimensions of a quantity, as pint's container of base dimensions.
Dimensions = UnitsContainer
DIMENSIONLESS: Dimensions = UnitsContainer()

# ---------------------------------------------------------------------------
# Names users type
# ---------------------------------------------------------------------------

_PREFIXES = ("y", "z", "a", "f", "p", "n", "u", "m", "c", "d", "da", "h", "k",
             "M", "G", "T", "P", "E", "Z", "Y")
# pint's names of the prefixes, which spell the canonical names of prefixed units.
_PREFIX_NAMES = {"y": "yocto", "z": "zepto", "a": "atto", "f": "femto", "p": "pico",
                 "n": "nano", "u": "micro", "m": "milli", "c": "centi", "d": "deci",
                 "da": "deca", "h": "hecto", "k": "kilo", "M": "mega", "G": "giga",
                 "T": "tera", "P": "peta", "E": "exa", "Z": "zetta", "Y": "yotta"}
_PREFIX_FACTORS = {"y": -24, "z": -21, "a": -18, "f": -15, "p": -12, "n": -9, "u": -6,
                   "m": -3, "c": -2, "d": -1, "da": 1, "h": 2, "k": 3, "M": 6, "G": 9,
                   "T": 12, "P": 15, "E": 18, "Z": 21, "Y": 24}

# Full unit names that take every prefix (Brian spells e.g. 'mvolt', 'umetre', 'kgram').
_FULL_NAMES = {
    "metre": "meter", "meter": "meter", "second": "second", "amp": "ampere",
    "ampere": "ampere", "kelvin": "kelvin", "mole": "mole", "mol": "mole",
    "candle": "candela", "gram": "gram", "volt": "volt", "farad": "farad",
    "siemens": "siemens", "ohm": "ohm", "hertz": "hertz", "coulomb": "coulomb",
    "joule": "joule", "watt": "watt", "newton": "newton", "pascal": "pascal",
    "tesla": "tesla", "weber": "weber", "henry": "henry", "gray": "gray",
    "sievert": "sievert", "becquerel": "becquerel", "katal": "katal",
    "lumen": "lumen", "lux": "lux", "radian": "radian", "steradian": "steradian",
    "molar": "molar", "liter": "liter", "litre": "liter",
}
# Short symbols that users combine with common prefixes ('mV', 'nS', 'ms', 'um', 'mM').
_SYMBOLS = {"V": "volt", "A": "ampere", "S": "siemens", "F": "farad", "s": "second",
            "m": "meter", "g": "gram", "M": "molar", "Hz": "hertz", "mol": "mole",
            "l": "liter", "ohm": "ohm", "C": "coulomb", "J": "joule", "W": "watt",
            "N": "newton", "Pa": "pascal", "T": "tesla", "Wb": "weber", "H": "henry"}
_SYMBOL_PREFIXES = ("f", "p", "n", "u", "m", "c", "k", "M", "G")
_UNPREFIXED_SYMBOLS = ("Hz", "mol", "ohm", "Pa", "Wb")
_LENGTH_NAMES = ("metre", "meter", "m")


def _build_unit_table() -> dict[str, Any]:
    table: dict[str, Any] = {}

    def add(name: str, canonical: str, power: int = 1) -> None:
        if keyword.iskeyword(name) or name in table:
            return
        # The unit from pint's canonical name, spelt here rather than looked up: about a
        # thousand units are made at import, and pint's name parsing would take most of
        # the time (tests check every name against pint's look-up).
        table[name] = registry.Unit(UnitsContainer({canonical: power}))

    for name, pint_name in _FULL_NAMES.items():
        add(name, pint_name)
        for prefix in _PREFIXES:
            add(prefix + name, _PREFIX_NAMES[prefix] + pint_name)
    for symbol, pint_name in _SYMBOLS.items():
        if symbol in _UNPREFIXED_SYMBOLS:
            add(symbol, pint_name)
        for prefix in _SYMBOL_PREFIXES:
            if prefix == "c" and symbol != "m":
                continue
            add(prefix + symbol, _PREFIX_NAMES[prefix] + pint_name)
    add("kilogram", "kilogram")
    # Squared and cubed lengths: metre2, cm2, um3, ...
    for name in list(table):
        base = next((n for n in _LENGTH_NAMES if name.endswith(n)), None)
        if base is not None and name[: -len(base)] in ("", *_PREFIXES):
            if name == "m":
                continue
            for power in (2, 3):
                add(f"{name}{power}", next(iter(table[name]._units)), power)
    return table


#: Every unit name jnsim exports, mapped to its pint unit (``UNITS['mV']``).
UNITS: dict[str, Any] = _build_unit_table()
globals().update(UNITS)
#: ``from jnsim.units import *`` gives what ``from brian2.units import *`` gives: the
#: units and Brian's unit helpers (the module's other functions are imported by name).
_INTERNAL_NAMES = __all__
__all__ = ["Quantity", "Unit", *sorted(UNITS), "DimensionMismatchError", "check_units",
           "get_dimensions", "get_or_create_dimension", "have_same_dimensions"]


def __getattr__(name: str) -> Any:
    """Brian's unit helpers, from :mod:`jnsim.units.checks` (imported on first use)."""
    if name in ("DimensionMismatchError", "check_units", "get_dimensions",
                "get_or_create_dimension", "have_same_dimensions"):
        from . import checks

        return getattr(checks, name)
    raise AttributeError(f"module 'jnsim.units' has no attribute '{name}'")

# ---------------------------------------------------------------------------
# Converting values
# ---------------------------------------------------------------------------


def dimensions_of(value: Any) -> Dimensions:
    """The physical dimensions of a quantity, unit or plain number."""
    if isinstance(value, registry.Quantity | registry.Unit):
        return UnitsContainer(value.dimensionality)
    return DIMENSIONLESS


def quantity_from_sequence(value: Any) -> Any:
    """A (nested) list or tuple holding quantities as one quantity array in SI units,
    as Brian reads ``[I_e, 0*uA]`` or ``[[1*mV, 2*mV], [3*mV, 4*mV]]``; anything else is
    returned unchanged.

    Raises
    ------
    UnitError
        If the quantities in the sequence have different dimensions.
    """
    if not isinstance(value, list | tuple):
        return value
    leaves: list[Any] = []

    def gather(item: Any) -> None:
        if isinstance(item, list | tuple):
            for element in item:
                gather(element)
        else:
            leaves.append(item)

    gather(value)
    quantities = [leaf for leaf in leaves if isinstance(leaf, registry.Quantity)]
    if not quantities:
        return value
    dims = {UnitsContainer(q.dimensionality) for q in quantities}
    plain = [leaf for leaf in leaves if not isinstance(leaf, registry.Quantity)]
    if len(dims) > 1 or any(np.any(np.asarray(leaf) != 0) for leaf in plain):
        described = sorted({unit_words(d) for d in dims} | ({"1"} if plain else set()))
        raise UnitError("the values in the list have different units: "
                        + ", ".join(described),
                        hint="give every value the same kind of unit, or write "
                             "np.array([...])*unit")

    def in_si(item: Any) -> Any:
        if isinstance(item, list | tuple):
            return [in_si(element) for element in item]
        return to_si(item)

    (only,) = dims
    return registry.Quantity(np.array(in_si(value), dtype=float), si_unit(only))


def is_dimensionless(dims: Dimensions) -> bool:
    """True when ``dims`` has no physical dimension."""
    return not any(abs(power) > 1e-12 for power in dims.values())


def to_si(value: Any) -> Any:
    """The magnitude of ``value`` in SI base units (plain numbers pass through)."""
    if isinstance(value, registry.Unit):
        value = registry.Quantity(1.0, value)
    if isinstance(value, registry.Quantity):
        return value.to_base_units().magnitude
    return value


_BASE_UNIT_OF_DIMENSION = {
    "[length]": "meter", "[mass]": "kilogram", "[time]": "second", "[current]": "ampere",
    "[temperature]": "kelvin", "[substance]": "mole", "[luminosity]": "candela",
}


def si_unit(dims: Dimensions) -> Any:
    """The coherent SI unit (product of base units) with dimensions ``dims``."""
    unit = registry.Unit("")
    for dimension, power in dims.items():
        unit = unit * registry.Unit(_BASE_UNIT_OF_DIMENSION[dimension]) ** power
    return unit


def quantity_from_si(magnitude: Any, dims: Dimensions, share: bool = False) -> Any:
    """A quantity for a magnitude given in SI base units, shown in a readable unit.

    With ``share``, the quantity's magnitude is ``magnitude`` itself wherever the
    readable unit is a coherent SI unit (volt, second, siemens/metre**2, ...: the same
    numbers), so that writing into the quantity writes into ``magnitude`` (Brian's
    ``G.v[:][mask] = x``); otherwise it is a converted copy.
    """
    if is_dimensionless(dims):
        return registry.Quantity(magnitude, "")
    named = _best_named_unit(dims)
    if named is not None and share and _coherent(named):
        return registry.Quantity(magnitude, named)
    quantity = registry.Quantity(magnitude, si_unit(dims))
    return quantity.to(named) if named is not None else quantity


@functools.lru_cache(maxsize=256)
def _coherent(unit: Any) -> bool:
    """Whether ``unit`` is its dimensions' SI unit times exactly 1."""
    return bool(registry.Quantity(1.0, unit).to_base_units().magnitude == 1.0)


# ---------------------------------------------------------------------------
# Displaying dimensions
# ---------------------------------------------------------------------------

# (full name, Brian symbol, pint unit, weight) for display. The weight makes everyday
# units win over exotic ones: 'amp/metre**2' rather than 'tesla/henry'.
_DISPLAY_UNITS: tuple[tuple[str, str, str, float], ...] = (
    ("second", "s", "second", 0.0), ("volt", "V", "volt", 0.1), ("amp", "A", "ampere", 0.2),
    ("metre", "m", "meter", 0.2), ("siemens", "S", "siemens", 0.3),
    ("farad", "F", "farad", 0.4), ("mmolar", "mM", "millimolar", 0.3),
    ("ohm", "ohm", "ohm", 0.5), ("kilogram", "kg", "kilogram", 0.6),
    ("mole", "mol", "mole", 0.6), ("kelvin", "K", "kelvin", 0.6),
    ("candela", "cd", "candela", 0.9), ("coulomb", "C", "coulomb", 1.5),
    ("joule", "J", "joule", 1.5), ("watt", "W", "watt", 1.5), ("newton", "N", "newton", 1.5),
    ("pascal", "Pa", "pascal", 1.5), ("tesla", "T", "tesla", 1.5),
    ("weber", "Wb", "weber", 1.5), ("henry", "H", "henry", 1.5),
)
_HERTZ = UnitsContainer({"[time]": -1})


@functools.lru_cache(maxsize=1)
def _display_dims() -> tuple[Dimensions, ...]:
    return tuple(UnitsContainer(registry.Unit(u[2]).dimensionality) for u in _DISPLAY_UNITS)


def power_dimensions(dims: Dimensions, power: float) -> Dimensions:
    """``dims`` raised to ``power``."""
    return UnitsContainer({k: v * power for k, v in dims.items() if abs(v * power) > 1e-12})


def same_dimensions(a: Dimensions, b: Dimensions) -> bool:
    """True when ``a`` and ``b`` are the same physical dimension."""
    keys = set(a) | set(b)
    return all(abs(a.get(k, 0) - b.get(k, 0)) < 1e-9 for k in keys)


def _dims_key(dims: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
    """A hashable, rounding-tolerant key of dimensions (powers to 1e-9)."""
    return tuple(sorted((k, round(float(v), 9)) for k, v in dims.items()
                        if abs(v) > 1e-12))


_DimsKey = tuple[tuple[str, float], ...]
_Factors = tuple[tuple[int, float], ...]
_POWERS = (1, -1, 2, -2, 3, -3, 4, -4)
#: The lowest score of a product of two display units: a single unit scoring below it
#: is the simplest form of its dimensions.
_LOWEST_PAIR_SCORE = 2 + sum(sorted(u[3] for u in _DISPLAY_UNITS)[:2])


def _offer(best: dict[_DimsKey, tuple[float, _Factors]], dims: Mapping[str, float],
           score: float, factors: _Factors) -> None:
    key = _dims_key(dims)
    if key not in best or score < best[key][0]:
        best[key] = (score, factors)


@functools.lru_cache(maxsize=1)
def _single_units() -> dict[_DimsKey, tuple[float, _Factors]]:
    """Powers of one display unit: ``{dimensions: (score, ((unit index, power),))}``."""
    best: dict[_DimsKey, tuple[float, _Factors]] = {}
    for index, unit_dims in enumerate(_display_dims()):
        for power in (*_POWERS, 0.5, -0.5):
            _offer(best, {k: v * power for k, v in unit_dims.items()},
                   abs(power) + _DISPLAY_UNITS[index][3] + (0.3 if power < 0 else 0),
                   ((index, power),))
    return best


@functools.lru_cache(maxsize=1)
def _decompositions() -> dict[_DimsKey, _Factors]:
    """Every product of at most two display units with small powers, simplest first.

    Built once (about 12,000 products, plain dictionaries, a tenth of a second): maps
    the dimensions of a product to its simplest form ``((unit index, power), ...)``.
    """
    units = [dict(d) for d in _display_dims()]
    best = dict(_single_units())
    for (i, a), (j, b) in itertools.combinations(enumerate(units), 2):
        for p, q in itertools.product(_POWERS, repeat=2):
            product = {k: a.get(k, 0) * p + b.get(k, 0) * q for k in set(a) | set(b)}
            score = (abs(p) + abs(q) + _DISPLAY_UNITS[i][3] + _DISPLAY_UNITS[j][3]
                     + (0.5 if p < 0 and q < 0 else 0))
            _offer(best, product, score, tuple(sorted(
                ((i, p), (j, q)), key=lambda f: (f[1] < 0, -_DISPLAY_UNITS[f[0]][3]))))
    return {key: factors for key, (_, factors) in best.items()}


def _decompose(dims: Dimensions) -> tuple[tuple[int, float], ...] | None:
    """Write ``dims`` as a product of at most two display units with small powers.

    Returns ``((unit index, power), ...)`` for the simplest such product, or
    ``None`` if there is none.
    """
    key = _dims_key(dims)
    single = _single_units().get(key)
    if single is not None and single[0] < _LOWEST_PAIR_SCORE:
        return single[1]  # no product of two units can be simpler: the table is not needed
    return _decompositions().get(key)


def multiply_dimensions(a: Dimensions, b: Dimensions, sign: int = 1) -> Dimensions:
    """``a * b`` (or ``a / b`` with ``sign=-1``)."""
    keys = set(a) | set(b)
    return UnitsContainer({k: a.get(k, 0) + sign * b.get(k, 0) for k in keys
                           if abs(a.get(k, 0) + sign * b.get(k, 0)) > 1e-12})


def _format_power(power: float) -> str:
    return str(int(power)) if float(power).is_integer() else repr(float(power))


def _format_product(factors: list[tuple[str, float]], power_op: str) -> str:
    numerator = [(n, p) for n, p in factors if p > 0]
    denominator = [(n, -p) for n, p in factors if p < 0]

    def term(name: str, power: float) -> str:
        return name if power == 1 else f"{name}{power_op}{_format_power(power)}"

    top = "*".join(term(n, p) for n, p in numerator) or "1"
    if not denominator:
        return top
    bottom = "*".join(term(n, p) for n, p in denominator)
    if len(denominator) > 1:
        bottom = f"({bottom})"
    return f"{top}/{bottom}"


def _base_factors(dims: Dimensions, symbols: bool) -> list[tuple[str, float]]:
    names = {"[length]": ("metre", "m"), "[mass]": ("kilogram", "kg"),
             "[time]": ("second", "s"), "[current]": ("amp", "A"),
             "[temperature]": ("kelvin", "K"), "[substance]": ("mole", "mol"),
             "[luminosity]": ("candela", "cd")}
    order = list(names)
    return [(names[k][1 if symbols else 0], v) for k, v in
            sorted(dims.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
            if abs(v) > 1e-12]


def _describe(dims: Dimensions, symbols: bool) -> str:
    if is_dimensionless(dims):
        return "1"
    if symbols and same_dimensions(dims, _HERTZ):
        return "Hz"
    found = _decompose(UnitsContainer(dims))
    if found is None:
        factors = _base_factors(dims, symbols)
    else:
        factors = [(_DISPLAY_UNITS[i][1 if symbols else 0], p) for i, p in found]
    return _format_product(factors, "^" if symbols else "**")


def unit_symbol(dims: Dimensions) -> str:
    """Brian's short display of a unit: ``V``, ``S``, ``Hz``, ``F/m^2``, ``1``."""
    return _describe(dims, symbols=True)


def unit_words(dims: Dimensions) -> str:
    """A unit in the words users write: ``volt/second``, ``siemens/metre**2``, ``1``."""
    return _describe(dims, symbols=False)


def _best_named_unit(dims: Dimensions) -> Any | None:
    found = _decompose(UnitsContainer(dims))
    if found is None:
        return None
    unit = registry.Unit("")
    for index, power in found:
        unit = unit * registry.Unit(_DISPLAY_UNITS[index][2]) ** power
    return unit


# ---------------------------------------------------------------------------
# Printing quantities the way Brian does: "-65. * mvolt"
# ---------------------------------------------------------------------------


def _format_float(value: float) -> str:
    if value == 0 or 1e-4 <= abs(value) < 1e16:
        return np.format_float_positional(value)
    return np.format_float_scientific(value, trim="-")


def format_quantity(value: Any) -> str:
    """Brian-style representation of a scalar: ``-65. * mvolt``, ``10. * msecond``.

    The value is shown in the prefixed unit that puts the mantissa in [1, 1000).
    """
    dims = dimensions_of(value)
    magnitude = float(to_si(value))
    if is_dimensionless(dims):
        return _format_float(magnitude)
    named = _decompose(UnitsContainer(dims))
    if same_dimensions(dims, _HERTZ):
        full_name = "hertz"
    elif named is None or len(named) != 1 or named[0][1] != 1:
        return f"{_format_float(magnitude)} * {unit_words(dims)}"
    else:
        full_name = _DISPLAY_UNITS[named[0][0]][0]
    if full_name in ("kilogram", "mmolar"):
        return f"{_format_float(magnitude)} * {full_name}"
    exponent = 0 if magnitude == 0 else int(math.floor(math.log10(abs(magnitude)) / 3) * 3)
    exponent = max(-24, min(24, exponent))
    prefix = next((p for p, e in _PREFIX_FACTORS.items() if e == exponent and len(p) == 1), "")
    mantissa = magnitude / 10.0**exponent
    rounded = float(f"{mantissa:.15g}")
    return f"{_format_float(rounded)} * {prefix}{full_name}"


# ---------------------------------------------------------------------------
# Unit specifications in equations
# ---------------------------------------------------------------------------

FLOAT, INTEGER, BOOLEAN = "float", "integer", "boolean"


@dataclass(frozen=True)
class UnitSpec:
    """The unit part of an equation line (after the colon).

    Attributes
    ----------
    text
        The specification as written (``'volt'``, ``'farad/meter**2'``, ``'1'``).
    dims
        Its physical dimensions.
    dtype
        ``'float'``, ``'integer'`` or ``'boolean'``.
    """

    text: str
    dims: Dimensions
    dtype: str = FLOAT

    @property
    def symbol(self) -> str:
        """Brian's short display (``V``, ``S``, ``1``, ``boolean``, ``integer``)."""
        if self.dtype != FLOAT:
            return self.dtype
        return unit_symbol(self.dims)

    def __repr__(self) -> str:
        return f"UnitSpec({self.text!r}, {self.symbol})"


_SPEC_HINTS = {
    "bool": "use 'boolean' for a true/false variable",
    "int": "use 'integer' for an integer variable",
    "float": "use '1' for a dimensionless floating point variable",
    "dimensionless": "use '1' for a dimensionless variable",
    "": "use '1' for a dimensionless variable",
}


def _scale_of(unit: Any) -> float:
    return float(registry.Quantity(1.0, unit).to_base_units().magnitude)


def parse_unit_spec(text: str, span: SourceSpan | None = None) -> UnitSpec:
    """Parse the unit specification of an equation.

    Parameters
    ----------
    text
        What follows the colon, e.g. ``'volt'``, ``'siemens/meter**2'``, ``'1'``,
        ``'boolean'``, ``'integer'``.
    span
        Where ``text`` sits in the equation string, for error messages.

    Raises
    ------
    UnitError
        For prefixed units (``mV``: "use 'volt'"), unknown names, ``bool`` and
        anything that is not a product of powers of base units.
    """
    stripped = text.strip()
    if stripped == "1":
        return UnitSpec("1", DIMENSIONLESS)
    if stripped in (BOOLEAN, INTEGER):
        return UnitSpec(stripped, DIMENSIONLESS, stripped)
    if stripped in _SPEC_HINTS:
        raise UnitError(f"'{stripped}' is not a unit specification" if stripped
                        else "missing unit after ':'", span, _SPEC_HINTS[stripped])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(stripped, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise UnitError(f"'{stripped}' is not a unit specification", span,
                        "write a unit such as 'volt', 'siemens/meter**2' or '1', followed "
                        "by flags in parentheses if any") from None
    dims = _spec_dims(tree.body, stripped, span)
    return UnitSpec(stripped, dims)


def _spec_error(message: str, span: SourceSpan | None, hint: str) -> UnitError:
    return UnitError(message, span, hint)


def _spec_dims(node: ast.AST, text: str, span: SourceSpan | None) -> Dimensions:
    if isinstance(node, ast.Name):
        return _spec_name_dims(node.id, span)
    if isinstance(node, ast.Constant) and node.value == 1 and not isinstance(node.value, bool):
        return DIMENSIONLESS
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
        left = _spec_dims(node.left, text, span)
        right = _spec_dims(node.right, text, span)
        return multiply_dimensions(left, right, -1 if isinstance(node.op, ast.Div) else 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exponent = _spec_exponent(node.right)
        if exponent is None:
            raise _spec_error(f"unit powers must be whole numbers, not '{ast.unparse(node.right)}'",
                              span, "write e.g. 'meter**2' or '1/meter'")
        return power_dimensions(_spec_dims(node.left, text, span), exponent)
    raise _spec_error(f"'{text}' is not a unit specification", span,
                      "units are base units combined with '*', '/' and '**', e.g. "
                      "'farad/meter**2', or '1', 'boolean', 'integer'")


def _spec_exponent(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _spec_exponent(node.operand)
        if inner is not None:
            return -inner if isinstance(node.op, ast.USub) else inner
    return None


#: Prefixes rarely used in models: units with them are suggested last.
_RARE_PREFIXES = ("da", "y", "z", "a", "f", "c", "d", "h", "G", "T", "P", "E", "Z", "Y")


def suggest_unit(name: str) -> str | None:
    """The unit a misspelt ``name`` most likely means, or ``None`` if none is close.

    Units are ranked by edit distance (a swap of two neighbouring letters counts
    as one edit, so ``'apm'`` is one edit from ``'amp'``), then base units before
    prefixed ones (equations use base units), then commonly used prefixes (``m``,
    ``u``, ``n``, ``p``, ``k``, ``M``) before rare ones (``'pm'`` is also one edit
    from ``'apm'``, but ``'amp'`` is suggested).
    """
    limit = 1 if len(name) <= 4 else 2
    close = [(distance, unit) for unit in UNITS
             if (distance := _edit_distance(name, unit)) <= limit]
    ranked = sorted((distance, *_commonness(unit), unit) for distance, unit in close)
    return ranked[0][-1] if ranked else None


@functools.cache
def _commonness(unit: str) -> tuple[int, int]:
    """``(0 for a base unit, 0 for a common prefix)``: smaller is more common."""
    base = 0 if math.isclose(_scale_of(UNITS[unit]), 1.0, rel_tol=1e-9) else 1
    rare = int(any(unit.startswith(p) and unit[len(p):] in UNITS for p in _RARE_PREFIXES))
    return base, rare


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance where swapping two neighbouring characters is one edit."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _spec_name_dims(name: str, span: SourceSpan | None) -> Dimensions:
    if name in _SPEC_HINTS:
        raise _spec_error(f"'{name}' is not a unit", span, _SPEC_HINTS[name])
    unit = UNITS.get(name)
    if unit is None:
        close = suggest_unit(name)
        hint = f"did you mean '{close}'?" if close else "write a unit such as 'volt' or '1'"
        raise _spec_error(f"'{name}' is not a unit", span, hint)
    dims = UnitsContainer(unit.dimensionality)
    scale = _scale_of(unit)
    if not math.isclose(scale, 1.0, rel_tol=1e-9):
        base = unit_words(dims)
        if dims == UnitsContainer(registry.Unit("molar").dimensionality):
            hint = ("use 'mmolar' (or 'mM'): 1 mmolar is 1 mol/m**3, the SI base, whereas "
                    "1 molar is 1000 mol/m**3")
        else:
            hint = (f"use '{base}': state variables are always stored in base units, "
                    f"so the unit of an equation must have no prefix")
        raise _spec_error(f"'{name}' is not a base unit", span, hint)
    return dims
