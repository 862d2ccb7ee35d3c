"""The only Streamlit-aware module of the library: the cached store and the shared sidebar.

Pages call these helpers so they stay thin. Cached loaders take `_store` (unhashed) and a
`generation` number that changes whenever data changes, so an upload refreshes every page.
"""

from __future__ import annotations

import re
import runpy
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import streamlit as st

from impact.analysis.portfolio import data_span, data_version
from impact.analysis.spark import on_spark
from impact.formats import money, money_short, p_text  # noqa: F401  (pages format through ui)
from impact.store import Store, open_store
from impact.tables import label as header  # noqa: F401  (a column's name in words)

# What gives user text a meaning in Markdown (with GFM and Streamlit's extensions): links and
# images ([), HTML and autolinks (<), e-mail autolinks (@), LaTeX
# ($), colour, emoji and icon directives (:red[…], :material/…:), emphasis (*, ~, and _ unless
# inside a word, where it is inert), code (`), entities (&) and the escape character itself;
# at the start, headings, quotes and list markers. Other punctuation stays as typed.
_MARKDOWN = re.compile(r"([\\`*\[\]<$:~&@])|(?<![^\W_])_|_(?![^\W_])")
_LEADING = re.compile(r"^(\s*\d{0,9})([#+\-.)](?=\s|$)|>)")
# GFM links bare URLs and e-mail addresses after escapes are resolved, so an invisible word
# joiner (U+2060) breaks them where a backslash cannot: http:⁠//, www⁠., name@⁠host.
_AUTOLINKS = re.compile(r"(?i)(?<=:)(?=//)|(?<=\bwww)(?=\.)|(?<=@)(?=[\w-])")

STUDY_KEY = "impact_study"
RANGE_KEY = "impact_range"
RANGE_WIDGET = "impact_range_widget"
RANGE_RESETS = "impact_range_resets"  # data changes so far: part of the widget's key


@st.cache_resource
def store() -> Store:
    """One handle per process; it opens the database only while a query runs.

    On first use it finishes any upload a killed process left half-recorded, if the
    process's role (IMPACT_ROLE) may repair; a viewer's app start writes nothing."""
    from impact.access import can
    from impact.ingest.reconcile import reconcile

    handle = open_store()
    if can(handle.role, "repair"):
        reconcile(handle)
    return handle


def _auth_settings() -> dict | None:
    """The [auth] and [impact] sections of secrets.toml, or None in local mode."""
    try:
        if "auth" not in st.secrets:
            return None
        return {"impact": dict(st.secrets.get("impact", {}))}
    except Exception:  # no secrets file at all: local single-user mode
        return None


def signed_in() -> bool:
    """Whether this visitor may see the dashboard; records who they are and their role.

    With OpenID Connect configured in secrets.toml, only a signed-in user, their e-mail or
    groups mapped to a role; without it, local single-user mode."""
    settings = _auth_settings()
    if settings is None:
        base = store()
        st.session_state["impact_identity"] = (base.user, base.role, "local")
        return True
    st.session_state.pop("impact_identity", None)
    if not getattr(st.user, "is_logged_in", False):
        return False
    from impact.access import role_for

    config = settings["impact"]
    email = str(st.user.get("email") or st.user.get("name") or "unknown")
    groups = list(st.user.get("groups") or [])
    role = role_for(
        email,
        groups,
        roles={k.lower(): v for k, v in dict(config.get("roles", {})).items()},
        group_roles=dict(config.get("group_roles", {})),
        default=str(config.get("default_role", "viewer")),
    )
    st.session_state["impact_identity"] = (email, role, "oidc")
    return True


def sign_in_screen() -> None:
    """All a visitor who is not signed in sees: no data, no list of pages."""
    st.title("Impact")
    st.write("Sign in to see the dashboard.")
    st.button("Sign in", on_click=st.login, type="primary")


def sign_in_page() -> st.Page:
    """The only page registered before sign-in; every address leads to it."""
    page = st.Page(sign_in_screen, title="Sign in", url_path="sign-in", default=True)
    return st.navigation([page], position="hidden")


def require_sign_in() -> None:
    """The first line of every page: refuse to render for a visitor who is not signed in,
    however the page is reached (through app.py's navigation, or run directly, as Streamlit
    does with files in pages/ when the router has not run yet)."""
    _through_the_router()
    if signed_in():
        return
    sign_in_page()  # also replaces any list of pages the browser was sent
    sign_in_screen()
    st.stop()


_ROUTE = threading.local()  # per script thread: is app.py's router running this page?
APP = Path(__file__).parents[1] / "app.py"


@contextmanager
def routed() -> Iterator[None]:
    """app.py runs the chosen page inside this."""
    _ROUTE.active = True
    try:
        yield
    finally:
        _ROUTE.active = False


def _through_the_router() -> None:
    """A fresh server whose first visitor opens a page's address runs that page file
    directly (Streamlit's older pages/ mode, which app.py's st.navigation switches off on
    its first run): no page config, no sidebar, raw page names. Then run app.py here
    instead, which routes this address like any other and runs this page inside it."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    main = Path(ctx.main_script_path).resolve() if ctx is not None else None
    if getattr(_ROUTE, "active", False) or main != APP.resolve():
        return  # routed already, or this page is the script being run (a page's own test)
    runpy.run_path(str(APP), run_name="impact_app")
    st.stop()


def escape(value: object) -> str:
    """Text from users (names, values, messages that quote them) as literal text in any
    Streamlit element that renders Markdown: st.caption, st.markdown, st.error/warning/
    info/success, st.metric and widget labels. Every page interpolates user text through
    this, so a name like [Sign in again](http://evil.example), ![x](…), :red[x] or $x^2$
    shows as typed instead of as a link, an image fetched from elsewhere, colour or LaTeX."""
    text = " ".join(str(value).splitlines())  # a line break would start a new block
    text = _AUTOLINKS.sub("\u2060", text)
    text = _MARKDOWN.sub(lambda m: "\\" + m.group(0), text)
    return _LEADING.sub(lambda m: m.group(1) + "\\" + m.group(2), text, count=1)


def session_store() -> Store:
    """The store acting as this session's user and role (for anything that writes)."""
    user, role, _ = st.session_state.get("impact_identity") or (store().user, "viewer", "")
    return replace(store(), user=user, role=role)


def identity_caption() -> None:
    user, role, mode = st.session_state.get("impact_identity") or ("?", "viewer", "")
    with st.sidebar:
        if mode == "local":
            st.caption(
                f"Local single-user mode: {escape(user)} ({role}). Configure sign-in in "
                "secrets.toml for a team."
            )
        else:
            st.caption(f"Signed in as {escape(user)} ({role}).")
            st.button("Sign out", on_click=st.logout)


def generation() -> str:
    """Cache key for loaders: this session's writes plus the warehouse's load ledger, so an
    ingest from the CLI or another session shows up on the next rerun. Read once per script
    run (a page calls this for every loader; each read is a warehouse and a catalog query),
    and again after a write in the run."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    mine = st.session_state.setdefault("impact_generation", 0)
    ctx = get_script_run_ctx()
    # ctx.cursors is a new dict at each run; holding it keeps its identity from being reused.
    run = ctx.cursors if ctx is not None else None
    known = getattr(ctx, "_impact_generation", None)
    if run is not None and known is not None and known[0] is run and known[1] == mine:
        return known[2]
    # The warehouse's path too: two stores may be at the same data version.
    found = f"{mine}:{store().warehouse.path}:{data_version(store())}"
    if run is not None:
        ctx._impact_generation = (run, mine, found)
    return found


def data_changed() -> None:
    """Call after a write: drops cached results everywhere and resets the date range to the
    new span of the data on the next run."""
    st.cache_data.clear()
    st.session_state["impact_generation"] = st.session_state.get("impact_generation", 0) + 1
    # A new key gives the date widget a new default; popping a widget's own key breaks
    # a rerun that still holds the widget.
    st.session_state.pop(RANGE_KEY, None)
    st.session_state[RANGE_RESETS] = st.session_state.get(RANGE_RESETS, 0) + 1


@st.cache_data(show_spinner=False)
def _sidebar_data(generation: str) -> tuple[date, date] | None:
    return data_span(store())


def sidebar() -> None:
    """The date range, shared by every page through session state. It starts as the span
    of the stored facts, so nothing is hidden by default. (A study or model is chosen on
    its page, which remembers it: a second picker here only disagreed with the page's.)
    """
    span = _sidebar_data(generation())
    with st.sidebar:
        default = st.session_state.get(RANGE_KEY) or span
        if default is None:
            default = (date.today() - timedelta(days=90), date.today())
        widget = f"{RANGE_WIDGET}_{st.session_state.get(RANGE_RESETS, 0)}"
        chosen = st.date_input("Date range", value=default, key=widget)
        if isinstance(chosen, tuple | list) and len(chosen) == 2:
            st.session_state[RANGE_KEY] = (chosen[0], chosen[1])
        st.caption("Filters the time series on every page and the realised money on the Overview.")


RETRY_KEY = "impact_read_retries"
READ_RETRIES = 10  # a second apart; then the visitor is asked to try again
RETRY_PAUSE = 1.0  # seconds


@contextmanager
def retry_when_unreadable() -> Iterator[None]:
    """Around the whole app run: if the warehouse cannot be read just now, a plain message
    and a retry a second later instead of a traceback; after READ_RETRIES, a request to
    reload."""
    from impact.errors import WarehouseBusy, WarehouseUnavailable

    try:
        yield
    except (WarehouseBusy, WarehouseUnavailable) as exc:
        tries = st.session_state.get(RETRY_KEY, 0) + 1
        st.session_state[RETRY_KEY] = tries
        if tries > READ_RETRIES:
            st.session_state[RETRY_KEY] = 0
            st.warning(f"{exc} Reload the page to try again.")
            return
        st.info(f"The data cannot be read just now ({exc}). Retrying in a second…")
        time.sleep(RETRY_PAUSE)
        st.rerun()
    else:
        st.session_state[RETRY_KEY] = 0


def selected_study(candidates: list[str]) -> str | None:
    """The study asked for by a link (?study=…), else the one last chosen on a page, if it
    fits this page, else the first candidate."""
    asked = st.query_params.get("study")
    if asked in candidates:
        st.session_state[STUDY_KEY] = asked
        del st.query_params["study"]  # once: the page's picker is the visitor's from here
    chosen = st.session_state.get(STUDY_KEY)
    return chosen if chosen in candidates else (candidates[0] if candidates else None)


def remember_study(name: str) -> None:
    """A page's study picker calls this with its choice, so the page reopens on it."""
    st.session_state[STUDY_KEY] = name


def in_range(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows whose `column` falls inside the sidebar's date range (inclusive)."""
    bounds = st.session_state.get(RANGE_KEY)
    if not bounds or frame.empty:
        return frame
    start = pd.Timestamp(datetime.combine(bounds[0], datetime.min.time()), tz="UTC")
    end = pd.Timestamp(datetime.combine(bounds[1], datetime.min.time()), tz="UTC")
    values = pd.to_datetime(frame[column], utc=True)
    return frame[(values >= start) & (values < end + timedelta(days=1))]


def chart(frame: pd.DataFrame, build, *args, empty: str = "") -> None:
    """Draw `build(frame, *args)`, or say why there is nothing to draw."""
    if frame.empty:
        st.caption(empty or "Nothing to chart in the chosen date range.")
    else:
        st.altair_chart(build(frame, *args))


def when(label: str | None = None):
    """Column format for timestamps: to the minute, no time zone noise."""
    return st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")


def day(label: str | None = None):
    return st.column_config.DatetimeColumn(label, format="YYYY-MM-DD")


def number(label: str | None = None):
    """Column format for counts: thousands separators."""
    return st.column_config.NumberColumn(label, format="localized")


def table(frame, column_config: dict | None = None, **kwargs) -> None:
    """Every table on a page: headers in words, readable p-values, "–" in empty cells
    (impact.tables)."""
    from impact.tables import readable

    shown, config = readable(frame, column_config)
    st.dataframe(shown, column_config=config, **kwargs)


def count(value: float) -> str:
    return f"{value:,.0f}"


def download_csv(label: str, frame: pd.DataFrame, file_name: str) -> None:
    """Every CSV download: text cells that would start a spreadsheet formula are inert.
    Clicking it does not rerun the page, so what the page shows stays as it was."""
    from impact.export import to_csv

    st.download_button(
        label, to_csv(frame), file_name=file_name, mime="text/csv", on_click="ignore"
    )


def add_data(kind: str) -> str:
    """How to add facts of `kind` here: an upload, or on Spark a table in the sources file."""
    if on_spark(store()):
        return f"add a {kind} table to the Spark sources file (IMPACT_SPARK_SOURCES)"
    return f"upload {'an' if kind[0] in 'aeiou' else 'a'} {kind} file on the **Data** page"


def empty_warehouse_notice() -> None:
    if on_spark(store()):  # nothing is uploaded there
        st.info(
            "No data yet. Name your tables in the Spark sources file (see the README's "
            "Running on Spark), or write the demo's with `impact demo --engine spark`."
        )
        return
    st.info(
        "No data yet. Load the demo portfolio with `impact demo` (or `make run`), or "
        "upload your own files on the **Data** page."
    )
