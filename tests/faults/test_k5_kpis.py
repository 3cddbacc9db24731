"""FAULTS K5: ratios of sums; non-additive metrics never summed; 0 denominators NULL."""

from __future__ import annotations

import pytest

HEADER = (
    "date,platform,account_id,currency,campaign_id,impressions,clicks,spend,"
    "conversions\n"
)


def test_ctr_is_the_ratio_of_summed_clicks_and_impressions(lab):
    lab.load(
        "ctr.csv",
        HEADER
        + "2024-05-01,meta,A1,USD,C1,1000,50,10,1\n"
        + "2024-05-01,meta,A1,USD,C2,10,5,10,1\n"
        + "2024-05-01,meta,A1,USD,C3,200,2,10,1\n",
    )

    ctr = lab.one("ctr")["ctr"]

    assert ctr == pytest.approx(57 / 1210)
    assert round(ctr * 100, 2) == 4.71
    assert ctr != pytest.approx(0.56)
    assert ctr != pytest.approx(0.1867, abs=1e-4)


def test_ratios_stay_ratios_of_sums_at_every_grain(lab):
    lab.load(
        "grain.csv",
        HEADER
        + "2024-05-01,meta,A1,USD,C1,1000,50,100,5\n"
        + "2024-05-02,meta,A1,USD,C1,10,5,20,0\n",
    )

    by_day = {r["date"].day: r for r in lab.query("cpa,ctr", by="date").records()}
    total = lab.one("cpa,ctr")

    assert by_day[1]["cpa"] == 20.0
    assert by_day[2]["cpa"] is None
    assert total["cpa"] == 24.0
    assert total["ctr"] == pytest.approx(55 / 1010)


def test_reach_is_taken_from_the_platform_total_not_summed(lab):
    pages = (
        "date,platform,account_id,currency,campaign_id,placement,reach\n"
        "2024-05-01,meta,A1,USD,C1,page1,3\n"
        "2024-05-01,meta,A1,USD,C1,page2,2\n"
        "2024-05-01,meta,A1,USD,C1,page3,4\n"
        "2024-05-01,meta,A1,USD,C1,page4,1\n"
    )
    total = (
        "date,platform,account_id,currency,campaign_id,reach\n"
        "2024-05-01,meta,A1,USD,C1,6\n"
    )
    lab.load("pages.csv", pages)

    assert lab.one("reach")["reach"] is None
    lab.load("total.csv", total)

    assert lab.one("reach")["reach"] == 6
    by_page = lab.query("reach", by="placement").records()
    assert [r["reach"] for r in by_page] == [3, 2, 4, 1]


def test_reach_over_several_days_is_not_available(lab):
    lab.load(
        "reach.csv",
        "date,platform,account_id,currency,campaign_id,reach,impressions\n"
        "2024-05-01,meta,A1,USD,C1,100,300\n"
        "2024-05-02,meta,A1,USD,C1,120,260\n",
    )

    days = lab.query("reach,frequency", by="date").records()
    week = lab.one("reach,frequency")

    assert [d["reach"] for d in days] == [100, 120]
    assert days[0]["frequency"] == 3.0
    assert week["reach"] is None
    assert week["frequency"] is None


def test_zero_denominators_give_null_and_the_rest_still_computes(lab):
    lab.load(
        "zeros.csv",
        HEADER + "2024-05-01,meta,A1,USD,C1,0,0,25,0\n",
    )

    row = lab.one("spend,ctr,cpc,cpm,cpa,cvr,roas,roi")

    assert row["spend"] == 25
    for metric in ("ctr", "cpc", "cpm", "cpa", "cvr", "roas", "roi"):
        assert row[metric] is None, metric


def test_a_user_kpi_is_a_ratio_of_sums_too(lab):
    from adreport.metrics.registry import Metric

    lab.registry.add(
        Metric(
            "cost_per_view",
            "Cost per view",
            "조회당 비용",
            "money",
            "ratio",
            "down",
            "spend / video_views",
        )
    )
    lab.load(
        "views.csv",
        "date,platform,account_id,currency,campaign_id,spend,video_views\n"
        "2024-05-01,meta,A1,USD,C1,10,1\n"
        "2024-05-01,meta,A1,USD,C2,30,99\n",
    )

    assert lab.one("cost_per_view")["cost_per_view"] == 0.4
