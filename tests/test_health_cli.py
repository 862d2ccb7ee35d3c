"""`impact health` on a small demo: text and JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from impact.cli import app
from impact.demo import truth as T

runner = CliRunner()


def test_json_holds_every_table_and_the_alerts(small_demo):
    result = runner.invoke(
        app,
        [
            "health",
            T.FRAUD_MODEL,
            "--period",
            "week",
            "--reference-start",
            "2026-06-01",
            "--reference-end",
            "2026-08-01",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["reference"] == ["2026-06-01T00:00:00+00:00", "2026-08-01T00:00:00+00:00"]
    # Monitoring starts at the first week boundary after the reference (a Saturday).
    assert out["monitored_from"] == "2026-08-03T00:00:00+00:00"
    assert out["alert_cadence"] == "week" == out["thresholds"]["cadence"]
    assert [v["version"] for v in out["versions"]] == ["v3", "v4"]
    for table in ("operations", "performance", "calibration", "drift"):
        assert out[table] and "version" in out[table][0] and "period" in out[table][0]
    assert {"roc_auc", "pr_auc", "log_loss", "ece", "brier", "f1"} <= set(out["performance"][0])
    assert {"psi", "psi_label", "js_distance", "ks_d", "p_value"} <= set(out["drift"][0])
    drift = [a for a in out["alerts"] if a["kind"] == "drift" and a["subject"] == "score"]
    assert drift and drift[0]["first_period"].startswith("2026-09-14")  # the drift's week
    assert any("no error rate" in note for note in out["notes"])


def test_text_output_and_errors(small_demo):
    result = runner.invoke(app, ["health", T.FRAUD_MODEL, "--period", "week"])
    assert result.exit_code == 0, result.output
    assert "ROC AUC" in result.stdout and "v4" in result.stdout
    assert "ALERT drift" in result.stdout
    missing = runner.invoke(app, ["health", "nope"])
    assert missing.exit_code == 1 and "Known models" in missing.output
    bad = runner.invoke(app, ["health", T.FRAUD_MODEL, "--reference-start", "June"])
    assert bad.exit_code == 1 and "2026-06-01" in bad.output


def test_alert_lines_are_the_same_for_day_and_week_and_say_the_cadence(small_demo):
    lines = {}
    for period in ("day", "week"):
        result = runner.invoke(app, ["health", T.FRAUD_MODEL, "--period", period])
        assert result.exit_code == 0, result.output
        assert "alerts evaluated per week" in result.stdout
        assert "drift monitored from" in result.stdout
        lines[period] = [line for line in result.stdout.splitlines() if line.startswith("ALERT")]
    assert lines["day"] == lines["week"] and lines["day"]


def test_an_overlapping_reference_is_refused_naming_the_flags(small_demo):
    result = runner.invoke(
        app,
        [
            "health",
            T.CHURN_MODEL,
            "--reference-start",
            "2026-09-01",
            "--reference-end",
            "2026-10-31",
        ],
    )
    assert result.exit_code == 1
    assert "compare the data with itself" in result.output
    assert "--reference-start/--reference-end" in result.output
