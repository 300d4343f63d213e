"""Tab completion in %%neuron and %%synapse cells, in a real IPython shell and a real kernel."""

from __future__ import annotations

import pytest
from IPython.core.completer import provisionalcompleter
from IPython.core.interactiveshell import InteractiveShell

from jnsim.completion import MATCHER_ID, complete_cell

PARAMETERS = """
from jnsim import *
taum = 20*ms; El = -49*mV; Vt = -50*mV; Vr = -60*mV; tau_syn = 5*ms; n_inputs = 80
stimulus = TimedArray([0, 1, 0]*nA, dt=10*ms)
weights = [1, 2, 3]
import math
def helper(x):
    return x
_private = 1*mV
"""

NEURON_MODEL = "%%neuron LIF --quiet\ndv/dt = (El - v + R*I)/taum : volt\nI : amp\nR : ohm\n"

CELL = """%%neuron Cell --threshold "v > Vt"
# A neuron.
dv/dt = (El - v + g*(E_syn - v)*R)/taum : volt (unless refractory)
dg/dt = -g/tau_syn : siemens
E_syn : volt (constant)
R : ohm
reset:
    v = Vr
"""


@pytest.fixture
def shell(ipython: InteractiveShell) -> InteractiveShell:
    ipython.reset(new_session=False)
    assert ipython.run_cell(PARAMETERS, store_history=False).success
    ipython.run_cell(NEURON_MODEL, store_history=False)
    return ipython


def complete(shell: InteractiveShell, text: str, offset: int | None = None
             ) -> list[tuple[str, str]]:
    """(text, type) of the completions at ``offset`` (the end of ``text`` by default)."""
    offset = len(text) if offset is None else offset
    with provisionalcompleter():
        return [(c.text, c.type) for c in shell.Completer.completions(text, offset)]


def texts(shell: InteractiveShell, text: str, offset: int | None = None) -> list[str]:
    return [t for t, _ in complete(shell, text, offset)]


# -- units after the colon ---------------------------------------------------------------

def test_units_after_the_colon(shell: InteractiveShell) -> None:
    found = complete(shell, "%%neuron N\ndv/dt = -v/taum : m")
    names = [t for t, _ in found]
    assert {"metre", "meter", "mmolar", "mM", "mole"} <= set(names)
    assert {kind for _, kind in found} == {"unit"}
    # An equation's unit has no prefix ('v : mV' is an error), so none is offered...
    assert "mV" not in names and "msecond" not in names and "mvolt" not in names
    # ... and no Python name either.
    assert "math" not in names and "max" not in names and "map" not in names


def test_units_after_the_colon_start_with_the_special_specs(shell: InteractiveShell) -> None:
    names = texts(shell, "%%neuron N\nv : ")
    assert names[:3] == ["1", "boolean", "integer"]
    assert names[3] == "volt"
    assert {"siemens", "farad", "amp", "second", "hertz", "Hz"} <= set(names)
    assert texts(shell, "%%neuron N\nv : vo") == ["volt"]
    assert texts(shell, "%%neuron N\ng : siemens/me")[:2] == ["metre", "meter"]


def test_a_prefixed_unit_after_the_colon_completes_to_its_base_unit(
        shell: InteractiveShell) -> None:
    assert complete(shell, "%%neuron N\nv : mV") == [("volt", "unit")]
    assert texts(shell, "%%neuron N\ndv/dt = -v/taum : mvolt") == ["volt"]
    assert texts(shell, "%%neuron N\ntau : ms") == ["second"]
    assert texts(shell, "%%neuron N\ng : nS") == ["siemens"]
    assert texts(shell, "%%neuron N\nv : vlot") == ["volt"]


def test_units_in_expressions_include_prefixed_units(shell: InteractiveShell) -> None:
    names = texts(shell, "%%neuron N\nv : volt\nreset:\n    v = -65*m")
    assert {"mV", "mvolt", "msecond", "ms", "mS"} <= set(names)
    assert names.index("mV") < 10  # after a number, units come first
    assert "mV" in texts(shell, '%%neuron N --threshold "v > -50*m')


# -- flags -------------------------------------------------------------------------------

def test_neuron_flags_inside_parentheses(shell: InteractiveShell) -> None:
    assert complete(shell, "%%neuron N\ndv/dt = -v/taum : volt (") == [
        ("unless refractory", "flag")]
    assert texts(shell, "%%neuron N\ndv/dt = -v/taum : volt (unless r") == [
        "unless refractory"]
    assert texts(shell, "%%neuron N\nE : volt (") == ["constant", "shared", "linked"]
    assert texts(shell, "%%neuron N\nE : volt (constant, ") == ["shared"]
    # nothing allowed starts with 'e' here: what is allowed is offered instead
    assert texts(shell, "%%neuron N\ndv/dt = -v/taum : volt (e") == ["unless refractory"]
    assert texts(shell, "%%neuron N\nv : volt ") == [
        "(constant)", "(shared)", "(linked)"]


def test_synapse_flags_inside_parentheses(shell: InteractiveShell) -> None:
    flags = texts(shell, "%%synapse S\ndApre/dt = -Apre/taupre : 1 (")
    assert flags == ["event-driven", "clock-driven"]
    assert texts(shell, "%%synapse S\ndApre/dt = -Apre/taupre : 1 (ev") == ["event-driven"]
    summed = texts(shell, "%%synapse S\ng_post = w : siemens (")
    assert summed == ["summed", "shared", "constant over dt"]


# -- names -------------------------------------------------------------------------------

def test_cell_variables_on_a_right_hand_side(shell: InteractiveShell) -> None:
    text = CELL.replace("(El - v + g*", "(El - v + g*(E_")  # cursor after 'E_'
    offset = CELL.index("(E_syn") + 3
    found = complete(shell, text, offset)
    assert found[0] == ("E_syn", "variable")
    line_end = CELL.index("\n", CELL.index("dv/dt"))
    names = texts(shell, CELL[:line_end].rsplit("taum", 1)[0] + "ta")
    assert names[:2] == ["taum", "tau_syn"] or names[:2] == ["tau_syn", "taum"]


def test_cell_variables_come_first_in_a_reset_block(shell: InteractiveShell) -> None:
    found = complete(shell, CELL + "    g += ")
    assert found[:4] == [("v", "variable"), ("g", "variable"), ("E_syn", "variable"),
                         ("R", "variable")]
    labels = dict(found)
    assert labels["Vr"] == "constant" and labels["stimulus"] == "function"
    assert labels["t"] == "special" and labels["not_refractory"] == "special"
    assert labels["exp"] == "function" and labels["clip"] == "function"
    names = [t for t, _ in found]
    assert names.index("Vr") < names.index("t") < names.index("exp")
    assert texts(shell, CELL + "    v = E")[:3] == ["E_syn", "El", "Eamp"]


def test_namespace_names(shell: InteractiveShell) -> None:
    found = dict(complete(shell, "%%neuron N\ndv/dt = -v/ta"))
    assert found["taum"] == "constant" and found["tau_syn"] == "constant"
    names = texts(shell, "%%neuron N\ndv/dt = ")
    assert {"n_inputs", "stimulus", "El"} <= set(names)
    # modules, plain Python functions, lists and private names cannot appear in equations
    assert not {"math", "helper", "weights", "_private", "In", "LIF"} & set(names)
    assert texts(shell, "%%neuron N\nI = stim") == ["stimulus"]


def test_special_symbols_and_functions(shell: InteractiveShell) -> None:
    found = complete(shell, "%%neuron N\ndv/dt = -v/taum + xi*sigma/sqrt(taum) + l")
    assert found[:4] == [("lastspike", "special"), ("log", "function"), ("log10", "function"),
                         ("log1p", "function")]
    assert {kind for _, kind in found[4:]} == {"unit"}
    assert texts(shell, "%%neuron N\ndv/dt = cl")[0] == "clip"
    assert "N_incoming" in texts(shell, "%%synapse S\nw : 1\non_pre:\n    g_post += N_")
    assert "N_incoming" not in texts(shell, "%%neuron N\nv : volt\nreset:\n    v = N_")


def test_block_headers_at_column_zero(shell: InteractiveShell) -> None:
    assert complete(shell, "%%neuron N\nv : volt\nre") == [
        ("reset:", "keyword"), ("refractory:", "keyword")]
    # a block already given is not offered again
    assert texts(shell, "%%neuron N\nv : volt\nreset:\n    v = 0*mV\nre") == ["refractory:"]
    assert texts(shell, "%%synapse S\nw : 1\non_p")[:2] == ["on_pre:", "on_post:"]


def test_post_synaptic_names_in_an_on_pre_block(shell: InteractiveShell) -> None:
    cell = "%%synapse Syn\nw : siemens\non_pre:\n    "
    assert texts(shell, cell + "v_p") == ["v_post", "v_pre"]  # from the model LIF
    found = texts(shell, cell + "")
    assert found[0] == "w"
    assert found.index("I_post") < found.index("Vr")
    assert "lastspike_pre" in texts(shell, cell + "last")
    assert "v_post" not in texts(shell, "%%neuron N\nv : volt\nreset:\n    v = v_")


def test_magic_options_on_the_first_line(shell: InteractiveShell) -> None:
    assert complete(shell, "%%neuron LIF --th") == [("--threshold", "option")]
    options = texts(shell, "%%neuron LIF --")
    assert options == ["--threshold", "--reset", "--refractory", "--method", "--show-code",
                       "--quiet"]
    assert texts(shell, "%%synapse S --on") == ["--on-pre", "--on-post"]
    assert "--reset" not in texts(shell, "%%neuron LIF --reset 'v = 0*mV' --re")
    assert texts(shell, "%%neuron LIF --method e") == ["exact", "exponential_euler", "euler"]
    assert texts(shell, '%%neuron LIF --threshold "v > V')[:2] == ["Vr", "Vt"]
    # the cursor on the first line, in the middle of the cell
    text = "%%neuron LIF --qu\nv : volt\n"
    assert texts(shell, text, text.index("\n")) == ["--quiet"]


def test_an_invalid_or_incomplete_cell_still_completes(shell: InteractiveShell) -> None:
    broken = "%%neuron N --bogus\n  indented nonsense ((\ndv/dt = (El - vm\nvmax : volt (\n"
    assert texts(shell, broken, broken.index("vm\n") + 2) == ["vmax"]
    unfinished = "%%neuron N\ndv/dt = (El - v + I\nI : amp\nrest:\n    v = "
    names = texts(shell, unfinished + "I")
    assert names[0] == "I"
    assert complete_cell("%%neuron N\nv : volt (constant, \"oops\n", 1, 26, {}) is not None
    new_line = texts(shell, "%%neuron N\nv : volt (constant, \"oops\n")
    assert new_line[:2] == ["threshold:", "reset:"] and "v" in new_line


def test_ordinary_cells_are_left_alone(shell: InteractiveShell) -> None:
    assert "math" in texts(shell, "x = 1\nmat")
    assert "isclose" in texts(shell, "math.isc")
    # the magic names themselves still complete
    assert "%%neuron" in texts(shell, "%%neu")
    # a Python cell mentioning %%neuron later is not a model cell
    assert "math" in texts(shell, "x = 1\n# %%neuron\nmat")


def test_comments_and_descriptions_get_no_equation_names() -> None:
    # (IPython's own completion of comments, if any, is left as it is in Python cells)
    namespace = {"taum": 1.0}
    assert complete_cell("%%neuron N\n# the membrane ta", 1, 17, namespace) is None
    assert complete_cell("%%neuron N\nv : volt  # ta", 1, 14, namespace) is None
    assert complete_cell("%%neuron N\nv : volt\nreset:\n    # ta", 3, 8, namespace) is None


def test_the_matcher_is_registered_once(shell: InteractiveShell) -> None:
    shell.run_line_magic("reload_ext", "jnsim")
    ids = [getattr(m, "matcher_identifier", None) for m in shell.Completer.custom_matchers]
    assert ids.count(MATCHER_ID) == 1


def test_complete_cell_never_raises() -> None:
    cell = CELL + "    v = \"(\n)'\n\t\t:(((\n"
    for offset in range(len(cell) + 1):
        before = cell[:offset]
        line = before.count("\n")
        column = len(before.rsplit("\n", 1)[-1])
        complete_cell(cell, line, column, {"weird": object()})


def test_a_large_cell_in_a_crowded_namespace_completes(shell: InteractiveShell) -> None:
    """Latency is measured in benchmarks/completion_latency.py; here: the right items."""
    shell.run_cell("from numpy import *", store_history=False)  # a crowded namespace
    shell.user_ns.update({f"param_{k}": k * 1.5 for k in range(500)})
    equations = [f"dx{k}/dt = (param_{k} - x{k})/taum : volt" for k in range(40)]
    cell = "\n".join(["%%neuron Big --threshold \"x0 > Vt\"", *equations,
                      *[f"p{k} : volt (constant)" for k in range(4)],
                      "reset:", "    x0 = Vr", "    x1 = Vr", "    x2 = Vr", "    x3 = ",
                      ""])
    assert cell.count("\n") == 50
    for text, expected in ((cell[:-1] + "x", "x0"), (cell[:-1] + "-60*m", "mV"),
                           (cell.replace(": volt", ": vo", 1), None)):
        found = texts(shell, text, len(text) if expected else cell.index(": vo") + 4)
        assert (expected or "volt") in found


# -- a real kernel -----------------------------------------------------------------------

def test_complete_request_to_a_kernel() -> None:
    manager_module = pytest.importorskip("jupyter_client.manager")
    manager = manager_module.KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    try:
        client.start_channels()
        client.wait_for_ready(timeout=60)
        setup = client.execute_interactive("%load_ext jnsim\nfrom jnsim import *\n"
                                           "tau_m = 20*ms", timeout=60)
        assert setup["content"]["status"] == "ok"
        cell = "%%neuron LIF\ndv/dt = (E_l - v)/tau_m : volt\nE_l : volt\nreset:\n    v = "
        units = _complete(client, "%%neuron LIF\ndv/dt = -v/tau_m : vo")
        assert units["matches"] == ["volt"]
        assert units["cursor_start"] == len("%%neuron LIF\ndv/dt = -v/tau_m : ")
        names = _complete(client, cell + "E")
        assert names["matches"][0] == "E_l"
        assert "tau_m" in _complete(client, cell + "t")["matches"]
        assert "mV" in _complete(client, cell + "-65*m")["matches"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _complete(client: object, code: str) -> dict:
    message_id = client.complete(code, len(code))  # type: ignore[attr-defined]
    while True:
        reply = client.get_shell_msg(timeout=30)  # type: ignore[attr-defined]
        if reply["parent_header"].get("msg_id") == message_id:
            assert reply["content"]["status"] == "ok"
            return reply["content"]
