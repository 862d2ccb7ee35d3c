"""The bad-input corpus: files analysts' systems really export, each with what Impact says.

Run `python tests/badfiles/make_corpus.py DIR` to write the files (and cases.csv listing
them) into DIR; tests/test_bad_files.py generates them into a temporary directory. Every
file is built from the few lines below, deterministically (no randomness, no clock).

Each case names the fact it is uploaded as, the error class, the rule that fails (for
ValidationFailed) and fragments the message must contain: the problem and the fix.
The store the files are uploaded into already holds the SEED files.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

A = "experiment,unit_id,arm,assigned_at\n"
P = "prediction_id,model,model_version,unit_id,predicted_at,score,latency_ms\n"
OUT = "unit_id,observed_at,revenue\n"
R = "study,unit_id,treated_at\n"
SQL_NAME = '"; DROP TABLE predictions; --'

SEED = {
    "seed_assignments.csv": (
        "assignments",
        A + "exp,u1,control,2026-03-01\nexp,u2,treatment,2026-03-02\n"
        "exp,u3,control,2026-03-03\nexp,u4,treatment,2026-03-04\n",
    ),
    "seed_predictions.csv": (
        "predictions",
        P + "p1,fraud,v1,u1,2026-03-01 10:00,0.1,12\np2,fraud,v1,u2,2026-03-02,0.9,30\n",
    ),
    "seed_rollouts.csv": ("rollouts", R + "roll,r1,2026-03-01\nroll,r2,\n"),
    "seed_outcomes.csv": ("outcomes", OUT + "u1,2026-03-05,10\nu2,2026-03-06,0\n"),
}


@dataclass(frozen=True)
class BadFile:
    name: str
    kind: str
    error: str  # ValidationFailed | InvalidInput | DuplicateUpload
    says: tuple[str, ...]  # fragments the message must contain: the problem and the fix
    rule: str | None = None  # the rule that fails, for ValidationFailed
    options: dict = field(default_factory=dict)  # extra ingest_file arguments


Content = bytes | str | Callable[[Path], None]
CASES: list[tuple[BadFile, Content]] = []


def case(name, kind, error, says, content, rule=None, **options) -> None:
    CASES.append((BadFile(name, kind, error, tuple(says), rule, options), content))


def rows(header: str, *lines: str) -> str:
    return header + "".join(line + "\n" for line in lines)


def numbers(n: int = 10) -> list[str]:
    """n good outcome rows, so one bad cell does not turn a metric into a segment."""
    return [f"u{1 + i % 4},2026-03-{10 + i},{i}.5" for i in range(n)]


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def good_predictions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "prediction_id": [f"q{i}" for i in range(20)],
            "model": "fraud",
            "model_version": "v2",
            "unit_id": "u1",
            "predicted_at": pd.date_range("2026-03-01", periods=20, freq="h", tz="UTC"),
            "score": [i / 20 for i in range(20)],
        }
    )


def several_sheets(path: Path) -> None:
    frame = pd.read_csv(io.StringIO(rows(A, "exp2,u10,control,2026-03-01")))
    with pd.ExcelWriter(path) as writer:
        frame.to_excel(writer, sheet_name="march", index=False)
        frame.to_excel(writer, sheet_name="april", index=False)


def merged_header(title_row: bool) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        lines = [["exp2", "u10", "control", "2026-03-01"], ["exp2", "u11", "control", "2026-03-01"]]
        if title_row:  # a group title merged over the real header
            sheet.append(["Assignments export", None, None, None])
            sheet.merge_cells("A1:D1")
            sheet.append(["experiment", "unit_id", "arm", "assigned_at"])
        else:  # "experiment / unit" as one header spread over two columns
            sheet.append(["experiment", None, "arm", "assigned_at"])
            sheet.merge_cells("A1:B1")
        for line in lines:
            sheet.append(line)
        book.save(path)

    return write


def empty_sheet(path: Path) -> None:
    from openpyxl import Workbook

    Workbook().save(path)


# --- Empty, truncated, wrong format -------------------------------------------------------
case("empty.csv", "assignments", "InvalidInput", ["is empty (0 bytes", "Export"], b"")
case("blank_lines.csv", "assignments", "InvalidInput", ["is empty", "Export"], b"\n \r\n\n")
case("bom_only.csv", "assignments", "InvalidInput", ["is empty"], codecs.BOM_UTF8)
case("utf16_bom_only.csv", "rollouts", "InvalidInput", ["is empty (2 bytes"], codecs.BOM_UTF16_LE)
case(
    "header_only.csv",
    "assignments",
    "ValidationFailed",
    ["header but no rows", "Export the data again"],
    A,
    rule="has_rows",
)
case(
    "blank_first_line.csv",
    "assignments",
    "InvalidInput",
    ["line 1 is blank", "must be the header"],
    "\n" + rows(A, "exp2,u10,control,2026-03-01"),
)
case(
    "unsupported.json",
    "outcomes",
    "InvalidInput",
    ["unsupported file type '.json'", "Upload CSV"],
    '{"unit_id": "u1"}',
)
case(
    "too_large.csv",
    "outcomes",
    "InvalidInput",
    ["above the upload limit of 1 MB", "Split the file", "IMPACT_UPLOAD_LIMIT_MB"],
    rows(OUT, *["u1,2026-03-01,1.5"] * 200_000),
    upload_limit_mb=1,
)
case(
    "binary_renamed.csv",
    "outcomes",
    "InvalidInput",
    ["NUL bytes", "not a text CSV", "Export it as CSV"],
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)),
)
# --- Encodings ------------------------------------------------------------------------------
case(
    "latin1.csv",
    "outcomes",
    "InvalidInput",
    ["not UTF-8", "line 3", "0xE9", "'é'", "CSV UTF-8"],
    rows(OUT.replace("\n", ",city\n"), "u1,2026-03-10,5,Paris", "u2,2026-03-11,6,Orléans").encode(
        "latin-1"
    ),
)
case(
    "windows1252_euro.csv",
    "outcomes",
    "InvalidInput",
    ["not UTF-8", "0x80", "'€'", "iconv"],
    rows(OUT.replace("\n", ",note\n"), "u1,2026-03-10,5,€ net").encode("cp1252"),
)
case(
    "bom_missing_column.csv",
    "assignments",
    "ValidationFailed",
    ["missing column(s): arm", "The file has: experiment, unit_id, assigned_at"],
    codecs.BOM_UTF8 + rows("experiment,unit_id,assigned_at\n", "exp2,u10,2026-03-01").encode(),
    rule="required_columns",
)
case(
    "utf16_no_bom_duplicate_key.csv",
    "assignments",
    "ValidationFailed",
    ["repeats the key of line 2", "must be unique"],
    rows(A, "exp2,u10,control,2026-03-01", "exp2,u10,treatment,2026-03-01").encode("utf-16-le"),
    rule="duplicate_key",
)
case(
    "utf16_bom_tabs_negative_latency.txt",
    "predictions",
    "ValidationFailed",
    ["negative value -5", "cannot be below zero"],
    rows(P, "q1,fraud,v2,u1,2026-03-01,0.5,-5").replace(",", "\t").encode("utf-16"),
    rule="non_negative:latency_ms",
)
case(
    "utf16_truncated.csv",
    "assignments",
    "InvalidInput",
    ["looks like UTF-16", "damaged", "Export it again"],
    rows(A, "exp2,u10,control,2026-03-01").encode("utf-16-le") + b"e",
)
# --- Delimiters, headers, ragged lines --------------------------------------------------
case(
    "space_separated.csv",
    "assignments",
    "InvalidInput",
    ["one single column", "space-separated", "Save the file as CSV"],
    rows(A.replace(",", " "), "exp2 u10 control 2026-03-01"),
)
case(
    "colon_separated.csv",
    "assignments",
    "InvalidInput",
    ["one single column", "':'-separated"],
    rows(A.replace(",", ":"), "exp2:u10:control:2026-03-01"),
)
case(
    "title_above_header.csv",
    "assignments",
    "InvalidInput",
    ["one single column", "title rather than the header, delete it"],
    "Assignments export\n" + rows(A, "exp2,u10,control,2026-03-01"),
)
case(
    "semicolon_decimal_comma.csv",
    "predictions",
    "ValidationFailed",
    ["0,85 has a decimal comma; write 0.85", "not a decimal comma"],
    rows(P.replace(",", ";"), "q1;fraud;v2;u1;2026-03-01;0,85;12"),
    rule="type:score",
)
case(
    "trailing_column_with_data.csv",
    "assignments",
    "InvalidInput",
    ["column 5 has no name", "line 2: 'note'", "its own name"],
    rows(
        A.replace("\n", ",\n"), "exp2,u10,control,2026-03-01,note", "exp2,u11,control,2026-03-01,"
    ),
)
case(
    "blank_header_cell.csv",
    "assignments",
    "InvalidInput",
    ["column 2 has no name", "its own name"],
    rows("experiment,,arm,assigned_at\n", "exp2,u10,control,2026-03-01"),
)
case(
    "duplicate_columns.csv",
    "assignments",
    "InvalidInput",
    ["names column 'unit_id' twice (columns 2 and 4)", "Rename or delete one"],
    rows("experiment,unit_id,arm,unit_id,assigned_at\n", "exp2,u10,control,u11,2026-03-01"),
)
case(
    "ragged_long_row.csv",
    "assignments",
    "InvalidInput",
    ["line 3 has 5 fields but the header has 4", "quote such values"],
    rows(A, "exp2,u10,control,2026-03-01", "exp2,u11,control,2026-03-01,extra"),
)
case(
    "ragged_short_row.csv",
    "assignments",
    "InvalidInput",
    ["line 3 has 3 fields but the header has 4"],
    rows(A, "exp2,u10,control,2026-03-01", "exp2,u11,2026-03-01"),
)
case(
    "unclosed_quote.csv",
    "assignments",
    "InvalidInput",
    ["line 2 opens a quoted value", "not closed", "upload again"],
    rows(A, 'exp2,u10,"control,2026-03-01', "exp2,u11,control,2026-03-01"),
)
case(
    "unclosed_quote_long.csv",
    "assignments",
    "InvalidInput",
    ["line 2 opens a quoted value", "not closed"],
    rows(A, 'exp2,u1,"control,2026-03-01', *[f"exp2,u{i},control,2026-03-01" for i in range(9000)]),
)
# --- Columns and types ------------------------------------------------------------------
case(
    "missing_column.csv",
    "assignments",
    "ValidationFailed",
    ["missing column(s): arm", "--map your_name=arm"],
    rows("experiment,unit_id,assigned_at\n", "exp2,u10,2026-03-01"),
    rule="required_columns",
)
case(
    "empty_required_cell.csv",
    "assignments",
    "ValidationFailed",
    ["empty cell", "Fill in unit_id"],
    rows(A, "exp2,,control,2026-03-01"),
    rule="missing:unit_id",
)
case(
    "mixed_types.csv",
    "predictions",
    "ValidationFailed",
    ["high is not a number", "plain numbers"],
    rows(P, "q1,fraud,v2,u1,2026-03-01,0.5,1", "q2,fraud,v2,u1,2026-03-01,high,1"),
    rule="type:score",
)
case(
    "units_in_numbers.csv",
    "outcomes",
    "ValidationFailed",
    ["12 USD is not a finite number", "plain numbers"],
    rows(OUT, *numbers(), "u1,2026-03-30,12 USD"),
    rule="type:revenue",
)
case(
    "not_boolean.csv",
    "predictions",
    "ValidationFailed",
    ["maybe is not true/false", "yes/no"],
    rows(P.replace("\n", ",served\n"), "q1,fraud,v2,u1,2026-03-01,0.5,1,maybe"),
    rule="type:served",
)
case(
    "no_metric.csv",
    "outcomes",
    "ValidationFailed",
    ["holds only numbers", "Add a numeric metric column"],
    rows("unit_id,observed_at,region\n", "u1,2026-03-10,north"),
    rule="has_metric",
)
# --- Timestamps -----------------------------------------------------------------------
case(
    "unparseable_timestamp.csv",
    "assignments",
    "ValidationFailed",
    ["yesterday is not a timestamp", "ISO 8601"],
    rows(A, "exp2,u10,control,yesterday"),
    rule="type:assigned_at",
)
case(
    "day_first_dates.csv",
    "assignments",
    "ValidationFailed",
    ["31/01/2026 is not a timestamp", "ISO 8601"],
    rows(A, "exp2,u10,control,31/01/2026"),
    rule="type:assigned_at",
)
case(
    "out_of_range_timestamps.csv",
    "assignments",
    "ValidationFailed",
    ["1066-10-14 is outside 1900–2100", "day/month order"],
    rows(A, "exp2,u10,control,1066-10-14", "exp2,u11,control,2999-01-01"),
    rule="range:assigned_at",
)
case(
    "infinite_timestamp.csv",
    "rollouts",
    "ValidationFailed",
    ["infinity is outside 1900–2100", "Check the date format"],
    rows(R, "roll2,r8,2026-03-01", "roll2,r9,infinity"),
    rule="range:treated_at",
)
case(
    "two_digit_year.csv",
    "rollouts",
    "ValidationFailed",
    ["26-03-01 is outside 1900–2100", "two-digit years"],
    rows(R, "roll2,r9,26-03-01"),
    rule="range:treated_at",
)
case(
    "unknown_time_zone.csv",
    "assignments",
    "ValidationFailed",
    ["2026-03-01 10:00 Mars/Olympus is not a timestamp", "ISO 8601"],
    rows(
        A,
        "exp2,u10,control,2026-03-01 10:00 Europe/Paris",
        "exp2,u11,control,2026-03-01 10:00 Mars/Olympus",
    ),
    rule="type:assigned_at",
)
case(
    "label_before_prediction.csv",
    "predictions",
    "ValidationFailed",
    ["is before predicted_at", "time zones"],
    rows(P.replace("\n", ",actual,labeled_at\n"), "q1,fraud,v2,u1,2026-03-05,0.5,1,1,2026-03-01"),
    rule="label_after_prediction",
)
# --- Numbers ----------------------------------------------------------------------------
for name, value in [
    ("nan", "NaN"),
    ("inf", "inf"),
    ("minus_infinity", "-Infinity"),
    ("huge", "1e400"),
]:
    case(
        f"{name}_score.csv",
        "predictions",
        "ValidationFailed",
        [f"{value} is not a number", "no NaN or infinity"],
        rows(P, "q1,fraud,v2,u1,2026-03-01,0.5,1", f"q2,fraud,v2,u1,2026-03-01,{value},1"),
        rule="type:score",
    )
case(
    "nan_in_metric.csv",
    "outcomes",
    "ValidationFailed",
    ["NaN is not a finite number", "NaN or infinity"],
    rows(OUT, *numbers(), "u2,2026-03-30,NaN"),
    rule="type:revenue",
)
case(
    "negative_latency.csv",
    "predictions",
    "ValidationFailed",
    ["negative value -12", "latency_ms cannot be below zero"],
    rows(P, "q1,fraud,v2,u1,2026-03-01,0.5,-12"),
    rule="non_negative:latency_ms",
)
# --- Keys, declared arms, known units ---------------------------------------------------
case(
    "duplicate_keys.csv",
    "predictions",
    "ValidationFailed",
    ["repeats the key of line 2", "prediction_id must be unique"],
    rows(P, "q1,fraud,v2,u1,2026-03-01,0.5,1", "q1,fraud,v2,u1,2026-03-02,0.6,1"),
    rule="duplicate_key",
)
case(
    "keys_already_stored.csv",
    "predictions",
    "ValidationFailed",
    ["already stored by an earlier upload", "remove them from the file"],
    rows(P, "p1,fraud,v1,u1,2026-03-01 10:00,0.1,12"),
    rule="key_not_stored",
)
case(
    "same_file_twice.csv",
    "assignments",
    "DuplicateUpload",
    ["already uploaded as dataset 'seed_assignments'", "nothing was written"],
    SEED["seed_assignments.csv"][1],
)
case(
    "undeclared_arm.csv",
    "assignments",
    "ValidationFailed",
    ["arm variant_b is not declared for exp", "Declared arms are exp: control, treatment"],
    rows(A, "exp,u9,variant_b,2026-03-09"),
    rule="declared_arms",
)
case(
    "unknown_units.csv",
    "outcomes",
    "ValidationFailed",
    ["unit stranger is in no assignment", "--allow-unknown-units"],
    rows(OUT, "u1,2026-03-10,5", "stranger,2026-03-10,5"),
    rule="known_units",
)
# --- Parquet ----------------------------------------------------------------------------
case(
    "truncated.parquet",
    "predictions",
    "InvalidInput",
    ["could not be read as PARQUET", "truncated", "export or copy it again"],
    parquet_bytes(good_predictions())[:600],
)
case(
    "csv_renamed.parquet",
    "assignments",
    "InvalidInput",
    ["could not be read as PARQUET", "not Parquet at all"],
    rows(A, "exp2,u10,control,2026-03-01"),
)
case(
    "infinite_score.parquet",
    "predictions",
    "ValidationFailed",
    ["inf is not a number", "no NaN or infinity"],
    parquet_bytes(good_predictions().assign(score=[float("inf")] + [0.5] * 19)),
    rule="type:score",
)
# --- Excel ------------------------------------------------------------------------------
case(
    "several_sheets.xlsx",
    "assignments",
    "InvalidInput",
    ["2 sheets with data (march, april)", "--sheet NAME"],
    several_sheets,
)
case(
    "merged_title_row.xlsx",
    "assignments",
    "InvalidInput",
    ["header cells A1:D1 are merged", "column 2 (B) has no name", "Unmerge"],
    merged_header(title_row=True),
)
case(
    "merged_header_cells.xlsx",
    "assignments",
    "InvalidInput",
    ["header cells A1:B1 are merged", "column 2 (B) has no name", "Unmerge"],
    merged_header(title_row=False),
)
case(
    "empty_sheet.xlsx",
    "assignments",
    "InvalidInput",
    ["the sheet is empty", "header in row 1"],
    empty_sheet,
)
case(
    "csv_renamed.xlsx",
    "assignments",
    "InvalidInput",
    ["could not be read as XLSX", "save it again as .xlsx"],
    rows(A, "exp2,u10,control,2026-03-01"),
)
# --- Injection and formulas -------------------------------------------------------------
case(
    "sql_column_name.csv",
    "assignments",
    "ValidationFailed",
    ["missing column(s): arm", SQL_NAME],
    rows(
        'experiment,unit_id,"""; DROP TABLE predictions; --",assigned_at\n', "exp2,u10,x,2026-03-01"
    ),
    rule="required_columns",
)
case(
    "sql_in_values.csv",
    "outcomes",
    "ValidationFailed",
    ["unit '; DROP TABLE assignments; -- is in no assignment", "--allow-unknown-units"],
    rows(OUT, "'; DROP TABLE assignments; --,2026-03-10,5"),
    rule="known_units",
)
case(
    "sql_in_mapping.csv",
    "assignments",
    "InvalidInput",
    ["mapping names", "which the file does not have", "The file's columns are"],
    rows(A, "exp2,u10,control,2026-03-01"),
    mapping={SQL_NAME: "arm"},
)
case(
    "formula_in_arm.csv",
    "assignments",
    "ValidationFailed",
    ["formula =HYPERLINK", "Paste Special → Values"],
    rows(A, 'exp2,u10,"=HYPERLINK(""http://x.example"",""control"")",2026-03-01'),
    rule="formula",
)
case(
    "formula_in_segment.csv",
    "outcomes",
    "ValidationFailed",
    ["formula =1+1 instead of a value", "remove the leading '='"],
    rows(OUT.replace("\n", ",region\n"), "u1,2026-03-10,5,north", "u2,2026-03-11,6,=1+1"),
    rule="formula",
)
case(
    "formula_in_number.csv",
    "predictions",
    "ValidationFailed",
    ["=SUM(A1:A3) is not a number", "plain numbers"],
    rows(P, "q1,fraud,v2,u1,2026-03-01,=SUM(A1:A3),1"),
    rule="type:score",
)

# --- Issue 14: accepted silently or misreported before --------------------------------


def workbook_with_formulas(cached: str | None) -> Callable[[Path], None]:
    """Scores as formulas; `cached` is the result a program stored (XlsxWriter stores 0)."""

    def write(path: Path) -> None:
        import re
        import zipfile

        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(P.strip().split(",") + ["base"])
        for i in range(3):
            sheet.append([f"q{i}", "fraud", "v2", "u1", "2026-03-01", f"=H{i + 2}*2", 1, 0.1])
        book.save(path)
        if cached is None:
            return
        with zipfile.ZipFile(path) as z:
            files = {n: z.read(n) for n in z.namelist()}
        xml = files["xl/worksheets/sheet1.xml"].decode()
        files["xl/worksheets/sheet1.xml"] = re.sub(
            r"(<f>[^<]*</f>)(<v\s*/>|<v></v>)?", rf"\1<v>{cached}</v>", xml
        ).encode()
        with zipfile.ZipFile(path, "w") as z:
            for name, data in files.items():
                z.writestr(name, data)

    return write


def parquet_table(columns: dict) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        names = [n.split("#")[0] for n in columns]  # "score#2": a second column named score
        pq.write_table(pa.table([pa.array(v) for v in columns.values()], names=names), path)

    return write


def encrypted_workbook() -> bytes:
    """The start of an OLE2 container holding an EncryptionInfo stream, as Excel writes a
    password-protected .xlsx (only the parts Impact looks at)."""
    entry = "EncryptionInfo".encode("utf-16-le").ljust(64, b"\x00")
    return bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504) + entry + bytes(1024)


PRED = {
    "prediction_id": ["q1", "q2"],
    "model": ["fraud", "fraud"],
    "model_version": ["v2", "v2"],
    "predicted_at": ["2026-03-01", "2026-03-02"],
    "score": [0.1, 0.2],
}
for name, stamp in [("offset_25_hours", "10:00+25:00"), ("offset_99", "10:00+99")]:
    case(
        f"{name}.csv",
        "assignments",
        "ValidationFailed",
        [f"2026-03-01 {stamp} has the offset", "beyond ±14:00", "Offsets run from"],
        rows(A, f"exp2,u10,control,2026-03-01 {stamp}"),
        rule="offset:assigned_at",
    )
case(
    "bc_date.csv",
    "assignments",
    "ValidationFailed",
    ["2026-03-01 (BC) is outside 1900–2100", "Check the date format"],
    rows(A, "exp2,u10,control,2026-03-01 (BC)"),
    rule="range:assigned_at",
)
case(
    "nul_after_64k.csv",
    "assignments",
    "InvalidInput",
    ["line 3002 contains a NUL byte", "export it again"],
    rows(
        A, *[f"exp2,u{i},control,2026-03-01" for i in range(3000)], "exp2,u9,con\x00trol,2026-03-01"
    ),
)
case(
    "formula_cached_zero.xlsx",
    "predictions",
    "InvalidInput",
    ["cells hold formulas", "line 2, column 'score' (cell F2): =H2*2", "Paste Special → Values"],
    workbook_with_formulas("0"),
)
case(
    "formula_uncached.xlsx",
    "predictions",
    "InvalidInput",
    ["cells hold formulas", "cell F4", "Paste Special → Values"],
    workbook_with_formulas(None),
)
case(
    "password_protected.xlsx",
    "assignments",
    "InvalidInput",
    ["password-protected (encrypted)", "remove the password"],
    encrypted_workbook(),
)
case(
    "struct_unit_id.parquet",
    "predictions",
    "InvalidInput",
    ["column 'unit_id' holds nested values (STRUCT", "Flatten it"],
    parquet_table({**PRED, "unit_id": [{"a": 0, "b": "x"}, {"a": 1, "b": "y"}]}),
)
case(
    "score_twice.parquet",
    "predictions",
    "InvalidInput",
    ["names column 'score' twice (columns 5 and 7)", "Rename or delete one"],
    parquet_table({**PRED, "unit_id": ["u1", "u2"], "score#2": [0.3, 0.4]}),
)
case(
    "zero_width_id.csv",
    "assignments",
    "ValidationFailed",
    ["contains the invisible character U+200B at position 3", "Remove the invisible"],
    rows(A, "exp2,u1,control,2026-03-01", "exp2,u1\u200b,control,2026-03-01"),
    rule="invisible:unit_id",
)
case(
    "homoglyph_header.csv",
    "assignments",
    "ValidationFailed",
    ["'un\\u0456t_id' looks like unit_id", "U+0456 CYRILLIC SMALL LETTER", "Retype"],
    rows("experiment,un\u0456t_id,arm,assigned_at\n", "exp2,u10,control,2026-03-01"),
    rule="required_columns",
)
case(
    "zero_width_header.csv",
    "assignments",
    "ValidationFailed",
    ["'unit\\u200b_id' looks like unit_id", "U+200B ZERO WIDTH SPACE at position 5"],
    rows("experiment,unit\u200b_id,arm,assigned_at\n", "exp2,u10,control,2026-03-01"),
    rule="required_columns",
)
case(
    "reserved_line_column.csv",
    "outcomes",
    "InvalidInput",
    ["column name '_line' is reserved", "Rename that column"],
    rows(OUT.replace("\n", ",_line\n"), "u1,2026-03-10,5,1"),
)
case(
    "newline_in_dataset_name.csv",
    "assignments",
    "InvalidInput",
    ["control character U+000A", "on one line"],
    rows(A, "exp2,u10,control,2026-03-01"),
    dataset="march\nfake_dataset  outcomes  999,999",
)
case(
    "cumulative_reexport.csv",
    "outcomes",
    "RowsAlreadyStored",
    ["2 of the file's 3 rows are already stored in dataset 'seed_outcomes'", "append_new"],
    SEED["seed_outcomes.csv"][1] + "u3,2026-03-07,4\n",
    dataset="seed_outcomes",
)


def write_seed(directory: Path) -> dict[str, tuple[str, Path]]:
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, (kind, text) in SEED.items():
        (directory / name).write_text(text)
        written[name] = (kind, directory / name)
    return written


def make_corpus(directory: Path) -> list[tuple[BadFile, Path]]:
    """Write every bad file into `directory`; return each case with its path."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for bad, content in CASES:
        path = directory / bad.name
        if callable(content):
            content(path)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        written.append((bad, path))
    return written


def main(directory: str) -> None:
    target = Path(directory)
    write_seed(target / "seed")
    with (target / "cases.csv").open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["file", "kind", "error", "rule", "message must say"])
        for bad, _ in make_corpus(target):
            out.writerow([bad.name, bad.kind, bad.error, bad.rule or "", " | ".join(bad.says)])
    print(f"{len(CASES)} bad files written to {target}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "badfiles-out")
