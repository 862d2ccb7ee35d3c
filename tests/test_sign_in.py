"""With sign-in configured, no page renders for a visitor who is not signed in, however it
is reached: through the router, by its address, or by running the page file itself."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit_server import browser_page

from impact.serve import serve

ROOT = Path(__file__).parents[1]
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))
TITLES = ["Impact overview", "Experiments", "Rollouts", "Model health", "Data", "Metrics"]
# A provider nobody can reach: enough for the refusal, which happens before any login.
AUTH = {
    "redirect_uri": "http://127.0.0.1:9/oauth2callback",
    "cookie_secret": "not-a-secret",
    "client_id": "id",
    "client_secret": "s",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def refused(at: AppTest) -> None:
    assert not at.exception
    assert [t.value for t in at.title] == ["Impact"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not (at.dataframe or at.metric or at.selectbox or at.text_input or at.sidebar.caption)


@pytest.mark.parametrize("page", ["app.py", *(f"pages/{p}" for p in PAGES)])
def test_every_page_file_refuses_a_visitor_who_is_not_signed_in(demo_store, page, monkeypatch):
    monkeypatch.setenv("IMPACT_DATA_DIR", str(demo_store.warehouse.path.parent))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.secrets["auth"] = AUTH
    refused(at.run())


def test_every_page_is_guarded():
    """A new page without the guard would be reachable by its address."""
    for page in PAGES:
        assert "ui.require_sign_in()" in (ROOT / "pages" / page).read_text(), page


@pytest.fixture
def signed_out_server(tmp_path):
    """A streamlit server with an [auth] section, started in tmp_path, stopped afterwards."""
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text("[auth]\n" + "".join(f'{k} = "{v}"\n' for k, v in AUTH.items()))
    with serve(tmp_path, {"IMPACT_DATA_DIR": str(tmp_path / "data")}) as base:
        yield base


@pytest.mark.browser
def test_no_address_shows_a_page_or_a_list_of_pages_before_sign_in(signed_out_server):
    # The first address a fresh server sees is a page's own: Streamlit then runs that file
    # from pages/ without app.py, so the page's own guard is what refuses.
    addresses = ["experiments", "data", "", "overview", "rollouts", "model_health", "metrics"]
    with browser_page() as page:
        for address in addresses:
            page.goto(f"{signed_out_server}/{address}")
            page.get_by_role("button", name="Sign in").wait_for(timeout=20_000)
            page.wait_for_timeout(300)  # anything the page would draw after its title
            headings = [h.inner_text() for h in page.locator("h1").all()]
            assert headings == ["Impact"], (address, headings)
            text = page.locator("[data-testid='stMain']").inner_text()
            assert "Sign in to see the dashboard." in text
            assert page.locator("[data-testid='stSidebarNav'] a").count() == 0, address
            links = [a.get_attribute("href") or "" for a in page.locator("a").all()]
            assert not [h for h in links if h.startswith(signed_out_server)], links
            for name in ("stException", "stMetric", "stDataFrame", "stFileUploader"):
                assert page.locator(f"[data-testid='{name}']").count() == 0, (address, name)
            assert not any(t in text for t in TITLES if t != "Impact overview"), text
