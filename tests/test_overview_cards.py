"""The Overview's cards (issue 13): one per model and study from impact.analysis.model_cards,
whose numbers are the portfolio's and the analysis functions', shown by the page (filtered
by business unit and model, realised money by date range) and printed by `impact overview`.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from impact.analysis.health import model_health
from impact.analysis.model_cards import model_cards, selection
from impact.analysis.portfolio_value import portfolio_total
from impact.analysis.value import study_value
from impact.config import CATALOG_ENV, DATA_DIR_ENV, WAREHOUSE_ENV
from impact.demo import truth as T
from impact.formats import money_about
from impact.ui import escape, money, money_short


@pytest.fixture(scope="module")
def cards(demo_store):
    return model_cards(demo_store)


@pytest.fixture(scope="module")
def total(demo_store):
    return portfolio_total(demo_store)


def test_a_card_per_portfolio_line_with_the_portfolio_numbers(cards, total, demo_store):
    by_name = {c.name: c for c in cards.cards}
    assert {line.name for line in total.lines} <= set(by_name)
    assert {v.study for v in total.verdicts} <= set(by_name)  # every verdict, valued or not
    assert {c.model for c in cards.cards} >= {m.name for m in demo_store.catalog.models()}
    for line in total.lines:
        card = by_name[line.name]
        # DuckDB's parallel sums differ in the last digits from one run to the next
        assert card.line.annual.effect == pytest.approx(line.annual.effect, rel=1e-9)
        assert card.strength == line.strength
        assert card.realised_between(None, None) == pytest.approx(line.realised)
    everything = selection(cards.cards)
    assert everything.total.effect == pytest.approx(total.total.effect)
    assert everything.total.ci_low == pytest.approx(total.total.ci_low)
    assert everything.realised == pytest.approx(total.realised)
    assert {c.business_unit for c in cards.cards} == {"Growth", "Customer support", "Risk"}


def test_the_sentence_carries_the_effect_with_its_unit_and_the_money(cards, demo_store):
    card = next(c for c in cards.cards if c.name == T.EXPERIMENT)
    v = study_value(demo_store, T.EXPERIMENT)
    e = v.effect
    assert card.sentence.startswith(
        f"{T.EXPERIMENT}: {v.arm} raised revenue_28d by USD {e.effect:,.2f} per customer ("
    )
    assert f"+USD {e.ci_low:,.2f} to +USD {e.ci_high:,.2f}" in card.sentence
    assert card.sentence.endswith(f"about {money_about(v.annual.effect)} a year.")
    rollout = next(c for c in cards.cards if c.name == T.ROLLOUT_STUDY)
    assert (
        "lowered handling_minutes by" in rollout.sentence and " minutes since" in rollout.sentence
    )
    assert [c.status for c in card.checks if c.name == "sample ratio"] == ["passed"]
    assert rollout.strength == "conclusive"  # enough regions: no failed check weakens it
    assert not any(c.status == "failed" for c in rollout.checks)


def test_the_health_line_is_the_model_health_figures(cards, demo_store):
    for card in cards.cards:
        health = model_health(demo_store, card.model, "week")
        ops = health.operations.sort_values("period")
        latest = ops.iloc[-1]
        assert card.version == latest["version"]
        assert f"latency p95 {latest['latency_p95']:,.0f} ms" in card.health.text
        assert f"{latest['fallback_share']:.0%} fell back" in card.health.text
        mine = [a for a in health.alerts if a.version == card.version]
        assert card.health.status == ("alert" if mine else "ok")
        assert all(a.message in card.health.text for a in mine)
        if health.task == "classification":
            assert "ROC AUC" in card.health.text


def test_the_date_range_splits_the_realised_money(cards):
    for card in (c for c in cards.cards if c.line is not None):
        whole = card.realised_between(None, None)
        first = card.realised_between(None, date(2026, 9, 6))
        rest = card.realised_between(date(2026, 9, 7), None)
        assert first + rest == pytest.approx(whole)
        assert card.realised_between(date(2030, 1, 1), None) == 0


def _tiles(at):
    return {m.label: m.value for m in at.metric}


def test_the_overview_shows_the_cards_and_its_filters_change_the_total(demo_app, cards):
    at = demo_app
    boxes = [b.value for b in [*at.success, *at.info, *at.warning, *at.error]]
    for card in cards.cards:
        said = f"**{card.strength.capitalize()}** — {escape(card.sentence)}"
        assert any(b.startswith(said) for b in boxes), card.name
        assert any(escape(card.health.text) in c.value for c in at.caption), card.name
    values = [m.value for m in at.metric if m.label == "Value per year"]
    assert values == [money_short(c.line.annual.effect) for c in cards.cards if c.line]
    links = at.get("page_link")
    assert len(links) == len(cards.cards)
    for link, card in zip(links, cards.cards, strict=True):
        assert (
            link.proto.label == "Model health" and f"model={card.model}" in link.proto.query_string
        )

    # One business unit: the total is its lines' sum, and only its cards are shown.
    unit = "Growth"
    chosen = cards.select([unit])
    at.multiselect(key="ov_units").set_value([unit]).run()
    assert not at.exception
    tile = _tiles(at)["Value per year (projected)"]
    expected = sum(c.line.annual.effect for c in chosen if c.counted)
    assert tile == money_short(expected) == money_short(selection(chosen).total.effect)
    assert [m.value for m in at.metric if m.label == "Value per year"] == [
        money_short(c.line.annual.effect) for c in chosen if c.line
    ]
    # And a model from another unit: nothing matches both.
    at.multiselect(key="ov_models").set_value([T.FRAUD_MODEL]).run()
    assert "Value per year (projected)" not in _tiles(at)
    assert any("No model or study matches" in i.value for i in at.info)

    # Models only, and a date range: the realised money is what fell in it.
    at.multiselect(key="ov_units").set_value([]).run()
    start, end = date(2026, 9, 7), date(2026, 10, 4)
    at.sidebar.date_input[0].set_value((start, end)).run()
    fraud = cards.select(models=[T.FRAUD_MODEL])
    expected = selection(fraud, start, end)
    assert _tiles(at)["Value per year (projected)"] == money_short(expected.total.effect)
    captions = " ".join(c.value for c in at.caption)
    assert f"Realised from 2026-09-07 to 2026-10-04: {money(expected.realised)}" in captions
    assert expected.realised != selection(fraud).realised  # the range did restrict it


def _cli(demo_store, monkeypatch, *args):
    from impact.cli import app

    monkeypatch.setenv(DATA_DIR_ENV, str(demo_store.warehouse.path.parent))
    monkeypatch.delenv(WAREHOUSE_ENV, raising=False)
    monkeypatch.delenv(CATALOG_ENV, raising=False)
    return CliRunner().invoke(app, ["overview", *args])


def test_impact_overview_json_has_the_health_line_and_the_filters(demo_store, monkeypatch, cards):
    out = json.loads(_cli(demo_store, monkeypatch, "--json").stdout)
    by_name = {line["name"]: line for line in out["lines"]}
    for card in cards.cards:
        record = by_name[card.name]
        assert record["health"] == {"status": card.health.status, "line": card.health.text}
        assert record["verdict"] == card.sentence and record["business_unit"] == card.business_unit
        assert {c["name"] for c in record["checks"]} == {c.name for c in card.checks}

    # The filters: the same cards, chosen as the page chooses them.
    monkeypatch.setattr("impact.analysis.model_cards.model_cards", lambda store: cards)
    only = json.loads(_cli(demo_store, monkeypatch, "--json", "--model", T.FRAUD_MODEL).stdout)
    [fraud] = cards.select(models=[T.FRAUD_MODEL])
    assert [line["name"] for line in only["lines"]] == [fraud.name]
    assert only["value_per_year"]["estimate"] == pytest.approx(fraud.line.annual.effect)

    growth = json.loads(_cli(demo_store, monkeypatch, "--json", "--tag", "Growth").stdout)
    chosen = cards.select(units=["Growth"])
    assert [line["name"] for line in growth["lines"]] == [c.name for c in chosen]
    assert {line["business_unit"] for line in growth["lines"]} == {"Growth"}

    dated = json.loads(
        _cli(
            demo_store, monkeypatch, "--json", "--since", "2026-09-07", "--until", "2026-10-04"
        ).stdout
    )
    expected = selection(cards.cards, date(2026, 9, 7), date(2026, 10, 4))
    assert dated["realised"] == pytest.approx(expected.realised)
    assert dated["value_per_year"]["estimate"] == pytest.approx(expected.total.effect)
    assert dated["filters"]["since"] == "2026-09-07"

    wrong = _cli(demo_store, monkeypatch, "--unit", "Sales")
    assert wrong.exit_code != 0 and "No business unit 'Sales'" in wrong.output
    assert "Growth" in wrong.output  # the known ones, to fix it
    swapped = _cli(demo_store, monkeypatch, "--since", "2026-10-04", "--until", "2026-09-07")
    assert swapped.exit_code != 0 and "swap them" in swapped.output
    text = _cli(demo_store, monkeypatch, "--model", T.CHURN_MODEL).stdout
    [churn] = cards.select(models=[T.CHURN_MODEL])
    assert f"health ({churn.health.status}): {churn.health.text}" in text


def test_a_study_without_a_model_or_money_keeps_its_verdict_card(store, tmp_path):
    """A study the portfolio cannot value (no model, no yearly volume) still has its card:
    its verdict, its strength and the checks behind it, and says why it has no money."""
    import numpy as np
    import pandas as pd

    from impact.catalog import MetricDefinitionBase, StudyBase
    from impact.ingest import ingest_file

    units = pd.DataFrame(
        {
            "experiment": "skewed",
            "unit_id": [f"u{i}" for i in range(600)],
            "arm": ["control"] * 400 + ["treatment"] * 200,
            "assigned_at": pd.Timestamp("2026-03-01", tz="UTC"),
        }
    )
    rng = np.random.default_rng(1)
    outcomes = pd.DataFrame(
        {
            "unit_id": units.unit_id,
            "observed_at": pd.Timestamp("2026-03-05", tz="UTC"),
            "revenue": rng.gamma(2, 10, 600).round(2),
        }
    )
    units.to_csv(tmp_path / "a.csv", index=False)
    outcomes.to_csv(tmp_path / "o.csv", index=False)
    store.catalog.save_study(
        StudyBase(
            name="skewed",
            kind="ab",
            arms=["control", "treatment"],
            control_arm="control",
            primary_metric="revenue",
            planned_split={"control": 0.5, "treatment": 0.5},
            business_unit="Sales",
        )
    )
    store.catalog.save_metric(MetricDefinitionBase(name="revenue", dataset="o", column="revenue"))
    ingest_file(store, tmp_path / "a.csv", "assignments")
    ingest_file(store, tmp_path / "o.csv", "outcomes")
    [card] = model_cards(store).cards
    assert card.name == "skewed" and card.line is None and card.business_unit == "Sales"
    assert card.strength == "unreliable"  # 400 against 200 where 300 each were planned
    assert [c.status for c in card.checks if c.name == "sample ratio"] == ["failed"]
    assert any("Sample ratio mismatch" in r for r in card.reasons)
    assert card.health.status == "unknown" and "No model is named" in card.health.text
    assert selection([card]).total is None


def test_a_study_s_business_unit_is_set_in_the_definitions_file(store, tmp_path):
    from impact.analysis.definitions import define_file, export_definitions
    from impact.ingest import ingest_file

    (tmp_path / "o.csv").write_text("unit_id,observed_at,revenue\nu1,2026-03-01,2.5\n")
    ingest_file(store, tmp_path / "o.csv", "outcomes", allow_unknown_units=True)
    path = tmp_path / "defs.yaml"
    path.write_text(
        "metrics:\n  revenue:\n    dataset: o\n    column: revenue\n"
        "studies:\n  pricing:\n    kind: ab\n    arms: [control, treatment]\n"
        "    control_arm: control\n    primary_metric: revenue\n    business_unit: Sales\n"
    )
    define_file(store, path)
    assert store.catalog.study("pricing").business_unit == "Sales"
    exported = export_definitions(store)
    assert "business_unit: Sales" in exported
    path.write_text(exported)
    assert store.catalog.study("pricing").version == 1
    define_file(store, path)  # the export defines nothing new
    assert store.catalog.study("pricing").version == 1
