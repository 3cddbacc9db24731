"""Report periods as a marketer names them, counted back from the newest data."""

from __future__ import annotations

from datetime import date

import pytest

from adreport.errors import ConfigurationError
from adreport.reports.period import (
    Period,
    comparison_period,
    preset_period,
    resolve_period,
)

TODAY = date(2024, 6, 12)  # a Wednesday


@pytest.mark.parametrize(
    ("preset", "newest", "start", "end"),
    [
        # rolling periods hold complete days only: data up to today ends yesterday
        ("last-7-days", TODAY, date(2024, 6, 5), date(2024, 6, 11)),
        ("last-30-days", TODAY, date(2024, 5, 13), date(2024, 6, 11)),
        # imported exports that stop earlier: the period ends on their last day
        ("last-7-days", date(2019, 8, 30), date(2019, 8, 24), date(2019, 8, 30)),
        ("last-90-days", date(2024, 3, 31), date(2024, 1, 2), date(2024, 3, 31)),
        # calendar periods to date include today (reported as partial)
        ("this-month", TODAY, date(2024, 6, 1), TODAY),
        ("this-week", TODAY, date(2024, 6, 10), TODAY),
        ("last-week", TODAY, date(2024, 6, 3), date(2024, 6, 9)),
        ("last-month", date(2024, 3, 15), date(2024, 2, 1), date(2024, 2, 29)),
        ("this-quarter", TODAY, date(2024, 4, 1), TODAY),
        ("last-quarter", TODAY, date(2024, 1, 1), date(2024, 3, 31)),
        ("last-year", TODAY, date(2023, 1, 1), date(2023, 12, 31)),
        # data said to be from the future never moves the period past today
        ("this-month", date(2024, 7, 3), date(2024, 6, 1), TODAY),
    ],
)
def test_presets(preset, newest, start, end):
    assert preset_period(preset, newest, TODAY) == Period(start, end, preset)


def test_from_and_to_and_their_mistakes():
    newest = date(2024, 3, 31)

    assert resolve_period(None, date(2024, 3, 1), None, newest, TODAY) == Period(
        date(2024, 3, 1), newest
    )
    assert resolve_period(None, None, None, newest, TODAY).name == "last-30-days"
    with pytest.raises(ConfigurationError, match="not both"):
        resolve_period("last-7-days", date(2024, 3, 1), None, newest, TODAY)
    with pytest.raises(ConfigurationError, match="needs --from"):
        resolve_period(None, None, date(2024, 3, 1), newest, TODAY)
    with pytest.raises(ConfigurationError, match="after"):
        resolve_period(None, date(2024, 3, 9), date(2024, 3, 1), newest, TODAY)
    with pytest.raises(ConfigurationError, match="last-7-days, last-14-days"):
        preset_period("last-3-days", newest, TODAY)


def test_rolling_and_custom_periods_compare_with_as_many_days_just_before():
    march = Period(date(2024, 3, 1), date(2024, 3, 31))
    last_30 = preset_period("last-30-days", TODAY, TODAY)

    assert comparison_period(march, "previous") == Period(
        date(2024, 1, 30), date(2024, 2, 29), "previous"
    )
    assert comparison_period(march, "previous").days == 31
    assert comparison_period(last_30, "previous") == Period(
        date(2024, 4, 13), date(2024, 5, 12), "previous"
    )


@pytest.mark.parametrize(
    ("preset", "newest", "start", "end", "name"),
    [
        # whole units against the whole unit before, however long it is
        (
            "last-month",
            date(2024, 10, 5),
            date(2024, 8, 1),
            date(2024, 8, 31),
            "previous-month",
        ),
        (
            "last-month",
            date(2024, 3, 15),
            date(2024, 1, 1),
            date(2024, 1, 31),
            "previous-month",
        ),
        (
            "last-quarter",
            TODAY,
            date(2023, 10, 1),
            date(2023, 12, 31),
            "previous-quarter",
        ),
        ("last-week", TODAY, date(2024, 5, 27), date(2024, 6, 2), "previous-week"),
        ("last-year", TODAY, date(2022, 1, 1), date(2022, 12, 31), "previous-year"),
        # units to date against the same days of the unit before
        (
            "this-week",
            TODAY,
            date(2024, 6, 3),
            date(2024, 6, 5),
            "previous-week-to-date",
        ),
        (
            "this-month",
            TODAY,
            date(2024, 5, 1),
            date(2024, 5, 12),
            "previous-month-to-date",
        ),
        (
            "this-month",
            date(2024, 3, 31),
            date(2024, 2, 1),
            date(2024, 2, 29),
            "previous-month-to-date",
        ),
        (
            "this-month",
            date(2023, 5, 31),
            date(2023, 4, 1),
            date(2023, 4, 30),
            "previous-month-to-date",
        ),
        (
            "this-quarter",
            date(2024, 5, 31),
            date(2024, 1, 1),
            date(2024, 2, 29),
            "previous-quarter-to-date",
        ),
        (
            "this-year",
            date(2024, 2, 29),
            date(2023, 1, 1),
            date(2023, 2, 28),
            "previous-year-to-date",
        ),
    ],
)
def test_calendar_periods_compare_with_the_calendar_unit_before(
    preset, newest, start, end, name
):
    period = preset_period(preset, newest, max(newest, TODAY))

    assert comparison_period(period, "previous") == Period(start, end, name)


def test_year_and_no_comparison():
    march = Period(date(2024, 3, 1), date(2024, 3, 31))
    leap_week = Period(date(2024, 2, 26), date(2024, 2, 29))
    october = date(2024, 10, 5)
    last_month = preset_period("last-month", october, october)

    assert comparison_period(march, "year") == Period(
        date(2023, 3, 1), date(2023, 3, 31), "year"
    )
    assert comparison_period(leap_week, "year") == Period(
        date(2023, 2, 26), date(2023, 2, 28), "year"
    )
    assert comparison_period(last_month, "year") == Period(
        date(2023, 9, 1), date(2023, 9, 30), "year"
    )
    assert comparison_period(march, "none") is None
    with pytest.raises(ConfigurationError, match="previous, year, none"):
        comparison_period(march, "last-quarter")
