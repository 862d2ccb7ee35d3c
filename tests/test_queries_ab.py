"""The A/B reduction in SQL against an independent pandas computation on the raw rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from impact.catalog import MetricDefinitionBase, StudyBase
from impact.ingest import ingest_file
from impact.queries.ab import MetricSource, arm_stats, segment_stats

WINDOW = 28
T0 = pd.Timestamp("2026-02-01", tz="UTC")


@pytest.fixture(scope="module")
def raw():
    rng = np.random.default_rng(42)
    n = 900
    units = pd.DataFrame(
        {
            "experiment": "exp",
            "unit_id": [f"u{i:04d}" for i in range(n)],
            "arm": rng.choice(["control", "v1", "v2"], n),
            "assigned_at": T0 + pd.to_timedelta(rng.integers(0, 14 * 24, n), unit="h"),
        }
    )
    spend = rng.gamma(2.0, 10.0, n)
    lift = units.arm.map({"control": 0.0, "v1": 2.0, "v2": 4.0}).to_numpy()
    rows = []
    for i, u in units.iterrows():
        if i % 10 == 0:
            continue  # 10% of units never have an outcome: they must count as 0
        k = rng.poisson(4) + 1
        offsets = rng.uniform(-40, 40, k)  # days around assignment: pre, post and beyond
        for off in offsets:
            value = max(spend[i] / 4 + (lift[i] / 4 if off >= 0 else 0) + rng.normal(0, 3), 0)
            rows.append(
                (
                    u.unit_id,
                    u.assigned_at + pd.Timedelta(days=off),
                    round(value, 2),
                    rng.choice(
                        ["north", "south", "east", "west", "central", "isles", "far"],
                        p=[0.3, 0.25, 0.15, 0.1, 0.1, 0.05, 0.05],
                    ),
                )
            )
    outcomes = pd.DataFrame(rows, columns=["unit_id", "observed_at", "revenue", "region"])
    # one region per unit, as the warehouse keeps the latest value per unit
    return units, outcomes


@pytest.fixture
def loaded(store, tmp_path, raw):
    units, outcomes = raw
    store.catalog.save_study(
        StudyBase(
            name="exp",
            kind="ab",
            arms=["control", "v1", "v2"],
            control_arm="control",
            primary_metric="revenue",
            analysis_window_days=WINDOW,
            planned_split={"control": 1, "v1": 1, "v2": 1},
        )
    )
    store.catalog.save_metric(
        MetricDefinitionBase(name="revenue", dataset="shop", column="revenue", aggregation="sum")
    )
    units.to_parquet(tmp_path / "a.parquet")
    outcomes.to_parquet(tmp_path / "o.parquet")
    ingest_file(store, tmp_path / "a.parquet", "assignments")
    ingest_file(store, tmp_path / "o.parquet", "outcomes", dataset="shop")
    return store


def unit_values(raw) -> pd.DataFrame:
    """Pandas, from rows: y = Σ post-window revenue, x = Σ pre-window revenue, 0 if none."""
    units, outcomes = raw
    joined = outcomes.merge(units, on="unit_id")
    delta = joined.observed_at - joined.assigned_at
    post = (delta >= pd.Timedelta(0)) & (delta < pd.Timedelta(days=WINDOW))
    pre = (delta < pd.Timedelta(0)) & (delta >= -pd.Timedelta(days=WINDOW))
    y = joined[post].groupby("unit_id").revenue.sum()
    x = joined[pre].groupby("unit_id").revenue.sum()
    out = units.set_index("unit_id")[["arm"]]
    out["y"] = y.reindex(out.index).fillna(0.0)
    out["x"] = x.reindex(out.index).fillna(0.0)
    return out


def test_sums_match_pandas_on_raw_rows(loaded, raw):
    got = arm_stats(
        loaded.warehouse, "exp", MetricSource("shop", "revenue", "sum"), window_days=WINDOW
    )
    values = unit_values(raw)
    want = values.groupby("arm").agg(n=("y", "size"), sum=("y", "sum"))
    want["sum_squares"] = (values.y**2).groupby(values.arm).sum()
    want["covariate_cross"] = (values.y * values.x).groupby(values.arm).sum()
    arms = list(want.index)
    assert [got[a].n for a in arms] == want["n"].tolist()
    for col, of in (
        ("sum", lambda s: s.y.sum),
        ("sum_squares", lambda s: s.y.sum_squares),
        ("covariate_cross", lambda s: s.cross),
    ):
        assert [of(got[a]) for a in arms] == pytest.approx(want[col].to_numpy(), rel=1e-12)
    assert sum(s.n for s in got.values()) == 900  # units without outcomes are kept, as zeros


def test_capping_matches_pandas_clip_at_percentiles(loaded, raw):
    got = arm_stats(
        loaded.warehouse,
        "exp",
        MetricSource("shop", "revenue", "sum"),
        window_days=WINDOW,
        cap=(0.01, 0.95),
    )
    values = unit_values(raw)
    lo, hi = values.y.quantile([0.01, 0.95])  # linear interpolation = percentile_cont
    capped = values.y.clip(lo, hi).groupby(values.arm).sum()
    assert [got[a].y.sum for a in capped.index] == pytest.approx(capped.to_numpy(), rel=1e-12)
    assert sum(s.y.sum for s in got.values()) < values.y.sum()


def test_segments_keep_the_top_values_and_group_the_rest(loaded, raw):
    got = segment_stats(
        loaded.warehouse,
        "exp",
        MetricSource("shop", "revenue", "sum"),
        window_days=WINDOW,
        segment="region",
        top_segments=3,
    )
    assert set(got) <= {"north", "south", "east", "other", "(none)"}
    assert "other" in set(got) and "(none)" in set(got)
    total = arm_stats(
        loaded.warehouse, "exp", MetricSource("shop", "revenue", "sum"), window_days=WINDOW
    )
    merged = {}
    for part in got.values():  # segments merge back into the whole with +
        for arm, stats in part.items():
            merged[arm] = merged[arm] + stats if arm in merged else stats
    assert [merged[a].n for a in total] == [s.n for s in total.values()]
    assert [merged[a].y.sum for a in total] == pytest.approx([s.y.sum for s in total.values()])


def test_readout_cuped_equals_ols_on_the_unit_rows(loaded, raw):
    from impact.analysis.ab import experiment_readout

    result = experiment_readout(loaded, "exp")
    values = unit_values(raw).reset_index()
    values["x_c"] = values.x - values.x.mean()
    fit = smf.ols("y ~ C(arm, Treatment('control')) + x_c", values).fit(cov_type="HC1")
    by_label = {e.label: e for e in result.readout.estimates}
    for arm in ("v1", "v2"):
        e = by_label[f"{arm} vs control"]
        assert e.effect == pytest.approx(
            fit.params[f"C(arm, Treatment('control'))[T.{arm}]"], abs=1e-8
        )
        assert e.method.startswith("CUPED")
    assert result.readout.srm is not None and not result.readout.srm.mismatch
    assert "Holm" in result.readout.estimates[0].correction


def test_a_declared_arm_without_units_is_reported_not_skipped(loaded):
    from impact.analysis.ab import experiment_readout

    study = loaded.catalog.study("exp")
    study.arms = ["control", "v1", "v2", "v3"]
    study.planned_split = {"control": 1, "v1": 1, "v2": 1, "v3": 1}
    loaded.catalog.save_study(study)
    readout = experiment_readout(loaded, "exp").readout
    assert readout.counts["v3"] == 0
    assert readout.srm.mismatch and "v3 has 0 units" in readout.warnings[0]
    [skipped] = readout.not_estimable
    assert skipped.comparison == "v3 vs control"
    assert "treatment arm has no units" in skipped.reason
    assert {e.label for e in readout.estimates} == {"v1 vs control", "v2 vs control"}


def test_ratio_metric_sums_and_readout_match_pandas(store, tmp_path):
    from impact.analysis.ab import experiment_readout

    rng = np.random.default_rng(9)
    n = 400
    units = pd.DataFrame(
        {
            "experiment": "r",
            "unit_id": [f"k{i}" for i in range(n)],
            "arm": rng.choice(["control", "treatment"], n),
            "assigned_at": T0,
        }
    )
    rows = pd.DataFrame(
        {
            "unit_id": rng.choice(units.unit_id, 3000),
            "observed_at": T0 + pd.to_timedelta(rng.uniform(0, 27, 3000), unit="D"),
            "revenue": rng.gamma(2, 5, 3000).round(2),
            "visits": rng.integers(1, 5, 3000).astype(float),
        }
    )
    units.to_csv(tmp_path / "u.csv", index=False)
    rows.to_csv(tmp_path / "v.csv", index=False)
    store.catalog.save_study(
        StudyBase(
            name="r",
            kind="ab",
            arms=["control", "treatment"],
            control_arm="control",
            primary_metric="rpv",
        )
    )
    store.catalog.save_metric(
        MetricDefinitionBase(
            name="rpv",
            dataset="visits",
            column="revenue",
            denominator="visits",
            aggregation="ratio",
        )
    )
    ingest_file(store, tmp_path / "u.csv", "assignments")
    ingest_file(store, tmp_path / "v.csv", "outcomes", dataset="visits")
    per_unit = rows.groupby("unit_id")[["revenue", "visits"]].sum()
    per_unit = units.set_index("unit_id")[["arm"]].join(per_unit).fillna(0.0)
    got = arm_stats(
        store.warehouse,
        "r",
        MetricSource("visits", "revenue", "ratio", "visits"),
        window_days=WINDOW,
    )
    want = per_unit.groupby("arm").agg(
        n=("revenue", "size"), sum=("revenue", "sum"), denominator_sum=("visits", "sum")
    )
    assert [got[a].n for a in want.index] == want["n"].tolist()
    assert [got[a].x.sum for a in want.index] == pytest.approx(want["denominator_sum"])
    [e] = experiment_readout(store, "r").readout.estimates
    ratios, variances = {}, {}
    for arm, part in per_unit.groupby("arm"):
        r = part.revenue.sum() / part.visits.sum()
        linear = (part.revenue - r * part.visits) / part.visits.mean()
        ratios[arm], variances[arm] = r, linear.var(ddof=1) / len(part)
    assert e.method == "ratio (delta method)"
    assert e.effect == pytest.approx(ratios["treatment"] - ratios["control"], rel=1e-10)
    assert e.se == pytest.approx(np.sqrt(sum(variances.values())), rel=1e-9)


def test_the_study_settings_are_the_readout_defaults_and_flags_override_them(loaded):
    import json

    from typer.testing import CliRunner

    from impact.cli import app

    study = loaded.catalog.study("exp")
    study.settings = {"correction": "bh", "alpha": 0.1}
    loaded.catalog.save_study(study)
    stored = json.loads(CliRunner().invoke(app, ["ab", "exp", "--json"]).stdout)
    assert all("Benjamini" in r["correction"] and r["alpha"] == 0.1 for r in stored)
    flags = ["ab", "exp", "--correction", "holm", "--alpha", "0.05", "--json"]
    overridden = json.loads(CliRunner().invoke(app, flags).stdout)
    assert all("Holm" in r["correction"] and r["alpha"] == 0.05 for r in overridden)


def test_estimates_name_their_arms_and_the_mismatch_is_a_kind(loaded):
    from impact.analysis.ab import experiment_readout
    from impact.options import ReadoutOptions

    study = loaded.catalog.study("exp")
    study.planned_split = {"control": 8, "v1": 1, "v2": 1}
    loaded.catalog.save_study(study)
    readout = experiment_readout(loaded, "exp", ReadoutOptions(pairwise=True)).readout
    pairs = {(e.treatment_arm, e.control_arm) for e in readout.estimates}
    assert pairs == {("v1", "control"), ("v2", "control"), ("v2", "v1")}
    assert [w.kind for w in readout.warnings] == ["srm"] and not readout.trustworthy
