"""jnsim in a real IPython shell: the output history and how errors are shown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jnsim.errors import JnsimError

MODEL = "'dv/dt = (1.2 - v)/(10*ms) : 1', threshold='v > 1', reset='v = 0', method='exact'"


@pytest.fixture
def shell(ipython: InteractiveShell) -> Iterator[InteractiveShell]:
    ipython.reset(new_session=False)
    assert ipython.run_cell("from jnsim import *\nstart_scope()", store_history=True).success
    yield ipython
    ipython.run_cell("start_scope()", store_history=False)


def cell(shell: InteractiveShell, code: str) -> Any:
    """Run ``code`` as a notebook cell (with output history); its result."""
    return shell.run_cell(code, store_history=True)


def test_objects_only_in_the_output_history_are_not_run(shell: InteractiveShell,
                                                         capsys: Any) -> None:
    cell(shell, f"G = NeuronGroup(2, {MODEL}, name='old')")
    cell(shell, "M = SpikeMonitor(G, name='old_spikes')\nM")  # shown: _ and _3 are M
    cell(shell, "G")  # shown: _ is G, __ is M
    # Rebuild the group and its monitor: the old ones live on only in _, __, _3, Out.
    cell(shell, f"G = NeuronGroup(2, {MODEL}, name='new')\nM = SpikeMonitor(G, name='spikes')")
    assert {shell.user_ns["_"].name, shell.user_ns["__"].name} == {"old", "old_spikes"}
    capsys.readouterr()
    result = cell(shell, "run(30*ms)")
    assert result.success, capsys.readouterr()
    assert shell.user_ns["M"].num_spikes == 2  # one each, at 10 ms * ln(6) = 17.9 ms
    result = cell(shell, "sorted(o.name for o in collect())")
    assert result.result == ["new", "spikes"]


def test_report_leaves_out_the_output_history(shell: InteractiveShell, tmp_path: Path) -> None:
    cell(shell, f"old = NeuronGroup(3, {MODEL}, name='old_population')\nold")
    cell(shell, "del old")
    cell(shell, f"P = NeuronGroup(5, {MODEL}, name='cells')\nS = SpikeMonitor(P)")
    target = tmp_path / "model.md"
    assert cell(shell, f"text = report({str(target)!r})").success
    text = shell.user_ns["text"]
    assert "cells" in text and "old_population" not in text


def test_a_users_own_underscore_name_is_kept(shell: InteractiveShell) -> None:
    cell(shell, f"_ = NeuronGroup(2, {MODEL}, name='kept')")
    assert cell(shell, "[o.name for o in collect()]").result == ["kept"]


ADEX_CELL = """\
dv/dt = (-(v - El) + a*(v - El) - w/gL)/taum : volt
dw/dt = (a*gL*(v - El) - w)/tau_w : amp
"""


def test_a_run_error_shows_as_its_message_naming_the_model(shell: InteractiveShell,
                                                          capsys: Any) -> None:
    cell(shell, "El = -70*mV; a = 0.5; gL = 10*nS; taum = 20*ms; tauw = 100*ms")
    shell.run_cell_magic("neuron", "AdEx --quiet", ADEX_CELL)
    cell(shell, "G = NeuronGroup(2, AdEx, name='cells')")
    capsys.readouterr()
    result = cell(shell, "run(1*ms)")
    assert type(result.error_in_exec).__name__ == "NamespaceError"  # the cell still fails
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "NamespaceError: NeuronGroup 'cells', model 'AdEx' (the %%neuron AdEx cell), "
        "line 3, column 29: 'tau_w' is not defined in the calling code's namespace",
        "  3 | dw/dt = (a*gL*(v - El) - w)/tau_w : amp",
        "    |                             ^^^^^",
        "hint: did you mean 'tauw'? define tau_w (e.g. 'tau_w = 10*ms') before running, "
        "or declare it as a parameter: 'tau_w : <unit>'"]
    assert "Traceback" not in out and "jnsim/" not in out
    cell(shell, "%tb")  # the full traceback is still there for whoever wants it
    assert "jnsim/network.py" in capsys.readouterr().out


def test_an_error_at_creation_names_the_object(shell: InteractiveShell, capsys: Any) -> None:
    capsys.readouterr()
    cell(shell, "S = NeuronGroup(1, 'dv/dt = -v/(10*ms) : volt', threshold='v > 1*mV',"
                " reset='v = 0*mV', name='plain')\n"
                "T = Synapses(S, S, 'w : volt', on_pre='v_post += w*ms', name='links')")
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "UnitError: Synapses 'links', line 1, column 11: cannot assign volt*second to "
        "'v_post', which has units of volt",
        "  1 | v_post += w*ms",
        "    |           ^^^^",
        "hint: the value must have units of volt"]


def test_other_errors_keep_their_traceback(shell: InteractiveShell, capsys: Any) -> None:
    capsys.readouterr()
    cell(shell, "1/0")
    assert "ZeroDivisionError" in capsys.readouterr().out
    assert shell.custom_exceptions == (JnsimError,)


def test_the_error_names_the_object_outside_ipython_too() -> None:
    import jnsim

    jnsim.start_scope()
    with pytest.raises(JnsimError) as caught:
        group = jnsim.NeuronGroup(1, "dv/dt = -v/tau_x : 1", name="lonely")
        jnsim.Network(group).run(1 * jnsim.ms)
    assert str(caught.value).startswith("NeuronGroup 'lonely', line 1, column 12: 'tau_x'")
