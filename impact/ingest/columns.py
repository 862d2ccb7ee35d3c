"""Match a file's columns to the contract and build typed SQL expressions for them."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from impact.contract import Fact
from impact.errors import InvalidInput
from impact.sql import quote_identifier
from impact.vocabulary import ColumnType

NUMERIC_SQL = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
)
# 1,234,567.89 — commas only as thousands groups, so "1,5" (a decimal comma) is not misread.
THOUSANDS = r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$"
# A time, spaces, then a numeric offset at the end: the spaces are dropped before parsing.
SPACED_OFFSET = r"(\d:\d\d(?::\d\d(?:\.\d+)?)?)\s+([+-]\d{1,2}(?::?\d\d)?)$"
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")


@dataclass
class ColumnPlan:
    """Where each contract column and each extra column comes from in the file."""

    contract: dict[str, str] = field(default_factory=dict)  # target -> source
    extras: dict[str, str] = field(default_factory=dict)  # name -> source
    mapping_used: dict[str, str] = field(default_factory=dict)  # source -> target
    missing: list[str] = field(default_factory=list)


def plan_columns(fact: Fact, file_columns: list[str], mapping: dict[str, str]) -> ColumnPlan:
    unknown = [s for s in mapping if s not in file_columns]
    if unknown:
        raise InvalidInput(
            f"The column mapping names {', '.join(map(repr, unknown))}, which the file does "
            f"not have. The file's columns are: {', '.join(file_columns)}."
        )
    targets = list(mapping.values())
    repeated = sorted({t for t in targets if targets.count(t) > 1})
    if repeated:
        raise InvalidInput(f"The mapping sends two columns to {', '.join(repeated)}; keep one.")

    plan = ColumnPlan(mapping_used=dict(mapping))
    renamed = {s: mapping.get(s, s) for s in file_columns}
    by_target = {t: s for s, t in renamed.items()}
    for col in fact.columns:
        source = by_target.get(col.name) or _loose_match(col.name, renamed, mapping)
        if source is None:
            if col.required:
                plan.missing.append(col.name)
            continue
        plan.contract[col.name] = source
        if source != col.name:
            plan.mapping_used[source] = col.name
    used = set(plan.contract.values())
    for source in file_columns:
        if source not in used:
            plan.extras[renamed[source]] = source
    return plan


def mapping_from_rows(rows: list[tuple[object, object]]) -> dict[str, str]:
    """The column mapping from the page's table of (file column, contract column) rows.

    Blank rows are skipped (a cell never filled is None or NaN, not the name 'nan'); a row
    with only one side filled is refused, naming the side to fill in."""
    mapping = {}
    for source, target in rows:
        source, target = _cell(source), _cell(target)
        if source and target:
            mapping[source] = target
        elif source or target:
            filled, empty = (
                ("file column", "contract column")
                if source
                else (
                    "contract column",
                    "file column",
                )
            )
            raise InvalidInput(
                f"A row of the column mapping has the {filled} {source or target!r} but no "
                f"{empty}. Fill in its {empty}, or delete the row (select it and press "
                "Delete), then click 'Validate and store' again."
            )
    return mapping


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return ""
    return str(value).strip()


def _loose_match(target: str, renamed: dict[str, str], mapping: dict[str, str]) -> str | None:
    """`Unit ID` or ` unit_id ` for `unit_id`: match ignoring case, spaces and dashes."""
    want = _loose(target)
    hits = [s for s, t in renamed.items() if s not in mapping and _loose(t) == want]
    return hits[0] if len(hits) == 1 else None


def _loose(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


# Letters of other scripts that look like Latin ones in column names (Cyrillic, Greek).
LOOKALIKE = str.maketrans(
    "асеіјорхуԁѕАВСЕНІЈКМОРТХαοιτνρΑΒΕΗΙΚΜΝΟΡΤΧΥΖ", "aceijopxydsABCEHIJKMOPTXaoitvpABEHIKMNOPTXYZ"
)


def lookalike_notes(
    missing: list[str], file_columns: list[str], mapping_control: str = "--map"
) -> list[str]:
    """For a missing column, the file's columns that only look like it (a Cyrillic letter,
    a zero-width space), with the characters that differ as code points."""
    notes = []
    for target in missing:
        for source in file_columns:
            if source != target and _skeleton(source) == _loose(target):
                odd = [
                    f"{'' if unicodedata.category(c) == 'Cf' else repr(c) + ' '}"
                    f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')} at position {i}"
                    for i, c in enumerate(source, start=1)
                    if not c.isascii()
                ]
                notes.append(
                    f"the file's column {shown_name(source)} looks like {target} but is not "
                    f"the same name: it contains {', '.join(odd)}. Retype that header cell "
                    f"as {target} (or map it with {mapping_control})"
                )
    return notes


def shown_name(name: str) -> str:
    """A column name with non-ASCII characters escaped, so lookalikes can be told apart."""
    return (
        repr(name)
        if name.isascii()
        else "'" + name.encode("ascii", "backslashreplace").decode() + "'"
    )


def _skeleton(name: str) -> str:
    visible = "".join(c for c in name if unicodedata.category(c) != "Cf")
    return _loose(unicodedata.normalize("NFKC", visible).translate(LOOKALIKE))


def text_expr(source: str) -> str:
    return f"NULLIF(trim(CAST({quote_identifier(source)} AS VARCHAR)), '')"


def typed_expr(source: str, source_type: str, ctype: ColumnType) -> str:
    """SQL giving the typed value, or NULL when the cell cannot be read as `ctype`."""
    q = quote_identifier(source)
    text = text_expr(source)
    base = source_type.split("(")[0].upper()
    if ctype == "text":
        return text
    if ctype == "number":
        if base in NUMERIC_SQL:
            value = f"CAST({q} AS DOUBLE)"
        else:
            value = (
                f"CASE WHEN regexp_matches({text}, '{THOUSANDS}') "
                f"THEN TRY_CAST(replace({text}, ',', '') AS DOUBLE) "
                f"ELSE TRY_CAST({text} AS DOUBLE) END"
            )
        return f"(CASE WHEN isfinite({value}) THEN {value} END)"
    if ctype == "timestamp":
        if base in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
            return q
        if base.startswith("TIMESTAMP") or base == "DATE":
            return f"CAST({q} AS TIMESTAMPTZ)"  # no zone in the file: read as UTC
        # "10:00:00 +0000": DuckDB reads an offset only when it follows the time directly.
        joined = f"regexp_replace({text}, '{SPACED_OFFSET}', '\\1\\2')"
        return f"TRY_CAST({joined} AS TIMESTAMPTZ)"
    if ctype == "boolean":
        if base == "BOOLEAN":
            return q
        words = lambda ws: ", ".join(f"'{w}'" for w in ws)  # noqa: E731
        return (
            f"CASE WHEN lower({text}) IN ({words(TRUE_WORDS)}) THEN true "
            f"WHEN lower({text}) IN ({words(FALSE_WORDS)}) THEN false END"
        )
    raise InvalidInput(f"Unknown column type {ctype!r}.")
