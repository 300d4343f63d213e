"""Check the jnsim JupyterLab extension in a real JupyterLab and headless Chromium.

Run from the repository root after building the extension (``cd extension && npm run build``)::

    .venv/bin/python extension/browser_check.py [--screenshots DIR]

Needs ``jupyterlab``, ``ipykernel`` and ``playwright`` (Python) and Debian's ``chromium``
(``apt-get install chromium``); it never downloads a browser. The script starts
``jupyter lab --allow-root --no-browser`` on a temporary directory, with the built
extension from ``jnsim/labextension`` put in a temporary Jupyter data directory (nothing
is installed into the environment), opens a notebook with a ``%%neuron`` cell and checks:

* the ``%%neuron`` cell's editor runs the ``jnsim-equations`` language (its model has the
  ``text/x-jnsim-equations`` MIME type) and a plain Python cell does not;
* tokens carry the expected ``cm-jnsim-*`` classes and the theme's colours;
* all of that still holds after the kernel is restarted (the notebook resets the cells'
  MIME types when the kernel's language info arrives) and after ``language_info`` is set
  again;
* typing ``%%synapse`` into a new cell switches it to the language, and deleting the magic
  switches it back to Python;
* after ``%load_ext jnsim``, Tab in a ``%%neuron`` cell completes from the kernel: a unit
  after the colon, a notebook constant on a right-hand side (one match: inserted), and
  units after ``-65*m`` (several: the completer list shows ``mV``).

Prints one line per check and ``N passed, M failed``; exits non-zero on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parent.parent
BUILT_EXTENSION = REPO / "jnsim" / "labextension"
CHROMIUM = "/usr/bin/chromium"
LANGUAGE = "jnsim-equations"
MIME = "text/x-jnsim-equations"

NEURON_CELL = """%%neuron LIF --threshold "v > -50*mV" --refractory 5*ms --method exact
# leaky integrate-and-fire
dv/dt = (v0 - v) / tau + xi_noise*sigma/sqrt(tau) : volt (unless refractory)
v0 : volt (constant)
tau : second
sigma : volt
reset:
    v = -60*mV"""

PYTHON_CELL = "x = 1  # plain Python\nprint(x)"


def notebook_json() -> dict:
    def code(source: str) -> dict:
        return {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": source,
        }

    return {
        "cells": [code(NEURON_CELL), code(PYTHON_CELL)],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            # No language_info: it arrives from the kernel once the notebook is open, and
            # then the notebook resets every code cell's MIME type.
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Checks:
    """Collects named pass/fail results."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, name: str, condition: bool, detail: object = "") -> None:
        if condition:
            self.passed += 1
            print(f"PASS {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}: {detail}", flush=True)


def start_lab(root: Path, port: int, token: str) -> subprocess.Popen:
    data_dir = root / "_jupyter" / "data"
    shutil.copytree(BUILT_EXTENSION, data_dir / "labextensions" / "jnsim-jupyterlab")
    env = dict(os.environ)
    env.update(
        JUPYTER_DATA_DIR=str(data_dir),
        JUPYTER_CONFIG_DIR=str(root / "_jupyter" / "config"),
        JUPYTER_RUNTIME_DIR=str(root / "_jupyter" / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(root / "_jupyter" / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(root / "_jupyter" / "workspaces"),
    )
    work = root / "work"
    cmd = [
        sys.executable, "-m", "jupyter", "lab",
        "--allow-root", "--no-browser",
        f"--port={port}", "--ip=127.0.0.1",
        f"--ServerApp.root_dir={work}",
        f"--IdentityProvider.token={token}",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.workspaces_dir={root / '_jupyter' / 'workspaces'}",
        f"--LabApp.user_settings_dir={root / '_jupyter' / 'settings'}",
    ]
    log = open(root / "lab.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    deadline = time.time() + 60
    url = f"http://127.0.0.1:{port}/api/status?token={token}"
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited:\n{(root / 'lab.log').read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("jupyter lab did not start within 60 s")


# JavaScript run in the page (window.jupyterapp is exposed by expose_app_in_browser).
JS_CELLS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.map(cell => ({
    type: cell.model.type,
    mime: cell.model.mimeType,
    language: cell.node.querySelector('.cm-content')?.getAttribute('data-language') ?? null,
    source: cell.model.sharedModel.getSource()
  }));
}"""

JS_TOKEN_CLASSES = """(index) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cell = panel.content.widgets[index];
  const out = {};
  for (const span of cell.node.querySelectorAll('.cm-content span')) {
    const jnsim = [...span.classList].find(c => c.startsWith('cm-jnsim-'));
    if (jnsim) {
      (out[jnsim] = out[jnsim] || []).push(span.textContent);
    }
  }
  return out;
}"""

# Colour of the first span of each class, and the colour the theme variable resolves to.
JS_COLOURS = """(pairs) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const node = panel.content.widgets[0].node;
  const probe = document.createElement('span');
  document.body.appendChild(probe);
  const result = {};
  for (const [cls, variable] of pairs) {
    const span = node.querySelector('.cm-content span.' + cls);
    probe.style.color = `var(${variable})`;
    result[cls] = {
      actual: span ? getComputedStyle(span).color : null,
      expected: getComputedStyle(probe).color
    };
  }
  probe.remove();
  return result;
}"""

JS_KERNEL_STATUS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.sessionContext.session?.kernel?.status ?? 'none';
}"""

JS_RECORD_STATUSES = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  window.__jnsimStatuses = [];
  panel.sessionContext.statusChanged.connect((_, status) => window.__jnsimStatuses.push(status));
  // MIME types the %%neuron cell is given: shows that the notebook did reset it.
  window.__jnsimMimes = [];
  panel.content.widgets[0].model.mimeTypeChanged.connect(
    (_, change) => window.__jnsimMimes.push(change.newValue)
  );
}"""


def wait_for(page: Page, js: str, arg: object = None, timeout: float = 30.0) -> None:
    page.wait_for_function(js, arg=arg, timeout=timeout * 1000)


def wait_kernel_idle(page: Page) -> None:
    wait_for(page, f"() => ({JS_KERNEL_STATUS})() === 'idle'", timeout=60)


def check_cells(checks: Checks, page: Page, when: str) -> None:
    cells = page.evaluate(JS_CELLS)
    neuron, python = cells[0], cells[1]
    checks.check(f"{when}: %%neuron cell has MIME {MIME}", neuron["mime"] == MIME, neuron)
    checks.check(
        f"{when}: %%neuron cell editor runs {LANGUAGE}", neuron["language"] == LANGUAGE, neuron
    )
    checks.check(
        f"{when}: Python cell keeps the notebook language",
        python["mime"] == "text/x-ipython" and python["language"] == "python",
        python,
    )
    classes = page.evaluate(JS_TOKEN_CLASSES, 0)
    expected = {
        "cm-jnsim-magic": "%%neuron",
        "cm-jnsim-modelName": "LIF",
        "cm-jnsim-option": "--threshold",
        "cm-jnsim-string": '"v > -50*mV"',
        "cm-jnsim-optionValue": "exact",
        "cm-jnsim-comment": "# leaky integrate-and-fire",
        "cm-jnsim-derivative": "/dt",
        "cm-jnsim-definition": "v",
        "cm-jnsim-unit": "volt",
        "cm-jnsim-flag": "unless refractory",
        "cm-jnsim-special": "xi_noise",
        "cm-jnsim-function": "sqrt",
        "cm-jnsim-section": "reset",
        "cm-jnsim-number": "60",
    }
    for cls, text in expected.items():
        checks.check(
            f"{when}: {text!r} has class {cls}", text in classes.get(cls, []), classes.get(cls)
        )
    checks.check(
        f"{when}: Python cell has no jnsim classes",
        page.evaluate(JS_TOKEN_CLASSES, 1) == {},
        page.evaluate(JS_TOKEN_CLASSES, 1),
    )
    colours = page.evaluate(
        JS_COLOURS,
        [
            ["cm-jnsim-unit", "--jp-mirror-editor-atom-color"],
            ["cm-jnsim-flag", "--jp-mirror-editor-keyword-color"],
            ["cm-jnsim-comment", "--jp-mirror-editor-comment-color"],
            ["cm-jnsim-string", "--jp-mirror-editor-string-color"],
            ["cm-jnsim-number", "--jp-mirror-editor-number-color"],
            ["cm-jnsim-magic", "--jp-mirror-editor-meta-color"],
            ["cm-jnsim-special", "--jp-mirror-editor-variable-2-color"],
            ["cm-jnsim-function", "--jp-mirror-editor-builtin-color"],
            ["cm-jnsim-definition", "--jp-mirror-editor-def-color"],
            ["cm-jnsim-modelName", "--jp-mirror-editor-def-color"],
            ["cm-jnsim-option", "--jp-mirror-editor-attribute-color"],
            ["cm-jnsim-section", "--jp-mirror-editor-keyword-color"],
            ["cm-jnsim-derivative", "--jp-mirror-editor-operator-color"],
            ["cm-jnsim-optionValue", "--jp-mirror-editor-atom-color"],
        ],
    )
    for cls, colour in colours.items():
        checks.check(
            f"{when}: {cls} coloured by the theme", colour["actual"] == colour["expected"], colour
        )


JS_ADD_CELL = """(source) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const index = panel.content.widgets.length;
  panel.content.model.sharedModel.insertCell(index, {cell_type: 'code', source});
  panel.content.activeCellIndex = index;
  panel.content.mode = 'command';
  return index;
}"""

JS_SOURCE = """(index) =>
  window.jupyterapp.shell.currentWidget.content.widgets[index].model.sharedModel.getSource()"""


def completer_items(page: Page) -> list[str]:
    """The labels in the completer list once it shows (empty if it does not)."""
    items = page.locator(".jp-Completer .jp-Completer-item .jp-Completer-match")
    try:
        items.first.wait_for(state="visible", timeout=15000)
    except Exception:
        return []
    return items.all_text_contents()


def tab_completion(page: Page, index: int, text: str) -> tuple[list[str], str]:
    """Type ``text`` at the end of cell ``index``, press Tab, accept the first item.

    Returns the completer's labels and the cell source afterwards.
    """
    page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content").click()
    page.keyboard.press("ControlOrMeta+End")
    page.keyboard.type(text)
    page.keyboard.press("Tab")
    labels = completer_items(page)
    if labels:
        page.keyboard.press("Enter")
        page.wait_for_timeout(300)
    return labels, page.evaluate(JS_SOURCE, index)


def check_completion(checks: Checks, page: Page, screenshots: Path | None) -> None:
    """Tab in a ``%%neuron`` cell: completions come from the kernel's jnsim matcher."""
    setup = page.evaluate(JS_ADD_CELL, "%load_ext jnsim\ntau_m = 0.02")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-cell')")
    wait_for(page, "(i) => !!window.jupyterapp.shell.currentWidget.content.widgets[i]"
                   ".model.executionCount", setup, timeout=60)
    wait_kernel_idle(page)
    index = page.evaluate(JS_ADD_CELL, "%%neuron N\n")
    labels, source = tab_completion(page, index, "v : vo")
    checks.check("completion: Tab after ': vo' offers the unit 'volt'", labels == ["volt"],
                 labels)
    checks.check("completion: the unit is inserted", source == "%%neuron N\nv : volt", source)
    labels, source = tab_completion(page, index, "\ndv/dt = -v/tau_")
    checks.check("completion: Tab after 'tau_' offers the notebook's 'tau_m'",
                 labels == ["tau_m"], labels)
    checks.check("completion: the name is inserted", source.endswith("= -v/tau_m"), source)
    page.keyboard.type(" + (-65*m")
    page.keyboard.press("Tab")
    labels = completer_items(page)
    checks.check("completion: Tab after '-65*m' lists units, 'mV' and 'mvolt' among them",
                 "mV" in labels and "mvolt" in labels, labels[:20])
    if screenshots:
        page.screenshot(path=str(screenshots / "completion.png"))
    page.keyboard.press("Escape")


def run(screenshots: Path | None) -> Checks:
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="jnsim-browser-") as tmp:
        root = Path(tmp)
        (root / "work").mkdir()
        (root / "work" / "equations.ipynb").write_text(json.dumps(notebook_json(), indent=1))
        port, token = free_port(), "jnsim-check"
        lab = start_lab(root, port, token)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
                )
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                errors: list[str] = []
                page.on(
                    "console",
                    lambda msg: errors.append(msg.text)
                    if msg.type == "error" and "jnsim" in msg.text
                    else None,
                )
                page.goto(f"http://127.0.0.1:{port}/lab/tree/equations.ipynb?token={token}")
                wait_for(
                    page,
                    "() => window.jupyterapp?.shell?.currentWidget?.content?.widgets?.length >= 2",
                    timeout=90,
                )
                plugins = page.evaluate(
                    "() => window.jupyterapp.hasPlugin('jnsim-jupyterlab:equation-cells')"
                    " && window.jupyterapp.isPluginActivated('jnsim-jupyterlab:equation-cells')"
                )
                checks.check("plugin jnsim-jupyterlab:equation-cells is active", plugins, plugins)

                # 1. After the kernel has started (language_info arrived).
                wait_kernel_idle(page)
                wait_for(
                    page,
                    "() => !!window.jupyterapp.shell.currentWidget.content.model"
                    ".getMetadata('language_info')",
                    timeout=60,
                )
                checks.check("language_info arrived from the kernel", True)
                page.wait_for_timeout(1500)
                check_cells(checks, page, "after kernel start")
                if screenshots:
                    page.screenshot(path=str(screenshots / "after-start.png"))

                # 2. After a kernel restart (through the UI command and its dialog).
                page.evaluate(JS_RECORD_STATUSES)
                # Not awaited: the command resolves only once its dialog is answered.
                page.evaluate(
                    "() => { window.jupyterapp.commands.execute('notebook:restart-kernel'); }"
                )
                page.locator(".jp-Dialog .jp-mod-accept").click(timeout=15000)
                wait_for(
                    page,
                    "() => (window.__jnsimStatuses || []).includes('restarting')",
                    timeout=60,
                )
                wait_kernel_idle(page)
                page.wait_for_timeout(2000)
                statuses = page.evaluate("() => window.__jnsimStatuses")
                checks.check("kernel went through 'restarting'", "restarting" in statuses, statuses)
                # JupyterLab 4.6 resets MIME types on restart only if language_info changed.
                restart_mimes = page.evaluate("() => window.__jnsimMimes")
                print(f"     MIME types given to the %%neuron cell during restart: {restart_mimes}")
                check_cells(checks, page, "after kernel restart")
                if screenshots:
                    page.screenshot(path=str(screenshots / "after-restart.png"))

                # 3. language_info set again: the notebook resets every code cell's MIME type.
                page.evaluate(
                    """() => {
                      const model = window.jupyterapp.shell.currentWidget.content.model;
                      const info = model.getMetadata('language_info');
                      model.setMetadata('language_info', {...info, version: 'reset-by-check'});
                    }"""
                )
                page.wait_for_timeout(1500)
                mimes = page.evaluate("() => window.__jnsimMimes")
                checks.check(
                    "language_info reset: cell reset to Python, then re-applied",
                    "text/x-ipython" in mimes and mimes[-1] == MIME,
                    mimes,
                )
                check_cells(checks, page, "after language_info reset")

                # 4. Typing a magic into a new cell, then removing it.
                page.evaluate(
                    """() => {
                      const panel = window.jupyterapp.shell.currentWidget;
                      panel.content.activeCellIndex = 1;
                      panel.content.mode = 'command';
                      window.jupyterapp.commands.execute('notebook:insert-cell-below');
                    }"""
                )
                page.wait_for_timeout(500)
                editor = page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".cm-content")
                editor.click()
                page.keyboard.type("%%synapse S --on-pre 'v_post += w'")
                page.keyboard.press("Enter")
                page.keyboard.type("w : 1 (constant)")
                page.wait_for_timeout(1000)
                typed = page.evaluate(JS_CELLS)[2]
                checks.check(
                    "typed %%synapse cell switches to the language",
                    typed["mime"] == MIME and typed["language"] == LANGUAGE,
                    typed,
                )
                typed_classes = page.evaluate(JS_TOKEN_CLASSES, 2)
                checks.check(
                    "typed cell: 'constant' is a flag",
                    "constant" in typed_classes.get("cm-jnsim-flag", []),
                    typed_classes,
                )
                if screenshots:
                    page.screenshot(path=str(screenshots / "typed.png"))
                page.keyboard.press("ControlOrMeta+a")
                page.keyboard.type("y = 2")
                page.wait_for_timeout(1000)
                typed = page.evaluate(JS_CELLS)[2]
                checks.check(
                    "cell without the magic goes back to Python",
                    typed["mime"] == "text/x-ipython" and typed["language"] == "python",
                    typed,
                )

                # 5. Tab completion in a model cell, answered by the kernel.
                check_completion(checks, page, screenshots)
                checks.check("no jnsim errors in the browser console", not errors, errors)
                browser.close()
        finally:
            lab.terminate()
            try:
                lab.wait(timeout=20)
            except subprocess.TimeoutExpired:
                lab.kill()
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--screenshots", type=Path, help="directory for PNG screenshots")
    args = parser.parse_args()
    if not (BUILT_EXTENSION / "package.json").exists():
        print(f"build the extension first: no {BUILT_EXTENSION / 'package.json'}")
        return 2
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    checks = run(args.screenshots)
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
