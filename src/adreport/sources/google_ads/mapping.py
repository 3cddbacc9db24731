"""GoogleAdsRow JSON -> the unified model's FactRecord.

Money arrives as `costMicros`, an int64 written as a string: it becomes a Decimal
in the account currency here, once, by exact division (87650000 -> 87.65). JSON
numbers (conversions, conversion value) are read as Decimal, never float. Enums
become the model's words: MOBILE -> mobile, SEARCH_PARTNERS -> search_partners.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from adreport.sources.base import FactRecord, Page

MICROS = Decimal(1_000_000)

# GAQL resource per report level, and the fields each level asks for.
RESOURCE = {"campaign": "campaign", "ad_group": "ad_group", "ad": "ad_group_ad"}
CAMPAIGN_FIELDS = (
    "campaign.id",
    "campaign.name",
    "campaign.status",
    "campaign.advertising_channel_type",
)
LEVEL_FIELDS = {
    "campaign": CAMPAIGN_FIELDS,
    "ad_group": (*CAMPAIGN_FIELDS, "ad_group.id", "ad_group.name"),
    "ad": (
        *CAMPAIGN_FIELDS,
        "ad_group.id",
        "ad_group.name",
        "ad_group_ad.ad.id",
        "ad_group_ad.ad.name",
    ),
}
SEGMENT_FIELDS = ("segments.date", "segments.device", "segments.ad_network_type")
METRIC_FIELDS = (
    "metrics.impressions",
    "metrics.clicks",
    "metrics.cost_micros",
    "metrics.conversions",
    "metrics.conversions_value",
)
# Fields a pull may lose to schema drift and still be right (K10); others are key.
DROPPABLE = frozenset({"metrics.conversions", "metrics.conversions_value"})
BREAKDOWNS = ("device", "network")

# The Google Ads web interface's words for channel types, and the model's channel.
CAMPAIGN_TYPES = {
    "SEARCH": ("Search", "search"),
    "DISPLAY": ("Display", "display"),
    "SHOPPING": ("Shopping", "shopping"),
    "VIDEO": ("Video", "video"),
    "PERFORMANCE_MAX": ("Performance Max", "performance_max"),
    "MULTI_CHANNEL": ("App", "app"),
    "DEMAND_GEN": ("Demand Gen", "display"),
    "SMART": ("Smart", "search"),
    "LOCAL": ("Local", "display"),
    "HOTEL": ("Hotel", "search"),
}
DEVICES = {
    "MOBILE": "mobile",
    "DESKTOP": "desktop",
    "TABLET": "tablet",
    "CONNECTED_TV": "tv",
    "OTHER": "other",
    "UNKNOWN": "other",
}


def query_fields(level: str, dropped: frozenset[str] = frozenset()) -> list[str]:
    """What a pull of `level` selects, without the fields the API has dropped."""
    wanted = (*LEVEL_FIELDS[level], *SEGMENT_FIELDS, *METRIC_FIELDS)
    return [name for name in wanted if name not in dropped]


def to_page(rows: list[Mapping[str, Any]], level: str) -> Page:
    """Map one page or stream batch; a row that cannot be read is kept aside."""
    page = Page(records=[])
    for row in rows:
        try:
            page.records.append(to_record(row, level))
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            page.rejected.append((row, f"{type(exc).__name__}: {exc}"))
    return page


def to_record(row: Mapping[str, Any], level: str) -> FactRecord:
    campaign = row["campaign"]
    segments = row["segments"]
    metrics = row.get("metrics", {})
    channel_type = str(campaign.get("advertisingChannelType", ""))
    campaign_type, channel = CAMPAIGN_TYPES.get(channel_type, (channel_type, ""))
    record = FactRecord(
        date=date.fromisoformat(segments["date"]),
        level=level,
        campaign_id=_id(campaign["id"]),
        breakdowns={
            "device": DEVICES.get(segments.get("device", ""), "other"),
            "network": str(segments.get("adNetworkType", "UNKNOWN")).lower(),
        },
        impressions=_count(metrics.get("impressions")),
        clicks=_count(metrics.get("clicks")),
        spend=money_from_micros(metrics.get("costMicros")),
        conversions=_decimal(metrics.get("conversions")),
        revenue=_decimal(metrics.get("conversionsValue")),
        campaign_name=str(campaign.get("name", "")),
        campaign_type=campaign_type,
        campaign_status=str(campaign.get("status", "")).lower(),
        channel=channel,
    )
    if level in ("ad_group", "ad"):
        record.ad_group_id = _id(row["adGroup"]["id"])
        record.ad_group_name = str(row["adGroup"].get("name", ""))
    if level == "ad":
        ad = row["adGroupAd"]["ad"]
        record.ad_id = _id(ad["id"])
        record.ad_name = str(ad.get("name", ""))
    return record


def money_from_micros(value: object) -> Decimal | None:
    """`costMicros` ("87650000") -> Decimal("87.65"); absent stays None."""
    if value is None:
        return None
    micros = int(str(value))  # int64 as a string: never through a float
    return Decimal(micros) / MICROS  # exact: 87650000 / 10^6 is 87.65


def _id(value: object) -> str:
    text = str(value)
    if not text.isdigit():
        raise ValueError(f"id {text!r} is not a Google Ads id")
    return text


def _count(value: object) -> int | None:
    return None if value is None else int(str(value))


def _decimal(value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError("a JSON number was read as a float; read it as Decimal")
    return Decimal(str(value))
