"""Rules on the cells and rows of a staged upload (table `clean` in the staging database):
types, missing values, dates, zones, formulas, finite numbers, duplicate keys, declared
arms. Each adds one RuleResult, with its first failing lines, to the report."""

from __future__ import annotations

from impact.contract import EARLIEST_YEAR, LATEST_YEAR
from impact.ingest.counting import collect, matching
from impact.ingest.report import RuleResult, ValidationReport
from impact.ingest.wording import say
from impact.sql import quote_identifier
from impact.warehouse import Staging

# A time of day followed by Z, an offset (+01:00, -0500) or a zone name (UTC, Europe/Paris).
ZONED = r"\d:\d\d(:\d\d(\.\d+)?)?\s*([zZ]|[+-]\d|UTC|GMT|[A-Za-z]+/[A-Za-z_]+)"
# Compared as timestamps, not by year(): DuckDB gives 2026 as the year of 2026-03-01 (BC).
EARLIEST = f"TIMESTAMPTZ '{EARLIEST_YEAR}-01-01 00:00:00+00'"
AFTER_LATEST = f"TIMESTAMPTZ '{LATEST_YEAR + 1}-01-01 00:00:00+00'"
# The numeric offset at the end of a time: sign, hours, minutes (+25:00, -0500, +99).
OFFSET = r"\d:\d\d(?::\d\d(?:\.\d+)?)?\s*([+-])(\d{1,2})(?::?(\d\d))?\s*$"
MAX_OFFSET_MINUTES = 14 * 60
# Written for "no value" by R, pandas and spreadsheets (NaN stays refused: it is a number).
MISSING_WORDS = ("NA", "N/A", "#N/A", "NULL", "NONE")
# Zero-width space, non-joiner, joiner, word joiner, BOM, soft hyphen, Mongolian separator.
INVISIBLE = r"[\x{200B}\x{200C}\x{200D}\x{2060}\x{FEFF}\x{00AD}\x{180E}]"
# A number written with a decimal comma (7,5 or 1.234,5): refused, never read as text.
DECIMAL_COMMA = r"^[+-]?[0-9]+(\.[0-9]{3})*,[0-9]+$"
TIME_HINT = "Use ISO 8601, e.g. 2026-01-31 or 2026-01-31 14:05:00+01:00 (no zone = UTC)."


def zoned_counts(staging: Staging, names: list[str]) -> dict[str, int]:
    """Per timestamp column, the values that give a time zone (one scan for them all)."""
    if not names:
        return {}
    counts = ", ".join(
        f"count(*) FILTER (WHERE {_zoned(quote_identifier('__raw_' + n))})" for n in names
    )
    row = staging.execute(f"SELECT {counts} FROM clean").rows[0]
    return dict(zip(names, (int(c) for c in row), strict=True))


def _zoned(raw: str) -> str:
    return f"regexp_matches({raw}, '{ZONED}')"


def check_column(
    staging: Staging, report: ValidationReport, col, with_zone: int | None = None
) -> None:
    """`with_zone`: for a timestamp column, how many values give a zone (zoned_counts)."""
    q, raw = quote_identifier(col.name), quote_identifier("__raw_" + col.name)
    if col.required and not col.nullable:
        check_rows(
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
        check_rows(
            staging,
            report,
            f"type:{col.name}",
            f"{col.name} is {what}",
            col.name,
            f"{raw} IS NOT NULL AND {q} IS NULL",
            _not_a_number(raw, what) if col.type == "number" else f"{raw} || ' is not {what}'",
            fix,
        )
    if col.type == "timestamp":
        if with_zone is None:
            with_zone = zoned_counts(staging, [col.name])[col.name]
        _check_zones(staging, report, col.name, with_zone)
        check_rows(
            staging,
            report,
            f"range:{col.name}",
            f"{col.name} is between {EARLIEST_YEAR} and {LATEST_YEAR}",
            col.name,
            out_of_range(q),
            f"{raw} || ' is outside {EARLIEST_YEAR}–{LATEST_YEAR}'",
            "Check the date format (day/month order, two-digit years) or the export.",
        )
    if col.non_negative:
        check_rows(
            staging,
            report,
            f"non_negative:{col.name}",
            f"{col.name} is not negative",
            col.name,
            f"{q} < 0",
            f"'negative value ' || {raw}",
            f"{col.name} cannot be below zero; fix the logging or drop these rows.",
        )


def out_of_range(value: str) -> str:
    """SQL: the timestamp `value` is infinite or outside EARLIEST_YEAR–LATEST_YEAR."""
    return f"NOT isfinite({value}) OR {value} < {EARLIEST} OR {value} >= {AFTER_LATEST}"


def _check_zones(staging: Staging, report: ValidationReport, name: str, with_zone: int) -> None:
    """Explicit zones are converted to UTC and values without one are read as UTC. A column
    with both is accepted, with a warning naming the zone-less rows: they may be local.
    An offset beyond ±14:00 exists nowhere on Earth (DuckDB would shift the time by it)."""
    raw = quote_identifier("__raw_" + name)
    zoned = _zoned(raw)
    if not with_zone:
        return
    hours = f"TRY_CAST(regexp_extract({raw}, '{OFFSET}', 2) AS INTEGER)"
    minutes = f"coalesce(TRY_CAST(NULLIF(regexp_extract({raw}, '{OFFSET}', 3), '') AS INTEGER), 0)"
    check_rows(
        staging,
        report,
        f"offset:{name}",
        f"{name} has real time-zone offsets (at most ±14:00)",
        name,
        f"{hours} * 60 + {minutes} > {MAX_OFFSET_MINUTES} OR {minutes} > 59",
        f"{raw} || ' has the offset ' || regexp_extract({raw}, '{OFFSET}', 1) || "
        f"regexp_extract({raw}, '{OFFSET}', 2) || ', beyond ±14:00'",
        "Offsets run from -12:00 to +14:00 (+01:00, -0500, +05:30). Check the export's zone "
        "setting or write the zone's name (Europe/Paris), then upload again.",
    )
    check_rows(
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


def check_formulas(staging: Staging, report: ValidationReport, columns: list[str]) -> None:
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
    parts, counts = [], []
    for name in columns:
        raw = quote_identifier("__raw_" + name)
        counts.append(matching(f"starts_with({raw}, '=')"))
        parts.append(
            f"SELECT _line AS line, ? AS column, {raw} AS value, "
            f"'formula ' || {raw} || ' instead of a value' AS problem "
            f"FROM clean WHERE starts_with({raw}, '=')"
        )
    sql = " UNION ALL ".join(parts) + " ORDER BY line"
    collect(staging, result, sql, columns, " + ".join(counts))


def check_finite_extra(staging: Staging, report: ValidationReport, name: str) -> None:
    q, raw = quote_identifier(name), quote_identifier("__raw_" + name)
    marker = missing_marker(raw)
    check_rows(
        staging,
        report,
        f"empty_marker:{name}",
        f"{name} marks missing values by leaving cells empty",
        name,
        marker,
        f"{raw} || ' read as an empty cell (no value stored)'",
        f"Cells such as NA or N/A in {name} were taken as missing and not stored; leave "
        "them empty in the file if that is right, or fill in the values and upload again.",
    )
    report.results[-1].blocking = False  # a warning: the other values are stored
    check_rows(
        staging,
        report,
        f"type:{name}",
        f"{name} is a finite number",
        name,
        f"{raw} IS NOT NULL AND {q} IS NULL AND NOT ({marker})",
        _not_a_number(raw, "a finite number"),
        f"{name} holds numbers, so every filled cell must be one. Use plain numbers such as "
        "1234.5 or 1,234.5 (a decimal point, not a decimal comma: write 7.5, not 7,5); "
        "leave a cell empty rather than writing text, NaN or infinity in it.",
    )


def _not_a_number(raw: str, what: str) -> str:
    """SQL: why the raw cell is not a number, naming the decimal comma when it is one."""
    return (
        f"CASE WHEN regexp_matches({raw}, '{DECIMAL_COMMA}') THEN {raw} || "
        f"' has a decimal comma; write ' || replace(replace({raw}, '.', ''), ',', '.') "
        f"ELSE {raw} || ' is not {what}' END"
    )


def check_duplicate_rows(staging: Staging, report: ValidationReport, columns: list[str]) -> None:
    """An outcome row repeated whole within the file (same unit, time and every value)
    would be counted twice; each repeat is named with the line it repeats."""
    cols = ", ".join(quote_identifier(c) for c in columns)
    sql = (
        f"WITH d AS (SELECT _line, unit_id, row_number() OVER (PARTITION BY {cols} "
        f"ORDER BY _line) AS n, min(_line) OVER (PARTITION BY {cols}) AS first FROM clean) "
        "SELECT _line AS line, ? AS column, unit_id AS value, "
        "'repeats line ' || first || ' exactly' AS problem FROM d WHERE n > 1 ORDER BY _line"
    )
    result = report.add(
        RuleResult(
            "duplicate_rows",
            "No row repeats another one exactly",
            fix="These rows repeat an earlier row in every column, so their values would "
            "be counted twice. Remove the repeats from the file, or, if they are real "
            f"separate events, {say('duplicate_rows', report.where)}.",
        )
    )
    collect(staging, result, sql, ["(every column)"])


def missing_marker(text: str) -> str:
    """SQL: the text cell is a word spreadsheets and R write for a missing value."""
    words = ", ".join(f"'{w}'" for w in MISSING_WORDS)
    return f"coalesce(upper({text}) IN ({words}), false)"


def check_invisible(staging: Staging, report: ValidationReport, columns: list[str]) -> None:
    """Zero-width and other invisible characters make two ids that look the same distinct."""
    for name in columns:
        raw = quote_identifier("__raw_" + name)
        found = f"regexp_extract({raw}, '{INVISIBLE}')"
        check_rows(
            staging,
            report,
            f"invisible:{name}",
            f"{name} has no invisible characters",
            name,
            f"regexp_matches({raw}, '{INVISIBLE}')",
            f"{raw} || ' contains the invisible character ' || printf('U+%04X', "
            f"unicode({found})) || ' at position ' || "
            f"strpos({raw}, {found})",
            "Remove the invisible characters (zero-width spaces, joiners, soft hyphens, "
            "byte-order marks) from these cells; they make values that look the same "
            "count as different ones.",
        )


def check_duplicate_keys(staging: Staging, report: ValidationReport, key: tuple) -> None:
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
    collect(
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


def check_declared_arms(
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
    collect(staging, result, sql, params)


def check_rows(
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
    result = report.add(RuleResult(rule, description, fix=fix))
    collect(staging, result, sql, [column], matching(condition))
