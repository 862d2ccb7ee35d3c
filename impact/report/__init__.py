"""The board report: the Overview's content as one self-contained HTML file and a PDF of
the same page (content.py gathers, html.py writes, pdf.py lays out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from impact.analysis.portfolio_value import PortfolioTotal
from impact.errors import InvalidInput
from impact.report.content import ReportContent, report_content
from impact.report.html import render_html
from impact.report.pdf import render_pdf
from impact.store import Store

FORMATS = ("html", "pdf")


@dataclass(frozen=True)
class BoardReport:
    content: ReportContent
    html: str
    pdf: bytes | None

    @property
    def file_stem(self) -> str:
        return f"impact-report-{self.content.generated_at:%Y-%m-%d}"


def board_report(
    store: Store,
    *,
    author: str | None = None,
    total: PortfolioTotal | None = None,
    now: datetime | None = None,
    pdf: bool = True,
) -> BoardReport:
    content = report_content(store, author=author, now=now or datetime.now(UTC), total=total)
    page = render_html(content)
    return BoardReport(content, page, render_pdf(page) if pdf else None)


def write_report(store: Store, folder: Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """report.html and/or report.pdf in `folder` (created if missing)."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise InvalidInput(f"Choose formats among {', '.join(FORMATS)}; got {', '.join(formats)}.")
    report = board_report(store, pdf=False)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if "html" in formats:  # first: it needs no PDF library
        written.append(folder / "report.html")
        written[-1].write_text(report.html, encoding="utf-8")
    if "pdf" in formats:
        written.append(folder / "report.pdf")
        written[-1].write_bytes(render_pdf(report.html))
    return written
