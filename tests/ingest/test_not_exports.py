"""Files that are not text exports get a one-line answer, never a traceback."""

from __future__ import annotations

import gzip

import pytest

from adreport.errors import InputFileError
from adreport.ingest.importer import ImportOptions, import_file

CSV = b"date,platform,account_id,currency,spend\n2024-05-01,meta,A1,USD,1\n"


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("export.csv.gz", gzip.compress(CSV, mtime=0), "gzip"),
        ("picture.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "PNG"),
        ("report.pdf", b"%PDF-1.7\n" + bytes(200), "PDF"),
        ("blob.csv", b"abc\x00\x8f\x81def" * 50, "binary"),
        ("odd.csv", b"date,spend\n2024-05-01,\x81\x8d\x8f\n", "not valid"),
    ],
    ids=["gzip", "png", "pdf", "binary", "undecodable"],
)
def test_non_text_files_are_refused_with_what_to_do(lab, name, content, says):
    path = lab.folder / name
    path.write_bytes(content)

    with pytest.raises(InputFileError, match=says):
        import_file(lab.warehouse, path, ImportOptions())


def test_a_folder_is_refused(lab):
    with pytest.raises(InputFileError, match="is a folder"):
        import_file(lab.warehouse, lab.folder, ImportOptions())


def test_an_empty_file_is_called_empty(lab):
    path = lab.write("empty.csv", "\n\n")

    with pytest.raises(InputFileError, match="is empty"):
        import_file(lab.warehouse, path, ImportOptions())
