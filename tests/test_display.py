"""Rich display: the naming rules of typeset names, equations, model cards, summaries."""

from __future__ import annotations

import pytest

from jnsim import Equations, Network, NeuronGroup, Synapses, ms, mV
from jnsim.display import equations_latex, group_markdown, network_markdown
from jnsim.equations import parse_expression, parse_statements
from jnsim.models import NeuronModel, SynapseModel
from jnsim.report.typeset import (
    equation_latex,
    expression_latex,
    latex_name,
    quantity_latex,
    quantity_text,
    statement_latex,
)
from jnsim.units import dimensions_of, to_si


@pytest.mark.parametrize(("name", "latex"), [
    ("v", "v"),                                   # single letters as they are
    ("I", "I"),
    ("tau", r"\tau"),                             # Greek names become Greek letters
    ("theta", r"\theta"),
    ("chi", r"\chi"),
    ("xi", r"\xi"),
    ("Sigma", r"\Sigma"),                         # capitals too
    ("Delta", r"\Delta"),
    ("Alpha", r"\mathrm{A}"),                     # capitals that look Latin
    ("lamda", r"\lambda"),
    ("tau_exc", r"\tau_{\text{exc}}"),            # one underscore: subscript
    ("g_e", "g_{e}"),
    ("V_T", "V_{T}"),
    ("E_alpha", r"E_{\alpha}"),
    ("x1", "x_{1}"),                              # trailing digits: subscript
    ("tau2", r"\tau_{2}"),
    ("Vrest", r"\text{Vrest}"),                   # several letters: text
    ("w_max_e", r"\text{w\_max\_e}"),             # several underscores: text
])
def test_naming_rules(name: str, latex: str) -> None:
    assert latex_name(name) == latex


def test_pre_and_post_suffixes_are_superscripts_in_synapses() -> None:
    assert latex_name("v_post", synaptic=True) == r"v^{\text{post}}"
    assert latex_name("tau_e_pre", synaptic=True) == r"{\tau_{e}}^{\text{pre}}"
    assert latex_name("v_post") == r"v_{\text{post}}"


def test_equations_are_typeset_with_sympy() -> None:
    eqs = Equations("dv/dt = (E_L - v)/tau_m : volt (unless refractory)\n"
                    "I = g*(E - v) : amp\nC : farad")
    assert equation_latex(eqs["v"]) == (
        r"\frac{\mathrm{d}v}{\mathrm{d}t} = \frac{E_{L} - v}{\tau_{m}}")
    assert equation_latex(eqs["I"]) == r"I = g \cdot \left(E - v\right)"
    block = equations_latex(eqs)
    assert block.startswith("$$\n\\begin{aligned}")
    assert r"[\mathrm{V}]\quad \text{(unless refractory)}" in block
    assert r"C & && [\mathrm{F}]\quad \text{(parameter)}" in block
    assert eqs._repr_markdown_() == block
    assert eqs._repr_latex_() == block


def test_statements_conditions_and_quantities() -> None:
    reset = parse_statements("v = v_r; w += b; I = 0*amp")
    assert [statement_latex(s) for s in reset] == [
        r"v \leftarrow v_{r}", r"w \mathrel{+}= b", r"I \leftarrow 0\,\mathrm{A}"]
    assert expression_latex(parse_expression("v > -50*mV")) == r"v > -50\,\mathrm{mV}"
    assert quantity_text(to_si(5 * ms), dimensions_of(ms)) == "5 ms"
    assert quantity_text(to_si(-65 * mV), dimensions_of(mV)) == "-65 mV"
    assert quantity_latex(to_si(0.1 * ms), dimensions_of(ms)) == r"0.1\,\mathrm{ms}"


def test_a_quantity_of_one_unit_keeps_its_number() -> None:
    assert expression_latex(parse_expression("v > 1*mV")) == r"v > 1\,\mathrm{mV}"
    assert expression_latex(parse_expression("v > -1*mV")) == r"v > -1\,\mathrm{mV}"
    assert expression_latex(parse_expression("v/(1.0*ms)")) == r"\frac{v}{1\,\mathrm{ms}}"
    assert expression_latex(parse_expression("v > mV")) == r"v > \mathrm{mV}"
    assert expression_latex(parse_expression("C*1")) == "C"  # a variable, not a unit
    G = NeuronGroup(1, "dv/dt = -v/(10*ms) : volt", threshold="v > 1*mV")
    assert r"* threshold: $v > 1\,\mathrm{mV}$" in group_markdown(G)


def test_neuron_model_card() -> None:
    v_th = -50 * mV  # found by the card in this namespace
    model = NeuronModel("LIF", "dv/dt = (E_L - v)/tau : volt (unless refractory)\n"
                               "E_L : volt\ntau : second",
                        threshold="v > v_th", reset="v = E_L", refractory=5 * ms,
                        description="Leaky integrate-and-fire, $\\tau \\dot v = E_L - v$.")
    card = model._repr_markdown_()
    assert card.startswith("### LIF <small>(neuron model)</small>")
    assert "Leaky integrate-and-fire, $\\tau \\dot v = E_L - v$." in card
    assert "| $E_{L}$ | — | per neuron | float64 |" in card
    assert "| $v_{\\text{th}}$ | -50 mV | shared (external) | float64 |" in card
    assert "(integration: exact, chosen automatically)" in card
    assert "**Spike emission:** if $v > v_{\\text{th}}$:" in card
    assert "* $v \\leftarrow E_{L}$" in card
    assert "**Refractoriness:** for 5 ms after each spike; $v$ held constant meanwhile" in card
    latex = model._repr_latex_()
    assert r"\text{spike if} & \quad v > v_{\text{th}} &&" in latex


def test_synapse_model_card() -> None:
    model = SynapseModel("Static", "w : volt", on_pre="v_post += w", delay=1 * ms)
    card = model._repr_markdown_()
    assert "### Static <small>(synapse model)</small>" in card
    assert "| $w$ | — | per synapse | float64 |" in card
    assert ("**On a pre-synaptic spike, arriving at $t_\\text{pre} + d$:**\n\n"
            "* $v^{\\text{post}} \\mathrel{+}= w$") in card
    assert "**Default delay:** 1 ms" in card


def test_group_and_synapse_summaries() -> None:
    tau, v_r = 10 * ms, -60 * mV
    G = NeuronGroup(5, "dv/dt = -v/tau : volt\nw : volt", threshold="v > -50*mV",
                    reset="v = v_r")
    G.w = 2 * mV
    G.v = "v_r + rand()*10*mV"
    S = Synapses(G, G, "c : volt", on_pre="v_post += c")
    S.connect("i != j")
    text = group_markdown(G)
    assert text.startswith("**NeuronGroup** `G`: 5 neurons, exact integration")
    assert "| $w$ | $\\mathrm{V}$ | parameter | 2 mV |" in text
    assert r"$\mathcal{U}\left(v_{r}, 10\,\mathrm{mV} + v_{r}\right)$" in text
    summary = S._repr_markdown_()
    assert summary.startswith("**Synapses** `S`: G → G, 20 synapses")
    assert "* connectivity: all-to-all where $i \\neq j$ (20 synapses)" in summary


def test_network_markdown_is_the_report() -> None:
    tau = 10 * ms
    G = NeuronGroup(3, "dv/dt = -v/tau : volt", name="cells")
    text = network_markdown(Network(G))
    assert text.startswith("### Structure of the network")
    assert "| cells | 3 | cells neuron |" in text
    assert Network(G)._repr_markdown_() == text
    assert network_markdown(Network()) == "**Network** `network`: empty"


def test_display_never_raises() -> None:
    class Broken:
        name = "broken"
        equations = None

    assert group_markdown(Broken()) is None
