"""Shared ground for the Meta tests: a sandbox on loopback, a connector, a session.

The sandbox's last day is the day before the fake clock's first day, so the
engine's "yesterday" and the sandbox's seeded days agree.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
from starlette.applications import Starlette

from adreport.sources.base import Account, FactRecord, Slice
from adreport.sources.engine import FakeClock, SyncSession
from adreport.sources.meta import MetaConnector, connector
from adreport.sources.meta.sandbox import MetaSandbox, build_app, sandbox_connection
from adreport.sources.sandbox import serve

START = datetime(2024, 6, 10, 9, 0, tzinfo=UTC)
LAST_DAY = date(2024, 6, 9)
KRW = Account("act_1029384756", "한빛아웃도어 KR", "KRW", "Asia/Seoul")
USD = Account("act_2048736519", "Hanbit Outdoor US (Meta)", "USD", "America/New_York")


@dataclass
class Running:
    url: str
    app: Starlette

    @property
    def sandbox(self) -> MetaSandbox:
        found: MetaSandbox = self.app.state.sandbox
        return found

    def connection(self) -> tuple[dict[str, str], dict[str, str]]:
        return sandbox_connection(self.url)

    def connector(self, reports: str = "ad") -> MetaConnector:
        settings, secrets = self.connection()
        return connector({**settings, "reports": reports}, secrets)


@contextmanager
def running_sandbox(faults: str = "") -> Iterator[Running]:
    app = build_app(last_day=LAST_DAY)
    app.state.sandbox.plan.replace(faults)
    with serve(app) as served:
        yield Running(served.url, app)


@asynccontextmanager
async def session_for(meta: MetaConnector) -> AsyncIterator[SyncSession]:
    async with httpx.AsyncClient() as http:
        yield SyncSession(meta, http, clock=FakeClock(START))


async def pull_all(
    meta: MetaConnector, session: SyncSession, part: Slice
) -> list[FactRecord]:
    records: list[FactRecord] = []
    async for page in meta.pull(session, part):
        assert not page.rejected
        records.extend(page.records)
    return records
