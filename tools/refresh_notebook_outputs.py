#!/usr/bin/env python3
"""Execute tutorial notebooks and keep only their text outputs.

nbval compares a cell tagged ``nbval-check-output`` only if the notebook stores that
cell's output and execution count. Bokeh figures and widgets must not be committed
(inline resources are megabytes), so this keeps stream, plain-text, Markdown and LaTeX
outputs and drops everything else::

    python tools/refresh_notebook_outputs.py notebooks/01_quickstart.ipynb ...
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KEPT_MIME_TYPES = ("text/plain", "text/markdown", "text/latex")


def _text_only(output: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    if output.output_type in ("stream", "error"):
        return output
    data = {k: v for k, v in output.get("data", {}).items() if k in KEPT_MIME_TYPES}
    if not data or "application/vnd.jupyter.widget-view+json" in output.get("data", {}):
        return None
    if "data-root-id" in output.get("data", {}).get("text/html", ""):
        return None  # a Bokeh figure (its element, PNG copy and placeholder text)
    output["data"] = data
    output["metadata"] = {}
    return output


def refresh(path: Path) -> None:
    """Run ``path`` in a fresh kernel and store its text outputs in place."""
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in map(_text_only, cell.outputs) if o is not None]
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        refresh(Path(name))
        print(f"refreshed {name}")
