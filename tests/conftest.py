"""Shared helpers for the test suite."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from pathlib import Path
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


def browser_missing(chromium: str | None = None) -> list[str]:
    """What the browser tests need and this machine lacks: Debian's Chromium
    (``/usr/bin/chromium`` or ``JNSIM_CHROMIUM``) and the playwright package."""
    chromium = chromium or os.environ.get("JNSIM_CHROMIUM", "/usr/bin/chromium")
    missing = []
    if not Path(chromium).is_file() or not os.access(chromium, os.X_OK):
        missing.append(f"chromium at {chromium}")
    if importlib.util.find_spec("playwright") is None:
        missing.append("playwright (the Python package)")
    return missing


def require_browser(*also_missing: str) -> None:
    """Skip a browser test when Chromium or playwright is absent, fail instead with
    ``JNSIM_REQUIRE_BROWSER=1`` (set by ``.ci/run``); run it whenever both are there."""
    missing = [*browser_missing(), *also_missing]
    if not missing:
        return
    message = "browser test needs " + ", ".join(missing)
    if os.environ.get("JNSIM_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (JNSIM_REQUIRE_BROWSER=1)")
    pytest.skip(message)
