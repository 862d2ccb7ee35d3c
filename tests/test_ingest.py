"""Ingestion: round trips for every fact and format, every rule, duplicates, atomicity."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from impact.catalog import MetricDefinitionBase, StudyBase
from impact.errors import DuplicateUpload, InvalidInput, ValidationFailed
from impact.ingest import ingest_file, validate_file

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)

GOOD = {
    "assignments": pd.DataFrame(
        {
            "experiment": ["exp"] * 4,
            "unit_id": ["u1", "u2", "u3", "u4"],
            "arm": ["control", "treatment", "control", "treatment"],
            "assigned_at": pd.date_range(T0, periods=4, freq="h"),
        }
    ),
    "rollouts": pd.DataFrame(
        {
            "study": ["roll"] * 3,
            "unit_id": ["r1", "r2", "r3"],
            "treated_at": [T0, T0 + pd.Timedelta(days=7), pd.NaT],
        }
    ),
    "predictions": pd.DataFrame(
        {
            "prediction_id": ["p1", "p2", "p3"],
            "model": ["fraud"] * 3,
            "model_version": ["v1", "v1", "v2"],
            "unit_id": ["u1", "u2", "u3"],
            "predicted_at": pd.date_range(T0, periods=3, freq="D"),
            "score": [0.1, 0.85, 0.5],
            "prediction": [0.0, 1.0, 0.0],
            "actual": [0.0, 1.0, None],
            "labeled_at": [T0 + pd.Timedelta(days=30), T0 + pd.Timedelta(days=31), pd.NaT],
            "latency_ms": [12.5, 30.0, 8.0],
            "served": [True, True, False],
            "amount": [10.0, 250.0, 40.0],
            "merchant": ["grocery", "travel", "grocery"],
        }
    ),
    "outcomes": pd.DataFrame(
        {
            "unit_id": ["u1", "u1", "u2", "u3"],
            "observed_at": pd.date_range(T0, periods=4, freq="D"),
            "revenue": [10.0, 5.5, 0.0, 7.25],
            "retained": [1.0, 1.0, 0.0, 1.0],
            "region": ["north", "north", "south", "east"],
        }
    ),
}


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        # Excel has no time zones: write naive UTC, which ingest reads as UTC.
        naive = frame.apply(lambda c: c.dt.tz_convert(None) if hasattr(c, "dt") else c)
        naive.to_excel(path, index=False)
    return path


def csv(tmp_path: Path, text: str, name: str = "file.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def seed_units(store, tmp_path):
    ingest_file(store, write(GOOD["assignments"], tmp_path / "seed.csv"), "assignments")


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
@pytest.mark.parametrize("kind", ["assignments", "rollouts", "predictions", "outcomes"])
def test_round_trip_every_fact_and_format(store, tmp_path, kind, fmt):
    if kind == "outcomes":
        seed_units(store, tmp_path)
    frame = GOOD[kind]
    result = ingest_file(store, write(frame, tmp_path / f"good.{fmt}"), kind)
    assert result.report.ok and result.dataset.rows == len(frame)
    wh = store.warehouse
    if kind == "outcomes":
        stored = wh.frame(
            "SELECT unit_id, observed_at, metric, value FROM outcomes "
            "WHERE dataset_id = ? ORDER BY metric, observed_at",
            [result.dataset.id],
        )
        expected = frame.melt(["unit_id", "observed_at", "region"], var_name="metric")
        expected = expected.sort_values(["metric", "observed_at"]).reset_index(drop=True)
        assert stored["value"].tolist() == expected["value"].tolist()
        assert stored["metric"].tolist() == expected["metric"].tolist()
        segments = wh.frame("SELECT unit_id, value FROM unit_segments ORDER BY unit_id")
        assert segments.values.tolist() == [["u1", "north"], ["u2", "south"], ["u3", "east"]]
        return
    columns = [c for c in frame.columns if c not in ("amount", "merchant")]
    stored = wh.frame(f"SELECT {', '.join(columns)} FROM {kind} ORDER BY {columns[1]}")
    for col in columns:
        got, want = stored[col], frame[col]
        if pd.api.types.is_datetime64_any_dtype(want):
            got = pd.to_datetime(got, utc=True).dt.as_unit("us")
            want = want.dt.as_unit("us")
            assert (
                got.equals(want)
                or (got.isna() == want.isna()).all()
                and (got.dropna() == want.dropna()).all()
            ), col
        else:
            assert [None if pd.isna(v) else v for v in got] == [
                None if pd.isna(v) else v for v in want
            ], col
    if kind == "predictions":
        features = wh.frame(
            "SELECT prediction_id, feature, number_value, text_value "
            "FROM prediction_features ORDER BY feature, prediction_id"
        )
        assert features["number_value"].dropna().tolist() == [10.0, 250.0, 40.0]
        assert features["text_value"].dropna().tolist() == ["grocery", "travel", "grocery"]
        assert [m.name for m in store.catalog.models()] == ["fraud"]
        assert [v.version for v in store.catalog.model_versions("fraud")] == ["v1", "v2"]


def test_timestamps_with_and_without_zone_and_thousands_separators(store, tmp_path):
    seed_units(store, tmp_path)
    path = csv(
        tmp_path,
        "unit_id,observed_at,revenue\n"
        'u1,2026-03-01 10:00:00+02:00,"1,234,567.5"\n'
        "u2,2026-03-01T08:00:00Z,12\n"
        "u3,2026-03-01 08:00:00,-3.5\n"
        'u4,2026-03-01,"2,000"\n',
    )
    ingest_file(store, path, "outcomes")
    rows = store.warehouse.execute(
        "SELECT unit_id, observed_at, value FROM outcomes ORDER BY unit_id"
    ).rows
    eight = datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert [r[1] for r in rows[:3]] == [eight, eight, eight]
    assert rows[3][1] == datetime(2026, 3, 1, tzinfo=UTC)
    assert [r[2] for r in rows] == [1234567.5, 12.0, -3.5, 2000.0]


def test_column_mapping_and_loose_names(store, tmp_path):
    path = csv(
        tmp_path,
        "exp_name,Unit ID,variant,when\nexp,a,control,2026-03-01\nexp,b,treatment,2026-03-02\n",
    )
    result = ingest_file(
        store,
        path,
        "assignments",
        mapping={"exp_name": "experiment", "variant": "arm", "when": "assigned_at"},
    )
    assert result.dataset.mapping == {
        "exp_name": "experiment",
        "variant": "arm",
        "when": "assigned_at",
        "Unit ID": "unit_id",
    }
    assert store.warehouse.scalar("SELECT count(*) FROM assignments") == 2


def test_mapping_that_names_a_missing_column_is_refused(store, tmp_path):
    path = write(GOOD["assignments"], tmp_path / "a.csv")
    with pytest.raises(InvalidInput, match="'nope'.*does not have"):
        ingest_file(store, path, "assignments", mapping={"nope": "arm"})


# One file per rule: (kind, csv text, rule that must fail, failing lines).
BROKEN = {
    "required_columns": (
        "assignments",
        "experiment,unit_id,assigned_at\nexp,u1,2026-03-01\n",
        None,
    ),
    "has_rows": ("assignments", "experiment,unit_id,arm,assigned_at\n", None),
    "missing:unit_id": (
        "assignments",
        "experiment,unit_id,arm,assigned_at\nexp,u9,control,2026-03-01\nexp,,control,2026-03-01\n",
        [3],
    ),
    "type:assigned_at": (
        "assignments",
        "experiment,unit_id,arm,assigned_at\nexp,u9,control,2026-03-01\n"
        "exp,u8,control,31/02/2026\nexp,u7,control,yesterday\n",
        [3, 4],
    ),
    "range:assigned_at": (
        "assignments",
        "experiment,unit_id,arm,assigned_at\nexp,u9,control,1066-10-14\n",
        [2],
    ),
    "duplicate_key": (
        "assignments",
        "experiment,unit_id,arm,assigned_at\nexp,u9,control,2026-03-01\n"
        "exp,u8,control,2026-03-01\nexp,u9,treatment,2026-03-02\n",
        [4],
    ),
    "declared_arms": (
        "assignments",
        "experiment,unit_id,arm,assigned_at\nexp,u9,control,2026-03-01\n"
        "exp,u8,treatmnet,2026-03-01\n",
        [3],
    ),
    "key_not_stored": (
        "assignments",
        "experiment,unit_id,arm,assigned_at\nexp,u1,control,2026-03-01\n",
        [2],
    ),
    "type:score": (
        "predictions",
        "prediction_id,model,model_version,unit_id,predicted_at,score\n"
        "q1,m,v1,u1,2026-03-01,0.5\nq2,m,v1,u1,2026-03-01,high\n"
        "q3,m,v1,u1,2026-03-01,inf\n",
        [3, 4],
    ),
    "type:served": (
        "predictions",
        "prediction_id,model,model_version,unit_id,predicted_at,score,served\n"
        "q1,m,v1,u1,2026-03-01,0.5,yes\nq2,m,v1,u1,2026-03-01,0.5,maybe\n",
        [3],
    ),
    "non_negative:latency_ms": (
        "predictions",
        "prediction_id,model,model_version,unit_id,predicted_at,score,"
        "latency_ms\nq1,m,v1,u1,2026-03-01,0.5,3\n"
        "q2,m,v1,u1,2026-03-01,0.5,-4\n",
        [3],
    ),
    "label_after_prediction": (
        "predictions",
        "prediction_id,model,model_version,unit_id,predicted_at,score,"
        "actual,labeled_at\nq1,m,v1,u1,2026-03-05,0.5,1,2026-03-01\n",
        [2],
    ),
    "has_metric": ("outcomes", "unit_id,observed_at,region\nu1,2026-03-01,north\n", None),
    "type:revenue": (
        "outcomes",
        "unit_id,observed_at,revenue\n" + "u1,2026-03-01,5\n" * 12 + "u2,2026-03-02,twelve\n",
        [14],
    ),
    "non_negative:minutes": (
        "outcomes",
        "unit_id,observed_at,minutes\nu1,2026-03-01,5\nu2,2026-03-01,-2\n",
        [3],
    ),
    "known_units": (
        "outcomes",
        "unit_id,observed_at,revenue\nu1,2026-03-01,5\nstranger,2026-03-01,5\n",
        [3],
    ),
}


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_each_rule_blocks_its_broken_file_and_changes_nothing(store, tmp_path, rule):
    seed_units(store, tmp_path)  # u1..u4 assigned in exp (control, treatment)
    store.catalog.save_metric(
        MetricDefinitionBase(
            name="minutes", dataset="file", column="minutes", value_kind="time", unit="minutes"
        )
    )
    before = store.warehouse.table_checksums()
    datasets_before = len(store.catalog.datasets())
    kind, text, lines = BROKEN[rule]
    with pytest.raises(ValidationFailed) as raised:
        ingest_file(store, csv(tmp_path, text), kind)
    report = raised.value.report
    failed = {r.rule: r for r in report.failed}
    assert rule in failed, report.summary()
    if lines is not None:
        assert failed[rule].failures["line"].tolist() == lines
        assert failed[rule].failed_rows == len(lines)
    assert failed[rule].fix, "every failure must say how to fix it"
    assert store.warehouse.table_checksums() == before
    assert len(store.catalog.datasets()) == datasets_before
    # The downloadable report carries the same rows.
    download = pd.read_csv(pd.io.common.StringIO(report.to_csv()))
    assert (download["rule"] == rule).sum() == max(failed[rule].failed_rows, 1)


def test_required_columns_message_names_the_columns_and_the_fix(store, tmp_path):
    with pytest.raises(ValidationFailed) as raised:
        ingest_file(store, csv(tmp_path, "experiment,unit\nexp,u1\n"), "assignments")
    message = str(raised.value)
    assert "unit_id" in message and "arm" in message and "assigned_at" in message
    assert "--map" in message


def test_unknown_units_can_be_accepted_explicitly(store, tmp_path):
    path = csv(tmp_path, "unit_id,observed_at,revenue\nstranger,2026-03-01,5\n")
    result = ingest_file(store, path, "outcomes", allow_unknown_units=True)
    assert result.report.rows == 1
    warning = next(r for r in result.report.results if r.rule == "known_units")
    assert warning.failed_rows == 1 and not warning.blocking


def test_same_file_twice_is_detected_and_stores_nothing(store, tmp_path):
    path = write(GOOD["assignments"], tmp_path / "a.csv")
    first = ingest_file(store, path, "assignments")
    before = store.warehouse.table_checksums()
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    with pytest.raises(
        DuplicateUpload, match=f"already uploaded as dataset '{first.dataset.name}'"
    ):
        ingest_file(store, copy, "assignments", dataset="other")
    assert store.warehouse.table_checksums() == before
    assert len(store.catalog.datasets()) == 1


def test_first_upload_declares_the_experiment_later_ones_are_checked(store, tmp_path):
    seed_units(store, tmp_path)
    study = store.catalog.study("exp")
    assert study.arms == ["control", "treatment"] and study.control_arm == "control"
    store.catalog.save_study(StudyBase(name="exp", kind="ab", arms=["control", "v1"]))
    path = csv(tmp_path, "experiment,unit_id,arm,assigned_at\nexp,u9,treatment,2026-03-01\n")
    with pytest.raises(ValidationFailed, match="declared"):
        ingest_file(store, path, "assignments")


def test_empty_treated_at_means_never_treated(store, tmp_path):
    path = csv(tmp_path, "study,unit_id,treated_at\ns,r1,2026-03-01\ns,r2,\n")
    ingest_file(store, path, "rollouts")
    assert store.warehouse.execute(
        "SELECT unit_id FROM rollouts WHERE treated_at IS NULL"
    ).rows == [("r2",)]


def test_excel_with_several_sheets_asks_which(store, tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        GOOD["rollouts"].assign(treated_at="2026-03-01").to_excel(
            writer, sheet_name="a", index=False
        )
        GOOD["rollouts"].assign(treated_at="2026-03-01").to_excel(
            writer, sheet_name="b", index=False
        )
    with pytest.raises(InvalidInput, match="2 sheets.*--sheet"):
        ingest_file(store, path, "rollouts")
    ingest_file(store, path, "rollouts", sheet="b")
    assert store.warehouse.scalar("SELECT count(*) FROM rollouts") == 3


def test_unsupported_and_oversized_files(store, tmp_path):
    with pytest.raises(InvalidInput, match="unsupported file type"):
        ingest_file(store, csv(tmp_path, "x", name="data.json"), "outcomes")
    big = csv(tmp_path, "unit_id,observed_at,revenue\n" + "u1,2026-03-01,1\n" * 50_000)
    with pytest.raises(InvalidInput, match="above the upload limit of 0.5 MB"):
        ingest_file(store, big, "outcomes", upload_limit_mb=0.5)


def test_row_limit_is_configurable_and_explained(store, tmp_path, monkeypatch):
    path = write(GOOD["assignments"], tmp_path / "a.csv")
    monkeypatch.setenv("IMPACT_ROW_LIMIT", "3")
    before = store.warehouse.table_checksums()
    with pytest.raises(
        InvalidInput, match="more than 3 rows, above the limit of 3 rows.*IMPACT_ROW_LIMIT"
    ):
        ingest_file(store, path, "assignments")
    assert store.warehouse.table_checksums() == before
    assert ingest_file(store, path, "assignments", row_limit=4).dataset.rows == 4


def test_progress_is_reported_in_order(store, tmp_path):
    seen = []
    ingest_file(
        store,
        write(GOOD["assignments"], tmp_path / "a.csv"),
        "assignments",
        progress=lambda f, m: seen.append(f),
    )
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 5


def test_validate_file_is_a_dry_run(store, tmp_path):
    report = validate_file(store, write(GOOD["rollouts"], tmp_path / "r.csv"), "rollouts")
    assert report.ok and report.rows == 3
    assert store.warehouse.scalar("SELECT count(*) FROM rollouts") == 0
