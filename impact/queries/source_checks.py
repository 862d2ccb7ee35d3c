"""The data contract checked on Spark, in SQL, on a configured source (a user's table) where
it lives: the same rules and report the upload path gives, and only counts and a few
example values come back.

Each source is the view `source_<i>` (its rows with the contract's column names, see
impact.warehouse.sources), registered with the fact views.
"""

from __future__ import annotations

import pandas as pd

from impact.contract import FACTS
from impact.ingest.report import RuleResult, ValidationReport

EXAMPLES = 5
_NUMERIC = ("double", "float", "int", "bigint", "smallint", "tinyint", "decimal", "long")
_ACCEPTS = {
    "text": ("string", "varchar", "char"),
    "timestamp": ("timestamp", "date"),
    "number": _NUMERIC,
    "boolean": ("boolean",),
}


def check_source(warehouse, index: int, declared_arms: dict[str, set[str]]) -> ValidationReport:
    """The report of source number `index` of a SparkWarehouse; `declared_arms` maps an
    experiment to the arms its study declares (assignments only)."""
    source = warehouse.source(index)  # not sources.datasets: those may not be resolved yet
    fact = FACTS[source.kind]
    view = f"source_{index}"
    report = ValidationReport(source.where(), source.kind)
    types = warehouse.column_types(index)
    missing = [c.name for c in fact.required if c.name not in types]
    report.add(
        _file_level(
            "required_columns",
            "Required columns are present",
            missing,
            "map each to a column of the table in the sources file's 'columns'",
        )
    )
    wrong = [
        f"{name} is {types[name]}, not {c.type}"
        for c in fact.columns
        if (name := c.name) in types and not types[name].lower().startswith(_ACCEPTS[c.type])
    ]
    report.add(
        _file_level(
            "column_types",
            "Columns have the contract's types",
            wrong,
            "cast the column in a view, or map another column",
        )
    )
    if missing:
        return report
    filled = [c.name for c in fact.required if not c.nullable]
    signed = [
        c.name for c in fact.columns if c.non_negative and (c.required or source.read(c.name))
    ]
    # The row rules' counts in one pass over the user's table, not one pass each.
    counts = [f"count(CASE WHEN {name} IS NULL THEN 1 END)" for name in filled]
    counts += [f"count(CASE WHEN {name} < 0 THEN 1 END)" for name in signed]
    sql = f"SELECT {', '.join(['count(*)', *counts])} FROM {view}"
    rows, *found = warehouse.execute(sql).rows[0]
    report.rows = int(rows)
    for name, nulls in zip(filled, found[: len(filled)], strict=True):
        report.add(
            RuleResult(
                f"no_empty_{name}",
                f"{name} is never empty",
                int(nulls),
                fix=f"fill {name} in the table or filter those rows in a view",
            )
        )
    if fact.key:
        report.add(_duplicate_keys(warehouse, view, fact.key))
    for name, bad in zip(signed, found[len(filled) :], strict=True):
        report.add(RuleResult(f"non_negative_{name}", f"{name} is not negative", int(bad)))
    if source.kind == "assignments":
        report.add(_undeclared_arms(warehouse, view, declared_arms))
    if source.kind == "outcomes":
        unknown = warehouse.scalar(
            f"SELECT count(DISTINCT unit_id) FROM {view} WHERE unit_id NOT IN ("
            "SELECT unit_id FROM assignments UNION SELECT unit_id FROM rollouts "
            "UNION SELECT unit_id FROM predictions)"
        )
        report.add(
            RuleResult(
                "known_units",
                "Units are assigned, rolled out or predicted",
                int(unknown or 0),
                blocking=False,
                fix="outcomes of units no study or model knows are not read",
            )
        )
    return report


def _duplicate_keys(warehouse, view: str, keys: tuple[str, ...]) -> RuleResult:
    key = ", ".join(keys)
    dupes = warehouse.execute(
        f"SELECT {key}, count(*) AS n FROM {view} GROUP BY {key} HAVING count(*) > 1 "
        f"ORDER BY n DESC LIMIT {EXAMPLES}"
    ).rows
    duplicated = warehouse.scalar(
        f"SELECT count(*) FROM (SELECT {key} FROM {view} GROUP BY {key} HAVING count(*) > 1)"
    )
    return RuleResult(
        "unique_key",
        f"Each {' + '.join(keys)} appears once",
        int(duplicated or 0),
        _failures("/".join(keys), [f"{r[:-1]} appears {r[-1]} times" for r in dupes]),
        fix="keep one row per key (the latest) in a view over the table",
    )


def _undeclared_arms(warehouse, view: str, declared: dict[str, set[str]]) -> RuleResult:
    rows = warehouse.execute(
        f"SELECT experiment, arm, count(*) FROM {view} GROUP BY 1, 2 ORDER BY 1, 2"
    ).rows
    bad = [(e, a, n) for e, a, n in rows if e in declared and a not in declared[e]]
    return RuleResult(
        "declared_arms",
        "Arms are those the study declares",
        sum(int(n) for *_, n in bad),
        _failures("arm", [f"arm {a!r} of experiment {e!r} ({n} units)" for e, a, n in bad]),
        fix="declare the arm in the study, or correct the arm names in the table",
    )


def _file_level(rule: str, description: str, problems: list[str], fix: str) -> RuleResult:
    return RuleResult(
        rule,
        description,
        -1 if problems else 0,
        _failures("", problems),
        fix=fix if problems else "",
    )


def _failures(column: str, problems: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"line": None, "column": column, "value": None, "problem": p}
            for p in problems[:EXAMPLES]
        ],
        columns=["line", "column", "value", "problem"],
    )
