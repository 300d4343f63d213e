"""Functions Brian scripts import from ``brian2.core.functions``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..evaluate import _timestep
from ..units import to_si

__all__ = ["timestep"]


def timestep(t: Any, dt: Any) -> Any:
    """The index of the time step that time ``t`` (a quantity or an array of them)
    falls in, for steps of ``dt``, computed as ``timestep(t, dt)`` in equations is."""
    return _timestep(np.asarray(to_si(t), dtype=float), float(to_si(dt)))
