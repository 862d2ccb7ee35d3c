"""Data readiness: each rule flags its broken fixture, a healthy dataset is flagged for
nothing, the demo's datasets give what they should, and a readout says so."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from test_evidence_studies import copy  # noqa: F401  (fixture)
from typer.testing import CliRunner

from impact.analysis.ab import experiment_readout
from impact.analysis.readiness import dataset_readiness, readiness, readiness_caveats
from impact.catalog import MetricDefinitionBase, StudyBase
from impact.cli import app
from impact.ingest import ingest_file

START = datetime(2026, 3, 1, tzinfo=UTC)
DAYS = 30
UNITS = 40
LAST = START + timedelta(days=DAYS - 1)
NOW = LAST + timedelta(hours=12)  # fresh: half a day after the last event


def outcome_rows(**change) -> pd.DataFrame:
    """UNITS units observed every day for DAYS days, revenue and nps always filled."""
    rows = []
    for day in range(DAYS):
        for u in range(UNITS):
            region = "north" if u % 2 else "south"
            rows.append(
                {
                    "unit_id": f"u{u}",
                    "observed_at": START + timedelta(days=day, hours=u % 12),
                    "revenue": float(day + u),
                    "nps": float(u % 10),
                    "region": region,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def shop(store, tmp_path):
    """Assignments for every unit (so no unit is unknown), a study and its metric."""
    units = pd.DataFrame(
        {
            "experiment": "exp",
            "unit_id": [f"u{u}" for u in range(UNITS + 10)],
            "arm": ["control", "treatment"] * ((UNITS + 10) // 2),
            "assigned_at": START,
        }
    )
    units.to_parquet(tmp_path / "a.parquet")
    ingest_file(store, tmp_path / "a.parquet", "assignments")
    store.catalog.save_study(
        StudyBase(
            name="exp",
            kind="ab",
            arms=["control", "treatment"],
            control_arm="control",
            primary_metric="revenue",
            analysis_window_days=DAYS,
        )
    )
    store.catalog.save_metric(
        MetricDefinitionBase(name="revenue", dataset="shop", column="revenue", aggregation="sum")
    )
    return store


def stored(store, tmp_path, frame: pd.DataFrame, name: str = "shop"):
    frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
    ingest_file(store, tmp_path / f"{name}.parquet", "outcomes", dataset=name)
    return dataset_readiness(store, name, "outcomes", now=NOW)


def kinds(result) -> list[str]:
    return [f.kind for f in result.findings]


def test_a_healthy_dataset_is_flagged_for_nothing(shop, tmp_path):
    result = stored(shop, tmp_path, outcome_rows())
    assert result.passed, [f.message for f in result.findings]
    assert result.cadence.days == 1 and "inferred" in result.cadence.source
    assert result.period == "day" and len(result.volume) == DAYS
    assert result.volume["rows"].tolist() == [UNITS] * DAYS
    assert (result.columns["null_share"] == 0).all()
    assert set(result.columns["column"]) == {"revenue", "nps"}
    assert result.age_days == pytest.approx(1 / 24, abs=0.01)  # last event at 11:00, now 12:00
    assert result.unknown_units == 0


def test_a_stale_dataset_is_flagged_with_its_age_and_cadence(shop, tmp_path):
    stored(shop, tmp_path, outcome_rows())
    result = dataset_readiness(shop, "shop", "outcomes", now=LAST + timedelta(days=10))
    assert kinds(result) == ["stale"]
    [stale] = result.findings
    assert stale.figure == pytest.approx(10 - 11 / 24, abs=0.1)  # the last event is at 11:00
    assert "every 1 day(s)" in stale.message and "median gap" in stale.message


def test_a_volume_drop_is_flagged(shop, tmp_path):
    frame = outcome_rows()
    last_day = frame["observed_at"] >= LAST
    keep = ~last_day | frame["unit_id"].isin([f"u{u}" for u in range(10)])
    result = stored(shop, tmp_path, frame[keep])
    assert "volume_drop" in kinds(result)
    [drop] = [f for f in result.findings if f.kind == "volume_drop"]
    assert drop.figure == 10 and "below 50% of the median 40" in drop.message


def test_a_null_spike_is_flagged_for_its_column_only(shop, tmp_path):
    frame = outcome_rows()
    frame.loc[frame["observed_at"] >= LAST - timedelta(days=2), "nps"] = None
    result = stored(shop, tmp_path, frame)
    spikes = [f for f in result.findings if f.kind == "null_spike"]
    assert len(spikes) == 3 and all(s.message.startswith("nps is empty in 100%") for s in spikes)
    assert kinds(result) == ["null_spike"] * 3


@pytest.mark.parametrize("bits", [62, 0], ids=["one scan", "one query per figure"])
def test_metrics_on_rows_of_their_own_are_no_null_spike(shop, tmp_path, monkeypatch, bits):
    """A file that records a second metric on its own rows (the demo's `retained`) has no
    empty cells: revenue is not 'empty' on the rows that hold only the other metric, even
    where the two fall on one unit and instant by chance (a 10M-prediction demo has some)."""
    from impact.queries import readiness_outcomes

    monkeypatch.setattr(readiness_outcomes, "MAX_METRICS", bits)
    frame = outcome_rows().drop(columns="nps")
    extra = frame[frame["observed_at"] >= LAST - timedelta(days=2)].assign(
        revenue=None, retained=1.0, observed_at=lambda f: f["observed_at"] + timedelta(minutes=1)
    )
    extra.iloc[:3, extra.columns.get_loc("observed_at")] -= timedelta(minutes=1)
    both = pd.concat([frame.assign(retained=None), extra]).astype(
        {"revenue": float, "retained": float}
    )
    result = stored(shop, tmp_path, both)
    assert (result.columns["null_share"] == 0).all()
    assert "null_spike" not in kinds(result), [f.message for f in result.findings]


def test_new_and_vanished_segment_values_are_flagged(shop, tmp_path):
    frame = outcome_rows()
    last_day = frame["observed_at"] >= LAST
    frame = frame[~(last_day & (frame["region"] == "south"))]  # south's units stop
    newcomers = pd.DataFrame(
        {
            "unit_id": [f"u{UNITS + i}" for i in range(10)],
            "observed_at": LAST + timedelta(hours=1),
            "revenue": 1.0,
            "nps": 5.0,
            "region": "west",
        }
    )
    result = stored(shop, tmp_path, pd.concat([frame, newcomers]))
    found = {f.kind: f for f in result.findings}
    assert found["new_value"].message.endswith("never seen before: 'west'.")
    assert "'south'" in found["vanished_value"].message
    assert "'north'" not in found["vanished_value"].message


def test_low_label_coverage_is_flagged_with_the_delay(store, tmp_path):
    n = 24 * 8  # eight whole days
    at = [START + timedelta(hours=i) for i in range(n)]
    labeled = [i % 5 == 0 for i in range(n)]  # 20%
    frame = pd.DataFrame(
        {
            "prediction_id": [f"p{i}" for i in range(n)],
            "model": "m",
            "model_version": "v1",
            "unit_id": [f"u{i}" for i in range(n)],
            "predicted_at": at,
            "score": 0.5,
            "actual": [1.0 if ok else None for ok in labeled],
            "labeled_at": [
                t + timedelta(hours=48) if ok else None for t, ok in zip(at, labeled, strict=True)
            ],
        }
    )
    frame.to_parquet(tmp_path / "p.parquet")
    ingest_file(store, tmp_path / "p.parquet", "predictions", dataset="preds")
    result = dataset_readiness(store, "preds", "predictions", now=at[-1])
    assert kinds(result) == ["label_coverage"]
    assert result.findings[0].figure == pytest.approx(39 / 192, abs=1e-4)
    assert result.labels["delay_p50_hours"] == pytest.approx(48)
    assert result.labels["delay_p90_hours"] == pytest.approx(48)


def test_units_no_study_knows_are_flagged(shop, tmp_path):
    frame = outcome_rows()
    strangers = frame[frame["unit_id"] == "u0"].assign(unit_id="stranger")
    (tmp_path / "o.csv").write_text(pd.concat([frame, strangers]).to_csv(index=False))
    ingest_file(shop, tmp_path / "o.csv", "outcomes", dataset="shop", allow_unknown_units=True)
    result = dataset_readiness(shop, "shop", "outcomes", now=NOW)
    assert kinds(result) == ["unknown_units"] and result.findings[0].figure == 1


def test_a_failing_dataset_is_a_caveat_on_the_readout_that_uses_it(shop, tmp_path):
    frame = outcome_rows()
    frame.loc[frame["observed_at"] >= LAST - timedelta(days=2), "revenue"] = None
    stored(shop, tmp_path, frame)
    caveats = readiness_caveats(shop, "exp", now=NOW)
    assert caveats and {c.kind for c in caveats} == {"readiness"}
    assert all("outcomes dataset 'shop'" in c and "revenue is empty" in c for c in caveats)
    readout = experiment_readout(shop, "exp").readout
    assert [w for w in readout.warnings if w.kind == "readiness"] == caveats


def test_a_healthy_study_readout_has_no_readiness_caveat(shop, tmp_path):
    stored(shop, tmp_path, outcome_rows())
    assert readiness_caveats(shop, "exp", now=NOW) == []
    # long after the window closed the data is old, but the finished experiment needs no more
    assert readiness_caveats(shop, "exp", now=NOW + timedelta(days=90)) == []


def test_the_demo_datasets_at_the_demo_end(demo_store):
    """At the day after the demo ends, the only findings are streams that really stopped:
    the churn and recs models only scored units while their experiments enrolled them,
    their outcomes end (and, for orders, thin out day by day) as the analysis windows
    close, and the triage data ends on the last full week."""
    results = {r.name: r for r in readiness(demo_store, now=datetime(2026, 11, 1, tzinfo=UTC))}
    findings = {name: kinds(r) for name, r in results.items()}
    assert findings == {
        "chargebacks": [],
        "churn-model": ["stale"],
        "churn-offer-test": [],
        "customer-revenue": ["stale"],
        "fraud-model": [],
        "homepage-recs-test": [],
        "orders": ["stale", "volume_drop", "volume_drop"],
        "recs-model": ["stale"],
        "support-tickets": ["stale"],
        "triage-model": ["stale"],
        "triage-rollout": [],
    }
    assert results["churn-model"].latest.date().isoformat() == "2026-09-14"
    last_assigned = results["homepage-recs-test"].latest.date()
    drops = [f.at for f in results["orders"].findings if f.kind == "volume_drop"]
    assert all(day > last_assigned for day in drops)  # windows closing, not missing data
    assert 0.7 < results["fraud-model"].summary()["label_coverage"] < 0.85
    # each study's data covers its window or its end: no readout carries a readiness caveat
    for study in ("churn-offer-test", "homepage-recs-test", "triage-rollout"):
        assert readiness_caveats(demo_store, study, now=datetime(2026, 11, 1, tzinfo=UTC)) == []


def test_a_rollout_still_running_says_its_data_stopped(copy):  # noqa: F811
    """Only a rollout whose declared end the data reaches is exempt from staleness: one
    that runs on (a later end, or none) is told its data stopped arriving."""
    from impact.demo import truth as T

    now = datetime(2026, 11, 1, tzinfo=UTC)
    study = copy.catalog.study(T.ROLLOUT_STUDY)
    assert readiness_caveats(copy, T.ROLLOUT_STUDY, now=now) == []
    for end in (datetime(2026, 12, 31, tzinfo=UTC), None):
        copy.catalog.save_study(study.model_copy(update={"end": end}))
        caveats = readiness_caveats(copy, T.ROLLOUT_STUDY, now=now)
        assert [c.kind for c in caveats] == ["readiness"]
        assert "support-tickets" in caveats[0] and "stopped arriving" in caveats[0]


def test_cli_datasets_shows_readiness(shop, tmp_path):
    frame = outcome_rows()
    frame.loc[frame["observed_at"] >= LAST - timedelta(days=2), "nps"] = None
    stored(shop, tmp_path, frame)
    runner = CliRunner()
    listed = runner.invoke(app, ["datasets", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    ready = rows["shop"]["readiness"]
    assert ready["passed"] is False and ready["cadence_days"] == 1
    assert "null_spike" in [f["kind"] for f in ready["findings"]]
    text = runner.invoke(app, ["datasets"])
    assert "Readiness" in text.stdout and "FAILED" in text.stdout and "null_spike" in text.stdout


def _mixed(weekly: bool) -> pd.DataFrame:
    """Two metrics (nps blank on the last days), a third on rows of its own, a vanishing
    segment value, a stranger unit; daily, or weekly (START is a Sunday, so rows of one
    week fall in two of date_trunc's Monday weeks)."""
    frame = outcome_rows()
    if weekly:
        since = frame["observed_at"] - START
        frame["observed_at"] = START + since.dt.floor("D") * 7 + since % timedelta(days=1)
    late = frame["observed_at"] >= frame["observed_at"].max() - timedelta(days=2 * (1 + 6 * weekly))
    frame.loc[late, "nps"] = None
    frame = frame[~(late & (frame["region"] == "south") & (frame["unit_id"] != "u1"))]
    own = frame.iloc[::7].assign(
        revenue=None,
        nps=None,
        retained=1.0,
        observed_at=lambda f: f["observed_at"] + timedelta(0, 60),
    )
    own.iloc[:2, own.columns.get_loc("observed_at")] -= timedelta(0, 60)  # by chance
    stranger = frame[frame["unit_id"] == "u3"].assign(unit_id="stranger")
    return pd.concat([frame.assign(retained=None), own, stranger]).astype(
        {"revenue": float, "nps": float, "retained": float}
    )


def _same(a, b) -> None:
    assert (a.latest, a.period, a.unknown_units) == (b.latest, b.period, b.unknown_units)
    assert [f.message for f in a.findings] == [f.message for f in b.findings]
    for frame in ("volume", "columns"):
        x, y = getattr(a, frame), getattr(b, frame)
        assert x["rows"].tolist() == y["rows"].tolist(), frame
        assert [pd.Timestamp(p).date() for p in x["period"]] == [
            pd.Timestamp(p).date() for p in y["period"]
        ]
    assert a.columns["column"].tolist() == b.columns["column"].tolist()
    assert a.columns["filled"].tolist() == b.columns["filled"].tolist()


@pytest.mark.parametrize("weekly", [False, True], ids=["daily", "weekly"])
def test_one_scan_of_outcomes_gives_what_one_query_per_figure_gives(
    shop, tmp_path, monkeypatch, weekly
):
    """The one scan per outcome dataset (metrics as bits) against the queries it replaced,
    which are still the fallback beyond MAX_METRICS metrics."""
    from impact.analysis import readiness as module
    from impact.queries import readiness_outcomes

    frame = _mixed(weekly)
    (tmp_path / "o.csv").write_text(frame.to_csv(index=False))
    ingest_file(shop, tmp_path / "o.csv", "outcomes", dataset="shop", allow_unknown_units=True)
    now = frame["observed_at"].max() + timedelta(hours=1)
    scanned = dataset_readiness(shop, "shop", "outcomes", now=now)
    assert isinstance(module._figures(shop, "shop", "outcomes"), module.OutcomeScan)
    monkeypatch.setattr(readiness_outcomes, "MAX_METRICS", 2)  # 3 metrics: too many bits
    assert isinstance(module._figures(shop, "shop", "outcomes"), module._Queries)
    _same(scanned, dataset_readiness(shop, "shop", "outcomes", now=now))
    assert scanned.period == ("week" if weekly else "day")
    assert set(kinds(scanned)) >= {"null_spike", "vanished_value", "unknown_units"}
    assert scanned.unknown_units == 1
    assert set(scanned.columns["column"]) == {"nps", "retained", "revenue"}
    empty = scanned.columns.groupby("column")["null_share"].max()
    assert empty["revenue"] == 0 and empty["retained"] == 0 and empty["nps"] == 1


@pytest.mark.parametrize("bits", [62, 0], ids=["one scan", "one query per figure"])
def test_a_metric_blank_on_most_rows_still_has_empty_cells(shop, tmp_path, monkeypatch, bits):
    """Recorded together means at least half the rarer metric's rows hold both: nps,
    filled on a tenth of revenue's rows, is empty on the other nine tenths."""
    from impact.queries import readiness_outcomes

    monkeypatch.setattr(readiness_outcomes, "MAX_METRICS", bits)
    frame = outcome_rows()
    frame.loc[frame.index % 10 != 0, "nps"] = None
    result = stored(shop, tmp_path, frame)
    nps = result.columns[result.columns["column"] == "nps"]
    assert nps["null_share"].mean() == pytest.approx(0.9, abs=0.01)


def test_a_dataset_with_more_metrics_than_bits_is_read_one_query_per_figure(shop, tmp_path):
    from impact.queries.readiness_outcomes import MAX_METRICS

    frame = outcome_rows().drop(columns="nps").head(UNITS * 3)
    for i in range(MAX_METRICS + 1):
        frame[f"m{i:02}"] = float(i)
    result = stored(shop, tmp_path, frame)
    assert result.columns["column"].nunique() == MAX_METRICS + 2
    assert (result.columns["null_share"] == 0).all() and result.volume["rows"].tolist() == [40] * 3


def test_repeated_outcome_rows_fill_no_more_cells_than_there_are(shop, tmp_path):
    """A unit-time row stored twice (the upload allows repeats) is still one row with its
    cells filled once: the empty share is 0, not below it."""
    frame = outcome_rows()
    (tmp_path / "o.csv").write_text(pd.concat([frame, frame.head(5)]).to_csv(index=False))
    ingest_file(shop, tmp_path / "o.csv", "outcomes", dataset="shop", allow_duplicate_rows=True)
    result = dataset_readiness(shop, "shop", "outcomes", now=NOW)
    assert (result.columns["filled"] == result.columns["rows"]).all()
    assert (result.columns["null_share"] == 0).all() and result.passed
