"""When the browser tests run: whenever Chromium and playwright are there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import browser_missing, require_browser


def _fake_chromium(tmp_path: Path) -> Path:
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    return chromium


def test_browser_tests_run_when_chromium_and_playwright_are_present(
        tmp_path: Path, monkeypatch: Any) -> None:
    pytest.importorskip("playwright")
    monkeypatch.setenv("JNSIM_CHROMIUM", str(_fake_chromium(tmp_path)))
    monkeypatch.delenv("JNSIM_REQUIRE_BROWSER", raising=False)
    assert browser_missing() == []
    require_browser()  # neither skips nor fails


def test_browser_tests_skip_without_chromium_unless_required(
        tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("JNSIM_CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.delenv("JNSIM_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium at"):
        require_browser()
    monkeypatch.setenv("JNSIM_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="JNSIM_REQUIRE_BROWSER=1"):
        require_browser()
