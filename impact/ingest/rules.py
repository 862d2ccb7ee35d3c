"""File-level rules, run in the staging database before the warehouse is touched.

`check_file` builds the typed table `clean` (contract columns typed, raw text kept as
`__raw_<name>` for the report) and adds one RuleResult per rule to the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from impact.contract import Fact
from impact.ingest.cell_rules import (
    DECIMAL_COMMA,
    check_column,
    check_declared_arms,
    check_duplicate_keys,
    check_duplicate_rows,
    check_finite_extra,
    check_formulas,
    check_invisible,
    check_rows,
    missing_marker,
    zoned_counts,
)
from impact.ingest.columns import (
    ColumnPlan,
    lookalike_notes,
    plan_columns,
    shown_name,
    text_expr,
    typed_expr,
)
from impact.ingest.counting import one_scan
from impact.ingest.report import RuleResult, ValidationReport
from impact.ingest.wording import say
from impact.sql import quote_identifier
from impact.warehouse import Staging

# A column is numeric when more than half of its filled cells read as numbers, or when
# every cell that does not reads as a number written with a decimal comma (7,5).
NUMERIC_SHARE_NEEDED = 0.5


@dataclass
class FileContext:
    """What the catalog says about this upload's targets."""

    declared_arms: dict[str, list[str]] = field(default_factory=dict)  # experiment -> arms
    duration_metrics: set[str] = field(default_factory=set)  # outcome columns in time units
    numeric_columns: set[str] = field(default_factory=set)  # columns defined as metrics
    allow_duplicate_rows: bool = False  # store an outcome row repeated in the file as it is


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
        lookalikes = lookalike_notes(plan.missing, file_columns, say("map_short", report.where))
        result.fix = (
            (f"{'; '.join(lookalikes)}. " if lookalikes else "")
            + f"Add the column(s) or map your own names onto them, e.g. with "
            f"{say('map', report.where, column=plan.missing[0])}. The file has: "
            f"{', '.join(c if c.isascii() else shown_name(c) for c in file_columns)}."
        )
        return None

    result = report.add(RuleResult("has_rows", "The file has data rows"))
    if report.rows == 0:
        result.failed_rows = -1
        result.failures.loc[0] = [None, None, None, "the file has a header but no rows"]
        result.fix = "Export the data again; the file holds only column names."
        return None

    staged = StagedFile(plan)
    unsure = {n: s for n, s in plan.extras.items() if n not in context.numeric_columns}
    numeric = _mostly_numbers(staging, unsure, types)
    for name in plan.extras:
        is_number = name in context.numeric_columns or numeric[name]
        (staged.number_extras if is_number else staged.text_extras).append(name)
    _build_clean(staging, fact, staged, types)
    with one_scan(staging):
        _run_rules(staging, fact, context, report, staged)
    return staged


def _run_rules(
    staging: Staging,
    fact: Fact,
    context: FileContext,
    report: ValidationReport,
    staged: StagedFile,
) -> None:
    plan = staged.plan
    present = [c for c in fact.columns if c.name in plan.contract]
    zoned = zoned_counts(staging, [c.name for c in present if c.type == "timestamp"])
    for col in present:
        check_column(staging, report, col, zoned.get(col.name))
    if fact.kind == "outcomes":
        _check_has_metric(staging, report, staged)
    for name in staged.number_extras:
        check_finite_extra(staging, report, name)
    if fact.key:
        check_duplicate_keys(staging, report, fact.key)
    else:  # outcomes: no key, so a row repeated whole would be counted twice
        check_duplicate_rows(
            staging, report, list(plan.contract) + staged.number_extras + staged.text_extras
        )
        if context.allow_duplicate_rows:
            report.results[-1].blocking = False
    if "labeled_at" in plan.contract:
        check_rows(
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
        check_rows(
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
        check_declared_arms(staging, report, context.declared_arms)
    texts = [c.name for c in fact.columns if c.type == "text" and c.name in plan.contract]
    check_formulas(staging, report, texts + staged.text_extras)
    check_invisible(staging, report, texts + staged.text_extras)


def _mostly_numbers(staging: Staging, columns: dict[str, str], types: dict) -> dict[str, bool]:
    """For each column (name -> source), in one scan: it is numeric when more than half of
    its filled cells read as numbers, or when every other cell is a number with a decimal
    comma (7,5); its bad cells are then reported by line and value rather than silently
    turning a metric into a segment."""
    if not columns:
        return {}
    counts = []
    for source in columns.values():
        typed = typed_expr(source, types[source], "number")
        text = text_expr(source)
        marker = missing_marker(text)  # NA, N/A … are missing values, not text
        bad_cell = f"{text} IS NOT NULL AND {typed} IS NULL AND NOT ({marker})"
        counts += [
            f"count(CASE WHEN NOT ({marker}) THEN {text} END)",
            f"count(CASE WHEN {bad_cell} THEN 1 END)",
            f"count(CASE WHEN {bad_cell} AND regexp_matches({text}, '{DECIMAL_COMMA}') THEN 1 END)",
        ]
    row = staging.execute(f"SELECT {', '.join(counts)} FROM raw").rows[0]
    numeric = {}
    for i, name in enumerate(columns):
        filled, bad, comma = row[3 * i : 3 * i + 3]
        numeric[name] = filled > 0 and (
            bad == comma or (filled - bad) > NUMERIC_SHARE_NEEDED * filled
        )
    return numeric


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
    # A view: each rule computes only the columns it reads, straight from the file.
    staging.execute(f"CREATE VIEW clean AS SELECT {', '.join(parts)} FROM raw")


def _check_has_metric(staging: Staging, report: ValidationReport, staged: StagedFile) -> None:
    """No numeric column: name, for each text column, its first cell that is not a number,
    so the report says which cells to fix rather than only that something failed."""
    result = report.add(RuleResult("has_metric", "At least one numeric metric column"))
    if staged.number_extras:
        return
    result.failed_rows = -1
    for name in staged.text_extras:
        raw = quote_identifier("__raw_" + name)
        first = staging.execute(
            f"SELECT _line, {raw} FROM clean WHERE {raw} IS NOT NULL AND "
            f"TRY_CAST({raw} AS DOUBLE) IS NULL ORDER BY _line LIMIT 1"
        ).rows
        if first:
            line, value = first[0]
            result.failures.loc[len(result.failures)] = [
                line,
                name,
                value,
                f"no column besides unit_id and observed_at holds only numbers: {name} holds "
                f"text such as {value!r} (line {line}), so it is a segment",
            ]
    if result.failures.empty:
        result.failures.loc[0] = [
            None,
            None,
            None,
            "no column besides unit_id and observed_at holds only numbers",
        ]
    result.fix = (
        "Add a numeric metric column (e.g. revenue), or fix the cells named here if the "
        "column is meant to hold numbers; text columns are kept as segments."
    )
