"""The model-health SQL on a small ingested fixture against pandas on the raw rows, and
model_health's metrics against scikit-learn and scipy on each group's rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm

from impact.analysis.health import model_health, version_comparison
from impact.ingest import ingest_file
from impact.monitor import drift as dr
from impact.queries import health as q

T0 = pd.Timestamp("2026-03-02", tz="UTC")  # a Monday
MODEL, THRESHOLD = "scorer", 0.6
REFERENCE = (T0.to_pydatetime(), (T0 + pd.Timedelta(days=7)).to_pydatetime())


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    n = 1500
    at = T0 + pd.to_timedelta(np.sort(rng.integers(0, 21 * 86400, n)), unit="s")
    y = (rng.random(n) < 0.25).astype(float)
    late = rng.random(n) < 0.15
    score = np.round(
        np.clip(rng.beta(2, 5, n) + 0.3 * y + 0.1 * (at >= T0 + pd.Timedelta(days=14)), 0, 1), 3
    )  # ties; a shift in week three
    frame = pd.DataFrame(
        {
            "prediction_id": [f"p{i:05d}" for i in range(n)],
            "model": MODEL,
            "model_version": np.where(at < T0 + pd.Timedelta(days=10), "a", "b"),
            "unit_id": [f"u{i:05d}" for i in range(n)],
            "predicted_at": at,
            "score": score,
            "actual": np.where(late, np.nan, y),
            "labeled_at": at
            + pd.to_timedelta(np.where(late, 0, rng.integers(3600, 9 * 86400, n)), unit="s"),
            "latency_ms": np.round(rng.lognormal(3.3, 0.6, n), 1),
            "served": rng.random(n) > 0.04,
            "amount": np.round(rng.lognormal(3.5, 1.0, n), 2),
            "merchant": rng.choice(
                ["food", "fuel", "travel", "gifts"], n, p=[0.5, 0.3, 0.15, 0.05]
            ),
        }
    )
    frame.loc[late, "labeled_at"] = pd.NaT
    return frame


@pytest.fixture
def loaded(store, tmp_path, raw):
    store.catalog.ensure_model(MODEL, ["a", "b"], decision_threshold=THRESHOLD)
    raw.to_parquet(tmp_path / "p.parquet")
    ingest_file(store, tmp_path / "p.parquet", "predictions")
    return store


def with_period(raw: pd.DataFrame, period: str) -> pd.DataFrame:
    day = raw.predicted_at.dt.floor("D")
    start = day if period == "day" else day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    return raw.assign(period=start)


def sql(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(period=pd.to_datetime(frame["period"], utc=True).dt.as_unit("ns"))
    return frame.sort_values(
        ["version", "period"] + [c for c in ("bin", "score", "category") if c in frame]
    ).reset_index(drop=True)


def test_operations_equal_pandas(loaded, raw):
    got = sql(q.operations(loaded.warehouse, MODEL, "day", min_confidence=0.05))
    rows = with_period(raw, "day")
    rows["fallback"] = (~rows.served | (rows.score < 0.05)).astype(float)
    rows["delay"] = (rows.labeled_at - rows.predicted_at).dt.total_seconds() / 86400
    g = rows.groupby(["model_version", "period"])
    expected = pd.DataFrame(
        {
            "n": g.size(),
            "latency_p50": g.latency_ms.quantile(0.5),
            "latency_p95": g.latency_ms.quantile(0.95),
            "latency_p99": g.latency_ms.quantile(0.99),
            "fallback_share": g.fallback.mean(),
            "labeled": g.actual.count(),
            "label_coverage": g.actual.count() / g.size(),
            "label_delay_days": g.delay.mean(),
        }
    ).reset_index()
    assert len(got) == len(expected) == 21  # version b from midnight of day 10
    for column in expected.columns[2:]:
        assert np.allclose(got[column], expected[column], rtol=1e-9), column


def test_label_summaries_equal_pandas(loaded, raw):
    db = loaded.warehouse
    rows = with_period(raw, "week").dropna(subset=["actual"])
    keys = ["model_version", "period"]
    conf = sql(q.confusion_counts(db, MODEL, THRESHOLD, "week"))
    flagged = rows.score >= THRESHOLD
    expected = rows.assign(
        tp=flagged & (rows.actual == 1),
        fp=flagged & (rows.actual == 0),
        tn=~flagged & (rows.actual == 0),
        fn=~flagged & (rows.actual == 1),
    )
    expected = expected.groupby(keys)[["tp", "fp", "tn", "fn"]].sum().reset_index()
    assert (conf[["tp", "fp", "tn", "fn"]].to_numpy() == expected.iloc[:, 2:].to_numpy()).all()

    counts = sql(q.score_label_counts(db, MODEL, "week"))
    expected = rows.groupby([*keys, "score"]).actual.agg(["sum", "size"]).reset_index()
    assert (counts.positives == expected["sum"]).all()
    assert (counts.negatives == expected["size"] - expected["sum"]).all()
    assert np.array_equal(counts.score, expected.score)

    bins = sql(q.calibration_bins(db, MODEL, "week"))
    edges = np.linspace(0, 1, 11)[1:-1]
    rows = rows.assign(bin=np.searchsorted(edges, rows.score), sq=(rows.score - rows.actual) ** 2)
    expected = (
        rows.groupby([*keys, "bin"])
        .agg(
            n=("score", "size"),
            mean_score=("score", "mean"),
            mean_label=("actual", "mean"),
            sum_squared_error=("sq", "sum"),
        )
        .reset_index()
    )
    assert (bins.bin == expected.bin).all() and (bins.n == expected.n).all()
    for column in ("mean_score", "mean_label", "sum_squared_error"):
        assert np.allclose(bins[column], expected[column], rtol=1e-12), column


def test_drift_summaries_equal_pandas(loaded, raw):
    db = loaded.warehouse
    in_ref = raw.predicted_at < T0 + pd.Timedelta(days=7)
    edges = q.decile_edges(db, MODEL, "amount", REFERENCE)
    assert np.allclose(edges, np.quantile(raw.amount[in_ref], np.arange(1, 10) / 10))
    rows = with_period(raw, "week")
    got = sql(q.bin_counts(db, MODEL, "amount", edges, "week", None))
    expected = (
        rows.assign(bin=np.searchsorted(edges, rows.amount))
        .groupby(["model_version", "period", "bin"])
        .size()
        .reset_index()
    )
    assert (got.n.to_numpy() == expected[0].to_numpy()).all()

    cats = sql(q.category_counts(db, MODEL, "merchant", "week"))
    expected = rows.groupby(["model_version", "period", "merchant"]).size().reset_index()
    assert (cats.n.to_numpy() == expected[0].to_numpy()).all()

    for feature, column in ((None, "score"), ("amount", "amount")):
        ks = sql(q.ks_statistics(db, MODEL, feature, REFERENCE, "week"))
        for r in ks.itertuples():
            group = rows[(rows.model_version == r.version) & (rows.period == r.period)]
            expected = stats.ks_2samp(raw[column][in_ref], group[column])
            assert r.ks_d == pytest.approx(expected.statistic, abs=1e-15)
            assert (r.n, r.n_reference) == (len(group), in_ref.sum())


def test_regression_sums_equal_pandas(store, tmp_path):
    rng = np.random.default_rng(4)
    n = 300
    y = np.round(rng.gamma(2, 20, n), 2)
    y[:5] = 0.0  # MAPE leaves these out
    frame = pd.DataFrame(
        {
            "prediction_id": [f"r{i}" for i in range(n)],
            "model": "eta",
            "model_version": "r1",
            "unit_id": [f"u{i}" for i in range(n)],
            "predicted_at": T0 + pd.to_timedelta(rng.integers(0, 14 * 86400, n), unit="s"),
            "score": np.round(y + rng.normal(0, 5, n), 2),
            "actual": y,
        }
    )
    store.catalog.ensure_model("eta", ["r1"], task="regression")
    frame.to_parquet(tmp_path / "r.parquet")
    ingest_file(store, tmp_path / "r.parquet", "predictions")
    health = model_health(store, "eta", "week")
    rows = with_period(frame, "week")
    for r in sql(health.performance).itertuples():
        g = rows[rows.period == r.period]
        nonzero = g[g.actual != 0]
        assert r.labeled == len(g)
        assert r.mae == pytest.approx(skm.mean_absolute_error(g.actual, g.score), rel=1e-12)
        assert r.rmse == pytest.approx(skm.root_mean_squared_error(g.actual, g.score), rel=1e-12)
        assert r.mape == pytest.approx(
            skm.mean_absolute_percentage_error(nonzero.actual, nonzero.score), rel=1e-12
        )


def test_model_health_metrics_equal_sklearn_and_scipy_per_group(loaded, raw):
    health = model_health(loaded, MODEL, "week", REFERENCE)
    rows = with_period(raw, "week")
    labeled = rows.dropna(subset=["actual"])
    perf = sql(health.performance)
    assert len(perf) == 4  # weeks 1, 2 of version a; weeks 2, 3 of version b
    for r in perf.itertuples():
        g = labeled[(labeled.model_version == r.version) & (labeled.period == r.period)]
        y, s = g.actual.astype(int), g.score
        pred = (s >= THRESHOLD).astype(int)
        assert r.labeled == len(g)
        assert r.accuracy == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
        assert r.precision == pytest.approx(skm.precision_score(y, pred), abs=1e-12)
        assert r.recall == pytest.approx(skm.recall_score(y, pred), abs=1e-12)
        assert r.f1 == pytest.approx(skm.f1_score(y, pred), abs=1e-12)
        assert r.roc_auc == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
        assert r.pr_auc == pytest.approx(skm.average_precision_score(y, s), abs=1e-12)
        assert r.log_loss == pytest.approx(skm.log_loss(y, s), abs=1e-12)
        assert r.brier == pytest.approx(skm.brier_score_loss(y, s), abs=1e-12)
    in_ref = raw.predicted_at < T0 + pd.Timedelta(days=7)
    edges = np.quantile(raw.score[in_ref], np.arange(1, 10) / 10)
    reference_counts = np.bincount(np.searchsorted(edges, raw.score[in_ref]), minlength=10)
    drift = sql(health.drift)
    assert set(drift.column) == {"score", "amount", "merchant"}
    for r in drift[drift.column == "score"].itertuples():
        g = rows[(rows.model_version == r.version) & (rows.period == r.period)]
        counts = np.bincount(np.searchsorted(edges, g.score), minlength=10)
        assert r.psi == pytest.approx(dr.psi(reference_counts, counts), abs=1e-12)
        ks = stats.ks_2samp(raw.score[in_ref], g.score, method="asymp")
        assert r.ks_d == pytest.approx(ks.statistic, abs=1e-15)
        assert r.p_value == pytest.approx(ks.pvalue, rel=1e-9)
    for r in drift[drift.column == "merchant"].itertuples():
        g = rows[(rows.model_version == r.version) & (rows.period == r.period)]
        table = pd.crosstab(
            np.r_[np.zeros(in_ref.sum()), np.ones(len(g))], np.r_[raw.merchant[in_ref], g.merchant]
        )
        expected = stats.chi2_contingency(table, correction=False)
        assert r.chi_square == pytest.approx(expected.statistic, rel=1e-12)
        assert r.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    # The week-three shift of +0.1 in every score is the one flagged.
    flagged = [(a.kind, a.subject, a.first_period) for a in health.alerts if a.kind == "drift"]
    assert flagged == [("drift", "score", T0 + pd.Timedelta(days=14))]


def test_version_comparison_has_one_row_per_version(loaded, raw):
    table = version_comparison(loaded, MODEL, REFERENCE)
    assert table.version.tolist() == ["a", "b"]
    assert table.n.tolist() == raw.model_version.value_counts().sort_index().tolist()
    b = raw.dropna(subset=["actual"]).query("model_version == 'b'")
    assert table.roc_auc.iloc[1] == pytest.approx(skm.roc_auc_score(b.actual, b.score))
    assert table.score_psi.iloc[1] > table.score_psi.iloc[0]


def test_rounded_scores_keep_every_label_in_fewer_rows(loaded, raw):
    exact = q.score_label_counts(loaded.warehouse, MODEL, "all")
    rounded = q.score_label_counts(loaded.warehouse, MODEL, "all", score_decimals=2)
    assert len(rounded) <= 2 * 101 < len(exact)
    assert rounded.positives.sum() == exact.positives.sum() == raw.actual.sum()
    assert rounded.negatives.sum() == exact.negatives.sum()


def test_ks_statistic_in_edge_cases_equals_scipy(store):
    reference = [1.0, 2.0, 3.0, 10.0, 11.0]
    samples = {
        "ref": reference,
        "below": [0.5],  # the whole sample below the reference
        "above": [100.0],
        "inside": [5.0, 5.0, 5.0],  # the sup sits at reference values between samples
        "same": reference,
        "ties": [2.0, 2.0, 2.5, 11.0, 12.0],
    }
    rows = []
    for version, values in samples.items():
        day = 1 if version == "ref" else 5
        for i, v in enumerate(values):
            at = T0 + pd.Timedelta(days=day, seconds=i)
            rows.append(("d", f"{version}{i}", "ks", version, f"u{i}", at, v))
    with store.warehouse.transaction() as tx:
        for row in rows:
            tx.execute(
                "INSERT INTO predictions (dataset_id, prediction_id, model, model_version, "
                "unit_id, predicted_at, score) VALUES (?, ?, ?, ?, ?, ?, ?)",
                list(row),
            )
    window = (T0.to_pydatetime(), (T0 + pd.Timedelta(days=2)).to_pydatetime())
    got = q.ks_statistics(store.warehouse, "ks", None, window, "all").set_index("version")
    for version, values in samples.items():
        expected = stats.ks_2samp(reference, values, method="asymp").statistic
        assert got.ks_d[version] == pytest.approx(expected, abs=1e-15), version
