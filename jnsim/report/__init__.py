"""Model reports after Nordlie, Gewaltig & Plesser (2009), in Markdown or LaTeX.

``report('model.md')`` writes a Markdown description of the network defined where
it is called (as ``run()`` finds it); ``report('model.tex')`` writes LaTeX tables
in the layout of Nordlie et al. (2009), *Towards reproducible descriptions of
neuronal network models*, PLoS Comput Biol 5(8): e1000456. The content follows
ANNarchy's reporting (populations, projections, monitors, neuron and synapse
models with typeset equations, parameters), plus a reproducibility section.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import JnsimError
from ..namespace import caller_namespace
from .facts import ReportFacts, gather

__all__ = ["ReportFacts", "gather", "network_markdown", "report"]

_FORMATS = (".md", ".markdown", ".tex")


def _objects(network: Any, namespace: Mapping[str, Any]) -> list[Any]:
    from ..network import Network, collect

    if network is None:
        objects = collect(namespace)
    elif isinstance(network, Network):
        objects = list(network.objects)
    elif isinstance(network, list | tuple | set):
        objects = list(network)
    else:
        raise JnsimError(f"report() needs a Network (or None), not {type(network).__name__}",
                         hint="call report('model.md') to report the objects defined here")
    return objects


def report(filename: str | os.PathLike[str] = "report.tex", network: Any = None,
           standalone: bool = True, gather_subprojections: bool = False,
           title: str | None = None, author: str | None = None, date: str | None = None,
           namespace: Mapping[str, Any] | None = None) -> str:
    """Write a description of a network model to a Markdown or LaTeX file.

    Parameters
    ----------
    filename
        ``*.md`` for Markdown (convertible with pandoc), ``*.tex`` for LaTeX tables in
        the layout of Nordlie et al. (2009).
    network
        The :class:`~jnsim.Network` to describe; by default the objects defined where
        ``report`` is called (the ones ``run()`` would simulate).
    standalone
        LaTeX only: a complete document that ``pdflatex`` compiles (``True``), or the
        body alone to ``\\input`` into a larger document (``False``).
    gather_subprojections
        Merge projections between the same two populations (e.g. from subgroups) into
        one row of the projections table.
    title, author, date
        The document's title, author and date.
    namespace
        Where external constants (``tau = 10*ms``) and model definitions are looked
        up; by default the caller's namespace.

    Returns
    -------
    str
        The text written.

    Raises
    ------
    JnsimError
        For an unknown file type or when there is nothing to report.

    Examples
    --------
    >>> report('model.md', title='CUBA network', author='A. Modeller')  # doctest: +SKIP
    """
    path = Path(filename)
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise JnsimError(f"cannot write a report to '{path.name}': unknown file type",
                         hint="use a name ending in .md (Markdown) or .tex (LaTeX)")
    caller = dict(namespace) if namespace is not None else caller_namespace()
    objects = _objects(network, caller)
    if not objects:
        raise JnsimError("report() found no objects to describe",
                         hint="create a NeuronGroup first (objects created before "
                              "start_scope() are ignored), or pass network=...")
    facts = gather(objects, caller, title, author, date, gather_subprojections)
    if suffix == ".tex":
        from .latex import report_latex

        text = report_latex(facts, standalone=standalone)
    else:
        from .markdown import report_markdown

        text = report_markdown(facts)
    path.write_text(text, encoding="utf-8")
    return text


def network_markdown(network: Any, namespace: Mapping[str, Any] | None = None) -> str:
    """The Markdown report of ``network`` without front matter (for notebooks)."""
    from .markdown import report_markdown

    caller = dict(namespace) if namespace is not None else caller_namespace()
    facts = gather(_objects(network, caller), caller)
    return report_markdown(facts, front_matter=False, level=3)
