"""Days in an account's own calendar, and where they sit in UTC.

A date is a calendar day in the account's time zone: it is never converted. Only
instants (an event at 22:30 local) are placed on a day, by the account's zone with
that date's offset, so DST days have 23 or 25 hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants at which `day` starts and ends in `timezone`."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


def hours_in_day(day: date, timezone: str) -> float:
    start, end = day_bounds(day, timezone)
    return (end - start).total_seconds() / 3600


def local_day(instant: datetime, timezone: str) -> date:
    """The calendar day an instant falls on in `timezone` (naive means UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(ZoneInfo(timezone)).date()


def today_in(timezone: str, now: datetime | None = None) -> date:
    return local_day(now or datetime.now(UTC), timezone or "UTC")
