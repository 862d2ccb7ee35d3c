"""SQL that builds the unit × period panel of a rollout study, and facts about it.

The panel: one cell per unit and period (day, week or month) holding the metric's sum or
mean over the outcome rows in it, and the treatment indicator D = 1 from the period that
contains the unit's adoption date on (never-treated units: D = 0 throughout). What the
estimators need is computed from it by impact.queries.did_within (TWFE, 2×2, bootstrap
sums), did_cohorts (Callaway–Sant'Anna) and did_event (event study, placebo).
Functions named panel_* work on temp tables `panel` (unit_id, period, y, d: one row per
cell) and `panel_units` (unit_id, adopted, cluster: one row per unit) in an open session,
so a stored study and a file staged by impact.queries.did_file share them. `adopted` is
the adoption period (NULL: never, or unknown when only a 0/1 treatment was given);
`cluster` groups units for the standard errors: the unit itself by default, or a coarser
grouping (a unit segment such as region) that must hold each unit whole. Scores are summed
per unit over the panel, then per cluster over the small unit table: clustering by unit
and by region share one code path, and the big table carries no extra columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from impact.errors import InvalidInput, NotEstimable
from impact.vocabulary import check_choice
from impact.warehouse import Transaction, Warehouse

PERIODS = ("day", "week", "month")
AGGREGATES = {"sum": "sum", "mean": "avg"}
# Per-unit sums (a relation with unit_id) added up per cluster of temp table panel_units.
BY_CLUSTER = "SELECT k.cluster, {sums} FROM {units} p JOIN panel_units k USING (unit_id) GROUP BY 1"


@dataclass(frozen=True)
class PanelSource:
    study: str
    dataset: str
    metric: str  # the outcome column
    period: str = "week"
    aggregation: str = "mean"
    cluster: str | None = None  # a unit segment (e.g. region); None clusters by unit


def _panel_sql(source: PanelSource) -> str:
    check_choice("period", source.period, PERIODS)
    check_choice("aggregation", source.aggregation, tuple(AGGREGATES))
    agg = AGGREGATES[source.aggregation]
    return f"""
        WITH units AS (SELECT unit_id, treated_at FROM rollouts WHERE study = $study),
        cells AS (
            SELECT o.unit_id, date_trunc($period, o.observed_at) AS period,
                   {agg}(o.value) AS y, count(*) AS cell_rows
            FROM outcomes o JOIN units u ON u.unit_id = o.unit_id
            WHERE o.metric = $metric
              AND o.dataset_id IN (SELECT dataset_id FROM loads WHERE name = $dataset)
            GROUP BY o.unit_id, date_trunc($period, o.observed_at)
        )
        SELECT c.unit_id, c.period, c.y, c.cell_rows,
               CASE WHEN u.treated_at IS NOT NULL
                         AND c.period >= date_trunc($period, u.treated_at)
                    THEN 1.0 ELSE 0.0 END AS d
        FROM cells c JOIN units u ON u.unit_id = c.unit_id"""


def _units_sql(source: PanelSource) -> str:
    """One row per unit of `panel`; a unit with two values of the cluster segment gets two
    rows, which panel_check_clusters reports instead of silently picking one."""
    if source.cluster is None:
        cluster, join = "r.unit_id", ""
    else:
        cluster = "k.value"
        join = """LEFT JOIN (SELECT DISTINCT unit_id, value FROM unit_segments
                             WHERE segment = $cluster) k ON k.unit_id = r.unit_id"""
    return f"""SELECT r.unit_id, date_trunc($period, r.treated_at) AS adopted,
                      {cluster} AS cluster
               FROM rollouts r {join}
               WHERE r.study = $study AND r.unit_id IN (SELECT unit_id FROM panel)"""


def _params(source: PanelSource) -> dict:
    return {
        "study": source.study,
        "dataset": source.dataset,
        "metric": source.metric,
        "period": source.period,
    }


def _unit_params(source: PanelSource) -> dict:
    params = {"study": source.study, "period": source.period}
    if source.cluster is not None:
        params["cluster"] = source.cluster
    return params


def _check_segment(s: Transaction, source: PanelSource) -> None:
    """The cluster names a segment the study's units have at all."""
    segments = [
        r[0]
        for r in s.execute("""SELECT DISTINCT segment FROM unit_segments
        WHERE unit_id IN (SELECT unit_id FROM panel_units) ORDER BY 1""").rows
    ]
    if source.cluster not in segments:
        known = ", ".join(repr(x) for x in segments) or "none"
        raise InvalidInput(
            f"No unit of study {source.study!r} has a segment {source.cluster!r} (its units' "
            f"segments: {known}); name one of those, or cluster by unit."
        )


def panel_check_clusters(s: Transaction, name: str) -> None:
    """Every unit of temp table `panel_units` must sit in exactly one cluster `name`."""
    missing = [
        r[0]
        for r in s.execute(
            "SELECT DISTINCT unit_id FROM panel_units WHERE cluster IS NULL ORDER BY 1 LIMIT 4"
        ).rows
    ]
    if missing:
        raise InvalidInput(
            f"Unit(s) {_examples(missing)} lack a {name!r} value (on some or all of their "
            f"rows): give every unit one (as a unit segment or column {name!r}), or cluster "
            "by unit."
        )
    split = [
        r[0]
        for r in s.execute("""SELECT unit_id FROM panel_units GROUP BY unit_id
        HAVING count(DISTINCT cluster) > 1 ORDER BY 1 LIMIT 4""").rows
    ]
    if split:
        raise InvalidInput(
            f"Unit(s) {_examples(split)} have more than one {name!r} value: a cluster must "
            f"hold whole units, so give each unit a single {name!r}."
        )


def _examples(values: list) -> str:
    shown = ", ".join(repr(str(v)) for v in values[:3])
    return shown + (" …" if len(values) > 3 else "")


def panel(warehouse: Warehouse, source: PanelSource):
    """The unit × period panel as a DataFrame (for charts and small studies)."""
    return warehouse.frame(_panel_sql(source) + " ORDER BY unit_id, period", _params(source))


def with_panel(warehouse: Warehouse, source: PanelSource, compute):
    with warehouse.session() as s:
        create_panel(s, source)
        if not s.scalar("SELECT count(*) FROM panel"):
            raise NotEstimable(
                f"No outcome rows for {source.metric!r} in dataset "
                f"{source.dataset!r} belong to units of study {source.study!r}."
            )
        return compute(s)


def adoption_outside(warehouse: Warehouse, source: PanelSource) -> dict[str, int]:
    """Units of the study adopting before the first or after the last period with data."""
    row = warehouse.execute(
        f"""WITH p AS ({_panel_sql(source)}), span AS (SELECT min(period) AS lo,
            max(period) AS hi FROM p)
        SELECT count(*) FILTER (WHERE date_trunc($period, treated_at) < lo),
               count(*) FILTER (WHERE date_trunc($period, treated_at) > hi)
        FROM rollouts, span WHERE study = $study""",
        _params(source),
    ).rows[0]
    return {"before": int(row[0] or 0), "after": int(row[1] or 0)}


def create_panel(s: Transaction, source: PanelSource) -> None:
    s.execute(f"CREATE TEMP TABLE panel AS {_panel_sql(source)}", _params(source))
    s.execute(f"CREATE TEMP TABLE panel_units AS {_units_sql(source)}", _unit_params(source))
    if source.cluster is not None:
        _check_segment(s, source)
        panel_check_clusters(s, source.cluster)


def panel_facts(s: Transaction) -> dict[str, int]:
    """Size and shape of temp table `panel`: what the estimators' warnings depend on."""
    row = s.execute("""
        WITH u AS (SELECT unit_id, min(CASE WHEN d > 0 THEN period END) AS g FROM panel
                   GROUP BY unit_id)
        SELECT (SELECT count(*) FROM u), (SELECT count(DISTINCT period) FROM panel),
               (SELECT count(*) FROM panel), count(g), count(*) - count(g), count(DISTINCT g),
               (SELECT count(DISTINCT cluster) FROM panel_units),
               count(DISTINCT k.cluster) FILTER (WHERE g IS NOT NULL)
        FROM u JOIN panel_units k USING (unit_id)""").rows[0]
    keys = ("units", "periods", "cells", "treated_units", "never_treated", "cohorts", "clusters")
    keys += ("treated_clusters",)
    return dict(zip(keys, (int(v) for v in row), strict=True))


def cluster_segments(warehouse: Warehouse, study: str) -> list[str]:
    """Unit segments that can cluster the study's standard errors: every unit has exactly
    one value, and they group units (at least 2 clusters, fewer clusters than units)."""
    rows = warehouse.execute(
        """WITH units AS (SELECT unit_id FROM rollouts WHERE study = $study),
        seg AS (SELECT DISTINCT s.segment, s.unit_id, s.value
                FROM unit_segments s JOIN units USING (unit_id))
        SELECT segment FROM seg GROUP BY segment
        HAVING count(*) = (SELECT count(*) FROM units) AND count(DISTINCT unit_id) = count(*)
           AND count(DISTINCT value) BETWEEN 2 AND count(*) - 1
        ORDER BY segment""",
        {"study": study},
    ).rows
    return [r[0] for r in rows]
