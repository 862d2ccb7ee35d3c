"""Issue 14 (Correct data): cumulative re-exports, BC dates, rowid columns, concurrent
uploads, full disks, environment limits and messages that misled. Bad files of each kind
are in tests/badfiles/make_corpus.py; these tests check what a corpus case cannot."""

from __future__ import annotations

import errno
import subprocess
import threading
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from impact.analysis.portfolio import data_span
from impact.cli import app
from impact.cli.data import one_line
from impact.errors import InvalidInput, RowsAlreadyStored, StorageFull, ValidationFailed
from impact.ingest import ingest_file, write

runner = CliRunner()
OUT = "unit_id,observed_at,revenue,region\n"
MARCH = [f"u{i},2026-03-0{1 + i % 5},{i}.5,north\n" for i in range(6)]


def outcomes(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(OUT + "".join(lines))
    return path


def revenue(store) -> tuple[int, float]:
    n, total = store.warehouse.execute("SELECT count(*), sum(value) FROM outcomes").rows[0]
    return n, total


@pytest.fixture
def march(store, tmp_path):
    ingest_file(store, outcomes(tmp_path, "march.csv", MARCH), "outcomes", allow_unknown_units=True)
    return outcomes(tmp_path, "march_cumulative.csv", [*MARCH, "u9,2026-03-09,4,south\n"])


# --- 6. A cumulative re-export never doubles the money -------------------------------------


def test_cumulative_reexport_is_refused_with_the_count_and_the_choice(store, march):
    before = store.warehouse.table_checksums()
    with pytest.raises(RowsAlreadyStored) as raised:
        ingest_file(store, march, "outcomes", dataset="march", allow_unknown_units=True)
    assert raised.value.stored == 6 and raised.value.rows == 7
    assert "6 of the file's 7 rows are already stored in dataset 'march'" in str(raised.value)
    assert "append_new" in str(raised.value) and "replace" in str(raised.value)
    assert store.warehouse.table_checksums() == before


def test_append_new_stores_only_the_new_row(store, march):
    result = ingest_file(
        store,
        march,
        "outcomes",
        dataset="march",
        allow_unknown_units=True,
        on_existing="append_new",
    )
    assert result.dataset.rows == 1 and revenue(store) == (7, 22.0)
    assert "6 of 7 rows were already stored and were skipped." in result.notes
    segments = store.warehouse.execute("SELECT unit_id, value FROM unit_segments ORDER BY 1").rows
    assert segments.count(("u9", "south")) == 1 and len(segments) == 7


def test_replace_swaps_the_dataset_in_one_step(store, march):
    result = ingest_file(
        store, march, "outcomes", dataset="march", allow_unknown_units=True, on_existing="replace"
    )
    assert revenue(store) == (7, 22.0)
    assert [d.name for d in store.catalog.datasets()] == ["march"]
    assert store.warehouse.scalar("SELECT count(*) FROM loads") == 1
    assert result.dataset.rows == 7
    # The same file again with replace: still stored once.
    ingest_file(
        store, march, "outcomes", dataset="march", allow_unknown_units=True, on_existing="replace"
    )
    assert revenue(store) == (7, 22.0)


def test_replace_that_fails_half_way_keeps_the_old_rows(store, march, monkeypatch):
    def broken_insert(*args, **kwargs):
        raise RuntimeError("killed after the delete")

    monkeypatch.setattr(write, "_insert", broken_insert)
    before = store.warehouse.table_checksums()
    with pytest.raises(RuntimeError):
        ingest_file(
            store,
            march,
            "outcomes",
            dataset="march",
            allow_unknown_units=True,
            on_existing="replace",
        )
    assert store.warehouse.table_checksums() == before
    assert revenue(store) == (6, 18.0)


def test_keyed_facts_append_only_rows_not_stored(store, tmp_path):
    head = "experiment,unit_id,arm,assigned_at\n"
    first = tmp_path / "a.csv"
    first.write_text(head + "exp,u1,control,2026-03-01\nexp,u2,treatment,2026-03-01\n")
    ingest_file(store, first, "assignments")
    again = tmp_path / "a2.csv"
    again.write_text(first.read_text() + "exp,u3,control,2026-03-02\n")
    with pytest.raises(ValidationFailed, match="--on-existing append-new"):
        ingest_file(store, again, "assignments", dataset="a")
    ingest_file(store, again, "assignments", dataset="a", on_existing="append_new")
    assert store.warehouse.scalar("SELECT count(*) FROM assignments") == 3


def test_cli_and_page_name_their_own_controls(store, march):
    result = runner.invoke(
        app,
        ["ingest", str(march), "--kind", "outcomes", "--dataset", "march", "--allow-unknown-units"],
    )
    assert result.exit_code == 1
    assert "--on-existing append-new" in result.output and "--on-existing replace" in result.output
    ok = runner.invoke(
        app,
        [
            "ingest",
            str(march),
            "--kind",
            "outcomes",
            "--dataset",
            "march",
            "--allow-unknown-units",
            "--on-existing",
            "append-new",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert revenue(store) == (7, 22.0)
    page = (Path(__file__).parents[1] / "pages" / "data.py").read_text()
    assert all(words in page for words in ("If rows are already stored", "Validate and store"))


# --- 7. A stored BC date breaks nothing ----------------------------------------------------


def test_pages_and_health_survive_a_bc_date_already_stored(store, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        "prediction_id,model,model_version,unit_id,predicted_at,score,actual\n"
        + "".join(
            f"p{i},fraud,v1,u{i},2026-03-{1 + i % 20:02d},0.{i % 10},{i % 2}\n" for i in range(60)
        )
    )
    ingest_file(store, path, "predictions")
    with store.warehouse.transaction() as tx:  # as an upload before the real-date rule
        tx.execute(
            "UPDATE predictions SET predicted_at = TIMESTAMPTZ '2026-03-01 (BC)' "
            "WHERE prediction_id = 'p3'"
        )
    assert data_span(store)[0].year == 2026
    result = runner.invoke(app, ["health", "fraud"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def test_bc_assignment_is_refused_before_anything_is_stored(store, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("experiment,unit_id,arm,assigned_at\nexp,u1,control,2026-03-01 (BC)\n")
    with pytest.raises(ValidationFailed, match="outside 1900–2100"):
        ingest_file(store, path, "assignments")
    assert (
        store.catalog.studies() == [] and store.warehouse.scalar("SELECT count(*) FROM loads") == 0
    )


def test_an_upload_can_be_deleted_from_the_cli(store, march):
    name = store.catalog.datasets()[0].name
    result = runner.invoke(app, ["delete", name])
    assert result.exit_code == 0, result.output
    assert store.catalog.datasets() == [] and revenue(store)[0] == 0


# --- 8. Markers of missing values ------------------------------------------------------------


def test_na_cells_keep_a_metric_numeric_with_a_warning(store, tmp_path):
    lines = [f"u{i},2026-03-01,{'NA' if i % 3 == 0 else i},x\n" for i in range(12)]
    result = ingest_file(
        store, outcomes(tmp_path, "na.csv", lines), "outcomes", allow_unknown_units=True
    )
    assert "Metrics: revenue." in result.notes
    warning = next(r for r in result.report.results if r.rule == "empty_marker:revenue")
    assert not warning.blocking and warning.failures["line"].tolist() == [2, 5, 8, 11]
    assert revenue(store)[0] == 8


# --- 9. A column named rowid -------------------------------------------------------------------


def test_a_rowid_column_is_data_and_lines_stay_right(store, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "experiment,unit_id,arm,assigned_at,rowid\nexp,u1,control,2026-03-01,x\nexp,u2,c,bad,y\n"
    )
    with pytest.raises(ValidationFailed) as raised:
        ingest_file(store, path, "assignments")
    assert raised.value.report.failed[0].failures["line"].tolist() == [3]
    frame = pd.DataFrame(
        {
            "experiment": ["e"] * 3,
            "unit_id": ["a", "b", "c"],
            "arm": ["x"] * 3,
            "assigned_at": ["2026-03-01", "2026-03-01", "bad"],
            "rowid": [100, 200, 300],
        }
    )
    frame.to_parquet(tmp_path / "a.parquet")
    with pytest.raises(ValidationFailed) as raised:
        ingest_file(store, tmp_path / "a.parquet", "assignments")
    assert raised.value.report.failed[0].failures["line"].tolist() == [3]


# --- 11. Uploads at once in one process ------------------------------------------------------


def test_twelve_concurrent_uploads_in_one_process_all_succeed(store, tmp_path):
    errors, threads = [], []

    def upload(i: int) -> None:
        path = outcomes(tmp_path, f"c{i}.csv", [f"w{i},2026-03-01,{i},x\n"])
        try:
            ingest_file(store, path, "outcomes", allow_unknown_units=True)
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            errors.append(repr(exc))

    for i in range(12):
        threads.append(threading.Thread(target=upload, args=(i,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert revenue(store)[0] == 12


# --- 14. Full disks, missing folders, limits ----------------------------------------------------


def test_disk_full_during_the_write_says_so_and_changes_nothing(
    store, march, monkeypatch, tmp_path
):
    before = store.warehouse.table_checksums()
    real = write._insert

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(write, "_insert", full)
    small = outcomes(tmp_path, "april.csv", ["u1,2026-04-01,1,x\n"])
    with pytest.raises(StorageFull, match="is full, so nothing was stored") as raised:
        ingest_file(store, small, "outcomes", allow_unknown_units=True)
    assert "IMPACT_DATA_DIR" in str(raised.value)
    assert store.warehouse.table_checksums() == before
    monkeypatch.setattr(write, "_insert", real)
    assert ingest_file(store, small, "outcomes", allow_unknown_units=True).dataset.rows == 1


def test_a_full_temp_folder_names_tmpdir(store, march, monkeypatch):
    from impact.warehouse import Staging

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Staging, "read_csv", full)
    with pytest.raises(StorageFull, match="TMPDIR"):
        ingest_file(store, march, "outcomes", dataset="other", allow_unknown_units=True)


def test_a_really_full_disk_gives_its_space_back(tmp_path):
    """On a 3 MB tmpfs (needs root; skipped elsewhere) the warehouse fills the disk."""
    from impact.catalog import Catalog
    from impact.store import Store
    from impact.warehouse import Warehouse

    tiny = tmp_path / "tiny"
    tiny.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(tiny)], capture_output=True
    ).returncode:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        store = Store(Warehouse(tiny / "impact.duckdb"), Catalog(f"sqlite:///{tmp_path}/c.sqlite"))
        big = tmp_path / "big.csv"
        big.write_text(
            "unit_id,observed_at,revenue\n"
            + "".join(f"unit{i},2026-03-01,{i}.5\n" for i in range(600_000))
        )
        with pytest.raises(StorageFull):
            ingest_file(store, big, "outcomes", allow_unknown_units=True)
        small = tmp_path / "small.csv"
        small.write_text(
            "unit_id,observed_at,revenue\n" + "".join(f"s{i},2026-03-02,{i}\n" for i in range(6))
        )
        assert ingest_file(store, small, "outcomes", allow_unknown_units=True).dataset.rows == 6
    finally:
        subprocess.run(["umount", str(tiny)], check=False)


def test_report_into_a_missing_folder_is_refused_before_the_work(store, march, tmp_path):
    result = runner.invoke(
        app,
        ["ingest", str(march), "--kind", "outcomes", "--report", str(tmp_path / "no" / "r.csv")],
    )
    assert result.exit_code == 1
    assert "does not exist" in result.output and "--report" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value, ok", [("0.5", True), ("abc", False), ("0", False)])
def test_upload_limit_may_be_fractional_and_bad_values_are_named(store, monkeypatch, value, ok):
    monkeypatch.setenv("IMPACT_UPLOAD_LIMIT_MB", value)
    result = runner.invoke(app, ["datasets"])
    assert (result.exit_code == 0) is ok, result.output
    if not ok:
        assert "IMPACT_UPLOAD_LIMIT_MB" in result.output and "unset it" in result.output


# --- 15. Messages that misled ---------------------------------------------------------------------


def test_a_long_unquoted_cell_is_read(store, tmp_path):
    path = outcomes(
        tmp_path, "long.csv", [f"u1,2026-03-01,5,{'x' * 5_000_000}\n", "u2,2026-03-01,6,y\n"]
    )
    result = ingest_file(store, path, "outcomes", allow_unknown_units=True)
    assert result.dataset.rows == 2
    assert store.warehouse.scalar("SELECT max(length(value)) FROM unit_segments") == 5_000_000


def test_an_offset_after_a_space_is_read(store, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "experiment,unit_id,arm,assigned_at\nexp,u1,control,2026-03-01 10:00:00 +0000\n"
        "exp,u2,control,2026-03-01 10:00 +05:30\n"
    )
    ingest_file(store, path, "assignments")
    hours = store.warehouse.execute(
        "SELECT hour(assigned_at), minute(assigned_at) FROM assignments ORDER BY unit_id"
    ).rows
    assert hours == [(10, 0), (4, 30)]


def test_a_newline_in_a_stored_name_cannot_forge_listing_lines(store, march):
    dataset = store.catalog.datasets()[0]
    store.catalog.remove_dataset(dataset.id)
    forged = type(dataset)(**{**dataset.model_dump(), "name": "march\nfake  outcomes  999"})
    store.catalog.add_dataset(forged)  # as an older version would have stored it
    result = runner.invoke(app, ["datasets"])
    listing, _, readiness = result.output.partition("\nReadiness\n")
    assert result.exit_code == 0 and len(listing.strip().splitlines()) == 1
    assert readiness.splitlines()[0].startswith("march\\nfake  outcomes  999")  # escaped too
    assert one_line("a\nb\x1b") == "a\\nb\\x1b"
    with pytest.raises(InvalidInput, match="U\\+000A"):
        ingest_file(store, march, "outcomes", dataset="x\ny", allow_unknown_units=True)
