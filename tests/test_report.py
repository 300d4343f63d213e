"""Model reports: content, the naming rules, and that pdflatex and pandoc accept them."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from jnsim import (
    Hz,
    JnsimError,
    Mohm,
    Network,
    NeuronGroup,
    PoissonGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    defaultclock,
    linked_var,
    ms,
    mV,
    nS,
    report,
    second,
    seed,
    start_scope,
    us,
)
from jnsim.models import NeuronModel
from jnsim.report.latex import PACKAGES
from jnsim.report.values import describe_assignment

REQUIRE_TOOLS = os.environ.get("JNSIM_REQUIRE_TOOLS") == "1"


def tool(name: str) -> str:
    """The path of an external program, or skip (fail with JNSIM_REQUIRE_TOOLS=1)."""
    path = shutil.which(name)
    if path is None:
        if REQUIRE_TOOLS:
            pytest.fail(f"{name} is required (JNSIM_REQUIRE_TOOLS=1) but not installed")
        pytest.skip(f"{name} is not installed (apt-get install "
                    f"{'pandoc' if name == 'pandoc' else 'texlive-latex-recommended'})")
    return path


def cuba(n: int = 200) -> dict[str, Any]:
    """A small CUBA network (Vogels & Abbott 2005), built but not run."""
    start_scope()
    seed(2)
    defaultclock.dt = 0.1 * ms
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
    we, wi = 1.62 * mV, -9 * mV
    LIF = NeuronModel("CUBA LIF", """
        dv/dt  = (ge + gi - (v - El))/taum : volt (unless refractory)
        dge/dt = -ge/taue : volt
        dgi/dt = -gi/taui : volt
        """, threshold="v > Vt", reset="v = Vr", refractory=5 * ms, method="exact",
        description="Leaky integrate-and-fire neuron with exponential currents, "
                    "$\\tau_m \\dot v = E_l - v + g_e + g_i$.")
    P = NeuronGroup(n, LIF)
    P.v = "Vr + rand() * (Vt - Vr)"
    Pe, Pi = P[: n * 4 // 5], P[n * 4 // 5:]
    Ce = Synapses(Pe, P, on_pre="ge += we")
    Ci = Synapses(Pi, P, on_pre="gi += wi")
    Ce.connect(p=0.08)
    Ci.connect(p=0.08)
    spikes = SpikeMonitor(P)
    trace = StateMonitor(P, "v", record=[0, 1])
    return locals()


def test_markdown_report_of_cuba(tmp_path: Path) -> None:
    names = cuba()
    text = report(tmp_path / "cuba.md", title="CUBA", author="A. Modeller", date="2024",
                  namespace=names)
    assert (tmp_path / "cuba.md").read_text() == text
    assert text.startswith('---\ntitle: "CUBA"\nauthor: "A. Modeller"\ndate: "2024"\n'
                           'header-includes: |\n')
    assert "\n---\n\n# Structure of the network" in text
    expected = [
        "# Structure of the network",
        "| P | 200 | CUBA LIF |",
        "| P[0:160] | P | $\\text{ge}$ | Ce synapse | random, probability 0.08 (",
        "| $\\text{we}$ = 1.62 mV | 0 ms |",
        "| P | spikes | spike times | each spike |",
        "| P | state | $v$ (2 of 200 elements) | 0.1 ms |",
        "# Neuron models\n\n## CUBA LIF\n\nLeaky integrate-and-fire neuron",
        "| $\\text{Vt}$ | -50 mV | shared (external) | float64 |",
        "| $\\text{taum}$ | 20 ms | shared (external) | float64 |",
        "**Equations:** (integration: exact)",
        "* Variable $v$: $\\mathrm{V}$, per neuron, initial value: "
        "$\\mathcal{U}\\left(\\text{Vr}, \\text{Vt}\\right)$, unless refractory",
        "$$\n\\frac{\\mathrm{d}v}{\\mathrm{d}t} = "
        "\\frac{\\text{ge} + \\text{gi} - v + \\text{El}}{\\text{taum}}\n$$",
        "**Spike emission:** if $v > \\text{Vt}$:\n\n* emit a spike at time $t$\n"
        "* $v \\leftarrow \\text{Vr}$",
        "**Refractoriness:** for 5 ms after each spike; $v$ held constant meanwhile",
        "# Synapse models\n\n## Ce synapse",
        "**On a pre-synaptic spike, arriving at $t_\\text{pre} + d$:**\n\n"
        "* $\\text{ge} \\mathrel{+}= \\text{we}$",
        "## Population parameters",
        "| P | CUBA LIF | $v$ (initial) | $\\mathcal{U}\\left(\\text{Vr}, \\text{Vt}\\right)$ |",
        "# Reproducibility",
        "* Time step: 0.1 ms",
        "* Random seed: 2",
        "* Model hash (sha256 of all equations and code): `",
    ]
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in the report:\n{text}"
    for package in ("jnsim", "numpy", "numba", "sympy", "pint"):
        assert f"{package} " in text.split("* Software: ")[1].split("\n")[0]


def test_star_import_gives_the_named_models() -> None:
    import jnsim
    import jnsim.models

    namespace: dict[str, Any] = {}
    exec("from jnsim import *", namespace)
    assert namespace["NeuronModel"] is jnsim.models.NeuronModel
    assert namespace["SynapseModel"] is jnsim.models.SynapseModel
    assert {"NeuronModel", "SynapseModel"} <= set(jnsim.__all__)
    assert all(hasattr(jnsim, name) for name in jnsim.__all__)


class _NoDeepCopy:
    """A payload that fails when deep-copied (as IPython's attributes on AST nodes)."""

    def __init__(self) -> None:
        self.data = list(range(100_000))

    def __deepcopy__(self, memo: dict[int, Any]) -> _NoDeepCopy:
        raise AssertionError("report() deep-copied a shared AST node")


def test_report_does_not_copy_the_parsers_shared_ast_nodes(tmp_path: Path) -> None:
    """In IPython the parser's shared instances (ast.Load(), ast.Mult(), ...) carry
    attributes; deep-copying expression trees copied them and made report() 60x
    slower in a notebook than in a script."""
    tree = ast.parse("a*b + c - d/e**f", mode="eval").body
    shared = [tree.left.left.left.ctx, tree.left.left.op, tree.left.op, tree.op,  # type: ignore
              tree.right.op, tree.right.right.op]  # type: ignore[attr-defined]
    again = ast.parse("x*y", mode="eval").body
    if again.op is not tree.left.left.op:  # type: ignore[attr-defined]
        pytest.skip("this Python's parser does not share operator instances")
    names = cuba(40)
    names["P"].v = "-60*mV + 1*mV*randn()"
    try:
        for node in shared:
            node._jnsim_payload = _NoDeepCopy()  # type: ignore[attr-defined]
        text = report(tmp_path / "cuba.md", namespace=names)
    finally:
        for node in shared:
            del node._jnsim_payload  # type: ignore[attr-defined]
    assert "\\frac{\\mathrm{d}v}{\\mathrm{d}t}" in text


def test_model_hash_changes_with_the_model_only(tmp_path: Path) -> None:
    def model_hash(text: str) -> str:
        return text.split("code): `")[1].split("`")[0]

    first = model_hash(report(tmp_path / "a.md", namespace=cuba(200)))
    again = model_hash(report(tmp_path / "b.md", namespace=cuba(100)))  # size is not model
    assert first == again and len(first) == 64
    names = cuba(100)
    names["Ce"].connect(p=0.01)  # connectivity is not equations or code either
    assert model_hash(report(tmp_path / "c.md", namespace=names)) == first
    start_scope()
    tau = 10 * ms
    G = NeuronGroup(3, "dv/dt = -v/tau : volt")
    assert model_hash(report(tmp_path / "d.md", namespace=locals())) != first


def test_report_finds_the_objects_of_the_caller(tmp_path: Path) -> None:
    start_scope()
    tau = 10 * ms
    cells = NeuronGroup(4, "dv/dt = -v/tau : volt", name="Cells")
    text = report(tmp_path / "r.md")
    assert "| Cells | 4 | Cells neuron |" in text
    assert "| $\\tau$ | 10 ms | shared (external) | float64 |" in text
    net_text = Network(cells).report(str(tmp_path / "n.md"), title="Net")
    assert 'title: "Net"' in net_text and "| Cells | 4 |" in net_text


def test_gather_subprojections(tmp_path: Path) -> None:
    names = cuba()
    split = report(tmp_path / "split.md", namespace=names)
    merged = report(tmp_path / "merged.md", namespace=names, gather_subprojections=True)
    assert "| P[0:160] | P |" in split and "| P[160:200] | P |" in split
    assert "| P[0:160] |" not in merged
    row = next(line for line in merged.splitlines() if line.startswith("| Ce, Ci | P | P |"))
    assert "Ce synapse / Ci synapse" in row
    assert "P[0:160] → P: random, probability 0.08" in row


def test_connection_patterns_weights_and_delays(tmp_path: Path) -> None:
    start_scope()
    tau = 10 * ms
    A = NeuronGroup(10, "dv/dt = -v/tau : volt")
    B = PoissonGroup(10, rates="5*Hz")
    one = Synapses(A, A, "w : volt", on_pre="v_post += w", delay=2 * ms)
    one.connect(j="i")
    one.w = "0.5*mV + rand()*mV"
    explicit = Synapses(B, A, "w : volt", on_pre="v += w")
    explicit.connect(i=[0, 1], j=[2, 3])
    explicit.w = "1*mV + 0.1*mV*randn()"
    explicit.delay = "i*ms"
    fixed = Synapses(A, A, on_pre="v += 1*mV")
    fixed.connect(j="k for k in sample(N_post, size=3)")
    condition = Synapses(A, A, on_pre="v += 1*mV")
    condition.connect("i != j", p="0.5")
    text = report(tmp_path / "p.md", namespace=locals())
    assert ("| A | A | $v^{\\text{post}}$ | one synapse | one-to-one (10 synapses) | "
            "$w$: $\\mathcal{U}\\left(0.5\\,\\mathrm{mV}, 1.5\\,\\mathrm{mV}\\right)$ "
            "| 2 ms |") in text
    assert ("| B | A | $v$ | explicit synapse | explicit list of pairs (2 synapses) | $w$: "
            "$\\mathcal{N}\\left(1\\,\\mathrm{mV}, \\left(0.1\\,\\mathrm{mV}\\right)^{2}\\right)$ "
            "| $i \\cdot \\mathrm{ms}$ |") in text
    assert "fixed number ($3$) per source, drawn at random (30 synapses)" in text
    assert "random, probability $0.5$ where $i \\neq j$" in text
    assert ("| B | Poisson spike trains | 10 independent Poisson processes, rate "
            "$5\\,\\mathrm{Hz}$ |") in text


@pytest.mark.parametrize(("text", "expected"), [
    # uniform: offset and scale in any order, units on either factor, the 1 of '1*ms' kept
    ("1*ms + 4*ms*rand()", r"\mathcal{U}\left(1\,\mathrm{ms}, 5\,\mathrm{ms}\right)"),
    ("4*ms*rand() + 1*ms", r"\mathcal{U}\left(1\,\mathrm{ms}, 5\,\mathrm{ms}\right)"),
    ("rand()*4*ms + 1*ms", r"\mathcal{U}\left(1\,\mathrm{ms}, 5\,\mathrm{ms}\right)"),
    ("(1 + 4*rand())*ms", r"\mathcal{U}\left(1\,\mathrm{ms}, 5\,\mathrm{ms}\right)"),
    ("5*ms - 4*ms*rand()", r"\mathcal{U}\left(1\,\mathrm{ms}, 5\,\mathrm{ms}\right)"),
    ("1*ms + rand()*ms", r"\mathcal{U}\left(1\,\mathrm{ms}, 2\,\mathrm{ms}\right)"),
    ("rand()*ms", r"\mathcal{U}\left(0, 1\,\mathrm{ms}\right)"),
    ("2*rand()*second/1000", r"\mathcal{U}\left(0, 2\,\mathrm{ms}\right)"),
    ("0.5*mV + rand()*mV", r"\mathcal{U}\left(0.5\,\mathrm{mV}, 1.5\,\mathrm{mV}\right)"),
    ("0.01 + 0.02*rand()", r"\mathcal{U}\left(0.01, 0.03\right)"),
    ("0.03 - 0.02*rand()", r"\mathcal{U}\left(0.01, 0.03\right)"),
    ("rand()", r"\mathcal{U}\left(0, 1\right)"),
    # constants stay names; '1*mV' next to them keeps its 1
    ("Vr + rand()*(Vt - Vr)", r"\mathcal{U}\left(\text{Vr}, \text{Vt}\right)"),
    ("Vr + 1*mV*rand()", r"\mathcal{U}\left(\text{Vr}, \text{Vr} + 1\,\mathrm{mV}\right)"),
    # normal: N(mean, variance), the standard deviation shown in the mean's unit
    ("-65*mV + 5*mV*randn()",
     r"\mathcal{N}\left(-65\,\mathrm{mV}, \left(5\,\mathrm{mV}\right)^{2}\right)"),
    ("5*mV*randn() - 65*mV",
     r"\mathcal{N}\left(-65\,\mathrm{mV}, \left(5\,\mathrm{mV}\right)^{2}\right)"),
    ("1*mV - 0.1*mV*randn()",
     r"\mathcal{N}\left(1\,\mathrm{mV}, \left(0.1\,\mathrm{mV}\right)^{2}\right)"),
    ("v_r + 1*mV*randn()", r"\mathcal{N}\left(v_{r}, \left(1\,\mathrm{mV}\right)^{2}\right)"),
    ("1 + randn()", r"\mathcal{N}\left(1, 1\right)"),
    ("2 + 0.5*randn()", r"\mathcal{N}\left(2, 0.25\right)"),
])
def test_distributions_match_their_expressions(text: str, expected: str) -> None:
    assert describe_assignment(text, None) == f"${expected}$"


def test_values_that_are_not_distributions() -> None:
    assert describe_assignment("1*ms", None) == "1 ms"
    assert describe_assignment("-65. * mvolt", None) == "-65 mV"
    assert describe_assignment("i*ms", None) == r"$i \cdot \mathrm{ms}$"
    assert not describe_assignment("rand()*rand()*ms", None).startswith(r"$\mathcal")
    assert not describe_assignment("rand() + randn()", None).startswith(r"$\mathcal")


def test_the_delay_column_keeps_the_offset_of_a_uniform_delay(tmp_path: Path) -> None:
    start_scope()
    tau = 10 * ms
    A = NeuronGroup(4, "dv/dt = -v/tau : volt")
    S = Synapses(A, A, "w : volt", on_pre="v_post += w")
    S.connect()
    S.delay = "1*ms + 4*ms*rand()"
    text = report(tmp_path / "d.md", namespace=locals())
    assert (r"| $\mathcal{U}\left(1\,\mathrm{ms}, 5\,\mathrm{ms}\right)$ |") in text
    delays = S.delay[:] / ms
    assert delays.min() >= 1 and delays.max() <= 5  # what the report says is what was drawn


def test_weights_are_what_the_pathways_add_to_the_target(tmp_path: Path) -> None:
    """Only ``w`` of ``ge_post += w`` is a weight; STDP's parameters, its traces and the
    plastic update of ``w`` itself are not (they used to be listed as weights)."""
    start_scope()
    taum, taue, w_max, we = 10 * ms, 5 * ms, 0.03, 0.5
    P = NeuronGroup(5, "dv/dt = (ge - v)/taum : 1\ndge/dt = -ge/taue : 1")
    stdp = Synapses(P, P, """
        w : 1
        tau_plus : second
        tau_minus : second
        A_plus : 1
        dapre/dt = -apre/tau_plus : 1 (event-driven)
        dapost/dt = -apost/tau_minus : 1 (event-driven)
        """, on_pre="ge_post += w\napre += A_plus\nw = clip(w + apost, 0, w_max)",
        on_post="apost -= A_plus\nw = clip(w + apre, 0, w_max)")
    stdp.connect(j="i")
    stdp.w = "0.01 + 0.02*rand()"
    stdp.tau_plus, stdp.tau_minus, stdp.A_plus = 20 * ms, 60 * ms, 0.0002
    fixed = Synapses(P, P, on_pre="v += 0.1\nge += we")
    fixed.connect(j="i")
    unset = Synapses(P, P, "c : 1\nscaled = 2*c : 1", on_pre="ge += scaled")
    unset.connect(j="i")
    text = report(tmp_path / "w.md", namespace=locals())
    rows = {line.split(" | ")[4]: line for line in text.splitlines()
            if " | P | P | " in line}
    assert rows["stdp synapse"].endswith(
        " | one-to-one (5 synapses) | $w$: $\\mathcal{U}\\left(0.01, 0.03\\right)$ | "
        "pre: 0 ms; post: 0 ms |")
    assert rows["fixed synapse"].endswith(" | 0.1; $\\text{we}$ = 0.5 | 0 ms |")
    assert rows["unset synapse"].endswith(" | $\\text{scaled}$ | 0 ms |")


def test_weights_of_brians_homeostatic_inhibitory_stdp(tmp_path: Path) -> None:
    """Brian 2's homeostatic_stdp_at_inhibitory_synapes.py: the aggregator adds a
    constant to H; the plastic synapse changes only its own variables."""
    start_scope()
    tau_H, population_size, gamma = 0.1 * second, 1000, 5 * Hz
    tau_stdp, eta = 20 * ms, 1 * nS * second
    spikes = PoissonGroup(population_size, rates=5 * Hz)
    global_factor = NeuronGroup(1, "G = H - gamma : Hz\ndH/dt = -H/tau_H : Hz")
    aggregator = Synapses(spikes, global_factor,
                          on_pre="H_post += 1/(tau_H * population_size)")
    aggregator.connect()
    pre = SpikeGeneratorGroup(1, [0], [0.5] * second)
    post = SpikeGeneratorGroup(1, [0], [0.501] * second)
    synapse = Synapses(pre, post, """
        H : Hz (linked)
        G = H - gamma : Hz
        wij : siemens
        dzi/dt = -zi / tau_stdp : 1 (event-driven)
        dzj/dt = -zj / tau_stdp : 1 (event-driven)
        """, on_pre="zi += 1.\nwij += eta * G * zj", on_post="zj += 1.\nwij += eta * G * (zi + 1)")
    synapse.connect(i=0, j=0)
    synapse.H = linked_var(global_factor, "H")
    synapse.wij = 0 * nS
    text = report(tmp_path / "h.md", namespace=locals())
    assert ("| spikes | global_factor | $H^{\\text{post}}$ | aggregator synapse | "
            "all-to-all (1000 synapses) | 0.01 Hz | 0 ms |") in text
    assert ("| pre | post | — | synapse synapse | explicit list of pairs (1 synapses) | — | "
            "pre: 0 ms; post: 0 ms |") in text


def test_summed_variables_and_locality(tmp_path: Path) -> None:
    start_scope()
    tau = 10 * ms
    G = NeuronGroup(2, "dv/dt = (g_syn - v)/tau : volt\ng_syn : volt\nk : 1 (shared)")
    S = Synapses(G, G, "g_syn_post = s : volt (summed)\ns : volt")
    S.connect()
    text = report(tmp_path / "s.md", namespace=locals())
    assert "| $k$ | 0 (default) | shared | float64 |" in text
    assert "* Variable ${g_{\\text{syn}}}^{\\text{post}}$: $\\mathrm{V}$, " \
           "per post-synaptic neuron (summed)" in text
    assert "| $s$ | 0 mV (default) | per synapse | float64 |" in text


def test_report_mistakes(tmp_path: Path) -> None:
    start_scope()
    with pytest.raises(JnsimError, match="unknown file type"):
        report(tmp_path / "model.docx")
    with pytest.raises(JnsimError, match="report\\(\\) found no objects to describe"):
        report(tmp_path / "model.md")
    with pytest.raises(JnsimError, match="needs a Network"):
        report(tmp_path / "model.md", network=42)


def test_latex_report_structure(tmp_path: Path) -> None:
    names = cuba()
    text = report(tmp_path / "cuba.tex", title="CUBA & co", namespace=names)
    assert text.startswith("\\documentclass")
    assert "\\title{CUBA \\& co}" in text
    for title in ("Model summary", "Populations", "Connectivity", "Neuron model: CUBA LIF",
                  "Synapse model: Ce synapse", "Population parameters", "Input",
                  "Measurements", "Reproducibility"):
        assert f"\\textbf{{{title}}}" in text, title
    body = report(tmp_path / "body.tex", standalone=False, namespace=names)
    assert "\\documentclass" not in body and "\\begin{document}" not in body
    assert body.startswith("% Model description generated by jnsim. Needs in the preamble:")


def test_latex_report_compiles_with_pdflatex(tmp_path: Path) -> None:
    pdflatex = tool("pdflatex")
    names = cuba()
    report(tmp_path / "cuba.tex", title="CUBA_network & friends", author="A. Modeller",
           namespace=names)
    report(tmp_path / "body.tex", standalone=False, namespace=names)
    (tmp_path / "main.tex").write_text(
        "\\documentclass{article}\n" + "\n".join(PACKAGES) +
        "\n\\begin{document}\n\\input{body}\n\\end{document}\n")
    for name in ("cuba", "main"):
        result = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error",
                                 f"{name}.tex"], cwd=tmp_path, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stdout[-3000:]
        assert (tmp_path / f"{name}.pdf").stat().st_size > 10_000


def test_markdown_report_converts_with_pandoc(tmp_path: Path) -> None:
    pandoc = tool("pandoc")
    names = cuba()
    R_m, tau = 100 * Mohm, 10 * ms  # 'Ω' and 'µ' in the Markdown must survive pdflatex
    H = NeuronGroup(2, "dv/dt = (R_m*I - v)/tau : volt\nI : amp")
    names.update(H=H, R_m=R_m, tau=tau)
    names["Ce"].delay = 5 * us
    report(tmp_path / "cuba.md", title="CUBA µ → Ω", author="A. Modeller", namespace=names)
    assert "100 MΩ" in (tmp_path / "cuba.md").read_text()
    assert "| 5 µs |" in (tmp_path / "cuba.md").read_text()
    result = subprocess.run([pandoc, "cuba.md", "-s", "--mathjax", "-o", "cuba.html"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "cuba.html").read_text()
    assert "<title>CUBA µ → Ω</title>" in html
    assert "<table" in html and "mathjax" in html.lower()
    assert '\\(\\text{Vt}\\)' in html or '\\text{Vt}' in html
    tool("pdflatex")
    result = subprocess.run([pandoc, "cuba.md", "-s", "-V", "geometry:margin=1in",
                             "-o", "cuba.pdf"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cuba.pdf").stat().st_size > 10_000


def test_one_quantity_format_everywhere(tmp_path: Path) -> None:
    """Quantities inside expressions, resets and tables read alike: '13\\,mV', not
    '13 \\cdot mV'; a zero keeps the unit it was given in (or the usual one of its
    dimension); small numbers as powers of ten; rates in Hz."""
    start_scope()
    tau, Ee, VT = 10 * ms, 0 * mV, -63 * mV
    G = NeuronGroup(3, """
        dv/dt = (Ee - v)/tau + alpha*mV : volt
        alpha = 0.128*exp((17*mV - v + VT)/(18*mV))/ms : Hz
        dx/dt = -x*6.6e-05/ms : 1
        th : volt
        """, threshold="v > -20*mV", reset="v = -70*mV", method="euler")
    G.th = 0 * mV
    G.v = "-56*mV + rand()*5*mV"
    slow = PoissonGroup(5, rates=0.2 * Hz)
    text = report(tmp_path / "q.md", namespace=locals())
    for fragment in (
            r"\alpha = \frac{0.128 \cdot \exp\left(\frac{17\,\mathrm{mV} - v + \text{VT}}"
            r"{18\,\mathrm{mV}}\right)}{\mathrm{ms}}",
            r"\frac{\mathrm{d}x}{\mathrm{d}t} = - \frac{6.6 \times 10^{-5} \cdot x}{\mathrm{ms}}",
            r"**Spike emission:** if $v > -20\,\mathrm{mV}$:",
            r"* $v \leftarrow -70\,\mathrm{mV}$",
            r"$\mathcal{U}\left(-56\,\mathrm{mV}, -51\,\mathrm{mV}\right)$",
            "| $\\text{Ee}$ | 0 mV | shared (external) | float64 |",
            "| $\\text{th}$ | 0 mV | per neuron | float64 |",
            "5 independent Poisson processes, rate 0.2 Hz |"):
        assert fragment in text, fragment
    assert r"\alpha \cdot \mathrm{mV}" in text  # a variable times a unit is a product
    assert not re.search(r"\d \\cdot \\mathrm", text)
    assert "0 V" not in text and "mHz" not in text
    latex = report(tmp_path / "q.tex", namespace=locals())
    assert r"\frac{6.6 \times 10^{-5} \cdot x}{\mathrm{ms}}" in latex
    assert "rate 0.2 Hz" in latex


@pytest.mark.parametrize(("value", "dims", "markdown", "latex"), [
    (6.6e-5, None, "6.6×10⁻⁵", r"6.6 \times 10^{-5}"),
    (2.5e7, None, "2.5×10⁷", r"2.5 \times 10^{7}"),
    (0.2, "Hz", "0.2 Hz", r"0.2\,\mathrm{Hz}"),
    (2000.0, "Hz", "2 kHz", r"2\,\mathrm{kHz}"),
    (0.0, "V", "0 mV", r"0\,\mathrm{mV}"),
    (0.0, "S", "0 nS", r"0\,\mathrm{nS}"),
    (0.0, "s", "0 ms", r"0\,\mathrm{ms}"),
    (-0.07, "V", "-70 mV", r"-70\,\mathrm{mV}"),
])
def test_quantity_formatter(value: float, dims: str | None, markdown: str, latex: str) -> None:
    from jnsim.report.typeset import quantity_latex, quantity_text
    from jnsim.units import dimensions_of

    units = {"Hz": Hz, "V": mV, "S": nS, "s": ms}
    dimensions = dimensions_of(units[dims]) if dims else None
    assert quantity_text(value, dimensions) == markdown
    assert quantity_latex(value, dimensions) == latex
    assert quantity_text(0 * nS * 1000) == "0 nS"  # a zero keeps the unit it was given in


def test_operations_timed_arrays_and_methods_are_reported(tmp_path: Path) -> None:
    """run_regularly, custom events with run_on_event, network_operation and TimedArray
    appear where Nordlie et al. put them; a network operation's dt is not the time
    step; projections carry their names; methods keep the user's names; dt is Δt."""
    from jnsim import TimedArray, network_operation

    start_scope()
    defaultclock.dt = 0.1 * ms
    tau, r = 10 * ms, 5 * Hz
    stimulus = TimedArray([25, 50, 12] * Hz, dt=100 * ms)
    drive = PoissonGroup(4, rates="stimulus(t)")
    G = NeuronGroup(3, "dv/dt = (I - v)/tau : volt\nI : volt", threshold="rand() < r*dt",
                    reset="v = -70*mV", method="midpoint", events={"low": "v < -80*mV"})
    G.I = [0, 10, 20] * mV
    G.run_regularly("I = 0.99*I", dt=1 * ms)
    G.run_on_event("low", "v = 0*mV")
    feed = Synapses(drive, G, "w : volt", on_pre="v += w", name="feed")
    feed.connect()
    feed.w = 1 * mV

    @network_operation(dt=10 * ms)
    def adapt() -> None:
        pass

    names = dict(locals())
    text = report(tmp_path / "o.md", namespace=names)
    for fragment in (
            "time step 0.1 ms.",
            "* Time step: 0.1 ms\n",
            "| feed | drive | G | $v$ | feed synapse | all-to-all (12 synapses) |",
            "| feed | feed synapse | $w$ | 1 mV |",
            "| $I$ | given per element: min 0 mV, mean 10 mV, max 20 mV | per neuron |",
            "**Equations:** (integration: midpoint)",
            r"**Spike emission:** if $\operatorname{rand}\left(\right) < \Delta t \cdot r$:",
            "**On event `low`, when $v < -80\\,\\mathrm{mV}$ (`run_on_event`):**\n\n"
            "* $v \\leftarrow 0\\,\\mathrm{mV}$",
            "**Every 1 ms (`run_regularly`, slot `start`):**\n\n"
            "* $I \\leftarrow 0.99 \\cdot I$",
            "| stimulus | time-varying values (TimedArray) | 3 values, one every 100 ms: "
            "min 12 Hz, mean 29 Hz, max 50 Hz; called as "
            "$\\operatorname{stimulus}{\\left(t \\right)}$ by drive |",
            "| adapt | network operation | Python function `adapt` called every 10 ms "
            "(before the step) |"):
        assert fragment in text, f"{fragment!r} not in the report:\n{text}"
    assert "rk2" not in text and "10 ms, " not in text and "\\text{dt}" not in text
    latex = report(tmp_path / "o.tex", namespace=names)
    assert r"\textbf{Name} & \textbf{Source} & \textbf{Target}" in latex
    assert r"feed & drive & G & $v$ & feed synapse" in latex
    assert r"\textbf{Regular updates} & Every 1 ms (\texttt{run\_regularly}" in latex
    assert r"\textbf{Events} & On event \texttt{low}, when $v < -80\,\mathrm{mV}$" in latex
    assert r"stimulus & time-varying values (TimedArray)" in latex
    assert r"\textbf{Time step} & 0.1 ms" in latex


def cobahh_like(n: int = 400) -> dict[str, Any]:
    """Hodgkin-Huxley neurons with conductance-based synapses (Brette et al. 2007's
    COBAHH benchmark, as in Brian's example), built but not run."""
    from jnsim import Equations, cm, msiemens, siemens, ufarad, umetre

    start_scope()
    seed(3)
    area = 20000 * umetre ** 2
    Cm = (1 * ufarad * cm ** -2) * area
    gl = (5e-5 * siemens * cm ** -2) * area
    El, EK, ENa, VT = -60 * mV, -90 * mV, 50 * mV, -63 * mV
    g_na = (100 * msiemens * cm ** -2) * area
    g_kd = (30 * msiemens * cm ** -2) * area
    taue, taui, Ee, Ei, we, wi = 5 * ms, 10 * ms, 0 * mV, -80 * mV, 6 * nS, 67 * nS
    eqs = Equations("""
        dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v)-
                 g_na*(m*m*m)*h*(v-ENa)-
                 g_kd*(n*n*n*n)*(v-EK))/Cm : volt
        dm/dt = alpha_m*(1-m)-beta_m*m : 1
        dn/dt = alpha_n*(1-n)-beta_n*n : 1
        dh/dt = alpha_h*(1-h)-beta_h*h : 1
        dge/dt = -ge*(1./taue) : siemens
        dgi/dt = -gi*(1./taui) : siemens
        alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV-v+VT)/(4*mV))/ms : Hz
        beta_m = 0.28*(mV**-1)*5*mV/exprel((v-VT-40*mV)/(5*mV))/ms : Hz
        alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
        beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
        alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV-v+VT)/(5*mV))/ms : Hz
        beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
        """)
    P = NeuronGroup(n, model=eqs, threshold="v>-20*mV", refractory=3 * ms,
                    method="exponential_euler")
    Pe, Pi = P[: n * 4 // 5], P[n * 4 // 5:]
    Ce = Synapses(Pe, P, on_pre="ge+=we")
    Ci = Synapses(Pi, P, on_pre="gi+=wi")
    Ce.connect(p=0.02)
    Ci.connect(p=0.02)
    P.v = "El + (randn() * 5 - 5)*mV"
    P.ge = "(randn() * 1.5 + 4) * 10.*nS"
    P.gi = "(randn() * 12 + 20) * 10.*nS"
    spikes = SpikeMonitor(P)
    return locals()


def song_stdp(n: int = 1000) -> dict[str, Any]:
    """Song, Miller & Abbott (2000) STDP, as in Brian's example, built but not run."""
    start_scope()
    taum, taupre, taupost, taue = 10 * ms, 20 * ms, 20 * ms, 5 * ms
    Ee, vt, vr, El = 0 * mV, -54 * mV, -60 * mV, -74 * mV
    F, gmax, dApre = 15 * Hz, 0.01, 0.01
    dApost = -dApre * taupre / taupost * 1.05 * gmax
    dApre *= gmax
    poisson_input = PoissonGroup(n, rates=F)
    neurons = NeuronGroup(1, "dv/dt = (ge * (Ee-v) + El - v) / taum : volt\n"
                             "dge/dt = -ge / taue : 1", threshold="v>vt", reset="v = vr",
                          method="euler")
    S = Synapses(poisson_input, neurons, """
        w : 1
        dApre/dt = -Apre / taupre : 1 (event-driven)
        dApost/dt = -Apost / taupost : 1 (event-driven)""",
        on_pre="ge += w\nApre += dApre\nw = clip(w + Apost, 0, gmax)",
        on_post="Apost += dApost\nw = clip(w + Apre, 0, gmax)")
    S.connect()
    S.w = "rand() * gmax"
    mon = StateMonitor(S, "w", record=[0, 1])
    s_mon = SpikeMonitor(poisson_input)
    return locals()


@pytest.mark.parametrize("network", ["cuba", "cobahh", "stdp"])
def test_latex_report_has_no_overfull_boxes(tmp_path: Path, network: str) -> None:
    """Nothing sticks out of its cell: long names break (P[0:3200], poisson_input),
    long equations are scaled to their cell, and pdflatex reports no overfull box."""
    pdflatex = tool("pdflatex")
    names = {"cuba": lambda: cuba(4000), "cobahh": cobahh_like, "stdp": song_stdp}[network]()
    report(tmp_path / "r.tex", title=network, namespace=names)
    for _ in range(2):  # longtable settles its column widths on the second run
        result = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error",
                                 "r.tex"], cwd=tmp_path, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stdout[-3000:]
    log = (tmp_path / "r.log").read_text(errors="replace")
    assert "Overfull" not in log, re.findall(r"Overfull.*\n.*", log)


def test_latex_tables_are_lettered_once_and_break_between_variables(tmp_path: Path) -> None:
    text = report(tmp_path / "h.tex", namespace=cobahh_like(40))
    letters = re.findall(r"\\textbf\{([A-Z]+)\}\\quad\\textbf\{([^}]*)\}\} \\\\ \\hline\n"
                         r"(?:\\rowcolor\[gray\].*\n)?\\endfirsthead", text)
    assert [letter for letter, _ in letters] == [chr(ord("A") + k) for k in range(len(letters))]
    assert ("D", "Connectivity statistics") in letters
    assert ("E", "Neuron model: P neuron") in letters
    assert ("F", "Parameters of P neuron") in letters
    # one row per variable, so that a page can break between them; the title (and
    # header) rows are repeated on the next page, ruled off by the break's \hline
    assert "\\textbf{Dynamics} & \\jnsimfit{\\alpha_{m} = " in text
    assert "\\\\ \\hline\n & \\jnsimfit{\\beta_{m} = " in text
    assert ("\\textbf{E}\\quad\\textbf{Neuron model: P neuron} \\textit{(continued)}} \\\\\n"
            "\\endhead") in text
    assert "{\\footnotesize\n\\begin{longtable}" in text  # the eight Connectivity columns
    assert "P[\\allowbreak{}0:\\allowbreak{}32]" in text


def test_latex_text_keeps_powers_of_ten_and_times_signs_in_math() -> None:
    from jnsim.report.latex import rich_latex

    assert rich_latex("4 × 3 values, 6.6×10⁻⁵ s and -2×10⁷") == (
        r"4 $\times$ 3 values, $6.6 \times 10^{-5}$ s and $-2 \times 10^{7}$")


# -- typesetting: the user's term order, readable exponentials -------------------------

def test_typeset_keeps_the_written_order_of_terms_and_sets_long_exponents_as_exp() -> None:
    from jnsim.equations.expressions import parse_expression
    from jnsim.report.typeset import expression_latex

    def tex(text: str) -> str:
        return expression_latex(parse_expression(text))

    assert tex("v - VT") == r"v - \text{VT}"
    assert tex("2*x - 3") == r"2 \cdot x - 3"
    assert tex("(ge + gi - (v - El)) / taum") == \
        r"\frac{\text{ge} + \text{gi} - v + \text{El}}{\text{taum}}"
    assert tex("gL*(EL - v) + gL*DeltaT*exp((v - VT)/DeltaT) + I - w") == (
        r"\text{gL} \cdot \left(\text{EL} - v\right) + \text{DeltaT} \cdot \text{gL} \cdot "
        r"\exp\left(\frac{v - \text{VT}}{\text{DeltaT}}\right) + I - w")
    assert tex("exp(2)") == "e^{2}"  # short exponents stay superscripts
    assert tex("exp(-v/tau)") == r"\exp\left(- \frac{v}{\tau}\right)"
