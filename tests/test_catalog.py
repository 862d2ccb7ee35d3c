"""Catalog records: created on first use, upserts, versioned assumptions."""

from __future__ import annotations

import pytest

from impact.catalog import Catalog, MetricDefinitionBase, StudyBase
from impact.config import CATALOG_ENV, WAREHOUSE_ENV, settings
from impact.errors import NotFound


def test_locations_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(WAREHOUSE_ENV, str(tmp_path / "facts.duckdb"))
    monkeypatch.setenv(CATALOG_ENV, f"sqlite:///{tmp_path}/meta.sqlite")
    config = settings()
    assert config.warehouse_path == tmp_path / "facts.duckdb"
    Catalog(config.catalog_url).studies()
    assert (tmp_path / "meta.sqlite").exists()


def test_study_is_updated_by_name(store):
    store.catalog.save_study(StudyBase(name="s", kind="ab", arms=["a", "b"]))
    store.catalog.save_study(StudyBase(name="s", kind="ab", arms=["a", "b", "c"]))
    assert [s.arms for s in store.catalog.studies()] == [["a", "b", "c"]]
    with pytest.raises(NotFound, match="Known studies: s"):
        store.catalog.study("t")


def test_metric_definitions_are_one_governed_record(store):
    store.catalog.save_metric(MetricDefinitionBase(name="rev", dataset="d", column="revenue"))
    store.catalog.save_metric(
        MetricDefinitionBase(
            name="rev", dataset="d", column="revenue", description="28-day revenue"
        )
    )
    assert [m.description for m in store.catalog.metrics()] == ["28-day revenue"]
    with pytest.raises(NotFound, match="Defined metrics: rev"):
        store.catalog.metric("revenue")


def test_assumptions_keep_their_history(store):
    store.catalog.set_assumption("loaded_hourly_rate", 40, unit="USD/hour", changed_by="ann")
    store.catalog.set_assumption("loaded_hourly_rate", 48, unit="USD/hour", changed_by="bob")
    store.catalog.set_assumption("running_cost", 1000, scope="fraud-model")
    current = {(a.name, a.scope): a for a in store.catalog.assumptions()}
    assert current[("loaded_hourly_rate", "")].value == 48
    assert current[("loaded_hourly_rate", "")].version == 2
    assert current[("running_cost", "fraud-model")].value == 1000
    history = store.catalog.assumption_history("loaded_hourly_rate")
    assert [(h.value, h.changed_by) for h in history] == [(40, "ann"), (48, "bob")]


def test_models_and_versions_accumulate(store):
    store.catalog.ensure_model("m", ["v1"])
    store.catalog.ensure_model("m", ["v1", "v2"])
    assert [v.version for v in store.catalog.model_versions("m")] == ["v1", "v2"]
