"""Overview for executives: what the portfolio is worth, and one card per model and study."""

import pandas as pd
import streamlit as st

from impact import charts, report, ui
from impact.analysis.model_cards import model_cards, selection
from impact.analysis.portfolio import portfolio
from impact.analysis.spark import on_spark
from impact.analysis.verdict import MEANING, interval_name
from impact.errors import ImpactError
from impact.glossary import explain_check

ui.require_sign_in()  # before anything else, however this page is reached

# The strength is always written; the icon's shape repeats it, so colour is never alone.
BOXES = {
    "conclusive": (st.success, ":material/check_circle:"),
    "suggestive": (st.info, ":material/help:"),
    "inconclusive": (st.info, ":material/radio_button_unchecked:"),
    "harmful": (st.warning, ":material/trending_down:"),
    "unreliable": (st.error, ":material/block:"),
}
SOURCES = {"decisions": "valued through its labelled decisions"}
MARKS = {"passed": "✓ passed", "failed": "✗ failed", "not run": "– not run", "note": "· note"}


@st.cache_data(show_spinner="Reading every study and model …")
def load(generation: str):
    store = ui.store()
    return portfolio(store), model_cards(store)


st.title("Impact overview")
summary, cards = load(ui.generation())
if summary.empty:
    ui.empty_warehouse_notice()
    st.stop()

f1, f2 = st.columns(2)
units = f1.multiselect(
    "Business unit", cards.business_units, placeholder="All business units", key="ov_units"
)
models = f2.multiselect("Model", cards.models, placeholder="All models", key="ov_models")
shown = cards.select(units, models)
bounds = st.session_state.get(ui.RANGE_KEY)
start, end = bounds if bounds else (None, None)
chosen = selection(shown, start, end)
cur = cards.currency
period = f"from {start:%Y-%m-%d} to {end:%Y-%m-%d}" if start else "so far"
st.caption(
    "Business unit and model choose the lines below and the figures add only those. The "
    "sidebar's date range restricts the realised money to what was delivered in it; the "
    "yearly projections use each study's whole evidence, so they do not move with it."
)

if chosen.total is not None:
    st.subheader("What the AI portfolio is worth")
    # Two tiles a row: four in a row cut the figures ("USD 1…") at 1024 px.
    head = [*st.columns(2), *st.columns(2)]
    head[0].metric(
        "Value per year (projected)",
        ui.money_short(chosen.total.effect, cur),
        help=f"{ui.money(chosen.total.effect, cur)} a year, projected from each effect × its "
        "yearly volume; only verdicts the evidence supports are counted (not harmful or "
        "unreliable ones).",
    )
    head[0].caption(
        f"95% interval {ui.money_short(chosen.total.ci_low, cur)} to "
        f"{ui.money_short(chosen.total.ci_high, cur)}"
    )
    names = {"revenue": "Revenue", "cost": "Cost avoided", "time": "Time saved"}
    for col, kind in zip(head[1:], ("revenue", "cost", "time"), strict=True):
        figure = chosen.by_kind.get(kind)
        col.metric(
            f"{names[kind]} per year",
            ui.money_short(figure.effect, cur) if figure else "–",
            help=f"{ui.money(figure.effect, cur)} a year" if figure else "No line of this kind.",
        )
        if kind == "time" and chosen.hours is not None:
            col.caption(
                f"{chosen.hours.effect:,.0f} hours a year "
                f"({chosen.hours.ci_low:,.0f} to {chosen.hours.ci_high:,.0f})"
            )
        elif figure is not None:
            col.caption(
                f"95% interval {ui.money_short(figure.ci_low, cur)} to "
                f"{ui.money_short(figure.ci_high, cur)}"
            )
    st.caption(
        f"Realised {period}: {ui.money(chosen.realised, cur)}, measured on the units and "
        "decisions the models have already acted on. The yearly figures are projections."
    )
elif shown:
    st.info("None of the chosen lines has money the evidence supports yet.")
else:
    st.info("No model or study matches the chosen business unit and model.")

valued = [c for c in shown if c.line is not None]
for card in valued:
    if not card.counted:
        line = card.line
        st.warning(
            ui.escape(
                f"Not counted: {line.name} ({line.strength}), "
                f"{ui.money(line.annual.effect, cur)} a year if it were sure"
                + (f" — {'; '.join(line.reasons)}" if line.reasons else "")
                + "."
            )
        )
if valued:
    frame = pd.DataFrame(
        {
            "line": [c.name for c in valued],
            "strength": [c.strength for c in valued],
            "effect": [c.line.annual.effect for c in valued],
            "ci_low": [c.line.annual.ci_low for c in valued],
            "ci_high": [c.line.annual.ci_high for c in valued],
            "counted": [c.counted for c in valued],
        }
    )
    st.altair_chart(charts.value_per_year(frame, cur))
    st.caption(
        "Each bar is a line's interval (its own level, as on its card); the point's shape and "
        "the word beside it give the evidence strength."
    )


def show_card(card) -> None:
    box, icon = BOXES[card.strength]
    with st.container(border=True):
        model = f"model {ui.escape(card.model)} {ui.escape(card.version)}"
        title = (
            f"**{model}**" if card.name == card.model else f"**{ui.escape(card.name)}** · {model}"
        )
        st.markdown(
            f"{title} · {ui.escape(card.business_unit)}"
            + (f" · {SOURCES.get(card.source, card.source)}" if card.source else "")
        )
        reasons = "; ".join(r.rstrip(". ") for r in card.reasons)
        why = f" Why {card.strength}: {reasons}." if reasons else ""
        box(f"**{card.strength.capitalize()}** — {ui.escape(card.sentence + why)}", icon=icon)
        if card.line is not None:
            money_cols = st.columns(3)
            a = card.line.annual
            money_cols[0].metric(
                "Value per year",
                ui.money_short(a.effect, cur),
                help=f"{ui.money(a.effect, cur)} a year",
            )
            money_cols[0].caption(
                f"{interval_name(a)} {ui.money(a.ci_low, cur)} to {ui.money(a.ci_high, cur)}"
            )
            returns = card.value.returns if card.value else None
            if returns:
                money_cols[1].metric(
                    "ROI on running cost",
                    f"{returns.roi:,.0%}",
                    help="(value per year − running cost) / running cost",
                )
                money_cols[1].caption(
                    f"{interval_name(a)} {returns.roi_low:,.0%} to {returns.roi_high:,.0%}; "
                    f"pays back in {returns.payback_months:.1f} months"
                )
            realised = card.realised_between(start, end)
            money_cols[2].metric(
                "Realised",
                ui.money_short(realised, cur) if realised is not None else "–",
                help=f"{ui.money(realised, cur)} {period}"
                if realised is not None
                else "Not split by date.",
            )
        if card.checks:
            failed = sum(c.status == "failed" for c in card.checks)
            label = f"The checks behind it: {len(card.checks)}, {failed} failed"
            with st.expander(label):
                for check in card.checks:
                    st.markdown(
                        f"{MARKS[check.status]} — **{ui.escape(check.name)}**: "
                        f"{ui.escape(check.why)}",
                        help=explain_check(check.name),
                    )
        if card.value is not None:
            used = "; ".join(a.describe() for a in card.value.assumptions)
            how = card.value.annual.details.get("money_interval", "")
            spread = (
                f" The interval carries the assumptions' uncertainty ({how})."
                if how in ("delta method", "simulation")
                else ""
            )
            st.caption(
                f"Assumes {ui.escape(used)}. Conversion: "
                f"{ui.escape(card.value.rate.explanation)}.{spread} Edit on the Metrics page."
            )
        health = card.health
        mark = {"ok": "✓ Health", "alert": "⚠ Health alert", "unknown": "– Health"}
        st.caption(f"{mark[health.status]}: {ui.escape(health.text)}")
        st.page_link(
            "pages/model_health.py",
            label="Model health",
            icon=":material/monitor_heart:",
            help=f"Open Model health on {card.model}",
            query_params={"model": card.model},
        )


st.subheader("Models and studies")
for card in shown:
    show_card(card)
if shown:
    st.caption(
        "Evidence strength, from the estimate and the weakest check behind it: "
        + "; ".join(f"**{name}**, {meaning}" for name, meaning in MEANING.items())
        + ". A/B verdicts and their money read the primary metric, corrected over its arms "
        "as the study's correction says: the same p-values and intervals as the "
        "Experiments page."
    )

c = summary.counts
# Three tiles a row: five in a row cut six-figure counts ("223,…") at 1024 px.
cols = [*st.columns(3), *st.columns(3)]
cols[0].metric("Models", ui.count(c["models"]))
cols[1].metric("Studies", ui.count(c["studies"]))
cols[2].metric("Predictions", ui.count(c["predictions"]), help="Predictions logged")
cols[3].metric(
    "Units",
    ui.count(c["units"]),
    help="Customers, tickets, regions …: anything a model scores or a study assigns.",
)
cols[4].metric("Outcome rows", ui.count(c["outcomes"]))

st.subheader("Models")
if summary.models.empty:
    st.info(f"No predictions logged yet: {ui.add_data('predictions')}.")
else:
    ui.table(
        summary.models,
        hide_index=True,
        column_order=[
            "model",
            "predictions",
            "label_coverage",
            "latest_version",
            "versions",
            "first_prediction",
            "last_prediction",
            "description",
        ],
        column_config={
            "label_coverage": st.column_config.NumberColumn("labels arrived", format="percent"),
            "predictions": ui.number(),
            "first_prediction": ui.when("first prediction"),
            "last_prediction": ui.when("last prediction"),
            "latest_version": "latest version",
        },
    )
    ui.chart(
        ui.in_range(summary.weekly_predictions, "week"),
        charts.weekly_predictions,
        empty="No predictions in the chosen date range.",
    )

# One under the other: side by side, both tables were cut at 1024 px.
st.subheader("Studies")
ui.table(summary.studies, hide_index=True)
if on_spark(ui.store()):  # nothing is uploaded there: the facts are read in place
    st.subheader("Datasets")
    st.caption(
        "On Spark the facts are read where they are, from the tables named in the Spark "
        "sources file; the **Data** page lists them with their readiness."
    )
else:
    st.subheader("Latest uploads")
    ui.table(
        summary.recent_uploads[["dataset", "kind", "rows", "uploaded_at"]],
        hide_index=True,
        column_config={"rows": ui.number(), "uploaded_at": ui.when("uploaded")},
    )

st.subheader("Board report")
st.caption(
    "This page's figures as one self-contained HTML file and a PDF of the same content: "
    "the headline, every verdict with its checks, the assumptions behind the money, methods, "
    "warnings, model health and data readiness, for the whole portfolio whatever the filters "
    "above. From the command line: `impact report --output DIR`."
)


@st.cache_data(show_spinner=False)
def board_report(generation: str, author: str, _total):
    built = report.board_report(ui.store(), author=author, total=_total)
    return built.html, built.pdf, built.file_stem


if st.button("Build the board report"):
    st.session_state["board_report"] = (ui.generation(), ui.session_store().user)
asked = st.session_state.get("board_report")
if asked and asked[0] == ui.generation():  # a report of data since changed is not offered
    try:
        with st.spinner("Writing the report and its PDF…"):
            page, pdf, stem = board_report(*asked, cards.total)
    except ImpactError as exc:
        st.error(ui.escape(exc))
    else:
        left, right, _ = st.columns([1, 1, 2])  # side by side, not at both ends of the page
        left.download_button(
            "Download HTML", page, file_name=f"{stem}.html", mime="text/html", on_click="ignore"
        )
        right.download_button(
            "Download PDF", pdf, file_name=f"{stem}.pdf", mime="application/pdf", on_click="ignore"
        )
