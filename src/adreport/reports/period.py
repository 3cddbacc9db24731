"""Report periods: named ranges like `last-30-days`, explicit dates, comparisons.

A named period is counted back from the reference day: the newest day the warehouse
holds, never later than today. That is what a marketer who has just imported last
month's exports expects ("the last 30 days of my data"), and for a warehouse that
syncs daily it is simply the latest day. Rolling periods (`last-N-days`) hold only
complete days, so when data reaches today they end yesterday; calendar periods
to date (`this-week`, `this-month`, ...) include today and the report says it is
partial. Weeks start on Monday.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    name: str = "custom"  # a preset name, "custom", "previous" or "year"

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
    """`previous`: as many days just before; `year`: the same dates a year earlier."""
    if compare == "none":
        return None
    if compare == "previous":
        end = period.start - timedelta(days=1)
        return Period(end - timedelta(days=period.days - 1), end, "previous")
    if compare == "year":
        return Period(_year_earlier(period.start), _year_earlier(period.end), "year")
    raise ConfigurationError(
        f"unknown comparison {compare!r}; use one of {', '.join(COMPARISONS)}"
    )


def _year_earlier(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)
