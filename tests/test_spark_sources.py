"""Warehouse-native sources: the user's own tables (their column names, metrics as wide
columns), read in place by Spark through a column mapping, give the statistics the same
rows give on DuckDB; the data contract is checked on Spark by SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from tests.spark_support import SPARK_TEST_CONF, assert_same, skip_without_spark

pytestmark = pytest.mark.spark

START = datetime(2024, 1, 1, tzinfo=UTC)


def _user_tables(folder):
    """An experiment table and a wide outcomes table as a team would keep them."""
    units = [f"c{i}" for i in range(60)]
    assign = pd.DataFrame(
        {
            "customer_id": units,
            "variant": ["control" if i % 2 else "treat" for i in range(60)],
            "ts": [START + timedelta(hours=i) for i in range(60)],
        }
    )
    rows = []
    for i, unit in enumerate(units):
        for day in (-3, 1, 2, 9):
            rows.append(
                (
                    unit,
                    START + timedelta(days=day, hours=i),
                    float(i % 7 + day),
                    None if i % 5 == 0 else float(i % 3),
                    "north" if i % 3 else "south",
                )
            )
    outcomes = pd.DataFrame(rows, columns=["customer_id", "day", "revenue", "visits", "region"])
    assign.to_parquet(folder / "assign.parquet")
    outcomes.to_parquet(folder / "sales.parquet")
    return assign, outcomes


def _duckdb_copy(store, assign, outcomes):
    """The same facts in the DuckDB warehouse's long layout."""
    with store.warehouse.transaction() as tx:
        tx.execute(
            "INSERT INTO loads VALUES ('a', 'exp', 'assignments', 'f', '', 60, '{}', 'x', ?)",
            [START],
        )
        tx.execute(
            "INSERT INTO loads VALUES ('o', 'sales', 'outcomes', 'f', '', 240, '{}', 'x', ?)",
            [START],
        )
        for r in assign.itertuples(index=False):
            tx.execute(
                "INSERT INTO assignments VALUES ('a', 'exp', ?, ?, ?)",
                [r.customer_id, r.variant, r.ts],
            )
        for r in outcomes.itertuples(index=False):
            for metric in ("revenue", "visits"):
                value = getattr(r, metric)
                if value == value and value is not None:
                    tx.execute(
                        "INSERT INTO outcomes VALUES ('o', ?, ?, ?, ?)",
                        [r.customer_id, r.day, metric, value],
                    )
            tx.execute(
                "INSERT INTO unit_segments VALUES ('o', ?, 'region', ?)", [r.customer_id, r.region]
            )


def test_mapped_tables_give_the_same_statistics(store, tmp_path):
    skip_without_spark()
    from impact.queries.ab import MetricSource, arm_stats, segment_stats
    from impact.queries.source_checks import check_source
    from impact.warehouse.sources import parse_sources
    from impact.warehouse.spark import SparkWarehouse

    assign, outcomes = _user_tables(tmp_path)
    _duckdb_copy(store, assign, outcomes)
    spec = {
        "datasets": [
            {
                "name": "exp",
                "kind": "assignments",
                "path": str(tmp_path / "assign.parquet"),
                "columns": {"unit_id": "customer_id", "arm": "variant", "assigned_at": "ts"},
                "values": {"experiment": "exp"},
            },
            {
                "name": "sales",
                "kind": "outcomes",
                "path": str(tmp_path / "sales.parquet"),
                "columns": {"unit_id": "customer_id", "observed_at": "day"},
                "metrics": ["revenue", "visits"],
                "segments": ["region"],
            },
            {
                "name": "bad",
                "kind": "assignments",
                "path": str(tmp_path / "assign.parquet"),
                "columns": {"unit_id": "variant", "assigned_at": "customer_id"},
                "values": {"experiment": "exp-bad", "arm": "holdout"},
            },
        ]
    }
    spark = SparkWarehouse("local[1]", parse_sources(spec), SPARK_TEST_CONF)
    ratio = MetricSource("sales", "revenue", "ratio", "visits")

    def compute(db):
        return [
            arm_stats(db, "exp", MetricSource("sales", "revenue", "sum"), window_days=7),
            arm_stats(db, "exp", ratio, window_days=7, cap=(0.1, 0.9)),
            segment_stats(
                db, "exp", MetricSource("sales", "visits", "mean"), window_days=7, segment="region"
            ),
        ]

    stats = compute(store.warehouse)
    assert_same(stats, compute(spark))
    assert stats[0]["treat"].y.n == 30 and stats[0]["treat"].x.sum != 0  # CUPED pre-period

    ok = check_source(spark, 0, {"exp": {"control", "treat"}})
    assert ok.ok, ok.summary()
    assert ok.rows == 60
    bad = check_source(spark, 2, {"exp-bad": {"control", "treat"}})
    failed = {r.rule for r in bad.failed}
    assert {"column_types", "unique_key", "declared_arms"} <= failed, bad.summary()


def test_empty_keys_and_negative_values_are_counted_on_spark(tmp_path):
    """The row rules' counts, taken in one pass over the user's table, each land on their
    own rule: two empty unit ids, three negative latencies."""
    skip_without_spark()
    from impact.queries.source_checks import check_source
    from impact.warehouse.sources import parse_sources
    from impact.warehouse.spark import SparkWarehouse

    n = 12
    pd.DataFrame(
        {
            "prediction_id": [f"p{i}" for i in range(n)],
            "model": "m",
            "model_version": "v1",
            "unit_id": [None if i in (3, 7) else f"u{i}" for i in range(n)],
            "predicted_at": [START + timedelta(hours=i) for i in range(n)],
            "score": 0.5,
            "latency_ms": [-1.0 if i % 4 == 0 else 20.0 for i in range(n)],
        }
    ).to_parquet(tmp_path / "preds.parquet")
    spec = {
        "datasets": [{"name": "m", "kind": "predictions", "path": str(tmp_path / "preds.parquet")}]
    }
    report = check_source(SparkWarehouse("local[1]", parse_sources(spec), SPARK_TEST_CONF), 0, {})
    failed = {r.rule: r.failed_rows for r in report.failed}
    assert report.rows == n
    assert failed == {"no_empty_unit_id": 2, "non_negative_latency_ms": 3}, report.summary()
