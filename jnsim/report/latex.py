"""The LaTeX model report: tables in the layout of Nordlie, Gewaltig & Plesser (2009).

Nordlie et al. (2009), *Towards reproducible descriptions of neuronal network
models*, PLoS Comput Biol 5(8): e1000456, describe a model in a sequence of tables
with black title rows: a model summary, populations, connectivity, neuron and
synapse models, input and measurements; this writer adds tables of parameters and
of what is needed to reproduce a run. With ``standalone=True`` the file compiles
with ``pdflatex``; otherwise it holds only the tables, for ``\\input``.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Iterator, Sequence

from .facts import ReportFacts
from .figure import FigureLink
from .markdown import FIGURE_CAPTION, provenance_rows
from .models import ModelFact
from .typeset import escape_latex_text, quantity_text, text_number_latex

__all__ = ["PACKAGES", "report_latex", "rich_latex"]

#: The packages the tables need (the preamble of a standalone report loads them).
PACKAGES = (r"\usepackage{amsmath,amssymb}", r"\usepackage{array,longtable}",
            r"\usepackage[table]{xcolor}", r"\usepackage{graphicx}",
            # an equation wider than its cell is scaled down to the cell's width
            r"\newsavebox{\jnsimbox}\providecommand{\jnsimfit}[1]{\sbox{\jnsimbox}"
            r"{$\displaystyle #1$}\leavevmode\rule[-\dimexpr\dp\jnsimbox+2pt\relax]{0pt}"
            r"{\dimexpr\ht\jnsimbox+\dp\jnsimbox+5pt\relax}\ifdim\wd\jnsimbox>\linewidth"
            r"\resizebox{\linewidth}{!}{\usebox{\jnsimbox}}\else\usebox{\jnsimbox}\fi}")

_RICH = re.compile(r"(\$\$.*?\$\$|\$[^$]*\$|`[^`]*`)", re.S)
_UNICODE = {"µ": r"$\mu$", "×": r"$\times$", "Ω": r"$\Omega$", "→": r"$\rightarrow$",
            "—": "---", "–": "--"}


def _powers(text: str) -> str:
    """Numbers written ``6.6×10⁻⁵`` (see :func:`~jnsim.report.typeset.quantity_text`)
    as math."""
    return re.sub(r"-?[\d.]+×10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+", lambda m: f"${text_number_latex(m.group(0))}$",
                  text)


def _plain(text: str) -> str:
    escaped = _powers(escape_latex_text(text))
    escaped = escaped.replace("<", r"\textless{}").replace(">", r"\textgreater{}")
    escaped = escaped.replace("|", r"\textbar{}")
    for char, replacement in _UNICODE.items():
        escaped = escaped.replace(char, replacement)
    return escaped


def _light(text: str) -> str:
    """Escape a user's description, keeping LaTeX commands and light Markdown."""
    text = _powers(re.sub(r"(?<!\\)([&%#_])", r"\\\1", text))
    text = text.replace("<", r"\textless{}").replace(">", r"\textgreater{}")
    text = re.sub(r"\*\*(.+?)\*\*", r"\\textbf{\1}", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\\emph{\1}", text)
    for char, replacement in _UNICODE.items():
        text = text.replace(char, replacement)
    return text


def rich_latex(text: str, description: bool = False) -> str:
    """Rich text (words, ``$math$``, ```code```) as LaTeX."""
    parts = []
    for part in _RICH.split(text or ""):
        if part.startswith("$$"):
            parts.append(rf"\[{part[2:-2].strip()}\]")
        elif part.startswith("$"):
            parts.append(_breakable_arguments(part))
        elif part.startswith("`"):
            parts.append(rf"\texttt{{{_plain(part[1:-1])}}}")
        else:
            parts.append(_light(part) if description else _plain(part))
    result = "".join(parts)
    if description:
        result = re.sub(r"\n\s*\n", r" \\par ", result.strip()).replace("\n", " ")
    return result


def _top_level_commas(text: str) -> list[int] | None:
    """Positions of the commas of ``text`` outside braces and ``\\left ... \\right``;
    ``None`` if those do not pair up within ``text``."""
    depth, commas, k = 0, [], 0
    while k < len(text):
        if text.startswith((r"\left", "{"), k):
            depth += 1
        elif text.startswith((r"\right", "}"), k):
            depth -= 1
            if depth < 0:
                return None
        elif text[k] == "\\":  # a control symbol (\\, is a space, not a comma)
            k += 1
        elif text[k] == "," and depth == 0:
            commas.append(k)
        k += 1
    return commas if depth == 0 else None


def _breakable_arguments(math: str) -> str:
    """Inline math ``$f\\left(a, b\\right)$`` that may break after its commas.

    TeX cannot break inside ``\\left ... \\right``, so a distribution such as
    :math:`\\mathcal{U}(1\\,\\mathrm{ms}, 5\\,\\mathrm{ms})` overfilled narrow table
    columns; it is written ``$\\mathcal{U}(1\\,\\mathrm{ms},$ $5\\,\\mathrm{ms})$``.
    """
    found = re.fullmatch(r"\$([^$]*?)\\left\((.*)\\right\)\$", math, flags=re.DOTALL)
    if found is None:
        return math
    head, inner = found.groups()
    commas = _top_level_commas(inner)
    if r"\left" in head or not commas:  # also None: the parentheses are not one pair
        return math
    pieces, start = [], 0
    for comma in commas:
        pieces.append(inner[start:comma + 1])
        start = comma + 1
    pieces.append(inner[start:])
    return f"${head}(" + "$ $".join(p.strip() for p in pieces) + ")$"


def _name(text: str) -> str:
    """An object's name, breakable after ``_``, ``[`` and ``:`` (``P[0:3200]``)."""
    return re.sub(r"(\\_|\[|:)", r"\1\\allowbreak{}", _plain(text))


def _breakable(text: str) -> str:
    """Plain text (paths, command lines, hashes) that may break after ``/``, ``_``,
    ``-``, ``.``, ``=`` and every 16 characters of a long word."""
    words = []
    for word in text.split(" "):
        pieces = [word[k:k + 16] for k in range(0, len(word), 16)] or [""]
        escaped = r"\allowbreak{}".join(_plain(piece) for piece in pieces)
        words.append(re.sub(r"(/|\\_|-|\.|=)", r"\1\\allowbreak{}", escaped))
    return " ".join(words)


def _rich_breakable(text: str) -> str:
    """Rich text whose code parts (```...```) may break (see :func:`_breakable`)."""
    return "".join(rf"\texttt{{{_breakable(part[1:-1])}}}" if part.startswith("`")
                   else rich_latex(part) for part in re.split(r"(`[^`]*`)", text) if part)


def _seconds(value: float) -> str:
    from ..units import Dimensions

    return _plain(quantity_text(value, Dimensions({"[time]": 1})))


def table_letters() -> Iterator[str]:
    """A, B, ..., Z, AA, AB, ...: one letter per table."""
    for size in itertools.count(1):
        for letters in itertools.product(string.ascii_uppercase, repeat=size):
            yield "".join(letters)


def _table(letter: str, title: str, header: Sequence[str] | None,
           rows: Sequence[Sequence[str]], widths: Sequence[float], small: bool = False) -> str:
    """One Nordlie table: a black title row, a grey header row, then the rows.

    On a page break the title and header rows are repeated ("continued"); every
    row ends in ``\\hline``, whose second copy (longtable draws two at a
    possible break) rules off the repeated header, so no rule is doubled.
    """
    # each column's share of the line, less its padding and (at most) two rules
    columns = "|" + "|".join(
        rf">{{\raggedright\arraybackslash}}p{{\dimexpr{w / sum(widths):.3f}\linewidth"
        r"-2\tabcolsep-2\arrayrulewidth\relax}" for w in widths) + "|"
    count = len(widths)

    def head(suffix: str) -> list[str]:
        lines = [rf"\rowcolor{{black}}\multicolumn{{{count}}}{{|l|}}{{\color{{white}}"
                 rf"\textbf{{{letter}}}\quad\textbf{{{_plain(title)}}}{suffix}}} \\ \hline"]
        if header:
            lines.append(r"\rowcolor[gray]{0.85}" + " & ".join(
                rf"\textbf{{{_plain(h)}}}" for h in header) + r" \\ \hline")
        return lines

    continued = head(r" \textit{(continued)}")
    continued[-1] = continued[-1].removesuffix(r" \hline")  # the break's rule follows
    lines = []
    if small:
        lines.append(r"{\footnotesize")
    lines += [rf"\begin{{longtable}}{{{columns}}}", r"\hline", *head(""), r"\endfirsthead",
              r"\hline", *continued, r"\endhead"]
    for row in rows:
        lines.append(" & ".join(row) + r" \\ \hline")
    lines.append(r"\end{longtable}")
    if small:
        lines.append("}")
    return "\n".join(lines)


def _two_columns(letter: str, title: str, rows: Sequence[tuple[str, str]]) -> str:
    return _table(letter, title, None,
                  [(rf"\textbf{{{_plain(k)}}}" if k else "", v) for k, v in rows], (0.2, 0.72))


def _summary(facts: ReportFacts, letter: str) -> str:
    def listing(values: Sequence[str]) -> str:
        return ", ".join(dict.fromkeys(values)) or "---"

    plastic = [m.name for m in facts.synapse_models
               if any("post" in title for title, _ in m.pathways)
               or any("event-driven" in v.notes for v in m.variables)]
    rows = [
        ("Populations", listing([f"{_plain(p.name)} ({p.size})" for p in facts.populations])),
        ("Topology", "---"),
        ("Connectivity", listing([rich_latex(p.pattern) for p in facts.projections])),
        ("Neuron models", listing([_plain(m.name) for m in facts.neuron_models])),
        ("Synapse models", listing([_plain(m.name) for m in facts.synapse_models])),
        ("Plasticity", listing([_plain(n) for n in plastic])),
        ("Input", listing([f"{_plain(i.name)}: {_plain(i.kind)}" for i in facts.inputs])),
        ("Measurements", listing([f"{_plain(m.kind)} of {_plain(m.source)}"
                                  for m in facts.monitors])),
    ]
    return _two_columns(letter, "Model summary", rows)


def _variable_cells(fact: ModelFact) -> list[str]:
    """One cell per variable (so that a page may break between them)."""
    cells = []
    for variable in fact.variables:
        details = [variable.unit, variable.locality]
        if variable.initial is not None:
            details.append(f"initial value {variable.initial}")
        details += list(variable.notes)
        cells.append(rf"\jnsimfit{{{variable.latex}}}\par {{\small {variable.name}: "
                     f"{rich_latex(', '.join(d for d in details if d))}}}")
    return cells


def _model_table(letters: Iterator[str], fact: ModelFact) -> str:
    kind = "Neuron model" if fact.kind == "neuron" else "Synapse model"
    rows: list[tuple[str, str]] = [("Name", _plain(fact.name))]
    if fact.description:
        rows.append(("Description", rich_latex(fact.description, description=True)))
    if fact.users:
        rows.append(("Used by", _plain(", ".join(fact.users))))
    if fact.variables:
        rows += [("Dynamics" if index == 0 else "", cell)
                 for index, cell in enumerate(_variable_cells(fact))]
        if fact.method:
            rows.append(("Integration", _plain(fact.method)))
    if fact.threshold is not None:
        steps = [r"emit a spike at time $t$"] + [f"${s}$" for s in fact.reset]
        rows.append(("Spiking", rf"If ${fact.threshold}$: " + "; ".join(steps)))
    elif fact.reset:
        rows.append(("Reset", "; ".join(f"${s}$" for s in fact.reset)))
    if fact.refractory:
        rows.append(("Refractoriness", rich_latex(fact.refractory)))
    for title, statements in fact.pathways:
        rows.append((f"On a {title.split(',')[0].split(' at ')[0]}",
                     rich_latex(title) + r":\par " +
                     (r"\par ".join(f"${s}$" for s in statements) or "---")))
    for title, statements in fact.operations:
        rows.append(("Regular updates" if title.startswith("Every") else "Events",
                     rich_latex(title) + r":\par " +
                     (r"\par ".join(f"${s}$" for s in statements) or "---")))
    if fact.delay:
        rows.append(("Default delay", _plain(fact.delay)))
    if fact.functions:
        rows.append(("Functions", "; ".join(rich_latex(f) for f in fact.functions)))
    text = _two_columns(next(letters), f"{kind}: {fact.name}", rows)
    if fact.parameters:
        text += "\n\n" + _table(next(letters), f"Parameters of {fact.name}",
                               ("Name", "Default value", "Locality", "Type"),
                               [(p.name, rich_latex(p.value), _plain(p.locality), _plain(p.dtype))
                                for p in fact.parameters], (0.2, 0.3, 0.28, 0.12))
    return text


def _parameters(facts: ReportFacts, letters: Iterator[str]) -> list[str]:
    tables = []
    for title, groups, owner in (("Population parameters", facts.population_parameters,
                                  "Population"),
                                 ("Projection parameters", facts.projection_parameters,
                                  "Projection")):
        rows = []
        for group in groups:
            for index, (name, value) in enumerate(group.rows):
                rows.append((_plain(group.owner) if index == 0 else "",
                             _plain(group.type) if index == 0 else "", rich_latex(name),
                             rich_latex(value)))
        if rows:
            tables.append(_table(next(letters), title, (owner, "Type", "Name", "Value"), rows,
                                 (0.18, 0.2, 0.2, 0.32)))
    return tables


def report_body(facts: ReportFacts, figure: FigureLink | None = None) -> str:
    """The tables of the report, without preamble (lettered A, B, C, ... in order)."""
    letters = table_letters()
    parts = [_summary(facts, next(letters))]
    parts.append(_table(next(letters), "Populations", ("Name", "Elements", "Size"),
                        [(_name(p.name), _plain(p.type), str(p.size)) for p in facts.populations],
                        (0.3, 0.42, 0.2)))
    if facts.projections:
        parts.append(_table(
            next(letters), "Connectivity",
            ("Name", "Source", "Target", "Target variable", "Synapse type", "Pattern",
             "Weights", "Delays"),
            [(_name(p.name), _name(p.source), _name(p.target), rich_latex(p.targets),
              _name(p.type), rich_latex(p.pattern), rich_latex(p.weights),
              rich_latex(p.delays)) for p in facts.projections],
            (0.1, 0.1, 0.09, 0.09, 0.11, 0.18, 0.15, 0.09), small=True))
    if facts.connectivity:
        parts.append(_table(
            next(letters), "Connectivity statistics",
            ("Name", "Type", "Synapses", "In-degree", "Out-degree", "Weights", "Delays"),
            [(_name(c.name), _plain(c.sign), str(c.synapses), _plain(c.in_degree_summary),
              _plain(c.out_degree_summary), rich_latex(c.weight_summary),
              rich_latex(c.delay_summary)) for c in facts.connectivity],
            (0.14, 0.12, 0.12, 0.15, 0.15, 0.18, 0.12), small=True))
        if figure is not None and figure.path:
            parts.append("\n".join([
                r"\begin{figure}[htbp]", r"\centering",
                rf"\includegraphics[width=\linewidth,height=0.8\textheight,"
                rf"keepaspectratio]{{{figure.path}}}",
                rf"\caption{{{_plain(FIGURE_CAPTION)}.}}", r"\end{figure}"]))
        elif figure is not None:
            parts.append(rf"\textit{{Connectivity figure omitted: {_plain(figure.reason)}.}}")
    parts += [_model_table(letters, m) for m in facts.neuron_models]
    parts += [_model_table(letters, m) for m in facts.synapse_models]
    parts += _parameters(facts, letters)
    parts.append(_table(next(letters), "Input", ("Name", "Type", "Description"),
                        [(_name(i.name), _plain(i.kind), rich_latex(i.description))
                         for i in facts.inputs] or [("---", "---", "---")],
                        (0.2, 0.2, 0.52)))
    parts.append(_table(next(letters), "Measurements",
                        ("Object", "Recorded", "Variables", "Period"),
                        [(_name(m.source), _plain(m.kind), rich_latex(m.variables),
                          _plain(m.period)) for m in facts.monitors] or [("---",) * 4],
                        (0.2, 0.2, 0.36, 0.16)))
    parts.append(_table(
        next(letters), "Simulation protocol",
        ("Run", "Network", "Start", "Duration", "End", "Time step", "Steps"),
        [(str(k), _plain(r.network), _seconds(r.start), _seconds(r.duration) + (
            f" (stopped; {_seconds(r.requested)} asked)"
            if r.duration < r.requested - r.dt / 2 else ""),
          _seconds(r.start + r.duration), _seconds(r.dt), str(r.steps))
         for k, r in enumerate(facts.runs, start=1)] or [("---", "not run yet") + ("",) * 5],
        (0.07, 0.17, 0.13, 0.17, 0.13, 0.13, 0.1)))
    if facts.stimuli:
        parts.append(_table(next(letters), "Stimulus schedule",
                            ("Stimulus", "Type", "Schedule", "Runs"),
                            [(_name(x.name), _plain(x.kind), rich_latex(x.schedule),
                              _plain(x.runs)) for x in facts.stimuli],
                            (0.16, 0.18, 0.46, 0.12)))
    versions = ", ".join(f"{n} {v}" for n, v in facts.versions)
    parts.append(_two_columns(next(letters), "Reproducibility", [
        ("Software", _plain(versions)), ("Time step", _plain(facts.dt)),
        ("Random seed", str(facts.seed) if facts.seed is not None else "not set"),
        ("Model hash", r"{\small\texttt{" + facts.model_hash + "}}\\par "
         r"{\small sha256 of all equations and code}"),
        ("Network hash", r"{\small\texttt{" + facts.network_hash + "}}\\par "
         r"{\small sha256 of equations, code, parameters, initial values and "
         r"connectivity}")]))
    if facts.data_checksums:
        parts.append(_table(next(letters), "Recorded data", ("Monitor", "Variable", "Shape",
                                                              "Type", "sha256"),
                            [(_name(c.monitor), _plain(c.variable), _plain(c.shape),
                              _plain(c.dtype),
                              r"{\footnotesize\texttt{" + _breakable(c.sha256) + "}}")
                             for c in facts.data_checksums], (0.16, 0.14, 0.1, 0.1, 0.42)))
    if facts.provenance is not None:
        parts.append(_two_columns(next(letters), "Provenance",
                                  [(key, _rich_breakable(value))
                                   for key, value in provenance_rows(facts)]))
    return "\n\n".join(parts) + "\n"


def report_latex(facts: ReportFacts, standalone: bool = True,
                 figure: FigureLink | None = None) -> str:
    """The LaTeX report: a complete document, or only the tables (``figure``: the
    connectivity figure's file, or why there is none)."""
    body = report_body(facts, figure)
    if not standalone:
        return ("% Model description generated by jnsim. Needs in the preamble:\n"
                + "".join(f"%   {p}\n" for p in PACKAGES) + "\n" + body)
    meta = [rf"\title{{{_plain(facts.title)}}}",
            rf"\author{{{_plain(facts.author or '')}}}",
            rf"\date{{{_plain(facts.date) if facts.date else ''}}}"]
    return "\n".join([
        r"\documentclass[a4paper,10pt]{article}",
        r"\usepackage[margin=1.8cm]{geometry}",
        *PACKAGES,
        r"\setlength{\parindent}{0pt}",
        *meta,
        r"\begin{document}",
        r"\maketitle",
        body,
        r"\end{document}",
        ""])
