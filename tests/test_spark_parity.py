"""Every readout's reduction on DuckDB and on Spark (local mode) over the same facts: the
demo's tables, written as Parquet and read by Spark in place, agree to 1e-9 relative.

The small demo (3,000 predictions) is enough: every part of every result these tests
compare (segments, CUPED, ratio, capping, event study, cohorts, health, readiness) has as
many rows and non-empty values as on the full demo, at a sixteenth of the rows to scan."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.spark_support import SPARK_TEST_CONF, assert_same, skip_without_spark

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def engines(small_demo_store, tmp_path_factory):
    """(DuckDB warehouse, Spark warehouse) over the demo's facts."""
    skip_without_spark()
    from impact.warehouse.parquet import export_parquet
    from impact.warehouse.spark import SparkWarehouse

    sources = export_parquet(small_demo_store.warehouse, tmp_path_factory.mktemp("parquet"))
    spark = SparkWarehouse("local[1]", sources, SPARK_TEST_CONF)
    spark.spark.sparkContext.setLogLevel("ERROR")
    return small_demo_store.warehouse, spark


def both(engines, compute):
    duck, spark = engines
    expected, got = compute(duck), compute(spark)
    assert_same(expected, got)
    return expected


def test_ab_sufficient_statistics(engines):
    from impact.demo import truth as T
    from impact.queries.ab import MetricSource, arm_stats, segment_stats

    revenue = MetricSource("customer-revenue", "revenue", "sum")  # CUPED: its pre-period
    retained = MetricSource("customer-revenue", "retained", "proportion")
    ratio = MetricSource("orders", "order_value", "ratio", "returned")
    minutes = MetricSource("orders", "order_value", "mean")

    def compute(db):
        return [
            arm_stats(db, T.EXPERIMENT, revenue, window_days=28, arms=("control", "absent")),
            arm_stats(db, T.EXPERIMENT, retained, window_days=14, cap=(0.01, 0.99)),
            arm_stats(db, T.RECS_EXPERIMENT, ratio, window_days=28, cap=(0.05, 0.95)),
            arm_stats(db, T.RECS_EXPERIMENT, minutes, window_days=7),
            segment_stats(
                db,
                T.EXPERIMENT,
                revenue,
                window_days=28,
                segment="region",
                top_segments=2,
                cap=(0.0, 0.99),
            ),
        ]

    stats = both(engines, compute)
    assert stats[0]["absent"].y.n == 0 and stats[0]["control"].y.n > 100  # 161 customers
    assert set(stats[4]) >= {"other"}


def test_ab_readout_is_the_same_on_spark(engines, small_demo_store):
    """The whole readout (CUPED, SRM, guardrails, correction) from either engine."""
    from impact.analysis.ab import experiment_readout, readout_frame
    from impact.demo import truth as T

    def compute(db):
        on = replace(small_demo_store, warehouse=db)
        return readout_frame(experiment_readout(on, T.EXPERIMENT))

    frame = both(engines, compute)
    assert len(frame) >= 2


def test_did_moments(engines):
    from impact.demo import truth as T
    from impact.errors import NotEstimable
    from impact.queries.did.panel import Panel
    from impact.queries.did.stored import PanelSource, cluster_segments

    def compute(db):
        # Clustered by region: the cluster sums too (by unit is the same SQL, unit as cluster).
        source = PanelSource(
            T.ROLLOUT_STUDY, T.TICKETS_DATASET, "handling_minutes", "week", "mean", "region"
        )
        with Panel.open(db, source) as p:
            out = [p.facts(), p.within(), p.cells(), p.event(4, 4), p.cohorts(), p.placebo(2)]
            out.append(p.adoption_outside())
            try:
                out.append(p.cluster_cross())
            except NotEstimable as exc:  # an unbalanced panel: the same refusal on both
                out.append(str(exc))
        return out + [cluster_segments(db, T.ROLLOUT_STUDY)]

    moments = both(engines, compute)
    assert moments[0].treated_units > 0


def test_health_summaries(engines):
    from impact.queries import health as H

    def compute(db):
        with_model = [H.regression_sums(db, "triage-model", "week")]
        for model in ("churn-model",):
            start, end = H.model_span(db, model)
            window = (start, start + (end - start) / 2)
            edges = H.decile_edges(db, model, None, window)
            with_model += [
                H.operations(db, model, "week", min_confidence=0.2),
                H.confusion_counts(db, model, 0.5, "week", window),
                # Exact scores: round(x, d) differs on ties (DuckDB rounds the binary value,
                # Spark its shortest decimal), see the README.
                H.score_label_counts(db, model, "all"),
                H.calibration_bins(db, model, "all"),
                H.features(db, model),
                edges,
                H.bin_counts(db, model, None, edges, "week", None),
                H.ks_statistics(db, model, None, window, "week", window[1]),
            ]
            for feature, kind in H.features(db, model).itertuples(index=False):
                if kind == "text":
                    with_model.append(H.category_counts(db, model, feature, "all"))
        return with_model

    both(engines, compute)


def test_readiness_summaries(engines):
    from impact.queries import readiness as R
    from impact.queries.readiness_outcomes import outcome_scan

    def compute(db):
        out = [outcome_scan(db, "orders"), outcome_scan(db, "customer-revenue")]
        for name, kind in (
            ("orders", "outcomes"),
            ("churn-model", "predictions"),
            ("churn-offer-test", "assignments"),
            ("triage-rollout", "rollouts"),
        ):
            out += [
                R.event_days(db, name, kind),
                R.rows_per_period(db, name, kind, "week"),
                R.column_profile(db, name, kind, "week"),
                R.segment_seen(db, name, kind, "week"),
            ]
        return out + [R.labels(db, "churn-model"), R.unknown_units(db, "orders")]

    both(engines, compute)
