"""Where a model is used — a neuron group or a set of synapses — and what that allows.

A :class:`ModelContext` lists the special symbols a model may use and, for
synapses, the variables of the pre- and post-synaptic groups reachable with the
``_pre`` / ``_post`` suffixes.  It also holds Brian's rules for which flags each
kind of object accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .dimensions import BOOLEAN, FLOAT, INTEGER, NameInfo
from .equations.parser import EquationKind
from .units import DIMENSIONLESS, Dimensions

__all__ = ["NEURON", "SYNAPSE", "ModelContext"]

NEURON, SYNAPSE = "neuron", "synapse"

_SECOND = Dimensions({"[time]": 1})
_NOISE = Dimensions({"[time]": -0.5})

#: Flags each kind of object accepts, per kind of equation.
ALLOWED_FLAGS: dict[str, dict[EquationKind, tuple[str, ...]]] = {
    NEURON: {
        EquationKind.DIFFERENTIAL: ("unless refractory",),
        EquationKind.PARAMETER: ("constant", "shared", "linked"),
        EquationKind.SUBEXPRESSION: ("shared", "constant over dt"),
    },
    SYNAPSE: {
        EquationKind.DIFFERENTIAL: ("event-driven", "clock-driven"),
        EquationKind.PARAMETER: ("constant", "shared", "linked"),
        EquationKind.SUBEXPRESSION: ("summed", "shared", "constant over dt"),
    },
}

#: Pairs of flags that contradict each other, with the reason.
INCOMPATIBLE_FLAGS: dict[frozenset[str], str] = {
    frozenset({"event-driven", "clock-driven"}):
        "a differential equation is either event-driven or clock-driven",
    frozenset({"shared", "linked"}):
        "a linked variable takes whether it is shared from the variable it links to",
    frozenset({"summed", "shared"}): "a summed variable is a sum over synapses, never shared",
    frozenset({"summed", "constant over dt"}):
        "a summed variable is updated every step by construction",
    frozenset({"constant", "linked"}): "a linked variable is defined by the variable it links to",
}

#: Symbols available in every model.
_COMMON: dict[str, NameInfo] = {
    "t": NameInfo(_SECOND, FLOAT),
    "dt": NameInfo(_SECOND, FLOAT),
    "t_in_timesteps": NameInfo(DIMENSIONLESS, INTEGER),
    "i": NameInfo(DIMENSIONLESS, INTEGER),
    "N": NameInfo(DIMENSIONLESS, INTEGER),
}
#: Symbols that are per neuron or synapse (everything else above is shared).
PER_ELEMENT_SYMBOLS = frozenset({"i", "j", "lastspike", "not_refractory", "lastupdate"})


@dataclass(frozen=True)
class ModelContext:
    """The object a model is analysed for.

    Attributes
    ----------
    kind
        ``'neuron'`` or ``'synapse'``.
    symbols
        The special symbols available, with their dimensions and types.
    pre, post
        For synapses, the variables of the pre- and post-synaptic groups.
    pre_subexpressions, post_subexpressions
        For synapses, the subexpressions of those groups: code can read them
        (``I_post``), not assign them. A text instead of units says why one cannot be
        read.
    unavailable
        Special symbols that exist in the language but not here, with the reason.
    """

    kind: str
    symbols: Mapping[str, NameInfo]
    pre: Mapping[str, NameInfo] = field(default_factory=dict)
    post: Mapping[str, NameInfo] = field(default_factory=dict)
    unavailable: Mapping[str, str] = field(default_factory=dict)
    pre_subexpressions: Mapping[str, NameInfo | str] = field(default_factory=dict)
    post_subexpressions: Mapping[str, NameInfo | str] = field(default_factory=dict)

    @classmethod
    def neuron(cls, refractory: bool = True) -> ModelContext:
        """The context of a ``NeuronGroup`` (with refractoriness unless ``refractory=False``)."""
        symbols = dict(_COMMON)
        unavailable = {
            "j": "'j' (post-synaptic index) exists only in synapses",
            "N_pre": "'N_pre' exists only in synapses",
            "N_post": "'N_post' exists only in synapses",
            "N_incoming": "'N_incoming' exists only in synapses",
            "N_outgoing": "'N_outgoing' exists only in synapses",
            "lastupdate": "'lastupdate' exists only in synapses with event-driven equations",
        }
        if refractory:
            symbols["lastspike"] = NameInfo(_SECOND, FLOAT)
            symbols["not_refractory"] = NameInfo(DIMENSIONLESS, BOOLEAN)
        else:
            unavailable["lastspike"] = "'lastspike' exists only in groups with refractoriness"
            unavailable["not_refractory"] = (
                "'not_refractory' exists only in groups with refractoriness")
        return cls(NEURON, MappingProxyType(symbols), unavailable=MappingProxyType(unavailable))

    @classmethod
    def synapse(
        cls,
        pre: Mapping[str, NameInfo] | None = None,
        post: Mapping[str, NameInfo] | None = None,
        event_driven: bool = True,
        pre_subexpressions: Mapping[str, NameInfo | str] | None = None,
        post_subexpressions: Mapping[str, NameInfo | str] | None = None,
    ) -> ModelContext:
        """The context of ``Synapses`` between groups with variables ``pre`` and ``post``."""
        symbols = dict(_COMMON)
        for name in ("j", "N_pre", "N_post", "N_incoming", "N_outgoing"):
            symbols[name] = NameInfo(DIMENSIONLESS, INTEGER)
        unavailable = {"lastspike": "'lastspike' of a neuron is written 'lastspike_pre' or "
                                    "'lastspike_post' in synapses",
                       "not_refractory": "write 'not_refractory_post' in synapses"}
        if event_driven:
            symbols["lastupdate"] = NameInfo(_SECOND, FLOAT)
        else:
            unavailable["lastupdate"] = (
                "'lastupdate' exists only in synapses with event-driven equations")
        return cls(SYNAPSE, MappingProxyType(symbols), MappingProxyType(dict(pre or {})),
                   MappingProxyType(dict(post or {})), MappingProxyType(unavailable),
                   MappingProxyType(dict(pre_subexpressions or {})),
                   MappingProxyType(dict(post_subexpressions or {})))

    def allowed_flags(self, kind: EquationKind) -> tuple[str, ...]:
        """The flags this context accepts on an equation of ``kind``."""
        return ALLOWED_FLAGS[self.kind][kind]

    @staticmethod
    def noise_info() -> NameInfo:
        """Dimensions of white noise ``xi``: one over the square root of a second."""
        return NameInfo(_NOISE, FLOAT)
