"""Named neuron and synapse models: equations plus the code that goes with them.

A :class:`NeuronModel` bundles what a ``NeuronGroup`` needs besides its size —
equations, threshold, reset, refractoriness, integration method — under a name
and a description, as the ``%%neuron`` cell magic creates it::

    LIF = NeuronModel("LIF", "dv/dt = (El - v)/taum : volt (unless refractory)",
                      threshold="v > Vt", reset="v = Vr", refractory=5*ms)
    G = NeuronGroup(100, LIF)               # the model's code as defaults
    H = NeuronGroup(100, LIF, reset="v = El")  # keyword arguments override them

:class:`SynapseModel` does the same for ``Synapses`` (``on_pre``, ``on_post``,
``delay``, ``method``). Models are plain values: they are checked and compiled
only when a group or synapses is created from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .equations import Equations
from .errors import JnsimError

__all__ = ["NeuronModel", "SynapseModel"]


def _as_equations(value: Any) -> Equations:
    if isinstance(value, Equations):
        return value
    if isinstance(value, str):
        return Equations(value)
    raise JnsimError(f"model equations must be a string or Equations, not {type(value).__name__}",
                     hint="write e.g. NeuronModel('LIF', 'dv/dt = -v/tau : volt')")


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise JnsimError(f"a model needs a name (a non-empty string), not {name!r}")
    return name


@dataclass(frozen=True, eq=False)
class NeuronModel:
    """A named neuron model (what ``%%neuron NAME`` creates).

    Parameters
    ----------
    name
        Short generic name used in reports (``"LIF"``, ``"Izhikevich RS"``).
    equations
        The model equations (a string or :class:`~jnsim.Equations`).
    threshold, reset, refractory, method
        Defaults for :class:`~jnsim.NeuronGroup` (see there).
    description
        Markdown text with LaTeX math (``$\\tau_m$``) describing the model.
    source
        The text the model was written in (the cell), for reference.
    """

    name: str
    equations: Equations
    threshold: str | None = None
    reset: str | None = None
    refractory: Any = False
    method: str | None = None
    description: str | None = None
    source: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _check_name(self.name))
        object.__setattr__(self, "equations", _as_equations(self.equations))

    @property
    def neuron_defaults(self) -> dict[str, Any]:
        """The keyword arguments ``NeuronGroup`` takes from this model."""
        return {"threshold": self.threshold, "reset": self.reset,
                "refractory": self.refractory, "method": self.method,
                "description": self.description}

    def __repr__(self) -> str:
        parts = [f"threshold={self.threshold!r}" if self.threshold else "",
                 f"reset={self.reset!r}" if self.reset else "",
                 f"refractory={self.refractory!r}" if self.refractory is not False else ""]
        extra = ", ".join(p for p in parts if p)
        return (f"<NeuronModel {self.name!r}: {len(self.equations)} equations"
                f"{', ' + extra if extra else ''}>")

    def _repr_markdown_(self) -> str | None:
        from .display import model_markdown

        return model_markdown(self)

    def _repr_latex_(self) -> str | None:
        from .display import model_latex

        return model_latex(self)


@dataclass(frozen=True, eq=False)
class SynapseModel:
    """A named synapse model (what ``%%synapse NAME`` creates).

    Parameters
    ----------
    name
        Short generic name used in reports (``"STDP"``).
    equations
        The synaptic equations (may be empty).
    on_pre, on_post
        Statements run on pre-/post-synaptic spikes, or dicts of named pathways.
    delay, method
        Defaults for :class:`~jnsim.Synapses`.
    description
        Markdown text with LaTeX math describing the model.
    source
        The text the model was written in (the cell), for reference.
    """

    name: str
    equations: Equations
    on_pre: str | Mapping[str, str] | None = None
    on_post: str | Mapping[str, str] | None = None
    delay: Any = None
    method: str | None = None
    description: str | None = None
    source: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _check_name(self.name))
        object.__setattr__(self, "equations", _as_equations(self.equations))

    @property
    def synapse_defaults(self) -> dict[str, Any]:
        """The keyword arguments ``Synapses`` takes from this model."""
        return {"on_pre": self.on_pre, "on_post": self.on_post, "delay": self.delay,
                "method": self.method, "description": self.description}

    def __repr__(self) -> str:
        parts = [f"on_pre={self.on_pre!r}" if self.on_pre else "",
                 f"on_post={self.on_post!r}" if self.on_post else ""]
        extra = ", ".join(p for p in parts if p)
        return (f"<SynapseModel {self.name!r}: {len(self.equations)} equations"
                f"{', ' + extra if extra else ''}>")

    def _repr_markdown_(self) -> str | None:
        from .display import model_markdown

        return model_markdown(self)

    def _repr_latex_(self) -> str | None:
        from .display import model_latex

        return model_latex(self)
