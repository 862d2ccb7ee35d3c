"""Money figures: hand calculations on small cases, and assumptions that change only what
depends on them."""

from __future__ import annotations

import math

import pytest

from impact.analysis.value import study_value, value_frame
from impact.demo import truth as T
from impact.errors import NotEstimable
from impact.stats.estimate import Estimate
from impact.value.money import (
    Assumption,
    annual_value,
    money_rate,
    product,
    return_on_cost,
    scaled,
)


def effect(value=2.0, se=0.5, low=1.0, high=3.0) -> Estimate:
    return Estimate(
        effect=value,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=0.01,
        n={"control": 100, "treatment": 100},
        method="Welch t-test",
        label="v1 vs control",
    )


def test_time_saved_converts_minutes_at_the_loaded_hourly_rate():
    rate = money_rate(
        direction="lower",
        value_kind="time",
        unit="minutes",
        value_per_unit=1 / 60,
        rate=Assumption("loaded_hourly_rate", 48.0),
        currency="USD",
    )
    assert rate.per_unit == pytest.approx(-0.8)  # 48 $/h ÷ 60, a minute fewer is a gain
    saved = scaled(effect(-4.0, 1.0, -6.0, -2.0), rate.per_unit, label="x", method="m")
    assert (saved.effect, saved.ci_low, saved.ci_high, saved.se) == pytest.approx(
        (3.2, 1.6, 4.8, 0.8)
    )


def test_count_metrics_need_an_explicit_value():
    with pytest.raises(NotEstimable, match="value per event"):
        money_rate(
            direction="higher",
            value_kind="count",
            unit="customers",
            value_per_unit=1.0,
            rate=None,
            currency="USD",
        )


def test_annual_value_and_delta_method_product():
    rate = money_rate(
        direction="higher",
        value_kind="revenue",
        unit="currency",
        value_per_unit=1.0,
        rate=None,
        currency="USD",
    )
    year = annual_value(effect(), rate, 240_000)
    assert (year.effect, year.ci_low, year.ci_high) == (480_000, 240_000, 720_000)
    # Volume itself uncertain (se 10,000): Var(ab) = b²·Var(a) + a²·Var(b)
    value, se = product(2.0, 0.5, 240_000, 10_000)
    assert value == 480_000 and se == pytest.approx(math.sqrt(240_000**2 * 0.25 + 4 * 10_000**2))
    # The effect enters with the spread of its interval; here one from its se (normal).
    known_se = Estimate.from_se(2.0, 0.5, n={}, method="Welch t-test", label="v1 vs control")
    uncertain = annual_value(known_se, rate, 240_000, volume_se=10_000)
    assert uncertain.se == pytest.approx(se)
    assert uncertain.ci_high - uncertain.ci_low == pytest.approx(2 * 1.959964 * se, rel=1e-6)
    assert uncertain.details["money_interval"] == "delta method"


def test_roi_and_payback_map_the_interval_ends():
    year = annual_value(
        effect(),
        money_rate(
            direction="higher",
            value_kind="revenue",
            unit="currency",
            value_per_unit=1.0,
            rate=None,
            currency="USD",
        ),
        240_000,
    )
    r = return_on_cost(year, 60_000)
    assert (r.roi, r.roi_low, r.roi_high) == pytest.approx((7.0, 3.0, 11.0))
    assert (r.payback_months, r.payback_low, r.payback_high) == pytest.approx((1.5, 1.0, 3.0))
    loss = return_on_cost(Estimate(-1.0, 1.0, -3.0, 1.0, 0.5, {}, "m"), 60_000)
    assert loss.payback_months == math.inf and loss.payback_high == math.inf


def test_demo_churn_value_equals_the_hand_calculation(demo_store):
    v = study_value(demo_store, T.EXPERIMENT)
    assert v.arm == "model-v2" and v.metric == "revenue_28d"
    assert v.annual.effect == pytest.approx(v.effect.effect * 240_000)
    assert v.annual.ci_low == pytest.approx(v.effect.ci_low * 240_000)
    assert v.returns.roi == pytest.approx((v.annual.effect - 60_000) / 60_000)
    last = v.realised.iloc[-1]
    units = demo_store.warehouse.scalar("SELECT count(*) FROM assignments WHERE arm = 'model-v2'")
    assert last["units"] == units and last["value"] == pytest.approx(units * v.effect.effect)
    assert list(value_frame(v)["figure"]) == [
        "value per unit",
        "value per year",
        "ROI",
        "payback (months)",
    ]


def same(a: Estimate, b: Estimate) -> bool:
    """Equal up to the last bits of DuckDB's parallel float sums."""
    return (a.effect, a.ci_low, a.ci_high) == pytest.approx(
        (b.effect, b.ci_low, b.ci_high), rel=1e-9
    )


def test_changing_an_assumption_changes_exactly_the_figures_that_use_it(store, demo_store):
    # A private copy of the demo catalog's assumptions on the shared read-only warehouse.
    from impact.catalog import Catalog
    from impact.demo.load import register_catalog
    from impact.store import Store

    local = Store(demo_store.warehouse, Catalog(store.catalog.url))
    register_catalog(local)
    before = study_value(local, T.EXPERIMENT)
    local.catalog.set_assumption("loaded_hourly_rate", 60.0, unit="USD/hour")  # unused here
    assert same(study_value(local, T.EXPERIMENT).annual, before.annual)
    local.catalog.set_assumption("running_cost", 90_000, scope=T.CHURN_MODEL, unit="USD/year")
    after_cost = study_value(local, T.EXPERIMENT)
    assert same(after_cost.annual, before.annual) and same(after_cost.per_unit, before.per_unit)
    assert after_cost.returns.roi == pytest.approx((before.annual.effect - 90_000) / 90_000)
    local.catalog.set_assumption("yearly_volume", 120_000, scope=T.CHURN_MODEL)
    after_volume = study_value(local, T.EXPERIMENT)
    assert same(after_volume.per_unit, before.per_unit)
    assert after_volume.annual.effect == pytest.approx(before.annual.effect / 2)
    assert [a.version for a in after_volume.assumptions] == [2, 2]


def test_impact_value_cli(demo_store, monkeypatch):
    import json

    from typer.testing import CliRunner

    from impact.cli import app
    from impact.config import CATALOG_ENV, DATA_DIR_ENV, WAREHOUSE_ENV

    monkeypatch.setenv(DATA_DIR_ENV, str(demo_store.warehouse.path.parent))
    monkeypatch.delenv(WAREHOUSE_ENV, raising=False)
    monkeypatch.delenv(CATALOG_ENV, raising=False)
    result = CliRunner().invoke(app, ["value", T.EXPERIMENT, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    figures = {f["figure"]: f for f in out["figures"]}
    expected = study_value(demo_store, T.EXPERIMENT)
    assert figures["value per year"]["estimate"] == pytest.approx(expected.annual.effect)
    assert [a["name"] for a in out["assumptions"]] == ["yearly_volume", "running_cost"]
    assert [a["se"] for a in out["assumptions"]] == [0.0, 0.0]
    assert {f["interval"] for f in out["figures"][:2]} == {"exact (known factors)"}
    rollout = CliRunner().invoke(app, ["value", T.ROLLOUT_STUDY, "--json"])
    assert rollout.exit_code == 0, rollout.output
    assert json.loads(rollout.stdout)["metric"] == "handling_minutes"


def test_time_saved_by_the_demo_rollout_in_money(demo_store):
    from impact.analysis.did import rollout_readout

    effect = rollout_readout(demo_store, T.ROLLOUT_STUDY).estimate  # minutes per ticket
    v = study_value(demo_store, T.ROLLOUT_STUDY)
    per_minute = -48.0 / 60  # loaded hourly rate; fewer minutes are a gain
    assert v.per_unit.effect == pytest.approx(effect.effect * per_minute)
    assert (v.per_unit.ci_low, v.per_unit.ci_high) == pytest.approx(
        (effect.ci_high * per_minute, effect.ci_low * per_minute)
    )
    assert v.annual.effect == pytest.approx(effect.effect * per_minute * 180_000)
    assert [a.name for a in v.assumptions] == [
        "loaded_hourly_rate",
        "yearly_volume",
        "running_cost",
    ]
    truth = -4.334  # the generator's simple ATT (minutes per ticket)
    assert v.per_unit.ci_low <= truth * per_minute <= v.per_unit.ci_high
    assert v.realised["value"].iloc[-1] > 0


def test_assumption_edits_are_validated(store):
    from impact.analysis.assumptions import change_assumption
    from impact.errors import InvalidInput

    store.catalog.ensure_model("fraud-model", ["v1"])
    with pytest.raises(InvalidInput, match="cannot be negative"):
        change_assumption(store, "running_cost", -5.0, scope="fraud-model")
    with pytest.raises(InvalidInput, match="finite"):
        change_assumption(store, "yearly_volume", float("nan"))
    with pytest.raises(InvalidInput, match="not a model"):
        change_assumption(store, "yearly_volume", 10.0, scope="nope")
    saved = change_assumption(store, "value_fp", -5.0, scope="fraud-model")
    assert saved.value == -5.0 and saved.version == 1 and saved.changed_by == store.user
    assert store.catalog.assumptions()[0].value == -5.0


def test_decision_value_per_version_equals_the_hand_calculation(demo_store):
    from impact.analysis.model_view import model_view
    from impact.demo.load import FRAUD_DECISION_VALUES as V

    view = model_view(demo_store, T.FRAUD_MODEL, "week")
    counts = demo_store.warehouse.frame(
        """
        SELECT model_version AS version,
               sum(CASE WHEN actual = 1 AND score >= 0.7 THEN 1 ELSE 0 END) AS tp,
               sum(CASE WHEN actual = 0 AND score >= 0.7 THEN 1 ELSE 0 END) AS fp,
               count(*) AS labelled
        FROM predictions WHERE model = ? AND actual IS NOT NULL GROUP BY 1 ORDER BY 1""",
        [T.FRAUD_MODEL],
    )
    expected = (counts.tp * V["tp"] + counts.fp * V["fp"]) / counts.labelled
    got = view.comparison.set_index("version").loc[counts.version, "value_per_prediction"]
    assert got.to_numpy() == pytest.approx(expected.to_numpy())
    assert "value_tp = 263.00 USD/decision v1" in view.money_source
