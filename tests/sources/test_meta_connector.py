"""The Meta connector maps insights rows exactly (FAULTS.md K1, K6, K7)."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

from adreport.sources.base import Slice
from adreport.sources.meta.mapping import fact
from tests.sources.test_meta_support import (
    KRW,
    LAST_DAY,
    USD,
    pull_all,
    running_sandbox,
    session_for,
)

ROW = {"date_start": "2024-06-01", "date_stop": "2024-06-01", "ad_id": "9"}


def test_one_purchase_under_three_aliases_counts_once() -> None:
    row = ROW | {
        "actions": [
            {"action_type": "purchase", "value": "4"},
            {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "4"},
            {"action_type": "omni_purchase", "value": "4"},
            {"action_type": "link_click", "value": "30"},
        ]
    }
    assert fact(row, "ad", (), "purchase", "").conversions == 4
    only_pixel = ROW | {
        "actions": [
            {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "2"}
        ]
    }
    assert fact(only_pixel, "ad", (), "purchase", "").conversions == 2


def test_legs_add_up_and_no_leg_is_null_not_zero() -> None:
    legs = ROW | {
        "actions": [
            {"action_type": "offsite_conversion.fb_pixel_add_to_cart", "value": "120"},
            {"action_type": "onsite_conversion.add_to_cart", "value": "15"},
            {"action_type": "app_custom_event.fb_mobile_add_to_cart", "value": "0"},
        ]
    }
    assert fact(legs, "ad", (), "add_to_cart", "").conversions == 135
    bare = ROW | {"actions": [{"action_type": "link_click", "value": "3"}]}
    assert fact(bare, "ad", (), "add_to_cart", "").conversions is None
    assert fact(ROW, "ad", (), "purchase", "").revenue is None


def test_a_chosen_window_is_read_and_kept_as_the_attribution_setting() -> None:
    row = ROW | {
        "actions": [{"action_type": "purchase", "value": "5", "1d_click": "3"}],
        "attribution_setting": "7d_click_1d_view",
    }
    assert fact(row, "ad", (), "purchase", "1d_click").conversions == 3
    assert fact(row, "ad", (), "purchase", "1d_click").attribution_setting == "1d_click"
    assert fact(row, "ad", (), "purchase", "").attribution_setting == "7d_click_1d_view"


def test_a_known_ad_day_maps_exactly() -> None:
    with running_sandbox() as meta:
        day = date(2024, 6, 5)
        rows = meta.sandbox.days(KRW.account_id, day, day)
        ad = next(r.ad for r in rows if r.purchases >= 2)
        mine = [r for r in rows if r.ad == ad]
        connector = meta.connector("ad")

        async def pull() -> list:
            async with session_for(connector) as session:
                return await pull_all(connector, session, Slice(KRW, "ad", day, day))

        records = asyncio.run(pull())
        record = next(r for r in records if r.ad_id == ad.ad_id)
        assert record.conversions == sum(r.purchases for r in mine)
        assert record.revenue == sum(r.revenue for r in mine)
        assert record.spend == sum(r.spend for r in mine)
        assert record.clicks == sum(r.clicks for r in mine)
        assert record.impressions == sum(r.impressions for r in mine)
        assert (record.campaign_id, record.ad_group_id) == (ad.campaign_id, ad.adset_id)
        assert record.attribution_setting == "7d_click_1d_view"
        assert len(records) == 12  # every ad once


def test_accounts_carry_currency_and_time_zone() -> None:
    with running_sandbox() as meta:
        connector = meta.connector()

        async def accounts() -> list:
            async with session_for(connector) as session:
                return list(await connector.accounts(session))

        assert asyncio.run(accounts()) == [KRW, USD]


def test_breakdowns_by_age_and_gender_add_up_to_the_day() -> None:
    with running_sandbox() as meta:
        connector = meta.connector("campaign:age+gender")
        part = Slice(USD, "campaign", LAST_DAY, LAST_DAY, ("age", "gender"))

        async def pull() -> list:
            async with session_for(connector) as session:
                return await pull_all(connector, session, part)

        records = asyncio.run(pull())
        assert len(records) == 3 * 5 * 3
        assert {r.breakdowns["gender"] for r in records} == {
            "female",
            "male",
            "unknown",
        }
        seeded = meta.sandbox.totals(USD.account_id, LAST_DAY, LAST_DAY)
        assert (
            sum((r.spend or Decimal(0) for r in records), Decimal(0)) == seeded["spend"]
        )
