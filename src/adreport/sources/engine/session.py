"""The one HTTP session every connector sends through (FAULTS.md K8, K9).

It authorises each request, slows down when the platform's usage headers run
high, classifies every failed answer with the connector's own table, and then
retries with capped, jittered backoff, waits as long as the platform says, refreshes
an expired access token once, or raises `SyncError` for what waiting cannot fix.
It counts what it did, so each run can be recorded.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from adreport.sources.base import (
    Classified,
    Connector,
    ErrorKind,
    SyncError,
    Usage,
)
from adreport.sources.engine.clock import Clock, RealClock

log = logging.getLogger(__name__)


class WithoutQuery(logging.Filter):
    """httpx logs each request's full URL at INFO; a query may hold a token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.copy_with(query=None) if isinstance(arg, httpx.URL) else arg
                for arg in record.args
            )
        return True


logging.getLogger("httpx").addFilter(WithoutQuery())

# The account whose slice is being pulled; requests are limited per account.
current_account: ContextVar[str] = ContextVar("current_account", default="")


@dataclass(frozen=True)
class Policy:
    """How patient the engine is. Defaults suit the platforms' documented limits."""

    max_retries: int = 5  # transient failures of one request before giving up
    max_quota_waits: int = 4  # quota waits for one request before giving up
    backoff_base: float = 1.0  # seconds; doubled per attempt, then jittered
    backoff_cap: float = 60.0
    longest_wait: float = 3600.0  # a named wait longer than this is refused
    slow_from: float = 0.75  # usage share at which requests start to be spaced
    slowest_delay: float = 5.0  # seconds between requests just under 100 % use
    exhausted_wait: float = 60.0  # at 100 % use when no reset time is named
    per_account: int = 2  # requests in flight per account


@dataclass
class Counters:
    requests: int = 0
    retries: int = 0
    waits: int = 0
    waited_seconds: float = 0.0
    errors: int = 0
    refreshes: int = 0


@dataclass(frozen=True)
class Drift:
    field: str
    reason: str
    seen_at: datetime


@dataclass
class Notes:
    """What a run should remember besides its counts: warnings and drift."""

    warnings: list[str] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class SyncSession:
    """The engine's `Session` for one connection (see `adreport.sources.base`)."""

    def __init__(
        self,
        connector: Connector,
        http: httpx.AsyncClient,
        clock: Clock | None = None,
        policy: Policy | None = None,
        rng: random.Random | None = None,
        on_warning: Callable[[str], None] | None = None,
    ):
        self.connector = connector
        self.http = http
        self.clock: Clock = clock or RealClock()
        self.policy = policy or Policy()
        self.rng = rng or random.Random()  # noqa: S311 (jitter, not secrecy)
        self.counters = Counters()
        self.notes = Notes()
        self.on_warning = on_warning
        self._limits: dict[str, asyncio.Semaphore] = {}
        self._usage: dict[str, tuple[Usage, datetime]] = {}
        use_clock = getattr(connector.auth, "use_clock", None)
        if callable(use_clock):
            use_clock(self.clock)

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def warn(self, message: str) -> None:
        log.warning("%s: %s", self.connector.platform, message)
        self.notes.warnings.append(message)
        if self.on_warning is not None:
            self.on_warning(message)

    def drift(self, field: str, reason: str) -> None:
        if any(seen.field == field for seen in self.notes.drift):
            return  # one record per field and run, however many requests named it
        log.warning("%s dropped field %s: %s", self.connector.platform, field, reason)
        self.notes.drift.append(Drift(field, reason, self.now))

    async def send(self, request: httpx.Request) -> httpx.Response:
        account = current_account.get()
        limit = self._limits.setdefault(
            account, asyncio.Semaphore(self.policy.per_account)
        )
        async with limit:
            return await self._send(request, account)

    async def _send(self, request: httpx.Request, account: str) -> httpx.Response:
        attempts = Attempts()
        while True:
            await self._throttle(account)
            try:
                response = await self._exchange(request, account)
                verdict = self.connector.classify(response)
            except SyncError as exc:
                verdict = Classified(exc.kind, str(exc))
                response = None
            if verdict is None and response is not None:
                return response
            assert verdict is not None
            self._note_failure(request, response, verdict)
            await self._recover(verdict, attempts, request)

    async def _exchange(self, request: httpx.Request, account: str) -> httpx.Response:
        """One authorised request and its answer; a dropped connection is RETRY."""
        await self.connector.auth.prepare(request, self.http)
        self.counters.requests += 1
        try:
            response = await self.http.send(request)
            await response.aread()
        except httpx.TransportError as exc:
            raise SyncError(
                ErrorKind.RETRY, f"{where(request)} unreachable: {type(exc).__name__}"
            ) from exc
        usage = self.connector.usage(response)
        if usage is not None:
            self._usage[account] = (usage, self.now)
        return response

    def _note_failure(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        verdict: Classified,
    ) -> None:
        self.counters.errors += 1
        status = f"HTTP {response.status_code}" if response is not None else "no answer"
        log.info(
            "%s %s: %s (%s): %s",
            self.connector.platform,
            where(request),
            status,
            verdict.kind.value,
            verdict.reason,
        )

    async def _recover(
        self, verdict: Classified, attempts: Attempts, request: httpx.Request
    ) -> None:
        """Wait, refresh or give up, as the verdict says; returns to send again."""
        kind = verdict.kind
        if kind is ErrorKind.RETRY:
            attempts.retries += 1
            if attempts.retries > self.policy.max_retries:
                raise SyncError(kind, f"{where(request)}: gave up: {verdict.reason}")
            self.counters.retries += 1
            await self._wait(verdict.wait_seconds or self._backoff(attempts.retries))
        elif kind is ErrorKind.WAIT_FOR_QUOTA:
            attempts.quota_waits += 1
            if attempts.quota_waits > self.policy.max_quota_waits:
                raise SyncError(kind, f"{where(request)}: quota: {verdict.reason}")
            await self._wait(self._quota_wait(verdict, attempts))
        elif kind is ErrorKind.ACCESS_EXPIRED and not attempts.refreshed:
            attempts.refreshed = True
            self.counters.refreshes += 1
            await self.connector.auth.expired(self.http)
        elif kind is ErrorKind.ACCESS_EXPIRED:
            raise SyncError(
                ErrorKind.REAUTHORISE,
                f"a freshly refreshed access token was refused: {verdict.reason}",
            )
        elif kind is ErrorKind.DROP_FIELD:
            if verdict.field:
                self.drift(verdict.field, verdict.reason)
            raise SyncError(kind, verdict.reason, field=verdict.field)
        else:
            self.notes.errors.append(verdict.reason)
            raise SyncError(kind, verdict.reason)

    def _quota_wait(self, verdict: Classified, attempts: Attempts) -> float:
        account = current_account.get()
        named = verdict.wait_seconds
        seen = self._usage.get(account)
        if named is None and seen is not None and seen[0].resets_in is not None:
            named = seen[0].resets_in
        if named is None:
            return self._backoff(attempts.quota_waits + 2)
        if named > self.policy.longest_wait:
            raise SyncError(
                ErrorKind.WAIT_FOR_QUOTA,
                f"the platform asks to wait {named:.0f} s, longer than "
                f"{self.policy.longest_wait:.0f} s: sync again later",
            )
        return named

    def _backoff(self, attempt: int) -> float:
        """Full jitter: a random wait up to base * 2^attempt, capped."""
        ceiling = min(self.policy.backoff_cap, self.policy.backoff_base * 2**attempt)
        return self.rng.uniform(ceiling / 2, ceiling)

    async def _throttle(self, account: str) -> None:
        """Space requests out as usage nears the quota, before any error comes."""
        seen = self._usage.get(account)
        if seen is None:
            return
        usage, seen_at = seen
        if usage.used >= 1.0:
            since = (self.now - seen_at).total_seconds()
            remaining = (usage.resets_in or self.policy.exhausted_wait) - since
            if remaining > 0:
                log.info("usage %.0f %%: wait %.0f s", usage.used * 100, remaining)
                await self._wait(remaining)
            self._usage.pop(account, None)
        elif usage.used >= self.policy.slow_from:
            share = (usage.used - self.policy.slow_from) / (1 - self.policy.slow_from)
            await self._wait(self.policy.slowest_delay * max(share, 0.05) ** 2)

    async def _wait(self, seconds: float) -> None:
        self.counters.waits += 1
        self.counters.waited_seconds += seconds
        await self.clock.sleep(seconds)


@dataclass
class Attempts:
    """What has been tried for one request so far."""

    retries: int = 0
    quota_waits: int = 0
    refreshed: bool = False


def where(request: httpx.Request) -> str:
    """Method and path only: query strings may carry tokens."""
    return f"{request.method} {request.url.host}{request.url.path}"
