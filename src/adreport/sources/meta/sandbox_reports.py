"""Insights rows as the Graph API's insights edge writes them, from the seeded world.

A request names a level, a day span, breakdowns and fields; the answer is one row
per entity, day and breakdown value, numbers as strings, conversions in `actions`
and `action_values` under several aliases and per attribution window.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from adreport.sources.meta.seed import AdAccount, AdDay, apportion, apportion_money

LEVELS = ("account", "campaign", "adset", "ad")
PLACEMENTS = (
    ("facebook", "feed", 0.40),
    ("instagram", "stream", 0.27),
    ("instagram", "story", 0.13),
    ("facebook", "facebook_reels", 0.10),
    ("audience_network", "classic", 0.06),
    ("messenger", "messenger_inbox", 0.04),
)
DEVICES = (("mobile_app", 0.78), ("mobile_web", 0.12), ("desktop", 0.10))
AUDIENCE = frozenset({"age", "gender"})
DELIVERY = frozenset({"publisher_platform", "platform_position", "device_platform"})
BREAKDOWNS = AUDIENCE | DELIVERY | {"country"}
WINDOWS = ("1d_click", "7d_click", "28d_click", "1d_view", "1d_ev")
ATTRIBUTION_SETTING = "7d_click_1d_view"
ENTITY_FIELDS = {
    "account_id",
    "account_name",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "objective",
}
MEASURE_FIELDS = {
    "impressions",
    "clicks",
    "inline_link_clicks",
    "spend",
    "reach",
    "frequency",
    "cpc",
    "ctr",
    "cpm",
    "actions",
    "action_values",
    "inline_post_engagement",
    "attribution_setting",
    "date_start",
    "date_stop",
}
FIELDS = ENTITY_FIELDS | MEASURE_FIELDS


class InsightsRequestError(ValueError):
    """A request the insights edge refuses: (#100) with this message."""


@dataclass
class Totals:
    impressions: int = 0
    clicks: int = 0
    spend: Decimal = Decimal(0)
    purchases: int = 0
    revenue: Decimal = Decimal(0)
    reach: int = 0
    add_to_cart_web: int = 0
    add_to_cart_app: int = 0

    def add(self, row: AdDay) -> None:
        self.impressions += row.impressions
        self.clicks += row.clicks
        self.spend += row.spend
        self.purchases += row.purchases
        self.revenue += row.revenue
        self.reach += row.reach
        self.add_to_cart_web += row.add_to_cart_web
        self.add_to_cart_app += row.add_to_cart_app


@dataclass
class Group:
    """One answer row before it is written out: an entity-day and its splits."""

    sample: AdDay  # any row of the group, for entity names and ids
    day: date
    splits: dict[str, str] = field(default_factory=dict)
    totals: Totals = field(default_factory=Totals)


@dataclass(frozen=True)
class InsightsRequest:
    level: str
    since: date
    until: date
    fields: tuple[str, ...]
    breakdowns: tuple[str, ...] = ()
    windows: tuple[str, ...] = ()


def check(request: InsightsRequest, unknown_fields: Iterable[str] = ()) -> None:
    """Refuse what the insights edge refuses, with its own wording."""
    if request.level not in LEVELS:
        raise InsightsRequestError(
            f"(#100) param level must be one of {{{', '.join(LEVELS)}}}"
        )
    for name in request.fields:
        if name not in FIELDS or name in unknown_fields:
            raise InsightsRequestError(f"(#100) {name} is not valid for fields param")
    chosen = set(request.breakdowns)
    if not chosen <= BREAKDOWNS or not _combinable(chosen):
        raise InsightsRequestError(
            "(#100) Current combination of data breakdown columns "
            f"({', '.join(request.breakdowns)}) is invalid"
        )
    for window in request.windows:
        if window not in WINDOWS:
            raise InsightsRequestError(
                f"(#100) {window} is not valid for action_attribution_windows param"
            )


def _combinable(chosen: set[str]) -> bool:
    if "platform_position" in chosen and "publisher_platform" not in chosen:
        return False
    groups = [chosen & AUDIENCE, chosen & DELIVERY, chosen & {"country"}]
    return sum(1 for g in groups if g) <= 1


def answer(
    request: InsightsRequest, account: AdAccount, rows: Iterable[AdDay]
) -> list[dict[str, Any]]:
    """The insights rows for one account, in a stable order."""
    groups = _group(request, account, rows)
    delivery = [b for b in request.breakdowns if b in DELIVERY]
    if delivery:
        groups = [part for group in groups for part in _split(group, delivery)]
    return [_shape(request, account, group) for group in groups]


def _group(
    request: InsightsRequest, account: AdAccount, rows: Iterable[AdDay]
) -> list[Group]:
    groups: dict[tuple[str, ...], Group] = {}
    audience = [b for b in request.breakdowns if b in AUDIENCE]
    for row in rows:
        if row.ad.account != account or not request.since <= row.day <= request.until:
            continue
        splits = {b: getattr(row, b) for b in audience}
        if "country" in request.breakdowns:
            splits["country"] = account.country
        key = (row.day.isoformat(), _entity(request.level, row), *splits.values())
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(row, row.day, splits)
        group.totals.add(row)
    return [groups[key] for key in sorted(groups)]


def _entity(level: str, row: AdDay) -> str:
    ad = row.ad
    return {
        "account": "",
        "campaign": ad.campaign_id,
        "adset": ad.adset_id,
        "ad": ad.ad_id,
    }[level]


def _split(group: Group, delivery: Sequence[str]) -> list[Group]:
    """A group cut by placement and device, the parts adding up exactly."""
    cells: list[tuple[dict[str, str], float]] = [({}, 1.0)]
    if "publisher_platform" in delivery:
        with_position = "platform_position" in delivery
        merged: dict[tuple[str, ...], float] = {}
        for platform, position, share in PLACEMENTS:
            key = (platform, position) if with_position else (platform,)
            merged[key] = merged.get(key, 0.0) + share
        names = ["publisher_platform", "platform_position"][: 2 if with_position else 1]
        cells = [(dict(zip(names, key, strict=True)), s) for key, s in merged.items()]
    if "device_platform" in delivery:
        cells = [
            ({**values, "device_platform": device}, share * device_share)
            for values, share in cells
            for device, device_share in DEVICES
        ]
    weights = [share for _, share in cells]
    totals = group.totals
    unit = group.sample.ad.account.money_unit
    counts = {
        name: apportion(getattr(totals, name), weights)
        for name in (
            "impressions",
            "clicks",
            "purchases",
            "reach",
            "add_to_cart_web",
            "add_to_cart_app",
        )
    }
    spends = apportion_money(totals.spend, weights, unit)
    revenues = apportion_money(totals.revenue, weights, unit)
    parts = []
    for index, (values, _) in enumerate(cells):
        part = Totals(
            counts["impressions"][index],
            counts["clicks"][index],
            spends[index],
            counts["purchases"][index],
            revenues[index],
            counts["reach"][index],
            counts["add_to_cart_web"][index],
            counts["add_to_cart_app"][index],
        )
        parts.append(Group(group.sample, group.day, {**group.splits, **values}, part))
    return parts


def _shape(
    request: InsightsRequest, account: AdAccount, group: Group
) -> dict[str, Any]:
    ad = group.sample.ad
    totals = group.totals
    entity = {
        "account_id": account.number,
        "account_name": account.name,
        "account_currency": account.currency,
        "campaign_id": ad.campaign_id,
        "campaign_name": ad.campaign_name,
        "objective": ad.objective,
        "adset_id": ad.adset_id,
        "adset_name": ad.adset_name,
        "ad_id": ad.ad_id,
        "ad_name": ad.ad_name,
    }
    depth = LEVELS.index(request.level)
    hidden = {
        1: {"adset_id", "adset_name", "ad_id", "ad_name"},
        2: {"ad_id", "ad_name"},
    }
    out: dict[str, Any] = {}
    for name in request.fields:
        if name in entity:
            if depth == 0 and name not in {"account_id", "account_name"}:
                continue
            if name in hidden.get(depth, set()):
                continue
            out[name] = entity[name]
        elif name in MEASURE_FIELDS:
            value = _measure(name, totals, request.windows)
            if value is not None:
                out[name] = value
    out["date_start"] = group.day.isoformat()
    out["date_stop"] = group.day.isoformat()
    out.update(group.splits)
    return out


def _measure(name: str, totals: Totals, windows: Sequence[str]) -> Any:
    other_clicks = totals.clicks // 4
    simple = {
        "impressions": str(totals.impressions),
        "clicks": str(totals.clicks + other_clicks),
        "inline_link_clicks": str(totals.clicks),
        "spend": str(totals.spend),
        "reach": str(totals.reach),
        "inline_post_engagement": str(totals.clicks + totals.impressions // 50),
        "attribution_setting": ATTRIBUTION_SETTING,
    }
    if name in simple:
        return simple[name]
    if name == "actions":
        return _actions(totals, windows) or None
    if name == "action_values":
        return _action_values(totals, windows) or None
    return _ratio(name, totals)


def _ratio(name: str, totals: Totals) -> str | None:
    parts = {
        "frequency": (Decimal(totals.impressions), Decimal(totals.reach)),
        "cpc": (totals.spend, Decimal(totals.clicks + totals.clicks // 4)),
        "ctr": (Decimal(100 * totals.clicks), Decimal(totals.impressions)),
        "cpm": (1000 * totals.spend, Decimal(totals.impressions)),
    }
    numerator, denominator = parts[name]
    if not denominator:
        return None
    return f"{numerator / denominator:.6f}"


def _by_window(count: int, windows: Sequence[str]) -> dict[str, str]:
    """A count's value per requested window; `value` is 7-day click or 1-day view."""
    view = count // 5
    click_7d = count - view
    per_window = {
        "1d_click": click_7d - click_7d // 3,
        "7d_click": click_7d,
        "28d_click": click_7d + click_7d // 10,
        "1d_view": view,
        "1d_ev": 0,
    }
    out = {"value": str(count)}
    for window in windows:
        out[window] = str(per_window[window])
    return out


def _money_by_window(
    amount: Decimal, count: int, windows: Sequence[str]
) -> dict[str, str]:
    shares = _by_window(count, windows)
    out = {"value": str(amount)}
    for window in windows:
        part = Decimal(shares[window]) / count if count else Decimal(0)
        out[window] = str((amount * part).quantize(Decimal("0.01")))
    return out


def _actions(totals: Totals, windows: Sequence[str]) -> list[dict[str, str]]:
    """Actions as Meta lists them: zero counts left out, one purchase thrice."""
    entries = [
        ("link_click", totals.clicks),
        ("landing_page_view", totals.clicks * 4 // 5),
        ("offsite_conversion.fb_pixel_add_to_cart", totals.add_to_cart_web),
        ("app_custom_event.fb_mobile_add_to_cart", totals.add_to_cart_app),
        ("offsite_conversion.fb_pixel_purchase", totals.purchases),
        ("omni_purchase", totals.purchases),
        ("purchase", totals.purchases),
    ]
    return [
        {"action_type": name, **_by_window(count, windows)}
        for name, count in entries
        if count
    ]


def _action_values(totals: Totals, windows: Sequence[str]) -> list[dict[str, str]]:
    if not totals.purchases:
        return []
    return [
        {
            "action_type": name,
            **_money_by_window(totals.revenue, totals.purchases, windows),
        }
        for name in (
            "offsite_conversion.fb_pixel_purchase",
            "omni_purchase",
            "purchase",
        )
    ]
