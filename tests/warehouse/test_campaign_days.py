"""`campaign_days` always equals the facts added up, and answers like the facts do."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from adreport.metrics.backends import DuckDBDatabase
from adreport.metrics.query import MetricQuery, QueryBuilder

HEADER = (
    "date,platform,account_id,account_name,currency,timezone,campaign_id,"
    "campaign_name,device,impressions,clicks,spend,conversions,revenue,reach\n"
)
FIRST = HEADER + (
    "2024-05-01,meta,M1,Shop,KRW,Asia/Seoul,C1,Spring,mobile,100,10,1000,1,5000,80\n"
    "2024-05-01,meta,M1,Shop,KRW,Asia/Seoul,C1,Spring,desktop,50,5,500,,,40\n"
    "2024-05-02,meta,M1,Shop,KRW,Asia/Seoul,C1,Spring,mobile,70,7,700,2,9000,60\n"
    "2024-05-02,meta,M1,Shop,KRW,Asia/Seoul,C2,Summer,mobile,30,3,300,0,0,25\n"
)
# A later export restates May 2 for C1 and adds a device row.
RESTATED = HEADER + (
    "2024-05-02,meta,M1,Shop,KRW,Asia/Seoul,C1,Spring,mobile,70,7,750,3,12000,60\n"
    "2024-05-02,meta,M1,Shop,KRW,Asia/Seoul,C1,Spring,tablet,10,1,100,,,9\n"
)
SUMMED_FACTS = """
    SELECT platform, account_id, grain, date, campaign_id, attribution_setting,
        currency, sum(impressions), sum(clicks),
        CASE WHEN count(*) = 1 THEN max(reach) END,
        sum(video_views), sum(engagements), sum(conversions), sum(spend),
        sum(revenue), count(*)
    FROM facts GROUP BY ALL ORDER BY ALL
"""


def test_the_sums_follow_every_import_and_restatement(lab):
    lab.load("first.csv", FIRST, fetched_at=datetime(2024, 5, 3, 9))
    lab.load("restated.csv", RESTATED, fetched_at=datetime(2024, 5, 9, 9))

    rollup = lab.warehouse.rows("SELECT * FROM campaign_days ORDER BY ALL")
    assert rollup == lab.warehouse.rows(SUMMED_FACTS)
    may_2_c1 = [r for r in rollup if r[3] == date(2024, 5, 2) and r[4] == "C1"]
    assert may_2_c1[0][13] == Decimal(850)  # 750 restated + 100 new tablet row


def test_an_older_warehouse_gets_them_when_opened(lab, tmp_path):
    from adreport.warehouse import Warehouse

    lab.load("first.csv", FIRST)
    lab.warehouse.con.execute("DELETE FROM campaign_days")
    path = lab.warehouse.path
    lab.warehouse.close()

    with Warehouse(path) as reopened:
        assert reopened.rows("SELECT * FROM campaign_days ORDER BY ALL") == (
            reopened.rows(SUMMED_FACTS)
        )


@pytest.mark.parametrize(
    ("metrics", "by", "where"),
    [
        ("spend,roas,cpa,ctr,conversions", "date,channel", {}),
        ("spend,revenue,reach,frequency", "campaign", {"channel": ["social"]}),
        ("impressions,cpc", "", {"campaign": ["spring"]}),
        ("reach", "date,campaign", {}),
    ],
)
def test_queries_answer_the_same_from_either_table(lab, metrics, by, where):
    lab.load("first.csv", FIRST, fetched_at=datetime(2024, 5, 3, 9))
    lab.load("restated.csv", RESTATED, fetched_at=datetime(2024, 5, 9, 9))
    query = MetricQuery(metrics.split(","), [b for b in by.split(",") if b])
    query.where = where

    db = DuckDBDatabase(lab.warehouse, lab.rates)
    from_rollup = QueryBuilder(db, lab.registry, query)
    assert from_rollup._table() == "campaign_days"
    from_facts = QueryBuilder(db, lab.registry, query)
    from_facts._table = lambda: "facts"  # type: ignore[method-assign]

    assert from_rollup.run().rows == from_facts.run().rows
