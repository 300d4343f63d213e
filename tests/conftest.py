"""Shared helpers for the test suite."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jnsim.errors import JnsimError


@pytest.fixture(autouse=True)
def _private_kernel_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: Any) -> None:
    """Every test session compiles into its own cache directory unless one is given."""
    if "JNSIM_CACHE_DIR" not in os.environ:
        monkeypatch.setenv("JNSIM_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "kernels"))


@pytest.fixture(scope="module")
def ipython() -> Iterator[InteractiveShell]:
    """A real IPython shell with ``%load_ext jnsim`` done, one per test module."""
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext jnsim", store_history=False)
    yield shell
    InteractiveShell.clear_instance()  # later tests must not find a running shell


def raises_jnsim(
    function: Callable[[], Any], error: type[JnsimError], *fragments: str
) -> JnsimError:
    """Call ``function``, expect ``error`` whose text contains every fragment."""
    with pytest.raises(error) as caught:
        function()
    text = str(caught.value)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    return caught.value
