"""FAULTS K3: calendar days stay days; instants land on the account's local day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from adreport.calendar import day_bounds, hours_in_day, local_day


def test_a_london_day_starts_at_the_previous_evening_utc_in_summer():
    start, end = day_bounds(date(2024, 7, 15), "Europe/London")

    assert start == datetime(2024, 7, 14, 23, tzinfo=UTC)
    assert end == datetime(2024, 7, 15, 23, tzinfo=UTC)


def test_dst_days_have_23_and_25_hours():
    assert hours_in_day(date(2024, 3, 31), "Europe/Paris") == 23
    assert hours_in_day(date(2024, 10, 27), "Europe/Paris") == 25
    assert hours_in_day(date(2024, 3, 30), "Europe/Paris") == 24


def test_a_paris_date_is_never_shifted_by_a_query(lab):
    lab.load(
        "paris.csv",
        "date,platform,account_id,currency,timezone,campaign_id,spend\n"
        "2024-03-31,meta,P1,EUR,Europe/Paris,C1,40\n",
    )

    result = lab.query(
        "spend", by="date", start=date(2024, 3, 31), end=date(2024, 3, 31)
    )

    assert result.records() == [{"date": date(2024, 3, 31), "spend": 40}]


def test_clicks_from_a_utc_source_and_a_new_york_account_fall_on_their_own_days():
    linkedin_click = datetime(2024, 3, 10, 3, 30, tzinfo=UTC)
    meta_click_local = datetime(2024, 3, 9, 22, 30)

    assert local_day(linkedin_click, "America/New_York") == date(2024, 3, 9)
    assert local_day(linkedin_click, "UTC") == date(2024, 3, 10)
    assert meta_click_local.date() == date(2024, 3, 9)


def test_a_report_over_accounts_in_different_time_zones_says_so(lab):
    lab.load(
        "mixed.csv",
        "date,platform,account_id,currency,timezone,campaign_id,clicks\n"
        "2024-03-10,linkedin,L1,USD,UTC,C1,1\n"
        "2024-03-09,meta,M1,USD,America/New_York,C2,1\n",
    )

    result = lab.query("clicks", by="date")

    assert any("different time zones" in note for note in result.notes)
    assert any("America/New_York" in note and "UTC" in note for note in result.notes)
