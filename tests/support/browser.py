"""Debian's chromium driven by playwright (no browser download), for the tests that open the report."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def launch_chromium():
    """A headless chromium; fails (never skips) when Debian's chromium is missing."""
    executable = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if executable is None:
        pytest.fail("Debian's chromium is not installed: `.ci/run` installs it (apt-get install chromium "
                    "fonts-dejavu-core); the report's browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        try:
            yield browser
        finally:
            browser.close()
