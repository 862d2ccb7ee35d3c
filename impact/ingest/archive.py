"""A workbook is a zip archive: its directory says how large each part unpacks, for free.

The upload limit measures the file as sent, compressed. A few megabytes of a repeated row
can unpack to gigabytes of sheet XML (a "zip bomb"), which the Excel reader would parse for
minutes. The directory lists every part's packed and unpacked size without unpacking
anything, so such a workbook is refused before a byte of it is parsed. Python's zip reader
stops at the size the directory states, so a directory that lies cannot get more through.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from impact.errors import InvalidInput

# Sheets written by Excel, LibreOffice, pandas or openpyxl pack 5–30 to 1; even a column of
# one repeated value stays under 100 to 1. A bomb packs near deflate's limit, about 1000 to 1.
MAX_RATIO = 100
SMALL_PART = 2**20  # parts that unpack to less than this are never a threat
# The Excel reader keeps a sheet's rows as Python objects, about 10× the XML; 2 GB of XML
# is beyond what one upload of at most 100 million rows needs.
MAX_UNPACKED = 2 * 2**30


def refuse_bomb(path: Path) -> None:
    """Refuse a workbook whose parts unpack far beyond any real sheet (before parsing)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return  # not a zip archive: the Excel reader says what it is instead
    total = sum(p.file_size for p in parts)
    worst = max(parts, key=lambda p: p.file_size / max(p.compress_size, 1), default=None)
    if worst is not None and worst.file_size >= SMALL_PART:
        ratio = worst.file_size / max(worst.compress_size, 1)
        if ratio > MAX_RATIO:
            raise InvalidInput(
                f"{path.name} unpacks to {total / 2**20:,.0f} MB from "
                f"{path.stat().st_size / 2**20:,.1f} MB: its part {worst.filename} is "
                f"compressed {ratio:,.0f} to 1, where real sheets are under {MAX_RATIO} to 1. "
                "It is not a workbook Excel wrote from real data (possibly a zip bomb), so it "
                "was not read. Export the sheet as CSV, or open it in Excel and save it again "
                "as .xlsx, then upload again."
            )
    if total > MAX_UNPACKED:
        raise InvalidInput(
            f"{path.name} unpacks to {total / 2**30:,.1f} GB of sheet data, above the "
            f"{MAX_UNPACKED / 2**30:,.0f} GB an Excel upload may hold. Export the sheet as CSV "
            "or Parquet (read in a stream, without that limit), or split the workbook, and "
            "upload again."
        )
