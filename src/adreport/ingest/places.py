"""Currencies and time zones as exports write them, checked against the standards."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.numbers import list_currencies

# Microsoft Advertising names time zones by its own enum; these are its values
# mapped to the IANA zones with the same rules.
MICROSOFT_TIME_ZONES = {
    "PacificTimeUSCanadaTijuana": "America/Los_Angeles",
    "MountainTimeUSCanada": "America/Denver",
    "Arizona": "America/Phoenix",
    "CentralTimeUSCanada": "America/Chicago",
    "EasternTimeUSCanada": "America/New_York",
    "IndianaEast": "America/Indiana/Indianapolis",
    "AtlanticTimeCanada": "America/Halifax",
    "GreenwichMeanTimeDublinEdinburghLisbonLondon": "Europe/London",
    "AmsterdamBerlinBernRomeStockholmVienna": "Europe/Berlin",
    "BrusselsCopenhagenMadridParis": "Europe/Paris",
    "SeoulKorea": "Asia/Seoul",
    "OsakaSapporoTokyo": "Asia/Tokyo",
    "BeijingChongqingHongKongUrumqi": "Asia/Shanghai",
    "CanberraMelbourneSydney": "Australia/Sydney",
    "Coordinated_Universal_Time": "UTC",
    "GreenwichMeanTimeCasablancaMonrovia": "Africa/Casablanca",
    "HawaiiTime": "Pacific/Honolulu",
    "Alaska": "America/Anchorage",
}


@cache
def iso_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@cache
def iana_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_currency(code: str) -> str | None:
    """The ISO 4217 code, upper-cased, or None when it is not one."""
    code = code.strip().upper()
    return code if code in iso_currencies() else None


def check_timezone(name: str) -> str | None:
    """The IANA zone for `name` (Microsoft's own names accepted), or None."""
    name = name.strip()
    name = MICROSOFT_TIME_ZONES.get(name, name)
    if name in iana_zones():
        return name
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name
