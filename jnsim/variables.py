"""State storage of groups and synapses, and the views users read and write.

Each variable is one NumPy array in SI base units (float64, int64 or bool);
shared variables have length one.  ``G.v`` returns a :class:`VariableView`
that reads as a quantity and accepts quantities, arrays and string
expressions on assignment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import JnsimError, UnitError
from .units import (
    Dimensions,
    dimensions_of,
    quantity_from_sequence,
    quantity_from_si,
    same_dimensions,
    to_si,
    unit_words,
)

__all__ = ["VariableSpec", "VariableView", "convert_value", "example_value"]

_NUMPY_TYPES = {"float": np.float64, "integer": np.int64, "boolean": np.bool_}


@dataclass(frozen=True)
class VariableSpec:
    """How a variable is stored.

    Attributes
    ----------
    name
        The variable's name.
    dims
        Its dimensions.
    dtype
        ``'float'``, ``'integer'`` or ``'boolean'``.
    shared
        One value for the whole group.
    read_only
        Users may not assign it (``i``, ``lastspike``, subexpressions).
    """

    name: str
    dims: Dimensions
    dtype: str = "float"
    shared: bool = False
    read_only: bool = False

    @property
    def numpy_type(self) -> type:
        """The NumPy scalar type of the array."""
        return _NUMPY_TYPES[self.dtype]


#: A unit users commonly write, by the words of its dimensions (for examples in hints).
_EXAMPLE_UNITS = {"volt": "mV", "second": "ms", "siemens": "nS", "amp": "nA", "farad": "pF",
                  "1/second": "Hz", "ohm": "Mohm", "metre": "um", "volt/second": "mV/ms"}


def example_value(dims: Dimensions) -> str:
    """A value with units ``dims`` as a user would write it: ``5*mV``, ``5*ms``."""
    words = unit_words(dims)
    unit = _EXAMPLE_UNITS.get(words, words)
    if unit.startswith("1/"):
        return f"5/{unit[2:]}"
    return f"5*{unit}"  # 5*siemens/metre**2 reads as (5*siemens)/metre**2, as meant


def convert_value(spec: VariableSpec, value: Any, owner: str,
                  written: Callable[[], str] | None = None) -> np.ndarray:
    """``value`` (quantity, array or number) as a plain array in SI units for ``spec``.

    ``written`` gives how the user writes the assignment's target (``G.v``), for hints
    (called only when there is an error).

    Raises
    ------
    UnitError
        If the value's units do not match the variable's.
    """
    if isinstance(value, VariableView):
        value = value.quantity
    value = quantity_from_sequence(value)  # G.I = [I_e, 0*uA]
    dims = dimensions_of(value)
    if _is_plain_zero(value):
        dims = spec.dims  # a plain 0 is zero in any unit, as in Brian
    if not same_dimensions(dims, spec.dims):
        expected = unit_words(spec.dims)
        given = unit_words(dims)
        target = written() if written is not None else f"{owner}.{spec.name}"
        hint = (f"give it units, e.g. {target} = {example_value(spec.dims)}" if given == "1"
                else f"use a value with units of {expected}")
        if expected == "1":
            hint = "use a plain number"
        raise UnitError(
            f"cannot set '{spec.name}' of {owner} to a value with "
            f"{'no units' if given == '1' else 'units of ' + given}: it has "
            f"{'no units' if expected == '1' else 'units of ' + expected}", hint=hint)
    magnitude = to_si(value)
    array = np.asarray(magnitude)
    if array.dtype == object:
        raise JnsimError(f"cannot set '{spec.name}' of {owner} to {value!r}",
                         hint="use numbers, arrays or quantities")
    return array.astype(spec.numpy_type, copy=False)


def _is_plain_zero(value: Any) -> bool:
    """Whether ``value`` is the number 0 without units (``G.w = 0``)."""
    return (isinstance(value, int | float | np.integer | np.floating)
            and not isinstance(value, bool) and value == 0)


class VariableView:
    """A view on one variable of a group, optionally restricted to some indices.

    Reading gives a quantity (``G.v[:5]``, ``G.v / mV``, ``np.mean(G.v)``);
    assigning accepts quantities, arrays, numbers with the right units, and
    string expressions (``G.v = 'El + rand()*5*mV'``).
    """

    def __init__(self, owner: Any, spec: VariableSpec, array_getter: Callable[[], np.ndarray],
                 index: Any = slice(None)) -> None:
        self._owner = owner
        self._spec = spec
        self._array_getter = array_getter
        self._index = index

    # -- reading ----------------------------------------------------------------
    @property
    def values_si(self) -> np.ndarray:
        """The values as a plain array in SI units (a copy)."""
        array = self._array_getter()
        if self._spec.shared:
            return array.copy()[0] if np.ndim(array) else array
        return array[self._index].copy()

    @property
    def quantity(self) -> Any:
        """The values as a quantity."""
        values = self.values_si
        if self._spec.dtype != "float":
            return values  # indices and flags are plain integers and booleans (as in Brian)
        return quantity_from_si(values, self._spec.dims)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, str):
            item = self._owner.indices_where(item)
        elif isinstance(item, tuple) and hasattr(self._owner, "synapse_indices"):
            item = self._owner.synapse_indices(item)  # S.w[i, j] as in Brian
        array = self._array_getter()
        if self._spec.shared:
            return quantity_from_si(array[0], self._spec.dims)
        values = array[self._index][item]
        # G.v[:] of a whole group is a view, as in Brian: G.v[:][G.v < 0] = 0 writes
        # through (any other index gives a copy, as in Brian)
        whole = (isinstance(item, slice) and item == slice(None)
                 and np.ndim(values) == 1 and values.size == np.size(array)
                 and np.may_share_memory(values, array))
        if not whole:
            values = values.copy()
        if self._spec.dtype != "float":
            return values
        return quantity_from_si(values, self._spec.dims, share=whole)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        values = np.asarray(self.values_si)
        return values.astype(dtype) if dtype is not None else values

    def __len__(self) -> int:
        return int(np.size(self.values_si))

    def __iter__(self) -> Any:
        return iter(self.quantity)

    def __repr__(self) -> str:
        return f"<{self._owner.name}.{self._spec.name}: {self.quantity!r}>"

    def __str__(self) -> str:
        return str(self.quantity)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.quantity, name)

    # -- arithmetic through the quantity ---------------------------------------
    def _binary(name: str) -> Callable[..., Any]:  # type: ignore[misc]
        def method(self: VariableView, other: Any) -> Any:
            if isinstance(other, VariableView):
                other = other.quantity
            return getattr(self.quantity, name)(other)

        method.__name__ = name
        return method

    __add__, __radd__ = _binary("__add__"), _binary("__radd__")
    __sub__, __rsub__ = _binary("__sub__"), _binary("__rsub__")
    __mul__, __rmul__ = _binary("__mul__"), _binary("__rmul__")
    __truediv__, __rtruediv__ = _binary("__truediv__"), _binary("__rtruediv__")
    __pow__ = _binary("__pow__")
    __lt__, __le__ = _binary("__lt__"), _binary("__le__")
    __gt__, __ge__ = _binary("__gt__"), _binary("__ge__")
    __eq__, __ne__ = _binary("__eq__"), _binary("__ne__")  # type: ignore[assignment]

    def __hash__(self) -> int:
        # a view names a variable: Brian scripts use it as a key, as in
        # ``device.run(run_args={G.v: values})`` (comparisons stay element-wise)
        return hash((id(self._owner), self._spec.name))

    @property
    def variable_target(self) -> tuple[Any, str]:
        """The object and the name of the variable this view shows."""
        return self._owner, self._spec.name

    def __neg__(self) -> Any:
        return -self.quantity

    # -- writing ------------------------------------------------------------------
    def __setitem__(self, item: Any, value: Any) -> None:
        self._owner.set_variable(self._spec.name, value, self._combined_index(item))

    def _combined_index(self, item: Any) -> Any:
        if isinstance(item, str):
            item = self._owner.indices_where(item)
        elif isinstance(item, tuple) and hasattr(self._owner, "synapse_indices"):
            item = self._owner.synapse_indices(item)
        base = np.arange(self._owner.variable_size(self._spec.name))[self._index]
        return base[item]
