"""Definitions as code: the demo's file equals its catalog, every problem is reported with
its place, a file applies whole or not at all, and each change is versioned and audited."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from impact.analysis.definitions import BadDefinitions, define_file, export_definitions
from impact.catalog import Catalog
from impact.cli import app
from impact.errors import PermissionDenied

runner = CliRunner()
DEMO_FILE = Path(__file__).parents[1] / "data" / "demo-definitions.yaml"


def snapshot(store):
    c = store.catalog
    return (
        [m.model_dump() for m in c.metrics()],
        [s.model_dump() for s in c.studies()],
        [a.model_dump() for a in c.assumptions()],
        len(c.audit_log(10_000)),
    )


def test_the_shipped_file_is_the_demo_catalog_and_the_round_trip_is_a_no_op(small_demo, tmp_path):
    assert export_definitions(small_demo) == DEMO_FILE.read_text()
    before = snapshot(small_demo)
    result = runner.invoke(app, ["define", str(DEMO_FILE)])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 changed, 23 unchanged" in result.stdout
    assert snapshot(small_demo) == before  # no new version, no audit event


def test_every_problem_is_reported_with_its_place_and_nothing_changes(small_demo, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        DEMO_FILE.read_text()
        .replace("column: revenue\n", "column: revenu\n")
        .replace("      retention: 0.0", "      retention: null")
        .replace("control_arm: control", "control_arm: ctl", 1)  # churn-offer-test's
        .replace(
            "aggregation: sum\n    direction: lower", "aggregation: ratio\n    direction: lower"
        )
        .replace("dataset: support-tickets", "dataset: tickets")
        .replace("    value: 48.0", "    value: 50.0")
    )
    before = snapshot(small_demo)
    result = runner.invoke(app, ["define", str(bad)])
    assert result.exit_code == 1
    for place in (
        "metrics.revenue_28d.column",
        "metrics.chargeback_cost.denominator",
        "metrics.handling_minutes.dataset",
        "studies.churn-offer-test.control_arm",
        "studies.churn-offer-test.guardrails.retention",
    ):
        assert f"  {place}: " in result.output, place
    assert "5 problem(s); nothing was changed" in result.output
    assert snapshot(small_demo) == before
    bad.write_text("metrics:\n  m: {dataset: d}\n  n: [1\n")
    assert "is not valid YAML" in runner.invoke(app, ["define", str(bad)]).output
    bad.write_text("metrics:\n  m: {dataset: customer-revenue, colum: revenue}\nmetric: {}\n")
    output = runner.invoke(app, ["define", str(bad)]).output
    assert "metrics.m.column: is required" in output and "metrics.m.colum: is not a known" in output
    assert "  metric: is not a section" in output


def edited(tmp_path: Path) -> Path:
    path = tmp_path / "edited.yaml"
    path.write_text(
        DEMO_FILE.read_text()
        .replace("Revenue per customer", "Revenue per buyer")
        .replace("      retention: 0.0", "      retention: 0.02")
        .replace("    value: 48.0", "    value: 50.0")
    )
    return path


def test_a_catalog_write_failing_half_way_keeps_nothing(small_demo, tmp_path, monkeypatch):
    def broken(self, s, values):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(Catalog, "_put_assumption", broken)  # after the metric and study
    before = snapshot(small_demo)
    history = small_demo.catalog.definition_history("metric", "revenue_28d")
    with pytest.raises(RuntimeError, match="disk gone"):
        define_file(small_demo, edited(tmp_path))
    assert snapshot(small_demo) == before
    assert small_demo.catalog.definition_history("metric", "revenue_28d") == history


def test_changes_are_versioned_and_audited_old_to_new_and_a_dry_run_changes_nothing(
    small_demo, tmp_path
):
    path = edited(tmp_path)
    before = snapshot(small_demo)
    dry = runner.invoke(app, ["define", str(path), "--dry-run"]).stdout
    assert "metrics.revenue_28d: would be changed" in dry
    assert "description: 'Revenue per customer" in dry and "→ 'Revenue per buyer" in dry
    assert "value: 48.0 → 50.0" in dry and "Dry run, nothing changed: 0 created, 3 changed" in dry
    assert snapshot(small_demo) == before
    result = define_file(small_demo, path)
    assert {c.place: c.version for c in result.changes if c.version} == {
        "metrics.revenue_28d": 2,
        "studies.churn-offer-test": 2,
        "assumptions.loaded_hourly_rate": 2,
    }
    catalog = small_demo.catalog
    history = catalog.definition_history("metric", "revenue_28d")
    assert [h.version for h in history] == [1, 2]
    assert history[1].definition["description"].startswith("Revenue per buyer")
    assert catalog.study("churn-offer-test").options.guardrail_tolerance == {"retention": 0.02}
    events = {e.target: e for e in catalog.audit_log(3)}
    change = events["revenue_28d"].detail
    assert events["revenue_28d"].action == "define_metric" and change["version"] == 2
    assert change["changes"]["description"][0].startswith("Revenue per customer")
    assert events["loaded_hourly_rate"].detail["changes"]["value"] == [48.0, 50.0]
    after = snapshot(small_demo)
    assert define_file(small_demo, path).counts() == {"created": 0, "changed": 0, "unchanged": 23}
    assert snapshot(small_demo) == after  # an unchanged save makes no version
    metrics = runner.invoke(app, ["metrics"]).stdout
    assert "revenue_28d v2: sum of customer-revenue.revenue" in metrics
    assert "churn-offer-test v2: A/B" in runner.invoke(app, ["studies"]).stdout
    ab = runner.invoke(app, ["ab", "churn-offer-test"]).stdout
    assert "Definitions: study v2, metric revenue_28d v2" in ab


def test_roles_analysts_define_metrics_and_studies_viewers_read(small_demo, tmp_path):
    path = edited(tmp_path)
    before = snapshot(small_demo)
    viewer = replace(small_demo, user="exec@corp", role="viewer")
    with pytest.raises(PermissionDenied, match="exec@corp has the viewer role"):
        define_file(viewer, path)  # refused before any write
    assert snapshot(small_demo) == before
    analyst = replace(small_demo, user="ana@corp", role="analyst")
    assert define_file(analyst, path).counts()["changed"] >= 2  # a study and a metric
    define_file(small_demo, DEMO_FILE)  # back to the shipped definitions
    only_metric = tmp_path / "metric.yaml"
    only_metric.write_text(
        DEMO_FILE.read_text().replace("Revenue per customer", "Revenue per buyer")
    )
    assert define_file(analyst, only_metric).counts()["changed"] == 1
    assert define_file(viewer, DEMO_FILE, dry_run=True).counts()["changed"] == 1
    with pytest.raises(BadDefinitions):
        define_file(viewer, tmp_path / "missing.yaml")
