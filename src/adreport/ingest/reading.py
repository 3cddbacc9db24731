"""Reading export files as text: encodings, byte-order marks, header blocks, records.

Exports arrive as UTF-8 (with or without a BOM), UTF-16 (Google Ads' "Excel CSV"),
or Windows-1252 from older desktop tools. The encoding is decided from the bytes,
and said out loud when it is not UTF-8, never assumed silently. Excel workbooks
are read through `sheets`, row for row as if they had been saved as CSV.
"""

from __future__ import annotations

import codecs
import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from adreport.errors import InputFileError
from adreport.ingest.sheets import WORKBOOK, head_lines, is_workbook, sheet_records

log = logging.getLogger(__name__)

CHUNK = 1 << 20
HEAD_LINES = 40
csv.field_size_limit(1 << 24)


@dataclass(frozen=True)
class TextFile:
    path: Path
    encoding: str  # "xlsx" for an Excel workbook
    head: list[str]  # the first lines, decoded, without line ends
    sheet: str | None = None  # the worksheet read, when the file is a workbook

    @property
    def name(self) -> str:
        return self.path.name


def open_text_file(path: Path, encoding: str | None = None) -> TextFile:
    """Decide the file's encoding and read its first lines."""
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    if is_workbook(path):
        sheet, head = head_lines(path, HEAD_LINES)
        return TextFile(path, WORKBOOK, head, sheet)
    chosen = encoding or detect_encoding(path)
    with path.open(encoding=chosen, newline="") as handle:
        head = []
        for _, line in zip(range(HEAD_LINES), handle, strict=False):
            head.append(line.rstrip("\r\n"))
    return TextFile(path, chosen, head)


def detect_encoding(path: Path) -> str:
    with path.open("rb") as handle:
        start = handle.read(4)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _is_utf16_without_bom(start):
        return "utf-16-le" if start[1] == 0 else "utf-16-be"
    if _decodes_as_utf8(path):
        return "utf-8"
    log.warning("%s is not UTF-8; reading it as Windows-1252 (cp1252)", path)
    return "cp1252"


def _is_utf16_without_bom(start: bytes) -> bool:
    return len(start) == 4 and (start[1] == 0 == start[3] or start[0] == 0 == start[2])


def _decodes_as_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(header_line: str, candidates: str = ",;\t|") -> str:
    counts = {d: header_line.count(d) for d in candidates}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise InputFileError(
            f"cannot find a column separator in the header line {header_line[:80]!r}; "
            "pass --format to say what the file is"
        )
    return best


def iter_records(
    text_file: TextFile, delimiter: str, first_line: int
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, cells) for every record from `first_line` (1-based) on."""
    if text_file.sheet is not None:
        yield from sheet_records(text_file.path, first_line)
        return
    with text_file.path.open(encoding=text_file.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        line = 0
        for cells in reader:
            start, line = line + 1, reader.line_num
            if start >= first_line:
                yield start, cells
