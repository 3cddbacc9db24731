"""Syncs started through the API: they run inside the server, which owns the warehouse.

A sync pulls from a platform for seconds or minutes, so the request that starts it
is answered at once (202) with a run id, and the sync goes on in a thread of its
own, on a warehouse cursor of its own, with its own event loop for the engine's
async HTTP. One sync per stored connection runs at a time: asking again while one
runs answers with the running one. A sync cut short by a shutdown is resumed by
the next one from its last checkpoint (the engine's promise), so stopping the
server never waits for a long pull.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from adreport.security.secrets import SecretBox
from adreport.sources.connections import ConnectionStore, sync_connection
from adreport.warehouse import Warehouse

log = logging.getLogger("adreport.service.syncs")

QUEUED = "queued"
RUNNING = "running"
FAILED = "failed"


@dataclass
class SyncJob:
    """One API-started sync; `status` ends as the engine's run status."""

    run_id: str
    connection: str
    status: str = QUEUED
    message: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    rows_written: int = 0
    engine_run_id: int | None = None

    @property
    def running(self) -> bool:
        return self.finished_at is None


class SyncJobs:
    """The API's syncs of this process, by run id and by connection."""

    def __init__(self, cursor: Callable[[], Warehouse], box: Callable[[], SecretBox]):
        self._cursor = cursor
        self._box = box
        self._lock = threading.Lock()
        self._jobs: dict[str, SyncJob] = {}
        self._latest: dict[str, str] = {}  # connection -> run id
        self._threads: list[threading.Thread] = []

    def start(self, connection: str) -> SyncJob:
        """Start a sync of the stored connection, or give the one running."""
        with self._lock:
            latest = self.latest(connection)
            if latest is not None and latest.running:
                return latest
            job = SyncJob(run_id=f"sync-{uuid.uuid4().hex[:16]}", connection=connection)
            self._jobs[job.run_id] = job
            self._latest[connection] = job.run_id
            thread = threading.Thread(
                target=self._run, args=(job,), name=f"sync-{connection}", daemon=True
            )
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return job

    def latest(self, connection: str) -> SyncJob | None:
        run_id = self._latest.get(connection)
        return self._jobs.get(run_id) if run_id else None

    def wait(self, timeout: float) -> None:
        """Give running syncs up to `timeout` seconds to end (at shutdown)."""
        for thread in list(self._threads):
            thread.join(timeout)

    def _run(self, job: SyncJob) -> None:
        job.status, job.started_at = RUNNING, datetime.now(UTC)
        warehouse = self._cursor()
        try:
            store = ConnectionStore(warehouse, self._box())
            outcome = asyncio.run(sync_connection(store, job.connection))
            run = outcome.run
            job.status, job.message = run.status, run.message
            job.engine_run_id = run.run_id
            job.rows_written = run.totals.rows_written
        except Exception as exc:  # the sync's reason is shown by status, and logged
            job.status = FAILED
            job.message = f"{type(exc).__name__}: {exc}"
            log.exception("sync of %s failed", job.connection)
        finally:
            job.finished_at = datetime.now(UTC)
            warehouse.close()
        log.info("sync %s of %s: %s", job.run_id, job.connection, job.status)
