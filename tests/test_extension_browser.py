"""The JupyterLab extension in real JupyterLab and Chromium.

Runs ``extension/browser_check.py``: a ``%%neuron`` cell gets the equation language and
highlighted tokens after kernel start, after a kernel restart, after the notebook resets
cell MIME types, and when the magic is typed into a new cell; Tab in a ``%%neuron`` cell
completes units and names from the kernel. Runs whenever Chromium, playwright and the
built extension are present; skips otherwise, unless ``JNSIM_REQUIRE_BROWSER=1`` (set by
``.ci/run``), when it must run.
"""

import importlib.util
import os
from pathlib import Path

from tests.conftest import require_browser

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "extension" / "browser_check.py"


def _load_check():
    spec = importlib.util.spec_from_file_location("jnsim_extension_browser_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_equation_cells_get_their_language_in_jupyterlab(capsys):
    chromium = os.environ.get("JNSIM_CHROMIUM", "/usr/bin/chromium")
    built = (REPO / "jnsim" / "labextension" / "package.json").exists()
    require_browser(*([] if built else ["the built extension"]))
    check = _load_check()
    check.CHROMIUM = chromium
    checks = check.run(None)
    output = capsys.readouterr().out
    assert checks.failed == 0, "\n".join(line for line in output.splitlines()
                                         if line.startswith("FAIL"))
    assert checks.passed > 50
