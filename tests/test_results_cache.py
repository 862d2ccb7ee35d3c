"""Results kept beside a published version (impact.warehouse.results): a later reader, in
any process, gets exactly what a scan would give, and never a result of another version."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from impact.analysis.readiness import readiness
from impact.queries.did import stored
from impact.queries.did.panel import Panel
from impact.warehouse import Warehouse, results, versions
from tests.test_did_panel import SOURCE, load, make_rollout

COUNT = "SELECT count(*) AS n, sum(CAST(unit_id AS INT)) AS s FROM rollouts WHERE study = ?"


def _write(wh: Warehouse, units: range) -> None:
    with wh.transaction() as tx:
        for u in units:
            tx.execute("INSERT INTO rollouts VALUES ('d', 's', ?, NULL)", [str(u)])


def _kept_files(wh: Warehouse) -> list:
    folder = results.folder(versions.current_file(wh.path))
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _no_scans(monkeypatch) -> None:
    def refuse(self):
        raise AssertionError("the warehouse was opened: the result was not kept")

    monkeypatch.setattr(Warehouse, "_connect_version", refuse)


def test_a_kept_result_is_served_without_opening_the_warehouse(tmp_path, monkeypatch):
    wh = Warehouse(tmp_path / "w.duckdb")
    _write(wh, range(1, 5))
    first = wh.frame(COUNT, ["s"])
    assert wh.execute(COUNT, ["s"]).rows == [(4, 10)]
    assert len(_kept_files(wh)) == 2
    _no_scans(monkeypatch)
    again = Warehouse(tmp_path / "w.duckdb").frame(COUNT, ["s"])  # as a new process would
    pd.testing.assert_frame_equal(again, first)
    assert again is not first  # a copy: a caller changing it changes nothing kept
    assert Warehouse(tmp_path / "w.duckdb").execute(COUNT, ["s"]).rows == [(4, 10)]
    with pytest.raises(AssertionError, match="not kept"):
        wh.frame(COUNT, ["other"])  # other parameters are another statement


def test_a_write_publishes_a_version_whose_reads_are_new_and_drops_the_old_results(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    _write(wh, range(1, 5))
    assert wh.execute(COUNT, ["s"]).rows == [(4, 10)]
    old = results.folder(versions.current_file(wh.path))
    assert old.is_dir()
    _write(wh, range(5, 7))
    assert wh.execute(COUNT, ["s"]).rows == [(6, 21)]
    assert not old.exists()  # removed with its version
    assert results.folder(versions.current_file(wh.path)).is_dir()


def test_reads_after_a_session_creates_a_table_are_not_kept(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    _write(wh, range(1, 3))
    with wh.session() as s:
        s.execute("CREATE TEMP TABLE t AS SELECT 1 AS x")
        assert s.execute("SELECT count(*) FROM t").rows == [(1,)]
    with wh.session() as s:
        s.execute("CREATE TEMP TABLE t AS SELECT 1 AS x UNION ALL SELECT 2")
        assert s.execute("SELECT count(*) FROM t").rows == [(2,)]


def test_switched_off_and_big_results_are_not_kept(tmp_path, monkeypatch):
    wh = Warehouse(tmp_path / "w.duckdb")
    _write(wh, range(1, 3))
    monkeypatch.setenv(results.SWITCH, "0")
    wh.execute(COUNT, ["s"])
    assert _kept_files(wh) == []
    monkeypatch.delenv(results.SWITCH)
    monkeypatch.setattr(results, "MAX_CELLS", 5)
    wh.frame("SELECT range AS i FROM range(10)")
    assert _kept_files(wh) == []
    wh.frame("SELECT range AS i FROM range(5)")
    assert len(_kept_files(wh)) == 1


def test_a_legacy_plain_file_is_read_but_nothing_is_kept(tmp_path):
    import duckdb

    from impact.warehouse.schema import TABLES

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for ddl in TABLES.values():
        con.execute(ddl)
    con.close()
    wh = Warehouse(path)
    assert wh.execute("SELECT count(*) FROM rollouts").rows == [(0,)]
    assert not list(tmp_path.glob("*.results"))


def test_readiness_in_a_fresh_process_reads_kept_results_and_agrees(demo_store, monkeypatch):
    first = [r.summary() for r in readiness(demo_store)]
    code = textwrap.dedent("""
        import json, sys
        from impact.analysis.readiness import readiness
        from impact.catalog import Catalog
        from impact.store import Store
        from impact.warehouse import Warehouse
        def refuse(self):
            raise AssertionError("scanned")
        Warehouse._connect_version = refuse
        store = Store(Warehouse(sys.argv[1]), Catalog(sys.argv[2]), "t")
        print(json.dumps([r.summary() for r in readiness(store)], default=str))
    """)
    out = subprocess.run(
        [sys.executable, "-c", code, str(demo_store.warehouse.path), demo_store.catalog.url],
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    def steady(rows):  # the age moves on with the clock between the two runs
        return [{k: v for k, v in r.items() if k != "age_days"} for r in rows]

    assert steady(json.loads(out.stdout)) == steady(json.loads(json.dumps(first, default=str)))


def test_a_panel_opened_again_serves_its_moments_without_building_its_tables(
    store, tmp_path, monkeypatch
):
    rng = np.random.default_rng(5)
    adoption = {f"u{i:02d}": s for i, s in enumerate((3, 4, None) * 4)}
    load(store, tmp_path, *make_rollout(rng, adoption))
    with Panel.open(store.warehouse, SOURCE) as panel:
        within, event, cohorts = panel.within(), panel.event(3, 2), panel.cohorts()
    built = []
    real = stored.create_tables
    monkeypatch.setattr(stored, "create_tables", lambda *a: built.append(1) or real(*a))
    with Panel.open(store.warehouse, SOURCE) as panel:
        assert panel.within().sxy == within.sxy
        np.testing.assert_array_equal(panel.event(3, 2)[1], event[1])
        np.testing.assert_array_equal(panel.cohorts().cross, cohorts.cross)
        assert built == []
        cross = panel.cluster_cross()  # needs the within table, which only a build makes
        assert built == [1]
    assert np.trace(cross.cy) == pytest.approx(within.sxy, rel=1e-9)


OVERVIEW_WITHOUT_SCANS = textwrap.dedent("""
    import sys
    from impact.warehouse import Warehouse
    if sys.argv[1] == "kept":
        def refuse(self):
            raise AssertionError("the Overview scanned the warehouse")
        Warehouse._connect_version = refuse
    sys.argv = ["impact", "overview", "--json"]
    from impact.cli import app
    app()
""")


def test_the_demo_prepares_the_overview_so_a_fresh_process_reads_no_rows(small_demo):
    """`impact demo` ends with `impact warm`: the Overview then needs no scan, and says what a
    scan says."""
    import json
    import os

    def overview(mode: str) -> dict:
        env = {**os.environ, results.SWITCH: "1" if mode == "kept" else "0"}
        done = subprocess.run(
            [sys.executable, "-c", OVERVIEW_WITHOUT_SCANS, mode],
            capture_output=True,
            text=True,
            env=env,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout)

    def rounded(value):  # DuckDB's parallel sums may differ in the last digits run to run
        if isinstance(value, float):
            return float(f"{value:.10g}")
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rounded(v) for v in value]
        return value

    kept, scanned = overview("kept"), overview("scan")
    assert rounded(kept) == rounded(scanned)
    assert kept["value_per_year"]["estimate"] != 0 and len(kept["lines"]) >= 4


def test_impact_warm_says_what_it_did_and_refuses_spark(small_demo, monkeypatch):
    from typer.testing import CliRunner

    from impact.cli import app

    folder = results.folder(versions.current_file(small_demo.warehouse.path))
    shutil.rmtree(folder)
    done = CliRunner().invoke(app, ["warm"])
    assert done.exit_code == 0, done.output
    assert "Ready in" in done.output and len(list(folder.iterdir())) > 20
    monkeypatch.setenv("IMPACT_ENGINE", "spark")
    refused = CliRunner().invoke(app, ["warm"])
    assert refused.exit_code != 0 and "Leave out --engine spark" in refused.output
