"""Naver records -> FactRecords of the unified model, at keyword level.

Measures: impCnt -> impressions, clkCnt -> clicks, salesAmt -> spend, ccnt ->
conversions, convAmt -> revenue. salesAmt is the cost Naver charges for the
clicks, in whole KRW, VAT excluded (the invoice adds 10 % VAT on top); adreport
keeps it as the platform states it, as Naver's own screens do. Rates (ctr, cpc,
ror) are never read: adreport computes them from the sums. Names are normalised
to NFC, so a keyword typed in decomposed Hangul is the same text as its
composed form.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from adreport.sources.base import FactRecord, Page

# Stats fields requested, and the unified measure each fills.
MEASURE_OF = {
    "impCnt": "impressions",
    "clkCnt": "clicks",
    "salesAmt": "spend",
    "ccnt": "conversions",
    "convAmt": "revenue",
}
FIELDS = tuple(MEASURE_OF)
MONEY_FIELDS = frozenset({"salesAmt", "convAmt"})
CAMPAIGN_TYPES = {
    "WEB_SITE": "powerlink",
    "SHOPPING": "shopping",
    "POWER_CONTENTS": "power contents",
    "BRAND_SEARCH": "brand search",
    "PLACE": "place",
}


def nfc(text: object) -> str:
    return unicodedata.normalize("NFC", str(text or ""))


@dataclass(frozen=True)
class KeywordPlace:
    """Where a keyword sits, with the names shown in reports."""

    keyword: str
    ad_group_id: str
    ad_group_name: str
    campaign_id: str
    campaign_name: str
    campaign_type: str
    campaign_status: str


@dataclass
class Tree:
    """A customer's campaigns, ad groups and keywords, by keyword id."""

    keywords: dict[str, KeywordPlace] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        campaigns: Iterable[Mapping[str, Any]],
        ad_groups: Iterable[Mapping[str, Any]],
        keywords: Iterable[Mapping[str, Any]],
    ) -> Tree:
        by_campaign = {str(c["nccCampaignId"]): c for c in campaigns}
        by_group = {str(g["nccAdgroupId"]): g for g in ad_groups}
        tree = cls()
        for k in keywords:
            group = by_group.get(str(k.get("nccAdgroupId")), {})
            campaign = by_campaign.get(str(group.get("nccCampaignId")), {})
            campaign_type = str(campaign.get("campaignTp", ""))
            tree.keywords[str(k["nccKeywordId"])] = KeywordPlace(
                keyword=nfc(k.get("keyword")),
                ad_group_id=str(group.get("nccAdgroupId", "")),
                ad_group_name=nfc(group.get("name")),
                campaign_id=str(campaign.get("nccCampaignId", "")),
                campaign_name=nfc(campaign.get("name")),
                campaign_type=CAMPAIGN_TYPES.get(campaign_type, campaign_type.lower()),
                campaign_status=str(campaign.get("status", "")).lower(),
            )
        return tree


def stats_page(rows: Iterable[Mapping[str, Any]], tree: Tree) -> Page:
    """One /stats answer as keyword-day facts; unplaceable rows are refused."""
    page = Page(records=[])
    for row in rows:
        problem = _problem(row, tree)
        if problem:
            page.rejected.append((row, problem))
            continue
        page.records.append(_record(row, tree.keywords[str(row["id"])]))
    return page


def _problem(row: Mapping[str, Any], tree: Tree) -> str | None:
    if str(row.get("id")) not in tree.keywords:
        return f"keyword {row.get('id')!r} is not among the customer's keywords"
    if row.get("dateStart") != row.get("dateEnd"):
        return "a row spans several days; daily stats (timeIncrement=1) were asked"
    try:
        date.fromisoformat(str(row.get("dateStart")))
    except ValueError:
        return f"dateStart {row.get('dateStart')!r} is not a YYYY-MM-DD date"
    for name in FIELDS:
        value = row.get(name)
        if value is not None and not isinstance(value, int | float):
            return f"{name} {value!r} is not a number"
    return None


def _record(row: Mapping[str, Any], place: KeywordPlace) -> FactRecord:
    return FactRecord(
        date=date.fromisoformat(row["dateStart"]),
        level="keyword",
        campaign_id=place.campaign_id,
        ad_group_id=place.ad_group_id,
        keyword_id=str(row["id"]),
        impressions=_count(row.get("impCnt")),
        clicks=_count(row.get("clkCnt")),
        conversions=_decimal(row.get("ccnt")),
        spend=_decimal(row.get("salesAmt")),
        revenue=_decimal(row.get("convAmt")),
        campaign_name=place.campaign_name,
        campaign_type=place.campaign_type,
        campaign_status=place.campaign_status,
        channel="search",
        ad_group_name=place.ad_group_name,
        keyword=place.keyword,
    )


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))
