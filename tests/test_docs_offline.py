"""The documentation site works without a network: MathJax, require.js and the widget
manager are served from ``_static``, not from CDNs.

One small page is built into ``tmp_path`` with the real ``docs/conf.py`` (a page with
math and no code cell, so no kernel is started). When a full build is present in
``docs/_build/html`` its pages are checked as well. The browser part opens the small
page in Chromium with every non-``file:`` request aborted and waits for MathJax to
typeset the equation.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_browser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FULL_BUILD = DOCS / "_build" / "html"
CHROMIUM = os.environ.get("JNSIM_CHROMIUM", "/usr/bin/chromium")

PAGE = r"""# Offline math

Inline $\tau \frac{dv}{dt} = -v$ and displayed:

$$
I_\mathrm{syn} = g (E - v)
$$
"""

# A <script src=...> that goes to the network.
REMOTE_SCRIPT = re.compile(r"""<script[^>]*\bsrc=["'](https?:)?//[^"']*["']""", re.I)


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Markdown page built with the real conf.py; returns the output folder."""
    if not (DOCS / "_vendor").is_dir() and shutil.which("npm") is None:
        if os.environ.get("JNSIM_REQUIRE_TOOLS") == "1":
            pytest.fail("the docs build needs npm (JNSIM_REQUIRE_TOOLS=1)")
        pytest.skip("the docs build needs npm to vendor require.js and the widget manager")
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    base = tmp_path_factory.mktemp("docs-offline")
    source, out = base / "src", base / "html"
    source.mkdir()
    (source / "index.md").write_text(PAGE)
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-c", str(DOCS), str(source), str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def _remote_scripts(html: str) -> list[str]:
    return [match.group(0) for match in REMOTE_SCRIPT.finditer(html)]


def test_small_page_loads_mathjax_from_static(small_site: Path) -> None:
    html = (small_site / "index.html").read_text()
    assert _remote_scripts(html) == []
    assert 'src="_static/mathjax/tex-chtml.js' in html
    assert (small_site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    # the widget manager and require.js are copied for the widget pages
    assert (small_site / "_static" / "widgets" / "require.js").is_file()
    assert (small_site / "_static" / "widgets" / "html-manager" / "embed-amd.js").is_file()


@pytest.mark.skipif(not FULL_BUILD.is_dir(), reason="no full docs build in docs/_build/html")
def test_full_build_has_no_cdn_scripts() -> None:
    offending = {}
    for page in FULL_BUILD.rglob("*.html"):
        remote = _remote_scripts(page.read_text(errors="replace"))
        if remote:
            offending[str(page.relative_to(FULL_BUILD))] = remote
    assert offending == {}


def test_equation_is_typeset_offline(small_site: Path) -> None:
    require_browser()
    from playwright import sync_api

    blocked: list[str] = []

    def route(request_route: sync_api.Route) -> None:
        url = request_route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            request_route.continue_()
        else:
            blocked.append(url)
            request_route.abort()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context()
            context.route("**/*", route)
            page = context.new_page()
            page.goto((small_site / "index.html").as_uri())
            page.wait_for_selector("mjx-container", timeout=60_000)
            count = page.eval_on_selector_all("mjx-container", "nodes => nodes.length")
        finally:
            browser.close()
    assert count >= 2, f"{count} equations typeset"
    assert not [url for url in blocked if "mathjax" in url.lower()], blocked


WIDGET_PAGE = """---
file_format: mystnb
kernelspec:
  name: python3
---

# Offline widgets

```{code-cell} ipython3
from jnsim import *

tau = 10*ms
I = 1.5
G = NeuronGroup(2, 'dv/dt = (I - v)/tau : 1', threshold='v > 1', reset='v = 0',
                method='exact')
trace = StateMonitor(G, 'v', record=True)
net = Network(G, trace)
explore(net, params={'I': (1, 3)}, duration=20*ms)
```
"""


@pytest.fixture(scope="module")
def widget_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A page whose code cell shows an explorer (sliders and a Bokeh figure in an
    ipywidgets layout), executed and built with the real conf.py."""
    if not (DOCS / "_vendor").is_dir() and shutil.which("npm") is None:
        if os.environ.get("JNSIM_REQUIRE_TOOLS") == "1":
            pytest.fail("the docs build needs npm (JNSIM_REQUIRE_TOOLS=1)")
        pytest.skip("the docs build needs npm to vendor require.js and the widget manager")
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    base = tmp_path_factory.mktemp("docs-widgets")
    source, out = base / "src", base / "html"
    (source / "sub").mkdir(parents=True)
    (source / "index.md").write_text("# Site\n\n```{toctree}\nsub/widgets\n```\n")
    # in a subfolder: the local scripts must be found from any page depth
    (source / "sub" / "widgets.md").write_text(WIDGET_PAGE)
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-c", str(DOCS), str(source), str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_widget_page_has_local_bokeh_widget_module(widget_site: Path) -> None:
    html = (widget_site / "sub" / "widgets.html").read_text()
    assert _remote_scripts(html) == []
    assert "application/vnd.jupyter.widget-state+json" in html
    assert (widget_site / "_static" / "widgets" / "jupyter_bokeh" / "index.js").is_file()


def test_explorer_renders_offline(widget_site: Path) -> None:
    """The sliders and the Bokeh figure of an explorer render with the network blocked:
    the widget manager finds jupyter_bokeh's module in _static, not on a CDN."""
    require_browser()
    from playwright import sync_api

    blocked: list[str] = []

    def route(request_route: sync_api.Route) -> None:
        url = request_route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            request_route.continue_()
        else:
            blocked.append(url)
            request_route.abort()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context()
            context.route("**/*", route)
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto((widget_site / "sub" / "widgets.html").as_uri())
            page.wait_for_selector(".widget-slider", timeout=60_000)
            # Bokeh draws into a canvas inside the jupyter_bokeh widget (shadow DOM is
            # pierced by playwright's CSS selectors)
            page.wait_for_selector(".jupyter-widgets canvas", timeout=60_000)
        finally:
            browser.close()
    assert blocked == [], blocked
