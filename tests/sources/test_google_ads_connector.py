"""The Google Ads connector: mapping, its error table, and syncs from the sandbox.

Syncs go through the real engine over loopback HTTP into a real DuckDB warehouse,
on a fake clock, and each sandbox fault is checked the way FAULTS.md words it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from adreport.sources import google_ads
from adreport.sources.base import ErrorKind
from adreport.sources.engine import FakeClock
from adreport.sources.engine.run import Source, SyncOptions, SyncOutcome, sync_source
from adreport.sources.google_ads import errors, mapping
from adreport.sources.google_ads.sandbox import build_app, sandbox_connection
from adreport.sources.google_ads.sandbox_world import World
from adreport.sources.sandbox import serve
from adreport.warehouse import Warehouse

LAST_DAY = date(2024, 6, 9)
NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)  # June 9 is yesterday in LA and Seoul
US, KR = "4821935520", "7351180246"


class Sandbox:
    def __init__(self, url: str, world: World):
        self.url = url
        self.world = world
        self.clock = FakeClock(NOW)

    def faults(self, spec: str) -> None:
        httpx.post(
            f"{self.url}/__sandbox/faults", json={"spec": spec}
        ).raise_for_status()

    def requests(self) -> dict[str, int]:
        return httpx.get(f"{self.url}/__sandbox/requests").json()  # type: ignore[no-any-return]

    def sync(
        self, warehouse: Warehouse, request: str = "stream", **options: Any
    ) -> SyncOutcome:
        settings, secrets = sandbox_connection(self.url)
        settings["request"] = request
        source = Source("google", "google-ads", settings, secrets)
        return asyncio.run(
            sync_source(warehouse, source, SyncOptions(**options), self.clock)
        )


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    app = build_app(last_day=LAST_DAY)
    with serve(app) as served:
        yield Sandbox(served.url, app.state.world)


@pytest.fixture
def paged() -> Iterator[Sandbox]:
    """A sandbox answering 300 rows a page, so a week has pages to follow."""
    app = build_app(last_day=LAST_DAY, page_size=300)
    with serve(app) as served:
        yield Sandbox(served.url, app.state.world)


def spend(
    warehouse: Warehouse, level: str, account: str, day: date | None = None
) -> Any:
    where = "grain LIKE ? AND account_id = ?"
    params: list[object] = [f"%:{level}:%", account]
    if day is not None:
        where += " AND date = ?"
        params.append(day)
    return warehouse.rows(
        "SELECT sum(spend), sum(impressions), sum(conversions), sum(revenue), "
        f"count(*) FROM facts WHERE {where}",
        params,
    )[0]


# Mapping (FAULTS.md K4) -----------------------------------------------------------


def test_k4_cost_micros_become_exact_amounts_once():
    assert mapping.money_from_micros("87650000") == Decimal("87.65")
    assert str(mapping.money_from_micros("87650000")) == "87.65"
    assert mapping.money_from_micros("1250000") == Decimal("1.25")
    assert mapping.money_from_micros("1") == Decimal("0.000001")
    assert mapping.money_from_micros("0") == 0
    assert mapping.money_from_micros(None) is None
    assert mapping.money_from_micros("9007199254740993") == Decimal("9007199254.740993")


def test_a_row_maps_to_a_fact_record_with_the_models_words():
    row = {
        "campaign": {
            "id": "20331002",
            "name": "Generic | Tents | Search",
            "status": "ENABLED",
            "advertisingChannelType": "PERFORMANCE_MAX",
        },
        "adGroup": {"id": "1002001", "name": "Core"},
        "adGroupAd": {"ad": {"id": "7100200101", "name": "Core | A"}},
        "segments": {
            "date": "2024-03-31",
            "device": "MOBILE",
            "adNetworkType": "MIXED",
        },
        "metrics": {
            "impressions": "1200",
            "clicks": "48",
            "costMicros": "87650000",
            "conversions": Decimal("3.5"),
            "conversionsValue": Decimal("410.25"),
        },
    }
    record = mapping.to_record(row, "ad")
    assert record.date == date(2024, 3, 31)  # K3: the date is never shifted
    assert (record.campaign_id, record.ad_group_id, record.ad_id) == (
        "20331002",
        "1002001",
        "7100200101",
    )
    assert record.breakdowns == {"device": "mobile", "network": "mixed"}
    assert (record.impressions, record.clicks) == (1200, 48)
    assert record.spend == Decimal("87.65")
    assert (record.conversions, record.revenue) == (Decimal("3.5"), Decimal("410.25"))
    assert (record.campaign_type, record.channel) == (
        "Performance Max",
        "performance_max",
    )
    del row["metrics"]["conversionsValue"]  # K7: not given stays None, never 0
    assert mapping.to_record(row, "ad").revenue is None


def test_rows_that_cannot_be_read_are_set_aside_with_the_reason():
    good = {
        "campaign": {"id": "1"},
        "segments": {"date": "2024-06-01"},
        "metrics": {"costMicros": "5"},
    }
    page = mapping.to_page([good, {"campaign": {"id": "x"}}], "campaign")
    assert len(page.records) == 1
    assert len(page.rejected) == 1
    assert "KeyError" in page.rejected[0][1]


# The error table (FAULTS.md K8, K9, K10) -----------------------------------------


def failure(
    status: int, grpc: str, code: dict[str, str], **more: Any
) -> httpx.Response:
    error = {"errorCode": code, "message": "m", **more}
    body = {
        "error": {
            "code": status,
            "status": grpc,
            "message": "x",
            "details": [{"errors": [error], "requestId": "r1"}],
        }
    }
    return httpx.Response(status, json=[body])


@pytest.mark.parametrize(
    ("response", "kind", "wait"),
    [
        (
            failure(
                429,
                "RESOURCE_EXHAUSTED",
                {"quotaError": "RESOURCE_EXHAUSTED"},
                details={"quotaErrorDetails": {"retryDelay": "720s"}},
            ),
            ErrorKind.WAIT_FOR_QUOTA,
            720.0,
        ),
        (
            failure(
                429,
                "RESOURCE_EXHAUSTED",
                {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"},
            ),
            ErrorKind.WAIT_FOR_QUOTA,
            None,
        ),
        (
            failure(500, "INTERNAL", {"internalError": "INTERNAL_ERROR"}),
            ErrorKind.RETRY,
            None,
        ),
        (httpx.Response(503, text="<html>unavailable</html>"), ErrorKind.RETRY, None),
        (
            failure(
                401, "UNAUTHENTICATED", {"authenticationError": "OAUTH_TOKEN_EXPIRED"}
            ),
            ErrorKind.ACCESS_EXPIRED,
            None,
        ),
        (
            failure(
                401, "UNAUTHENTICATED", {"authenticationError": "OAUTH_TOKEN_REVOKED"}
            ),
            ErrorKind.REAUTHORISE,
            None,
        ),
        (
            failure(
                401,
                "UNAUTHENTICATED",
                {"authenticationError": "DEVELOPER_TOKEN_INVALID"},
            ),
            ErrorKind.FATAL,
            None,
        ),
        (
            failure(
                403,
                "PERMISSION_DENIED",
                {"authorizationError": "USER_PERMISSION_DENIED"},
            ),
            ErrorKind.FATAL,
            None,
        ),
        (
            failure(400, "INVALID_ARGUMENT", {"requestError": "EXPIRED_PAGE_TOKEN"}),
            ErrorKind.RESTART_SLICE,
            None,
        ),
        (
            failure(400, "INVALID_ARGUMENT", {"queryError": "UNEXPECTED_END_OF_QUERY"}),
            ErrorKind.FATAL,
            None,
        ),
    ],
)
def test_the_error_table_reads_each_failure(response, kind, wait):
    verdict = errors.classify(response, mapping.DROPPABLE)
    assert verdict is not None
    assert (verdict.kind, verdict.wait_seconds) == (kind, wait)
    assert "HTTP" in verdict.reason


def test_a_rejected_field_is_dropped_only_when_the_report_can_lose_it():
    refused = failure(
        400,
        "INVALID_ARGUMENT",
        {"queryError": "UNRECOGNIZED_FIELD"},
        trigger={"stringValue": "metrics.conversions_value"},
    )
    verdict = errors.classify(refused, mapping.DROPPABLE)
    assert verdict is not None
    assert (verdict.kind, verdict.field) == (
        ErrorKind.DROP_FIELD,
        "metrics.conversions_value",
    )
    key_field = failure(
        400,
        "INVALID_ARGUMENT",
        {"queryError": "UNRECOGNIZED_FIELD"},
        message="Unrecognized field in the query: 'segments.date'.",
    )
    verdict = errors.classify(key_field, mapping.DROPPABLE)
    assert verdict is not None
    assert verdict.kind is ErrorKind.FATAL
    assert errors.classify(httpx.Response(200, json=[]), mapping.DROPPABLE) is None


def test_google_sends_no_usage_headers_and_the_connector_says_so():
    settings, secrets = sandbox_connection("http://127.0.0.1:1")
    connector = google_ads.connector(settings, secrets)
    answer = httpx.Response(200, headers={"x-business-use-case-usage": "{}"})
    assert connector.usage(answer) is None
    assert errors.USAGE_HEADERS == {}


# Syncs from the sandbox -----------------------------------------------------------


@pytest.mark.parametrize(("request_kind", "days"), [("stream", 90), ("search", 21)])
def test_a_sync_reproduces_the_sandbox_totals_to_the_micro(
    warehouse, paged, request_kind, days
):
    outcome = paged.sync(warehouse, request_kind, backfill_days=days)
    assert outcome.run.status == "finished", outcome.run.message
    first = LAST_DAY - timedelta(days=days - 1)
    for customer in (US, KR):
        seeded = paged.world.totals(customer, first, LAST_DAY)
        money, impressions, conversions, revenue, _ = spend(
            warehouse, "campaign", customer
        )
        assert money == Decimal(seeded["cost_micros"]) / 1_000_000  # type: ignore[arg-type]
        assert impressions == seeded["impressions"]
        assert conversions == seeded["conversions"]
        assert revenue == seeded["conversions_value"]
    accounts = warehouse.rows(
        "SELECT DISTINCT account_id, currency FROM facts ORDER BY account_id"
    )
    assert accounts == [(US, "USD"), (KR, "KRW")]


def test_a_known_day_maps_exactly_cents_from_micros(warehouse, sandbox):
    sandbox.sync(warehouse, since=date(2024, 6, 3))
    cells = [
        c
        for c in sandbox.world.days(US, date(2024, 6, 3), date(2024, 6, 3))
        if c.ad.ad_group.campaign.id == "20331002"
    ]
    micros = sum(c.cost_micros for c in cells)
    stored = warehouse.rows(
        "SELECT sum(spend), sum(clicks) FROM facts WHERE grain LIKE '%:campaign:%' "
        "AND campaign_id = '20331002' AND date = DATE '2024-06-03'"
    )[0]
    assert stored == (Decimal(micros) / 1_000_000, sum(c.clicks for c in cells))
    # The demo's export of the same campaign-day says the same, in cents.
    from adreport.demo import world as demo

    [day] = [
        r
        for r in demo.simulate(LAST_DAY, 7)
        if r.campaign.campaign_id == "20331002" and r.day == date(2024, 6, 3)
    ]
    assert stored[0] == day.spend


def test_ad_rows_leave_out_performance_max_as_google_does(warehouse, sandbox):
    sandbox.sync(warehouse, backfill_days=7)
    by_level = warehouse.rows(
        "SELECT split_part(grain, ':', 2), count(DISTINCT campaign_id) FROM facts "
        "WHERE account_id = ? GROUP BY 1 ORDER BY 1",
        [US],
    )
    assert by_level == [("ad", 4), ("ad_group", 4), ("campaign", 5)]


# Faults (FAULTS.md K8, K9, K10, K2) ----------------------------------------------


def test_k8_a_named_retry_delay_is_honoured(warehouse, sandbox):
    sandbox.faults("rate-limit=2,quota")
    outcome = sandbox.sync(warehouse, backfill_days=7)
    assert outcome.run.status == "finished"
    assert sandbox.clock.sleeps.count(3.0) == 2  # retryDelay "3s", twice
    assert 30.0 in sandbox.clock.sleeps  # quota's retryDelay "30s"
    seeded = sandbox.world.totals(US, date(2024, 6, 3), LAST_DAY)
    assert spend(warehouse, "campaign", US)[1] == seeded["impressions"]


def test_k8_rate_limits_without_a_wait_back_off_capped_and_jittered(warehouse, sandbox):
    sandbox.faults("rate-limit-no-wait=3")
    outcome = sandbox.sync(warehouse, backfill_days=7)
    assert outcome.run.status == "finished"
    waits = sandbox.clock.sleeps
    assert len(waits) == 3
    assert all(0 < w <= 60 for w in waits)
    assert len(set(waits)) == 3  # jittered


def test_k8_server_errors_are_retried(warehouse, sandbox):
    sandbox.faults("server-error=2")
    outcome = sandbox.sync(warehouse, backfill_days=7)
    assert outcome.run.status == "finished"
    assert outcome.session.counters.retries == 2
    assert spend(warehouse, "ad", KR)[4] > 0


def test_k9_an_expired_access_token_is_refreshed_once(warehouse, sandbox):
    sandbox.faults("token-expiry")
    outcome = sandbox.sync(warehouse, backfill_days=7)
    assert outcome.run.status == "finished"
    assert outcome.session.counters.refreshes == 1
    assert sandbox.requests()["token"] == 2  # the first grant, then one refresh
    seeded = sandbox.world.totals(KR, date(2024, 6, 3), LAST_DAY)
    assert spend(warehouse, "campaign", KR)[1] == seeded["impressions"]


def test_k9_a_revoked_grant_asks_for_reauthorisation_once(warehouse, sandbox):
    sandbox.faults("revoked")
    outcome = sandbox.sync(warehouse, backfill_days=7)
    assert outcome.run.status == "re-authorisation needed"
    assert "adreport connect" in outcome.run.message
    assert sandbox.requests() == {"token": 1, "total": 1}
    assert warehouse.rows("SELECT count(*) FROM facts")[0][0] == 0


def test_k9_an_expired_page_token_restarts_the_slice_without_doubling(warehouse, paged):
    sandbox = paged
    sandbox.faults("expire-page-token")
    outcome = sandbox.sync(warehouse, "search", backfill_days=7)
    assert outcome.run.status == "finished"
    assert any("fetched again" in w for w in outcome.run.warnings)
    seeded = sandbox.world.totals(US, date(2024, 6, 3), LAST_DAY)
    money = spend(warehouse, "campaign", US)[0]
    assert money == Decimal(seeded["cost_micros"]) / 1_000_000  # type: ignore[arg-type]


def test_k9_an_empty_page_with_a_next_token_stops_with_one_warning(warehouse, paged):
    paged.faults("empty-page-next")
    outcome = paged.sync(warehouse, "search", backfill_days=7)
    assert outcome.run.status == "finished"
    stops = [w for w in outcome.run.warnings if "empty page" in w]
    assert len(stops) == 1
    assert "empty page followed" not in paged.requests()  # its next page: not asked
    # One slice (campaign rows of one customer) came back empty; the rest loaded.
    empty = [c for c in (US, KR) if spend(warehouse, "campaign", c)[4] == 0]
    assert len(empty) == 1
    assert spend(warehouse, "ad", empty[0])[4] > 0


def test_k10_a_dropped_field_is_recorded_and_the_rest_loads(warehouse, sandbox):
    sandbox.faults("bad-field")
    outcome = sandbox.sync(warehouse, backfill_days=7)
    assert outcome.run.status == "finished"
    drift = warehouse.rows("SELECT DISTINCT field FROM sync_drift")
    assert drift == [("metrics.conversions_value",)]
    counts = warehouse.rows(
        "SELECT count(*), count(spend), count(conversions), count(revenue) FROM facts"
    )[0]
    assert counts[0] == counts[1] == counts[2] > 0
    assert counts[3] < counts[0]  # value is unknown (NULL, not 0) after the drift


def test_k2_a_restated_day_changes_that_day_only(warehouse, sandbox):
    sandbox.sync(warehouse, backfill_days=14)
    before = {
        d: spend(warehouse, "campaign", US, d)
        for d in (date(2024, 6, 4), date(2024, 6, 5))
    }
    httpx.post(
        f"{sandbox.url}/__sandbox/restate",
        json={"account_id": US, "date": "2024-06-05"},
    ).raise_for_status()
    sandbox.clock.advance(3600)
    sandbox.sync(warehouse, backfill_days=14)
    after = {d: spend(warehouse, "campaign", US, d) for d in before}
    assert after[date(2024, 6, 4)] == before[date(2024, 6, 4)]
    assert after[date(2024, 6, 5)][2] > before[date(2024, 6, 5)][2]  # conversions
    assert after[date(2024, 6, 5)][0] < before[date(2024, 6, 5)][0]  # settled spend
    kept = warehouse.rows(
        "SELECT DISTINCT date FROM fact_history WHERE account_id = ?", [US]
    )
    assert kept == [(date(2024, 6, 5),)]


def test_k9_a_token_expiring_at_3600_is_refreshed_before_a_call_at_3605(sandbox):
    from adreport.sources.engine import SyncSession

    settings, secrets = sandbox_connection(sandbox.url)
    connector = google_ads.connector(settings, secrets)

    async def calls() -> tuple[int, int]:
        async with httpx.AsyncClient() as http:
            session = SyncSession(connector, http, sandbox.clock)
            await connector.accounts(session)  # t = 0: the first token
            sandbox.clock.advance(3590)
            await connector.accounts(session)
            after_3590 = sandbox.requests()["token"]
            sandbox.clock.advance(15)
            await connector.accounts(session)  # t = 3605
            return after_3590, session.counters.errors

    after_3590, errors_seen = asyncio.run(calls())
    assert after_3590 == 2  # refreshed a minute before expiry, so before 3605
    assert sandbox.requests()["token"] == 2
    assert errors_seen == 0  # no call was ever refused as expired
