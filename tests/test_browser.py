"""The CUBA tutorial in real JupyterLab, driven by Chromium through playwright.

Runs all cells of ``notebooks/02_cuba.ipynb``, waits for the raster canvas and the
sliders of ``explore()``, moves a slider with the keyboard and checks in the browser
that the raster's Bokeh data source changed, then that MathJax typeset the model's
equations.

The test needs Debian's ``chromium`` (``/usr/bin/chromium``, or the path in
``JNSIM_CHROMIUM``) and ``playwright`` (the Python package only; never ``playwright
install``). It runs whenever both are present and is skipped otherwise, unless
``JNSIM_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_browser

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "02_cuba.ipynb"
CHROMIUM = os.environ.get("JNSIM_CHROMIUM", "/usr/bin/chromium")

pytestmark = [pytest.mark.timeout(300)]

# JavaScript run in the page: every Bokeh data source named 'spikes' with a digest of
# its 't' column, so that a change of the data can be seen.
_SPIKE_SOURCES = """
() => {
  if (typeof Bokeh === 'undefined') return null;
  const found = [];
  for (const doc of Bokeh.documents) {
    const models = doc._all_models ? doc._all_models.values() : doc.all_models;
    for (const model of models) {
      if (model.name !== 'spikes' || model.data == null) continue;
      const data = model.data;
      const t = data instanceof Map ? data.get('t') : data.t;
      if (t == null) continue;
      let total = 0;
      for (const value of t) total += value;
      found.push([model.id, t.length, total]);
    }
  }
  return found;
}
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_server(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"JupyterLab did not answer at {url} within {timeout} s")


def _stop_server(process: subprocess.Popen[bytes], base: str, token: str) -> None:
    """Shut JupyterLab (and its kernels) down: politely, then by signal."""
    try:
        request = urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST",
                                         data=b"")
        urllib.request.urlopen(request, timeout=5).close()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        pass
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    # Kernels started by this server (same session), should any have outlived it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def jupyterlab(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """A JupyterLab server on a free port with temporary settings; yields (base, token, log)."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    settings = tmp_path / "settings"
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update({"JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
                "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
                "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")})
    log = tmp_path / "jupyterlab.log"
    command = [sys.executable, "-m", "jupyterlab", "--allow-root", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={work}",
               f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
               f"--LabApp.user_settings_dir={settings}",
               "--LabApp.expose_app_in_browser=True"]
    base = f"http://127.0.0.1:{port}"
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=work, env=env, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_server(f"{base}/api/status?token={token}", process, timeout=90)
        yield base, token, log
    finally:
        _stop_server(process, base, token)


def _spike_digest(page: Any) -> dict[str, tuple[int, float]]:
    found = page.evaluate(_SPIKE_SOURCES) or []
    return {model_id: (length, total) for model_id, length, total in found}


def test_cuba_tutorial_explore_in_jupyterlab(jupyterlab: tuple[str, str, Path],
                                             tmp_path: Path) -> None:
    require_browser()
    from playwright import sync_api

    base, token, log = jupyterlab
    started = time.monotonic()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
            page.wait_for_function(
                "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                " && window.jupyterapp.shell.currentWidget.sessionContext"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                ".status === 'idle'", timeout=90_000)
            page.evaluate("() => window.jupyterapp.commands.execute("
                          "'notebook:run-all-cells')")

            # The explore() output: sliders, then the raster's canvas.
            sliders = page.locator(".widget-hslider")
            sliders.first.wait_for(timeout=120_000)
            assert sliders.count() == 2
            explore_output = page.locator(".jp-OutputArea-output").filter(has=sliders.first)
            canvas = explore_output.locator("canvas").first
            canvas.wait_for(timeout=60_000)
            # Wait for the last cell to finish (ex.set and the status printout).
            page.wait_for_function(
                "() => window.jupyterapp.shell.currentWidget.sessionContext.session"
                ".kernel.status === 'idle'"
                " && [...document.querySelectorAll('.jp-InputArea-prompt')]"
                ".every(p => !p.textContent.includes('*'))", timeout=120_000)
            errors = page.locator(".jp-OutputArea-output[data-mime-type="
                                  "'application/vnd.jupyter.stderr']", has_text="Error")
            assert errors.count() == 0, errors.first.inner_text()
            labels = explore_output.locator(".widget-hslider .widget-label")
            assert labels.first.inner_text() == "we"
            # jnsim's readout next to the slider ("1.62 mV"): the exact value run.
            readout = explore_output.locator(".widget-hbox > .widget-label").first
            value_before = readout.inner_text()
            assert value_before.endswith(" mV")

            digest_before = _spike_digest(page)
            assert digest_before, "no Bokeh data source named 'spikes' in the page"

            handle = explore_output.locator(".widget-hslider .noUi-handle").first
            handle.focus()
            for _ in range(20):
                page.keyboard.press("ArrowLeft")
            deadline = time.monotonic() + 10
            while readout.inner_text() == value_before and time.monotonic() < deadline:
                time.sleep(0.1)

            # The key presses are coalesced into runs; once they are done, the readout
            # and the status line name the same (last) value run.
            status = explore_output.locator(".widget-html-content", has_text="spikes").first
            deadline = time.monotonic() + 60
            shown = value_after = None
            while time.monotonic() < deadline:
                value_after = float(readout.inner_text().split()[0])
                found = re.search(r"we = (-?[\d.]+) mV", status.inner_text())
                shown = float(found.group(1)) if found else None
                if shown is not None and abs(shown - value_after) < 1e-3:
                    break
                time.sleep(0.2)
            assert value_after < float(value_before.split()[0])
            assert shown == pytest.approx(value_after, abs=1e-3)
            digest_after = _spike_digest(page)
            changed = [k for k, v in digest_after.items()
                       if k in digest_before and v != digest_before[k]]
            assert changed, "the raster's data did not change after moving the slider"

            # The model card: the equations, shown as Markdown with LaTeX math, typeset
            # by MathJax.
            math = page.locator(".jp-OutputArea-output mjx-container")
            math.first.wait_for(timeout=20_000)
            assert math.count() >= 1
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            print(f"screenshot: {tmp_path / 'failure.png'}; server log: {log}")
            raise
        finally:
            browser.close()
    assert time.monotonic() - started < 180
