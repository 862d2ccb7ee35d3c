"""Every function that writes checks the role before its first write, and audits.

The viewer cases call every writing function of the catalog, ingest, demo and analysis
layers and prove that stored data is byte-for-byte what it was: every catalog table's rows
and every warehouse table's checksum.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from impact.analysis.assumptions import change_assumption, define_metric, define_study
from impact.catalog import Catalog, Dataset, MetricDefinitionBase, StudyBase, Write
from impact.cli import app
from impact.demo import load_demo
from impact.demo.generate import generate
from impact.demo.load import ingest_demo, register_catalog
from impact.errors import PermissionDenied
from impact.ingest import delete_upload, ingest_file, remove_load
from impact.ingest.reconcile import reconcile
from impact.ingest.record import record_in_catalog
from impact.ingest.write import LoadRecord, now

APP = str(Path(__file__).parents[1] / "app.py")
ROLLOUTS = "study,unit_id,treated_at\ns,r1,2026-03-01\ns,r2,\n"
ASSIGNMENTS = (
    "experiment,unit_id,arm,assigned_at\nexp,u1,control,2026-01-01\nexp,u2,v1,2026-01-02\n"
)
# Catalog methods that only read; every other public method writes and is tested below.
READS = {
    "acting_as",
    "assumption_history",
    "assumptions",
    "audit",  # appends the record of a change someone was allowed to make
    "audit_log",
    "definition_history",
    "dataset_with_checksum",
    "datasets",
    "find_study",
    "metric",
    "metrics",
    "model_versions",
    "models",
    "revision",
    "studies",
    "study",
}


def snapshot(store) -> tuple:
    """Every row of every catalog table, and every warehouse table's checksum."""
    path = store.catalog.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"'))) for t in tables}
    return rows, store.warehouse.table_checksums()


@pytest.fixture
def seeded(store, tmp_path):
    """An admin's portfolio, plus one upload a crash left out of the catalog."""
    rollouts = tmp_path / "r.csv"
    rollouts.write_text(ROLLOUTS)
    kept = ingest_file(store, rollouts, "rollouts").dataset
    define_metric(store, MetricDefinitionBase(name="rev", dataset="o", column="revenue"))
    change_assumption(store, "loaded_hourly_rate", 50.0, unit="USD/hour")
    store.catalog.ensure_model("m", ["v1"])
    assignments = tmp_path / "a.csv"
    assignments.write_text(ASSIGNMENTS)
    orphan = ingest_file(store, assignments, "assignments").dataset
    store.catalog.remove_dataset(orphan.id)  # as if killed between the two commits
    return store, kept, orphan


def viewer_calls(kept: Dataset, tmp_path: Path) -> dict:
    new_file = tmp_path / "r2.csv"
    new_file.write_text(ROLLOUTS.replace("r2", "r3"))
    record = LoadRecord("d-x", "x", "rollouts", "x.csv", "0" * 64, 1, {}, "eve", now())
    dataset = Dataset(
        id="d-y", name="y", kind="rollouts", file_name="y.csv", rows=1, checksum="1" * 64,
        uploaded_by="eve",
    )  # fmt: skip
    study = StudyBase(name="s", kind="did", unit="region")
    metric = MetricDefinitionBase(name="rev", dataset="o", column="revenue2")
    return {
        "ingest_file": lambda v: ingest_file(v, new_file, "rollouts"),
        "delete_upload": lambda v: delete_upload(v, kept.id),
        "remove_load": lambda v: remove_load(v, kept.id),
        "reconcile": lambda v: reconcile(v),
        "record_in_catalog": lambda v: record_in_catalog(v, record, {"studies": [("n",)]}, []),
        "load_demo": lambda v: load_demo(v, predictions=1000),
        "register_catalog": register_catalog,
        "ingest_demo": lambda v: ingest_demo(v, generate(tmp_path / "demo", predictions=1000)),
        "change_assumption": lambda v: change_assumption(v, "loaded_hourly_rate", 1.0),
        "define_metric": lambda v: define_metric(v, metric),
        "define_study": lambda v: define_study(v, study),
        "Catalog.add_dataset": lambda v: v.catalog.add_dataset(dataset),
        "Catalog.remove_dataset": lambda v: v.catalog.remove_dataset(kept.id),
        "Catalog.ensure_model": lambda v: v.catalog.ensure_model("m", ["v2"]),
        "Catalog.save_study": lambda v: v.catalog.save_study(study),
        "Catalog.save_metric": lambda v: v.catalog.save_metric(metric),
        "Catalog.set_assumption": lambda v: v.catalog.set_assumption("running_cost", 1.0),
        "Catalog.apply": lambda v: v.catalog.apply([Write("metric", metric)]),
    }


def test_every_catalog_write_is_in_the_viewer_cases(tmp_path):
    public = {n for n in dir(Catalog) if not n.startswith("_") and callable(getattr(Catalog, n))}
    calls = viewer_calls(Dataset(id="d", name="d", kind="rollouts", file_name="f", rows=0,
                                 checksum="", uploaded_by=""), tmp_path)  # fmt: skip
    writes = {n.removeprefix("Catalog.") for n in calls if n.startswith("Catalog.")}
    assert public - READS == writes


def test_a_viewer_is_refused_by_every_writing_function_and_nothing_changes(seeded, tmp_path):
    store, kept, _ = seeded
    viewer = replace(store, user="exec@corp", role="viewer")
    before = snapshot(store)
    for name, call in viewer_calls(kept, tmp_path).items():
        with pytest.raises(PermissionDenied, match="exec@corp has the viewer role") as refused:
            call(viewer)
        assert "Ask an admin" in str(refused.value), name
        assert snapshot(store) == before, f"{name} wrote as a viewer"


def test_an_analyst_is_refused_the_demo_before_it_writes(seeded):
    store, _, _ = seeded
    analyst = replace(store, user="ana@corp", role="analyst")
    before = snapshot(store)
    with pytest.raises(PermissionDenied, match="cannot manage studies; that needs the admin"):
        load_demo(analyst, predictions=1000)
    assert snapshot(store) == before


def test_viewer_cli_commands_refuse_and_check_only_reports(seeded, monkeypatch, tmp_path):
    store, _, orphan = seeded
    monkeypatch.setenv("IMPACT_ROLE", "viewer")
    monkeypatch.setenv("IMPACT_USER", "exec@corp")
    before = snapshot(store)
    runner = CliRunner()
    result = runner.invoke(app, ["demo", "--predictions", "1000"])
    assert result.exit_code == 1 and "viewer role and cannot manage studies" in result.output
    path = tmp_path / "r3.csv"
    path.write_text(ROLLOUTS.replace("r1", "r9"))
    result = runner.invoke(app, ["ingest", str(path), "--kind", "rollouts"])
    assert result.exit_code == 1 and "cannot upload data" in result.output
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    assert f"{orphan.name} ({orphan.id}): stored in the warehouse" in result.stdout
    assert "not repaired" in result.stdout
    assert "Not repaired: exec@corp has the viewer role" in result.output
    assert snapshot(store) == before


def test_app_start_as_a_viewer_writes_nothing(seeded, monkeypatch):
    store, _, _ = seeded
    monkeypatch.setenv("IMPACT_ROLE", "viewer")
    before = snapshot(store)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert snapshot(store) == before


def test_repairs_and_completed_uploads_are_audited(seeded):
    store, _, orphan = seeded
    analyst = replace(store, user="ana@corp", role="analyst")
    [found] = reconcile(analyst)
    assert found.repaired and found.dataset_id == orphan.id
    [event, *_] = store.catalog.audit_log()
    assert (event.user, event.role, event.action, event.target) == (
        "ana@corp",
        "analyst",
        "repair",
        orphan.name,
    )
    assert event.detail["dataset_id"] == orphan.id and "interrupted" in event.detail["fix"]
    assert (event.detail["kind"], event.detail["rows"]) == ("assignments", 2)
    # a catalog record without rows is dropped on repair, also audited
    remove_load(store, orphan.id)
    [found] = reconcile(analyst)
    assert found.repaired and store.catalog.datasets()[0].id != orphan.id
    actions = [(e.action, e.target) for e in store.catalog.audit_log()[:2]]
    assert actions == [("repair", orphan.name), ("remove_load", orphan.id)]


def test_the_demo_audits_every_catalog_change(store):
    register_catalog(store)
    log = store.catalog.audit_log()
    changed = {(e.action, e.target, e.detail.get("scope", "")) for e in log}
    assumptions = {(a.name, a.scope) for a in store.catalog.assumptions()}
    assert {(n, s) for a, n, s in changed if a == "edit_assumption"} == assumptions
    assert {n for a, n, _ in changed if a == "manage_study"} == {
        s.name for s in store.catalog.studies()
    }
    assert {n for a, n, _ in changed if a == "define_metric"} == {
        m.name for m in store.catalog.metrics()
    }
    assert {n for a, n, _ in changed if a == "register_model"} == {
        m.name for m in store.catalog.models()
    }
