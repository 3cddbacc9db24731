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
    if path.is_dir():
        raise InputFileError(f"{path} is a folder: name the export files inside it")
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    if is_workbook(path):
        sheet, head = head_lines(path, HEAD_LINES)
        return TextFile(path, WORKBOOK, head, sheet)
    refuse_binary(path)
    chosen = encoding or detect_encoding(path)
    head = []
    with path.open(encoding=chosen, newline="") as handle:
        try:
            for _, line in zip(range(HEAD_LINES), handle, strict=False):
                head.append(line.rstrip("\r\n"))
        except UnicodeDecodeError as exc:
            raise _undecodable(path, chosen, len(head) + 1) from exc
    if not any(line.strip() for line in head):
        raise InputFileError(f"{path} is empty: export the report again")
    return TextFile(path, chosen, head)


# What some common non-text files start with, and what to do about each.
SIGNATURES = (
    (b"\x1f\x8b", "a gzip archive: unpack it first (gunzip)"),
    (b"PK\x03\x04", "a zip archive: unpack it first and import the CSV inside"),
    (b"%PDF", "a PDF document: export the report as CSV instead"),
    (b"\x89PNG", "a PNG picture, not an export"),
    (b"\xff\xd8\xff", "a JPEG picture, not an export"),
)


def refuse_binary(path: Path) -> None:
    """Stop at a compressed or binary file instead of reading it as garbage text."""
    with path.open("rb") as handle:
        start = handle.read(8192)
    for signature, what in SIGNATURES:
        if start.startswith(signature):
            raise InputFileError(f"{path} is {what}")
    utf16 = start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in start and not utf16 and not _is_utf16_without_bom(start[:4]):
        raise InputFileError(
            f"{path} holds binary data, not text: export the report as CSV or .xlsx"
        )


def _undecodable(path: Path, encoding: str, line: int) -> InputFileError:
    return InputFileError(
        f"{path}, line {line}: bytes that are not valid {encoding} text; save the "
        "export as CSV in UTF-8 (or UTF-16, or Windows-1252) and import it again"
    )


def detect_encoding(path: Path) -> str:
    with path.open("rb") as handle:
        start = handle.read(4)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _is_utf16_without_bom(start):
        return "utf-16-le" if start[1] == 0 else "utf-16-be"
    if _decodes_as(path, "utf-8"):
        return "utf-8"
    if not _decodes_as(path, "cp1252"):
        raise _undecodable(path, "UTF-8 or Windows-1252", 1)
    log.warning("%s is not UTF-8; reading it as Windows-1252 (cp1252)", path)
    return "cp1252"


def _is_utf16_without_bom(start: bytes) -> bool:
    return len(start) == 4 and (start[1] == 0 == start[3] or start[0] == 0 == start[2])


def _decodes_as(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
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
        try:
            for cells in reader:
                start, line = line + 1, reader.line_num
                if start >= first_line:
                    yield start, cells
        except UnicodeDecodeError as exc:
            raise _undecodable(text_file.path, text_file.encoding, line + 1) from exc
