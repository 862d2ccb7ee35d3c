"""DuckDB SQL written for Spark (no Spark needed): parameters become literals in the tree,
never text; percentiles stay exact; a sources file maps the user's tables."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

pytest.importorskip("sqlglot", reason="SQLGlot is not installed (pip install 'impact[spark]')")

from impact.errors import InvalidInput  # noqa: E402
from impact.warehouse.dialect import to_spark  # noqa: E402
from impact.warehouse.sources import parse_sources, read_sources  # noqa: E402


def test_parameters_are_literals_not_text():
    hostile = "x' OR '1'='1 \\' --"
    sql = to_spark("SELECT a FROM t WHERE b = $name", {"name": hostile}).sql
    # Spark reads backslash escapes in string literals: quotes and backslashes escaped.
    assert sql == r"SELECT a FROM t WHERE b = 'x\' OR \'1\'=\'1 \\\' --'"
    with pytest.raises(InvalidInput, match="more \\? parameters"):
        to_spark("SELECT a FROM t WHERE b = ? AND c = ?", [1])
    with pytest.raises(InvalidInput, match="\\$missing"):
        to_spark("SELECT $missing", {})


def test_values_keep_their_types():
    when = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    sql = to_spark("SELECT ?, ?, ?, ?, ?, 1.5, 2", [when, float("-inf"), True, None, 0.1]).sql
    assert "CAST('2024-03-01 12:30:00' AS TIMESTAMP)" in sql
    assert "CAST('-Infinity' AS DOUBLE)" in sql
    assert "TRUE" in sql and "NULL" in sql and "CAST(0.1 AS DOUBLE)" in sql
    assert "CAST(1.5 AS DOUBLE)" in sql  # DuckDB computes with 1.5 as a double


def test_percentiles_are_exact_and_temp_tables_named():
    statement = to_spark(
        "CREATE OR REPLACE TEMP TABLE b AS SELECT percentile_cont($q) WITHIN GROUP "
        "(ORDER BY y) AS lo FROM t",
        {"q": 0.05},
    )
    assert statement.temp_table == "b"
    assert statement.sql == "SELECT PERCENTILE(y, CAST(0.05 AS DOUBLE)) AS lo FROM t"
    assert "APPROX" not in statement.sql


def test_duckdb_only_functions_are_rewritten():
    sql = to_spark(
        "SELECT epoch(b - a) / 3600.0, quantile_cont(h, 0.9), CAST(timezone('UTC', t) AS DATE) "
        "FROM d"
    ).sql
    assert "(UNIX_MICROS(b) - UNIX_MICROS(a)) / CAST(1000000.0 AS DOUBLE)" in sql
    assert "PERCENTILE(h, CAST(0.9 AS DOUBLE))" in sql
    assert "CAST(t AS DATE)" in sql  # the Spark session runs in UTC


def test_sources_file_maps_a_wide_table(tmp_path):
    spec = {
        "datasets": [
            {
                "name": "shop",
                "kind": "outcomes",
                "table": "lake.sales",
                "columns": {"unit_id": "customer", "observed_at": "ts"},
                "metrics": ["revenue"],
                "segments": ["region"],
            }
        ]
    }
    (tmp_path / "s.json").write_text(json.dumps(spec))
    sources = read_sources(tmp_path / "s.json")
    views = "\n".join(sources.view_statements())
    assert "CAST(`customer` AS STRING) AS unit_id" in views
    assert "CAST('revenue' AS STRING) AS metric" in views
    assert "FROM `lake`.`sales` WHERE `revenue` IS NOT NULL" in views
    assert "CAST('region' AS STRING) AS segment" in views
    with pytest.raises(InvalidInput, match="either a table name or a path"):
        parse_sources({"datasets": [{"name": "x", "kind": "outcomes"}]})
    with pytest.raises(InvalidInput, match="kind must be one of"):
        parse_sources({"datasets": [{"name": "x", "kind": "sales", "table": "t"}]})
