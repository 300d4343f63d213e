"""The Markdown model report: YAML front matter, tables and ``$$`` equations.

The output is pandoc Markdown (pipe tables, ``$...$`` math), readable as it is and
convertible with ``pandoc report.md -s --mathjax -o report.html`` or
``pandoc report.md -s -V geometry:margin=1in -o report.pdf``. Jupyter renders it
too (the ``_repr_markdown_`` of networks and models use the same functions).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from .facts import ReportFacts
from .figure import FigureLink
from .models import ModelFact
from .typeset import quantity_text

__all__ = ["model_markdown", "report_markdown", "table"]

#: The alternative text of the connectivity figure.
FIGURE_CAPTION = ("Network diagram (populations as boxes, projections as arrows: pointed "
                  "heads excitatory, bar heads inhibitory) and, per projection, histograms "
                  "of in-degrees, out-degrees, weights and delays")

_MATH = re.compile(r"(\$\$?[^$]*\$\$?)")


def _cell(text: str) -> str:
    """Rich text made safe for a pipe-table cell."""
    parts = _MATH.split(str(text).replace("\n", " "))
    return "".join(p.replace("|", r"\vert ") if p.startswith("$") else p.replace("|", r"\|")
                   for p in parts)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A pipe table with bold headers."""
    lines = ["| " + " | ".join(f"**{h}**" for h in header) + " |",
             "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _display(latex: str) -> str:
    return f"$$\n{latex}\n$$"


def model_markdown(fact: ModelFact, level: int = 2, show_users: bool = True) -> str:
    """The Markdown description of one model (a model card at ``level`` 2 or deeper)."""
    hashes = "#" * level
    parts = [f"{hashes} {fact.name}"]
    if fact.description:
        parts.append(fact.description.strip())
    if show_users and fact.users:
        used = "Used by" if fact.kind == "neuron" else "Used by projection"
        parts.append(f"*{used}:* " + ", ".join(fact.users))
    if fact.parameters:
        parts.append("**Parameters:**")
        parts.append(table(("Name", "Default value", "Locality", "Type"),
                           [(p.name, p.value, p.locality, p.dtype) for p in fact.parameters]))
    if fact.variables:
        method = f" (integration: {fact.method})" if fact.method else ""
        parts.append(f"**Equations:**{method}")
        for variable in fact.variables:
            details = [variable.unit, variable.locality]
            if variable.initial is not None:
                details.append(f"initial value: {variable.initial}")
            details += list(variable.notes)
            parts.append(f"* Variable {variable.name}: {', '.join(d for d in details if d)}"
                         f"\n\n{_display(variable.latex)}")
    if fact.threshold is not None:
        lines = [f"**Spike emission:** if ${fact.threshold}$:", "",
                 "* emit a spike at time $t$"]
        lines += [f"* ${statement}$" for statement in fact.reset]
        parts.append("\n".join(lines))
    elif fact.reset:
        parts.append("**Reset:**\n\n" + "\n".join(f"* ${s}$" for s in fact.reset))
    if fact.refractory:
        parts.append(f"**Refractoriness:** {fact.refractory}")
    for title, statements in fact.pathways:
        body = "\n".join(f"* ${s}$" for s in statements) or "* (no statements)"
        parts.append(f"**On a {title}:**\n\n{body}")
    for title, statements in fact.operations:
        body = "\n".join(f"* ${s}$" for s in statements) or "* (no statements)"
        parts.append(f"**{title}:**\n\n{body}")
    if fact.delay:
        parts.append(f"**Default delay:** {fact.delay}")
    if fact.functions:
        parts.append("**Functions:**\n\n" + "\n".join(f"* {f}" for f in fact.functions))
    return "\n\n".join(parts)


# pandoc's PDF route (pdflatex) needs the non-ASCII characters of units declared;
# the guard keeps xelatex/lualatex, which know them already, happy.
_HEADER_INCLUDES = r"""header-includes: |
  ```{=latex}
  \ifdefined\DeclareUnicodeCharacter
  \DeclareUnicodeCharacter{00B5}{\ensuremath{\mu}}
  \DeclareUnicodeCharacter{03A9}{\ensuremath{\Omega}}
  \DeclareUnicodeCharacter{2192}{\ensuremath{\rightarrow}}
  \DeclareUnicodeCharacter{00D7}{\ensuremath{\times}}
  \DeclareUnicodeCharacter{207B}{\textsuperscript{-}}
  \DeclareUnicodeCharacter{2070}{\textsuperscript{0}}
  \DeclareUnicodeCharacter{00B9}{\textsuperscript{1}}
  \DeclareUnicodeCharacter{00B2}{\textsuperscript{2}}
  \DeclareUnicodeCharacter{00B3}{\textsuperscript{3}}
  \DeclareUnicodeCharacter{2074}{\textsuperscript{4}}
  \DeclareUnicodeCharacter{2075}{\textsuperscript{5}}
  \DeclareUnicodeCharacter{2076}{\textsuperscript{6}}
  \DeclareUnicodeCharacter{2077}{\textsuperscript{7}}
  \DeclareUnicodeCharacter{2078}{\textsuperscript{8}}
  \DeclareUnicodeCharacter{2079}{\textsuperscript{9}}
  \fi
  ```"""


def _front_matter(facts: ReportFacts) -> str:
    lines = ["---", f"title: {json.dumps(facts.title, ensure_ascii=False)}"]
    if facts.author:
        lines.append(f"author: {json.dumps(facts.author, ensure_ascii=False)}")
    if facts.date:
        lines.append(f"date: {json.dumps(facts.date, ensure_ascii=False)}")
    lines.append(_HEADER_INCLUDES)
    lines.append("---")
    return "\n".join(lines)


def connectivity_markdown(facts: ReportFacts, figure: FigureLink | None, level: int) -> str:
    """The connectivity figure (or why it is omitted) and the statistics table."""
    parts = [f"{'#' * level} Connectivity"]
    end = facts.runs[-1].start + facts.runs[-1].duration if facts.runs else 0.0
    parts.append(f"Degrees, weights and delays at t = {_seconds(end)}.")
    if figure is not None and figure.path:
        parts.append(f"![{FIGURE_CAPTION}.]({figure.path})")
    elif figure is not None:
        parts.append(f"*Connectivity figure omitted: {figure.reason}.*")
    parts.append(table(
        ("Projection", "Source → target", "Type", "Synapses", "In-degree", "Out-degree",
         "Weights", "Delays"),
        [(c.name, f"{c.source} → {c.target}", c.sign, str(c.synapses), c.in_degree_summary,
          c.out_degree_summary, c.weight_summary, c.delay_summary)
         for c in facts.connectivity]))
    return "\n\n".join(parts)


def _seconds(value: float) -> str:
    from ..units import Dimensions

    return quantity_text(value, Dimensions({"[time]": 1}))


def protocol_markdown(facts: ReportFacts, level: int = 1) -> str:
    """The runs (start, duration, time step) and the stimulus schedule."""
    parts = [f"{'#' * level} Simulation protocol"]
    if facts.runs:
        parts.append(table(
            ("Run", "Network", "Start", "Duration", "End", "Time step", "Steps"),
            [(str(k), r.network, _seconds(r.start), _seconds(r.duration) + (
                f" (stopped; {_seconds(r.requested)} asked)"
                if r.duration < r.requested - r.dt / 2 else ""),
              _seconds(r.start + r.duration), _seconds(r.dt), str(r.steps))
             for k, r in enumerate(facts.runs, start=1)]))
    else:
        parts.append("Not run yet.")
    if facts.stimuli:
        parts.append(f"{'#' * (level + 1)} Stimulus schedule")
        parts.append(table(("Stimulus", "Type", "Schedule", "Runs"),
                           [(s.name, s.kind, s.schedule, s.runs) for s in facts.stimuli]))
    return "\n\n".join(parts)


def structure_markdown(facts: ReportFacts, level: int = 1) -> str:
    """The structure part: populations, projections, monitors and input."""
    h1, h2 = "#" * level, "#" * (level + 1)
    parts = [f"{h1} Structure of the network",
             f"* Simulated with jnsim {dict(facts.versions)['jnsim']}, "
             f"time step {facts.dt}."]
    parts.append(f"{h2} Populations")
    parts.append(table(("Population", "Size", "Neuron type"),
                       [(p.name, str(p.size), p.type) for p in facts.populations])
                 if facts.populations else "None.")
    if facts.projections:
        parts.append(f"{h2} Projections")
        parts.append(table(
            ("Projection", "Source", "Target", "Target variable", "Synapse type", "Pattern",
             "Weights", "Delays"),
            [(p.name, p.source, p.target, p.targets, p.type, p.pattern, p.weights, p.delays)
             for p in facts.projections]))
    if facts.monitors:
        parts.append(f"{h2} Monitors")
        parts.append(table(("Object", "Recorded", "Variables", "Period"),
                           [(m.source, m.kind, m.variables, m.period) for m in facts.monitors]))
    if facts.inputs:
        parts.append(f"{h2} Input")
        parts.append(table(("Name", "Type", "Description"),
                           [(i.name, i.kind, i.description) for i in facts.inputs]))
    return "\n\n".join(parts)


def _parameters(facts: ReportFacts, level: int) -> str:
    h1, h2 = "#" * level, "#" * (level + 1)
    parts = [f"{h1} Parameters"]
    for title, tables, owner in (("Population parameters", facts.population_parameters,
                                  "Population"),
                                 ("Projection parameters", facts.projection_parameters,
                                  "Projection")):
        rows = []
        for parameters in tables:
            for index, (name, value) in enumerate(parameters.rows):
                first = index == 0
                rows.append((parameters.owner if first else "",
                             parameters.type if first else "", name, value))
        if rows:
            parts.append(f"{h2} {title}")
            parts.append(table((owner, "Type", "Name", "Value"), rows))
    return "\n\n".join(parts) if len(parts) > 1 else ""


def reproducibility_markdown(facts: ReportFacts, level: int = 1) -> str:
    """Versions, time step, seed, the hashes and the checksums of recorded data."""
    versions = ", ".join(f"{name} {version}" for name, version in facts.versions)
    seed = str(facts.seed) if facts.seed is not None else "not set (call `seed(...)`)"
    parts = ["\n".join([
        f"{'#' * level} Reproducibility", "",
        f"* Software: {versions}",
        f"* Time step: {facts.dt}",
        f"* Random seed: {seed}",
        f"* Model hash (sha256 of all equations and code): `{facts.model_hash}`",
        "* Network hash (sha256 of equations, code, parameters, initial values and "
        f"connectivity): `{facts.network_hash}`"])]
    if facts.data_checksums:
        parts.append(f"{'#' * (level + 1)} Recorded data")
        parts.append(table(("Monitor", "Variable", "Shape", "Type", "sha256"),
                           [(c.monitor, c.variable, c.shape, c.dtype, f"`{c.sha256}`")
                            for c in facts.data_checksums]))
    if facts.provenance is not None:
        parts.append(f"{'#' * (level + 1)} Provenance")
        parts.append("\n".join(f"* {key}: {value}"
                               for key, value in provenance_rows(facts)))
    return "\n\n".join(parts)


def provenance_rows(facts: ReportFacts) -> list[tuple[str, str]]:
    """(label, rich text) of the provenance: date, machine, source, command, git."""
    p = facts.provenance
    if p is None:
        return []
    if p.git_commit is None:
        git = "not in a git repository"
    else:
        git = f"commit `{p.git_commit}`" + (
            ", with uncommitted changes" if p.git_dirty else ", clean")
    wall = sum(r.wall_seconds for r in facts.runs)
    return [("Date", p.date), ("Operating system", p.os), ("CPU", p.cpu),
            ("Python", p.python), ("Source", f"`{p.source}`"),
            ("Command line", f"`{p.command}`"), ("Git", git),
            ("Wall time of the runs", f"{wall:.3g} s" if facts.runs else "not run")]


def report_markdown(facts: ReportFacts, front_matter: bool = True, level: int = 1,
                    figure: FigureLink | None = None) -> str:
    """The whole Markdown report (``figure``: the connectivity figure's file or why
    there is none; ``None`` leaves the figure out without a note)."""
    parts = [_front_matter(facts)] if front_matter else []
    parts.append(structure_markdown(facts, level))
    if facts.connectivity:
        parts.append(connectivity_markdown(facts, figure, level + 1))
    for title, models in (("Neuron models", facts.neuron_models),
                          ("Synapse models", facts.synapse_models)):
        if models:
            parts.append(f"{'#' * level} {title}")
            parts += [model_markdown(m, level + 1) for m in models]
    parameters = _parameters(facts, level)
    if parameters:
        parts.append(parameters)
    parts.append(protocol_markdown(facts, level))
    parts.append(reproducibility_markdown(facts, level))
    return "\n\n".join(parts) + "\n"
