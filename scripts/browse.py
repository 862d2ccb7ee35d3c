"""Click through the running app in headless Chromium and screenshot every page.

Usage: .venv/bin/python scripts/browse.py [BASE_URL] [OUT_DIR]
Needs Debian's chromium and `pip install playwright` (a developer tool, not a dependency).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench, beside scripts/

from bench.pages import Runs  # noqa: E402
from impact.serve import chromium  # noqa: E402

PAGES = ["", "experiments", "rollouts", "model_health", "data", "metrics"]


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8599"
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots")
    out.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        runs = Runs(page)
        for name in PAGES:
            # until the page's script run has finished (a cold Overview takes a while)
            seconds = runs.time(lambda name=name: page.goto(f"{base}/{name}"))
            page.wait_for_timeout(1500)  # charts draw after the run
            errors = page.locator("[data-testid='stException']").count()
            page.screenshot(path=str(out / f"{name or 'overview'}.png"), full_page=True)
            print(
                f"{name or 'overview'}: h1={page.locator('h1').first.inner_text()!r} "
                f"exceptions={errors} ran {seconds:.1f} s"
            )
        browser.close()


if __name__ == "__main__":
    main()
