"""The JupyterLab extension's own unit tests (vitest), run from pytest.

``pip install`` builds the extension with ``npm ci``, which leaves its test runner in
``extension/node_modules``.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parent.parent / "extension"


def test_tokenizer_unit_tests_pass():
    npm = shutil.which("npm")
    installed = (EXTENSION / "node_modules" / ".bin" / "vitest").exists()
    if npm is None or not installed:
        if os.environ.get("JNSIM_REQUIRE_TOOLS") == "1":
            pytest.fail("npm or the extension's node_modules are missing "
                        "(pip install should have run npm ci)")
        pytest.skip("npm or extension/node_modules missing: run npm ci in extension/")
    result = subprocess.run([npm, "test", "--silent"], cwd=EXTENSION, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "passed" in result.stdout
