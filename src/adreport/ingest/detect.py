"""Recognising a file's format from its header, and finding where its table starts."""

from __future__ import annotations

import csv
from dataclasses import dataclass

from adreport.errors import InputFileError
from adreport.ingest.reading import TextFile, sniff_delimiter
from adreport.ingest.sheets import SHEET_DELIMITER
from adreport.ingest.spec import ExportFormat, builtin_formats, find_format


@dataclass(frozen=True)
class Located:
    """A format and where its header sits in a file."""

    fmt: ExportFormat
    header_line: int  # 1-based line number of the header
    delimiter: str
    headers: list[str]


def locate(text_file: TextFile, format_name: str | None = None) -> Located:
    """The format of `text_file`: the one named, or the best one recognised."""
    if format_name:
        fmt = find_format(format_name)
        found = _find_header(text_file, fmt, require_match=False)
        if found is None:
            raise InputFileError(
                f"{text_file.path}: does not look like {fmt.title}: none of the first "
                f"{len(text_file.head)} lines has the columns "
                f"{', '.join(fmt.recognise_by)}"
            )
        return found

    candidates = [
        found
        for fmt in builtin_formats()
        if (found := _find_header(text_file, fmt, require_match=True)) is not None
    ]
    if not candidates:
        raise InputFileError(_unknown_format_message(text_file))
    return max(candidates, key=lambda c: (len(c.fmt.recognise_by), -c.header_line))


def _find_header(
    text_file: TextFile, fmt: ExportFormat, require_match: bool
) -> Located | None:
    for number, line in enumerate(text_file.head, start=1):
        if not line.strip():
            continue
        delimiter = _delimiter(text_file, fmt, line)
        if delimiter is None:
            continue
        cells = next(csv.reader([line], delimiter=delimiter))
        if fmt.recognises(cells) and (fmt.recognise_by or not require_match):
            return Located(fmt, number, delimiter, cells)
    return None


def _delimiter(text_file: TextFile, fmt: ExportFormat, line: str) -> str | None:
    """A workbook's head lines are written with one separator, whatever the format."""
    if text_file.sheet is not None:
        return SHEET_DELIMITER
    if fmt.delimiter != "auto":
        return fmt.delimiter
    return _delimiter_or_none(line)


def _delimiter_or_none(line: str) -> str | None:
    try:
        return sniff_delimiter(line)
    except InputFileError:
        return None


def _unknown_format_message(text_file: TextFile) -> str:
    first = next((line for line in text_file.head if line.strip()), "")
    formats = builtin_formats()
    width = max(len(f.name) for f in formats)
    known = "\n".join(f"  {f.name:<{width}}  {f.title}" for f in formats)
    return (
        f"{text_file.path}: not a format adreport knows "
        f"(first line: {first[:100]!r}).\n"
        f"Known formats:\n{known}\n"
        "Pass --format NAME if the file is one of these with renamed columns, or "
        "--format my-mapping.toml with a column mapping of your own (see README)."
    )
