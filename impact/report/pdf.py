"""The PDF: WeasyPrint lays out the report's own HTML (Pango does the text), so the two
files say the same. Only data: URIs are read: the report fetches nothing from elsewhere."""

from __future__ import annotations

from impact.errors import NotEstimable


def render_pdf(page: str) -> bytes:
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:  # OSError: WeasyPrint found no Pango library
        raise NotEstimable(
            f"The PDF cannot be written here ({exc}). It needs WeasyPrint (in "
            "requirements.lock) and Pango (Debian: apt-get install libpangoft2-1.0-0); "
            "the HTML report does not: impact report --output DIR --format html."
        ) from None
    return HTML(string=page, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
