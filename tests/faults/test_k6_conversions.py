"""FAULTS K6: one alias per conversion family; aliases and windows never summed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adreport.errors import InputFileError
from adreport.ingest.conversions import pick
from adreport.ingest.importer import ImportOptions, group_companions, import_file

ADS = (
    "ad_id,date,account_id,impressions,inline_link_clicks,spend\n"
    "AD1,2024-05-01,ACT1,1000,30,40.00\n"
    "AD2,2024-05-01,ACT1,500,10,20.00\n"
)
ACTIONS = (
    "_fivetran_id,ad_id,date,index,_1_d_view,_7_d_click,_fivetran_synced,action_type,"
    "inline,value\n"
    "x,AD1,2024-05-01,0,,4,2024-05-02,purchase,,4\n"
    "x,AD1,2024-05-01,1,,4,2024-05-02,offsite_conversion.fb_pixel_purchase,,4\n"
    "x,AD1,2024-05-01,2,,4,2024-05-02,omni_purchase,,4\n"
    "x,AD1,2024-05-01,3,,30,2024-05-02,link_click,,30\n"
    "x,AD2,2024-05-01,0,,2,2024-05-02,offsite_conversion.fb_pixel_purchase,,2\n"
)
VALUES = (
    "ad_id,date,_fivetran_id,index,action_type,value,_fivetran_synced,_7_d_click\n"
    "AD1,2024-05-01,x,0,omni_purchase,200.00,2024-05-02,200.00\n"
    "AD1,2024-05-01,x,1,offsite_conversion.fb_pixel_purchase,200.00,2024-05-02,200.00\n"
    "AD2,2024-05-01,x,0,offsite_conversion.fb_pixel_purchase,90.00,2024-05-02,90.00\n"
)


def test_the_catalogue_picks_one_alias():
    aliases = {
        "purchase": Decimal(4),
        "offsite_conversion.fb_pixel_purchase": Decimal(4),
        "omni_purchase": Decimal(4),
        "link_click": Decimal(30),
    }

    assert pick(aliases, "purchase") == 4
    assert pick({"offsite_conversion.fb_pixel_purchase": Decimal(2)}, "purchase") == 2
    assert pick({"link_click": Decimal(30)}, "purchase") is None


def _import_meta(lab, event="purchase"):
    paths = [
        lab.write("ads.csv", ADS),
        lab.write("actions.csv", ACTIONS),
        lab.write("values.csv", VALUES),
    ]
    options = ImportOptions(currency="USD", conversion_event=event)
    [(main, companions)] = group_companions(paths, options).groups
    return import_file(lab.warehouse, main, options, companions=companions)


def test_purchases_from_meta_actions_are_counted_once_per_ad(lab):
    _import_meta(lab)

    by_ad = {
        r["ad"]: r for r in lab.query("conversions,revenue,roas", by="ad").records()
    }

    assert by_ad["AD1"]["conversions"] == 4
    assert by_ad["AD2"]["conversions"] == 2
    assert by_ad["AD1"]["revenue"] == Decimal(200)
    assert lab.one("conversions,revenue,spend")["conversions"] == 6
    assert lab.one("roas")["roas"] == pytest.approx(290 / 60)


def test_a_configured_event_that_is_absent_is_null_with_a_note(lab):
    result = _import_meta(lab, event="lead")

    assert lab.one("conversions")["conversions"] is None
    assert any("'lead'" in note and "0 ad-day" in note for note in result.notes)


def test_an_actions_table_alone_is_refused_with_what_to_do(lab):
    alone = lab.write("actions.csv", ACTIONS)

    plan = group_companions([alone], ImportOptions())

    assert plan.groups == []
    [(path, reason)] = plan.refused
    assert path == alone
    assert isinstance(reason, InputFileError)
    assert "same command" in str(reason)


def test_adding_legs_without_a_total_is_said_at_import(lab):
    values = (
        "ad_id,date,_fivetran_id,index,action_type,value,_fivetran_synced,_7_d_click\n"
        "AD1,2024-05-01,x,0,offsite_conversion.fb_pixel_purchase,90,2024-05-02,90\n"
        "AD1,2024-05-01,x,1,onsite_conversion.purchase,90,2024-05-02,90\n"
    )
    paths = [lab.write("ads.csv", ADS), lab.write("values.csv", values)]
    options = ImportOptions(currency="USD")
    [(main, companions)] = group_companions(paths, options).groups

    result = import_file(lab.warehouse, main, options, companions=companions)

    assert lab.one("revenue", by="ad", ad="AD1")["revenue"] == Decimal(180)
    assert any("1 ad-day(s) give no total" in note for note in result.notes)
