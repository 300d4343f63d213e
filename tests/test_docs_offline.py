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
