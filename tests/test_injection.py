"""User text never becomes SQL: payloads as dataset names, experiment and arm names,
segment values, metric columns and filters are stored and matched as plain values."""

from __future__ import annotations

import contextlib

import pandas as pd
import pytest

from impact.analysis.ab import experiment_readout, segment_readout
from impact.analysis.portfolio import rollout_overview
from impact.catalog import MetricDefinitionBase, StudyBase
from impact.errors import ImpactError
from impact.ingest import ingest_file
from impact.queries.ab import MetricSource, segment_stats
from impact.queries.portfolio import rollout_trends

PAYLOADS = [
    "'; DROP TABLE assignments; --",
    '"; DROP TABLE outcomes; --',
    "x' OR '1'='1",
    'x" OR "1"="1',
    "1; DELETE FROM loads",
    "') UNION SELECT * FROM loads --",
    "$experiment",
    "?",
    "%s",
    "{dataset}",
    "\\'; ATTACH 'evil.db' AS e; --",
    "COPY loads TO '/tmp/leak.csv'",
    "x/* comment */y",
    "-- only a comment",
    "Robert'); DROP TABLE rollouts;--",
    "tab\tand\nnewline",
    "ünïcödé ✓",
    "a" * 300,
    "CHECKPOINT; PRAGMA database_list",
    "$$dollar quoted$$",
    "NULL",
    "x UNION ALL SELECT 1",
]


@pytest.fixture
def loaded(store, tmp_path):
    n = len(PAYLOADS)
    units = pd.DataFrame(
        {
            "experiment": PAYLOADS[0],
            "unit_id": PAYLOADS,
            "arm": [PAYLOADS[2] if i % 2 else "control" for i in range(n)],
            "assigned_at": "2026-03-01",
        }
    )
    outcomes = pd.DataFrame(
        {
            "unit_id": PAYLOADS,
            "observed_at": "2026-03-02",
            "revenue": range(n),
            "region": PAYLOADS[::-1],
        }
    )
    rollouts = pd.DataFrame(
        {
            "study": PAYLOADS[1],
            "unit_id": PAYLOADS,
            "treated_at": ["2026-03-01"] * (n - 2) + ["", ""],
        }
    )
    for name, frame in (("a", units), ("o", outcomes), ("r", rollouts)):
        frame.to_parquet(tmp_path / f"{name}.parquet")
    store.catalog.save_study(
        StudyBase(
            name=PAYLOADS[0],
            kind="ab",
            control_arm="control",
            arms=["control", PAYLOADS[2]],
            primary_metric="rev",
        )
    )
    store.catalog.save_study(StudyBase(name=PAYLOADS[1], kind="did", primary_metric="rev"))
    store.catalog.save_metric(
        MetricDefinitionBase(name="rev", dataset=PAYLOADS[3], column="revenue")
    )
    ingest_file(store, tmp_path / "a.parquet", "assignments", dataset=PAYLOADS[4])
    ingest_file(store, tmp_path / "o.parquet", "outcomes", dataset=PAYLOADS[3])
    ingest_file(store, tmp_path / "r.parquet", "rollouts", dataset=PAYLOADS[5])
    return store


def test_payloads_are_stored_verbatim(loaded):
    wh = loaded.warehouse
    assert sorted(r[0] for r in wh.execute("SELECT unit_id FROM assignments").rows) == sorted(
        PAYLOADS
    )
    assert {d.name for d in loaded.catalog.datasets()} == set(PAYLOADS[3:6])
    segments = {r[0] for r in wh.execute("SELECT value FROM unit_segments").rows}
    assert segments == set(PAYLOADS)
    tables = {r[0] for r in wh.execute("SELECT table_name FROM information_schema.tables").rows}
    assert {"assignments", "outcomes", "rollouts", "loads"} <= tables


def test_analyses_match_payload_names_as_values(loaded):
    result = experiment_readout(loaded, PAYLOADS[0])
    assert result.readout.counts == {"control": 11, PAYLOADS[2]: 11}
    parts = segment_readout(loaded, PAYLOADS[0], "rev", "region")
    assert parts and all("exploratory" in e.warnings[-1] for e in parts)
    overview = rollout_overview(loaded, PAYLOADS[1])
    assert overview.treated == len(PAYLOADS) - 2


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_as_filters_and_columns_raise_nothing_but_impact_errors(loaded, payload):
    before = loaded.warehouse.table_checksums()
    parts = segment_stats(
        loaded.warehouse,
        payload,
        MetricSource(payload, payload, "sum"),
        window_days=28,
        segment=payload,
    )
    assert not parts or payload == PAYLOADS[0]  # that one is the experiment's real name
    # a payload is never a metric column or dataset here
    assert sum(s.y.sum for arms in parts.values() for s in arms.values()) == 0
    assert rollout_trends(loaded.warehouse, payload, payload, payload).empty
    with contextlib.suppress(ImpactError):
        experiment_readout(loaded, payload)
    assert loaded.warehouse.table_checksums() == before
