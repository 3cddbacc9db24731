"""Each standard fault of the Meta sandbox, handled as FAULTS.md K8-K10 say."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from adreport.sources.base import ErrorKind, FactRecord, Slice, SyncError
from adreport.sources.engine import FakeClock, SyncSession
from adreport.sources.meta import MetaConnector
from tests.sources.test_meta_support import (
    KRW,
    LAST_DAY,
    pull_all,
    running_sandbox,
    session_for,
)

WEEK = Slice(KRW, "ad", LAST_DAY - timedelta(days=6), LAST_DAY)
AD_ROWS = 7 * 12


def _pull(
    meta: MetaConnector, part: Slice = WEEK
) -> tuple[list[FactRecord], SyncSession]:
    async def run() -> tuple[list[FactRecord], SyncSession]:
        async with session_for(meta) as session:
            return await pull_all(meta, session, part), session

    return asyncio.run(run())


def _sleeps(session: SyncSession) -> list[float]:
    clock = session.clock
    assert isinstance(clock, FakeClock)
    return clock.sleeps


def test_quota_code_17_waits_twelve_minutes_and_keeps_earlier_rows() -> None:
    with running_sandbox() as meta:
        connector = meta.connector("ad")
        connector.page_size = 30

        async def run() -> tuple[list[FactRecord], SyncSession]:
            records: list[FactRecord] = []
            async with session_for(connector) as session:
                async for page in connector.pull(session, WEEK):
                    if not records:
                        meta.sandbox.plan.replace("quota")
                        quota_at = session.clock.now()
                    records.extend(page.records)
                sent_after = session.clock.now() - quota_at
            assert sent_after >= timedelta(minutes=12)
            return records, session

        records, session = asyncio.run(run())
        assert 720.0 in _sleeps(session)
        assert len({(r.ad_id, r.date) for r in records}) == len(records) == AD_ROWS


def test_usage_at_95_percent_slows_before_any_error() -> None:
    with running_sandbox("usage-high=3") as meta:
        connector = meta.connector("ad")
        connector.page_size = 20
        records, session = _pull(connector)
        assert session.counters.errors == 0
        assert session.counters.waits >= 1
        assert min(_sleeps(session)) > 0
        assert len(records) == AD_ROWS


@pytest.mark.parametrize(
    ("fault", "wait"),
    [("rate-limit", 2.0), ("rate-limit-no-wait", None), ("server-error", None)],
)
def test_limits_and_server_errors_are_waited_out(
    fault: str, wait: float | None
) -> None:
    with running_sandbox(fault) as meta:
        records, session = _pull(meta.connector("ad"))
        assert len(records) == AD_ROWS
        assert session.counters.errors == 1
        if wait is not None:
            assert wait in _sleeps(session)
        else:  # no wait named: a jittered backoff, capped
            assert 0 < sum(_sleeps(session)) <= 120


def test_an_expired_cursor_reads_the_slice_again_without_doubling() -> None:
    with running_sandbox("expire-page-token") as meta:
        connector = meta.connector("ad")
        connector.page_size = 25
        records, session = _pull(connector)
        assert len({(r.ad_id, r.date) for r in records}) == len(records) == AD_ROWS
        assert any("read again" in w for w in session.notes.warnings)


def test_an_empty_page_with_next_stops_with_one_warning() -> None:
    with running_sandbox("empty-page-next") as meta:
        before = meta.sandbox.control.requests["insights"]
        records, session = _pull(meta.connector("account"), _one_day("account"))
        assert records == []
        assert meta.sandbox.control.requests["insights"] - before <= 2
        assert len(session.notes.warnings) == 1


def test_an_expired_token_is_exchanged_once_and_the_pull_goes_on() -> None:
    with running_sandbox("token-expiry") as meta:
        connector = meta.connector("ad")
        records, session = _pull(connector)
        assert len(records) == AD_ROWS
        assert connector.auth.exchanges == 1
        assert connector.auth.token_changed
        assert session.counters.refreshes == 1


def test_a_token_is_exchanged_a_day_before_it_lapses() -> None:
    with running_sandbox() as meta:
        connector = meta.connector("account")

        async def run() -> list[int]:
            exchanges = []
            async with session_for(connector) as session:
                clock = session.clock
                assert isinstance(clock, FakeClock)
                await pull_all(connector, session, _one_day("account"))
                connector.auth.expires_at = clock.now() + timedelta(days=2)
                await pull_all(connector, session, _one_day("account"))
                exchanges.append(connector.auth.exchanges)
                clock.advance(timedelta(days=1, seconds=1).total_seconds())
                await pull_all(connector, session, _one_day("account"))
                exchanges.append(connector.auth.exchanges)
            return exchanges

        assert asyncio.run(run()) == [0, 1]


def test_a_revoked_token_means_reauthorise_and_no_loop() -> None:
    with running_sandbox("revoked") as meta:
        with pytest.raises(SyncError) as raised:
            _pull(meta.connector("ad"))
        assert raised.value.kind is ErrorKind.REAUTHORISE
        assert meta.sandbox.control.requests["token"] <= 1


def test_a_refused_field_is_dropped_with_a_drift_record() -> None:
    with running_sandbox("bad-field") as meta:
        connector = meta.connector("ad")
        records, session = _pull(connector)
        assert [d.field for d in session.notes.drift] == ["inline_post_engagement"]
        assert len(records) == AD_ROWS
        assert all(r.engagements is None for r in records)
        assert all(r.spend is not None and r.impressions for r in records)
        again, _ = _pull(connector)  # the dropped field stays dropped
        assert len(again) == AD_ROWS


def _one_day(level: str, day: date = LAST_DAY) -> Slice:
    return Slice(KRW, level, day, day)
