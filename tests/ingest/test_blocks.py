"""The block reader hands the importer exactly the batches the row reader would."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adreport.ingest import importer
from adreport.ingest.batch import BatchParser, FileFacts
from adreport.ingest.blocks import block_batches
from adreport.ingest.detect import locate
from adreport.ingest.reading import open_text_file

MAPPING = """\
name = "blocks-test"
title = "A small report with totals and comments"
platform = "other"
recognise_by = ["Day", "Campaign", "Impr."]
skip_rows_starting = ["#", "Total"]
stop_at_rows_starting = ["End:"]

[columns]
date = "Day"
campaign_name = "Campaign"
impressions = "Impr."
"""
HEADER = 'Report\n"All time, all accounts"\nDay,Campaign,Impr.\n'


def both_readers(
    tmp_path: Path, text: str | bytes, batch_rows: int = 3, block_bytes: int = 64
) -> tuple[list[Any], list[Any] | None]:
    """(row reader's batches, block reader's batches or None if it declines)."""
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    path = tmp_path / "report.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    text_file = open_text_file(path)
    located = locate(text_file, str(mapping))
    facts = FileFacts(path, datetime(2026, 1, 1), currency="USD", account="shop")
    parser = BatchParser(located, facts)
    fate = partial(importer._fate, located.fmt)
    rows = importer._row_batches(text_file, located, parser, fate, batch_rows)
    blocks = block_batches(text_file, located, parser, fate, batch_rows, block_bytes)
    return _plain(rows), None if blocks is None else _plain(blocks)


def _plain(batches: Any) -> list[Any]:
    return [
        (
            {name: column.to_pylist() for name, column in batch.columns.items()},
            batch.lines.to_pylist(),
            [problem.as_row() for problem in batch.problems],
        )
        for batch in batches
    ]


AWKWARD = [
    '2024-01-01,Brand,"1,234"\n2024-01-02,Brand,5\n',
    '2024-01-01,Brand,1\n\n,,\n  ,\t,\n2024-01-02,"Two\nlines",2\n2024-01-03,x,3\n',
    '2024-01-01,"a\r\nb",1\r\n2024-01-02,"c\rd",2\r\n2024-01-03,e,3',
    "2024-01-01,Brand,1\n2024-01-02,Short\n2024-01-03,Long,3,4\n2024-01-04,T,4,\n",
    "2024-01-01,Brand,1,\n2024-01-02,B,2,\n2024-01-03,C,3\n2024-01-04,D,4,x\n",
    "#note,x\n--,Total: all,9\nTotal,,\n2024-01-01,A,1\nEnd: here\n2024-01-02,B,2\n",
    "2024-01-01,A,1\n\u00a0x,B,2\n[Brand],C,3\n-,D,4\n--,E,5\n",
    '2024-01-01,A,1\n2024-01-02,"never closed,2\n2024-01-03,C,3\n',
    '2024-01-01,"ab"cd,1\n2024-01-02,ab"cd,2\n"2024-01-03" ,x,3\n',
    "2024-01-01,A,1\n2024-01-02," + "B" * 300 + ",2\n2024-01-03,C,3\n",
    "2024-01-01,A,1\nEnd: now,,\n2024-01-02,B,2\n",
]


@pytest.mark.parametrize("body", AWKWARD)
@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_awkward_rows_come_out_the_same(tmp_path, body, line_end):
    text = (
        (HEADER + body).replace("\n", line_end) if line_end != "\n" else HEADER + body
    )

    rows, blocks = both_readers(tmp_path, text)

    assert blocks == rows


def test_a_byte_order_mark_and_crlf_come_out_the_same(tmp_path):
    text = "\ufeff" + (HEADER + AWKWARD[1]).replace("\n", "\r\n")

    rows, blocks = both_readers(tmp_path, text)

    assert blocks is not None
    assert blocks == rows


def test_line_numbers_count_the_lines_inside_quoted_cells(tmp_path):
    rows, blocks = both_readers(
        tmp_path, HEADER + '2024-01-01,"Two\nlines",1\n2024-01-02,B,2\n', 10
    )

    assert blocks == rows
    assert blocks is not None
    assert blocks[0][1] == [4, 6]


def test_other_encodings_are_left_to_the_row_reader(tmp_path):
    _, blocks = both_readers(tmp_path, (HEADER + AWKWARD[0]).encode("utf-16"))

    assert blocks is None


def test_batches_are_cut_where_the_row_reader_cuts_them(tmp_path):
    body = "".join(f"2024-01-{1 + i % 28:02d},C{i},{i}\n" for i in range(500))
    body = body.replace("C7,", "#skipped,").replace("C99,7", "C99")

    rows, blocks = both_readers(tmp_path, HEADER + body, batch_rows=37)

    assert blocks == rows
    assert blocks is not None
    assert [len(lines) + len(problems) for _, lines, problems in blocks][:3] == [
        37,
        37,
        37,
    ]


PIECES = [
    "2024-01-01",
    "Brand",
    "1,234",
    "",
    " ",
    "\u00a0",
    "--",
    "-",
    "#x",
    "Total",
    "Total: all",
    "End:",
    "End: x",
    '"q"',
    "x,y",
    "12",
    "[B]",
    "\t",
    "a\nb",
    "a\r\nb",
    "c\rd",
]
ROW = st.lists(st.sampled_from(PIECES), max_size=5)
GARBLED = st.sampled_from(['ab"cd,1,2', '"unclosed,1', ",,", "", " , ,", '"a"b,c,d'])


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(st.one_of(ROW, GARBLED), max_size=25),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
    batch_rows=st.integers(1, 4),
    block_bytes=st.sampled_from([16, 64, 4096]),
)
def test_any_export_comes_out_the_same(
    tmp_path, rows, line_end, batch_rows, block_bytes
):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    for row in rows:
        if isinstance(row, str):
            out.write(row + line_end)
        else:
            writer.writerow(row)

    text = HEADER.replace("\n", line_end) + out.getvalue()
    found_rows, found_blocks = both_readers(tmp_path, text, batch_rows, block_bytes)

    assert found_blocks is None or found_blocks == found_rows
