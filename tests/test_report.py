"""The board report: its figures are the Overview's, it is self-contained and escaped, the
CLI writes it, the PDF has the pages and the headline, and the Overview offers both files."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from html import escape

import pytest
from typer.testing import CliRunner

from impact.cli import app as cli
from impact.demo import truth as T
from impact.report import board_report
from impact.report.html import money, render_html
from impact.ui import money_short

EVIL = "<script>alert(1)</script>"
BOLD = "**bold**"
WHEN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
runner = CliRunner()


@pytest.fixture(scope="module")
def built(demo_store):
    """One report of the demo portfolio for the whole module (the slow part: ~15 s)."""
    return board_report(demo_store, author="Board Tester", now=WHEN)


def test_the_report_shows_the_portfolio_total_and_its_split(built):
    c, page = built.content, built.html
    total, cur = c.total, c.currency
    assert total.total is not None
    assert {line.name for line in total.lines} == {
        T.EXPERIMENT,
        T.RECS_EXPERIMENT,
        T.ROLLOUT_STUDY,
        T.FRAUD_MODEL,
    }
    # the headline and its interval, each part of the split, hours and the realised figure
    figures = [total.total, *total.by_kind.values()]
    for e in figures:
        for x in (e.effect, e.ci_low, e.ci_high):
            assert money(x, cur) in page, x
    headline = re.search(r'id="total">([^<]+)<', page).group(1)
    assert headline == f"USD {total.total.effect:,.0f}"
    assert float(headline.removeprefix("USD ").replace(",", "")) == pytest.approx(
        sum(line.annual.effect for line in total.lines if line.sure), abs=1
    )
    assert f"{total.hours.effect:,.0f} hours a year" in page
    assert money(total.realised, cur) in page
    for label in ("Revenue per year", "Cost avoided per year", "Time saved per year"):
        assert f"{label} (projected)" in page
    assert "Realised so far" in page
    assert "Board Tester" in page and "30 November 2026" in page


def test_each_verdict_has_its_checks_assumptions_and_versions(built):
    c, page = built.content, built.html
    assert {v.study for v in c.verdicts} == {h.study for h in c.total.verdicts}
    for v in c.verdicts:
        assert escape(v.sentence) in page
        for f in v.checks:
            assert escape(f.message) in page
        assert v.versions.startswith("study v")
    harmful = next(v for v in c.verdicts if v.strength == "harmful")
    assert harmful.reasons and "Why harmful:" in page
    assert page.count(">failed<") == sum(f.failed for v in c.verdicts for f in v.checks)
    # every money figure names its assumptions, their versions and who set them
    for m in c.money:
        assert m.assumptions, m.line.name
        for a in m.assumptions:
            assert a.changed_by and a.version >= 1
            assert f"<td>{a.name}</td>" in page
    assert "yearly_volume" in page and "<td>v1</td>" in page
    assert "CUPED" in " ".join(c.methods) and "Callaway–Sant'Anna" in " ".join(c.methods)
    assert [m.model for m in c.models] == sorted(m.model for m in c.models) and c.models
    assert {d.dataset for d in c.datasets} >= {"customer-revenue", "support-tickets"}
    assert "impact report --output DIR" in page


def test_model_health_lines_match_the_warehouse(built, demo_store):
    wh = demo_store.warehouse
    for m in built.content.models:
        n, labelled = wh.execute(
            "SELECT count(*), avg(CASE WHEN actual IS NOT NULL THEN 1.0 ELSE 0.0 END) "
            "FROM predictions WHERE model = ?",
            [m.model],
        ).rows[0]
        assert m.predictions == n and m.label_coverage == pytest.approx(labelled)
        assert f'<td class="num">{n:,}</td>' in built.html
    fraud = next(m for m in built.content.models if m.model == "fraud-model")
    assert fraud.alerts and fraud.quality.startswith("ROC AUC")


def test_money_not_counted_is_said_and_why(built):
    c = built.content
    line = replace(c.total.lines[0], strength="harmful", reasons=("guardrail churn degraded",))
    total = replace(c.total, lines=[line, *c.total.lines[1:]])
    money_lines = [replace(c.money[0], line=line), *c.money[1:]]
    wrong = replace(
        c, total=total, money=money_lines, not_valued=[("old-test", "no primary metric")]
    )
    page = render_html(wrong)
    said = re.search(r"Money not counted, and why</h2><ul>(.*?)</ul>", page).group(1)
    assert f"{escape(line.name)} (harmful): {money(line.annual.effect, c.currency)}" in said
    assert "guardrail churn degraded" in said and "old-test: not valued — no primary metric" in said
    assert "(not counted in the total)" in page


def test_the_html_is_self_contained(built):
    page = built.html.lower()
    assert "<script" not in page and "javascript:" not in page
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:)?//", page)
    assert "@import" not in page and "url(" not in page
    sources = re.findall(r'src="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)


def test_user_text_is_escaped(built):
    c = built.content
    line = replace(c.money[0].line, name=EVIL)
    a = replace(c.money[0].assumptions[0], note=BOLD, scope=EVIL)
    evil = replace(
        c,
        author=EVIL,
        verdicts=[replace(c.verdicts[0], study=EVIL, sentence=f"{EVIL} raises {BOLD}")],
        money=[replace(c.money[0], line=line, assumptions=(a,))],
        models=[replace(c.models[0], model=BOLD)],
        not_valued=[(EVIL, BOLD)],
        warnings=[EVIL],
    )
    page = render_html(evil)
    assert "<script" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6
    assert BOLD in page and "<strong>bold</strong>" not in page and "<b>bold" not in page


def test_the_pdf_has_the_pages_and_the_headline(built, tmp_path):
    assert shutil.which("pdftoppm"), "poppler-utils is missing: .ci/run installs it"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(built.pdf)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    assert pages >= 2
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(pdf), str(tmp_path / "p")], check=True)
    images = sorted(tmp_path.glob("p-*.png"))
    assert len(images) == pages
    from PIL import Image

    for number, image in enumerate(images, start=1):  # each page has something on it
        low, high = Image.open(image).convert("L").getextrema()
        assert low < high, image.name
        text = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert f"page {number} of {pages}" in text and len(text.split()) > 20, number
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    total = built.content.total.total
    assert f"USD {total.effect:,.0f}" in first and "95% interval" in first
    assert f"page 1 of {pages}" in first


def test_cli_writes_both_files(store, tmp_path):
    out = tmp_path / "board"
    result = runner.invoke(cli, ["report", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.pdf"]
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    page = (out / "report.html").read_text()
    assert "No study or model has a money value" in page and "<script" not in page
    only = runner.invoke(cli, ["report", "--output", str(tmp_path / "h"), "--format", "html"])
    assert only.exit_code == 0 and [p.name for p in (tmp_path / "h").iterdir()] == ["report.html"]


def test_cli_refuses_a_bad_output_or_format(store, tmp_path):
    file = tmp_path / "taken.txt"
    file.write_text("x")
    for bad in (file, file / "inside"):
        result = runner.invoke(cli, ["report", "--output", str(bad)])
        assert result.exit_code == 1 and "--output" in result.output, result.output
    result = runner.invoke(cli, ["report", "--output", str(tmp_path / "r"), "--format", "docx"])
    assert result.exit_code == 1 and "--format" in result.output
    assert file.read_text() == "x" and not (tmp_path / "r" / "report.html").exists()


def test_the_overview_button_offers_the_html_and_the_pdf(demo_app, monkeypatch):
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    stored = {}  # what the page hands the download buttons, by mimetype
    keep = MemoryMediaFileStorage.load_and_get_id

    def spy(self, data, mimetype, kind, filename=None):
        stored[mimetype] = (data, filename)
        return keep(self, data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    at = demo_app
    assert not at.get("download_button")  # nothing until asked
    [button] = [b for b in at.button if b.label == "Build the board report"]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    labels = sorted(b.label for b in at.get("download_button"))
    assert labels == ["Download HTML", "Download PDF"]
    page, name = stored["text/html"]
    page = page.decode() if isinstance(page, bytes) else page
    assert name.startswith("impact-report-") and name.endswith(".html")
    tile = next(m.value for m in at.metric if m.label == "Value per year (projected)")
    total = re.search(r'id="total">USD ([\d,]+)<', page).group(1)
    assert tile == money_short(float(total.replace(",", "")))  # the page's figure
    pdf, name = stored["application/pdf"]
    assert pdf.startswith(b"%PDF") and name.endswith(".pdf")


def test_without_weasyprint_the_pdf_is_refused_with_the_fix(monkeypatch):
    from impact.errors import NotEstimable
    from impact.report.pdf import render_pdf

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if it were not installed
    with pytest.raises(NotEstimable, match="Pango .* --format html"):
        render_pdf("<p>x</p>")
