"""Headless Chromium for the browser tests (marker `browser`); `impact.serve` starts the
server they drive."""

from __future__ import annotations

import shutil
from contextlib import contextmanager

import pytest

from impact.serve import chromium


@contextmanager
def browser_page():
    """A page of headless Chromium; skips the test where Playwright or Chromium is missing."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if shutil.which("chromium") is None:
        pytest.skip("needs Chromium (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        browser = chromium(p)
        try:
            yield browser.new_page()
        finally:
            browser.close()
