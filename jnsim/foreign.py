"""Subexpressions of the connected groups, read by synapse code (``I_post``, ``E_pre``).

Synapse code may read a subexpression of its pre- or post-synaptic group, as in Brian:
``on_pre = 'w += eta * I_post'`` with ``I = g*(E - v) : amp`` in the target group. The
subexpression is written in the group's names; here it is rewritten in the synapses'
names (``g_post*(_post_E - v_post)``) so that the synapse code can inline it like one
of its own:

- variables of the group get the suffix (``v`` → ``v_post``);
- the group's index ``i`` is the synapse's ``i`` (pre) or ``j`` (post), counted from
  the group's start when the synapses connect a subgroup; ``N`` is the group's size;
  ``t`` and ``dt`` stay;
- external constants, which the group resolves in its own namespace, become internal
  names (``_post_E``) whose values come from the group at each run.

A subexpression that draws noise or calls an external function (a ``TimedArray``)
cannot be read this way; using one is a clear error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from .dimensions import NameInfo
from .equations import EquationKind
from .namespace import ExternalFunction
from .sympy_conversion import symbol

__all__ = ["ForeignSubexpressions", "foreign_subexpressions", "subexpression_table",
           "why_not_inlined"]

#: Special symbols of a group that keep their name in synapse code.
_SAME_IN_SYNAPSES = ("t", "dt", "t_in_timesteps")


def _readable(group: Any) -> dict[str, Any]:
    """The group's subexpressions that are not stored (stored ones are variables)."""
    model = getattr(group, "model", None)
    if model is None:
        return {}
    return {name: model.variables[name] for name in model.names_of(EquationKind.SUBEXPRESSION)
            if name not in group.specs}


def _unsupported(group: Any, name: str) -> str | None:
    """Why synapse code cannot read the subexpression ``name`` of ``group``, if it cannot."""
    model = group.model
    return why_not_inlined(model, name, model.inline_subexpressions(model.expressions[name]))


def why_not_inlined(model: Any, name: str, value: sympy.Expr) -> str | None:
    """Why the value of the subexpression ``name`` of ``model`` (inlined: ``value``)
    cannot be computed in another object's code, if it cannot: noise, or a call of an
    external function such as a TimedArray (default functions are fine)."""
    for atom in sorted(value.free_symbols, key=str):
        if atom.name in model.noise.get(name, ()) or atom.name.startswith("xi"):
            return f"it draws noise ('{atom.name}')"
    called = {type(call).__name__ for call in value.atoms(sympy.Function)}
    for function_name, external in model.externals.items():
        if (isinstance(external, ExternalFunction) and external.implementation is not None
                and function_name in called):  # a TimedArray; default functions are fine
            return f"it calls the external function '{function_name}'"
    return None


def subexpression_table(group: Any) -> dict[str, NameInfo | str]:
    """What synapse code can read of a group's subexpressions, by name (no suffix):
    their units, or the reason why one cannot be read."""
    table: dict[str, NameInfo | str] = {}
    for name, variable in _readable(group).items():
        reason = _unsupported(group, name)
        table[name] = reason if reason is not None else NameInfo(variable.dims, variable.dtype)
    return table


@dataclass(frozen=True)
class ForeignSubexpressions:
    """The subexpressions of one connected group, rewritten for synapse code.

    Attributes
    ----------
    replacements
        Symbol in the synapse code (``I_post``, and ``I`` for the target group) ->
        the subexpression in the synapses' names.
    externals
        Internal name in those expressions (``_post_E``) -> the group's external name.
    """

    replacements: Mapping[sympy.Symbol, sympy.Expr]
    externals: Mapping[str, str]


def foreign_subexpressions(group: Any, suffix: str, own_names: set[str], offset: int = 0
                           ) -> ForeignSubexpressions:
    """The readable subexpressions of ``group`` for synapses that see it as ``suffix``.

    Parameters
    ----------
    group
        The pre- or post-synaptic group.
    suffix
        ``'_pre'`` or ``'_post'``.
    own_names
        The synapses' own variable names: a post-synaptic subexpression is also
        readable without suffix unless the synapses have a variable of that name.
    offset
        Where the synapses' source (or target) starts in ``group``: synapses from a
        subgroup count ``i`` from its start, the group's subexpression from the
        group's (as in Brian).
    """
    model = getattr(group, "model", None)
    replacements: dict[sympy.Symbol, sympy.Expr] = {}
    externals: dict[str, str] = {}
    if model is None:
        return ForeignSubexpressions(replacements, externals)
    index = symbol("i" if suffix == "_pre" else "j") + offset  # the group's own index
    size = sympy.Integer(group.N)  # the whole group's size, even seen through a subgroup
    for name in _readable(group):
        if _unsupported(group, name) is not None:
            continue
        value = model.inline_subexpressions(model.expressions[name])
        renaming = {}
        for atom in value.free_symbols:
            if atom.name == "i":
                renaming[atom] = index
            elif atom.name == "N":
                renaming[atom] = size
            elif atom.name in _SAME_IN_SYNAPSES:
                continue
            elif atom.name in group.specs:
                renaming[atom] = symbol(atom.name + suffix)
            else:  # an external constant of the group
                internal = f"_{suffix[1:]}_{atom.name}"
                renaming[atom] = symbol(internal)
                externals[internal] = atom.name
        rewritten = value.xreplace(renaming)
        replacements[symbol(name + suffix)] = rewritten
        if suffix == "_post" and name not in own_names:
            replacements[symbol(name)] = rewritten
    return ForeignSubexpressions(replacements, externals)
