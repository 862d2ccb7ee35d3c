"""One scan of an outcome dataset for its readiness (impact.analysis.outcome_readiness).

An outcome row is one metric of one unit at one time, so the readiness figures (event
days, unit-time rows per period, empty metric cells, when each segment value was seen,
units no study knows) all follow from the unit-time rows and which metrics each holds.
The scan groups the rows by unit and time once, writing the metrics a unit-time row holds
as a bitmask (bit i: the i-th metric by name), and returns small parts, one row each:

- `metric`: name, bit (combo);
- `day`: UTC day (days since EARLIEST_TIME), combo, n unit-time rows holding exactly
  those metrics, latest event time;
- `segment`: segment (name), value, first and last day (day, until) of its units' rows;
- `units`: the dataset's units (n) and how many no assignment, rollout or prediction
  has (combo).

Where the bits do not suffice (more than `MAX_METRICS` metrics) a metric's `bit` is
null and the caller falls back to impact.queries.readiness."""

from __future__ import annotations

import pandas as pd

from impact.contract import EARLIEST_TIME
from impact.queries.readiness import BOUNDS, IDS, KNOWN_FACTS, _in_range
from impact.warehouse import Warehouse

MAX_METRICS = 62  # bits of a signed 64-bit integer, with room to spare
# Days count from the earliest time that counts, so they are never negative and integer
# division is a floor on both engines; it is cheaper than a time zone conversion per row.
ORIGIN_US = int(EARLIEST_TIME.timestamp()) * 1_000_000
DAY_US = 86_400_000_000


def outcome_scan(warehouse: Warehouse, name: str) -> pd.DataFrame:
    """part, name, value, day, until, latest, combo, n (see the module's docstring)."""
    return warehouse.frame(
        f"""
        WITH o AS (SELECT unit_id, observed_at, metric FROM outcomes
                   WHERE dataset_id IN ({IDS}) AND {_in_range("observed_at")}),
             bits AS (SELECT metric, row_number() OVER (ORDER BY metric) - 1 AS bit
                      FROM (SELECT DISTINCT metric FROM o) AS m),
             g AS (SELECT o.unit_id, (epoch_us(o.observed_at) - $origin) // $day AS day,
                          o.observed_at, bit_or(CAST(1 AS BIGINT) << b.bit) AS combo
                   FROM o JOIN bits AS b ON b.metric = o.metric AND b.bit < $bits
                   GROUP BY o.unit_id, o.observed_at),
             u AS (SELECT unit_id, min(day) AS first, max(day) AS last FROM g GROUP BY 1),
             known AS (SELECT count(DISTINCT unit_id) AS n FROM ({KNOWN_FACTS}) AS f
                       WHERE unit_id IN (SELECT unit_id FROM u))
        SELECT 'metric' AS part, metric AS name, CAST(NULL AS VARCHAR) AS value,
               CAST(NULL AS BIGINT) AS day, CAST(NULL AS BIGINT) AS until,
               CAST(NULL AS TIMESTAMPTZ) AS latest,
               CASE WHEN bit < $bits THEN bit END AS combo, CAST(NULL AS BIGINT) AS n
        FROM bits
        UNION ALL
        SELECT 'day', NULL, NULL, day, NULL, max(observed_at), combo, count(*)
        FROM g GROUP BY day, combo
        UNION ALL
        SELECT 'segment', s.segment, CAST(s.value AS VARCHAR), min(u.first), max(u.last),
               NULL, NULL, NULL
        FROM unit_segments AS s JOIN u ON u.unit_id = s.unit_id
        WHERE s.dataset_id IN ({IDS}) GROUP BY s.segment, s.value
        UNION ALL
        SELECT 'units', NULL, NULL, NULL, NULL, NULL,
               (SELECT count(*) FROM u) - (SELECT n FROM known), (SELECT count(*) FROM u)
        ORDER BY 1, 2, 3, 4, 7""",
        {
            "name": name,
            "kind": "outcomes",
            "bits": MAX_METRICS,
            "origin": ORIGIN_US,
            "day": DAY_US,
            **BOUNDS,
        },
    )
