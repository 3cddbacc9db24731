"""FAULTS K1: a row's key is its level plus every dimension requested; latest wins."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

HEADER = "date,platform,account_id,currency,campaign_id,ad_id,spend,clicks\n"


@pytest.mark.parametrize("order", ["evening first", "morning first"])
def test_two_pulls_of_one_ad_day_keep_the_latest_fetch(lab, order):
    evening = (
        HEADER + "2024-05-01,meta,A1,USD,C1,AD1,10.00,4\n",
        datetime(2024, 5, 1, 23),
    )
    morning = (
        HEADER + "2024-05-01,meta,A1,USD,C1,AD1,12.50,5\n",
        datetime(2024, 5, 2, 8),
    )
    pulls = [evening, morning] if order == "evening first" else [morning, evening]

    for number, (text, fetched) in enumerate(pulls):
        lab.load(f"pull{number}.csv", text, fetched_at=fetched)

    day = lab.one("spend,clicks")
    assert day["spend"] == Decimal("12.50")
    assert day["clicks"] == 5
    history = lab.warehouse.rows("SELECT spend FROM fact_history")
    assert history == [(Decimal("10.000000"),)]


def test_campaign_rows_with_empty_ad_id_are_not_collapsed(lab):
    text = (
        "date,platform,account_id,currency,campaign_id,ad_id,spend\n"
        "2024-05-01,google-ads,A1,USD,C1,,5\n"
        "2024-05-01,google-ads,A1,USD,C2,,7\n"
        "2024-05-01,google-ads,A1,USD,C3,,9\n"
    )
    result = lab.load("campaigns.csv", text)

    assert result.counts.new == 3
    assert lab.one("spend")["spend"] == Decimal("21")
    by_campaign = lab.query("spend", by="campaign").records()
    assert [r["spend"] for r in by_campaign] == [Decimal(5), Decimal(7), Decimal(9)]


def test_keyword_day_split_by_conversion_goal_keeps_both_rows(lab):
    text = (
        "date,platform,account_id,currency,campaign_id,ad_group_id,keyword_id,"
        "conversion_goal,clicks,spend\n"
        "2024-05-01,google-ads,A1,USD,C1,G1,K1,G1,4,2.00\n"
        "2024-05-01,google-ads,A1,USD,C1,G1,K1,G2,6,3.00\n"
    )
    result = lab.load("goals.csv", text)

    assert result.counts.new == 2
    keyword_day = lab.one("clicks,spend", by="keyword,date")
    assert keyword_day["clicks"] == 10
    assert keyword_day["spend"] == Decimal("5.00")


def test_importing_the_same_file_twice_changes_nothing(lab):
    text = HEADER + "2024-05-01,meta,A1,USD,C1,AD1,10.00,4\n"
    path = lab.write("once.csv", text)
    from adreport.ingest.importer import ImportOptions, import_file

    import_file(lab.warehouse, path, ImportOptions())
    again = import_file(lab.warehouse, path, ImportOptions())

    assert (again.counts.new, again.counts.replaced, again.counts.unchanged) == (
        0,
        0,
        1,
    )
    assert lab.warehouse.rows("SELECT count(*) FROM facts") == [(1,)]
    assert lab.warehouse.rows("SELECT count(*) FROM fact_history") == [(0,)]
    assert lab.one("spend")["spend"] == Decimal("10.00")


def test_a_newer_export_of_the_same_days_replaces_them(lab):
    older = (
        HEADER
        + "2024-05-01,meta,A1,USD,C1,AD1,10,1\n2024-05-02,meta,A1,USD,C1,AD1,11,1\n"
    )
    newer = (
        HEADER
        + "2024-05-02,meta,A1,USD,C1,AD1,15,2\n2024-05-03,meta,A1,USD,C1,AD1,9,1\n"
    )
    lab.load("old.csv", older, fetched_at=datetime(2024, 5, 3))
    result = lab.load("new.csv", newer, fetched_at=datetime(2024, 5, 4))

    assert (result.counts.new, result.counts.replaced) == (1, 1)
    days = lab.query("spend", by="date").records()
    assert [r["spend"] for r in days] == [Decimal(10), Decimal(15), Decimal(9)]


def test_ad_rows_are_not_added_to_the_campaign_rows_they_make_up(lab):
    campaign_level = (
        "date,platform,account_id,currency,campaign_id,spend\n"
        "2024-05-01,google-ads,A1,USD,C1,30\n"
    )
    ad_level = HEADER + (
        "2024-05-01,google-ads,A1,USD,C1,AD1,10,1\n2024-05-01,google-ads,A1,USD,C1,AD2,20,1\n"
    )
    lab.load("campaign.csv", campaign_level)
    lab.load("ads.csv", ad_level)

    assert lab.one("spend")["spend"] == Decimal(30)
    assert lab.one("spend", by="campaign")["spend"] == Decimal(30)
    by_ad = lab.query("spend", by="ad").records()
    assert [r["spend"] for r in by_ad] == [Decimal(10), Decimal(20)]


def test_every_number_traces_back_to_its_file_and_lines(lab):
    lab.load("a.csv", HEADER + "2024-05-01,meta,A1,USD,C1,AD1,10,1\n")
    lab.load(
        "b.csv",
        HEADER + "2024-05-02,meta,A1,USD,C1,AD1,5,1\n"
        "2024-05-02,meta,A1,USD,C1,AD2,7,1\n",
    )

    by_file = lab.query("spend", by="source_file").records()
    lines = lab.warehouse.rows(
        "SELECT ad_id, source_lines, import_id FROM facts WHERE date = '2024-05-02' "
        "ORDER BY ad_id"
    )

    assert [(r["source_file"].rsplit("/", 1)[-1], r["spend"]) for r in by_file] == [
        ("a.csv", 10),
        ("b.csv", 12),
    ]
    assert [(ad, source) for ad, source, _ in lines] == [("AD1", "2"), ("AD2", "3")]
