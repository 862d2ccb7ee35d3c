"""File-level rules, run in the staging database before the warehouse is touched.

`check_file` builds the typed table `clean` (contract columns typed, raw text kept as
`__raw_<name>` for the report) and adds one RuleResult per rule to the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from impact.contract import Fact
from impact.ingest.columns import ColumnPlan, plan_columns, text_expr, typed_expr
from impact.ingest.report import FAILURES_KEPT, RuleResult, ValidationReport
from impact.sql import quote_identifier
from impact.warehouse import Staging

EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
NUMERIC_SHARE_TOLERATED = 0.10
# A time of day followed by Z, an offset (+01:00, -0500) or a zone name (UTC, Europe/Paris).
ZONED = r"\d:\d\d(:\d\d(\.\d+)?)?\s*([zZ]|[+-]\d|UTC|GMT|[A-Za-z]+/[A-Za-z_]+)"
TIME_HINT = "Use ISO 8601, e.g. 2026-01-31 or 2026-01-31 14:05:00+01:00 (no zone = UTC)."


@dataclass
class FileContext:
    """What the catalog says about this upload's targets."""

    declared_arms: dict[str, list[str]] = field(default_factory=dict)  # experiment -> arms
    duration_metrics: set[str] = field(default_factory=set)  # outcome columns in time units
    numeric_columns: set[str] = field(default_factory=set)  # columns defined as metrics


@dataclass
class StagedFile:
    plan: ColumnPlan
    number_extras: list[str] = field(default_factory=list)  # metrics / numeric features
    text_extras: list[str] = field(default_factory=list)  # segments / text features


def check_file(
    staging: Staging,
    fact: Fact,
    mapping: dict[str, str],
    context: FileContext,
    report: ValidationReport,
) -> StagedFile | None:
    """Run every file rule; return the staged description, or None if columns are missing."""
    types = dict(staging.columns("raw"))
    file_columns = [c for c in types if c != "_line"]
    plan = plan_columns(fact, file_columns, mapping)
    report.rows = staging.scalar("SELECT count(*) FROM raw")

    result = report.add(RuleResult("required_columns", "Required columns are present"))
    if plan.missing:
        result.failed_rows = -1  # a file-level failure, not a row count
        result.failures.loc[0] = [
            None,
            ", ".join(plan.missing),
            None,
            f"missing column(s): {', '.join(plan.missing)}",
        ]
        result.fix = (
            f"Add the column(s) or map your own names onto them, e.g. "
            f"--map your_name={plan.missing[0]}. The file has: "
            f"{', '.join(file_columns)}."
        )
        return None

    result = report.add(RuleResult("has_rows", "The file has data rows"))
    if report.rows == 0:
        result.failed_rows = -1
        result.failures.loc[0] = [None, None, None, "the file has a header but no rows"]
        result.fix = "Export the data again; the file holds only column names."
        return None

    staged = StagedFile(plan)
    for name, source in plan.extras.items():
        is_number = name in context.numeric_columns or _mostly_numbers(
            staging, source, types[source]
        )
        (staged.number_extras if is_number else staged.text_extras).append(name)
    _build_clean(staging, fact, staged, types)

    for col in fact.columns:
        if col.name in plan.contract:
            _check_column(staging, report, col)
    if fact.kind == "outcomes":
        _check_has_metric(report, staged)
    for name in staged.number_extras:
        _check_finite_extra(staging, report, name)
    if fact.key:
        _check_duplicate_keys(staging, report, fact.key)
    if "labeled_at" in plan.contract:
        _check_rows(
            staging,
            report,
            "label_after_prediction",
            "Labels do not arrive before their prediction",
            "labeled_at",
            "labeled_at < predicted_at",
            "'labeled_at ' || CAST(labeled_at AS VARCHAR) || ' is before predicted_at'",
            "Check the time zones of both columns; a label cannot precede its prediction.",
        )
    for metric in sorted(context.duration_metrics & set(staged.number_extras)):
        _check_rows(
            staging,
            report,
            f"non_negative:{metric}",
            f"Durations in {metric} are not negative",
            metric,
            f"{quote_identifier(metric)} < 0",
            f"'negative duration ' || CAST({quote_identifier(metric)} AS VARCHAR)",
            f"{metric} is defined as a time metric; fix or drop negative values.",
        )
    if fact.kind == "assignments":
        _check_declared_arms(staging, report, context.declared_arms)
    texts = [c.name for c in fact.columns if c.type == "text" and c.name in plan.contract]
    _check_formulas(staging, report, texts + staged.text_extras)
    return staged


def _mostly_numbers(staging: Staging, source: str, source_type: str) -> bool:
    """A column is numeric when at least 90% of its filled cells read as numbers; the rest
    are then reported as bad cells rather than silently turning a metric into a segment."""
    typed = typed_expr(source, source_type, "number")
    text = text_expr(source)
    filled, bad = staging.execute(
        f"SELECT count({text}), count(CASE WHEN {text} IS NOT NULL AND {typed} IS NULL "
        "THEN 1 END) FROM raw"
    ).rows[0]
    return filled > 0 and bad <= NUMERIC_SHARE_TOLERATED * filled


def _build_clean(staging: Staging, fact: Fact, staged: StagedFile, types: dict) -> None:
    parts = ["_line"]
    for name, source in staged.plan.contract.items():
        ctype = fact.column(name).type
        parts.append(f"{typed_expr(source, types[source], ctype)} AS {quote_identifier(name)}")
        parts.append(f"{text_expr(source)} AS {quote_identifier('__raw_' + name)}")
    for name in staged.number_extras + staged.text_extras:
        source = staged.plan.extras[name]
        ctype = "number" if name in staged.number_extras else "text"
        parts.append(f"{typed_expr(source, types[source], ctype)} AS {quote_identifier(name)}")
        parts.append(f"{text_expr(source)} AS {quote_identifier('__raw_' + name)}")
    staging.execute(f"CREATE TABLE clean AS SELECT {', '.join(parts)} FROM raw ORDER BY _line")


def _check_column(staging: Staging, report: ValidationReport, col) -> None:
    q, raw = quote_identifier(col.name), quote_identifier("__raw_" + col.name)
    if col.required and not col.nullable:
        _check_rows(
            staging,
            report,
            f"missing:{col.name}",
            f"{col.name} has no empty cells",
            col.name,
            f"{raw} IS NULL",
            "'empty cell'",
            f"Fill in {col.name} on these rows or drop them; it is required.",
        )
    what = {
        "number": "a number",
        "timestamp": "a timestamp",
        "boolean": "true/false",
        "text": "text",
    }[col.type]
    fix = {
        "number": "Use plain numbers such as 1234.5 or 1,234.5 (a decimal point, not a "
        "decimal comma); no units or currency signs, no NaN or infinity.",
        "timestamp": TIME_HINT,
        "boolean": "Use true/false, yes/no or 1/0.",
    }.get(col.type, "")
    if col.type != "text":
        _check_rows(
            staging,
            report,
            f"type:{col.name}",
            f"{col.name} is {what}",
            col.name,
            f"{raw} IS NOT NULL AND {q} IS NULL",
            f"{raw} || ' is not {what}'",
            fix,
        )
    if col.type == "timestamp":
        _check_zones(staging, report, col.name)
        _check_rows(
            staging,
            report,
            f"range:{col.name}",
            f"{col.name} is between {EARLIEST_YEAR} and {LATEST_YEAR}",
            col.name,
            f"NOT isfinite({q}) OR year({q}) < {EARLIEST_YEAR} OR year({q}) > {LATEST_YEAR}",
            f"{raw} || ' is outside {EARLIEST_YEAR}–{LATEST_YEAR}'",
            "Check the date format (day/month order, two-digit years) or the export.",
        )
    if col.non_negative:
        _check_rows(
            staging,
            report,
            f"non_negative:{col.name}",
            f"{col.name} is not negative",
            col.name,
            f"{q} < 0",
            f"'negative value ' || {raw}",
            f"{col.name} cannot be below zero; fix the logging or drop these rows.",
        )


def _check_zones(staging: Staging, report: ValidationReport, name: str) -> None:
    """Explicit zones are converted to UTC and values without one are read as UTC. A column
    with both is accepted, with a warning naming the zone-less rows: they may be local."""
    raw = quote_identifier("__raw_" + name)
    zoned = f"regexp_matches({raw}, '{ZONED}')"
    with_zone = staging.scalar(f"SELECT count(*) FROM clean WHERE {zoned}")
    if not with_zone:
        return
    _check_rows(
        staging,
        report,
        f"zone:{name}",
        f"{name} gives a time zone on every value or on none",
        name,
        f"{raw} IS NOT NULL AND NOT {zoned}",
        f"{raw} || ' has no time zone (read as UTC), while {with_zone:,} other value(s) have one'",
        "Values with a zone were converted to UTC; values without one were read as UTC. If "
        "those are local times, add their zone (e.g. 2026-03-01 10:00+01:00) and upload again.",
    )
    report.results[-1].blocking = False  # a warning: stored, converted to UTC


def _check_formulas(staging: Staging, report: ValidationReport, columns: list[str]) -> None:
    """Text cells starting with '=' are spreadsheet formulas, not data; they are refused
    (and the report's CSV download neutralises any such cell it shows)."""
    result = report.add(
        RuleResult(
            "formula",
            "No cell is a spreadsheet formula (starts with '=')",
            fix="Export values, not formulas (Excel: copy the cells and Paste Special → "
            "Values, then save), or remove the leading '='.",
        )
    )
    if not columns:
        return
    parts = []
    for name in columns:
        raw = quote_identifier("__raw_" + name)
        parts.append(
            f"SELECT _line AS line, ? AS column, {raw} AS value, "
            f"'formula ' || {raw} || ' instead of a value' AS problem "
            f"FROM clean WHERE starts_with({raw}, '=')"
        )
    _collect(staging, result, " UNION ALL ".join(parts) + " ORDER BY line", columns)


def _check_has_metric(report: ValidationReport, staged: StagedFile) -> None:
    result = report.add(RuleResult("has_metric", "At least one numeric metric column"))
    if not staged.number_extras:
        result.failed_rows = -1
        result.failures.loc[0] = [
            None,
            None,
            None,
            "no column besides unit_id and observed_at holds only numbers",
        ]
        result.fix = (
            "Add a numeric metric column (e.g. revenue); text columns are kept as segments."
        )


def _check_finite_extra(staging: Staging, report: ValidationReport, name: str) -> None:
    q, raw = quote_identifier(name), quote_identifier("__raw_" + name)
    _check_rows(
        staging,
        report,
        f"type:{name}",
        f"{name} is a finite number",
        name,
        f"{raw} IS NOT NULL AND {q} IS NULL",
        f"{raw} || ' is not a finite number'",
        "Use plain numbers such as 1234.5 or 1,234.5 (a decimal point, not a decimal "
        "comma); leave a cell empty rather than writing text, NaN or infinity in it.",
    )


def _check_duplicate_keys(staging: Staging, report: ValidationReport, key: tuple) -> None:
    cols = ", ".join(quote_identifier(k) for k in key)
    shown = " || '/' || ".join(f"CAST({quote_identifier(k)} AS VARCHAR)" for k in key)
    where = " AND ".join(f"{quote_identifier(k)} IS NOT NULL" for k in key)
    sql = (
        f"WITH k AS (SELECT _line, {shown} AS key, "
        f"row_number() OVER (PARTITION BY {cols} ORDER BY _line) AS n, "
        f"min(_line) OVER (PARTITION BY {cols}) AS first FROM clean WHERE {where}) "
        "SELECT _line AS line, ? AS column, key AS value, "
        "'repeats the key of line ' || first AS problem FROM k WHERE n > 1 ORDER BY _line"
    )
    _collect(
        staging,
        report.add(
            RuleResult(
                "duplicate_key",
                f"Each {' + '.join(key)} appears once",
                fix=f"Remove the repeated rows; {' + '.join(key)} must be unique.",
            )
        ),
        sql,
        ["/".join(key)],
    )


def _check_declared_arms(
    staging: Staging, report: ValidationReport, declared: dict[str, list[str]]
) -> None:
    result = report.add(RuleResult("declared_arms", "Arms are declared by their experiment"))
    if not declared:
        return
    pairs = [(e, a) for e, arms in declared.items() for a in arms]
    values = ", ".join("(?, ?)" for _ in pairs)
    params = [v for p in pairs for v in p]
    sql = (
        f"WITH d(experiment, arm) AS (VALUES {values}) "
        "SELECT c._line AS line, 'arm' AS column, c.arm AS value, "
        "'arm ' || c.arm || ' is not declared for ' || c.experiment AS problem "
        "FROM clean c WHERE c.experiment IN (SELECT experiment FROM d) "
        "AND NOT EXISTS (SELECT 1 FROM d WHERE d.experiment = c.experiment "
        "AND d.arm = c.arm) ORDER BY c._line"
    )
    listed = "; ".join(f"{e}: {', '.join(a)}" for e, a in declared.items())
    result.fix = (
        f"Declared arms are {listed}. Rename the arm in the file, or add it to the "
        "experiment on the Metrics page before uploading."
    )
    _collect(staging, result, sql, params)


def _check_rows(
    staging: Staging,
    report: ValidationReport,
    rule: str,
    description: str,
    column: str,
    condition: str,
    problem: str,
    fix: str,
) -> None:
    raw = quote_identifier("__raw_" + column)
    sql = (
        f"SELECT _line AS line, ? AS column, {raw} AS value, {problem} AS problem "
        f"FROM clean WHERE {condition} ORDER BY _line"
    )
    _collect(staging, report.add(RuleResult(rule, description, fix=fix)), sql, [column])


def _collect(staging: Staging, result: RuleResult, sql: str, params: list) -> None:
    result.failed_rows = staging.scalar(f"SELECT count(*) FROM ({sql})", params)
    if result.failed_rows:
        frame = staging.frame(f"{sql} LIMIT {FAILURES_KEPT}", params)
        result.failures = frame[["line", "column", "value", "problem"]]
