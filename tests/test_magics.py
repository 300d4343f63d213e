"""The %%neuron and %%synapse cell magics, in a real IPython shell and in a real kernel."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jnsim.magics import NEURON_BLOCKS, MagicError, split_cell
from jnsim.models import NeuronModel, SynapseModel
from jnsim.units import to_si

PARAMETERS = """
from jnsim import *
taum = 20*ms; El = -49*mV; Vt = -50*mV; Vr = -60*mV; b = 1*mV
"""

LIF_CELL = """\
# Leaky integrate-and-fire neuron, $\\tau_m \\dot v = E_l - v$.
#
# Second paragraph.
dv/dt = (El - v + w)/taum : volt (unless refractory)
w : volt
reset:
    v = Vr
    w += b
"""


@pytest.fixture
def shell(ipython: InteractiveShell) -> InteractiveShell:
    ipython.reset(new_session=False)
    result = ipython.run_cell(PARAMETERS, store_history=False)
    assert result.success
    return ipython


def neuron(shell: InteractiveShell, line: str, cell: str) -> Any:
    shell.run_cell_magic("neuron", line, cell)
    return shell.user_ns.get(line.split()[0]) if line.split() else None


# -- success -----------------------------------------------------------------------------

def test_neuron_magic_binds_a_model(shell: InteractiveShell, capsys: Any) -> None:
    model = neuron(shell, 'LIF --threshold "v > Vt" --refractory 5*ms --quiet', LIF_CELL)
    assert isinstance(model, NeuronModel)
    assert model.name == "LIF"
    assert model.description == ("Leaky integrate-and-fire neuron, $\\tau_m \\dot v = E_l - v$."
                                 "\n\nSecond paragraph.")
    assert model.threshold == "v > Vt"
    assert model.reset == "v = Vr\nw += b"
    assert to_si(model.refractory) == pytest.approx(5e-3)
    assert set(model.equations) == {"v", "w"}
    assert model.neuron_defaults["description"] == model.description
    assert capsys.readouterr().err == ""


def test_the_card_is_displayed_unless_quiet(shell: InteractiveShell, capsys: Any) -> None:
    neuron(shell, "LIF", LIF_CELL)
    assert "<NeuronModel 'LIF'" in capsys.readouterr().out
    neuron(shell, "LIF --quiet", LIF_CELL)
    assert capsys.readouterr().out == ""


def test_groups_take_the_model_defaults(shell: InteractiveShell) -> None:
    neuron(shell, 'LIF --threshold "v > Vt" --refractory 5*ms --quiet', LIF_CELL)
    shell.run_cell("G = NeuronGroup(10, LIF)\nH = NeuronGroup(10, LIF, reset='v = El')")
    G, H = shell.user_ns["G"], shell.user_ns["H"]
    assert [str(s) for s in G.code.reset] == ["v = Vr", "w += b"]
    assert [str(s) for s in H.code.reset] == ["v = El"]
    assert G.code.refractory_time == pytest.approx(5e-3)
    assert G.description == H.description == shell.user_ns["LIF"].description


def test_statements_separated_by_semicolons_in_options(shell: InteractiveShell) -> None:
    model = neuron(shell, 'LIF --reset "v = Vr; w += b" --quiet',
                   "dv/dt = (El - v)/taum : volt\nw : volt")
    assert model.reset == "v = Vr; w += b"


def test_threshold_and_refractory_blocks(shell: InteractiveShell) -> None:
    model = neuron(shell, "LIF --quiet", "dv/dt = (El - v)/taum : volt (unless refractory)\n"
                   "threshold:\n    v > Vt\nrefractory:\n    v > -45*mV\n")
    assert model.threshold == "v > Vt"
    assert model.refractory == "v > -45*mV"  # a condition, kept as an expression
    timed = neuron(shell, "LIF --quiet", "dv/dt = (El - v)/taum : volt\nrefractory:\n"
                   "    2*ms + 0.5*ms\n")
    assert to_si(timed.refractory) == pytest.approx(2.5e-3)


def test_continuation_lines_may_be_indented(shell: InteractiveShell) -> None:
    model = neuron(shell, "LIF --quiet",
                   "dv/dt = (El - v +\n        w)/taum : volt\nw : volt\n")
    assert set(model.equations) == {"v", "w"}


def test_show_code_prints_the_kernel(shell: InteractiveShell, capsys: Any) -> None:
    neuron(shell, 'LIF --threshold "v > Vt" --show-code --quiet', LIF_CELL)
    out = capsys.readouterr().out
    assert "def " in out and "_reset(" in out and "Vr" in out


def test_synapse_magic(shell: InteractiveShell, capsys: Any) -> None:
    shell.run_cell("taupre = taupost = 20*ms; Apre = 0.01; Apost = -0.0105; wmax = 1")
    shell.run_cell_magic("synapse", "STDP --delay 1.5*ms --quiet", """\
# Pair-based STDP.
w : 1
dapre/dt = -apre/taupre : 1 (event-driven)
dapost/dt = -apost/taupost : 1 (event-driven)
on_pre:
    ge += w
    apre += Apre
    w = clip(w + apost, 0, wmax)
on_post:
    apost += Apost
    w = clip(w + apre, 0, wmax)
""")
    assert capsys.readouterr().err == ""
    model = shell.user_ns["STDP"]
    assert isinstance(model, SynapseModel)
    assert model.on_pre == "ge += w\napre += Apre\nw = clip(w + apost, 0, wmax)"
    assert model.on_post.startswith("apost += Apost")
    assert to_si(model.delay) == pytest.approx(1.5e-3)
    assert model.description == "Pair-based STDP."
    shell.run_cell("P = NeuronGroup(5, 'dv/dt = -v/taum : volt\\nge : 1', threshold='v > Vt')\n"
                   "S = Synapses(P, P, STDP)\nS.connect()")
    S = shell.user_ns["S"]
    assert sorted(S.code.pathways) == ["post", "pre"]
    assert S.delay_array()[0] == pytest.approx(1.5e-3)


# -- mistakes ------------------------------------------------------------------------------

BAD_NEURONS = [
    ('LIF --threshold "v > Vt"', "dv/dt = (El - v)/taum : volt\nrest:\n    v = Vr\n",
     ["MagicError: line 3, column 1: unknown block 'rest:'", "  3 | rest:",
      "hint: did you mean 'reset:'?"]),
    ("LIF", "dv/dt = (El - v)/taum : volt\nreset:\n    v = Vr\nreset:\n    v = El\n",
     ["line 5, column 1: the block 'reset:' is given twice", "starts on line 3"]),
    ('LIF --reset "v = El"', "dv/dt = (El - v)/taum : volt\nreset:\n    v = Vr\n",
     ["line 3, column 1: 'reset' is given twice: as --reset and as a block"]),
    ("LIF", "dv/dt = (El - v)/taum : volt\n    v = Vr\n",
     ["line 3, column 5: an indented line outside a block", "  3 |     v = Vr",
      "    |     ^^^^^^", "equations start at column 0"]),
    ("LIF", "dv/dt = (El - v)/taum : volt\n  reset:\n    v = Vr\n",
     ["line 3, column 3: a block header must start at column 0"]),
    ("LIF", "dv/dt = (El - v)/taum : volt\nreset: v = Vr\n",
     ["line 3, column 1: 'reset:' must stand alone on its line", "reset:\n    v = Vr"]),
    ("LIF", "dv/dt = (El - v)/taum : volt\nreset:\n\n",
     ["line 3, column 1: the block 'reset:' is empty"]),
    ("LIF", "dv/dt = (El - v)/taum : volt\non_pre:\n    v += 1\n",
     ["unknown block 'on_pre:'", "belongs in a %%synapse cell"]),
    ("LIF", "dv/dt = (El - v)/taum : volt\ntau:\n    v = 1\n",
     ["unknown block 'tau:'", "a parameter is written with its unit, e.g. 'tau : volt'"]),
    ("LIF", "dv/dt = (El - v)/taum : volt\nreset:\n    v = 5\n",
     ["UnitError: line 4, column 9: cannot assign a dimensionless value to 'v', which has "
      "units of volt",
      "  4 |     v = 5", "    |         ^"]),
    ("LIF", "dv/dt = (El - v)/taum : volt\nreset:\n    v = Vr\n    w += 1\n",
     ["CodeError: line 5, column 5: 'w += ...' needs a value of 'w', which is not assigned "
      "yet"]),
    ("LIF", "dv/dt = (El - v)/taum : volt\nthreshold:\n    v > Vt\nreset:\n    v == Vr\n",
     ["line 6, column 5: this is an expression, not an assignment"]),
    ('LIF --threshold "v > 3*ms"', "dv/dt = (El - v)/taum : volt\n",
     ["UnitError: line 1, column 27:", '  1 | %%neuron LIF --threshold "v > 3*ms"']),
    ("LIF --refractory 5", "dv/dt = (El - v)/taum : volt\n",
     ["UnitError: line 1, column 27: the refractory period must be a time, not '5'",
      "hint: give it units, e.g. 5*ms"]),
    ('LIF --treshold "v > Vt"', "dv/dt = (El - v)/taum : volt\n",
     ["line 1, column 14: unknown option '--treshold'", "did you mean '--threshold'?"]),
    ("2LIF", "dv/dt = (El - v)/taum : volt\n",
     ["the model name '2LIF' is not a Python name"]),
    ("", "dv/dt = (El - v)/taum : volt\n",
     ["the following arguments are required: name", "usage: %%neuron"]),
    ("LIF", "# A description\ndv/dt = (El - v)/taum : volt\nI = : amp\n",
     ["EquationError: line 4, column 5: expected an expression after '='", "  4 | I = : amp"]),
    ("LIF --method rk5", "dv/dt = (El - v)/taum : volt\n",
     ["MethodError: line 1, column 23: unknown integration method 'rk5'",
      "did you mean 'rk4'?"]),
]


@pytest.mark.parametrize(("line", "cell", "fragments"), BAD_NEURONS)
def test_neuron_mistakes_are_short_messages(shell: InteractiveShell, capsys: Any, line: str,
                                            cell: str, fragments: list[str]) -> None:
    shell.run_cell_magic("neuron", line, cell)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    for fragment in fragments:
        assert fragment in captured.err, f"{fragment!r} not in:\n{captured.err}"
    assert "LIF" not in shell.user_ns


def test_a_failed_cell_keeps_the_earlier_model(shell: InteractiveShell, capsys: Any) -> None:
    first = neuron(shell, "LIF --quiet", "dv/dt = (El - v)/taum : volt\n")
    neuron(shell, "LIF --quiet", "dv/dt = (El - v)/taum : volt\nreset:\n    v = 5\n")
    assert "UnitError" in capsys.readouterr().err
    assert shell.user_ns["LIF"] is first


BAD_SYNAPSES = [
    ("S", "w : 1\non-pre:\n    v_post += w\n",
     ["line 3, column 1: unknown block 'on-pre:'", "did you mean 'on_pre:'?"]),
    ("S", "w : 1\non_pre:\n    w += 1*mV\n",
     ["UnitError: line 4, column 10: cannot assign volt to 'w'"]),
    ("S --delay 2", "w : 1\n", ["the delay must be a time, not '2'"]),
    ("S --delay d0", "w : 1\n", ["'d0' in 'd0' is not defined"]),
    ("S --on-pre 'w +=' ", "w : 1\n", ["CodeError: line 1, column"]),
]


@pytest.mark.parametrize(("line", "cell", "fragments"), BAD_SYNAPSES)
def test_synapse_mistakes_are_short_messages(shell: InteractiveShell, capsys: Any, line: str,
                                             cell: str, fragments: list[str]) -> None:
    shell.run_cell_magic("synapse", line, cell)
    err = capsys.readouterr().err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    assert "S" not in shell.user_ns


def test_split_cell_keeps_equation_lines_in_place() -> None:
    split = split_cell("# about\n\ndv/dt = -v/tau : 1\nreset:\n    v = 0\n\n    # note\n"
                       "x : 1\n", NEURON_BLOCKS)
    assert split.description == "about"
    assert split.equations.split("\n")[2] == "dv/dt = -v/tau : 1"
    assert split.equations.split("\n")[7] == "x : 1"
    assert split.blocks["reset"].code == "v = 0"
    assert split.blocks["reset"].first_line == 6
    with pytest.raises(MagicError, match="unknown block 'rset:'"):
        split_cell("rset:\n    v = 0\n", NEURON_BLOCKS)


# -- a real kernel ---------------------------------------------------------------------------

def test_magics_in_a_kernel() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells = [
        "%load_ext jnsim",
        PARAMETERS,
        '%%neuron LIF --threshold "v > Vt" --refractory 5*ms\n' + LIF_CELL,
        "%%neuron Broken\ndv/dt = -v/taum : volt\n    v = 0*mV\n",
        "print(type(LIF).__name__, 'Broken' in dir())",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    card = notebook.cells[2].outputs
    assert card[0]["output_type"] == "display_data"
    markdown = card[0]["data"]["text/markdown"]
    assert markdown.startswith("### LIF <small>(neuron model)</small>")
    assert "| $\\text{Vt}$ | -50 mV | shared (external) | float64 |" in markdown
    assert "* $w \\mathrel{+}= b$" in markdown
    error = notebook.cells[3].outputs
    assert [o["output_type"] for o in error] == ["stream"]
    assert error[0]["name"] == "stderr"
    assert error[0]["text"].startswith("MagicError: line 3, column 5: an indented line outside")
    assert notebook.cells[4].outputs[0]["text"] == "NeuronModel False\n"
