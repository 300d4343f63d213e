"""jnsim in a real IPython shell: the output history and how errors are shown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

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
