"""Excel workbooks read as if they had been saved as CSV.

Meta Ads Manager (and others) export .xlsx files. The first worksheet is read row by
row, streamed, and each cell is turned into the text a CSV export would hold:
whole numbers without ".0", fractions without binary floating-point noise, dates
as YYYY-MM-DD. Row numbers are kept, so a problem is reported at the row a user
sees in their spreadsheet program.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import zipfile
from collections.abc import Generator, Iterator
from contextlib import closing
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from adreport.errors import InputFileError

log = logging.getLogger(__name__)

WORKBOOK = "xlsx"  # the "encoding" a workbook is read with
SHEET_DELIMITER = "\t"  # how a worksheet's first rows are written out as head lines
ZIP_MAGIC = b"PK\x03\x04"
OLD_EXCEL_MAGIC = b"\xd0\xcf\x11\xe0"
# Excel keeps 15 significant digits; more is noise from binary floating point.
EXCEL_DIGITS = 15
ROW_TAG = f"{{{SHEET_MAIN_NS}}}row"
DATA_TAG = f"{{{SHEET_MAIN_NS}}}sheetData"


def is_workbook(path: Path) -> bool:
    """True for an .xlsx workbook; other zip files and old .xls are refused."""
    with path.open("rb") as handle:
        start = handle.read(4)
    if start == OLD_EXCEL_MAGIC:
        raise InputFileError(
            f"{path}: an old binary Excel workbook (.xls); open it in a spreadsheet "
            "program, save it as .xlsx or CSV, and import that file"
        )
    if start != ZIP_MAGIC:
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise InputFileError(f"{path}: a damaged zip or .xlsx file: {exc}") from exc
    if "xl/workbook.xml" in names:
        return True
    raise InputFileError(
        f"{path}: a zip archive, not an export ({len(names)} file(s) inside); unzip "
        "it and import the file it holds"
    )


def head_lines(path: Path, count: int) -> tuple[str, list[str]]:
    """The first worksheet's title and first `count` rows as tab-separated lines."""
    workbook = _load_workbook(path)
    try:
        sheet = workbook.worksheets[0]
        with closing(_text_rows(workbook, sheet)) as rows:
            head = [
                _as_line(cells) for _, cells in zip(range(count), rows, strict=False)
            ]
        title = str(sheet.title)
        sheets = len(workbook.worksheets)
    finally:
        workbook.close()
    if sheets > 1:
        log.warning("%s has %d worksheets; reading the first, %r", path, sheets, title)
    return title, head


def sheet_records(path: Path, first_line: int) -> Iterator[tuple[int, list[str]]]:
    """Rows from `first_line` on, each as wide as the header row above it.

    A spreadsheet stores nothing after a row's last value where a CSV writes empty
    fields, so the rows are padded back to the header's width.
    """
    workbook = _load_workbook(path)
    try:
        width = 0
        rows = _text_rows(workbook, workbook.worksheets[0])
        with closing(rows):
            for number, cells in enumerate(rows, start=1):
                if number == first_line - 1:
                    width = len(cells)
                if number >= first_line:
                    yield number, cells + [""] * (width - len(cells))
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """A spreadsheet value as a CSV export writes it.

    Whole numbers without a decimal point, fractions to Excel's 15 significant
    digits (0.1 + 0.2 is "0.3"), dates as YYYY-MM-DD, date-times with the time.
    A whole number too large for a float to hold exactly (an id stored as a
    number) keeps its exponent, so it can never pass for an exact id.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 10**EXCEL_DIGITS:
        return str(int(value))
    text = format(value, f".{EXCEL_DIGITS}g")
    if "e" in text and abs(value) < 10**EXCEL_DIGITS:
        text = format(Decimal(text), "f")
    return text


def _load_workbook(path: Path) -> Any:
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputFileError(
            f"{path}: cannot be read as an Excel workbook ({exc}); re-export it, or "
            "save it as CSV and import that"
        ) from exc


def _text_rows(workbook: Any, sheet: Any) -> Generator[list[str], None, None]:
    """Every row from the first, as text cells without trailing empty ones.

    An empty row is yielded for each row the sheet leaves out, so the position
    of a row is its row number.
    """
    expected = 1
    for number, values in _numbered_rows(workbook, sheet):
        while expected < number:
            yield []
            expected += 1
        cells = [cell_text(value) for value in values]
        while cells and cells[-1] == "":
            cells.pop()
        yield cells
        expected += 1


def _numbered_rows(workbook: Any, sheet: Any) -> Iterator[tuple[int, list[object]]]:
    """(row number, values) in sheet order, in memory that does not grow with rows.

    openpyxl's read-only worksheet leaves an emptied XML element behind for every
    row it has read (about 80 bytes a row). Its own row parser is used here on a
    stream that drops each row once read; if that private parser is not there
    (another openpyxl), its public reader is used instead.
    """
    try:
        parser, dimensions = _row_parser(workbook, sheet)
    except (ImportError, AttributeError, TypeError) as exc:
        log.warning("streaming row reader unavailable (%s); using openpyxl's", exc)
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        yield from ((n, list(row)) for n, row in enumerate(rows, start=1))
        return

    with sheet._get_source() as source:
        data = None
        for event, element in iterparse(source, events=("start", "end")):
            if event == "start":
                data = element if element.tag == DATA_TAG else data
                continue
            if element.tag != ROW_TAG:
                continue
            number, cells = parser.parse_row(element)
            if data is not None:
                data.remove(element)
            dimensions.clear()
            yield number, _values(cells)


def _row_parser(workbook: Any, sheet: Any) -> tuple[Any, dict[str, Any]]:
    from openpyxl.worksheet._reader import WorkSheetParser

    parser = WorkSheetParser(
        None,
        sheet._shared_strings,
        data_only=True,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    return parser, parser.row_dimensions


def _values(cells: list[dict[str, Any]]) -> list[object]:
    if not cells:
        return []
    values: list[object] = [None] * max(cell["column"] for cell in cells)
    for cell in cells:
        values[cell["column"] - 1] = cell["value"]
    return values


def _as_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=SHEET_DELIMITER, lineterminator="").writerow(cells)
    return out.getvalue()
