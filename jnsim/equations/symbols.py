"""Special symbols of the equation language and the names a model may not define."""

from __future__ import annotations

import keyword

from ..errors import EquationError, SourceSpan
from ..functions import DEFAULT_CONSTANTS, DEFAULT_FUNCTIONS
from ..units import UNITS

__all__ = ["SPECIAL_SYMBOLS", "check_defined_name", "is_noise_name"]

#: Symbols with a fixed meaning, and what they mean (for errors and reports).
SPECIAL_SYMBOLS: dict[str, str] = {
    "t": "the current time",
    "dt": "the time step",
    "t_in_timesteps": "the current time in time steps",
    "xi": "white noise",
    "i": "the index of a neuron, or of the pre-synaptic neuron of a synapse",
    "j": "the index of the post-synaptic neuron of a synapse",
    "N": "the number of neurons or synapses",
    "N_pre": "the number of pre-synaptic neurons",
    "N_post": "the number of post-synaptic neurons",
    "N_incoming": "the number of synapses onto a post-synaptic neuron",
    "N_outgoing": "the number of synapses from a pre-synaptic neuron",
    "lastspike": "the time of the last spike",
    "lastupdate": "the time of the last update of event-driven variables",
    "not_refractory": "whether the neuron is outside its refractory period",
}


def is_noise_name(name: str) -> bool:
    """True for ``xi`` and ``xi_<suffix>``."""
    return name == "xi" or (name.startswith("xi_") and len(name) > 3)


def check_defined_name(name: str, span: SourceSpan | None = None, summed: bool = False) -> None:
    """Raise if ``name`` cannot be the name of a model variable.

    Raises
    ------
    EquationError
        For names with a leading underscore, ``_pre``/``_post`` suffixes (allowed only
        for summed variables, which name a variable of another group), special
        symbols, noise names, unit, function and constant names, and Python keywords.
    """
    rename = f"choose another name, e.g. '{name.strip('_')}_var'" if name.strip("_") else (
        "choose another name")
    if name.startswith("_"):
        raise EquationError(f"'{name}' starts with an underscore, which is reserved for jnsim",
                            span, "choose a name without the leading underscore")
    if summed and name.endswith(("_pre", "_post")) and name not in ("_pre", "_post"):
        return
    if name.endswith(("_pre", "_post")) or name in ("pre", "post"):
        raise EquationError(
            f"'{name}' ends in '_pre' or '_post', which refer to the pre- and post-synaptic "
            "neurons in synapses", span, "choose a name without this suffix")
    if is_noise_name(name):
        raise EquationError(f"'{name}' is a noise symbol (xi, xi_*)", span,
                            "noise is used in expressions, not defined; " + rename)
    if name in SPECIAL_SYMBOLS:
        raise EquationError(f"'{name}' is a special symbol ({SPECIAL_SYMBOLS[name]})", span,
                            rename)
    if keyword.iskeyword(name):
        raise EquationError(f"'{name}' is a Python keyword", span, rename)
    if name in UNITS:
        raise EquationError(f"'{name}' is the name of a unit", span, rename)
    if name in DEFAULT_FUNCTIONS:
        raise EquationError(f"'{name}' is the name of a default function", span, rename)
    if name in DEFAULT_CONSTANTS:
        raise EquationError(f"'{name}' is the name of a constant", span, rename)
