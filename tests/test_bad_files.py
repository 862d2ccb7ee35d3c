"""The bad-input corpus (tests/badfiles/make_corpus.py): every file is refused with a clear
message naming the problem and the fix, and the stored data stays byte-for-byte the same.

Also the decisions the corpus relies on: a UTF-8 BOM, UTF-16, semicolons and empty trailing
columns are read correctly; mixed time zones are stored in UTC with a warning; formula
cells are refused and neutralised in the report's CSV download; SQL in column names is data.
"""

from __future__ import annotations

import codecs
import importlib.util
import io
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from impact import errors
from impact.catalog import Catalog
from impact.errors import ImpactError, ValidationFailed
from impact.ingest import ingest_file
from impact.store import Store
from impact.warehouse import Warehouse

_spec = importlib.util.spec_from_file_location(
    "make_corpus", Path(__file__).parent / "badfiles" / "make_corpus.py"
)
corpus = importlib.util.module_from_spec(_spec)
sys.modules["make_corpus"] = corpus  # dataclasses look their module up there
_spec.loader.exec_module(corpus)

A = corpus.A


def catalog_state(store: Store) -> list[str]:
    """Datasets, studies and models as text: compared byte for byte before and after."""
    catalog = store.catalog
    items = [*catalog.datasets(), *catalog.studies(), *catalog.models()]
    return [repr(item.model_dump()) for item in items]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Store:
    """One store holding the seed uploads; every bad file is tried against it in turn."""
    root = tmp_path_factory.mktemp("badfiles-store")
    store = Store(Warehouse(root / "impact.duckdb"), Catalog(f"sqlite:///{root}/catalog.sqlite"))
    for name, (kind, path) in corpus.write_seed(root / "seed").items():
        ingest_file(store, path, kind, dataset=Path(name).stem)
    return store


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory) -> dict[str, tuple]:
    written = corpus.make_corpus(tmp_path_factory.mktemp("badfiles"))
    return {bad.name: (bad, path) for bad, path in written}


def test_the_corpus_is_large_enough_and_names_are_unique():
    names = [bad.name for bad, _ in corpus.CASES]
    assert len(names) >= 40 and len(set(names)) == len(names)


@pytest.mark.parametrize("name", [bad.name for bad, _ in corpus.CASES])
def test_bad_file_is_refused_clearly_and_changes_nothing(seeded, bad_files, name):
    bad, path = bad_files[name]
    before = seeded.warehouse.table_checksums(), catalog_state(seeded)
    assert sum(int(v.split(":")[0]) for v in before[0].values()) > 0  # data is stored

    with pytest.raises(ImpactError) as raised:  # nothing else: no crash, no traceback
        ingest_file(seeded, path, bad.kind, **bad.options)

    error = raised.value
    assert type(error) is getattr(errors, bad.error), str(error)
    message = str(error)
    for fragment in bad.says:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    if bad.rule is not None:
        failed = {r.rule: r for r in error.report.failed}
        assert bad.rule in failed, message
        assert failed[bad.rule].fix  # every failing rule says how to fix it
    # The process goes on, and the store is exactly as it was.
    assert seeded.warehouse.table_checksums() == before[0]
    assert catalog_state(seeded) == before[1]


def test_the_store_still_takes_a_good_file_after_the_corpus(seeded, bad_files, tmp_path):
    path = tmp_path / "good.csv"
    path.write_text(A + "exp,u5,control,2026-03-05\n")
    result = ingest_file(seeded, path, "assignments")
    assert result.dataset.rows == 1


def test_generator_script_writes_files_and_an_index(tmp_path):
    corpus.main(str(tmp_path))
    index = pd.read_csv(tmp_path / "cases.csv")
    assert len(index) == len(corpus.CASES) >= 40
    assert all((tmp_path / name).is_file() for name in index["file"])


# --- What is read correctly rather than refused ------------------------------------------

GOOD_ROWS = "exp,u1,control,2026-03-01\nexp,u2,treatment,2026-03-02\n"


@pytest.mark.parametrize(
    "name, content",
    [
        ("bom.csv", codecs.BOM_UTF8 + (A + GOOD_ROWS).encode()),
        ("utf16_no_bom.csv", (A + GOOD_ROWS).encode("utf-16-le")),
        ("utf16_bom_tabs.txt", (A + GOOD_ROWS).replace(",", "\t").encode("utf-16")),
        ("semicolons.csv", (A + GOOD_ROWS).replace(",", ";").encode()),
        ("crlf.csv", (A + GOOD_ROWS).replace("\n", "\r\n").encode()),
        ("trailing_commas.csv", (A + GOOD_ROWS).replace("\n", ",,\n").encode()),
    ],
)
def test_encodings_and_dialects_that_are_read_correctly(store, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    result = ingest_file(store, path, "assignments")
    assert result.report.ok and result.dataset.rows == 2
    rows = store.warehouse.execute(
        "SELECT experiment, unit_id, arm, assigned_at FROM assignments ORDER BY unit_id"
    ).rows
    assert rows == [
        ("exp", "u1", "control", datetime(2026, 3, 1, tzinfo=UTC)),
        ("exp", "u2", "treatment", datetime(2026, 3, 2, tzinfo=UTC)),
    ]


def test_utf16_text_keeps_its_accents(store, tmp_path):
    path = tmp_path / "rollouts.csv"
    path.write_bytes("study,unit_id,treated_at\nrøll,Zürich,2026-03-01\n".encode("utf-16-le"))
    ingest_file(store, path, "rollouts")
    assert store.warehouse.execute("SELECT study, unit_id FROM rollouts").rows == [
        ("røll", "Zürich")
    ]


def test_mixed_time_zones_are_stored_in_utc_with_a_warning(store, tmp_path):
    path = tmp_path / "zones.csv"
    path.write_text(
        A + "exp,u1,control,2026-03-01 10:00+02:00\n"
        "exp,u2,control,2026-03-01T03:00-05:00\n"
        "exp,u3,treatment,2026-03-01 08:00Z\n"
        "exp,u4,treatment,2026-03-01 08:00\n"
    )
    result = ingest_file(store, path, "assignments")
    stored = store.warehouse.execute("SELECT assigned_at FROM assignments ORDER BY unit_id").rows
    assert {r[0] for r in stored} == {datetime(2026, 3, 1, 8, tzinfo=UTC)}
    warning = next(r for r in result.report.results if r.rule == "zone:assigned_at")
    assert not warning.blocking and warning.failures["line"].tolist() == [5]
    assert "has no time zone (read as UTC)" in warning.failures["problem"][0]
    assert "warning, stored anyway" in result.report.summary()


def test_one_zone_throughout_gives_no_warning(store, tmp_path):
    path = tmp_path / "zones.csv"
    path.write_text(A + "exp,u1,control,2026-03-01 10:00+02:00\nexp,u2,control,2026-03-01 08:00Z\n")
    result = ingest_file(store, path, "assignments")
    assert all(r.passed for r in result.report.results if r.rule.startswith("zone:"))


def test_sql_in_a_column_name_is_stored_as_a_feature_name(store, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        corpus.P.replace("\n", ',"""; DROP TABLE predictions; --"\n')
        + "q1,fraud,v2,u1,2026-03-01,0.5,1,7\n"
    )
    ingest_file(store, path, "predictions")
    features = store.warehouse.execute("SELECT feature, number_value FROM prediction_features")
    assert features.rows == [(corpus.SQL_NAME, 7.0)]
    assert store.warehouse.scalar("SELECT count(*) FROM predictions") == 1


def test_formula_cells_are_refused_and_neutralised_in_the_report_download(store, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(A + "exp,u1,=1+1,2026-03-01\nexp,u2,@SUM(A1),2026-03-01\n")
    with pytest.raises(ValidationFailed) as raised:
        ingest_file(store, path, "assignments", dataset="f")
    download = raised.value.report.to_csv()
    frame = pd.read_csv(io.StringIO(download), dtype=str)
    formula = frame[frame["rule"] == "formula"]
    assert formula["value"].tolist() == ["'=1+1"]
    assert all(not str(v).startswith(("=", "+", "@")) for v in frame.stack())
    # Numbers stay numbers in the download (a negative value is not a formula).
    assert corpus_neutralise("-12") == "-12" and corpus_neutralise("+cmd") == "'+cmd"


def corpus_neutralise(cell: str) -> str:
    from impact.ingest.report import neutralise

    return neutralise(cell)
