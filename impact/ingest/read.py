"""Parse an uploaded file into the staging table `raw`, with the file's line numbers.

DuckDB's own readers parse CSV (after csvtext has checked its encoding, delimiter and
header) and Parquet; Excel goes through pandas (openpyxl), since DuckDB's Excel support is
an extension that would be downloaded at first use. Columns without a header name are
dropped when empty (trailing commas) and refused when they hold data.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd

from impact.errors import InvalidInput
from impact.ingest.archive import refuse_bomb
from impact.ingest.csvtext import bad_row, check_header, prepare_csv, unnamed_columns
from impact.ingest.excel import refuse_encrypted, refuse_formulas
from impact.ingest.limits import Limits
from impact.ingest.sheets import choose_sheet
from impact.sql import quote_identifier
from impact.vocabulary import FileFormat
from impact.warehouse import Staging, is_disk_full

FORMATS: dict[str, FileFormat] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
}
# How `_line` relates to the file: CSV and Excel count the header as line 1.
LINE_OFFSET = {"csv": 2, "xlsx": 2, "parquet": 1}


def file_format(path: Path) -> FileFormat:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInput(
            f"{path.name}: unsupported file type {path.suffix or '(none)'!r}. "
            "Upload CSV (.csv), Parquet (.parquet) or Excel (.xlsx)."
        )
    return fmt


def checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_into(
    staging: Staging, path: Path, sheet: str | None = None, limits: Limits | None = None
) -> FileFormat:
    """Create staging table `raw` (all source columns plus `_line`).

    A file with more rows or columns than `limits` (default: the settings) is refused
    before its rows are parsed."""
    fmt = file_format(path)
    limits = limits or Limits.of()
    header: list[str] | None = None
    try:
        if fmt == "csv":
            text = prepare_csv(path, staging.path.parent)
            header = text.header
            limits.check_columns(path.name, len(header))
            _check_csv_rows(staging, path.name, text, limits)
            staging.read_csv("source", text.path, delimiter=text.delimiter)
        elif fmt == "parquet":
            names, rows = _parquet_shape(path)
            limits.check_columns(path.name, len(names))
            limits.check_rows(path.name, rows)
            check_header(path.name, names)  # DuckDB renames a repeat score_1
            staging.read_parquet("source", path)
            _refuse_nested(staging, path.name)
        else:
            frame, header = _excel_frame(path, sheet, limits)
            staging.load_frame("source", frame)
    except InvalidInput:
        raise
    except Exception as exc:  # the reader's own message is the most precise one
        if is_disk_full(exc):
            raise  # not the file's fault: ingest_file says which disk is full
        why = bad_row(text.path, text.delimiter, len(header)) if fmt == "csv" and header else None
        if why:
            raise InvalidInput(f"{path.name}: {why}, then upload again.") from exc
        raise InvalidInput(_unreadable(path, fmt, exc)) from exc
    _number_lines(staging, path.name, fmt)
    if header is not None:
        _drop_unnamed(staging, path, header, fmt, sheet)
    return fmt


def _number_lines(staging: Staging, name: str, fmt: FileFormat) -> None:
    """View `raw`: the source plus `_line`, the row's line in the file."""
    columns = [c for c, _ in staging.columns("source")]
    reserved = [c for c in columns if c.lower() == "_line" or c.lower().startswith("__raw_")]
    if reserved:
        raise InvalidInput(
            f"{name}: the column name {reserved[0]!r} is reserved for Impact's own use (line "
            "numbers and the report). Rename that column in the file and upload again."
        )
    staging.number_rows("raw", "source", LINE_OFFSET[fmt], {c: c for c in columns})


def _check_csv_rows(staging: Staging, name: str, text, limits: Limits) -> None:
    """Every row ends at a line break (or the end of the file), so a file with no more line
    breaks than the limit is within it. Otherwise count the rows as they stream past (a
    quoted value may span lines), stopping one past the limit."""
    if text.newlines <= limits.rows:
        return
    rows = staging.count_csv(text.path, text.delimiter, at_most=limits.rows + 1)
    limits.check_rows(name, rows, at_least=True)


def _parquet_shape(path: Path) -> tuple[list[str], int]:
    """Column names and row count, from the file's footer (no row is read)."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as file:
        return list(file.schema_arrow.names), file.metadata.num_rows


NESTED = ("STRUCT", "MAP", "UNION")


def _refuse_nested(staging: Staging, name: str) -> None:
    """A struct, list or map column would be stored as its text ({'a': 0, 'b': 1})."""
    for column, sql_type in staging.columns("source"):
        if sql_type.upper().startswith(NESTED) or sql_type.endswith("]"):
            kind = sql_type.split("(")[0] if "(" in sql_type else "LIST"
            raise InvalidInput(
                f"{name}: column {column!r} holds nested values ({kind}: {sql_type[:60]}), "
                "not one plain value per cell. Flatten it into plain columns (e.g. "
                "pandas json_normalize, or select the field you mean) and upload again."
            )


def _drop_unnamed(
    staging: Staging, path: Path, header: list[str], fmt: FileFormat, sheet: str | None
) -> None:
    """Columns without a header name: drop them when empty (trailing commas), else refuse."""
    names = [name for name, _ in staging.columns("raw") if name != "_line"]
    unnamed = unnamed_columns(header)
    if not unnamed or len(names) != len(header):
        return
    if len(unnamed) == len(names):
        raise InvalidInput(f"{path.name}: the header row is blank; it must name the columns.")
    for i in unnamed:
        q = quote_identifier(names[i])
        filled = f"NULLIF(trim(CAST({q} AS VARCHAR)), '') IS NOT NULL"
        first = staging.execute(
            f"SELECT _line, {q} FROM raw WHERE {filled} ORDER BY _line LIMIT 1"
        ).rows
        if not first:
            continue
        line, value = first[0]
        label = f"column {i + 1}" + (f" ({_letter(i)})" if fmt == "xlsx" else "")
        merged = _merged_header_cells(path, sheet) if fmt == "xlsx" else ""
        cause = f"the header cells {merged} are merged, so " if merged else ""
        raise InvalidInput(
            f"{path.name}: {cause}{label} has no name in the header row but holds data "
            f"(line {line}: {str(value)[:40]!r}). "
            + (
                "Unmerge the header cells (or delete a title row above the header) and give"
                if merged
                else "Give"
            )
            + " every column with data its own name in the first row (or delete the column), "
            "then upload again."
        )
    staging.drop_columns("raw", [names[i] for i in unnamed])


def _unreadable(path: Path, fmt: FileFormat, exc: Exception) -> str:
    name, message = path.name, str(exc)
    fields = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    line = re.search(r"CSV Error on Line: (\d+)", message)
    if fmt == "csv" and fields and line:
        return (
            f"{name}: line {line[1]} has {fields[2]} fields but the header has {fields[1]}. "
            "A value probably contains the delimiter without quotes, or the line is cut "
            'short or has extra cells; quote such values ("1,5"), fix the line, or delete '
            "title lines above the header, then upload again."
        )
    if fmt == "csv" and "sniffing" in message:
        return (
            f"{name} could not be split into the header's columns. Look for a quote (\") "
            "that opens a value and is never closed, or lines whose number of cells differs "
            "from the header; fix them (or export the file again) and upload again."
        )
    hint = {
        "csv": "Check that it is a complete CSV file with one header line.",
        "parquet": "It may be truncated (an interrupted download or copy) or not Parquet "
        "at all; export or copy it again.",
        "xlsx": "Check that it is a complete .xlsx workbook (not .xls, or a CSV renamed to "
        ".xlsx); open it in Excel and save it again as .xlsx.",
    }[fmt]
    # The reader's words without its error class, and without our temporary paths.
    said = re.sub(r"^[A-Za-z ]*Error: ", "", _first_line(exc)).replace(str(path), name)
    return f"{name} could not be read as {fmt.upper()}: {said.rstrip('.')}. {hint}"


def _excel_frame(path: Path, sheet: str | None, limits: Limits) -> tuple[pd.DataFrame, list[str]]:
    refuse_encrypted(path)
    refuse_bomb(path)
    sheet, scan = choose_sheet(path, sheet, limits)
    frame = pd.read_excel(path, sheet_name=sheet, header=None, dtype=str, engine="openpyxl")
    if frame.empty:
        raise InvalidInput(
            f"{path.name}: the sheet is empty. Put the header in row 1 and the data below it."
        )
    header = ["" if pd.isna(v) else str(v) for v in frame.iloc[0]]
    check_header(path.name, header)
    refuse_formulas(path.name, scan.formulas, header)
    data = frame.iloc[1:].reset_index(drop=True)
    data.columns = [h or f"__unnamed_{i}" for i, h in enumerate(header)]
    return data.astype(object).where(data.notna(), None), header


def _merged_header_cells(path: Path, sheet: str | None) -> str:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path)
        ws = book[sheet] if sheet else book.worksheets[0]
        ranges = [str(r) for r in ws.merged_cells.ranges if r.min_row == 1]
    except Exception:  # only a better message is at stake
        return ""
    return ", ".join(ranges)


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
