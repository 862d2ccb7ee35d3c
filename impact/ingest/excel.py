"""What pandas cannot tell about a workbook: encryption, and formulas instead of values.

An encrypted .xlsx is not a zip file but an OLE2 container, and openpyxl calls it "not a
zip file". A formula cell reads as its cached result: a program that writes workbooks
(XlsxWriter, openpyxl) stores 0 or nothing there, so a column of formulas would be stored
as zeros or reported as empty. Both are refused with what to do instead.
"""

from __future__ import annotations

from pathlib import Path

from impact.errors import InvalidInput

OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ENCRYPTED_STREAM = "EncryptionInfo".encode("utf-16-le")
SHOWN = 5


def refuse_encrypted(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if not head.startswith(OLE2_MAGIC):
        return
    if ENCRYPTED_STREAM in head or ENCRYPTED_STREAM in path.read_bytes():
        raise InvalidInput(
            f"{path.name} is password-protected (encrypted), so it cannot be read. Open it in "
            "Excel, remove the password (File → Info → Protect Workbook → Encrypt with "
            "Password, clear it), save, and upload again; or export the sheet as CSV."
        )
    raise InvalidInput(
        f"{path.name} is an old-style Excel 97–2003 workbook (.xls) named .xlsx. Open it in "
        "Excel and save it as .xlsx (Excel Workbook), or export the sheet as CSV, then "
        "upload again."
    )


def refuse_formulas(name: str, found: list, header: list[str]) -> None:
    """Data cells holding formulas (`found`, from sheets.scan), with cell, line, formula."""
    if not found:
        return
    shown = "; ".join(
        f"line {c.row}, {_column(header, c.column)} (cell {c.coordinate}): {c.value[:40]}"
        for c in found[:SHOWN]
    )
    more = " …" if len(found) > SHOWN else ""
    raise InvalidInput(
        f"{name}: cells hold formulas, not values ({shown}{more}). "
        "A workbook written by a program stores 0 or nothing as a formula's result, so "
        "Impact cannot trust it. In Excel, select the cells, copy, and Paste Special → "
        "Values (or export the sheet as CSV after Excel has calculated it), then upload again."
    )


def _column(header: list[str], index: int) -> str:
    name = header[index - 1] if 0 < index <= len(header) else ""
    return f"column {name!r}" if name else f"column {index}"
