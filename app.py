"""Impact dashboard: a router over pages/ with the shared sidebar."""

import streamlit as st

from impact import ui

st.set_page_config(page_title="Impact", page_icon="📈", layout="wide")

pages = [
    st.Page("pages/overview.py", title="Overview", icon="🏠", default=True),
    st.Page("pages/experiments.py", title="Experiments", icon="🧪"),
    st.Page("pages/rollouts.py", title="Rollouts", icon="🗺️"),
    st.Page("pages/model_health.py", title="Model health", icon="🩺"),
    st.Page("pages/data.py", title="Data", icon="📂"),
    st.Page("pages/metrics.py", title="Metrics", icon="📐"),
]
page = st.navigation(pages)
ui.sidebar([s.name for s in ui.store().catalog.studies()])
page.run()
