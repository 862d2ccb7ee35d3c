"""Impact dashboard: a router over pages/ with the shared sidebar.

Pages are registered only for a signed-in visitor; before that the one page is the sign-in
screen, and each page file also refuses on its own (`ui.require_sign_in`).
"""

from pathlib import Path

import streamlit as st

from impact import ui

# A local icon: a material-icon favicon is fetched from the internet, which fails offline.
ICON = str(Path(__file__).parent / "impact" / "assets" / "favicon.png")
st.set_page_config(page_title="Impact", page_icon=ICON, layout="wide")

pages = [
    st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page("pages/experiments.py", title="Experiments", icon=":material/science:"),
    st.Page("pages/rollouts.py", title="Rollouts", icon=":material/map:"),
    st.Page("pages/model_health.py", title="Model health", icon=":material/monitor_heart:"),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
    st.Page("pages/metrics.py", title="Metrics", icon=":material/straighten:"),
]
with ui.retry_when_unreadable():  # a page never shows a traceback for a busy warehouse
    if not ui.signed_in():
        ui.sign_in_page().run()
        st.stop()
    page = st.navigation(pages)
    ui.sidebar()
    ui.identity_caption()
    with ui.routed():
        page.run()
