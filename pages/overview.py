"""Overview for executives: what the portfolio holds and what each study concluded."""

import streamlit as st

from impact import charts, report, ui
from impact.analysis.portfolio import portfolio
from impact.analysis.portfolio_value import portfolio_total
from impact.analysis.verdict import MEANING, interval_name
from impact.errors import ImpactError

ui.require_sign_in()  # before anything else, however this page is reached


@st.cache_data(show_spinner=False)
def load(generation: str):
    store = ui.store()
    return portfolio(store), portfolio_total(store)


st.title("Impact overview")
summary, total = load(ui.generation())
verdicts, values = total.verdicts, total.values
if summary.empty:
    ui.empty_warehouse_notice()
    st.stop()

if total.total is not None:
    cur = total.currency
    st.subheader("What the AI portfolio is worth")
    # Two tiles a row: four in a row cut the figures ("USD 1…") at 1024 px.
    top, bottom = st.columns(2), st.columns(2)
    head = [*top, *bottom]
    head[0].metric(
        "Value per year (projected)",
        ui.money_short(total.total.effect, cur),
        help="Projected from each effect × its yearly volume; only verdicts the evidence "
        "supports are counted (not harmful or unreliable ones).",
    )
    head[0].caption(
        f"95% interval {ui.money_short(total.total.ci_low, cur)} to "
        f"{ui.money_short(total.total.ci_high, cur)}"
    )
    names = {"revenue": "Revenue", "cost": "Cost avoided", "time": "Time saved"}
    for col, kind in zip(head[1:], ("revenue", "cost", "time"), strict=True):
        figure = total.by_kind.get(kind)
        col.metric(f"{names[kind]} per year", ui.money_short(figure.effect, cur) if figure else "–")
        if kind == "time" and total.hours is not None:
            col.caption(
                f"{total.hours.effect:,.0f} hours a year "
                f"({total.hours.ci_low:,.0f} to {total.hours.ci_high:,.0f})"
            )
        elif figure is not None:
            col.caption(
                f"95% interval {ui.money_short(figure.ci_low, cur)} to "
                f"{ui.money_short(figure.ci_high, cur)}"
            )
    st.caption(
        f"Realised so far: {ui.money(total.realised, cur)}, measured on the units and "
        "decisions the models have already acted on. The yearly figures are projections."
    )
    for line in total.unsure:
        st.warning(
            ui.escape(
                f"Not counted: {line.name} ({line.strength}), "
                f"{ui.money(line.annual.effect, cur)} a year if it were sure"
                + (f" — {'; '.join(line.reasons)}" if line.reasons else "")
                + "."
            )
        )

c = summary.counts
cols = st.columns(5)
cols[0].metric("Models", ui.count(c["models"]))
cols[1].metric("Studies", ui.count(c["studies"]))
cols[2].metric("Predictions logged", ui.count(c["predictions"]))
cols[3].metric(
    "Units",
    ui.count(c["units"]),
    help="Customers, tickets, regions …: anything a model scores or a study assigns.",
)
cols[4].metric("Outcome rows", ui.count(c["outcomes"]))

st.subheader("What the studies say")
if not verdicts:
    st.caption("No A/B study has a readout yet.")
else:
    st.caption(
        "A/B verdicts and their money read the primary metric, corrected over its arms as the "
        "study's correction says: the same p-values and intervals as the Experiments page."
    )
BOXES = {
    "conclusive": st.success,
    "suggestive": st.info,
    "inconclusive": st.info,
    "harmful": st.warning,
    "unreliable": st.error,
}
for line in verdicts:
    BOXES[line.strength](ui.escape(line.said))
if verdicts:
    st.caption(
        "Evidence strength, from the estimate and the weakest check behind it: "
        + "; ".join(f"**{name}**, {meaning}" for name, meaning in MEANING.items())
        + "."
    )

st.subheader("What it is worth")
for line in values:
    if line.value is None:
        st.caption(f"{ui.escape(line.study)}: not valued yet — {ui.escape(line.problem)}")
        continue
    v, cur = line.value, line.value.rate.currency
    money_cols = st.columns(3)
    money_cols[0].metric(
        f"{ui.escape(v.study)} · {ui.escape(v.arm)}: value per year",
        ui.money_short(v.annual.effect, cur),
        help=f"{ui.money(v.annual.effect, cur)} a year",
    )
    ci = interval_name(v.annual)
    money_cols[0].caption(
        f"{ci} {ui.money(v.annual.ci_low, cur)} to {ui.money(v.annual.ci_high, cur)}"
    )
    if v.returns:
        money_cols[1].metric(
            "ROI on running cost",
            f"{v.returns.roi:,.0%}",
            help="(value per year − running cost) / running cost",
        )
        money_cols[1].caption(f"{ci} {v.returns.roi_low:,.0%} to {v.returns.roi_high:,.0%}")
        money_cols[2].metric("Pays back in", f"{v.returns.payback_months:.1f} months")
    realised = v.realised.iloc[-1] if len(v.realised) else None
    if realised is not None:
        money_cols[2].caption(
            f"Realised so far on {realised['units']:,.0f} units: {ui.money(realised['value'], cur)}"
        )
    used = "; ".join(a.describe() for a in v.assumptions)
    how = v.annual.details.get("money_interval", "")
    spread = (
        f" The interval carries the assumptions' uncertainty ({how})."
        if how in ("delta method", "simulation")
        else ""
    )
    st.caption(
        f"Assumes {ui.escape(used)}. Conversion: {ui.escape(v.rate.explanation)}.{spread} "
        "Edit on the Metrics page."
    )

st.subheader("Models")
if summary.models.empty:
    st.info("No predictions logged yet: upload a predictions file on the **Data** page.")
else:
    st.dataframe(
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
            "label_coverage": st.column_config.ProgressColumn(
                "labels arrived", format="percent", min_value=0, max_value=1
            ),
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

left, right = st.columns(2)
left.subheader("Studies")
left.dataframe(summary.studies, hide_index=True)
right.subheader("Latest uploads")
right.dataframe(
    summary.recent_uploads[["dataset", "kind", "rows", "uploaded_at"]],
    hide_index=True,
    column_config={"rows": ui.number(), "uploaded_at": ui.when("uploaded")},
)

st.subheader("Board report")
st.caption(
    "This page's figures as one self-contained HTML file and a PDF of the same content: "
    "the headline, every verdict with its checks, the assumptions behind the money, methods, "
    "warnings, model health and data readiness. From the command line: "
    "`impact report --output DIR`."
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
            page, pdf, stem = board_report(*asked, total)
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
