"""Sphinx configuration of the jnsim documentation.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``. The
content pages are MyST-NB text notebooks and the tutorials are the notebooks of
``notebooks/``; all of them are executed during the build, so every example shown
is the output of the current code.
"""

from __future__ import annotations

import filecmp
import importlib.util
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import jnsim  # noqa: E402  (after the path is set, for builds without an install)


def _copy_tutorials() -> None:
    """Copy ``../notebooks/*.ipynb`` into ``tutorials/`` (Sphinx reads only its source dir).

    The copies are ignored by git; a copy whose notebook was deleted is removed.
    """
    target = DOCS / "tutorials"
    sources = sorted((ROOT / "notebooks").glob("*.ipynb"))
    names = {source.name for source in sources}
    for stale in target.glob("*.ipynb"):
        if stale.name not in names:
            stale.unlink()
    for source in sources:
        copy = target / source.name
        if not copy.exists() or not filecmp.cmp(source, copy, shallow=False):
            shutil.copyfile(source, copy)


_copy_tutorials()

# -- JavaScript served from the site itself ---------------------------------------------
# The built site must work without a network: MathJax, require.js and the widget manager
# (and jupyter_bokeh's widget module) are copied into ``_static`` instead of being loaded
# from CDNs.

# MathJax 3 as packaged on PyPI by ``sphinx-mathjax-offline`` (its ``static/mathjax``).
_MATHJAX_SPEC = importlib.util.find_spec("sphinx-mathjax-offline")
if _MATHJAX_SPEC is None or not _MATHJAX_SPEC.submodule_search_locations:
    raise RuntimeError("the docs need sphinx-mathjax-offline (pip install -e '.[docs]')")
_MATHJAX_STATIC = Path(_MATHJAX_SPEC.submodule_search_locations[0]) / "static"

# require.js and the ipywidgets embed manager come from the npm registry (no PyPI package
# ships them): ``npm pack`` of pinned versions, unpacked once into ``docs/_vendor/``
# (ignored by git; delete it to fetch again). html-manager 1.x renders ipywidgets 8 state.
VENDOR = DOCS / "_vendor"
_NPM_FILES = {
    "requirejs@2.3.8": {"require.js": "widgets/require.js"},
    "@jupyter-widgets/html-manager@1.0.15": {"dist/": "widgets/html-manager/"},
}
# embed-amd.js is self-contained (base, controls, html-manager); these are not used.
_NPM_SKIP = ("dist/embed.js", "dist/libembed-amd.js")


def _vendor_npm_files() -> None:
    """Unpack the npm files of ``_NPM_FILES`` into ``VENDOR`` unless they are there."""
    stamp = VENDOR / "widgets" / "VERSIONS.txt"
    if stamp.exists() and stamp.read_text() == repr(_NPM_FILES):
        return
    if shutil.which("npm") is None:
        raise RuntimeError("the docs need npm to vendor require.js and the widget manager")
    shutil.rmtree(VENDOR, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        for spec, files in _NPM_FILES.items():
            out = subprocess.run(
                ["npm", "pack", "--silent", spec], cwd=tmp, check=True,
                capture_output=True, text=True,
            ).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(tmp) / out) as tar:
                for member in tar.getmembers():
                    name = member.name.removeprefix("package/")
                    if not member.isfile() or name.endswith((".map", ".md")) or name in _NPM_SKIP:
                        continue
                    for source, target in files.items():
                        if name == source or (source.endswith("/") and name.startswith(source)):
                            dest = VENDOR / (target + name.removeprefix(source))
                            dest.parent.mkdir(parents=True, exist_ok=True)
                            dest.write_bytes(tar.extractfile(member).read())
    stamp.write_text(repr(_NPM_FILES))


_vendor_npm_files()


def _vendor_jupyter_bokeh() -> None:
    """Copy jupyter_bokeh's widget module (the AMD build in its Python package) into
    ``VENDOR``; ``_static/widgets/widget-paths.js`` tells require.js where it is."""
    spec = importlib.util.find_spec("jupyter_bokeh")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the docs need jupyter_bokeh (a dependency of jnsim)")
    module = Path(spec.submodule_search_locations[0]) / "nbextension" / "index.js"
    if not module.is_file():
        raise RuntimeError(f"jupyter_bokeh has no widget module at {module}")
    target = VENDOR / "widgets" / "jupyter_bokeh" / "index.js"
    if not target.exists() or not filecmp.cmp(module, target, shallow=False):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(module, target)


_vendor_jupyter_bokeh()

# -- project ----------------------------------------------------------------------------

project = "jnsim"
author = "the jnsim developers"
copyright = "the jnsim developers"
release = jnsim.__version__
version = release

# -- general ----------------------------------------------------------------------------

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]
exclude_patterns = ["_build", "_vendor", "**.ipynb_checkpoints"]

# MathJax from _static (see above); MyST's dollarmath settings go into mathjax4_config,
# whose keys MathJax 3 reads as well.
mathjax_path = "mathjax/tex-chtml.js"
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}

myst_enable_extensions = ["amsmath", "colon_fence", "dollarmath"]
myst_heading_anchors = 3

# -- executing the pages ----------------------------------------------------------------

nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_timeout = 600
nb_execution_show_tb = True
nb_merge_streams = True
# Widget pages load require.js and the embed manager from _static, not from CDNs. The
# built-in widgets (base, controls, output) are bundled in embed-amd.js; third-party
# widget modules are looked up with require.js first: widget-paths.js maps jupyter_bokeh's
# module to its copy in _static, so explorers render without a CDN.
nb_ipywidgets_js = {
    "widgets/require.js": {},
    "widgets/widget-paths.js": {},
    "widgets/html-manager/embed-amd.js": {},
}
# Model cards and reports are Markdown outputs with tables and $math$.
nb_render_markdown_format = "myst"

# Bokeh figures come as HTML (with a PNG copy) plus the notebook-only MIME type
# bokehjs_exec that a static page cannot use; the HTML part is rendered, the other is
# skipped silently.
suppress_warnings = ["mystnb.unknown_mime_type"]

# -- API reference ----------------------------------------------------------------------

autodoc_member_order = "bysource"
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Methods through which networks drive their objects: public names, but not user API.
_ENGINE_METHODS = {
    "argument_values", "array", "between_steps", "check_direct_access", "check_links",
    "contained_objects", "current_time", "start_run",
    "delay_array", "dt_", "external_values", "extra_code_names", "indices_where",
    "jnsim_function_info", "link_keys", "link_values", "operations", "prepare", "reserve",
    "resolve", "restore", "set_variable", "snapshot", "subexpression_names",
    "subexpression_values", "variable_size",
}
_USER_RESTORE = {"Network.restore"}
# pint's classes, re-exported by jnsim; their documentation is pint's.
_PINT_CLASSES = {"Quantity", "Unit"}


def _skip_engine_methods(app, what, name, obj, skip, options):
    """Leave the engine protocol, pint's classes and NumPy out of the API reference."""
    qualname = getattr(obj, "__qualname__", "")
    if what == "class" and name in _ENGINE_METHODS and qualname not in _USER_RESTORE:
        return True
    if what == "module" and name in _PINT_CLASSES:
        return True
    if what == "module" and (name in ("np", "numpy") or name in jnsim._NUMPY_NAMES):
        return True  # NumPy, offered by ``from jnsim import *`` as Brian offers it
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_engine_methods)

# -- HTML -------------------------------------------------------------------------------

html_theme = "furo"
html_title = f"jnsim {release}"
html_static_path = [str(_MATHJAX_STATIC), "_vendor", "_static"]
