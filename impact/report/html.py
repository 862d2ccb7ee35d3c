"""The board report as one self-contained HTML page: every text from users escaped, inline
CSS, charts as data-URI images, no script and no address outside the file. The PDF is the
same page laid out by WeasyPrint (pdf.py), so the CSS serves both."""

from __future__ import annotations

import html
import math
from datetime import datetime

from impact.report.content import MoneyLine, ReportContent, Verdict, strength_meaning
from impact.report.figures import realised_chart, value_chart
from impact.stats.estimate import Estimate
from impact.stats.evidence import MEANING, ORDER

KINDS = {"revenue": "Revenue", "cost": "Cost avoided", "time": "Time saved", "count": "Counts"}


def t(value: object) -> str:
    """Text as text: names, notes and messages may hold <, & or quotes."""
    return html.escape(str(value), quote=True)


def money(value: float | None, currency: str) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{t(currency)} {value:,.0f}"


def interval(e: Estimate, currency: str) -> str:
    return f"{money(e.ci_low, currency)} to {money(e.ci_high, currency)}"


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "–"


def render_html(content: ReportContent) -> str:
    body = "\n".join(
        [
            _cover(content),
            _headline(content),
            _studies(content),
            _verdicts(content),
            _money(content),
            _not_counted(content),
            _models(content),
            _datasets(content),
            _warnings(content),
            _methods(content),
            _footer(content),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{t(content.title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _cover(c: ReportContent) -> str:
    return (
        f"<header><h1>{t(c.title)}</h1>"
        f'<p class="meta">{c.generated_at:%d %B %Y, %H:%M} UTC · prepared by {t(c.author)} '
        "· what the AI portfolio changed in the business, in money, and how sure we are</p>"
        "</header>"
    )


def _headline(c: ReportContent) -> str:
    total, cur = c.total, c.currency
    if total.total is None:
        return (
            "<section><h2>Headline</h2><p>No study or model has a money value the evidence "
            "supports yet.</p></section>"
        )
    e = total.total
    rows = []
    for kind, figure in sorted(total.by_kind.items(), key=lambda kv: _kind_order(kv[0])):
        extra = ""
        if kind == "time" and total.hours is not None:
            h = total.hours
            extra = f" · {h.effect:,.0f} hours a year ({h.ci_low:,.0f} to {h.ci_high:,.0f} hours)"
        rows.append(
            f"<tr><th>{t(KINDS.get(kind, kind))} per year (projected)</th>"
            f'<td class="num">{money(figure.effect, cur)}</td>'
            f"<td>95% interval {interval(figure, cur)}{extra}</td></tr>"
        )
    rows.append(
        f"<tr><th>Realised so far</th><td class='num'>{money(total.realised, cur)}</td>"
        "<td>measured on the units and decisions the models have already acted on</td></tr>"
    )
    counted = sum(1 for line in total.lines if line.sure)
    return (
        "<section><h2>Headline</h2>"
        f'<p class="headline">Portfolio value per year (projected): '
        f'<strong id="total">{money(e.effect, cur)}</strong></p>'
        f'<p class="sub">95% interval {interval(e, cur)} · {counted} of {len(total.lines)} '
        "lines counted: only verdicts the evidence supports (not harmful or unreliable "
        "ones). The yearly figures are projections; the realised figure is measured.</p>"
        f'<table class="split"><tbody>{"".join(rows)}</tbody></table>'
        f"{_image(value_chart(c), 'Value per year of each line, with its interval')}"
        "</section>"
    )


def _kind_order(kind: str) -> int:
    return list(KINDS).index(kind) if kind in KINDS else len(KINDS)


def _studies(c: ReportContent) -> str:
    cur = c.currency
    rows = "".join(
        f"<tr><td>{_badge(line.strength)}</td><td>{t(line.name)}</td><td>{t(line.source)}</td>"
        f"<td>{t(KINDS.get(line.value_kind, line.value_kind))}</td>"
        f'<td class="num">{money(line.annual.effect, cur)}</td>'
        f"<td>{'yes' if line.sure else 'no'}</td></tr>"
        for line in c.by_strength()
    )
    if not rows:
        return "<section><h2>Studies by evidence strength</h2><p>None yet.</p></section>"
    legend = "; ".join(f"<b>{name}</b>: {t(meaning)}" for name, meaning in MEANING.items())
    return (
        "<section><h2>Studies by evidence strength</h2>"
        "<table><thead><tr><th>evidence</th><th>study or model</th><th>source</th>"
        '<th>kind</th><th class="num">value per year</th><th>counted</th></tr></thead>'
        f'<tbody>{rows}</tbody></table><p class="small">{legend}.</p></section>'
    )


def _verdicts(c: ReportContent) -> str:
    if not c.verdicts:
        return "<section><h2>Verdicts</h2><p>No study has a readout yet.</p></section>"
    ordered = sorted(c.verdicts, key=lambda v: ORDER.index(v.strength))
    return (
        "<section><h2>Verdicts and the checks behind them</h2>"
        + "".join(_verdict(v) for v in ordered)
        + "</section>"
    )


def _verdict(v: Verdict) -> str:
    rows = "".join(
        f"<tr><td>{t(f.check)}</td><td class='state {_status(f)}'>{_status(f)}</td>"
        f"<td class='nowrap'>{t(_effect(f.effect))}</td><td>{t(f.message)}</td></tr>"
        for f in v.checks
    )
    why = (
        f"<p><b>Why {t(v.strength)}:</b> {t('; '.join(r.rstrip('. ') for r in v.reasons))}.</p>"
        if v.reasons
        else ""
    )
    table = (
        '<table class="checks"><thead><tr><th>check</th><th>result</th><th>a failure makes it</th>'
        f"<th>detail</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else ""
    )
    versions = f'<p class="small">Definitions used: {t(v.versions)}.</p>' if v.versions else ""
    return (
        f'<div class="verdict"><h3>{_badge(v.strength)} {t(v.study)}</h3>'
        f"<p>{t(v.sentence)}</p>"
        f'<p class="small">{t(v.strength.capitalize())}: {t(strength_meaning(v.strength))}.</p>'
        f"{why}{table}{versions}</div>"
    )


def _status(f) -> str:
    if f.passed is None:
        return "not run"
    if f.effect == "note":
        return "note"
    return "passed" if f.passed else "failed"


def _effect(effect: str) -> str:
    return {
        "blocks": "unreliable",
        "harms": "harmful",
        "weakens": "weaker",
        "note": "noted only",
    }.get(effect, effect)


def _money(c: ReportContent) -> str:
    if not c.money:
        return ""
    return (
        "<section><h2>What each line is worth, and the assumptions behind it</h2>"
        + "".join(_money_line(m, c.currency) for m in c.money)
        + "</section>"
    )


def _money_line(m: MoneyLine, cur: str) -> str:
    line, e = m.line, m.line.annual
    facts = [
        f"<b>{money(e.effect, cur)}</b> a year ({t(m.interval)} {interval(e, cur)})",
        f"realised so far {money(line.realised, cur)}" if line.realised is not None else "",
    ]
    if line.hours is not None:
        facts.append(f"{line.hours.effect:,.0f} hours saved a year")
    if m.roi is not None:
        roi, low, high = m.roi
        facts.append(f"ROI on running cost {roi:,.0%} ({low:,.0%} to {high:,.0%})")
    if m.payback_months is not None and math.isfinite(m.payback_months):
        facts.append(f"pays back in {m.payback_months:.1f} months")
    rows = "".join(
        f"<tr><td>{t(a.name)}</td><td>{t(a.scope or 'all models')}</td>"
        f'<td class="num">{_value(a.value)}{" ± " + _value(a.se) if a.se else ""}</td>'
        f"<td>{t(a.unit)}</td><td>v{a.version}</td><td>{t(a.changed_by or '–')}</td>"
        f"<td>{when(a.changed_at)}</td><td>{t(a.note)}</td></tr>"
        for a in m.assumptions
    )
    counted = "" if line.sure else ' <span class="warn">(not counted in the total)</span>'
    return (
        f'<div class="money"><h3>{t(line.name)} <span class="small">{t(line.source)}, '
        f"{t(KINDS.get(line.value_kind, line.value_kind).lower())}</span>{counted}</h3>"
        f"<p>{' · '.join(f for f in facts if f)}.</p>"
        f'<p class="small">Conversion: {t(m.conversion)}. Interval: {t(m.interval_method)}. '
        f"Estimated by {t(e.method)}.</p>"
        '<table class="assumptions"><thead><tr><th>assumption</th><th>for</th>'
        '<th class="num">value</th><th>unit</th><th>version</th><th>changed by</th>'
        f"<th>changed at</th><th>note</th></tr></thead><tbody>{rows}</tbody></table>"
        f"{_image(realised_chart(m, cur), f'{line.name}: value realised so far')}</div>"
    )


def _value(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _not_counted(c: ReportContent) -> str:
    items = [
        f"<li>{t(line.name)} ({t(line.strength)}): {money(line.annual.effect, c.currency)} a "
        f"year if it were sure, not added"
        + (f" — {t('; '.join(line.reasons))}" if line.reasons else "")
        + ".</li>"
        for line in c.total.unsure
    ]
    items += [f"<li>{t(study)}: not valued — {t(why)}</li>" for study, why in c.not_valued]
    if not items:
        return "<section><h2>Money not counted</h2><p>Every valued line is counted.</p></section>"
    return f"<section><h2>Money not counted, and why</h2><ul>{''.join(items)}</ul></section>"


def _models(c: ReportContent) -> str:
    if not c.models:
        return ""
    rows = "".join(
        f"<tr><td>{t(m.model)}</td><td>{t(m.task)}</td><td>{t(m.version)}</td>"
        f'<td class="num">{m.predictions:,}</td>'
        f"<td>{'–' if m.label_coverage is None else f'{m.label_coverage:.0%}'}</td>"
        f"<td>{t(m.quality)}</td><td>{_alerts(m.alerts)}</td></tr>"
        for m in c.models
    )
    return (
        "<section><h2>Model health</h2>"
        "<table><thead><tr><th>model</th><th>task</th><th>latest version</th>"
        '<th class="num">predictions</th><th>labelled</th><th>quality (latest)</th>'
        "<th>alerts (weekly)</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _alerts(alerts: tuple[str, ...], shown: int = 4) -> str:
    """The first few, and how many more: the Model health page lists them all."""
    if not alerts:
        return "none"
    more = len(alerts) - shown
    tail = [f"… and {more} more (Model health page)"] if more > 0 else []
    return f"{len(alerts)}: " + "<br>".join(t(a) for a in [*alerts[:shown], *tail])


def _datasets(c: ReportContent) -> str:
    if not c.datasets:
        return ""
    rows = "".join(
        f"<tr><td>{t(d.dataset)}</td><td>{t(d.kind)}</td>"
        f"<td class='state {'passed' if d.passed else 'failed'}'>"
        f"{'ready' if d.passed else 'not ready'}</td><td>{when(d.latest)}</td>"
        f"<td>{'<br>'.join(t(f) for f in d.findings)}</td></tr>"
        for d in c.datasets
    )
    return (
        "<section><h2>Data readiness of the datasets used</h2>"
        "<table><thead><tr><th>dataset</th><th>kind</th><th>readiness</th>"
        f"<th>latest event</th><th>findings</th></tr></thead><tbody>{rows}</tbody></table>"
        "</section>"
    )


def _warnings(c: ReportContent) -> str:
    if not c.warnings:
        return "<section><h2>Warnings</h2><p>None.</p></section>"
    items = "".join(f"<li>{t(w)}</li>" for w in c.warnings)
    return f"<section><h2>Warnings</h2><ul>{items}</ul></section>"


def _methods(c: ReportContent) -> str:
    if not c.methods:
        return ""
    items = "".join(f"<li>{t(m)}</li>" for m in c.methods)
    return f"<section><h2>Methods, in plain words</h2><ul>{items}</ul></section>"


def _footer(c: ReportContent) -> str:
    return (
        f"<footer>Reproduce this report: <code>{t(c.reproduce)}</code> (writes report.html "
        "and report.pdf from the same data). Figures as of "
        f"{c.generated_at:%Y-%m-%d %H:%M} UTC.</footer>"
    )


def _badge(strength: str) -> str:
    return f'<span class="badge {t(strength)}">{t(strength)}</span>'


def _image(uri: str | None, alt: str) -> str:
    return f'<img class="chart" src="{uri}" alt="{t(alt)}">' if uri else ""


CSS = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm;
  @bottom-center { content: "Impact board report · page " counter(page) " of " counter(pages);
    font-family: "DejaVu Sans", sans-serif; font-size: 8pt; color: #666; } }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 9.5pt;
  color: #1a1a1a; line-height: 1.4; max-width: 190mm; margin: 0 auto; padding: 0 4mm; }
h1 { font-size: 20pt; margin: 0 0 2mm 0; }
h2 { font-size: 13pt; border-bottom: 1px solid #ccc; padding-bottom: 1mm; margin-top: 7mm; }
h3 { font-size: 10.5pt; margin: 5mm 0 1mm 0; }
.meta, .small, .sub { color: #555; font-size: 8.5pt; }
.headline { font-size: 15pt; margin: 2mm 0 1mm 0; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; font-size: 8.5pt; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 1.2mm 1.6mm; text-align: left;
  vertical-align: top; overflow-wrap: break-word; }
td.state, td.nowrap { white-space: nowrap; }
thead th { background: #f3f4f6; }
.num { text-align: right; white-space: nowrap; }
.split th { width: 34%; }
.checks td:first-child { width: 24%; }
.badge { display: inline-block; padding: 0.2mm 1.8mm; border-radius: 2mm; font-size: 8pt;
  font-weight: bold; color: white; background: #6b7280; }
.badge.conclusive { background: #15803d; } .badge.suggestive { background: #2563eb; }
.badge.harmful { background: #b45309; } .badge.unreliable { background: #b91c1c; }
.passed { color: #15803d; } .failed { color: #b91c1c; font-weight: bold; }
.warn { color: #b45309; font-size: 8.5pt; }
h2, h3 { break-after: avoid; }
tr, img.chart, .headline { break-inside: avoid; }
img.chart { display: block; width: 100%; max-width: 165mm; height: auto; margin: 3mm 0; }
footer { margin-top: 8mm; border-top: 1px solid #ccc; padding-top: 2mm; color: #555;
  font-size: 8.5pt; }
@media screen { body { padding: 8mm 6mm 12mm 6mm; } }
code { font-family: "DejaVu Sans Mono", monospace; }
"""
