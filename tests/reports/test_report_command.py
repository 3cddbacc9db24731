"""`adreport report` as a person runs it: paths printed, errors in plain words."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from tests.reports.conftest import MADE_AT, PERIOD_A


def adreport(data_dir, *args):
    return subprocess.run(
        [sys.executable, "-m", "adreport", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_report_command_prints_the_pdf_and_html_it_wrote(world, tmp_path):
    out = tmp_path / "reports"
    done = adreport(
        world.data_dir,
        "report",
        "--from",
        PERIOD_A[0].isoformat(),
        "--to",
        PERIOD_A[1].isoformat(),
        "--currency",
        "USD",
        "--client",
        "Other client",
        "--out",
        str(out),
    )

    assert done.returncode == 0, done.stderr
    pdf, html = done.stdout.splitlines()
    assert pdf == str(out / "other-client_2024-03-01_2024-03-07_en.pdf")
    assert html == str(out / "other-client_2024-03-01_2024-03-07_en.html")
    assert "Other client" in (out / html).read_text(encoding="utf-8")
    assert "compared with Feb 23, 2024 – Feb 29, 2024" in done.stderr


def test_report_command_explains_what_to_fix(world, tmp_path):
    mixed = adreport(
        world.data_dir, "report", "--from", "2024-05-01", "--out", str(tmp_path)
    )
    unknown = adreport(world.data_dir, "report", "--period", "last-3-days")
    empty = adreport(tmp_path / "nothing", "report")

    assert mixed.returncode == 2
    assert "name the currency to report in, e.g. --currency KRW" in mixed.stderr
    assert unknown.returncode == 2
    assert "unknown period 'last-3-days'" in unknown.stderr
    assert empty.returncode == 2
    assert "import exports first with `adreport import FILE`" in empty.stderr
    assert list(tmp_path.glob("*.pdf")) == []


def test_report_files_are_readable_like_any_file_the_user_makes(world, tmp_path):
    masks = {}
    for mask in (0o022, 0o027):
        previous = os.umask(mask)
        try:
            files = world.build(
                tmp_path / oct(mask), start=PERIOD_A[0], end=PERIOD_A[1], now=MADE_AT
            )
        finally:
            os.umask(previous)
        masks[mask] = {stat.S_IMODE(p.stat().st_mode) for p in (files.pdf, files.html)}

    assert masks == {0o022: {0o644}, 0o027: {0o640}}
    assert [p.name for p in (tmp_path / oct(0o022)).iterdir() if p.name[0] == "."] == []
