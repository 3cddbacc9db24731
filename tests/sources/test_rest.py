"""The REST/JSON connector against its sandbox: paging styles, auth, faults, config."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from adreport.errors import ConfigurationError
from adreport.sources.engine import FakeClock
from adreport.sources.engine.run import Source, SyncOptions, SyncOutcome, sync_source
from adreport.sources.rest.config import parse
from adreport.sources.rest.sandbox import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    CONFIG,
    FAULTS,
    TOKEN,
    build_app,
)
from adreport.sources.sandbox import FaultPlan, Served, serve
from adreport.warehouse import Warehouse

RECORDS = 3000
BASE = CONFIG.read_text(encoding="utf-8")
PAGING = {
    "cursor": BASE.replace("size = 1000", "size = 700"),
    "page-number": BASE.replace('type = "cursor"', 'type = "page-number"')
    .replace('param = "cursor"', 'param = "page"')
    .replace("size = 1000", "size = 700"),
    "offset": BASE.replace('type = "cursor"', 'type = "offset"')
    .replace('param = "cursor"', 'param = "offset"')
    .replace("size = 1000", "size = 700"),
    "next-link": BASE.replace('type = "cursor"', 'type = "next-link"')
    .replace('cursor_path = "paging.next_cursor"', 'next_path = "links.next"')
    .replace("size = 1000", "size = 700"),
}


@pytest.fixture
def shop() -> Iterator[tuple[Served, object]]:
    app = build_app(FaultPlan.parse("", known=FAULTS), records=RECORDS)
    with serve(app) as served:
        yield served, app


def sync(
    served: Served,
    warehouse: Warehouse,
    config: str = PAGING["cursor"],
    secrets: dict[str, str] | None = None,
    faults: str = "",
) -> tuple[SyncOutcome, FakeClock]:
    httpx.post(f"{served.url}/__sandbox/faults", json={"spec": faults})
    settings = {"config-text": config, "base-url": served.url}
    source = Source("shop", "rest", settings, secrets or {"token": TOKEN})
    clock = FakeClock(start=datetime.now(UTC))
    outcome = asyncio.run(
        sync_source(warehouse, source, SyncOptions(backfill_days=90), clock=clock)
    )
    return outcome, clock


def assert_totals(app: object, warehouse: Warehouse) -> None:
    seeded = app.state.sandbox.totals()  # type: ignore[attr-defined]
    stored = warehouse.rows(
        "SELECT count(*), sum(impressions), sum(clicks), sum(spend), sum(revenue), "
        "min(currency) FROM facts"
    )[0]
    assert stored[0] == seeded["rows"] == RECORDS
    assert stored[1] == seeded["impressions"]
    assert stored[2] == seeded["clicks"]
    assert stored[3] == Decimal(seeded["cost_micros"]) / 1_000_000
    assert stored[4] == Decimal(seeded["value_micros"]) / 1_000_000
    assert stored[5] == "EUR"


@pytest.mark.parametrize("paging", sorted(PAGING))
def test_each_paging_style_reaches_the_end(shop, warehouse, paging):
    served, app = shop
    outcome, _ = sync(served, warehouse, PAGING[paging])
    assert outcome.run.status == "finished", outcome.run.message
    assert_totals(app, warehouse)
    assert outcome.session.notes.warnings == []


@pytest.mark.parametrize(
    ("auth", "secrets"),
    [
        ('type = "api-key"\nheader = "X-API-Key"', {"api-key": API_KEY}),
        (
            f'type = "oauth-client-credentials"\ntoken_url = "{{url}}/oauth/token"\n'
            f'client_id = "{CLIENT_ID}"',
            {"client-secret": CLIENT_SECRET},
        ),
    ],
)
def test_api_key_and_client_credentials(shop, warehouse, auth, secrets):
    served, app = shop
    config = PAGING["cursor"].replace('type = "bearer"', auth.format(url=served.url))
    outcome, _ = sync(served, warehouse, config, secrets)
    assert outcome.run.status == "finished", outcome.run.message
    assert_totals(app, warehouse)


def test_a_wrong_token_needs_reconnecting(shop, warehouse):
    served, _ = shop
    outcome, _ = sync(served, warehouse, secrets={"token": "not-it"})
    assert outcome.run.status == "re-authorisation needed"
    assert "adreport connect rest" in outcome.run.message


@pytest.mark.parametrize(
    "fault", ["rate-limit=2", "rate-limit-no-wait", "server-error"]
)
def test_waits_and_retries_lose_nothing(shop, warehouse, fault):
    served, app = shop
    outcome, clock = sync(served, warehouse, faults=fault)
    assert outcome.run.status == "finished", outcome.run.message
    assert_totals(app, warehouse)
    if fault == "rate-limit=2":
        assert clock.sleeps.count(1.0) == 2  # Retry-After: 1, honoured


def test_usage_headers_slow_the_sync_down(shop, warehouse):
    served, _ = shop
    _, clock = sync(served, warehouse, faults="usage-high")
    assert clock.sleeps
    assert max(clock.sleeps) > 0


def test_an_empty_page_naming_a_next_page_stops_with_one_warning(shop, warehouse):
    served, _ = shop
    outcome, _ = sync(served, warehouse, faults="empty-page-next")
    assert outcome.run.status == "finished"
    assert len(outcome.session.notes.warnings) == 1
    assert "empty page" in outcome.session.notes.warnings[0]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (('type = "cursor"', 'type = "pages"'), ["[paging] type", "'pages'", "cursor"]),
        (('money_scale = "micros"', 'money_scale = "millis"'), ["money_scale"]),
        (('timezone = "Europe/Berlin"', 'timezone = "Berlin"'), ["[source] timezone"]),
        (('campaign_id = "campaign.id"', 'campain_id = "campaign.id"'), ["campain_id"]),
        (('currency = "EUR"', 'currency = "euro"'), ["[source] currency"]),
        (("{until}", "{to}"), ["[request] url", "{until}"]),
    ],
)
def test_config_errors_name_the_key_and_what_to_do(change, words):
    with pytest.raises(ConfigurationError) as found:
        parse(BASE.replace(*change), "shop.toml")
    message = str(found.value)
    assert message.startswith("shop.toml: ")
    for word in words:
        assert word in message
