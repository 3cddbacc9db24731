"""The demo pulled from the sandboxes over loopback, then a restated day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from adreport.demo.run import run_sync_demo
from adreport.demo.world import GOOGLE, simulate
from adreport.warehouse import Warehouse

LAST_DAY = date(2024, 6, 30)


@pytest.fixture(scope="module")
def synced(tmp_path_factory):  # type: ignore[no-untyped-def]
    pytest.importorskip("adreport.sources.google_ads.sandbox")
    pytest.importorskip("adreport.sources.meta.sandbox")
    out = tmp_path_factory.mktemp("sync-demo")
    return run_sync_demo(out, "en", last_day=LAST_DAY, say=lambda _: None)


def test_a_second_sync_changes_the_restated_day_only(synced):
    assert synced.restated_day == date(2024, 6, 27)
    assert synced.days_changed_by_second_sync == [synced.restated_day]


def test_the_report_notes_name_the_restated_day(synced):
    first = synced.first_report.html.read_text(encoding="utf-8")
    second = synced.report.html.read_text(encoding="utf-8")
    assert "Restated days" not in first
    assert "Restated days: Jun 27, 2024" in second


def test_synced_google_spend_equals_the_demo_world_on_unrestated_days(synced):
    world = sum(
        (r.spend for r in simulate(LAST_DAY) if r.campaign.account is GOOGLE),
        Decimal(0),
    )
    restated_day = [
        r.spend
        for r in simulate(LAST_DAY)
        if r.campaign.account is GOOGLE and r.day == synced.restated_day
    ]
    with Warehouse(synced.data_dir / "warehouse.duckdb") as warehouse:
        stored = warehouse.rows(
            "SELECT sum(spend) FROM facts WHERE platform = 'google-ads' "
            "AND grain LIKE '%:campaign:%' AND date <> ?",
            [synced.restated_day],
        )[0][0]
    assert stored == world - sum(restated_day, Decimal(0))
