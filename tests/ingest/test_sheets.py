"""Excel workbooks read as the CSV they would have been saved as."""

from __future__ import annotations

import tracemalloc
import zipfile
from datetime import date, datetime, time

import openpyxl
import pytest

from adreport.errors import InputFileError
from adreport.ingest.detect import locate
from adreport.ingest.reading import iter_records, open_text_file
from adreport.ingest.sheets import cell_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("Spring Sale", "Spring Sale"),
        (1234, "1234"),
        (1234.0, "1234"),
        (0.1 + 0.2, "0.3"),
        (1234.5599999999999, "1234.56"),
        (-0.25, "-0.25"),
        (1.5e-05, "0.000015"),
        (120210000000000001, "120210000000000001"),  # an id stored as a number
        (1.2021e17, "1.2021e+17"),  # a float cannot hold such an id: visibly inexact
        (True, "TRUE"),
        (datetime(2024, 2, 1), "2024-02-01"),
        (datetime(2024, 2, 1, 13, 30), "2024-02-01 13:30:00"),
        (date(2024, 2, 1), "2024-02-01"),
        (time(7, 0), "07:00:00"),
    ],
)
def test_cells_read_as_a_csv_would_hold_them(value, text):
    assert cell_text(value) == text


def test_head_lines_and_rows_keep_the_sheet_row_numbers(make_xlsx):
    path = make_xlsx(
        "report.xlsx",
        [
            ["Spend report"],
            ["January 1, 2024 - January 31, 2024"],
            [],
            ["date", "platform", "account_id", "currency", "campaign_name", "spend"],
            [date(2024, 1, 1), "meta", 1001, "USD", "Brand", 12.5],
            [],
            [date(2024, 1, 2), "meta", 1001, None, "Brand, Exact"],
        ],
    )

    text_file = open_text_file(path)
    located = locate(text_file)
    records = list(iter_records(text_file, located.delimiter, located.header_line + 1))

    assert (text_file.encoding, text_file.sheet) == ("xlsx", "Raw Data Report")
    assert text_file.head[:3] == [
        "Spend report",
        "January 1, 2024 - January 31, 2024",
        "",
    ]
    assert (located.fmt.name, located.header_line) == ("adreport-csv", 4)
    assert records == [
        (5, ["2024-01-01", "meta", "1001", "USD", "Brand", "12.5"]),
        (6, ["", "", "", "", "", ""]),
        (7, ["2024-01-02", "meta", "1001", "", "Brand, Exact", ""]),  # padded
    ]


def test_an_old_xls_workbook_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "report.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))

    with pytest.raises(InputFileError, match=r"save it as \.xlsx or CSV"):
        open_text_file(path)


def test_a_zipped_download_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "report.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("report.csv", "a,b\n1,2\n")

    with pytest.raises(InputFileError, match="unzip it"):
        open_text_file(path)


def _workbook(path, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "Reporting starts",
            "Reporting ends",
            "Campaign name",
            "Day",
            "Amount spent (USD)",
            "Impressions",
        ]
    )
    for i in range(rows):
        day = date(2024, 1, i % 28 + 1)
        sheet.append(
            [
                date(2024, 1, 1),
                date(2024, 1, 31),
                f"Campaign {i % 40}",
                day,
                12.5 + i % 7,
                1000 + i,
            ]
        )
    workbook.save(path)
    return open_text_file(path)


def _peak_while_reading(text_file):
    tracemalloc.start()
    try:
        rows = sum(1 for _ in iter_records(text_file, "\t", 2))
        return rows, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_reading_a_sheet_does_not_hold_its_rows_in_memory(tmp_path):
    small = _workbook(tmp_path / "small.xlsx", 1_000)
    large = _workbook(tmp_path / "large.xlsx", 10_000)

    small_rows, small_peak = _peak_while_reading(small)
    large_rows, large_peak = _peak_while_reading(large)

    assert (small_rows, large_rows) == (1_000, 10_000)
    # Keeping even an emptied XML element per row would add some 400 kB here.
    assert large_peak - small_peak < 250_000
