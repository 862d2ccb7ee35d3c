"""Look at a CSV's bytes before DuckDB does: encoding, delimiter and the header row.

DuckDB reads UTF-8 only, and its dialect sniffer guesses: on a file whose rows do not all
have the header's number of fields it may take a data line as the header, or read every
line as one column. So the encoding and the delimiter are decided here, from the bytes and
the header line, and DuckDB is told both; a row with the wrong number of fields then fails
with its line number instead of being misread.

Encodings: UTF-8 (with or without a byte-order mark) is read as is. UTF-16 (with a BOM, or
without one, recognised by its NUL bytes) is unambiguous and is transcoded to UTF-8. Any
other 8-bit encoding (Latin-1, Windows-1252, …) is refused with the line and byte, since
guessing which one it is can silently change text.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path

from impact.errors import InvalidInput

DELIMITERS = (",", "\t", ";", "|")
SAMPLE = 1 << 16
CHUNK = 1 << 20
MAX_CELL_BYTES = 64 * 2**20  # the warehouse's CSV reader takes lines up to this long
SAVE_UTF8 = (
    "Save it as UTF-8 (Excel: File → Save As → 'CSV UTF-8'; or "
    "`iconv -f WINDOWS-1252 -t UTF-8 file.csv`) and upload again."
)


@dataclass(frozen=True)
class CsvText:
    path: Path  # a UTF-8 file DuckDB can read (the upload itself, or a transcoded copy)
    delimiter: str
    header: list[str]  # the header row's cells, exactly as written
    newlines: int  # line breaks in the file: at least its rows below the header


def prepare_csv(path: Path, workdir: Path) -> CsvText:
    """Check encoding and header of `path`; return what DuckDB should read and how."""
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE)
    name, size, utf16 = path.name, path.stat().st_size, _utf16_codec(sample)
    if utf16:
        path = _transcode(path, utf16, workdir)
        with path.open("rb") as fh:
            sample = fh.read(SAMPLE)
    if not sample.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InvalidInput(
            f"{name} is empty ({size} bytes, no header and no rows). "
            "Export the data again; the first line must name the columns."
        )
    if not utf16 and b"\x00" in sample:
        raise InvalidInput(
            f"{name} contains NUL bytes, so it is not a text CSV file (is it an Excel "
            "or other binary file renamed to .csv?). Export it as CSV and upload again."
        )
    newlines = _check_utf8(path)  # and NUL bytes anywhere (the sample saw only the start)
    first = _first_line(path)
    if not first.strip():
        raise InvalidInput(
            f"{name}: line 1 is blank. The first line must be the header that names the "
            "columns; remove blank or title lines above it."
        )
    delimiter = max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","
    header = next(csv.reader([first], delimiter=delimiter, quotechar='"'), [])
    if len(header) < 2:
        raise InvalidInput(
            f"{name}: the header {first[:80]!r} is one single column; Impact separates columns "
            f"by commas, tabs, semicolons or '|' and found none.{_guess_separator(first)} "
            "Save the file as CSV (comma-separated); if line 1 is a title rather than the "
            "header, delete it. Then upload again."
        )
    check_header(name, header)
    return CsvText(path, delimiter, header, newlines)


def _utf16_codec(sample: bytes) -> str | None:
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = sample[:2048]  # the header, usually ASCII even when the data is not
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even_nul = sample[0 : 2 * pairs : 2].count(0) / pairs
    odd_nul = sample[1 : 2 * pairs : 2].count(0) / pairs
    # ASCII text in UTF-16 has a NUL in (nearly) every other byte and none in the rest.
    if odd_nul > 0.3 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _transcode(path: Path, codec: str, workdir: Path) -> Path:
    target = workdir / "upload-utf8.csv"
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
            for block in iter(lambda: src.read(CHUNK), b""):
                dst.write(decoder.decode(block))
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        why = (
            "it ends in the middle of a character, so it was probably cut short"
            if exc.reason == "truncated data"
            else f"it holds an invalid character ({exc.reason})"
        )
        raise InvalidInput(
            f"{path.name} looks like UTF-16 text but is damaged: {why}. Export it again, "
            "preferably as 'CSV UTF-8'."
        ) from exc
    return target


def _check_utf8(path: Path) -> int:
    """Refuse a byte that is not UTF-8 (or is NUL); return the number of line breaks."""
    lines, carry = 0, b""
    with path.open("rb") as fh:
        while True:
            block = fh.read(CHUNK)
            data = carry + block
            if not data:
                return lines
            carry = b""
            nul = data.find(b"\x00")
            if nul >= 0:
                _refuse_nul(path.name, lines + data[:nul].count(b"\n") + 1)
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                if block and exc.reason == "unexpected end of data":
                    data, carry = data[: exc.start], data[exc.start :]  # split character
                else:
                    line = lines + data[: exc.start].count(b"\n") + 1
                    _refuse_non_utf8(path.name, data[exc.start], line)
            lines += data.count(b"\n")
            if not block:
                return lines


def _refuse_nul(name: str, line: int) -> None:
    raise InvalidInput(
        f"{name}: line {line} contains a NUL byte (0x00), which is not text; it would be "
        "stored inside a value. The file is probably damaged or partly binary: export it "
        "again, or remove the NUL bytes (e.g. `tr -d '\\000' < in.csv > out.csv`), and "
        "upload again."
    )


def _refuse_non_utf8(name: str, byte: int, line: int) -> None:
    as_cp1252 = bytes([byte]).decode("cp1252", errors="replace")
    raise InvalidInput(
        f"{name} is not UTF-8 encoded: line {line} has the byte 0x{byte:02X}, which is "
        f"{as_cp1252!r} in Latin-1/Windows-1252. Impact does not guess 8-bit encodings, "
        f"because a wrong guess changes text silently. {SAVE_UTF8}"
    )


def _first_line(path: Path) -> str:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return fh.readline().rstrip("\r\n")


def _guess_separator(line: str) -> str:
    counts = {c: line.count(c) for c in set(line) if not (c.isalnum() or c in "_\"'")}
    if not counts:
        return ""
    sep = max(sorted(counts), key=counts.get)
    shown = "space" if sep == " " else repr(sep)
    return f" It looks {shown}-separated."


def check_header(name: str, header: list[str]) -> None:
    seen: dict[str, int] = {}
    for position, cell in enumerate(header, start=1):
        key = cell.strip()
        if key and key in seen:
            raise InvalidInput(
                f"{name}: the header names column {key!r} twice (columns {seen[key]} and "
                f"{position}). Rename or delete one of them; Impact cannot tell which to use."
            )
        seen.setdefault(key, position)


def bad_row(path: Path, delimiter: str, width: int, limit: int = 200_000) -> str | None:
    """Why the first row that does not have `width` fields is wrong (scans `limit` rows)."""
    limit_before = csv.field_size_limit(MAX_CELL_BYTES)  # as long a cell as DuckDB reads
    try:
        return _first_bad_row(path, delimiter, width, limit)
    finally:
        csv.field_size_limit(limit_before)


def _first_bad_row(path: Path, delimiter: str, width: int, limit: int) -> str | None:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"')
        line = 1
        rows = iter(reader)
        for _ in range(limit + 1):
            try:
                row = next(rows)
            except StopIteration:
                return None
            except csv.Error:  # a value longer than the limit per cell
                return (
                    f"a value that starts on line {line} runs on for over "
                    f"{MAX_CELL_BYTES // 2**20} MB, the limit per cell: if it starts with a "
                    'quote ("), the closing quote is probably missing; close it or remove it, '
                    "or shorten the cell"
                )
            if row and len(row) != width:
                if any("\n" in cell or "\r" in cell for cell in row):
                    return (
                        f'line {line} opens a quoted value (") that is not closed on that '
                        "line; close the quote or remove it"
                    )
                return (
                    f"line {line} has {len(row)} fields but the header has {width}. A value "
                    "probably contains the delimiter without quotes, or the line is cut short "
                    'or has extra cells; quote such values ("1,5") or fix the line'
                )
            line = reader.line_num + 1
    return None


def unnamed_columns(header: list[str]) -> list[int]:
    """0-based positions of header cells that are blank (trailing commas, merged cells)."""
    return [i for i, cell in enumerate(header) if not str(cell).strip()]
