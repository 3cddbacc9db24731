"""Report periods: named ranges like `last-30-days`, explicit dates, comparisons.

A named period is counted back from the reference day: the newest day the warehouse
holds, never later than today. That is what a marketer who has just imported last
month's exports expects ("the last 30 days of my data"), and for a warehouse that
syncs daily it is simply the latest day. Rolling periods (`last-N-days`) hold only
complete days, so when data reaches today they end yesterday; calendar periods
to date (`this-week`, `this-month`, ...) include today and the report says it is
partial. Weeks start on Monday.

A comparison with the previous period follows the calendar for calendar periods
(last month against the month before it, this month to date against the same days
of the month before) and counts the same number of days back for the others.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from adreport.errors import ConfigurationError

ROLLING = {
    "last-7-days": 7,
    "last-14-days": 14,
    "last-28-days": 28,
    "last-30-days": 30,
    "last-90-days": 90,
}
CALENDAR = (
    "this-week",
    "last-week",
    "this-month",
    "last-month",
    "this-quarter",
    "last-quarter",
    "this-year",
    "last-year",
)
PRESETS = (*ROLLING, *CALENDAR)
DEFAULT_PERIOD = "last-30-days"
COMPARISONS = ("previous", "year", "none")
UNIT_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    # a preset name, "custom", or what a comparison period is: "previous" (as many
    # days just before), "previous-month" (the whole month before), "previous-month-
    # to-date" (the same days of the month before; also week, quarter, year), "year"
    name: str = "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def reference_day(newest_data_day: date, today: date) -> date:
    return min(newest_data_day, today)


def resolve_period(
    preset: str | None,
    start: date | None,
    end: date | None,
    newest_data_day: date,
    today: date,
) -> Period:
    """The period asked for: a preset, or --from/--to (--to defaults to the newest)."""
    if preset and (start or end):
        raise ConfigurationError("give either --period or --from/--to, not both")
    if end and not start:
        raise ConfigurationError(f"--to {end} needs --from (the first day to report)")
    if start:
        last = end or reference_day(newest_data_day, today)
        if start > last:
            raise ConfigurationError(f"--from {start} is after --to {last}")
        return Period(start, last)
    return preset_period(preset or DEFAULT_PERIOD, newest_data_day, today)


def preset_period(preset: str, newest_data_day: date, today: date) -> Period:
    anchor = reference_day(newest_data_day, today)
    if preset in ROLLING:
        last = anchor - timedelta(days=1) if anchor >= today else anchor
        return Period(last - timedelta(days=ROLLING[preset] - 1), last, preset)
    if preset in CALENDAR:
        start, end = _calendar(preset, anchor)
        return Period(start, end, preset)
    raise ConfigurationError(
        f"unknown period {preset!r}; use one of {', '.join(PRESETS)} "
        "or --from YYYY-MM-DD --to YYYY-MM-DD"
    )


def _calendar(preset: str, anchor: date) -> tuple[date, date]:
    which, unit = preset.split("-", 1)
    first = _unit_start(unit, anchor)
    if which == "this":
        return first, anchor
    before = first - timedelta(days=1)
    return _unit_start(unit, before), before


def _unit_start(unit: str, day: date) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def comparison_period(period: Period, compare: str) -> Period | None:
    """`previous`: the unit or as many days just before; `year`: a year back."""
    if compare == "none":
        return None
    if compare == "previous":
        if period.name in CALENDAR:
            return _previous_unit(period)
        end = period.start - timedelta(days=1)
        return Period(end - timedelta(days=period.days - 1), end, "previous")
    if compare == "year":
        return Period(
            months_earlier(period.start, 12), months_earlier(period.end, 12), "year"
        )
    raise ConfigurationError(
        f"unknown comparison {compare!r}; use one of {', '.join(COMPARISONS)}"
    )


def _previous_unit(period: Period) -> Period:
    """The whole unit before a whole unit; the same days of it for one to date."""
    which, unit = period.name.split("-", 1)
    start = _unit_start(unit, period.start - timedelta(days=1))
    if which == "last":
        return Period(start, period.start - timedelta(days=1), f"previous-{unit}")
    if unit == "week":
        end = period.end - timedelta(days=7)
    else:
        end = months_earlier(period.end, UNIT_MONTHS[unit])
    return Period(start, end, f"previous-{unit}-to-date")


def months_earlier(day: date, months: int) -> date:
    """The same day `months` months back, or that month's last day if it is shorter."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))
