"""Numerical integration ("state updaters") as a pure SymPy stage.

``integrate(ODESystem) -> StateUpdate`` turns differential equations into the
ordered assignments that advance the state by one step ``dt``.  See
:mod:`jnsim.integration.methods` for what each method accepts.
"""

from .linear import is_linear_system
from .methods import METHODS, can_integrate, default_method, integrate
from .system import ODESystem, StateUpdate

__all__ = [
    "METHODS",
    "ODESystem",
    "StateUpdate",
    "can_integrate",
    "default_method",
    "integrate",
    "is_linear_system",
]
