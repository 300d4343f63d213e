"""Golden report text for three models, and pdflatex / pandoc on reports with the figure.

The stored reports are ``tests/golden/<model>.md`` and ``.tex``: the homeostatic STDP
example, CUBA and an STDP network (:mod:`tests.report_models`), each after two runs.
What changes from machine to machine or day to day — versions, dates, paths, the
command line, timings, checksums of simulated data — is replaced by ``<volatile>``
before the comparison (:func:`stable`). After an intended change of the report,
regenerate them with::

    JNSIM_REGENERATE_GOLDEN=1 pytest tests/test_report_golden.py

and review the diff.
"""

from __future__ import annotations

import os
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from jnsim.report import ReportFacts, gather, write_report
from tests.report_models import MODELS, built_and_run, objects_of
from tests.test_report import tool

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("JNSIM_REGENERATE_GOLDEN") == "1"

_VOLATILE = [
    # versions: "jnsim 0.1.0, Python 3.11.7, numpy 2.4.6, ..." and "Simulated with jnsim X,"
    (r"(Software\}? &? ?:? ?)[^\n]*?(?= \\\\ \\hline|\n)", r"\1<volatile>"),
    (r"(\* Software: )[^\n]*", r"\1<volatile>"),
    (r"(Simulated with jnsim )[^,]*", r"\1<volatile>"),
    # checksums of recorded data (they follow the numerics of the compiled kernel)
    (r"`[0-9a-f]{64}` \|", "`<volatile>` |"),
    (r"(\\footnotesize\\texttt\{)[0-9a-f\\{}allowbreak]*(\}\} \\\\ \\hline)", r"\1<volatile>\2"),
]


def stable(text: str) -> str:
    """The report without its volatile parts: versions, the provenance section (date,
    machine, paths, command line, git state, timings) and data checksums."""
    text = re.sub(r"## Provenance\n\n(\* [^\n]*\n?)+", "## Provenance\n\n<volatile>\n", text)
    text = re.sub(r"(\\textbf\{Provenance\}\} \\\\ \\hline\n\\endfirsthead)(.|\n)*?"
                  r"\\end\{longtable\}", r"\1\n<volatile>\n\\end{longtable}", text)
    for pattern, replacement in _VOLATILE:
        text = re.sub(pattern, replacement, text)
    return text


@cache
def facts(model: str) -> ReportFacts:
    names = built_and_run(model)
    return gather(objects_of(names), names, title=f"The {model} model", author="jnsim tests")


@pytest.mark.parametrize("suffix", [".md", ".tex"])
@pytest.mark.parametrize("model", sorted(MODELS))
def test_golden_report(model: str, suffix: str, tmp_path: Path) -> None:
    text = stable(write_report(facts(model), tmp_path / f"{model}{suffix}", figure=True))
    golden = GOLDEN / f"{model}{suffix}"
    if REGENERATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with JNSIM_REGENERATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8")


def test_volatile_parts_are_masked(tmp_path: Path) -> None:
    text = stable(write_report(facts("cuba"), tmp_path / "r.md", figure=False))
    assert "<volatile>" in text
    p = facts("cuba").provenance
    assert p is not None
    for value in (p.date, p.command, p.os, dict(p.versions)["numpy"]):
        assert value not in text
    assert facts("cuba").network_hash in text  # the hash is stable: it stays


def _pdflatex(folder: Path, name: str) -> str:
    pdflatex = tool("pdflatex")
    for _ in range(2):
        result = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error",
                                 f"{name}.tex"], cwd=folder, capture_output=True, text=True,
                                timeout=180)
        assert result.returncode == 0, result.stdout[-3000:]
    return (folder / f"{name}.log").read_text(errors="replace")


@pytest.mark.parametrize("model", sorted(MODELS))
def test_latex_report_with_the_figure_compiles_without_warnings(model: str,
                                                                tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    text = write_report(facts(model), tmp_path / "r.tex")
    assert "\\includegraphics" in text and (tmp_path / "r-connectivity.pdf").exists()
    log = _pdflatex(tmp_path, "r")
    assert "Warning" not in log, re.findall(r".*Warning.*\n.*", log)
    assert "Overfull" not in log, re.findall(r"Overfull.*\n.*", log)
    assert "r-connectivity.pdf" in log  # the figure was included


@pytest.mark.parametrize("model", sorted(MODELS))
def test_markdown_report_with_the_figure_converts_with_pandoc(model: str,
                                                              tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    pandoc = tool("pandoc")
    write_report(facts(model), tmp_path / "r.md")
    result = subprocess.run([pandoc, "r.md", "-s", "--mathjax", "-o", "r.html"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0 and not result.stderr, result.stderr
    html = (tmp_path / "r.html").read_text()
    assert '<img src="r-connectivity.png"' in html
    tool("pdflatex")
    result = subprocess.run([pandoc, "r.md", "-s", "-V", "geometry:margin=1in", "-o", "r.pdf"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0 and not result.stderr, result.stderr
    assert (tmp_path / "r.pdf").stat().st_size > 30_000


def test_distributions_in_narrow_columns_break_after_their_commas(tmp_path: Path) -> None:
    # U(1 ms, 5 ms) as a delay: inside \left( ... \right) TeX cannot break, and the
    # Delays column overflowed by 14 pt
    from jnsim import Network, NeuronGroup, Synapses, ms, mV, start_scope
    from jnsim.report.latex import _breakable_arguments

    assert _breakable_arguments(r"$\mathcal{U}\left(1\,\mathrm{ms}, 5\,\mathrm{ms}\right)$") \
        == r"$\mathcal{U}(1\,\mathrm{ms},$ $5\,\mathrm{ms})$"
    assert _breakable_arguments(r"$\left(a\right) + \left(b, c\right)$") \
        == r"$\left(a\right) + \left(b, c\right)$"
    start_scope()
    P = NeuronGroup(100, "dv/dt = -v/(10*ms) : volt", threshold="v > 1*mV", reset="v = 0*mV",
                    method="exact", name="P")
    S = Synapses(P[:80], P, on_pre="v += 0.5*mV", delay="1*ms + 4*ms*rand()", name="S")
    S.connect(p=0.1)
    net = Network(P, S)
    net.run(1 * ms, namespace={"mV": mV, "ms": ms})
    text = write_report(gather(list(net.objects), {}), tmp_path / "d.tex")
    assert r"$\mathcal{U}(1\,\mathrm{ms},$ $5\,\mathrm{ms})$" in text
    log = _pdflatex(tmp_path, "d")
    assert "Overfull" not in log, re.findall(r"Overfull.*\n.*", log)
