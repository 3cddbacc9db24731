"""One sync of one connection: accounts, slices, pulls, commits, the run record.

Every run pulls what changed since the last finished run plus the source's
look-back window (late conversions, settling spend), or the days asked for with
`since` / `backfill_days`. Each slice is committed with its checkpoint; a run
that stops early is resumed by the next one over the same days.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import duckdb
import httpx

from adreport.errors import ConfigurationError
from adreport.sources.base import (
    Account,
    Connector,
    ErrorKind,
    FactRecord,
    Slice,
    SyncError,
)
from adreport.sources.engine.clock import Clock, RealClock
from adreport.sources.engine.runs import (
    FAILED,
    FINISHED,
    REAUTHORISATION_NEEDED,
    Run,
    RunBook,
)
from adreport.sources.engine.session import Policy, SyncSession, current_account
from adreport.sources.engine.writer import SliceRows, provisional_from, write_slice
from adreport.sources.registry import make_connector
from adreport.warehouse.store import ImportCounts, Warehouse

log = logging.getLogger(__name__)

FIRST_SYNC_DAYS = 90
SLICE_RESTARTS = 3
ACCOUNTS_AT_ONCE = 4


@dataclass(frozen=True)
class SyncOptions:
    since: date | None = None
    backfill_days: int | None = None
    first_sync_days: int = FIRST_SYNC_DAYS
    policy: Policy | None = None


@dataclass(frozen=True)
class Source:
    """What a sync needs of a stored connection (secrets already decrypted)."""

    name: str
    platform: str
    settings: dict[str, str]
    secrets: dict[str, str]


class Progress(Protocol):
    def slices(self, total: int) -> None: ...

    def advance(self, rows: int) -> None: ...


class NoProgress:
    def slices(self, total: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass


@dataclass
class SyncOutcome:
    run: Run
    connector: Connector
    session: SyncSession


def lookback_days(connector: Connector, settings: dict[str, str]) -> int:
    """The connection's own look-back window, else the platform's default."""
    given = settings.get("lookback_days", "")
    if not given:
        return int(connector.lookback_days)
    if not given.isdigit():
        raise ConfigurationError(
            f"lookback_days {given!r} is not a whole number of days; "
            "run `adreport connect` again with --lookback-days N"
        )
    return int(given)


def sync_days(
    today: date, last_synced: date | None, options: SyncOptions, lookback: int
) -> tuple[date, date]:
    """The days a run pulls: up to yesterday, from where the options say."""
    last = today - timedelta(days=1)
    if options.since is not None:
        first = options.since
    elif options.backfill_days is not None:
        first = last - timedelta(days=max(options.backfill_days, 1) - 1)
    elif last_synced is not None:
        window_start = last - timedelta(days=lookback - 1)
        first = min(last_synced + timedelta(days=1), window_start)
    else:
        first = last - timedelta(days=options.first_sync_days - 1)
    if first > last:
        raise ConfigurationError(f"--since {first} is after yesterday ({last})")
    return first, last


async def sync_source(
    warehouse: Warehouse,
    source: Source,
    options: SyncOptions | None = None,
    clock: Clock | None = None,
    progress: Progress | None = None,
    connector: Connector | None = None,
) -> SyncOutcome:
    """Sync one connection; its run says how it went (a SyncError is not raised)."""
    options = options or SyncOptions()
    clock = clock or RealClock()
    progress = progress or NoProgress()
    book = RunBook(warehouse)
    connector = connector or make_connector(
        source.platform, source.settings, source.secrets
    )
    lookback = lookback_days(connector, source.settings)
    today = clock.now().date()
    days = sync_days(today, book.last_synced_day(source.name), options, lookback)
    run = book.start(source.name, source.platform, days, lookback)
    async with httpx.AsyncClient(timeout=httpx.Timeout(120.0)) as http:
        session = SyncSession(connector, http, clock, options.policy)
        try:
            await _pull_all(warehouse, book, run, connector, session, progress)
            run.status = FINISHED
        except SyncError as exc:
            reauthorise = exc.kind is ErrorKind.REAUTHORISE
            run.status = REAUTHORISATION_NEEDED if reauthorise else FAILED
            run.message = str(exc)
            log.warning("sync of %s stopped: %s", source.name, exc)
        except Exception as exc:
            run.status, run.message = FAILED, f"{type(exc).__name__}: {exc}"
            _close(book, run, session)
            raise
        _close(book, run, session)
    return SyncOutcome(run, connector, session)


def _close(book: RunBook, run: Run, session: SyncSession) -> None:
    run.warnings = session.notes.warnings
    book.record_drift(book.warehouse.con, run, session.notes.drift)
    book.finish(run, session.counters)


async def _pull_all(
    warehouse: Warehouse,
    book: RunBook,
    run: Run,
    connector: Connector,
    session: SyncSession,
    progress: Progress,
) -> None:
    accounts = await connector.accounts(session)
    plans = [(a, _slices(connector, a, run, session.now)) for a in accounts]
    total = sum(len(parts) for _, parts in plans)
    book.set_total(run, total)
    progress.slices(total)
    gate = asyncio.Semaphore(ACCOUNTS_AT_ONCE)
    # One writer thread: slices commit one at a time while other pages arrive.
    writing = ThreadPoolExecutor(1, thread_name_prefix="sync-writer")

    async def one_account(account: Account, parts: Sequence[Slice]) -> None:
        async with gate:
            current_account.set(account.account_id)
            for part in parts:
                if part.key in run.done:
                    progress.advance(0)
                    continue
                rows = await _pull_slice(
                    warehouse, book, run, connector, session, part, writing
                )
                progress.advance(rows)

    try:
        await _first_error([one_account(account, parts) for account, parts in plans])
    finally:
        # A stopped account leaves its commit running: let it end before the
        # run record is written on the same connection.
        writing.shutdown(wait=True)


async def _first_error(jobs: list[object]) -> None:
    """Run the accounts side by side; the first SyncError stops them all."""
    try:
        async with asyncio.TaskGroup() as group:
            for job in jobs:
                group.create_task(job)  # type: ignore[arg-type]
    except BaseExceptionGroup as failed:
        for exc in failed.exceptions:
            if isinstance(exc, SyncError):
                raise exc from None
        raise


def _slices(
    connector: Connector, account: Account, run: Run, now: datetime
) -> Sequence[Slice]:
    """The account's slices, ending yesterday in its own time zone (K3).

    The run's days are counted in UTC; an account ahead of UTC (Seoul at 16:00
    UTC) has finished one more day, one behind it has not finished the last one,
    and starts a day earlier so that it still gets as many days.
    """
    yesterday = _account_today(account, now) - timedelta(days=1)
    behind = min(yesterday - run.last_day, timedelta(0))
    last = yesterday
    first = min(run.first_day + behind, last)
    return connector.slices(account, first, last)


def _account_today(account: Account, now: datetime) -> date:
    try:
        return now.astimezone(ZoneInfo(account.timezone)).date()
    except (KeyError, ValueError):
        return now.date()


async def _pull_slice(
    warehouse: Warehouse,
    book: RunBook,
    run: Run,
    connector: Connector,
    session: SyncSession,
    part: Slice,
    writing: ThreadPoolExecutor,
) -> int:
    """Fetch one slice whole (again, if its page token expires), then commit it.

    The commit runs in the writer thread, so other accounts' pages keep arriving
    while DuckDB merges.
    """
    records, rejected = await _fetch(connector, session, part)
    today = _account_today(part.account, session.now)
    rows = SliceRows(
        platform=connector.platform,
        connection=run.connection,
        part=part,
        records=records,
        fetched_at=session.now.replace(tzinfo=None),
        first_provisional_day=provisional_from(today, run.lookback_days),
    )
    for _, reason in rejected[:5]:
        session.warn(f"{part.key}: a record was refused: {reason}")

    def checkpoint(
        con: duckdb.DuckDBPyConnection, import_id: int, counts: ImportCounts
    ) -> None:
        run.totals.add_slice(len(records), len(rejected), counts)
        book.checkpoint(con, run, part.key, import_id, len(records), session.counters)
        book.record_drift(con, run, session.notes.drift)

    import_row: dict[str, object] = {"rows_rejected": len(rejected)}
    await asyncio.get_running_loop().run_in_executor(
        writing, write_slice, warehouse, rows, import_row, checkpoint
    )
    return len(records)


async def _fetch(
    connector: Connector, session: SyncSession, part: Slice
) -> tuple[list[FactRecord], list[tuple[object, str]]]:
    for attempt in range(SLICE_RESTARTS + 1):
        records: list[FactRecord] = []
        rejected: list[tuple[object, str]] = []
        try:
            async for page in connector.pull(session, part):
                records.extend(page.records)
                rejected.extend(page.rejected)
            return records, rejected
        except SyncError as exc:
            if exc.kind is not ErrorKind.RESTART_SLICE or attempt == SLICE_RESTARTS:
                raise
            session.warn(f"{part.key}: fetched again from its first page: {exc}")
    raise AssertionError("unreachable")
