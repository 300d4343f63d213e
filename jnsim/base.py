"""What every simulation object shares: a name, a creation order and a scope."""

from __future__ import annotations

import itertools
from typing import Any

__all__ = ["JnsimObject", "start_scope"]

_creation_counter = itertools.count()
_scope = [0]
_names_used: dict[str, int] = {}


def start_scope() -> None:
    """Make ``run()`` ignore every object created before this call, and start at t = 0."""
    _scope[0] += 1
    from .network import get_magic_network

    magic = get_magic_network()
    magic.objects = []
    magic._t = 0.0
    from .clock import defaultclock

    defaultclock._t = 0.0


def current_scope() -> int:
    """The number of the current scope (see :func:`start_scope`)."""
    return _scope[0]


def _unique_name(prefix: str) -> str:
    count = _names_used.get(prefix, 0)
    _names_used[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"


class JnsimObject:
    """Base class of groups, synapses and monitors.

    Parameters
    ----------
    name
        Free text naming the object in reports and messages; a unique default
        (``neurongroup``, ``neurongroup_1``, ...) is chosen if omitted.
    """

    _name_prefix = "object"
    #: How :meth:`dependencies` are used, for messages ("records", "drives").
    _dependency_verb = "uses"

    def __init__(self, name: str | None = None) -> None:
        self.creation_index = next(_creation_counter)
        self.scope = current_scope()
        self.name = name if name is not None else _unique_name(self._name_prefix)
        #: A short identifier used in generated code (``o12``).
        self.code_id = f"o{self.creation_index}"
        self.active = True

    def add_attribute(self, name: str) -> None:
        """Declare a new attribute (``None`` until set), as Brian's ``add_attribute``.

        Groups refuse to set names that are not their variables (a typo would pass
        unnoticed otherwise); a name declared here can be set afterwards
        (``mon.add_attribute('run_time'); mon.run_time = 1.2``).

        Raises
        ------
        AttributeError
            If the object already has an attribute or variable of that name.
        """
        if hasattr(self, name):
            raise AttributeError(f"{type(self).__name__} {self.name!r} already has an "
                                 f"attribute '{name}'")
        object.__setattr__(self, name, None)

    @property
    def slug(self) -> str:
        """The kind of object as an identifier, for generated function names.

        It depends on the type only (not on the name, which may be free text or an
        automatic ``neurongroup_3``), so that rebuilding the same model generates
        the same source and reuses the compiled kernel.
        """
        return self._name_prefix

    def contained_objects(self) -> list[Any]:
        """Objects that run together with this one (e.g. a subgroup's parent)."""
        return []

    def dependencies(self) -> list[Any]:
        """Objects this one reads but does not run: they must be in its network."""
        return []

    #: The named model (made by ``%%neuron`` / ``%%synapse``) this object was built
    #: from, if any.
    source_model: Any = None

    @property
    def error_context(self) -> str:
        """Whose text an error is about: ``"NeuronGroup 'cells', model 'AdEx' (the
        %%neuron AdEx cell)"``."""
        text = f"{type(self).__name__} '{self.name}'"
        model = self.source_model
        if model is not None:
            text += f", model '{model.name}'"
            magic = (getattr(model, "source", "") or "").split(" ", 1)[0]
            if magic in ("%%neuron", "%%synapse"):
                text += f" (the {magic} {model.name} cell)"
        return text

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
