"""Names and values from users are shown as text on every page, never as Markdown: no link,
no image fetched from another host, no LaTeX, no colour."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit_server import browser_page

from impact.catalog import MetricDefinitionBase, StudyBase
from impact.ingest import ingest_file
from impact.serve import serve
from impact.ui import escape

APP = str(Path(__file__).parents[1] / "app.py")
LINK = "[Session expired – sign in again](http://evil.example)"
IMAGE = "![x](http://evil.example/a.png)"
COLOUR = ":red[bad]"
LATEX = "$x^2$"
# An unescaped [ (link, image, :red[…]), $ (LaTeX) or < (HTML, autolink) in rendered text.
LIVE = re.compile(r"(?<!\\)[\[$<]")
JOINER = "\u2060"  # breaks bare-URL and e-mail autolinks
HOSTILE = [LINK, IMAGE, COLOUR, LATEX, "<img src=x onerror=alert(1)>", "**bold** _it_ `code`"]


def test_escape_leaves_no_markdown_but_the_same_characters():
    for text in HOSTILE:
        escaped = escape(text)
        assert escaped.replace("\\", "").replace(JOINER, "") == text.replace("\\", "")
        for i, ch in enumerate(escaped):  # every special character is preceded by a backslash
            if ch in "[]:$*`<":
                assert escaped[i - 1] == "\\", (text, escaped)
    assert escape("# heading\n- item") == "\\# heading - item"  # one line, no heading
    assert escape("_it_ snake_case ana@corp www.x.example http://y") == (
        f"\\_it\\_ snake_case ana\\@{JOINER}corp www{JOINER}.x.example http\\:{JOINER}//y"
    )  # emphasis and autolinks off
    assert escape("12. x") == "12\\. x" and escape("50.7% of model-v1") == "50.7% of model-v1"


@pytest.fixture
def hostile_store(store, tmp_path, monkeypatch):
    """A study, arms, metric, model, version, dataset and user with Markdown in their names."""
    monkeypatch.setenv("IMPACT_USER", LINK)
    n = 90
    arms = ["control", IMAGE, COLOUR]
    units = pd.DataFrame(
        {
            "experiment": LINK,
            "unit_id": [f"u{i}" for i in range(n)],
            "arm": [arms[i % 3] for i in range(n)],
            "assigned_at": "2026-03-01",
        }
    )
    outcomes = pd.DataFrame(
        {"unit_id": units.unit_id, "observed_at": "2026-03-05", "revenue": range(n)}
    )
    predictions = pd.DataFrame(
        {
            "prediction_id": [f"p{i}" for i in range(n)],
            "model": LATEX,
            "model_version": LINK,
            "unit_id": units.unit_id,
            "predicted_at": "2026-03-02",
            "score": [(i % 10) / 10 for i in range(n)],
            "actual": [i % 2 for i in range(n)],
        }
    )
    rollouts = pd.DataFrame(
        {"study": IMAGE, "unit_id": ["r1", "r2"], "treated_at": ["2026-03-01", ""]}
    )
    for name, frame in (("a", units), ("o", outcomes), ("p", predictions), ("r", rollouts)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    store.catalog.save_metric(MetricDefinitionBase(name=LATEX, dataset=COLOUR, column="revenue"))
    store.catalog.save_study(
        StudyBase(
            name=LINK,
            kind="ab",
            description=IMAGE,
            arms=arms,
            control_arm="control",
            primary_metric=LATEX,
            planned_split={a: 1 / 3 for a in arms},
        )
    )
    store.catalog.save_study(
        StudyBase(name=IMAGE, kind="did", description=COLOUR, primary_metric=LATEX)
    )
    ingest_file(store, tmp_path / "a.csv", "assignments")
    ingest_file(store, tmp_path / "p.csv", "predictions")
    ingest_file(store, tmp_path / "o.csv", "outcomes", dataset=COLOUR)
    ingest_file(store, tmp_path / "r.csv", "rollouts")
    store.catalog.ensure_model(LATEX, [LINK], description=LINK)
    st.cache_resource.clear()
    st.cache_data.clear()
    return store


def rendered(at: AppTest) -> list[str]:
    """Every text of the page that Streamlit renders as Markdown."""
    bodies, labels = [], []
    for part in (at, at.sidebar):
        for kind in ("title", "header", "subheader", "caption", "markdown", "error", "warning"):
            bodies += [e.value for e in getattr(part, kind)]
        bodies += [e.value for e in [*part.info, *part.success]]
        labels += [m.label for m in part.metric]
        for kind in ("selectbox", "number_input", "text_input", "radio", "checkbox", "toggle"):
            labels += [w.label for w in getattr(part, kind)]
    return [str(v) for v in bodies + labels]


PAGES = {  # page: the user text it shows in Markdown elements (escaped)
    "pages/overview.py": [LINK],
    "pages/experiments.py": [IMAGE, COLOUR, LATEX],
    "pages/rollouts.py": [COLOUR, LATEX],
    "pages/model_health.py": [LINK],
    "pages/data.py": [],  # names only in tables (plain text) and the sidebar
    "pages/metrics.py": [],
}


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_shows_user_names_as_text(hostile_store, page):
    at = AppTest.from_file(APP, default_timeout=60).run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception, at.exception
    texts = rendered(at)
    for text in texts:
        for name in HOSTILE:
            assert name not in text, (page, text)
        assert not LIVE.search(text), (page, text)
    joined = "\n".join(texts)
    for name in PAGES[page]:
        assert escape(name) in joined, (page, name, texts)


@pytest.mark.browser
def test_in_a_browser_no_user_name_becomes_a_link_image_colour_or_formula(hostile_store, tmp_path):
    """Also what AppTest cannot see: GFM turns bare URLs and e-mails into links after
    backslash escapes are resolved."""
    hostile_store.catalog.save_study(
        StudyBase(
            name=LINK,
            kind="ab",
            description=f"{IMAGE} www.evil.example ana@evil.example",
            arms=["control", IMAGE, COLOUR],
            control_arm="control",
            primary_metric=LATEX,
            planned_split={a: 1 / 3 for a in ["control", IMAGE, COLOUR]},
        )
    )
    with serve(tmp_path, {}) as base, browser_page() as page:
        for address in ("", "experiments"):
            page.goto(f"{base}/{address}")
            page.locator("[data-testid='stMetric']").first.wait_for(timeout=30_000)
            page.wait_for_timeout(1500)  # the rest of the page
            main = page.locator("[data-testid='stMain']")
            assert page.locator("[data-testid='stException']").count() == 0
            assert main.locator("a[href*='evil']").count() == 0, address
            assert page.locator("img[src*='evil']").count() == 0, address
            assert main.locator(".katex").count() == 0, address
            assert main.locator("span[style*='color']").count() == 0, address
            text = main.inner_text().replace(JOINER, "")
            shown = {"": [LINK], "experiments": [IMAGE, COLOUR, LATEX, "www.evil.example"]}
            for name in shown[address]:
                assert name in text, (address, name)  # exactly as typed
