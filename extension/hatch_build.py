"""Build function for hatch-jupyter-builder: ``npm ci && npm run build:prod`` in ``extension/``.

hatch-jupyter-builder's own ``npm_builder`` runs ``npm install``; this one runs ``npm ci``,
so a wheel is always built from the committed ``package-lock.json``. Referenced from
pyproject.toml as ``build-function = "extension.hatch_build.npm_ci_build"`` (the hook
imports it from the project root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def npm_ci_build(
    target_name: str,
    version: str,
    path: str = "extension",
    build_cmd: str = "build:prod",
    npm: str = "npm",
) -> None:
    """Install the locked npm dependencies and build the JupyterLab extension.

    Parameters
    ----------
    target_name : str
        Hatch build target ("wheel" or "sdist"); unused.
    version : str
        "standard" or "editable"; unused.
    path : str
        Directory of the extension's package.json, relative to the project root.
    build_cmd : str
        npm script that builds the extension into ``jnsim/labextension``.
    npm : str
        The npm executable.
    """
    del target_name, version
    if "--skip-npm" in sys.argv or os.environ.get("HATCH_JUPYTER_BUILDER_SKIP_NPM") == "1":
        print("jnsim: skipping the JupyterLab extension build (npm skipped)")
        return
    executable = shutil.which(npm)
    if executable is None:
        msg = (
            f"cannot build the JupyterLab extension: '{npm}' not found. Install Node.js >= 20 "
            "with npm, or set SKIP_JUPYTER_BUILDER=1 to build without the extension."
        )
        raise RuntimeError(msg)
    cwd = Path(path).resolve()
    for args in (["ci", "--no-audit", "--no-fund"], ["run", build_cmd]):
        print(f"jnsim: {npm} {' '.join(args)} (in {cwd})", flush=True)
        subprocess.run([executable, *args], cwd=cwd, check=True)
