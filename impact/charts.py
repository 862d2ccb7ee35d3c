"""Altair chart builders. They take small frames and return charts; they never call st.*."""

from __future__ import annotations

import altair as alt
import pandas as pd

from impact.tables import label


def weekly_predictions(frame: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(frame, title="Predictions per week")
        .mark_line(point=True)
        .encode(
            x=alt.X("week:T", title=None),
            y=alt.Y("predictions:Q", title="predictions"),
            color=alt.Color("model:N", title="model"),
            strokeDash=alt.StrokeDash("model:N", title="model"),  # not colour alone
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("week:T"),
                alt.Tooltip("predictions:Q", format=","),
            ],
        )
        .properties(height=260)
    )


def forest(frame: pd.DataFrame, *, relative: bool = False) -> alt.Chart:
    """Effect and interval per comparison and metric, with the no-effect line at 0."""
    fmt = ".1~%" if relative else ",.3~g"
    data = frame.assign(row_label=frame["metric"] + " · " + frame["comparison"])
    levels = set(frame["interval_level"].round(6)) if "interval_level" in frame else {0.95}
    title = _interval_title(levels)
    base = alt.Chart(data).encode(y=alt.Y("row_label:N", title=None, axis=alt.Axis(labelLimit=320)))
    bars = base.mark_rule(strokeWidth=3).encode(
        x=alt.X("ci_low:Q", title=title, axis=alt.Axis(format=fmt)),
        x2=alt.X2("ci_high:Q"),
        color=alt.Color(
            "significant:N",
            title="significant",
            scale=alt.Scale(domain=[True, False], range=["#1f77b4", "#999999"]),
        ),
    )
    points = base.mark_point(filled=True, size=70, color="black").encode(
        x=alt.X("effect:Q"),
        tooltip=[
            alt.Tooltip("metric:N"),
            alt.Tooltip("comparison:N"),
            alt.Tooltip("effect:Q", format=fmt),
            alt.Tooltip("ci_low:Q", format=fmt),
            alt.Tooltip("ci_high:Q", format=fmt),
            alt.Tooltip("p_value:Q", format=".4f"),
            *([alt.Tooltip("interval_level:Q", format=".2%")] if "interval_level" in frame else []),
            alt.Tooltip("method:N"),
        ],
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 4]).encode(x=alt.X("x:Q"))
    return (bars + points + zero).properties(height=alt.Step(44), title="Effects against control")


def _interval_title(levels: set[float]) -> str:
    """The axis says the intervals' level: one level, or that corrected rows differ."""
    if len(levels) == 1:
        return f"effect with {next(iter(levels)) * 100:.4g}% interval"
    return "effect with its corrected interval (level per row)"


def enrolment(frame: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(frame, title="Units assigned per day")
        .mark_bar()
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("units:Q", title="units", stack=True),
            color=alt.Color("arm:N", title="arm"),
            tooltip=[
                alt.Tooltip("arm:N"),
                alt.Tooltip("day:T"),
                alt.Tooltip("units:Q", format=","),
            ],
        )
        .properties(height=240)
    )


def rollout_trends(trends: pd.DataFrame, units: pd.DataFrame, metric: str) -> alt.Chart:
    lines = (
        alt.Chart(trends, title=f"Mean {metric} per period")
        .mark_line(point=True)
        .encode(
            x=alt.X("period:T", title=None),
            y=alt.Y("mean:Q", title=metric, scale=alt.Scale(zero=False)),
            color=alt.Color("status:N", title="units"),
            tooltip=[
                alt.Tooltip("period:T"),
                alt.Tooltip("status:N"),
                alt.Tooltip("mean:Q", format=",.2f"),
                alt.Tooltip("units:Q"),
                alt.Tooltip("rows:Q", format=","),
            ],
        )
    )
    adoptions = (
        units.dropna(subset=["treated_at"])
        .groupby("treated_at", as_index=False)
        .agg(regions=("unit_id", ", ".join))
    )
    rules = (
        alt.Chart(adoptions)
        .mark_rule(strokeDash=[4, 3], color="gray")
        .encode(
            x=alt.X("treated_at:T"),
            tooltip=[alt.Tooltip("treated_at:T", title="adoption"), alt.Tooltip("regions:N")],
        )
    )
    return (lines + rules).properties(height=300)


def score_band(frame: pd.DataFrame, period: str = "week") -> alt.Chart:
    """Score quartiles per `period` (column "period", or "week" for weekly frames)."""
    x = "period" if "period" in frame.columns else "week"
    base = alt.Chart(frame, title=f"Score distribution per {period} (median, 25–75%)").encode(
        x=alt.X(f"{x}:T", title=None)
    )
    band = base.mark_area(opacity=0.3).encode(
        y=alt.Y("score_p25:Q", title="score"), y2=alt.Y2("score_p75:Q")
    )
    line = base.mark_line(point=True).encode(
        y=alt.Y("score_p50:Q"),
        tooltip=[
            alt.Tooltip(f"{x}:T", title=period),
            alt.Tooltip("score_p50:Q", title="median", format=".3f"),
            alt.Tooltip("score_mean:Q", title="mean", format=".3f"),
            alt.Tooltip("predictions:Q", format=","),
        ],
    )
    return (band + line).properties(height=260)


def rows_per_dataset(frame: pd.DataFrame) -> alt.Chart:
    data = frame.groupby(["dataset", "kind"], as_index=False)["rows"].sum()
    return (
        alt.Chart(data, title="Rows stored per dataset")
        .mark_bar()
        .encode(
            x=alt.X("rows:Q", title="rows", axis=alt.Axis(format=",d", tickMinStep=1)),
            y=alt.Y("dataset:N", title=None, sort="-x"),
            color=alt.Color("kind:N", title="kind"),
            tooltip=[
                alt.Tooltip("dataset:N"),
                alt.Tooltip("kind:N"),
                alt.Tooltip("rows:Q", format=","),
            ],
        )
        .properties(height=alt.Step(28))
    )


def rows_per_metric(frame: pd.DataFrame) -> alt.Chart:
    # Not "column": Streamlit would take a field of that name for a facet channel.
    data = frame.assign(label=frame["dataset"] + " · " + frame["metric"])
    return (
        alt.Chart(data, title="Outcome rows per metric column")
        .mark_bar()
        .encode(
            x=alt.X("rows:Q", title="rows", axis=alt.Axis(format=",d", tickMinStep=1)),
            y=alt.Y("label:N", title=None, sort="-x", axis=alt.Axis(labelLimit=320)),
            tooltip=[
                alt.Tooltip("dataset:N"),
                alt.Tooltip("metric:N"),
                alt.Tooltip("rows:Q", format=","),
                alt.Tooltip("units:Q", format=","),
            ],
        )
        .properties(height=alt.Step(28))
    )


def latency(frame: pd.DataFrame) -> alt.Chart:
    data = frame.melt(
        "version",
        ["latency_p50", "latency_p95", "latency_p99"],
        var_name="percentile",
        value_name="ms",
    )
    data["percentile"] = data["percentile"].str.replace("latency_", "")
    return (
        alt.Chart(data, title="Latency by version")
        .mark_bar()
        .encode(
            x=alt.X("version:N", title="version", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("percentile:N"),
            y=alt.Y("ms:Q", title="milliseconds"),
            color=alt.Color("percentile:N"),
            tooltip=[
                alt.Tooltip("version:N"),
                alt.Tooltip("percentile:N"),
                alt.Tooltip("ms:Q", format=".1f"),
            ],
        )
        .properties(height=240)
    )


def metric_over_time(frame: pd.DataFrame, metric: str, title: str) -> alt.Chart:
    """One technical metric per version and period."""
    return (
        alt.Chart(frame, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:T", title=None),
            y=alt.Y(f"{metric}:Q", title=label(metric), scale=alt.Scale(zero=False)),
            color=alt.Color("version:N", title="version"),
            strokeDash=alt.StrokeDash("version:N", title="version"),  # not colour alone
            tooltip=[
                alt.Tooltip("period:T"),
                alt.Tooltip("version:N"),
                alt.Tooltip(f"{metric}:Q", format=".4f"),
            ],
        )
        .properties(height=240)
    )


def money_over_time(frame: pd.DataFrame, title: str) -> alt.Chart:
    """Cumulative money, with its interval band when the frame has low/high."""
    base = alt.Chart(frame, title=title).encode(x=alt.X("period:T", title=None))
    line = base.mark_line(point=True).encode(
        y=alt.Y("cumulative:Q", title="cumulative value", axis=alt.Axis(format=",.0f")),
        tooltip=[alt.Tooltip("period:T"), alt.Tooltip("cumulative:Q", format=",.0f")],
    )
    if {"low", "high"} <= set(frame.columns):
        band = base.mark_area(opacity=0.25).encode(y=alt.Y("low:Q"), y2=alt.Y2("high:Q"))
        return (band + line).properties(height=240)
    return line.properties(height=240)


def portfolio_lines(frame: pd.DataFrame, currency: str) -> alt.Chart:
    """Value per year of each line with its interval; lines not counted in grey."""
    base = alt.Chart(frame).encode(
        y=alt.Y("name:N", title=None, sort=None, axis=alt.Axis(labelLimit=220))
    )
    bars = base.mark_rule(strokeWidth=4).encode(
        x=alt.X("ci_low:Q", title=f"{currency} per year", axis=alt.Axis(format="~s")),
        x2=alt.X2("ci_high:Q"),
        color=alt.Color(
            "counted:N",
            title="counted in the total",
            scale=alt.Scale(domain=["yes", "no"], range=["#1f77b4", "#999999"]),
            legend=alt.Legend(orient="bottom"),
        ),
    )
    points = base.mark_point(filled=True, size=80, color="black").encode(x=alt.X("effect:Q"))
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 4]).encode(x=alt.X("x:Q"))
    return (bars + points + zero).properties(
        height=alt.Step(36), title="Value per year of each line, with its interval"
    )


def reliability(frame: pd.DataFrame) -> alt.Chart:
    """Reliability diagram: mean label against mean score per bin; the diagonal is perfect."""
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]}))
        .mark_line(strokeDash=[4, 4], color="gray")
        .encode(x=alt.X("x:Q"), y=alt.Y("y:Q"))
    )
    points = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("mean_score:Q", title="mean score in bin", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("mean_label:Q", title="share positive", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("version:N", title="version"),
            strokeDash=alt.StrokeDash("version:N", title="version"),  # not colour alone
            tooltip=[
                alt.Tooltip("version:N"),
                alt.Tooltip("bin:Q"),
                alt.Tooltip("n:Q", format=","),
                alt.Tooltip("mean_score:Q", format=".3f"),
                alt.Tooltip("mean_label:Q", format=".3f"),
            ],
        )
    )
    return (diagonal + points).properties(height=260, title="Calibration (reliability)")


def event_study(frame: pd.DataFrame, metric: str) -> alt.Chart:
    """Effect by periods since adoption; leads before the dashed line should sit at 0."""
    base = alt.Chart(frame, title=f"Effect on {metric} by periods since adoption").encode(
        x=alt.X(
            "event_time:Q",
            title="periods since adoption (0 = first treated period)",
            axis=alt.Axis(format="d", tickMinStep=1),  # whole periods, no "−1.0"
        )
    )
    rules = base.mark_rule(strokeWidth=2).encode(
        y=alt.Y("ci_low:Q", title=metric), y2=alt.Y2("ci_high:Q")
    )
    points = base.mark_point(filled=True, size=50).encode(
        y=alt.Y("effect:Q"),
        tooltip=[
            alt.Tooltip("event_time:Q"),
            alt.Tooltip("effect:Q", format=",.3f"),
            alt.Tooltip("ci_low:Q", format=",.3f"),
            alt.Tooltip("ci_high:Q", format=",.3f"),
        ],
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="gray").encode(y=alt.Y("y:Q"))
    start = (
        alt.Chart(pd.DataFrame({"x": [-0.5]}))
        .mark_rule(strokeDash=[4, 4], color="gray")
        .encode(x=alt.X("x:Q"))
    )
    return (rules + points + zero + start).properties(height=280)


STRENGTH_SHAPES = {
    "conclusive": "circle",
    "suggestive": "diamond",
    "inconclusive": "square",
    "harmful": "triangle-down",
    "unreliable": "cross",
}


def value_per_year(frame: pd.DataFrame, currency: str) -> alt.Chart:
    """Each line's money per year with its interval (error bar); evidence strength by the
    point's shape and its written name, not by colour alone. Columns: line, strength,
    effect, ci_low, ci_high, counted."""
    data = frame.copy()
    data["label"] = [
        f"{s}" if c else f"{s}, not counted"
        for s, c in zip(frame["strength"], frame["counted"], strict=True)
    ]
    fmt = ",.3~s"
    base = alt.Chart(data).encode(
        y=alt.Y("line:N", title=None, sort=None, axis=alt.Axis(labelLimit=260))
    )
    bars = base.mark_rule(strokeWidth=3, color="#1f5fa8").encode(
        x=alt.X(
            "ci_low:Q", title=f"{currency} per year, with its interval", axis=alt.Axis(format=fmt)
        ),
        x2=alt.X2("ci_high:Q"),
    )
    shapes = list(STRENGTH_SHAPES)
    points = base.mark_point(filled=True, size=120, color="black").encode(
        x=alt.X("effect:Q"),
        shape=alt.Shape(
            "strength:N",
            title="evidence",
            scale=alt.Scale(domain=shapes, range=[STRENGTH_SHAPES[s] for s in shapes]),
        ),
        tooltip=[
            alt.Tooltip("line:N", title="line"),
            alt.Tooltip("strength:N", title="evidence"),
            alt.Tooltip("effect:Q", title="per year", format=",.0f"),
            alt.Tooltip("ci_low:Q", title="interval low", format=",.0f"),
            alt.Tooltip("ci_high:Q", title="interval high", format=",.0f"),
        ],
    )
    text = base.mark_text(align="left", dx=8, dy=-12, fontSize=12).encode(
        x=alt.X("effect:Q"), text=alt.Text("label:N")
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 4]).encode(x=alt.X("x:Q"))
    return (bars + points + text + zero).properties(
        height=alt.Step(56), title="Value per year of each line, with its interval"
    )
