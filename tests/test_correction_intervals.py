"""Multiple-comparison corrections: intervals agree with the corrected decision, and one
family rule gives the same numbers on every page, in the CLI, the verdicts and the money."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from typer.testing import CliRunner

from impact.analysis.ab import experiment_readout, readout_frame
from impact.analysis.value import study_value
from impact.analysis.verdict import headlines, interval_name
from impact.catalog import MetricDefinitionBase, StudyBase
from impact.cli import app
from impact.ingest import ingest_file
from impact.options import ReadoutOptions
from impact.stats import SampleStats
from impact.stats.ab import mean_difference
from impact.stats.estimate import Estimate
from impact.stats.multiple import correct, interval_level
from impact.stats.sequential import always_valid


def with_p(p: float, *, df: float | None = None, sign: int = 1, **fields) -> Estimate:
    """An estimate with standard error 1 whose two-sided p-value is p."""
    dist = sps.norm if df is None else sps.t(df)
    return Estimate.from_se(sign * float(dist.isf(p / 2)), 1.0, df=df, n={"c": 1}, method="x")


def excludes_zero(e: Estimate) -> bool:
    return e.ci_low > 0 or e.ci_high < 0


def test_the_issue_case_holm_not_significant_comes_with_an_interval_that_includes_0():
    # Two comparisons, raw p 0.03 and 0.04: Holm gives 0.06 to both. Before the fix both
    # rows read "not significant" with 95% intervals that excluded 0.
    family = [with_p(0.03), with_p(0.04)]
    assert all(excludes_zero(e) for e in family)
    holm = correct(family, "holm", "2 arms")
    assert [e.p_value for e in holm] == pytest.approx([0.06, 0.06])
    assert not any(e.significant for e in holm)
    assert not any(excludes_zero(e) for e in holm)
    assert [(e.details["raw_ci_low"], e.details["raw_ci_high"]) for e in holm] == [
        (e.ci_low, e.ci_high) for e in family
    ]


def test_the_levels_are_holm_steps_and_bh_ranks_where_monotonicity_does_not_bind():
    family = [with_p(0.001), with_p(0.01), with_p(0.04)]
    holm = correct(family, "holm", "3 arms")
    assert [interval_level(e) for e in holm] == pytest.approx([1 - 0.05 / 3, 0.975, 0.95])
    bh = correct([with_p(0.001), with_p(0.02), with_p(0.04)], "bh", "3 arms")
    assert [interval_level(e) for e in bh] == pytest.approx([1 - 0.05 / 3, 1 - 0.1 / 3, 0.95])
    z = sps.norm.isf(0.05 / 3 / 2)  # the first interval is the Bonferroni one
    assert (holm[0].ci_low, holm[0].ci_high) == pytest.approx(
        (family[0].effect - z, family[0].effect + z)
    )


@pytest.mark.parametrize("method", ["holm", "bh"])
def test_interval_and_decision_agree_over_many_random_families(method):
    rng = np.random.default_rng(17 if method == "holm" else 18)
    checked = disagreements_before = 0
    for _ in range(400):
        m = int(rng.integers(2, 9))
        df = None if rng.random() < 0.5 else float(rng.uniform(5, 200))
        ps = np.exp(rng.uniform(np.log(1e-4), 0, m))  # many near α, where it matters
        family = [with_p(p, df=df, sign=int(rng.choice([-1, 1]))) for p in ps]
        for raw, e in zip(family, correct(family, method, "random"), strict=True):
            assert e.significant == excludes_zero(e), (method, ps, e)
            assert e.alpha == raw.alpha and e.effect == raw.effect
            disagreements_before += e.significant != excludes_zero(raw)
            checked += 1
    assert checked > 1500 and disagreements_before > 50  # the raw intervals often disagreed


def test_always_valid_intervals_are_redrawn_at_the_corrected_level():
    # Always-valid estimates, as read_experiment marks them; their p-value is the α where
    # the confidence sequence touches 0, so the same rule applies.
    rng = np.random.default_rng(5)
    family = []
    for lift in (0.05, 0.07, 0.09, 0.3):
        c = rng.normal(0, 1, 4000)
        t = rng.normal(lift, 1, 4000)
        e = always_valid(
            mean_difference(SampleStats(4000, c.sum(), c @ c), SampleStats(4000, t.sum(), t @ t))
        )
        family.append(e.__class__(**{**e.__dict__, "details": {"always_valid_tuning_n": 5000}}))
    for e in correct(family, "holm", "4 arms"):
        assert e.significant == excludes_zero(e)


def test_without_correction_intervals_are_unchanged():
    family = [with_p(0.03), with_p(0.2)]
    assert correct(family, "none", "2 arms") == family
    assert correct(family[:1], "holm", "1 arm") == family[:1]
    assert interval_name(family[0]) == "95% CI"
    ninety = Estimate.from_se(1.0, 1.0, alpha=0.1, n={}, method="x")
    assert interval_name(ninety) == "90% CI"


# --- one family rule for the page, the CLI, the verdict and the money -----------------------

T0 = pd.Timestamp("2026-03-01", tz="UTC")


@pytest.fixture
def three_metric_study(store, tmp_path):
    """Three arms, a primary and two secondary metrics, a yearly volume for the money."""
    rng = np.random.default_rng(8)
    n = 3000
    arm = rng.choice(["control", "v1", "v2"], n)
    units = pd.DataFrame(
        {
            "experiment": "exp",
            "unit_id": [f"u{i:04d}" for i in range(n)],
            "arm": arm,
            "assigned_at": T0 + pd.to_timedelta(rng.integers(0, 10 * 24, n), unit="h"),
        }
    )
    lift = pd.Series(arm).map({"control": 0.0, "v1": 0.8, "v2": 0.9}).to_numpy()
    outcomes = pd.DataFrame(
        {
            "unit_id": units.unit_id,
            "observed_at": units.assigned_at + pd.Timedelta(days=2),
            "revenue": np.round(20 + lift + rng.normal(0, 10, n), 2),
            "orders": np.round(3 + lift / 4 + rng.normal(0, 2, n), 2),
            "visits": np.round(9 + rng.normal(0, 4, n), 2),
        }
    )
    store.catalog.save_study(
        StudyBase(
            name="exp",
            kind="ab",
            arms=["control", "v1", "v2"],
            control_arm="control",
            primary_metric="revenue",
            secondary_metrics=["orders", "visits"],
            analysis_window_days=28,
        )
    )
    for column in ("revenue", "orders", "visits"):
        store.catalog.save_metric(
            MetricDefinitionBase(name=column, dataset="shop", column=column, aggregation="sum")
        )
    store.catalog.set_assumption("yearly_volume", 50_000)
    units.to_parquet(tmp_path / "a.parquet")
    outcomes.to_parquet(tmp_path / "o.parquet")
    ingest_file(store, tmp_path / "a.parquet", "assignments")
    ingest_file(store, tmp_path / "o.parquet", "outcomes", dataset="shop")
    return store


def numbers(e: Estimate) -> tuple[float, float, float]:
    return e.p_value, e.ci_low, e.ci_high


def keyed(estimates) -> dict:
    return {(e.metric, e.label): e for e in estimates}


def test_page_cli_verdict_and_money_use_the_same_family(three_metric_study):
    store = three_metric_study
    page = keyed(experiment_readout(store, "exp").readout.estimates)
    primary = {k: e for k, e in page.items() if k[0] == "revenue"}
    assert len(page) == 6 and len(primary) == 2
    # The primary metric is its own family: 2 comparisons, whoever asks.
    for e in primary.values():
        assert "2 comparisons (primary metric" in e.correction
    for k in page:
        if k[0] != "revenue":
            assert "4 comparisons (secondary metrics" in page[k].correction

    alone = keyed(experiment_readout(store, "exp", metrics=["revenue"]).readout.estimates)
    secondary = keyed(experiment_readout(store, "exp", metrics=["orders"]).readout.estimates)
    result = CliRunner().invoke(app, ["ab", "exp", "--json"])
    assert result.exit_code == 0, result.output
    cli = {(r["metric"], r["comparison"]): r for r in json.loads(result.stdout)}
    for k, e in page.items():
        row = (cli[k]["p_value"], cli[k]["ci_low"], cli[k]["ci_high"])
        assert row == pytest.approx(numbers(e), rel=1e-9)
        assert cli[k]["interval_level"] == pytest.approx(interval_level(e))
    for k, e in [*alone.items(), *secondary.items()]:  # DuckDB's parallel sums: last bits vary
        assert numbers(e) == pytest.approx(numbers(page[k]), rel=1e-9)

    value = study_value(store, "exp")
    best = page[("revenue", f"{value.arm} vs control")]
    assert numbers(value.effect) == pytest.approx(numbers(best), rel=1e-9)
    assert interval_name(value.annual) == interval_name(best)
    [line] = headlines(store)
    assert f"{interval_name(best)} {best.ci_low:+,.2f} to {best.ci_high:+,.2f}" in line.text
    assert interval_name(best).endswith("Holm-adjusted") and interval_level(best) > 0.95
    frame = readout_frame(experiment_readout(store, "exp", ReadoutOptions(correction="none")))
    assert (frame["interval_level"] == 0.95).all()


@pytest.mark.parametrize("method", ["holm", "bh"])
def test_corrected_always_valid_intervals_agree_with_their_decision(method):
    """Both issue-11 fixes at once: a corrected always-valid interval is the same sequence
    (ρ kept at the study's α) at the corrected level, so it excludes 0 exactly when the
    adjusted always-valid p-value is below α (before the merge fix: 21% disagreed)."""
    from impact.stats.ab import mean_difference
    from impact.stats.multiple import correct
    from impact.stats.sequential import always_valid
    from impact.stats.summary import SampleStats

    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(100):
        family = []
        for k in range(3):
            c, t = rng.normal(0, 1, 2000), rng.normal(rng.choice([0, 0.05, 0.1]), 1, 2000)
            e = mean_difference(
                SampleStats(2000, c.sum(), (c * c).sum()),
                SampleStats(2000, t.sum(), (t * t).sum()),
                label=str(k),
            )
            family.append(always_valid(e, 5000))
        for e in correct(family, method, "arms"):
            assert (e.ci_low > 0 or e.ci_high < 0) == (e.p_value < e.alpha)
            checked += 1
    assert checked == 300
