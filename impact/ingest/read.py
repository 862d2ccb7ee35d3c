"""Parse an uploaded file into the staging table `raw`, with the file's line numbers.

DuckDB's own readers parse CSV and Parquet; Excel goes through pandas (openpyxl), since
DuckDB's Excel support is an extension that would be downloaded at first use.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import pandas as pd

from impact.errors import InvalidInput
from impact.warehouse import Staging

FileFormat = Literal["csv", "parquet", "xlsx"]
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


def read_into(staging: Staging, path: Path, sheet: str | None = None) -> FileFormat:
    """Create staging table `raw` (all source columns plus `_line`)."""
    fmt = file_format(path)
    try:
        if fmt == "csv":
            staging.read_csv("source", path, delimiter="\t" if path.suffix == ".tsv" else None)
        elif fmt == "parquet":
            staging.read_parquet("source", path)
        else:
            staging.load_frame("source", _excel_frame(path, sheet))
    except InvalidInput:
        raise
    except Exception as exc:  # the reader's own message is the most precise one
        raise InvalidInput(
            f"{path.name} could not be read as {fmt.upper()}: {_first_line(exc)}. "
            f"Check that the file is a complete, UTF-8 encoded {fmt.upper()} file."
        ) from exc
    staging.execute(
        f"CREATE TABLE raw AS SELECT rowid + {LINE_OFFSET[fmt]} AS _line, * FROM source"
    )
    staging.execute("DROP TABLE source")
    return fmt


def _excel_frame(path: Path, sheet: str | None) -> pd.DataFrame:
    sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="openpyxl")
    filled = {name: df for name, df in sheets.items() if not df.dropna(how="all").empty}
    if sheet is not None:
        if sheet not in sheets:
            raise InvalidInput(
                f"{path.name} has no sheet {sheet!r}; its sheets are: {', '.join(sheets)}."
            )
        frame = sheets[sheet]
    elif len(filled) > 1:
        raise InvalidInput(
            f"{path.name} has {len(filled)} sheets with data ({', '.join(filled)}). "
            "Choose one with --sheet NAME (or the sheet selector), or save it as its own file."
        )
    else:
        frame = next(iter(filled.values()), next(iter(sheets.values())))
    return frame.astype(object).where(frame.notna(), None)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
