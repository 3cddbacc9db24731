"""Pushed events (webhooks in): the receiver, the inbox, the processor.

A sender (a CRM, a shop) posts one event per request to
`POST /api/v1/events/{source}`, signed as `webhook_endpoints` says. The receiver
checks the signature and that `t` is within 300 s of the server's clock before it
parses anything or touches the database (the endpoints' secrets are held in
memory), then writes the event to the inbox in one transaction whose unique key
(workspace, source, event id) turns a resent event into a duplicate, and answers
202 once that transaction is on disk. A background task in the server moves inbox
events into the warehouse in batches (`adreport.sources.push`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import queue
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from adreport.appdata.events import (
    DEAD,
    PROCESSED,
    RECEIVED,
    DeadLetter,
    InboxEvent,
)
from adreport.security.secrets import SecretBox
from adreport.service.runtime import Runtime
from adreport.service.tenancy import Caller, visible
from adreport.service.webhook_endpoints import (
    ENDPOINT_HEADER,
    EndpointKeys,
    Endpoints,
    SignatureError,
    check_signature,
)
from adreport.sources.push import (
    Delivery,
    EventRejectedError,
    event_id_of,
    ingest_events,
    parse_body,
    prepare_warehouse,
    read_event,
)
from adreport.warehouse.store import Warehouse

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024

INBOX = cast(Table, InboxEvent.__table__)
DEAD_LETTERS = cast(Table, DeadLetter.__table__)


# --- the inbox -------------------------------------------------------------------


class Stored:
    """What happened to an event at the inbox."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"  # the same event id was accepted with another body


@dataclass(frozen=True)
class Arrival:
    """A signed request's body, with the endpoint it came through."""

    workspace_id: int
    source: str
    body: bytes
    received_at: datetime

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="backslashreplace")


Work = Callable[[Connection], str]


class GroupCommit:
    """One writer thread that commits the work of many requests in one transaction.

    Each request waits until the transaction holding its row is committed, so an
    acknowledgement is never ahead of the disk; under load one flush to disk
    covers every request that arrived meanwhile. On SQLite the writer's own
    connection runs with `synchronous=FULL`: a commit survives a power cut.
    """

    LARGEST_GROUP = 512

    def __init__(self, engine: Engine):
        self.engine = engine
        self.waiting: queue.Queue[tuple[Work, Future[str]] | None] = queue.Queue()
        self.thread = threading.Thread(
            target=self._run, name="event-inbox", daemon=True
        )

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.waiting.put(None)
        self.thread.join(timeout=30)

    async def run(self, work: Work) -> str:
        done: Future[str] = Future()
        self.waiting.put((work, done))
        return await asyncio.wrap_future(done)

    def _run(self) -> None:
        with self.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA synchronous=FULL")
                connection.commit()
            while True:
                group, stopping = self._next_group()
                if group:
                    self._commit(connection, group)
                if stopping:
                    return

    def _next_group(self) -> tuple[list[tuple[Work, Future[str]]], bool]:
        first = self.waiting.get()
        if first is None:
            return [], True
        group = [first]
        while len(group) < self.LARGEST_GROUP:
            try:
                item = self.waiting.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return group, True
            group.append(item)
        return group, False

    def _commit(
        self, connection: Connection, group: list[tuple[Work, Future[str]]]
    ) -> None:
        """All in one transaction; if that fails, each alone, to find the culprit."""
        try:
            with connection.begin():
                results = [work(connection) for work, _ in group]
        except Exception:
            if len(group) == 1:
                log.exception("event inbox: a write failed")
                group[0][1].set_exception(RuntimeError("the inbox write failed"))
                return
            for item in group:
                self._commit(connection, [item])
            return
        for (_, done), result in zip(group, results, strict=True):
            done.set_result(result)


def _insert_ignoring_duplicates(
    connection: Connection, table: Any, keys: list[str]
) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=keys)


INBOX_INSERT = (
    "INSERT INTO event_inbox (workspace_id, source, event_id, body_sha256, body, "
    "received_at, state) VALUES ({marks}, '" + RECEIVED + "') "
    "ON CONFLICT (workspace_id, source, event_id) DO NOTHING RETURNING id"
)


@dataclass(frozen=True)
class InboxInsert:
    """The inbox's INSERT in the driver's own words: the hot path, built once.

    Sent with `exec_driver_sql`, it costs a fifth of the CPU of the same
    statement through the expression layer, which counts at 1,000 events a second.
    """

    sql: str
    stored_time: Callable[[datetime], Any]

    @classmethod
    def for_dialect(cls, dialect: Any) -> InboxInsert:
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        column_type = INBOX.c.received_at.type.dialect_impl(dialect)
        convert = column_type.bind_processor(dialect) or (lambda moment: moment)
        return cls(INBOX_INSERT.format(marks=", ".join([mark] * 6)), convert)


INBOX_INSERTS: dict[str, InboxInsert] = {}


def store_event(arrival: Arrival, event_id: str) -> Work:
    """The inbox write of one event: accepted, a duplicate, or a conflict."""

    def work(connection: Connection) -> str:
        dialect = connection.dialect
        statement = INBOX_INSERTS.get(dialect.name)
        if statement is None:
            statement = INBOX_INSERTS[dialect.name] = InboxInsert.for_dialect(dialect)
        digest = arrival.sha256
        values = (
            arrival.workspace_id,
            arrival.source,
            event_id,
            digest,
            arrival.text,
            statement.stored_time(arrival.received_at),
        )
        if connection.exec_driver_sql(statement.sql, values).first() is not None:
            return Stored.ACCEPTED
        earlier = connection.execute(
            select(INBOX.c.body_sha256).where(
                INBOX.c.workspace_id == arrival.workspace_id,
                INBOX.c.source == arrival.source,
                INBOX.c.event_id == event_id,
            )
        ).scalar_one()
        return Stored.DUPLICATE if earlier == digest else Stored.CONFLICT

    return work


def store_dead_letter(
    arrival: Arrival, event_id: str | None, problem: EventRejectedError
) -> Work:
    """Keep an event that failed validation, with the reason, listed once."""

    def work(connection: Connection) -> str:
        connection.execute(
            _dead_letter_insert(connection).values(
                workspace_id=arrival.workspace_id,
                source=arrival.source,
                event_id=event_id,
                body_sha256=arrival.sha256,
                body=arrival.text,
                field=problem.field,
                reason=problem.reason,
                received_at=arrival.received_at,
            )
        )
        return DEAD

    return work


def _dead_letter_insert(connection: Connection) -> Any:
    keys = ["workspace_id", "source", "body_sha256"]
    return _insert_ignoring_duplicates(connection, DEAD_LETTERS, keys)


# --- the processor ----------------------------------------------------------------


class EventProcessor:
    """Moves inbox events into the warehouse, a batch at a time, in the server.

    The warehouse merge commits first, then the inbox marks the batch processed.
    Killed between the two, the batch is handed over again on restart and the
    merge, idempotent on (source, event id), adds nothing: nothing lost, nothing
    doubled. Events that fail validation become dead letters with the reason.
    """

    BATCH = 500

    def __init__(self, engine: Engine, warehouse: Warehouse):
        self.engine = engine
        self.warehouse = warehouse
        self.wake = asyncio.Event()
        self.stopping = False
        # One thread of its own: batches never overlap, and its work is told apart.
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="event-processor")

    def stop(self) -> None:
        """Finish the batch at hand, then return from `run`."""
        self.stopping = True
        self.wake.set()

    async def run(self, idle_seconds: float = 0.25) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.thread, prepare_warehouse, self.warehouse)
        while not self.stopping:
            try:
                moved = await loop.run_in_executor(self.thread, self.process_batch)
            except Exception:
                log.exception("event processor: a batch failed; retrying shortly")
                moved = 0
            if moved < self.BATCH:
                self.wake.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), idle_seconds)

    def process_batch(self) -> int:
        """One batch from the inbox into the warehouse; the number of events moved."""
        rows = self._waiting()
        if not rows:
            return 0
        deliveries, dead = [], []
        for row in rows:
            try:
                event = read_event(parse_body(row.body.encode("utf-8")))
            except EventRejectedError as problem:
                dead.append((row, problem))
                continue
            deliveries.append(
                Delivery(str(row.workspace_id), row.source, row.id, event)
            )
        counts = ingest_events(self.warehouse, deliveries)
        self._mark(deliveries, dead)
        log.info(
            "events: %d into the warehouse (%d new), %d dead letters",
            len(deliveries),
            counts.new,
            len(dead),
        )
        return len(rows)

    def _waiting(self) -> list[Any]:
        table = INBOX
        with self.engine.connect() as connection:
            return list(
                connection.execute(
                    select(
                        table.c.id,
                        table.c.workspace_id,
                        table.c.source,
                        table.c.event_id,
                        table.c.body,
                        table.c.body_sha256,
                        table.c.received_at,
                    )
                    .where(table.c.state == RECEIVED)
                    .order_by(table.c.id)
                    .limit(self.BATCH)
                ).all()
            )

    def _mark(
        self, deliveries: list[Delivery], dead: list[tuple[Any, EventRejectedError]]
    ) -> None:
        table = INBOX
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            if deliveries:
                connection.execute(
                    update(table)
                    .where(table.c.id.in_([d.inbox_id for d in deliveries]))
                    .values(state=PROCESSED, processed_at=now)
                )
            for row, problem in dead:
                connection.execute(
                    update(table)
                    .where(table.c.id == row.id)
                    .values(state=DEAD, processed_at=now)
                )
                connection.execute(
                    _dead_letter_insert(connection).values(
                        workspace_id=row.workspace_id,
                        source=row.source,
                        event_id=row.event_id,
                        body_sha256=row.body_sha256,
                        body=row.body,
                        field=problem.field,
                        reason=problem.reason,
                        received_at=row.received_at,
                    )
                )


# --- the service as the router sees it ------------------------------------------


@dataclass(frozen=True)
class Receipt:
    status: str  # Stored.ACCEPTED, Stored.DUPLICATE, Stored.CONFLICT or DEAD
    event_id: str | None
    reason: EventRejectedError | None = None


class PushedEvents:
    """The receiver, the inbox writer and the processor of one server process."""

    def __init__(self, engine: Engine, warehouse: Warehouse, sealer: SecretBox):
        self.engine = engine
        self.endpoints = Endpoints(engine, sealer)
        self.inbox = GroupCommit(engine)
        self.processor = EventProcessor(engine, warehouse)

    def authenticate(
        self, source: str, public_id: str | None, signed: str | None, body: bytes
    ) -> EndpointKeys:
        """The endpoint whose secret signed this body; SignatureError otherwise."""
        if not public_id:
            raise SignatureError(f"{ENDPOINT_HEADER} is missing")
        keys = self.endpoints.find(public_id)
        if keys is None or keys.source != source:
            raise SignatureError(f"no endpoint {public_id!r} for source {source!r}")
        now = time.time()
        moment = datetime.fromtimestamp(now, UTC)
        check_signature(signed, body, keys.secrets(moment), now)
        return keys

    async def receive(self, keys: EndpointKeys, body: bytes) -> Receipt:
        """Store a signed event once; an invalid one becomes a dead letter."""
        arrival = Arrival(keys.workspace_id, keys.source, body, datetime.now(UTC))
        event_id: str | None = None
        try:
            payload = parse_body(body)
            event_id = event_id_of(payload)
            read_event(payload)
        except EventRejectedError as problem:
            await self.inbox.run(store_dead_letter(arrival, event_id, problem))
            return Receipt(DEAD, event_id, problem)
        status = await self.inbox.run(store_event(arrival, event_id))
        if status == Stored.ACCEPTED:
            self.processor.wake.set()
        return Receipt(status, event_id)

    def dead_letters(
        self, caller: Caller, source: str, limit: int, after: int = 0
    ) -> list[DeadLetter]:
        """The caller's workspace's dead letters of `source`, oldest first."""
        query = (
            visible(caller, DeadLetter)
            .where(DeadLetter.source == source, DeadLetter.id > after)
            .order_by(DeadLetter.id)
            .limit(limit)
        )
        with Session(self.engine) as session:
            return list(session.scalars(query))

    def inbox_counts(self, workspace_id: int, source: str) -> dict[str, int]:
        table = INBOX
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table.c.state, func.count())
                .where(table.c.workspace_id == workspace_id, table.c.source == source)
                .group_by(table.c.state)
            ).all()
        counts = {RECEIVED: 0, PROCESSED: 0, DEAD: 0}
        counts.update({state: int(count) for state, count in rows})
        return counts


RUNNING: weakref.WeakKeyDictionary[Runtime, PushedEvents] = weakref.WeakKeyDictionary()


def running_events(runtime: Runtime) -> PushedEvents | None:
    """The pushed-events service of this server, once started."""
    return RUNNING.get(runtime)


@asynccontextmanager
async def pushed_events(runtime: Runtime) -> AsyncIterator[PushedEvents]:
    """Pushed events for the server's lifetime; the runtime must be open."""
    if runtime.app_db is None or runtime.warehouse is None:
        raise RuntimeError("open the runtime before starting pushed events")
    sealer = SecretBox.for_data_dir(runtime.settings.data_dir)
    async with running(runtime.app_db.engine, runtime.warehouse, sealer) as service:
        RUNNING[runtime] = service
        try:
            yield service
        finally:
            RUNNING.pop(runtime, None)


@asynccontextmanager
async def running(
    engine: Engine, warehouse: Warehouse, sealer: SecretBox
) -> AsyncIterator[PushedEvents]:
    """Start the inbox writer and the processor; stop both at shutdown."""
    service = PushedEvents(engine, warehouse, sealer)
    await asyncio.to_thread(service.endpoints.load_all)
    service.inbox.start()
    processing = asyncio.create_task(service.processor.run(), name="event-processor")
    try:
        yield service
    finally:
        await asyncio.to_thread(service.inbox.stop)
        service.processor.stop()
        await processing
        service.processor.thread.shutdown()
