"""The command line on good and bad files."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from impact.cli import app

runner = CliRunner()


def test_ingest_good_file_then_list_datasets(store, tmp_path):
    path = tmp_path / "assign.csv"
    path.write_text(
        "exp,cust,variant,assigned_at\ne,u1,control,2026-03-01\ne,u2,treatment,2026-03-01\n"
    )
    result = runner.invoke(
        app,
        [
            "ingest",
            str(path),
            "--kind",
            "assignments",
            "--map",
            "exp=experiment",
            "--map",
            "cust=unit_id",
            "--map",
            "variant=arm",
            "--dataset",
            "march",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 rows passed" in result.output
    listed = runner.invoke(app, ["datasets", "--json"])
    rows = json.loads(listed.stdout)
    assert [(r["name"], r["kind"], r["rows"]) for r in rows] == [("march", "assignments", 2)]
    assert rows[0]["mapping"] == {"exp": "experiment", "cust": "unit_id", "variant": "arm"}
    assert len(rows[0]["checksum"]) == 64
    text = runner.invoke(app, ["datasets"])
    assert "march" in text.stdout and "assignments" in text.stdout


def test_ingest_bad_file_exits_non_zero_with_the_report(store, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "experiment,unit_id,arm,assigned_at\ne,u1,control,2026-03-01\ne,u1,control,not a date\n"
    )
    report = tmp_path / "report.csv"
    result = runner.invoke(
        app, ["ingest", str(path), "--kind", "assignments", "--report", str(report)]
    )
    assert result.exit_code == 1
    assert "type:assigned_at" in result.stderr and "duplicate_key" in result.stderr
    assert "line 3" in result.stderr
    failures = pd.read_csv(report)
    assert set(failures["rule"]) == {"type:assigned_at", "duplicate_key"}
    assert store.warehouse.scalar("SELECT count(*) FROM loads") == 0


def test_bad_options_get_clear_messages(store, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("x\n1\n")
    wrong_kind = runner.invoke(app, ["ingest", str(path), "--kind", "sales"])
    assert wrong_kind.exit_code == 1
    assert "kind must be one of 'predictions', 'outcomes'" in wrong_kind.stderr
    bad_map = runner.invoke(app, ["ingest", str(path), "--kind", "outcomes", "--map", "x"])
    assert bad_map.exit_code == 1 and "SOURCE=TARGET" in bad_map.stderr
    missing = runner.invoke(app, ["ingest", str(tmp_path / "nope.csv"), "--kind", "outcomes"])
    assert missing.exit_code == 1 and "does not exist" in missing.stderr


def test_datasets_on_an_empty_store(store):
    result = runner.invoke(app, ["datasets"])
    assert result.exit_code == 0 and "No datasets stored yet" in result.stdout
