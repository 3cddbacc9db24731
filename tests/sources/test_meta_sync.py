"""A sync from the Meta sandbox into a warehouse reproduces the seeded totals."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

from adreport.model import make_grain
from adreport.sources.engine import FakeClock
from adreport.sources.engine.run import Source, SyncOptions, sync_source
from adreport.warehouse import Warehouse
from tests.sources.test_meta_support import KRW, LAST_DAY, START, USD, running_sandbox

FIRST_DAY = LAST_DAY - timedelta(days=13)
AD_GRAIN = make_grain("ad", ()).text


def _ad_totals(warehouse: Warehouse, account: str, day: date | None = None) -> dict:
    where = "platform = 'meta' AND account_id = ? AND grain = ?"
    params: list[object] = [account, AD_GRAIN]
    if day is not None:
        where += " AND date = ?"
        params.append(day)
    row = warehouse.con.execute(
        f"SELECT sum(impressions), sum(clicks), sum(spend), sum(conversions), "
        f"sum(revenue), count(*) FROM facts WHERE {where}",
        params,
    ).fetchone()
    assert row is not None
    names = ("impressions", "clicks", "spend", "purchases", "revenue", "rows")
    return dict(zip(names, row, strict=True))


def _sync(url_settings: tuple[dict[str, str], dict[str, str]], warehouse: Warehouse):
    settings, secrets = url_settings
    source = Source("meta-sandbox", "meta", {**settings, "reports": "ad"}, secrets)
    options = SyncOptions(since=FIRST_DAY)
    return asyncio.run(sync_source(warehouse, source, options, FakeClock(START)))


def test_a_sync_gives_the_sandbox_totals_and_a_restated_day_changes_alone(
    warehouse: Warehouse,
) -> None:
    with running_sandbox() as meta:
        outcome = _sync(meta.connection(), warehouse)
        assert outcome.run.status == "finished", outcome.run.message
        for account in (KRW, USD):
            stored = _ad_totals(warehouse, account.account_id)
            seeded = meta.sandbox.totals(account.account_id, FIRST_DAY, LAST_DAY)
            assert stored["rows"] == 14 * 12
            for name in ("impressions", "clicks", "spend", "purchases", "revenue"):
                assert Decimal(stored[name]) == Decimal(seeded[name]), name

        day = LAST_DAY - timedelta(days=3)
        other = LAST_DAY - timedelta(days=4)
        before = _ad_totals(warehouse, KRW.account_id, other)
        meta.sandbox.restate(KRW.account_id, day)
        second = _sync(meta.connection(), warehouse)
        assert second.run.status == "finished", second.run.message
        restated = _ad_totals(warehouse, KRW.account_id, day)
        seeded_day = meta.sandbox.totals(KRW.account_id, day, day)
        assert Decimal(restated["spend"]) == seeded_day["spend"]
        assert Decimal(restated["purchases"]) == seeded_day["purchases"]
        assert _ad_totals(warehouse, KRW.account_id, other) == before
        history = warehouse.con.execute(
            "SELECT count(*) FROM fact_history WHERE account_id = ? AND date = ?",
            [KRW.account_id, day],
        ).fetchone()
        assert history is not None
        assert history[0] > 0
