"""Look and feel (issue 13): nothing fetched from the internet for the favicon, no Deploy
button for viewers, a theme whose red is not used for good states; tables whose headers are
words and whose empty cells do not say "None"; p-values that never read "0.0000"."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pandas as pd

from impact.charts import score_band
from impact.tables import readable

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


PAGES = ["overview", "experiments", "rollouts", "model_health", "data", "metrics"]
SNAKE = re.compile(r"[a-z0-9]_[a-z0-9]")


def headers_and_cells(element) -> tuple[list[str], pd.DataFrame]:
    """The headers a dataframe shows (its column configuration's labels) and its cells."""
    config = json.loads(element.proto.columns or "{}")
    order = list(element.proto.column_order) or list(element.value.columns)
    shown = [c for c in order if c in element.value.columns]
    labels = [(config.get(str(c)) or {}).get("label") or str(c) for c in shown]
    return labels, element.value[shown]


def test_no_table_on_any_page_has_snake_case_headers_or_empty_none_cells(demo_app):
    at, seen = demo_app, 0
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        for element in at.dataframe:
            labels, cells = headers_and_cells(element)
            seen += 1
            assert not [h for h in labels if SNAKE.search(h)], (page, labels)
            # Streamlit writes "None" in an empty cell; pages show "–" instead.
            empty = [c for c in cells.columns if cells[c].isna().any()]
            assert not empty, (page, empty)
            for column in cells.columns:
                assert not cells[column].astype(str).str.fullmatch(r"None|nan|NaT|<NA>").any()
    assert seen >= 15  # every page's tables were read


def test_p_values_and_empty_cells_read_as_words():
    frame = pd.DataFrame(
        {
            "p_value": [3e-12, 0.4567],
            "guardrail_passed": [True, None],
            "ci_low": [1.5, None],
            "failed_rows": pd.array([pd.NA, "3"], dtype="string"),
        }
    )
    shown, config = readable(frame, {"ci_low": {"type_config": {"format": "%.2f"}}})
    assert shown["p_value"].tolist() == ["< 0.001", "0.457"]  # never 0.0000 nor 3e-12
    assert shown["guardrail_passed"].tolist() == ["yes", "–"]
    assert shown["ci_low"].tolist() == ["1.50", "–"]
    assert shown["failed_rows"].tolist() == ["–", "3"]  # pandas' NA too
    assert [config[c]["label"] for c in frame.columns] == [
        "p-value",
        "guardrail held",
        "interval low",
        "failed rows",
    ]
    # A header longer than its cells is widened so it is not cut ("target e…").
    _, config = readable(pd.DataFrame({"target effect": [1.0]}))
    assert config["target effect"]["width"] >= 8 * len("target effect")


def test_the_score_band_is_titled_with_the_period_it_shows():
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(["2026-09-01", "2026-09-02"], utc=True),
            "predictions": [10, 12],
            "score_p25": [0.1, 0.1],
            "score_p50": [0.2, 0.2],
            "score_mean": [0.2, 0.2],
            "score_p75": [0.3, 0.3],
        }
    )
    spec = json.dumps(score_band(frame, "day").to_dict())
    assert "Score distribution per day" in spec and "per week" not in spec


def test_charts_do_not_rely_on_colour_alone():
    from impact.charts import value_per_year, weekly_predictions

    lines = pd.DataFrame(
        {
            "line": ["a", "b"],
            "strength": ["conclusive", "harmful"],
            "effect": [10.0, -5.0],
            "ci_low": [5.0, -9.0],
            "ci_high": [15.0, -1.0],
            "counted": [True, False],
        }
    )
    spec = value_per_year(lines, "USD").to_dict()
    layers = spec["layer"]
    assert any(layer["encoding"].get("shape", {}).get("field") == "strength" for layer in layers)
    texts = [layer for layer in layers if layer["mark"]["type"] == "text"]
    assert texts and texts[0]["encoding"]["text"]["field"] == "label"  # the strength, written
    assert "x2" in json.dumps(spec)  # the interval is drawn, not only printed
    weekly = pd.DataFrame(
        {"week": pd.to_datetime(["2026-09-07"] * 2), "model": ["m1", "m2"], "predictions": [1, 2]}
    )
    assert weekly_predictions(weekly).to_dict()["encoding"]["strokeDash"]["field"] == "model"
