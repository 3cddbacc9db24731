"""The engine's sense of time: the real one, and a fake one tests move by hand.

Every wait the engine makes (backoff, quota, throttling) goes through a clock, so
a test can check that a 12-minute quota wait was honoured without waiting.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...  # aware, UTC

    async def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that only moves when slept on or advanced; it records every sleep."""

    def __init__(self, start: datetime | None = None):
        self.start = start or datetime(2024, 6, 10, 9, 0, tzinfo=UTC)
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        self.elapsed += seconds
        await asyncio.sleep(0)


def monotonic_seconds() -> float:
    """Wall time for measuring a run's duration (never for deciding waits)."""
    return time.monotonic()
