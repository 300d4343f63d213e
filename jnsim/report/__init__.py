"""Model reports after Nordlie, Gewaltig & Plesser (2009), in Markdown or LaTeX.

``report('model.md')`` writes a Markdown description of the network defined where
it is called (as ``run()`` finds it); ``report('model.tex')`` writes LaTeX tables
in the layout of Nordlie et al. (2009), *Towards reproducible descriptions of
neuronal network models*, PLoS Comput Biol 5(8): e1000456. The content follows
ANNarchy's reporting (populations, projections, monitors, neuron and synapse
models with typeset equations, parameters), plus a connectivity figure and
statistics, the simulation protocol, hashes, checksums and provenance.
``report('model.json')`` writes the same facts as JSON (schema ``jnsim-report/1``);
:func:`load_report` reads them back and :func:`write_report` writes them as
Markdown or LaTeX.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import JnsimError
from ..namespace import caller_namespace
from .export import SCHEMA, facts_to_json, load_report
from .facts import ReportFacts, gather
from .figure import FigureLink, draw_connectivity, figure_path

__all__ = ["SCHEMA", "ReportFacts", "gather", "load_report", "network_markdown", "report",
           "write_report"]

_FORMATS = (".md", ".markdown", ".tex", ".json")


def _check_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise JnsimError(f"cannot write a report to '{path.name}': unknown file type "
                         f"'{path.suffix or '(none)'}'",
                         hint="use a name ending in .md (Markdown), .tex (LaTeX) or "
                              ".json (machine-readable, schema jnsim-report/1)")
    return suffix


def _figure(facts: ReportFacts, path: Path, suffix: str, figure: bool) -> FigureLink | None:
    """Draw the connectivity figure next to the report, or say why there is none."""
    if not facts.connectivity:
        return None
    if not figure:
        return FigureLink(None, "not requested (figure=False)")
    return draw_connectivity([p.name for p in facts.populations], facts.connectivity,
                             figure_path(path, suffix))


def write_report(facts: ReportFacts, filename: str | os.PathLike[str],
                 standalone: bool = True, figure: bool = True) -> str:
    """Write gathered (or loaded) facts as Markdown, LaTeX or JSON; returns the text.

    Parameters
    ----------
    facts
        From :func:`gather` or :func:`load_report`.
    filename
        ``*.md``, ``*.tex`` or ``*.json``.
    standalone
        LaTeX only: a complete document (or only the tables).
    figure
        Draw the connectivity figure next to the report (``model-connectivity.png``
        for ``model.md``, ``.pdf`` for ``model.tex``) and refer to it; without it (or
        without matplotlib) the report says the figure was omitted.
    """
    path = Path(filename)
    suffix = _check_format(path)
    if suffix == ".json":
        text = facts_to_json(facts)
    elif suffix == ".tex":
        from .latex import report_latex

        text = report_latex(facts, standalone=standalone,
                            figure=_figure(facts, path, ".pdf", figure))
    else:
        from .markdown import report_markdown

        text = report_markdown(facts, figure=_figure(facts, path, ".png", figure))
    path.write_text(text, encoding="utf-8")
    return text


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
           namespace: Mapping[str, Any] | None = None, figure: bool = True) -> str:
    """Write a description of a network model to a Markdown, LaTeX or JSON file.

    Parameters
    ----------
    filename
        ``*.md`` for Markdown (convertible with pandoc), ``*.tex`` for LaTeX tables in
        the layout of Nordlie et al. (2009), ``*.json`` for the facts in the
        machine-readable schema ``jnsim-report/1`` (see :func:`load_report`).
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
    figure
        Draw the connectivity figure (network diagram and histograms) next to the
        report and embed it: ``model-connectivity.png`` for ``model.md``,
        ``model-connectivity.pdf`` for ``model.tex``. Needs matplotlib (the ``plot``
        extra); without it, or with ``figure=False``, the report says the figure is
        omitted and matplotlib is not imported.

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
    _check_format(path)
    caller = dict(namespace) if namespace is not None else caller_namespace()
    objects = _objects(network, caller)
    if not objects:
        raise JnsimError("report() found no objects to describe",
                         hint="create a NeuronGroup first (objects created before "
                              "start_scope() are ignored), or pass network=...")
    facts = gather(objects, caller, title, author, date, gather_subprojections)
    return write_report(facts, path, standalone=standalone, figure=figure)


def network_markdown(network: Any, namespace: Mapping[str, Any] | None = None,
                     figure: bool = True) -> str:
    """The Markdown report of ``network`` without front matter (for notebooks).

    With ``figure`` (and matplotlib installed) the connectivity figure is embedded
    as a PNG data URI, so that the notebook holds it; without, the figure is left
    out (``report()`` to a file draws it).
    """
    from .markdown import report_markdown

    caller = dict(namespace) if namespace is not None else caller_namespace()
    facts = gather(_objects(network, caller), caller)
    link = _inline_figure(facts) if figure and facts.connectivity else None
    return report_markdown(facts, front_matter=False, level=3, figure=link)


def _inline_figure(facts: ReportFacts) -> FigureLink:
    """The connectivity figure as a ``data:image/png;base64,...`` link."""
    import base64
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "figure.png"
        link = draw_connectivity([p.name for p in facts.populations], facts.connectivity,
                                 target)
        if link.path is None:
            return link
        data = base64.b64encode(target.read_bytes()).decode("ascii")
    return FigureLink(f"data:image/png;base64,{data}")
