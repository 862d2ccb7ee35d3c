"""The report's charts as images: Altair specs rendered by vl-convert (no browser), embedded
as data URIs so the HTML and the PDF need nothing from elsewhere."""

from __future__ import annotations

import base64

import pandas as pd

from impact import charts
from impact.report.content import MoneyLine, ReportContent

WIDTH = 560  # px: fits an A4 page's text width with its axis labels


def value_chart(content: ReportContent) -> str | None:
    lines = content.by_strength()
    if not lines:
        return None
    frame = pd.DataFrame(
        {
            "name": [line.name for line in lines],
            "effect": [line.annual.effect for line in lines],
            "ci_low": [line.annual.ci_low for line in lines],
            "ci_high": [line.annual.ci_high for line in lines],
            "counted": ["yes" if line.sure else "no" for line in lines],
        }
    )
    return _uri(charts.portfolio_lines(frame, content.currency))


def realised_chart(money: MoneyLine, currency: str) -> str | None:
    frame = money.realised
    if frame is None or len(frame) < 2:
        return None
    frame = frame.rename(columns={"day": "period", "value": "cumulative"})
    title = f"{money.line.name}: value realised so far ({currency}, cumulative)"
    return _uri(charts.money_over_time(frame, title).properties(height=160))


def _uri(chart) -> str:
    import vl_convert  # a few seconds to load: only when a report is written

    # Few time ticks: the image is scaled to the page, where crowded dates overlap.
    chart = chart.properties(width=WIDTH).configure_axisX(tickCount=6, labelOverlap=True)
    # PNG, not SVG: vl-convert lays out the text with its own font metrics, which an SVG
    # drawn by another renderer (WeasyPrint, a browser) does not share: labels were cut.
    png = vl_convert.vegalite_to_png(chart.to_json(), scale=2)
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
