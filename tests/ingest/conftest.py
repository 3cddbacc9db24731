"""Fixtures of the ingest tests: Excel workbooks written the way exports are."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest

MakeWorkbook = Callable[[str, Sequence[Sequence[object]]], Path]


@pytest.fixture
def make_xlsx(tmp_path: Path) -> MakeWorkbook:
    """Write rows (None for an empty cell, [] for an empty row) into an .xlsx file."""

    def make(name: str, rows: Sequence[Sequence[object]]) -> Path:
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "Raw Data Report"
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=number, column=column, value=value)
        path = tmp_path / name
        workbook.save(path)
        return path

    return make
