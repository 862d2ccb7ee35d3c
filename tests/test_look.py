"""Look and feel that is configuration (issue 13): nothing fetched from the internet for the
favicon, no Deploy button for viewers, a theme whose red is not used for good states."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_the_favicon_is_a_local_png():
    icon = ROOT / "impact" / "assets" / "favicon.png"
    assert icon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "page_icon=ICON" in (ROOT / "app.py").read_text()


def test_viewers_get_no_deploy_button_and_the_primary_colour_is_not_red():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] == "viewer"
    red, green, blue = (int(config["theme"]["primaryColor"][i : i + 2], 16) for i in (1, 3, 5))
    assert blue > red and blue > green
