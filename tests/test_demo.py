"""Demo generator: reproducible, sized as asked, its known truth recoverable, loadable."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from impact.demo import build, generate, is_empty, sizes
from impact.demo import truth as T
from impact.demo.load import LOADED_HOURLY_RATE, METRICS, YEARLY_VOLUME
from impact.errors import InvalidInput

MODERATE = 60_000  # enough units for the truth checks, still well under a second to build


@pytest.fixture(scope="module")
def frames() -> dict[tuple[str, str], pd.DataFrame]:
    return {key: table.to_pandas() for key, table in build(MODERATE, seed=11).items()}


def _digests(files) -> dict[tuple[str, str], str]:
    return {(f.kind, f.dataset): hashlib.sha256(f.path.read_bytes()).hexdigest() for f in files}


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path):
    first = _digests(generate(tmp_path / "a", 2_000, seed=3).files)
    again = _digests(generate(tmp_path / "b", 2_000, seed=3).files)
    other = _digests(generate(tmp_path / "c", 2_000, seed=4).files)
    assert first == again
    changed = {key for key in first if first[key] != other[key]}
    # The rollout schedule is part of the truth, so only it stays the same.
    assert changed == set(first) - {("rollouts", T.ROLLOUT_STUDY)}


@pytest.mark.parametrize("predictions", [2_000, 7_001])
def test_row_counts_follow_the_predictions_parameter(tmp_path, predictions):
    demo = generate(tmp_path, predictions, seed=1)
    rows = {(f.kind, f.dataset): f.rows for f in demo.files}
    models = (T.CHURN_MODEL, T.TRIAGE_MODEL, T.FRAUD_MODEL, T.RECS_MODEL)
    predicted = sum(rows[("predictions", m)] for m in models)
    assert predicted == predictions
    customers = round(predictions / 6)
    assert rows[("assignments", T.EXPERIMENT)] == rows[("predictions", T.CHURN_MODEL)] == customers
    rest = predictions - customers  # 3/5 to triage, 1/5 to recommendations, the rest fraud
    fraud = max(rest - rest * 3 // 5 - rest // 5, 400)  # at least 400, taken from triage
    assert rows[("predictions", T.FRAUD_MODEL)] == fraud
    assert rows[("predictions", T.RECS_MODEL)] == rest // 5
    # only the recs arm is scored: as many shoppers again are in control
    assert rows[("assignments", T.RECS_EXPERIMENT)] == 2 * rows[("predictions", T.RECS_MODEL)]
    assert rows[("rollouts", T.ROLLOUT_STUDY)] == len(T.SITES)
    revenue = pd.read_parquet(demo.path("outcomes", T.REVENUE_DATASET))
    assert revenue["retained"].notna().sum() == customers  # one retention row per customer
    assert revenue["revenue"].notna().sum() >= 2 * customers  # ≥ 1 transaction pre and post
    # Untreated site-weeks get tickets at the treated ones' volume: tickets per scored
    # ticket are about site-weeks over treated site-weeks (site volumes vary a little).
    tickets = rows[("outcomes", T.TICKETS_DATASET)] / rows[("predictions", T.TRIAGE_MODEL)]
    treated = sum(T.WEEKS - w for w in T.ADOPTION_WEEK.values() if w is not None)
    assert abs(tickets - len(T.SITES) * T.WEEKS / treated) < 0.1


def test_customers_override_and_too_small_sizes():
    size = sizes(100_000, customers=40_000)
    assert (size.customers, size.tickets_scored, size.transactions, size.shoppers_scored) == (
        40_000,
        36_000,
        12_000,
        12_000,
    )
    assert size.predictions == 100_000
    with pytest.raises(InvalidInput, match="at least 1,000"):
        sizes(999)
    with pytest.raises(InvalidInput, match="too few"):
        sizes(10_000, customers=9_900)


def _unit_values(frames):
    assigned = frames[("assignments", T.EXPERIMENT)]
    rows = frames[("outcomes", T.REVENUE_DATASET)].merge(assigned, on="unit_id")
    days = (rows["observed_at"] - rows["assigned_at"]).dt.total_seconds() / 86_400
    post = rows[(days >= 0) & (days < T.WINDOW_DAYS)]
    pre = rows[(days < 0) & (days >= -T.WINDOW_DAYS)]
    assert len(pre) + len(post) == len(rows)  # every row falls in one of the two windows
    units = assigned.set_index("unit_id")[["arm"]]
    units["y"] = post.groupby("unit_id")["revenue"].sum().reindex(units.index, fill_value=0)
    units["x"] = pre.groupby("unit_id")["revenue"].sum().reindex(units.index, fill_value=0)
    units["retained"] = post.groupby("unit_id")["retained"].max().reindex(units.index)
    return units


def test_ab_effects_on_revenue_and_retention_match_the_truth(frames):
    units = _unit_values(frames)
    stats = units.groupby("arm").agg(
        y=("y", "mean"), y_var=("y", "var"), r=("retained", "mean"), n=("y", "size")
    )
    control = stats.loc[T.CONTROL]
    se_mean = np.sqrt(control.y_var / control.n)
    assert abs(control.y - T.REVENUE_CONTROL_MEAN) < 4 * se_mean
    for arm in ("model-v1", "model-v2"):
        row = stats.loc[arm]
        se = np.sqrt(row.y_var / row.n + control.y_var / control.n)
        assert abs(row.y - control.y - T.REVENUE_EFFECT[arm]) < 4 * se
        se_r = np.sqrt(row.r * (1 - row.r) / row.n + control.r * (1 - control.r) / control.n)
        assert abs(row.r - control.r - T.RETENTION_EFFECT[arm]) < 4 * se_r
    # Planned equal split, and a pre-period strong enough for CUPED to matter.
    assert stats.n.min() / stats.n.max() > 0.95
    assert np.corrcoef(units.x, units.y)[0, 1] > 0.85


def test_recs_effects_on_order_value_and_returns_match_the_truth(frames):
    """Raw rows, by hand: the lift in order value is small beside its noise, the rise in
    returns is three times what the guardrail tolerates."""
    assigned = frames[("assignments", T.RECS_EXPERIMENT)]
    rows = frames[("outcomes", T.ORDERS_DATASET)].merge(assigned, on="unit_id")
    days = (rows["observed_at"] - rows["assigned_at"]).dt.total_seconds() / 86_400
    post = rows[(days >= 0) & (days < T.RECS_WINDOW_DAYS)]
    assert ((days >= -T.RECS_WINDOW_DAYS) & (days < T.RECS_WINDOW_DAYS)).all()
    assert rows.loc[days < 0, "returned"].isna().all()  # returns follow a post order
    units = assigned.set_index("unit_id")[["arm"]]
    units["y"] = post.groupby("unit_id")["order_value"].sum().reindex(units.index, fill_value=0)
    units["r"] = post.groupby("unit_id")["returned"].max().reindex(units.index).fillna(0)
    stats = units.groupby("arm").agg(
        y=("y", "mean"), v=("y", "var"), r=("r", "mean"), n=("y", "size")
    )
    control, recs = stats.loc["control"], stats.loc["recs-v1"]
    assert control.n == recs.n  # exactly half each
    se = np.sqrt(recs.v / recs.n + control.v / control.n)
    assert abs(recs.y - control.y - T.ORDER_EFFECT["recs-v1"]) < 4 * se
    assert T.ORDER_EFFECT["recs-v1"] < se  # smaller than the raw difference's standard error
    assert abs(control.r - T.RETURN_CONTROL) < 4 * np.sqrt(control.r * (1 - control.r) / control.n)
    se_r = np.sqrt(recs.r * (1 - recs.r) / recs.n + control.r * (1 - control.r) / control.n)
    assert abs(recs.r - control.r - T.RETURN_EFFECT["recs-v1"]) < 4 * se_r
    scored = frames[("predictions", T.RECS_MODEL)].merge(assigned, on="unit_id")
    assert (scored["arm"] == "recs-v1").all() and len(scored) == recs.n


def test_churn_predictions_follow_the_arms(frames):
    pred = frames[("predictions", T.CHURN_MODEL)].merge(
        frames[("assignments", T.EXPERIMENT)], on="unit_id"
    )
    control = pred["arm"] == T.CONTROL
    assert not pred.loc[control, "served"].any() and pred.loc[~control, "served"].all()
    assert (pred.loc[control, "prediction"] == 0).all()
    acted = ~control & (pred["score"] >= T.CHURN_THRESHOLD)
    assert (pred["prediction"] == acted.astype(float)).all() and acted.sum() > 0
    assert (pred["model_version"] == pred["arm"].map(T.ARM_VERSION)).all()
    assert (pred["predicted_at"] == pred["assigned_at"]).all()
    assert (pred["labeled_at"] - pred["predicted_at"] == timedelta(days=T.WINDOW_DAYS)).all()
    # The score ranks churners: churned customers score higher on average.
    assert pred.groupby("actual")["score"].mean().diff().iloc[-1] > 0.1


def test_fraud_scores_drift_only_after_the_drift_date(frames):
    pred = frames[("predictions", T.FRAUD_MODEL)]
    legit = pred[pred["actual"] == 0]
    before = legit[legit["predicted_at"] < T.DRIFT_DATE]
    after = legit[legit["predicted_at"] >= T.DRIFT_DATE]
    assert after["score"].mean() - before["score"].mean() > 0.1
    halves = np.array_split(before.sort_values("predicted_at")["score"].to_numpy(), 2)
    assert abs(halves[0].mean() - halves[1].mean()) < 0.01
    v4 = pred["model_version"] == "v4"
    assert (v4 == (pred["predicted_at"] >= T.V4_FROM)).all()
    assert (pred["prediction"] == (pred["score"] >= T.FRAUD_THRESHOLD)).all()
    assert (pred["served"] == (pred["latency_ms"] < T.TIMEOUT_MS)).all()
    assert 0.001 < 1 - pred["served"].mean() < 0.05


def test_fraud_labels_arrive_late_and_are_missing_only_for_recent_predictions(frames):
    pred = frames[("predictions", T.FRAUD_MODEL)]
    missing = pred["actual"].isna()
    assert (missing == pred["labeled_at"].isna()).all()
    low, high = T.LABEL_DELAY_DAYS
    assert not missing[pred["predicted_at"] < T.DEMO_END - timedelta(days=high)].any()
    assert missing[pred["predicted_at"] >= T.DEMO_END - timedelta(days=low)].all()
    delay = (pred["labeled_at"] - pred["predicted_at"]).dt.total_seconds() / 86_400
    assert delay[~missing].between(low - 1e-5, high).all()
    assert (pred.loc[~missing, "labeled_at"] < T.DEMO_END).all()
    labeled = pred[~missing]
    assert abs(labeled["actual"].mean() - T.FRAUD_RATE) < 0.005


def test_chargebacks_are_the_missed_frauds(frames):
    pred = frames[("predictions", T.FRAUD_MODEL)]
    missed = pred[(pred["actual"] == 1) & ~((pred["prediction"] == 1) & pred["served"])]
    charges = frames[("outcomes", T.CHARGEBACKS_DATASET)]
    assert sorted(charges["unit_id"]) == sorted(missed["unit_id"])
    joined = charges.merge(missed, on="unit_id")
    assert np.allclose(joined["chargeback_cost"], joined["amount"] + T.CHARGEBACK_FEE)
    assert (joined["observed_at"] == joined["labeled_at"]).all()
    caught = (pred["actual"] == 1) & (pred["prediction"] == 1) & pred["served"]
    assert caught.sum() > len(charges)  # the model blocks most fraud


def test_rollout_is_staggered_in_waves_of_whole_regions(frames):
    rollouts = frames[("rollouts", T.ROLLOUT_STUDY)]
    rollouts["region"] = rollouts["unit_id"].map(T.SITE_REGION)
    assert rollouts["region"].nunique() == len(T.TRIAGE_REGIONS) >= 30  # FEW_CLUSTERS
    # a region's sites adopt together; several waves, each of several sites
    assert (rollouts.groupby("region")["treated_at"].nunique(dropna=False) == 1).all()
    waves = rollouts["treated_at"].value_counts(dropna=False)
    assert len(waves) >= 5 and waves.min() >= 5 and rollouts["treated_at"].isna().sum() >= 5
    tickets = frames[("outcomes", T.TICKETS_DATASET)]
    assert (tickets["unit_id"].map(T.SITE_REGION) == tickets["region"]).all()
    adopted = rollouts.groupby("region")["treated_at"].first()
    pred = frames[("predictions", T.TRIAGE_MODEL)]
    at = pred["region"].map(adopted)
    assert at.notna().all() and (pred["predicted_at"] >= at).all()


def test_group_time_effects_match_the_truth(frames):
    tickets = frames[("outcomes", T.TICKETS_DATASET)]
    week = (tickets["observed_at"] - T.WEEK0).dt.days // 7
    cell = tickets.groupby([tickets["unit_id"], week])["handling_minutes"].mean().unstack()
    never = [s for s, w in T.ADOPTION_WEEK.items() if w is None]
    assert not cell.isna().any().any()  # every site-week has tickets: a balanced panel
    errors = []
    for site, g in T.ADOPTION_WEEK.items():
        if g is None:
            continue
        for t in range(g, T.WEEKS):  # 2×2 against never-treated, base period g − 1
            treated = cell.loc[site, t] - cell.loc[site, g - 1]
            control = cell.loc[never, t].mean() - cell.loc[never, g - 1].mean()
            errors.append(treated - control - T.att(g, t))
    assert abs(np.mean(errors)) < 0.6
    assert tickets["handling_minutes"].min() > 0
    assert T.att(8, 7) == 0 and T.att(8, 8) == -3.0 and T.att(8, 30) == -5.0


def test_load_demo_registers_the_catalog_and_stores_every_file(demo_store):
    catalog = demo_store.catalog
    versions = {
        m.name: [v.version for v in catalog.model_versions(m.name)] for m in catalog.models()
    }
    assert versions == {
        T.CHURN_MODEL: ["v1", "v2"],
        T.FRAUD_MODEL: ["v3", "v4"],
        T.TRIAGE_MODEL: ["v1"],
        T.RECS_MODEL: ["v1"],
    }
    ab = catalog.study(T.EXPERIMENT)
    assert (ab.kind, ab.arms, ab.control_arm) == ("ab", list(T.ARMS), T.CONTROL)
    assert ab.planned_split == pytest.approx({a: 1 / 3 for a in T.ARMS})
    assert (ab.primary_metric, ab.guardrail_metrics) == ("revenue_28d", ["retention"])
    recs = catalog.study(T.RECS_EXPERIMENT)
    assert (recs.primary_metric, recs.guardrail_metrics) == ("order_value_28d", ["returns"])
    assert recs.options.guardrail_tolerance == {"returns": T.RETURN_TOLERANCE}
    did = catalog.study(T.ROLLOUT_STUDY)
    assert (did.kind, did.period, did.unit) == ("did", "week", "site")
    assert did.options.rollout.cluster == "region"
    assert {m.name for m in catalog.metrics()} == {m.name for m in METRICS}
    minutes = catalog.metric("handling_minutes")
    assert (minutes.direction, minutes.value_kind, minutes.rate_assumption) == (
        "lower",
        "time",
        "loaded_hourly_rate",
    )
    assumptions = {(a.name, a.scope): a for a in catalog.assumptions()}
    assert assumptions[("currency", "")].text == "USD"
    assert assumptions[("loaded_hourly_rate", "")].value == LOADED_HOURLY_RATE
    for model, volume in YEARLY_VOLUME.items():
        assert assumptions[("yearly_volume", model)].value == volume
        assert ("running_cost", model) in assumptions
    assert len(catalog.datasets()) == 11


def test_load_demo_row_counts(demo_store):
    size = sizes()
    count = demo_store.warehouse.scalar
    assert count("SELECT count(*) FROM predictions") == size.predictions
    assert count("SELECT count(*) FROM assignments") == size.customers + 2 * size.shoppers_scored
    never = sum(w is None for w in T.ADOPTION_WEEK.values())
    assert count("SELECT count(*) FROM rollouts WHERE treated_at IS NULL") == never
    assert count("SELECT count(*) FROM outcomes WHERE metric = 'retained'") == size.customers
    segments = (
        "SELECT count(DISTINCT unit_id) FROM unit_segments WHERE segment = ? AND dataset_id IN "
        "(SELECT dataset_id FROM loads WHERE name = ?)"
    )
    assert count(segments, ["channel", T.REVENUE_DATASET]) == size.customers
    assert count(segments, ["merchant_category", T.CHARGEBACKS_DATASET]) == count(
        "SELECT count(*) FROM outcomes WHERE metric = 'chargeback_cost'"
    )
    assert count("SELECT count(*) FROM predictions WHERE actual IS NULL") > 0
    assert not is_empty(demo_store)


def test_is_empty_on_a_fresh_store(store):
    assert is_empty(store)


def test_readout_on_the_loaded_demo_recovers_the_revenue_effect(demo_store):
    from impact.analysis.ab import experiment_readout
    from impact.stats.experiment import ReadoutOptions

    plain = experiment_readout(demo_store, T.EXPERIMENT, ReadoutOptions(cuped=False))
    cuped = experiment_readout(demo_store, T.EXPERIMENT, ReadoutOptions(cuped=True))
    assert plain.readout.srm is not None and cuped.readout.estimates
    for raw, adjusted in zip(plain.readout.estimates, cuped.readout.estimates, strict=True):
        assert adjusted.metric == "revenue_28d" and adjusted.label == raw.label
        arm = adjusted.label.split(" vs ")[0]
        assert abs(adjusted.effect - T.REVENUE_EFFECT[arm]) < 4 * adjusted.se
        assert adjusted.se < 0.6 * raw.se


def test_an_outcome_the_demo_draws_twice_is_stored_twice(store, tmp_path):
    """At 10M predictions some tickets coincide exactly; the demo must still load."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from impact.demo.load import ingest_demo, register_catalog

    files = generate(tmp_path / "demo", 2_000, seed=3)
    tickets = next(f for f in files.files if f.dataset == T.TICKETS_DATASET)
    table = pq.read_table(tickets.path)
    pq.write_table(pa.concat_tables([table, table.slice(0, 1)]), tickets.path)
    register_catalog(store)
    results = ingest_demo(store, files)
    stored = next(r for r in results if r.dataset.name == T.TICKETS_DATASET)
    assert stored.dataset.rows == table.num_rows + 1
    repeat = next(c for c in stored.report.results if c.rule == "duplicate_rows")
    assert (repeat.failed_rows, repeat.blocking) == (1, False)  # reported, not refused
