"""A row's channel: its campaign's, else its platform's usual one, in every query."""

from __future__ import annotations

from decimal import Decimal

ADS_WITHOUT_CAMPAIGN = (
    "date,platform,account_id,currency,ad_id,spend\n"
    "2024-05-01,meta,M1,USD,A1,10\n"
    "2024-05-01,meta,M1,USD,A2,5\n"
)
GOOGLE = (
    "date,platform,account_id,currency,campaign_id,campaign_type,spend\n"
    "2024-05-01,google-ads,G1,USD,C1,Search,7\n"
    "2024-05-01,google-ads,G1,USD,C2,,3\n"
)


def test_rows_without_a_campaign_take_their_platforms_channel(lab):
    lab.load("meta.csv", ADS_WITHOUT_CAMPAIGN)
    lab.load("google.csv", GOOGLE)
    result = lab.query("spend", by="channel")

    rows = {r["channel"]: r["spend"] for r in result.records()}

    assert rows == {"social": Decimal(15), "search": Decimal(7), "unknown": Decimal(3)}
    assert lab.one("spend", channel="Social")["spend"] == Decimal(15)


def test_an_older_warehouse_gets_the_no_campaign_rows_when_opened(lab):
    from adreport.warehouse import Warehouse

    lab.load("meta.csv", ADS_WITHOUT_CAMPAIGN)
    lab.warehouse.con.execute("DELETE FROM campaigns WHERE campaign_id = ''")
    path = lab.warehouse.path
    lab.warehouse.close()

    with Warehouse(path) as reopened:
        lab.warehouse = reopened
        assert lab.one("spend", by="channel")["channel"] == "social"
