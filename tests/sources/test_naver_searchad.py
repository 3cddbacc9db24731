"""Naver Search Ad: signatures, the stats pull, faults, and a sync into a warehouse.

Everything runs against the Naver sandbox over real HTTP on loopback, through the
engine's real session and writer.
"""

from __future__ import annotations

import asyncio
import logging
import time
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from adreport.sources.engine import FakeClock
from adreport.sources.engine.run import Source, SyncOptions, SyncOutcome, sync_source
from adreport.sources.naver_searchad import connector
from adreport.sources.naver_searchad.connector import DAYS_PER_SLICE
from adreport.sources.naver_searchad.sandbox import (
    FAULTS,
    OWN_FAULTS,
    build_app,
    sandbox_connection,
)
from adreport.sources.naver_searchad.signing import NaverSignature, signature
from adreport.sources.naver_searchad.world import LICENCES, MANAGER_KEY, Customer
from adreport.sources.sandbox import FaultPlan, Served, serve
from adreport.warehouse import Warehouse

SECRET = LICENCES[MANAGER_KEY][0]
DAYS = 28  # two slices per customer keep each sync short


@pytest.fixture
def naver() -> Iterator[tuple[Served, object]]:
    # The engine's days end at yesterday by its clock (UTC); the sandbox's too.
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    app = build_app(
        FaultPlan.parse("", known=FAULTS | OWN_FAULTS), days=DAYS, last_day=yesterday
    )
    with serve(app) as served:
        yield served, app


def world_of(app: object) -> dict[str, Customer]:
    return app.state.sandbox.world  # type: ignore[attr-defined, no-any-return]


def sync(
    served: Served, warehouse: Warehouse, faults: str = ""
) -> tuple[SyncOutcome, FakeClock]:
    httpx.post(f"{served.url}/__sandbox/faults", json={"spec": faults})
    settings, secrets = sandbox_connection(served.url)
    # 03:00 UTC: the same calendar day in Seoul, so the sandbox's days (counted
    # from UTC yesterday) and the account's own yesterday agree.
    clock = FakeClock(start=datetime.now(UTC).replace(hour=3, minute=0))
    source = Source("naver", "naver-searchad", settings, secrets)
    outcome = asyncio.run(
        sync_source(warehouse, source, SyncOptions(backfill_days=DAYS), clock=clock)
    )
    return outcome, clock


def signed_get(
    url: str, path: str, secret: str, stamp: int | None = None
) -> httpx.Response:
    stamp = stamp or int(time.time() * 1000)
    headers = {
        "X-Timestamp": str(stamp),
        "X-API-KEY": MANAGER_KEY,
        "X-Customer": "1234567",
        "X-Signature": signature(secret, str(stamp), "GET", path),
    }
    return httpx.get(f"{url}{path}", headers=headers)


def test_the_sandbox_checks_signatures_as_the_platform_does(naver):
    served, _ = naver
    good = signed_get(served.url, "/ncc/campaigns", SECRET)
    assert good.status_code == 200
    assert [c["name"] for c in good.json()][:2] == ["봄맞이 세일", "브랜드 검색"]

    wrong = signed_get(served.url, "/ncc/campaigns", "not-the-secret")
    assert wrong.status_code == 403
    assert wrong.json()["detail"] == "Invalid signature"

    stale = signed_get(
        served.url, "/ncc/campaigns", SECRET, int(time.time() * 1000) - 600_000
    )
    assert stale.status_code == 403
    assert "timestamp" in stale.json()["detail"].lower()

    other = httpx.get(
        f"{served.url}/ncc/campaigns",
        headers={"X-API-KEY": "unknown", "X-Customer": "1"},
    )
    assert other.status_code == 401


def test_signature_is_base64_hmac_of_timestamp_method_and_path():
    # HMAC-SHA256 of "1700000000000.GET./ncc/campaigns" under "secret", in base64
    import base64
    import hashlib
    import hmac

    digest = hmac.new(b"secret", b"1700000000000.GET./ncc/campaigns", hashlib.sha256)
    expected = base64.b64encode(digest.digest()).decode()
    assert signature("secret", "1700000000000", "get", "/ncc/campaigns") == expected
    assert "secret" not in repr(NaverSignature("key", "secret"))


def test_a_sync_equals_the_seeded_totals_in_krw(naver, warehouse):
    served, app = naver
    outcome, _ = sync(served, warehouse)
    assert outcome.run.status == "finished", outcome.run.message
    requests = httpx.get(f"{served.url}/__sandbox/requests").json()
    assert requests.get("refused", 0) == 0
    for cid, customer in world_of(app).items():
        stats = customer.stats.values()
        stored = warehouse.rows(
            "SELECT count(*), sum(impressions), sum(clicks), sum(spend), "
            "sum(conversions), sum(revenue), min(currency), min(grain) FROM facts "
            "WHERE platform = 'naver-searchad' AND account_id = ?",
            [cid],
        )[0]
        assert stored[0] == len(customer.keywords) * DAYS
        assert stored[1] == sum(s.imp_cnt for s in stats)
        assert stored[2] == sum(s.clk_cnt for s in stats)
        assert stored[3] == Decimal(sum(s.sales_amt for s in stats))
        assert stored[4] == Decimal(sum(s.ccnt for s in stats))
        assert stored[5] == Decimal(sum(s.conv_amt for s in stats))
        assert stored[6] == "KRW"
        assert "keyword" in stored[7]


def test_paging_reaches_every_keyword_in_chunks_of_100(naver, warehouse):
    served, app = naver
    sync(served, warehouse)
    big, small = world_of(app)["1234567"], world_of(app)["2345678"]
    assert len(big.keywords) > 100 >= len(small.keywords)
    slices = -(-DAYS // DAYS_PER_SLICE)
    counts = httpx.get(f"{served.url}/__sandbox/requests").json()
    assert counts["/stats"] == slices * 2 + slices * 1
    keywords = warehouse.rows(
        "SELECT account_id, count(DISTINCT keyword_id) FROM facts GROUP BY 1"
    )
    assert dict(keywords) == {
        "1234567": len(big.keywords),
        "2345678": len(small.keywords),
    }


def test_korean_names_arrive_composed_nfc(naver, warehouse):
    served, app = naver
    sync(served, warehouse)
    customer = world_of(app)["1234567"]
    decomposed = customer.keywords[0]
    assert unicodedata.is_normalized("NFD", decomposed.text)
    stored = dict(
        warehouse.rows(
            "SELECT entity_id, name FROM entities WHERE platform = 'naver-searchad' "
            "AND level = 'keyword'"
        )
    )
    composed = unicodedata.normalize("NFC", decomposed.text)
    assert stored[decomposed.keyword_id] == composed == "노트북 추천"
    for keyword in customer.keywords[1:]:
        assert stored[keyword.keyword_id] == keyword.text
    campaigns = {
        r[0] for r in warehouse.rows("SELECT name FROM campaigns WHERE name <> ''")
    }
    assert {"봄맞이 세일", "여름 휴가 특가"} <= campaigns
    groups = {
        r[0]
        for r in warehouse.rows("SELECT name FROM entities WHERE level = 'ad_group'")
    }
    assert "무선 이어폰" in groups


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ("rate-limit=2", "finished"),
        ("rate-limit-no-wait", "finished"),
        ("server-error=2", "finished"),
        ("clock-skew", "finished"),
        ("bad-signature", "re-authorisation needed"),
    ],
)
def test_each_fault_is_handled(naver, warehouse, fault, status):
    served, app = naver
    outcome, clock = sync(served, warehouse, fault)
    assert outcome.run.status == status, outcome.run.message
    if fault.startswith("rate-limit="):
        assert clock.sleeps.count(1.0) == 2  # Retry-After: 1, honoured twice
    if status == "finished":
        spend = warehouse.rows("SELECT sum(spend) FROM facts")[0][0]
        seeded = sum(
            s.sales_amt for c in world_of(app).values() for s in c.stats.values()
        )
        assert spend == Decimal(seeded)
    else:
        assert "secret key" in outcome.run.message


def test_a_field_the_platform_drops_is_recorded_and_the_rest_loads(naver, warehouse):
    served, app = naver
    outcome, _ = sync(served, warehouse, "bad-field")
    assert outcome.run.status == "finished", outcome.run.message
    drift = warehouse.rows("SELECT field FROM sync_drift")
    assert drift == [("convAmt",)]
    assert "convAmt" not in outcome.connector.fields  # type: ignore[attr-defined]
    clicks = warehouse.rows("SELECT sum(clicks) FROM facts")[0][0]
    seeded = sum(s.clk_cnt for c in world_of(app).values() for s in c.stats.values())
    assert clicks == seeded
    # Revenue is unknown for the rows pulled after the drop, never 0.
    assert warehouse.rows("SELECT count(*) FROM facts WHERE revenue IS NULL")[0][0] > 0


def test_the_secret_key_never_reaches_the_logs(naver, warehouse, caplog):
    served, _ = naver
    caplog.set_level(logging.DEBUG)
    sync(served, warehouse, "server-error,bad-signature")
    assert SECRET not in caplog.text
    settings, secrets = sandbox_connection(served.url)
    assert secrets["secret-key"] not in repr(connector(settings, secrets).auth)


def test_a_restated_day_changes_that_day_only(naver, warehouse):
    served, app = naver
    sync(served, warehouse)
    before = dict(warehouse.rows("SELECT date, sum(spend) FROM facts GROUP BY date"))
    day = sorted(before)[-3]
    answer = httpx.post(
        f"{served.url}/__sandbox/restate",
        json={"account_id": "1234567", "date": day.isoformat()},
    )
    assert answer.status_code == 200
    sync(served, warehouse)
    after = dict(warehouse.rows("SELECT date, sum(spend) FROM facts GROUP BY date"))
    changed = {d for d in before if before[d] != after[d]}
    assert changed == {day}
    customer = world_of(app)["1234567"]
    seeded = sum(s.sales_amt for (k, d), s in customer.stats.items() if d == day)
    stored = warehouse.rows(
        "SELECT sum(spend) FROM facts WHERE account_id = '1234567' AND date = ?", [day]
    )[0][0]
    assert stored == Decimal(seeded)
    assert warehouse.rows("SELECT count(*) FROM fact_history")[0][0] > 0
