"""jnsim: Jupyter-native spiking neural network modelling.

``from jnsim import *`` gives Brian 2's vocabulary: :class:`Equations`, the units
(``ms``, ``mV``, ``nS``, ``volt``, ``siemens``, ...) and the default constants.
"""

from . import units as _units
from ._version import __version__
from .equations import Equations
from .errors import (
    CodeError,
    EquationError,
    JnsimError,
    MethodError,
    NamespaceError,
    RunError,
    UnitError,
)
from .functions import DEFAULT_CONSTANTS as _CONSTANTS
from .units import Quantity, Unit

globals().update(_units.UNITS)
pi = _CONSTANTS["pi"]
e = _CONSTANTS["e"]
inf = _CONSTANTS["inf"]

__all__ = [
    "CodeError",
    "EquationError",
    "Equations",
    "JnsimError",
    "MethodError",
    "NamespaceError",
    "Quantity",
    "RunError",
    "Unit",
    "UnitError",
    "__version__",
    "e",
    "inf",
    "pi",
    *sorted(_units.UNITS),
]
