"""What the tutorial notebooks store when they are run in a real kernel (nbclient).

The CUBA tutorial is executed once; its outputs must hold BokehJS once (not once per
MIME type, not once per figure) and a static PNG copy of every figure.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

pytestmark = pytest.mark.timeout(600)


def _execute(name: str) -> Any:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return notebook


@pytest.fixture(scope="module")
def cuba() -> Any:
    return _execute("02_cuba.ipynb")


def _outputs(notebook: Any) -> list[Any]:
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]


def _bokehjs_signature() -> str:
    """200 characters from the middle of bokeh.min.js (they occur once in it)."""
    from bokeh.resources import INLINE

    core = INLINE.js_raw[0]
    middle = len(core) // 2
    signature = core[middle:middle + 200]
    assert core.count(signature) == 1
    return signature


def test_cuba_stores_bokehjs_once(cuba: Any) -> None:
    signature = _bokehjs_signature()
    copies = [(mime, len(value)) for output in _outputs(cuba)
              for mime, value in output.get("data", {}).items()
              if isinstance(value, str) and signature in value]
    assert len(copies) == 1, copies
    assert copies[0][0] == "application/javascript"
    size = len(json.dumps(cuba))
    assert size < 6_500_000, f"the executed notebook has {size} bytes"


def test_cuba_figures_have_a_png_copy(cuba: Any) -> None:
    figures = [o for o in _outputs(cuba)
               if "data-root-id" in o.get("data", {}).get("text/html", "")]
    assert len(figures) == 3  # M, R.plot(smooth=5*ms), V.plot()
    for output in figures:
        png = base64.b64decode(output["data"]["image/png"])
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert 10_000 < len(png) < 400_000


def _markdown(name: str) -> str:
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def test_cuba_prints_loop_and_compile_time_apart(cuba: Any) -> None:
    text = "".join(o.get("text", "") for o in _outputs(cuba) if o.output_type == "stream")
    found = re.search(r"simulation loop (\d+\.\d+) s; (compiling|loading) the kernel"
                      r"(?: from the disk cache)? (\d+\.\d+) s", text)
    assert found, text
    assert float(found.group(3)) > 0


def test_tutorial_links_point_to_notebooks_that_exist() -> None:
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        text = _markdown(path.name)
        assert "plotting tutorial" not in text, path.name  # there is none
        for target in re.findall(r"\]\(([^)#\s]+)", text):
            if "://" not in target:
                assert (NOTEBOOKS / target).exists(), f"{path.name} links to {target}"
    assert "](02_cuba.ipynb)" in _markdown("01_quickstart.ipynb")


def test_stdp_states_measured_times_not_a_vague_claim() -> None:
    text = _markdown("03_stdp.ipynb")
    assert "take a few seconds" not in text
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOKS / "03_stdp.ipynb", as_version=4)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "stats.kernel_seconds" in code and "stats.compile_seconds" in code
