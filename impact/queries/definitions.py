"""What stored facts a definitions file may refer to: datasets' metric columns, the arms
each experiment assigned, the units of each rollout study, and unit segments."""

from __future__ import annotations

from impact.warehouse import Warehouse


def outcome_columns(warehouse: Warehouse) -> dict[str, set[str]]:
    """Per outcomes dataset (logical name): the metric columns its uploads hold."""
    rows = warehouse.execute("""
        SELECT l.name, o.metric
        FROM (SELECT DISTINCT dataset_id, metric FROM outcomes) AS o
        JOIN loads AS l USING (dataset_id)
        GROUP BY ALL""").rows
    found: dict[str, set[str]] = {}
    for name, metric in rows:
        found.setdefault(name, set()).add(metric)
    return found


def experiment_arms(warehouse: Warehouse) -> dict[str, set[str]]:
    rows = warehouse.execute("SELECT DISTINCT experiment, arm FROM assignments").rows
    found: dict[str, set[str]] = {}
    for experiment, arm in rows:
        found.setdefault(experiment, set()).add(arm)
    return found


def rollout_studies(warehouse: Warehouse) -> set[str]:
    return {r[0] for r in warehouse.execute("SELECT DISTINCT study FROM rollouts").rows}


def unit_segments(warehouse: Warehouse) -> set[str]:
    return {r[0] for r in warehouse.execute("SELECT DISTINCT segment FROM unit_segments").rows}
