"""A small, deterministic advertising world: an outdoor-gear brand on three platforms.

Accounts in two currencies (USD, KRW) and two time zones, 90 days of campaigns with
weekly seasonality, noise, and a few campaigns that degrade towards the end, so the
report has something real to say. Everything comes from one seeded generator: the
same end day gives the same numbers.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

WEEKDAY_DEMAND = (1.04, 1.08, 1.06, 1.02, 0.95, 0.86, 0.92)  # Monday first


@dataclass(frozen=True)
class Account:
    platform: str
    account_id: str
    name: str
    currency: str
    timezone: str


@dataclass(frozen=True)
class Campaign:
    account: Account
    campaign_id: str
    name: str
    campaign_type: str
    daily_budget: float  # in the account currency
    cpc: float
    ctr: float
    cvr: float
    order_value: float
    degrades: bool = False


@dataclass(frozen=True)
class Day:
    """One campaign's numbers for one day (and one audience slice, where split)."""

    campaign: Campaign
    day: date
    impressions: int
    clicks: int
    spend: Decimal
    conversions: int
    revenue: Decimal
    reach: int
    age: str = ""
    gender: str = ""


GOOGLE = Account(
    "google-ads", "482-193-5520", "Hanbit Outdoor US", "USD", "America/Los_Angeles"
)
META = Account("meta", "act_1029384756", "한빛아웃도어 KR", "KRW", "Asia/Seoul")
MICROSOFT = Account(
    "microsoft-ads",
    "F119284737",
    "Hanbit Outdoor US (Bing)",
    "USD",
    "America/Los_Angeles",
)

CAMPAIGNS = (
    Campaign(
        GOOGLE, "20331001", "Brand | Search | US", "Search", 260, 0.9, 0.11, 0.085, 118
    ),
    Campaign(
        GOOGLE,
        "20331002",
        "Generic | Tents | Search",
        "Search",
        540,
        1.85,
        0.052,
        0.031,
        164,
    ),
    Campaign(
        GOOGLE,
        "20331003",
        "Shopping | All products",
        "Shopping",
        480,
        0.62,
        0.014,
        0.024,
        96,
    ),
    Campaign(
        GOOGLE,
        "20331004",
        "PMax | Winter jackets",
        "Performance Max",
        620,
        0.74,
        0.021,
        0.028,
        142,
        degrades=True,
    ),
    Campaign(
        GOOGLE,
        "20331005",
        "Display | Remarketing",
        "Display",
        180,
        0.41,
        0.006,
        0.012,
        88,
    ),
    Campaign(
        META,
        "23851200001",
        "프로스펙팅 | 관심사 확장",
        "Conversions",
        820_000,
        780,
        0.0125,
        0.018,
        128_000,
    ),
    Campaign(
        META,
        "23851200002",
        "리타게팅 | 장바구니 이탈",
        "Conversions",
        410_000,
        650,
        0.021,
        0.046,
        142_000,
    ),
    Campaign(
        META,
        "23851200003",
        "신상품 런칭 | 경량 패딩",
        "Conversions",
        650_000,
        820,
        0.0105,
        0.022,
        118_000,
        degrades=True,
    ),
    Campaign(
        MICROSOFT, "41002001", "Brand - Exact", "Search", 90, 0.72, 0.098, 0.079, 121
    ),
    Campaign(
        MICROSOFT,
        "41002002",
        "Generic - Camping gear",
        "Search",
        160,
        1.21,
        0.041,
        0.027,
        149,
    ),
)
AGES = ("18-24", "25-34", "35-44", "45-54", "55-64")
AGE_SHARE = (0.14, 0.33, 0.27, 0.17, 0.09)
GENDERS = (("female", 0.47), ("male", 0.5), ("unknown", 0.03))


def days_ending(last: date, count: int = 90) -> list[date]:
    return [last - timedelta(days=offset) for offset in range(count - 1, -1, -1)]


def simulate(last_day: date, seed: int = 7) -> list[Day]:
    """Every campaign-day (Meta split by age and gender) for the 90 days to last_day."""
    rng = random.Random(f"{seed}:{last_day.isoformat()}")  # noqa: S311 (sample data)
    days = days_ending(last_day)
    rows: list[Day] = []
    for campaign in CAMPAIGNS:
        for index, day in enumerate(days):
            rows.extend(_campaign_day(rng, campaign, day, index / (len(days) - 1)))
    return rows


def _campaign_day(
    rng: random.Random, campaign: Campaign, day: date, progress: float
) -> list[Day]:
    demand = WEEKDAY_DEMAND[day.weekday()] * (1 + 0.08 * math.sin(progress * 6.0))
    decline = _decline(campaign, progress)
    cpc = campaign.cpc * rng.uniform(0.92, 1.08) * (1 + 0.35 * decline)
    spend_target = campaign.daily_budget * demand * rng.uniform(0.9, 1.05)
    clicks = max(0, round(spend_target / cpc))
    ctr = campaign.ctr * rng.uniform(0.9, 1.1) * (1 - 0.2 * decline)
    impressions = max(clicks, round(clicks / ctr))
    cvr = campaign.cvr * rng.uniform(0.8, 1.2) * (1 - 0.55 * decline)
    conversions = _binomial(rng, clicks, cvr)
    value = campaign.order_value * rng.uniform(0.92, 1.08)
    whole = Day(
        campaign,
        day,
        impressions,
        clicks,
        _money(clicks * cpc, campaign.account.currency),
        conversions,
        _money(conversions * value, campaign.account.currency),
        round(impressions / rng.uniform(1.15, 1.6)),
    )
    if campaign.account.platform != "meta":
        return [whole]
    return _audience_split(rng, whole)


def _decline(campaign: Campaign, progress: float) -> float:
    """0 until three weeks before the end, then rising to 1 for a degrading campaign."""
    if not campaign.degrades or progress < 0.76:
        return 0.0
    return (progress - 0.76) / 0.24


def _binomial(rng: random.Random, trials: int, chance: float) -> int:
    mean = trials * chance
    spread = math.sqrt(max(mean * (1 - chance), 0.0))
    return max(0, round(rng.gauss(mean, spread)))


def _money(amount: float, currency: str) -> Decimal:
    places = Decimal(1) if currency in ("KRW", "JPY") else Decimal("0.01")
    return Decimal(str(amount)).quantize(places, ROUND_HALF_EVEN)


def _audience_split(rng: random.Random, whole: Day) -> list[Day]:
    """The day split by age and gender, the parts adding up exactly to the whole."""
    weights = []
    for age, age_share in zip(AGES, AGE_SHARE, strict=True):
        for gender, gender_share in GENDERS:
            weights.append(
                (age, gender, age_share * gender_share * rng.uniform(0.8, 1.2))
            )
    currency = whole.campaign.account.currency
    total_weight = sum(w for _, _, w in weights)
    shares = [(a, g, w / total_weight) for a, g, w in weights]
    return [
        Day(
            whole.campaign,
            whole.day,
            impressions,
            clicks,
            spend,
            conversions,
            revenue,
            reach,
            age,
            gender,
        )
        for (
            age,
            gender,
            _,
        ), impressions, clicks, spend, conversions, revenue, reach in zip(
            shares,
            _apportion(whole.impressions, shares),
            _apportion(whole.clicks, shares),
            _apportion_money(whole.spend, shares, currency),
            _apportion(whole.conversions, shares),
            _apportion_money(whole.revenue, shares, currency),
            _apportion(whole.reach, shares),
            strict=True,
        )
    ]


def _apportion(total: int, shares: list[tuple[str, str, float]]) -> list[int]:
    parts = [math.floor(total * share) for _, _, share in shares]
    remainders = sorted(
        range(len(shares)), key=lambda i: total * shares[i][2] - parts[i], reverse=True
    )
    for index in remainders[: total - sum(parts)]:
        parts[index] += 1
    return parts


def _apportion_money(
    total: Decimal, shares: list[tuple[str, str, float]], currency: str
) -> list[Decimal]:
    unit = Decimal(1) if currency in ("KRW", "JPY") else Decimal("0.01")
    cents = int(total / unit)
    return [Decimal(p) * unit for p in _apportion(cents, shares)]
