"""FAULTS K7: what is not available stays NULL all the way; a true 0 is 0."""

from __future__ import annotations

from decimal import Decimal

from adreport.ingest.conversions import pick


def test_add_to_cart_adds_its_disjoint_legs():
    row = {
        "offsite_conversion.fb_pixel_add_to_cart": Decimal(120),
        "onsite_conversion.add_to_cart": Decimal(15),
        "app_custom_event.fb_mobile_add_to_cart": Decimal(0),
    }

    assert pick(row, "add_to_cart") == Decimal(135)
    assert pick({"link_click": Decimal(30)}, "add_to_cart") is None


def test_an_empty_cell_is_null_and_a_zero_cell_is_zero(lab):
    lab.load(
        "cells.csv",
        "date,platform,account_id,currency,campaign_id,spend,conversions,revenue\n"
        "2024-05-01,meta,A1,USD,C1,10,,\n"
        "2024-05-01,meta,A1,USD,C2,10,0,0\n",
    )

    rows = {
        r["campaign"]: r
        for r in lab.query("conversions,revenue,roas,cpa", by="campaign").records()
    }

    assert rows["C1"]["conversions"] is None
    assert rows["C1"]["roas"] is None
    assert rows["C2"]["conversions"] == 0
    assert rows["C2"]["roas"] == 0.0
    assert rows["C2"]["cpa"] is None


def test_a_metric_no_row_has_is_null_in_csv_and_json(lab):
    from adreport.cli.output import to_csv, to_json

    lab.load(
        "spend.csv",
        "date,platform,account_id,currency,campaign_id,spend\n2024-05-01,meta,A1,USD,C1,10\n",
    )
    result = lab.query("spend,revenue,roas")

    assert to_csv(result).splitlines()[1] == "10,,"
    assert '"revenue": null' in to_json(result)
    assert '"roas": null' in to_json(result)
