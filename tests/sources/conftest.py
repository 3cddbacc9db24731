"""A tiny platform on loopback sharing a fake clock with the engine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from adreport.sources.engine import FakeClock
from adreport.sources.sandbox import serve
from tests.sources.tiny import TinyConnector, TinyWorld, build_tiny_app


class Tiny:
    def __init__(self, world: TinyWorld, url: str, clock: FakeClock):
        self.world = world
        self.url = url
        self.clock = clock

    def connector(self, refresh_token: str = "rt-1") -> TinyConnector:
        return TinyConnector(self.url, refresh_token)


@pytest.fixture
def tiny() -> Iterator[Tiny]:
    clock = FakeClock(datetime(2024, 6, 10, 12, 0, tzinfo=UTC))
    world = TinyWorld(clock, last_day=date(2024, 6, 9))
    with serve(build_tiny_app(world)) as served:
        yield Tiny(world, served.url, clock)
