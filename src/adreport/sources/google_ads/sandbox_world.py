"""The Google Ads sandbox's seeded accounts: customers, campaigns, ad groups, ads, days.

The US customer is the demo world's Google Ads account: every campaign-day here adds
up exactly to the demo's (`adreport.demo.world.simulate`), split over ad groups,
ads, devices and networks, so the demo reports the same numbers whether it reads
exports or syncs. A second customer bills in KRW on Seoul's calendar. Costs are
kept in micros, as the API states them; `scale` multiplies the ad groups, so a
test can ask for about 100k rows.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from adreport.demo import world as demo

MICROS = 1_000_000
DEVICES = ("MOBILE", "DESKTOP", "TABLET")
DEVICE_SHARE = (0.58, 0.34, 0.08)
NETWORKS = {
    "SEARCH": (("SEARCH", 0.86), ("SEARCH_PARTNERS", 0.14)),
    "SHOPPING": (("SEARCH", 0.9), ("SEARCH_PARTNERS", 0.1)),
    "DISPLAY": (("CONTENT", 1.0),),
    "VIDEO": (("YOUTUBE", 1.0),),
    "PERFORMANCE_MAX": (("MIXED", 1.0),),
}
CHANNEL_OF_DEMO_TYPE = {
    "Search": "SEARCH",
    "Shopping": "SHOPPING",
    "Display": "DISPLAY",
    "Performance Max": "PERFORMANCE_MAX",
    "Video": "VIDEO",
}
AD_TYPES = {
    "SEARCH": "RESPONSIVE_SEARCH_AD",
    "SHOPPING": "SHOPPING_PRODUCT_AD",
    "DISPLAY": "RESPONSIVE_DISPLAY_AD",
    "VIDEO": "VIDEO_RESPONSIVE_AD",
    "PERFORMANCE_MAX": "",  # Performance Max has asset groups, no ad group ads
}


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    currency: str
    timezone: str
    manager: bool = False  # a manager (MCC) account: it has clients, not metrics


@dataclass(frozen=True)
class Campaign:
    customer: Customer
    id: str
    name: str
    channel: str  # advertising_channel_type
    status: str = "ENABLED"


@dataclass(frozen=True)
class AdGroup:
    campaign: Campaign
    id: str
    name: str
    status: str = "ENABLED"


@dataclass(frozen=True)
class Ad:
    ad_group: AdGroup
    id: str
    name: str
    type: str
    status: str = "ENABLED"


@dataclass(slots=True)
class Cell:
    """One ad on one day, device and network: the finest grain the sandbox keeps."""

    ad: Ad
    day: date
    device: str
    network: str
    impressions: int
    clicks: int
    cost_micros: int
    conversions: Decimal
    conversions_value: Decimal


@dataclass
class World:
    customers: dict[str, Customer]
    campaigns: list[Campaign]
    ad_groups: list[AdGroup]
    ads: list[Ad]
    cells: dict[str, dict[date, list[Cell]]] = field(default_factory=dict)

    def days(self, customer_id: str, first: date, last: date) -> Iterator[Cell]:
        by_day = self.cells.get(customer_id, {})
        if not by_day:
            return
        day, last = max(first, min(by_day)), min(last, max(by_day))
        while day <= last:
            yield from by_day.get(day, ())
            day += timedelta(days=1)

    def totals(self, customer_id: str, first: date, last: date) -> dict[str, object]:
        """The seeded sums a sync of these days must reproduce, exactly."""
        cells = list(self.days(customer_id, first, last))
        return {
            "rows": len(cells),
            "impressions": sum(c.impressions for c in cells),
            "clicks": sum(c.clicks for c in cells),
            "cost_micros": sum(c.cost_micros for c in cells),
            "conversions": sum((c.conversions for c in cells), Decimal(0)),
            "conversions_value": sum((c.conversions_value for c in cells), Decimal(0)),
        }

    def restate(self, customer_id: str, day: date) -> dict[str, object]:
        """Late conversions credited back to `day`, and its spend settled a little."""
        cells = [c for c in self.cells.get(customer_id, {}).get(day, []) if c.clicks]
        if customer_id not in self.customers:
            raise KeyError(f"no customer {customer_id} in the sandbox")
        for index, cell in enumerate(cells):
            if index % 3 == 0:
                cell.conversions += 1
                cell.conversions_value += Decimal("42.50")
            cell.cost_micros -= cell.cost_micros // 200  # 0.5 % invalid clicks credited
        return self.totals(customer_id, day, day)


US = Customer(
    demo.GOOGLE.account_id.replace("-", ""),
    demo.GOOGLE.name,
    demo.GOOGLE.currency,
    demo.GOOGLE.timezone,
)
KR = Customer("7351180246", "한빛아웃도어 검색", "KRW", "Asia/Seoul")
MANAGER_ID = "1002003000"  # the manager (MCC) account both are linked under
MANAGER = Customer(MANAGER_ID, "Hanbit Agency MCC", "USD", "America/Los_Angeles", True)

# The KRW customer's campaigns: name, channel, daily budget (KRW), cpc, ctr, cvr, value.
KR_CAMPAIGNS = (
    ("브랜드 | 검색", "SEARCH", 310_000, 420, 0.12, 0.07, 98_000),
    ("텐트 | 일반 검색", "SEARCH", 520_000, 910, 0.048, 0.028, 185_000),
    ("리마케팅 | 디스플레이", "DISPLAY", 160_000, 240, 0.007, 0.011, 91_000),
    ("시즌 영상 | 유튜브", "VIDEO", 240_000, 130, 0.009, 0.004, 120_000),
    ("실적 최대화 | 전 제품", "PERFORMANCE_MAX", 450_000, 380, 0.02, 0.026, 132_000),
)


def build_world(seed: int = 7, last_day: date | None = None, scale: int = 1) -> World:
    """The seeded world for `seed`, 90 days ending `last_day` (default yesterday)."""
    last_day = last_day or datetime.now(UTC).date() - timedelta(days=1)
    rng = random.Random(f"google-ads-sandbox:{seed}:{scale}")  # noqa: S311
    world = World({c.id: c for c in (MANAGER, US, KR)}, [], [], [])
    for customer in (MANAGER, US, KR):
        world.cells[customer.id] = {}
    for row in demo.simulate(last_day, seed):
        if row.campaign.account is demo.GOOGLE:
            campaign = _us_campaign(world, row.campaign, rng, scale)
            _split_day(world, rng, campaign, row.day, _day_totals(row))
    for index, spec in enumerate(KR_CAMPAIGNS):
        campaign = _campaign(world, KR, f"2190{index + 1:04d}", spec[0], spec[1])
        _add_ad_groups(world, campaign, rng, scale)
        for number, day in enumerate(demo.days_ending(last_day)):
            _split_day(world, rng, campaign, day, _kr_day(rng, spec, day, number))
    return world


@dataclass(frozen=True)
class DayTotals:
    impressions: int
    clicks: int
    cost_micros: int
    conversions: int
    value_cents: int  # hundredths of the account currency


def _day_totals(row: demo.Day) -> DayTotals:
    return DayTotals(
        row.impressions,
        row.clicks,
        int(row.spend * MICROS),
        row.conversions,
        int(row.revenue * 100),
    )


def _kr_day(
    rng: random.Random,
    spec: tuple[str, str, int, int, float, float, int],
    day: date,
    number: int,
) -> DayTotals:
    _, _, budget, cpc, ctr, cvr, value = spec
    demand = demo.WEEKDAY_DEMAND[day.weekday()] * (1 + 0.06 * math.sin(number / 9))
    spend = budget * demand * rng.uniform(0.88, 1.04)
    clicks = max(0, round(spend / (cpc * rng.uniform(0.9, 1.1))))
    impressions = max(clicks, round(clicks / (ctr * rng.uniform(0.9, 1.1))))
    conversions = max(0, round(clicks * cvr * rng.uniform(0.7, 1.3)))
    cost_micros = round(spend * MICROS)
    value_cents = round(conversions * value * rng.uniform(0.9, 1.1)) * 100
    return DayTotals(impressions, clicks, cost_micros, conversions, value_cents)


def _us_campaign(
    world: World, source: demo.Campaign, rng: random.Random, scale: int
) -> Campaign:
    for campaign in world.campaigns:
        if campaign.id == source.campaign_id:
            return campaign
    channel = CHANNEL_OF_DEMO_TYPE[source.campaign_type]
    campaign = _campaign(world, US, source.campaign_id, source.name, channel)
    _add_ad_groups(world, campaign, rng, scale)
    return campaign


def _campaign(
    world: World, customer: Customer, campaign_id: str, name: str, channel: str
) -> Campaign:
    campaign = Campaign(customer, campaign_id, name, channel)
    world.campaigns.append(campaign)
    return campaign


def _add_ad_groups(
    world: World, campaign: Campaign, rng: random.Random, scale: int
) -> None:
    themes = ("Core", "Long tail", "Competitors", "Seasonal", "Accessories", "Kids")
    for index in range(2 * scale):
        theme = themes[index % len(themes)]
        ad_group = AdGroup(
            campaign,
            f"{campaign.id[-4:]}{index + 1:03d}{rng.randrange(100, 999)}",
            f"{theme} {index // len(themes) + 1}" if scale > 3 else theme,
        )
        world.ad_groups.append(ad_group)
        for variant in ("A", "B"):
            ad = Ad(
                ad_group,
                f"7{ad_group.id}{variant == 'B':d}{rng.randrange(10, 99)}",
                f"{ad_group.name} | {variant}",
                AD_TYPES[campaign.channel],
            )
            world.ads.append(ad)


def _split_day(
    world: World, rng: random.Random, campaign: Campaign, day: date, totals: DayTotals
) -> None:
    """Share a campaign-day over its ads, devices and networks, keeping every sum."""
    parts = [
        (ad, device, network, rng.uniform(0.6, 1.4) * device_share * network_share)
        for ad in world.ads
        if ad.ad_group.campaign is campaign
        for device, device_share in zip(DEVICES, DEVICE_SHARE, strict=True)
        for network, network_share in NETWORKS[campaign.channel]
    ]
    weights = [part[3] for part in parts]
    impressions = _apportion(totals.impressions, weights)
    clicks = _apportion(totals.clicks, _or(impressions, weights))
    conversions = _apportion(totals.conversions, _or(clicks, weights))
    columns = zip(
        impressions,
        clicks,
        _apportion(totals.cost_micros, _or(clicks, weights)),
        conversions,
        _apportion(totals.value_cents, _or(conversions, weights)),
        strict=True,
    )
    cells = world.cells[campaign.customer.id].setdefault(day, [])
    for (ad, device, network, _), (impr, clicked, micros, conv, cents) in zip(
        parts, columns, strict=True
    ):
        if impr or clicked or micros or conv or cents:
            cells.append(
                Cell(
                    ad,
                    day,
                    device,
                    network,
                    impr,
                    clicked,
                    micros,
                    Decimal(conv),
                    Decimal(cents) / 100,
                )
            )


def _or(parts: list[int], weights: list[float]) -> Sequence[float]:
    """Split along the parts of the measure before (clicks follow impressions)."""
    return parts if sum(parts) else weights


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Whole parts proportional to the weights that add up to `total` exactly."""
    whole = sum(weights)
    exact = [total * weight / whole for weight in weights]
    parts = [math.floor(value) for value in exact]
    order = sorted(range(len(parts)), key=lambda i: exact[i] - parts[i], reverse=True)
    for index in order[: total - sum(parts)]:
        parts[index] += 1
    return parts
