"""The commands as a person runs them: a fresh data folder, real files, real output."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest


def adreport(data_dir, *args, ok=True):
    done = subprocess.run(
        [sys.executable, "-m", "adreport", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def test_import_says_what_it_chose_and_query_answers_in_csv_and_json(
    tmp_path, shared_data
):
    files = shared_data / "kaggle_ab_test_bidding"
    imported = adreport(
        tmp_path, "import", str(files / "test_group.csv"), "--account", "ab"
    )

    assert "read as ab-test-bidding" in imported.stdout
    assert "30 new" in imported.stdout

    as_csv = adreport(
        tmp_path,
        "query",
        "--metrics",
        "spend,ctr,roas",
        "--by",
        "campaign",
        "--format",
        "csv",
    ).stdout
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert rows[0]["campaign"] == "Test Campaign"
    assert rows[0]["roas"] == ""
    assert 0 < float(rows[0]["ctr"]) < 1

    as_json = json.loads(
        adreport(
            tmp_path, "query", "--metrics", "spend,roas", "--format", "json"
        ).stdout
    )
    assert as_json["rows"][0]["roas"] is None
    assert as_json["currency"] == "USD"


def test_a_bad_file_is_rejected_with_line_and_column_and_exit_status_2(
    tmp_path, shared_data
):
    path = shared_data / "kaggle_ab_test_bidding" / "control_group.csv"

    done = adreport(tmp_path, "import", str(path), "--account", "ab", ok=False)

    assert done.returncode == 2
    assert "line 6" in done.stderr
    assert "--skip-bad-rows" in done.stderr


def test_an_unknown_file_lists_the_known_formats(tmp_path):
    path = tmp_path / "mystery.csv"
    path.write_text("foo,bar\n1,2\n")

    done = adreport(tmp_path, "import", str(path), ok=False)

    assert done.returncode == 2
    assert "Known formats" in done.stderr
    assert "ab-test-bidding" in done.stderr


def test_missing_facts_are_asked_for_not_guessed(tmp_path, shared_data):
    path = shared_data / "kaggle_kag_conversion" / "KAG_conversion_data.csv"

    done = adreport(tmp_path, "import", str(path), "--account", "kag", ok=False)

    assert done.returncode == 2
    assert "--date" in done.stderr


@pytest.mark.parametrize("bad", ["--currency=usd1", "--timezone=Mars/Base"])
def test_bad_options_are_refused(tmp_path, shared_data, bad):
    path = shared_data / "kaggle_ab_test_bidding" / "test_group.csv"

    done = adreport(tmp_path, "import", str(path), bad, ok=False)

    assert done.returncode == 2


def test_a_fetch_time_that_is_not_a_time_is_refused(tmp_path, shared_data):
    path = shared_data / "kaggle_ab_test_bidding" / "test_group.csv"

    done = adreport(
        tmp_path, "import", str(path), "--fetched-at", "yesterday", ok=False
    )

    assert done.returncode == 2
    assert "is not a date and time" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_file_that_cannot_be_read_does_not_stop_the_others(tmp_path):
    unknown = tmp_path / "notes.csv"
    unknown.write_text("what,is,this\n1,2,3\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    good = tmp_path / "rows.csv"
    good.write_text(
        "date,platform,account_id,currency,campaign_id,spend\n"
        "2024-05-01,meta,M1,USD,C1,10\n"
    )

    done = adreport(
        tmp_path / "home", "import", str(unknown), str(empty), str(good), ok=False
    )

    assert done.returncode == 2
    assert "rows.csv: read as adreport-csv" in done.stdout
    assert f"2 file(s) not imported: {unknown}, {empty}" in done.stderr.replace(
        "\n", " "
    )
