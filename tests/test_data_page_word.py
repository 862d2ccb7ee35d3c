"""The Data page keeps its word: decimal commas, file-level failures, half-filled mapping
rows, repeated rows, the wording of fixes, and deleting uploads (AppTest and the CLI)."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_app_data import APP, ROLLOUT_CSV, data_page, stored_datasets
from typer.testing import CliRunner

from impact.catalog import MetricDefinitionBase, StudyBase
from impact.cli import app as cli
from impact.errors import InUse, InvalidInput, ValidationFailed
from impact.ingest import delete_upload, ingest_file
from impact.ingest.columns import mapping_from_rows

runner = CliRunner()
HEAD = "unit_id,observed_at,revenue,nps_score\n"


@pytest.fixture
def app(store):
    st.cache_resource.clear()
    st.cache_data.clear()
    return AppTest.from_file(APP, default_timeout=60).run()


def report_frames(at):
    frames = [d.value for d in at.dataframe]
    [rules] = [f for f in frames if "status" in f.columns]
    [failures] = [f for f in frames if "problem" in f.columns]
    return rules, failures


def test_a_decimal_comma_is_a_bad_cell_of_a_numeric_column(store, tmp_path):
    path = tmp_path / "nps.csv"
    path.write_text(HEAD + 'u1,2026-03-01,10,8\nu2,2026-03-01,12,"7,5"\n')
    with pytest.raises(ValidationFailed) as raised:
        ingest_file(store, path, "outcomes", allow_unknown_units=True)
    [failed] = raised.value.report.failed
    assert failed.rule == "type:nps_score"
    row = failed.failures.iloc[0]
    assert (row["line"], row["value"]) == (3, "7,5")
    assert row["problem"] == "7,5 has a decimal comma; write 7.5"
    assert store.warehouse.scalar("SELECT count(*) FROM unit_segments") == 0


def test_only_decimal_commas_still_name_the_cells_not_minus_one(store, tmp_path):
    path = tmp_path / "nps.csv"
    path.write_text('unit_id,observed_at,nps_score\nu1,2026-03-01,"8,5"\nu2,2026-03-01,"7,5"\n')
    with pytest.raises(ValidationFailed) as raised:
        ingest_file(store, path, "outcomes", allow_unknown_units=True)
    report = raised.value.report
    assert [r.rule for r in report.failed] == ["type:nps_score"]
    assert report.failed[0].failures["line"].tolist() == [2, 3]
    assert "-1" not in report.summary()


def test_file_level_rules_say_what_failed_instead_of_minus_one(app):
    at = data_page(app, "rollouts", "r.csv", b"study,unit_id\nroll,r1\n")
    rules, _ = report_frames(at)
    failed = rules[rules["status"] == "failed"]
    assert failed["failed"].tolist() == ["missing column(s): treated_at"]
    assert (failed["failed_rows"] == "–").all()  # an empty cell, not Streamlit's "None"
    fix = failed["fix"].iloc[0]
    assert "column mapping table" in fix and "--map" not in fix  # the page's own words


def test_a_text_only_outcomes_file_names_its_text_cells(store, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("unit_id,observed_at,region\nu1,2026-03-01,north\n")
    with pytest.raises(ValidationFailed) as raised:
        ingest_file(store, path, "outcomes", allow_unknown_units=True)
    [failed] = raised.value.report.failed
    assert failed.what_failed.startswith("no column besides unit_id and observed_at")
    assert "'north' (line 2)" in failed.what_failed


def test_a_half_filled_mapping_row_is_named_not_read_as_nan():
    assert mapping_from_rows([("cust", "unit_id"), (None, None), (float("nan"), "")]) == {
        "cust": "unit_id"
    }
    with pytest.raises(InvalidInput, match="file column 'cust' but no contract column"):
        mapping_from_rows([("cust", float("nan"))])
    with pytest.raises(InvalidInput, match="contract column 'unit_id' but no file column"):
        mapping_from_rows([(None, "unit_id")])


def test_repeated_outcome_rows_are_refused_then_accepted_on_request(store, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text(HEAD + "u1,2026-03-01,10,8\nu1,2026-03-01,10,8\nu2,2026-03-01,3,1\n")
    with pytest.raises(ValidationFailed) as raised:
        ingest_file(store, path, "outcomes", allow_unknown_units=True)
    [failed] = raised.value.report.failed
    assert failed.rule == "duplicate_rows" and failed.failed_rows == 1
    assert failed.failures["problem"].tolist() == ["repeats line 2 exactly"]
    assert "--allow-duplicate-rows" in failed.fix
    assert store.warehouse.scalar("SELECT count(*) FROM outcomes") == 0
    result = ingest_file(
        store, path, "outcomes", allow_unknown_units=True, allow_duplicate_rows=True
    )
    assert result.report.warnings[0].rule == "duplicate_rows"
    assert store.warehouse.scalar("SELECT sum(value) FROM outcomes WHERE metric='revenue'") == 23


def test_the_page_offers_its_own_controls_for_repeats_and_unknown_units(app, store):
    content = (HEAD + "u1,2026-03-01,10,8\nu1,2026-03-01,10,8\n").encode()
    at = data_page(app, "outcomes", "o.csv", content)
    rules, failures = report_frames(at)
    fixes = " ".join(rules["fix"])
    assert "'Store repeated rows as they are'" in fixes and "--allow" not in fixes
    assert "repeats line 2 exactly" in failures["problem"].tolist()
    at.run()  # the report stays while the page reruns (a download, another widget)
    assert report_frames(at)[0].equals(rules)
    next(c for c in at.checkbox if c.label == "Store repeated rows as they are").check().run()
    next(b for b in at.button if b.label == "Validate and store").click().run()
    fixes = " ".join(report_frames(at)[0]["fix"])  # now the stored-data rules speak
    assert "'Store rows for units no study knows yet'" in fixes
    assert "--allow-unknown-units" not in fixes
    label = "Store rows for units no study knows yet"
    next(c for c in at.checkbox if c.label == label).check().run()
    next(b for b in at.button if b.label == "Validate and store").click().run()
    assert not at.exception
    assert any("Stored 2 rows" in s.value for s in at.success)
    assert not [d for d in at.dataframe if "problem" in d.value.columns]  # report cleared


@pytest.fixture
def used(store, tmp_path):
    """A rollout upload a study depends on, and an outcomes upload a metric is defined on."""
    path = tmp_path / "regions.csv"
    path.write_bytes(ROLLOUT_CSV)
    rollouts = ingest_file(store, path, "rollouts").dataset
    store.catalog.save_study(StudyBase(name="roll", kind="did", primary_metric="tickets"))
    out = tmp_path / "t.csv"
    out.write_text("unit_id,observed_at,tickets\nr1,2026-03-01,3\n")
    outcomes = ingest_file(store, out, "outcomes", dataset="support").dataset
    store.catalog.save_metric(
        MetricDefinitionBase(name="tickets", dataset="support", column="tickets", aggregation="sum")
    )
    return rollouts, outcomes


def test_delete_is_refused_while_a_study_depends_then_forced_and_audited(store, used):
    rollouts, outcomes = used
    with pytest.raises(InUse) as raised:
        delete_upload(store, rollouts.id)
    assert raised.value.dependents == ["rollout study 'roll': its rollout dates are in this upload"]
    with pytest.raises(
        InUse, match="metric 'tickets': defined on dataset 'support', used by 'roll'"
    ):
        delete_upload(store, outcomes.id)
    assert store.warehouse.scalar("SELECT count(*) FROM rollouts") == 3
    delete_upload(store, rollouts.id, force=True)
    assert store.warehouse.scalar("SELECT count(*) FROM rollouts") == 0
    [entry] = [e for e in store.catalog.audit_log(20) if e.action == "delete_upload"]
    assert entry.detail["forced"] is True and entry.detail["rows"] == 3


def test_cli_delete_needs_force_for_a_used_upload(store, used):
    rollouts, _ = used
    refused = runner.invoke(cli, ["delete", rollouts.id])
    assert refused.exit_code != 0 and "impact delete --force" in refused.output
    assert store.warehouse.scalar("SELECT count(*) FROM rollouts") == 3
    done = runner.invoke(cli, ["delete", rollouts.id, "--force"])
    assert done.exit_code == 0, done.output
    assert "Deleted upload 'regions'" in done.output and "3 rows" in done.output
    assert store.warehouse.scalar("SELECT count(*) FROM rollouts") == 0


def _delete_flow(at: AppTest, dataset_id: str) -> AppTest:
    at.switch_page("pages/data.py").run()
    box = next(s for s in at.selectbox if s.label == "Upload to delete")
    box.set_value(dataset_id).run()
    next(b for b in at.button if b.label == "Delete this upload …").click().run()
    return at


def test_the_page_deletes_after_a_confirmation_naming_the_dataset(app, store, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text(HEAD + "u1,2026-03-01,10,8\nu2,2026-03-01,3,1\n")
    dataset = ingest_file(store, path, "outcomes", allow_unknown_units=True).dataset
    at = _delete_flow(app, dataset.id)
    [warning] = [w.value for w in at.warning]
    assert "Delete dataset sales (outcomes, 2 rows" in warning
    assert store.warehouse.scalar("SELECT count(*) FROM outcomes") == 4  # not yet
    next(b for b in at.button if b.label == "Delete").click().run()
    assert not at.exception
    assert any("Deleted dataset sales (2 rows)" in s.value for s in at.success)
    assert store.warehouse.scalar("SELECT count(*) FROM outcomes") == 0
    assert not any(d.value.shape[0] and "checksum" in d.value.columns for d in at.dataframe)


def test_the_page_asks_to_delete_anyway_when_a_study_depends(app, store, used):
    rollouts, _ = used
    at = _delete_flow(app, rollouts.id)
    assert any("rollout study 'roll'" in e.value for e in at.error)
    assert not [b for b in at.button if b.label == "Delete"]
    next(b for b in at.button if b.label == "Cancel").click().run()
    assert store.warehouse.scalar("SELECT count(*) FROM rollouts") == 3
    at = _delete_flow(at, rollouts.id)
    next(b for b in at.button if b.label == "Delete anyway").click().run()
    assert store.warehouse.scalar("SELECT count(*) FROM rollouts") == 0
    assert "regions" not in stored_datasets(at)["dataset"].tolist()
