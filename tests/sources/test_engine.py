"""The sync engine against a tiny platform over real HTTP, on a fake clock.

FAULTS.md K8 (named waits, usage throttling), K9 (paging, token refresh and
revocation), K10 (drift), and K1/K2 through the writer.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import date, timedelta
from decimal import Decimal

import httpx

from adreport.sources.engine import OAuth2RefreshAuth, SyncSession
from adreport.sources.engine.run import Source, SyncOptions, sync_source
from adreport.warehouse import Warehouse
from tests.sources.conftest import Tiny

SOURCE = Source("tiny", "other", {}, {})


def sync(warehouse: Warehouse, tiny: Tiny, **options: object):  # type: ignore[no-untyped-def]
    return asyncio.run(
        sync_source(
            warehouse,
            SOURCE,
            SyncOptions(**options),  # type: ignore[arg-type]
            tiny.clock,
            connector=tiny.connector(),
        )
    )


def stats_calls(tiny: Tiny) -> list[tuple[float, str]]:
    return [entry for entry in tiny.world.log if entry[1].startswith("stats")]


def test_a_full_sync_loads_every_row_and_records_the_run(warehouse, tiny):
    outcome = sync(warehouse, tiny, backfill_days=30)
    assert outcome.run.status == "finished"
    assert warehouse.rows("SELECT count(*) FROM facts")[0][0] == 2 * 30 * 3
    run = warehouse.rows(
        "SELECT rows_read, rows_written, rows_unchanged, requests, errors "
        "FROM sync_runs"
    )
    assert run == [(180, 180, 0, outcome.session.counters.requests, 0)]
    names = warehouse.rows("SELECT account_id, name, currency FROM accounts ORDER BY 1")
    assert names == [("A1", "Shop US", "USD"), ("A2", "Shop KR", "KRW")]


def test_k8_a_named_quota_wait_is_honoured_and_earlier_rows_kept(warehouse, tiny):
    tiny.world.page_size = 10  # 21 rows a slice: three pages
    tiny.world.fault_on_cursor[10] = "quota"  # code 17 on a second page
    outcome = sync(warehouse, tiny, backfill_days=7)
    refused_at, refused = next(c for c in stats_calls(tiny) if c[1].endswith(" 10"))
    account = refused.split()[1]
    calls = [c for c in stats_calls(tiny) if c[1].split()[1] == account]
    after = [t for t, _ in calls[calls.index((refused_at, refused)) + 1 :]]
    assert after
    assert outcome.run.status == "finished"
    assert min(after) >= refused_at + 720  # not sent before access returns
    assert 720 in tiny.clock.sleeps
    first_page_fetches = [c for c in calls if c[1] == f"stats {account} 0"]
    assert len(first_page_fetches) == 1  # page 1 was kept, not fetched again
    assert warehouse.rows("SELECT count(*) FROM facts")[0][0] == 2 * 7 * 3


def test_k8_usage_at_95_percent_slows_before_any_error(warehouse, tiny):
    tiny.world.faults["usage-high"] = 1
    outcome = sync(warehouse, tiny, backfill_days=14)
    counters = outcome.session.counters
    assert counters.errors == 0
    assert counters.waits >= counters.requests - 3  # a pause before nearly each
    assert all(0 < pause < 10 for pause in tiny.clock.sleeps)
    calls = [t for t, what in stats_calls(tiny) if "A1" in what]
    gaps = [later - earlier for earlier, later in itertools.pairwise(calls)]
    assert gaps
    assert min(gaps) > 1.0


def test_k8_server_errors_are_retried_with_capped_jittered_backoff(warehouse, tiny):
    tiny.world.faults["server-error"] = 3
    outcome = sync(warehouse, tiny, backfill_days=3)
    assert outcome.run.status == "finished"
    assert outcome.session.counters.retries == 3
    waits = tiny.clock.sleeps
    assert len(waits) == 3
    assert all(0.5 <= w <= 60 for w in waits)
    assert waits[1] > waits[0] / 2  # grows, though jittered


def test_k8_a_fatal_answer_is_not_retried(warehouse, tiny):
    tiny.world.faults["bad-request"] = 1
    outcome = sync(warehouse, tiny, backfill_days=3)
    assert outcome.run.status == "failed"
    assert "code 99" in outcome.run.message
    assert outcome.session.counters.retries == 0
    assert len(stats_calls(tiny)) <= 2  # the refused one and the other account's


def test_k9_an_empty_page_with_next_costs_at_most_two_requests(warehouse, tiny):
    tiny.world.faults["empty-page-next"] = 10
    tiny.world.days = 1
    outcome = sync(warehouse, tiny, since=date(2024, 6, 9))
    calls = [c for c in stats_calls(tiny) if "A1" in c[1]]
    assert len(calls) <= 2
    warned = [w for w in outcome.run.warnings if "A1" in w]
    assert len(warned) == 1
    assert "empty page" in warned[0]
    rows = warehouse.rows("SELECT count(*) FROM facts WHERE account_id = 'A1'")
    assert rows[0][0] == 0


def test_k9_a_token_expiring_at_3600_is_refreshed_before_a_call_at_3605(tiny):
    async def calls() -> list[str]:
        auth = OAuth2RefreshAuth(f"{tiny.url}/token", "c", "s", "rt-1")
        connector = tiny.connector()
        connector.auth = auth
        async with httpx.AsyncClient() as http:
            session = SyncSession(connector, http, tiny.clock)
            seen = []
            for moment in (0, 3590, 3605):
                tiny.clock.elapsed = moment
                request = httpx.Request("GET", f"{tiny.url}/accounts")
                await session.send(request)
                seen.append(request.headers["authorization"])
            assert session.counters.errors == 0  # no call met an expired token
            return seen

    tokens = asyncio.run(calls())
    # Refreshed a minute ahead: at the call at 3590, so the call at 3605 carries
    # a live token and the platform never sees an expired one.
    assert tokens[1] != tokens[0]
    assert tokens[2] == tokens[1]
    refreshes = [t for t, what in tiny.world.log if what == "token"]
    assert refreshes == [0, 3590]


def test_k9_an_expired_access_token_is_refreshed_once_and_sent_again(warehouse, tiny):
    tiny.world.faults["token-expiry"] = 1
    outcome = sync(warehouse, tiny, backfill_days=2)
    assert outcome.run.status == "finished"
    assert outcome.session.counters.refreshes == 1
    assert warehouse.rows("SELECT count(*) FROM facts")[0][0] == 2 * 2 * 3


def test_k9_a_revoked_grant_needs_reauthorisation_and_is_not_retried(warehouse, tiny):
    tiny.world.revoked = True
    outcome = sync(warehouse, tiny, backfill_days=2)
    assert outcome.run.status == "re-authorisation needed"
    assert "adreport connect" in outcome.run.message
    assert [what for _, what in tiny.world.log] == ["token"]  # asked once
    assert outcome.session.counters.retries == 0
    status = warehouse.rows("SELECT status FROM sync_runs")[0][0]
    assert status == "re-authorisation needed"


def test_k10_a_rejected_field_is_dropped_with_a_drift_record(warehouse, tiny):
    tiny.world.rejects_f_x = True
    outcome = sync(warehouse, tiny, backfill_days=2)
    assert outcome.run.status == "finished"
    drift = warehouse.rows("SELECT field, reason FROM sync_drift")
    assert drift == [("f_x", "nonexisting field f_x")]
    loaded = warehouse.rows("SELECT count(*), count(spend), count(clicks) FROM facts")
    assert loaded == [(12, 12, 12)]
    # One refused request per account at most (both may be in flight), then one
    # request per account without the field.
    assert len(stats_calls(tiny)) <= 2 * 2


def test_k2_a_restated_day_is_replaced_and_its_old_version_kept(warehouse, tiny):
    sync(warehouse, tiny, backfill_days=10)
    day = date(2024, 6, 5)
    before = warehouse.rows(
        "SELECT sum(conversions) FROM facts WHERE account_id = 'A1' AND date = ?",
        [day],
    )[0][0]
    tiny.world.restated.add(("A1", day))
    tiny.clock.advance(3600)
    outcome = sync(warehouse, tiny)
    after = warehouse.rows(
        "SELECT sum(conversions) FROM facts WHERE account_id = 'A1' AND date = ?",
        [day],
    )[0][0]
    assert after == 2 * before
    assert after > 0
    history = warehouse.rows(
        "SELECT date, account_id FROM fact_history "
        "WHERE reason = 'restated by a later fetch'"
    )
    assert set(history) == {(day, "A1")}
    # Only that day's rows changed; the rest of the look-back window is unchanged.
    assert outcome.run.totals.rows_written == len(history) >= 1
    assert outcome.run.totals.rows_unchanged == 2 * 7 * 3 - len(history)
    total = warehouse.rows("SELECT count(*) FROM facts")[0][0]
    assert total == 2 * 10 * 3


def test_k2_days_inside_the_look_back_window_are_provisional(warehouse, tiny):
    sync(warehouse, tiny, backfill_days=10)
    flagged = warehouse.rows("SELECT min(date), max(date) FROM facts WHERE provisional")
    today = date(2024, 6, 10)
    assert flagged == [(today - timedelta(days=7), date(2024, 6, 9))]
    settled = warehouse.rows("SELECT max(date) FROM facts WHERE NOT provisional")
    assert settled == [(today - timedelta(days=8),)]


def test_k2_a_second_run_repulls_the_look_back_window_only(warehouse, tiny):
    sync(warehouse, tiny, backfill_days=20)
    tiny.clock.advance(86400)
    tiny.world.last_day += timedelta(days=1)
    outcome = sync(warehouse, tiny)
    assert outcome.run.first_day == date(2024, 6, 10) - timedelta(days=6)
    assert outcome.run.last_day == date(2024, 6, 10)


def test_k1_two_pulls_in_either_order_keep_the_latest_fetch(tmp_path, tiny):
    day = date(2024, 6, 1)
    results = []
    for order in ("early first", "late first"):
        with Warehouse(tmp_path / f"{order}.duckdb") as warehouse:
            early, late = _pulls(warehouse, tiny, day, order)
            results.append(early + late)
    assert results[0] == results[1]


def _pulls(warehouse: Warehouse, tiny: Tiny, day: date, order: str) -> list[Decimal]:
    """Pull the same day with 10.00 fetched at 23:00 and 12.50 the next morning."""
    from adreport.sources.base import Account, FactRecord, Slice
    from adreport.sources.engine.writer import SliceRows, write_slice

    account = Account("A1", "Shop US", "USD", "UTC")
    part = Slice(account, "ad", day, day)
    evening = tiny.clock.start.replace(tzinfo=None)
    pulls = [
        (evening, Decimal("10.00")),
        (evening + timedelta(hours=10), Decimal("12.50")),
    ]
    if order == "late first":
        pulls.reverse()
    for fetched_at, spend in pulls:
        record = FactRecord(day, "ad", campaign_id="C1", ad_id="AD1", spend=spend)
        rows = SliceRows("other", "tiny", part, [record], fetched_at, day)
        write_slice(warehouse, rows, {}, lambda con, i, c: None)
    stored = warehouse.rows("SELECT spend FROM facts")
    assert stored == [(Decimal("12.50"),)]
    kept = warehouse.rows("SELECT spend FROM fact_history")
    assert kept == [(Decimal("10.00"),)]
    return [stored[0][0], kept[0][0]]


def test_k1_campaign_rows_with_an_empty_ad_id_stay_apart(warehouse, tiny):
    from adreport.sources.base import Account, FactRecord, Slice
    from adreport.sources.engine.writer import SliceRows, write_slice

    day = date(2024, 6, 1)
    part = Slice(Account("A1", "Shop", "USD", "UTC"), "campaign", day, day)
    records = [
        FactRecord(day, "campaign", campaign_id=c, spend=Decimal(s))
        for c, s in (("C1", 5), ("C2", 7), ("C3", 9))
    ]
    rows = SliceRows("other", "tiny", part, records, tiny.clock.start, day)
    write_slice(warehouse, rows, {}, lambda con, i, c: None)
    assert warehouse.rows("SELECT count(*), sum(spend) FROM facts") == [
        (3, Decimal(21))
    ]


def test_a_killed_run_resumes_without_fetching_committed_slices(warehouse, tiny):
    first = sync(warehouse, tiny, backfill_days=21)
    assert first.run.status == "finished"
    # A run stopped by an error after its first slices is resumed, not restarted.
    tiny.world.log.clear()
    tiny.world.stats_calls = 0
    tiny.world.fault_on_call[3] = "bad-request"  # after two committed slices
    stopped = sync(warehouse, tiny, backfill_days=21)
    assert stopped.run.status == "failed"
    done = stopped.run.totals.slices_done
    tiny.world.log.clear()
    resumed = sync(warehouse, tiny, backfill_days=21)
    assert resumed.run.resumed
    assert resumed.run.run_id == stopped.run.run_id
    assert resumed.run.status == "finished"
    assert len(stats_calls(tiny)) == 6 - done
    assert warehouse.rows("SELECT count(*) FROM facts")[0][0] == 2 * 21 * 3


def test_k3_each_account_is_synced_up_to_its_own_yesterday(warehouse, tiny):
    tiny.clock.advance(4 * 3600)  # 16:00 UTC: 01:00 next day in Seoul, noon in NY
    tiny.world.last_day = date(2024, 6, 10)
    sync(warehouse, tiny, backfill_days=3)
    last_days = warehouse.rows(
        "SELECT account_id, max(date) FROM facts GROUP BY 1 ORDER BY 1"
    )
    assert last_days == [("A1", date(2024, 6, 9)), ("A2", date(2024, 6, 10))]
