"""The Meta sandbox's advertising world: accounts, ads, and one row per ad, day,
age and gender.

The Korean account is the demo world's own (`adreport.demo.world`), split into ad
sets and ads so that every campaign-day-age-gender sums back exactly to the demo's
numbers; a second account (USD, America/New_York) is generated here. Everything is
deterministic for a seed and a last day. Coarser rows (campaign, account, no
breakdown) are sums of these rows, as Meta's own are.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from adreport.demo import world

AGES = world.AGES
GENDERS = tuple(name for name, _ in world.GENDERS)
# Four ads per campaign: two ad sets of two ads, with these shares of the campaign.
AD_SHARES = ((0.34, 0.21), (0.27, 0.18))


@dataclass(frozen=True)
class AdAccount:
    account_id: str  # "act_" and the number, as the Graph API names the node
    name: str
    currency: str
    timezone: str
    country: str

    @property
    def number(self) -> str:
        return self.account_id.removeprefix("act_")

    @property
    def money_unit(self) -> Decimal:
        return Decimal(1) if self.currency in ("KRW", "JPY") else Decimal("0.01")


@dataclass(frozen=True)
class Ad:
    account: AdAccount
    campaign_id: str
    campaign_name: str
    objective: str
    adset_id: str
    adset_name: str
    ad_id: str
    ad_name: str


@dataclass(slots=True)
class AdDay:
    """One ad on one day for one age band and gender: the sandbox's finest grain."""

    ad: Ad
    day: date
    age: str
    gender: str
    impressions: int
    clicks: int  # link clicks; Meta's `clicks` (all clicks) adds other clicks
    spend: Decimal
    purchases: int
    revenue: Decimal
    reach: int
    add_to_cart_web: int
    add_to_cart_app: int


KOREA = AdAccount(world.META.account_id, world.META.name, "KRW", "Asia/Seoul", "KR")
UNITED_STATES = AdAccount(
    "act_2048736519", "Hanbit Outdoor US (Meta)", "USD", "America/New_York", "US"
)
ACCOUNTS = (KOREA, UNITED_STATES)

# The second account's campaigns: name, daily budget, CPC, CTR, CVR, order value.
US_CAMPAIGNS = (
    ("23861500001", "Prospecting | Broad US", 420.0, 0.95, 0.011, 0.017, 131.0),
    ("23861500002", "Retargeting | Cart abandoners", 180.0, 0.78, 0.019, 0.043, 148.0),
    ("23861500003", "Advantage+ | Catalog", 350.0, 0.66, 0.014, 0.026, 104.0),
)


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Whole parts of `total` in proportion to `weights`, adding up exactly."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - parts[i], reverse=True)
    for index in order[: total - sum(parts)]:
        parts[index] += 1
    return parts


def apportion_money(
    total: Decimal, weights: Sequence[float], unit: Decimal
) -> list[Decimal]:
    return [Decimal(part) * unit for part in apportion(int(total / unit), weights)]


def ads_of(account: AdAccount, campaign_id: str, name: str, objective: str) -> list[Ad]:
    ads = []
    for set_index, set_name in enumerate(("Broad", "Lookalike 1%"), start=1):
        adset_id = f"{campaign_id}{set_index}"
        for ad_index, ad_name in enumerate(("Video 15s", "Carousel"), start=1):
            ads.append(
                Ad(
                    account,
                    campaign_id,
                    name,
                    objective,
                    adset_id,
                    f"{name} | {set_name}",
                    f"{adset_id}{ad_index}",
                    f"{set_name} | {ad_name}",
                )
            )
    return ads


AD_WEIGHTS = [share for pair in AD_SHARES for share in pair]


def build_rows(last_day: date, seed: int = 7) -> list[AdDay]:
    """Every ad-day-age-gender row of both accounts for the 90 days to last_day."""
    return [*_korean_rows(last_day, seed), *_us_rows(last_day, seed)]


def _korean_rows(last_day: date, seed: int) -> Iterable[AdDay]:
    ads: dict[str, list[Ad]] = {}
    for day in world.simulate(last_day, seed):
        campaign = day.campaign
        if campaign.account.platform != "meta":
            continue
        key = campaign.campaign_id
        if key not in ads:
            ads[key] = ads_of(KOREA, key, campaign.name, "OUTCOME_SALES")
        yield from _split_to_ads(
            ads[key],
            day.day,
            day.age,
            day.gender,
            {
                "impressions": day.impressions,
                "clicks": day.clicks,
                "purchases": day.conversions,
                "reach": day.reach,
            },
            (day.spend, day.revenue),
            KOREA.money_unit,
        )


def _split_to_ads(
    ads: list[Ad],
    day: date,
    age: str,
    gender: str,
    counts: dict[str, int],
    money: tuple[Decimal, Decimal],
    unit: Decimal,
) -> Iterable[AdDay]:
    parts = {name: apportion(value, AD_WEIGHTS) for name, value in counts.items()}
    spends = apportion_money(money[0], AD_WEIGHTS, unit)
    # Revenue goes with purchases: Meta reports no purchase value without a
    # purchase, and the demo's export leaves such value out as well.
    purchases = [float(p) for p in parts["purchases"]]
    revenues = (
        apportion_money(money[1], purchases, unit)
        if any(purchases)
        else [Decimal(0)] * len(ads)
    )
    for index, ad in enumerate(ads):
        clicks = parts["clicks"][index]
        yield AdDay(
            ad,
            day,
            age,
            gender,
            parts["impressions"][index],
            clicks,
            spends[index],
            parts["purchases"][index],
            revenues[index],
            parts["reach"][index],
            add_to_cart_web=clicks // 9,
            add_to_cart_app=clicks // 40,
        )


def _us_rows(last_day: date, seed: int) -> Iterable[AdDay]:
    rng = random.Random(f"meta-us:{seed}:{last_day.isoformat()}")  # noqa: S311
    cells = [
        (age, gender, age_share * gender_share)
        for age, age_share in zip(AGES, world.AGE_SHARE, strict=True)
        for gender, gender_share in world.GENDERS
    ]
    for campaign_id, name, budget, cpc, ctr, cvr, order in US_CAMPAIGNS:
        ads = ads_of(UNITED_STATES, campaign_id, name, "OUTCOME_SALES")
        for day in world.days_ending(last_day):
            demand = world.WEEKDAY_DEMAND[day.weekday()] * rng.uniform(0.88, 1.08)
            clicks = round(budget * demand / (cpc * rng.uniform(0.93, 1.07)))
            impressions = round(clicks / (ctr * rng.uniform(0.9, 1.1)))
            purchases = max(0, round(rng.gauss(clicks * cvr, math.sqrt(clicks * cvr))))
            spend = Decimal(f"{clicks * cpc * rng.uniform(0.95, 1.05):.2f}")
            revenue = Decimal(f"{purchases * order * rng.uniform(0.9, 1.1):.2f}")
            reach = round(impressions / rng.uniform(1.2, 1.6))
            weights = [w * rng.uniform(0.8, 1.2) for _, _, w in cells]
            counts = [
                apportion(value, weights)
                for value in (impressions, clicks, purchases, reach)
            ]
            spends = apportion_money(spend, weights, UNITED_STATES.money_unit)
            revenues = apportion_money(revenue, weights, UNITED_STATES.money_unit)
            for index, (age, gender, _) in enumerate(cells):
                yield from _split_to_ads(
                    ads,
                    day,
                    age,
                    gender,
                    {
                        "impressions": counts[0][index],
                        "clicks": counts[1][index],
                        "purchases": counts[2][index],
                        "reach": counts[3][index],
                    },
                    (spends[index], revenues[index]),
                    UNITED_STATES.money_unit,
                )


def restate(rows: Iterable[AdDay], version: int) -> int:
    """Late attribution and settling spend for the given rows; returns rows changed.

    Every fifth row with clicks gains a purchase (at the row's average order value,
    or a fixed one) and spend settles up by about one percent.
    """
    changed = 0
    for index, row in enumerate(rows):
        if row.clicks == 0:
            continue
        unit = row.ad.account.money_unit
        row.spend += max(unit, (row.spend / 100).quantize(unit))
        if (index + version) % 5 == 0:
            fixed = Decimal(120) if unit < 1 else Decimal(120_000)
            order = row.revenue / row.purchases if row.purchases else fixed
            row.purchases += 1
            row.revenue += Decimal(order).quantize(unit)
        changed += 1
    return changed
