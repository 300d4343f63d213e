"""Linked variables that read a subexpression of another group.

Brian lets a linked variable point at a subexpression (``G : Hz (linked)`` with
``S.G = linked_var(F, 'G')`` where ``G = H - gamma : Hz`` in ``F``). A subexpression
has no array, so code that reads the linked name computes it where it is read, from
the source group's arrays at the source element, as Brian does:

- the source's variables become loads (``_lk_G__H = _a_lk_G__H[_lk_G__k]``), where
  ``_lk_G__k`` is the source element (the element itself, or the link's index);
- the source's index ``i`` is that element, ``N`` the source's size; ``t`` and ``dt``
  stay;
- external constants, resolved in the source's namespace, become internal names
  (``_lk_G__gamma``) of the linking group, whose values come from the source at each run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from .errors import JnsimError
from .sympy_conversion import symbol

__all__ = ["ComputedLink", "bind_computed_link", "computed_link", "computed_link_externals"]

_SAME = ("t", "dt", "t_in_timesteps")


@dataclass(frozen=True)
class ComputedLink:
    """How code of the linking group computes a linked subexpression.

    Attributes
    ----------
    name
        The linked name in the linking group.
    expression
        The subexpression in local names (loads, index, internal constants).
    loads
        ``(local, driver key of the source array, whether that array is shared)``.
    index_key
        Driver key of the link's index map, or ``None`` (element k reads element k).
    shared
        Whether the value is the same for every element (a shared subexpression).
    externals
        Internal name -> the source group's external name.
    specials
        Clock names the expression reads (``t``, ``dt``).
    """

    name: str
    expression: sympy.Expr
    loads: tuple[tuple[str, str, bool], ...]
    index_key: str | None
    shared: bool
    externals: Mapping[str, str]
    specials: frozenset[str]


def _why_not(source: Any, variable: str, value: sympy.Expr) -> str | None:
    from .foreign import why_not_inlined

    return why_not_inlined(source.model, variable, value)


def computed_link(group: Any, name: str, link: Any) -> ComputedLink:
    """The :class:`ComputedLink` of ``group.name`` linked to a subexpression (``link``)."""
    source = link.group
    model = source.model
    value = model.inline_subexpressions(model.expressions[link.variable])
    reason = _why_not(source, link.variable, value)
    if reason is not None:
        raise JnsimError(f"cannot link '{name}' of {group.name} to {link.describe()}: "
                         f"{reason}", hint="link to a subexpression without it, or to a "
                                           "variable")
    prefix = f"_lk_{name}__"
    element = symbol(prefix + "k")
    renaming: dict[sympy.Symbol, sympy.Expr] = {}
    loads = []
    externals = {}
    specials = set()
    for atom in value.free_symbols:
        if atom.name == "i":
            renaming[atom] = element
        elif atom.name == "N":
            renaming[atom] = sympy.Integer(source.N)
        elif atom.name in _SAME:
            specials.add(atom.name)
        elif atom.name in source.specs:
            source.check_direct_access(atom.name, f"the link of {group.name}.{name} reads")
            local = prefix + atom.name
            renaming[atom] = symbol(local)
            loads.append((local, f"{source.code_id}__{atom.name}",
                          source.specs[atom.name].shared))
        else:  # an external constant of the source
            internal = prefix + atom.name
            renaming[atom] = symbol(internal)
            externals[internal] = atom.name
    index_key = f"{group.code_id}__link_{name}" if link.index is not None else None
    shared = bool(model.variables[link.variable].shared)
    return ComputedLink(name, value.xreplace(renaming), tuple(sorted(loads)), index_key,
                        shared, externals, frozenset(specials))


def bind_computed_link(link: ComputedLink, builder: Any, code_id: str, scalars: set[str],
                       per_step: list[str], per_element: list[str]) -> None:
    """Lines computing ``link.name`` in a function over the linking group's elements
    (``_idx``); clock names are bound by the caller (see :attr:`ComputedLink.specials`)."""
    element = f"_lk_{link.name}__k"
    lines = per_step if link.shared else per_element
    if not link.shared:
        if link.index_key is not None:
            index = builder.parameter(f"_link_{link.name}", link.index_key)
            per_element.append(f"{element} = {index}[_idx]")
        else:
            per_element.append(f"{element} = _idx")
    for local, key, shared in link.loads:
        array = builder.parameter(f"_a{local}", key)
        lines.append(f"{local} = {array}[0]" if shared or link.shared
                     else f"{local} = {array}[{element}]")
    for internal in link.externals:
        builder.parameter(internal, f"{code_id}__{internal}")
    lines.append(f"{link.name} = {builder.printer.doprint(link.expression)}")
    if link.shared:
        scalars.add(link.name)


def computed_link_externals(group: Any, run_namespace: Any, caller_ns: Any
                            ) -> dict[str, Any]:
    """The internal constants of ``group``'s links to subexpressions, resolved where
    their source group resolves them."""
    result: dict[str, Any] = {}
    for link in group.computed_links().values():
        if not link.externals:
            continue
        source = group.links[link.name].group
        resolved = source.resolve(run_namespace, caller_ns)
        result.update({internal: resolved[name] for internal, name in link.externals.items()
                       if name in resolved})
    return result
