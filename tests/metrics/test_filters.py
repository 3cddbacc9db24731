"""Filters as people type them, and notes that speak only of what was asked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

ROWS = (
    "date,platform,account_id,account_name,currency,timezone,campaign_id,device,"
    "spend\n"
    "2024-05-01,meta,M1,Shop KR,USD,Asia/Seoul,C1,mobile,10\n"
    "2024-05-02,meta,M1,Shop KR,USD,Asia/Seoul,C1,desktop,5\n"
)
GOOGLE = (
    "date,platform,account_id,account_name,currency,timezone,campaign_id,spend\n"
    "2024-06-01,google-ads,G1,Shop US,USD,America/New_York,C2,7\n"
)


def test_filters_ignore_letter_case_and_match_names_or_ids(lab):
    lab.load("rows.csv", ROWS)
    lab.load("google.csv", GOOGLE)

    assert lab.one("spend", platform="Meta")["spend"] == Decimal(15)
    assert lab.one("spend", account="shop kr")["spend"] == Decimal(15)
    assert lab.one("spend", account="m1")["spend"] == Decimal(15)


def test_a_filter_matching_nothing_says_so_and_lists_what_there_is(lab):
    lab.load("rows.csv", ROWS)
    lab.load("google.csv", GOOGLE)

    result = lab.query("spend", account="nosuch")

    assert result.records() == [{"spend": None}]
    assert any(
        "no rows have account = nosuch" in note and "Shop KR" in note
        for note in result.notes
    )


def test_the_date_range_and_notes_follow_the_filter(lab):
    lab.load("rows.csv", ROWS)
    lab.load("google.csv", GOOGLE)

    result = lab.query("spend", by="device", platform="meta")

    assert (result.start, result.end) == (date(2024, 5, 1), date(2024, 5, 2))
    assert result.left_out == []
    assert result.time_zones == []
    everything = lab.query("spend", by="device")
    assert [(a.platform, a.asked) for a in everything.left_out] == [
        ("google-ads", ("device",))
    ]
    assert everything.time_zones == ["America/New_York", "Asia/Seoul"]


def test_the_values_listed_for_a_filter_matching_nothing_include_bare_ids(lab):
    lab.load("rows.csv", ROWS)
    lab.load(
        "bare.csv",
        "date,platform,account_id,currency,campaign_id,spend\n"
        "2024-05-01,google-ads,G9,USD,C9,1\n",
    )

    result = lab.query("spend", account="nosuch")

    [note] = [n for n in result.notes if "no rows have account" in n]
    assert note.endswith("values there: G9, Shop KR")
