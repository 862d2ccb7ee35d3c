"""Files that are small on disk and expensive to read, built in a fraction of a second.

`zip_bomb` writes a real .xlsx whose one sheet repeats a data row `repeats` times: the
deflate stream is one compressed block of rows repeated byte for byte (each block ends
with a full flush, so it decodes alone), so a gigabyte of sheet XML costs milliseconds to
build and a few megabytes on disk. The zip directory states the true sizes and CRC.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
        '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target='
        '"xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} xmlns:r="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="data" '
        'sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
        '"worksheets/sheet1.xml"/></Relationships>'
    ),
}
BLOCK_ROWS = 4096


def _row(cells: list[str]) -> bytes:
    inline = "".join(f'<c t="inlineStr"><is><t>{c}</t></is></c>' for c in cells)
    return f"<row>{inline}</row>".encode()


def zip_bomb(path: Path, header: list[str], row: list[str], repeats: int) -> int:
    """Write the workbook (`repeats` rounded up to whole blocks); return its unpacked size."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>'.encode()
    head += _row(header)
    block, tail = _row(row) * BLOCK_ROWS, b"</sheetData></worksheet>"
    blocks = -(-repeats // BLOCK_ROWS)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed_head = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    packed_block = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    packed_tail = packer.compress(tail) + packer.flush()
    crc = zlib.crc32(head)
    for _ in range(blocks):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + blocks * len(block) + len(tail)
    packed = len(packed_head) + blocks * len(packed_block) + len(packed_tail)
    if size >= 2**32:
        raise ValueError("keep the sheet under 4 GiB (no zip64 here)")
    entries = [(n, zlib.crc32(t.encode()), *_deflate(t.encode())) for n, t in PARTS.items()]
    with path.open("wb") as out:
        directory = []
        for name, part_crc, data, raw in entries:
            directory.append((name, part_crc, len(data), raw, out.tell()))
            out.write(_local(name, part_crc, len(data), raw) + data)
        name = "xl/worksheets/sheet1.xml"
        directory.append((name, crc, packed, size, out.tell()))
        out.write(_local(name, crc, packed, size) + packed_head)
        for _ in range(blocks):
            out.write(packed_block)
        out.write(packed_tail)
        start = out.tell()
        for name, part_crc, csize, usize, offset in directory:
            out.write(_central(name, part_crc, csize, usize, offset))
        length = out.tell() - start
        out.write(
            struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, *[len(directory)] * 2, length, start, 0)
        )
    return size


def _deflate(data: bytes) -> tuple[bytes, int]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(), len(data)


def _local(name: str, crc: int, csize: int, usize: int) -> bytes:
    encoded = name.encode()
    fields = (0x04034B50, 20, 0, 8, 0, 0, crc, csize, usize, len(encoded), 0)
    return struct.pack("<IHHHHHIIIHH", *fields) + encoded


def _central(name: str, crc: int, csize: int, usize: int, offset: int) -> bytes:
    encoded = name.encode()
    fields = (0x02014B50, 20, 20, 0, 8, 0, 0, crc, csize, usize, len(encoded), 0, 0, 0, 0, 0)
    return struct.pack("<IHHHHHHIIIHHHHHII", *fields, offset) + encoded
