"""Insights rows into the unified model (FAULTS.md K1, K6, K7).

Meta lists one purchase under several aliases (`purchase`, `omni_purchase`,
`offsite_conversion.fb_pixel_purchase`) and per attribution window. The count is
read once per family by the same catalogue file imports use
(`adreport.ingest.conversions`): a total alias first, else the sum of its disjoint
legs, else NULL. The row's attribution setting is kept as a key dimension, so
numbers under different settings are never added up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from adreport.ingest.conversions import pick
from adreport.sources.base import FactRecord, Page

# adreport's level names and the insights edge's.
LEVELS = {"account": "account", "campaign": "campaign", "ad_group": "adset", "ad": "ad"}
# adreport's breakdowns and the insights breakdowns that answer them.
BREAKDOWNS = {
    "age": ("age",),
    "gender": ("gender",),
    "country": ("country",),
    "placement": ("publisher_platform", "platform_position"),
    "device": ("device_platform",),
}
ENTITY_FIELDS = {
    "account": ("account_id",),
    "campaign": ("account_id", "campaign_id", "campaign_name", "objective"),
    "ad_group": (
        "account_id",
        "campaign_id",
        "campaign_name",
        "objective",
        "adset_id",
        "adset_name",
    ),
    "ad": (
        "account_id",
        "campaign_id",
        "campaign_name",
        "objective",
        "adset_id",
        "adset_name",
        "ad_id",
        "ad_name",
    ),
}
MEASURE_FIELDS = (
    "impressions",
    "inline_link_clicks",
    "spend",
    "reach",
    "inline_post_engagement",
    "actions",
    "action_values",
    "attribution_setting",
)
DEFAULT_SETTING = "7d_click_1d_view"  # Meta's default when a row names none


def fields_for(level: str) -> list[str]:
    return [*ENTITY_FIELDS[level], *MEASURE_FIELDS]


def insights_breakdowns(breakdowns: Sequence[str]) -> list[str]:
    return [name for b in breakdowns for name in BREAKDOWNS[b]]


class RowError(ValueError):
    """A row the mapping cannot read; it is set aside with this reason."""


def page_of(
    rows: Iterable[Mapping[str, Any]],
    level: str,
    breakdowns: Sequence[str],
    event: str,
    window: str,
) -> Page:
    page = Page(records=[])
    for row in rows:
        try:
            page.records.append(fact(row, level, breakdowns, event, window))
        except RowError as exc:
            page.rejected.append((row, str(exc)))
    return page


def fact(
    row: Mapping[str, Any],
    level: str,
    breakdowns: Sequence[str],
    event: str,
    window: str,
) -> FactRecord:
    """One insights row as a fact; `window` "" reads each action's `value`."""
    day = _day(row)
    record = FactRecord(
        date=day,
        level=level,
        campaign_id=_text(row, "campaign_id") if level != "account" else "",
        ad_group_id=_text(row, "adset_id") if level in ("ad_group", "ad") else "",
        ad_id=_text(row, "ad_id") if level == "ad" else "",
        breakdowns={b: _breakdown(row, b) for b in breakdowns},
        attribution_setting=window
        or _text(row, "attribution_setting")
        or DEFAULT_SETTING,
        impressions=_count(row, "impressions"),
        clicks=_count(row, "inline_link_clicks"),
        reach=_count(row, "reach"),
        engagements=_count(row, "inline_post_engagement"),
        spend=_decimal(row.get("spend"), "spend"),
        campaign_name=_text(row, "campaign_name"),
        campaign_type=_text(row, "objective"),
        ad_group_name=_text(row, "adset_name"),
        ad_name=_text(row, "ad_name"),
    )
    record.conversions = pick(action_counts(row.get("actions"), window), event)
    record.revenue = pick(action_counts(row.get("action_values"), window), event)
    return record


def action_counts(entries: object, window: str) -> dict[str, Decimal | None]:
    """`action_type` -> its number in the chosen window (or the default `value`)."""
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise RowError(f"actions should be a list, not {type(entries).__name__}")
    key = window or "value"
    found: dict[str, Decimal | None] = {}
    for entry in entries:
        if isinstance(entry, dict) and "action_type" in entry:
            raw = entry.get(key)
            found[str(entry["action_type"])] = (
                None if raw is None else _decimal(raw, entry["action_type"])
            )
    return found


def _day(row: Mapping[str, Any]) -> date:
    start, stop = row.get("date_start"), row.get("date_stop")
    try:
        day = date.fromisoformat(str(start))
    except ValueError:
        raise RowError(f"date_start {start!r} is not a date") from None
    if stop is not None and str(stop) != str(start):
        raise RowError(f"row spans {start}..{stop}; daily rows were asked for")
    return day


def _breakdown(row: Mapping[str, Any], breakdown: str) -> str:
    parts = [str(row.get(name, "")) for name in BREAKDOWNS[breakdown]]
    if not all(parts):
        missing = [n for n in BREAKDOWNS[breakdown] if not row.get(n)]
        raise RowError(f"the row lacks the breakdown {', '.join(missing)}")
    return "/".join(parts)


def _text(row: Mapping[str, Any], name: str) -> str:
    value = row.get(name)
    return "" if value is None else str(value)


def _count(row: Mapping[str, Any], name: str) -> int | None:
    value = _decimal(row.get(name), name)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise RowError(f"{name} {value} is not a whole number")
    return int(value)


def _decimal(value: object, name: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise RowError(f"{name} {value!r} is not a number") from None
    if not number.is_finite():
        raise RowError(f"{name} {value!r} is not a number")
    return number
