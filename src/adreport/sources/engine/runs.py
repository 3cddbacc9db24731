"""Run records and checkpoints: what each sync did, and where a killed one resumes.

A run that did not finish (killed, or stopped by an error) is resumed by the next
sync of the same connection over the same days: the slices it checkpointed are
skipped, so at most the one slice in flight is fetched again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import duckdb

from adreport.sources.engine.session import Counters, Drift
from adreport.sources.engine.tables import ensure_sync_tables
from adreport.warehouse.store import ImportCounts, Warehouse, utc_now

FINISHED = "finished"
RUNNING = "running"
FAILED = "failed"
REAUTHORISATION_NEEDED = "re-authorisation needed"


@dataclass
class RunTotals:
    """Counts of one run, carried over when a run is resumed."""

    slices_done: int = 0
    rows_read: int = 0
    rows_written: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    requests: int = 0
    retries: int = 0
    waits: int = 0
    waited_seconds: float = 0.0
    errors: int = 0

    def add_slice(self, read: int, rejected: int, counts: ImportCounts) -> None:
        self.slices_done += 1
        self.rows_read += read
        self.rows_rejected += rejected
        self.rows_written += counts.new + counts.replaced
        self.rows_unchanged += counts.unchanged + counts.outdated


@dataclass
class Run:
    run_id: int
    connection: str
    platform: str
    first_day: date
    last_day: date
    lookback_days: int
    resumed: bool
    done: set[str]  # slice keys already committed
    totals: RunTotals
    base: Counters = field(default_factory=Counters)  # request counts before resuming
    status: str = RUNNING
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    drift_saved: int = 0


class RunBook:
    """Reads and writes `sync_runs`, `sync_checkpoints` and `sync_drift`."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse
        ensure_sync_tables(warehouse.con)

    def last_synced_day(self, connection: str) -> date | None:
        found = self.warehouse.rows(
            "SELECT max(last_day) FROM sync_runs WHERE connection = ? AND status = ?",
            [connection, FINISHED],
        )
        return found[0][0] if found and found[0][0] else None

    def start(
        self, connection: str, platform: str, days: tuple[date, date], lookback: int
    ) -> Run:
        """Resume the connection's unfinished run over the same days, or start one."""
        found = self.warehouse.rows(
            """SELECT run_id, status, slices_done, rows_read, rows_written,
                rows_unchanged, rows_rejected, requests, retries, waits,
                waited_seconds, errors FROM sync_runs
            WHERE connection = ? ORDER BY run_id DESC LIMIT 1""",
            [connection],
        )
        if found and found[0][1] != FINISHED and self._same_days(found[0][0], days):
            return self._resume(found[0], connection, platform, days, lookback)
        run_id = int(self.warehouse.rows("SELECT nextval('sync_run_ids')")[0][0])
        self.warehouse.con.execute(
            """INSERT INTO sync_runs (run_id, connection, platform, started_at,
                status, first_day, last_day, lookback_days)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [run_id, connection, platform, utc_now(), RUNNING, *days, lookback],
        )
        return Run(
            run_id, connection, platform, *days, lookback, False, set(), RunTotals()
        )

    def _same_days(self, run_id: int, days: tuple[date, date]) -> bool:
        found = self.warehouse.rows(
            "SELECT first_day, last_day FROM sync_runs WHERE run_id = ?", [run_id]
        )
        return bool(found) and (found[0][0], found[0][1]) == days

    def _resume(
        self,
        row: tuple[object, ...],
        connection: str,
        platform: str,
        days: tuple[date, date],
        lookback: int,
    ) -> Run:
        run_id = int(str(row[0]))
        totals = RunTotals(*(int(str(v)) for v in row[2:7]))
        base = Counters(
            requests=int(str(row[7])),
            retries=int(str(row[8])),
            waits=int(str(row[9])),
            waited_seconds=float(str(row[10])),
            errors=int(str(row[11])),
        )
        done = {
            key
            for (key,) in self.warehouse.rows(
                "SELECT slice_key FROM sync_checkpoints WHERE run_id = ?", [run_id]
            )
        }
        self.warehouse.con.execute(
            "UPDATE sync_runs SET status = ?, message = '' WHERE run_id = ?",
            [RUNNING, run_id],
        )
        return Run(
            run_id, connection, platform, *days, lookback, True, done, totals, base
        )

    def checkpoint(
        self,
        con: duckdb.DuckDBPyConnection,
        run: Run,
        slice_key: str,
        import_id: int,
        rows: int,
        counters: Counters,
    ) -> None:
        """Inside the slice's merge: the checkpoint and the run's counts so far."""
        con.execute(
            """INSERT INTO sync_checkpoints VALUES (?, ?, ?, ?, ?, ?)""",
            [run.run_id, run.connection, slice_key, import_id, rows, utc_now()],
        )
        self._save_counts(con, run, counters)

    def _save_counts(
        self, con: duckdb.DuckDBPyConnection, run: Run, counters: Counters
    ) -> None:
        t = run.totals
        con.execute(
            """UPDATE sync_runs SET slices_done = ?, rows_read = ?, rows_written = ?,
                rows_unchanged = ?, rows_rejected = ?, requests = ?, retries = ?,
                waits = ?, waited_seconds = ?, errors = ?
            WHERE run_id = ?""",
            [
                t.slices_done,
                t.rows_read,
                t.rows_written,
                t.rows_unchanged,
                t.rows_rejected,
                run.base.requests + counters.requests,
                run.base.retries + counters.retries,
                run.base.waits + counters.waits,
                run.base.waited_seconds + counters.waited_seconds,
                run.base.errors + counters.errors,
                run.run_id,
            ],
        )

    def set_total(self, run: Run, slices: int) -> None:
        self.warehouse.con.execute(
            "UPDATE sync_runs SET slices_total = ? WHERE run_id = ?",
            [slices, run.run_id],
        )

    def record_drift(
        self, con: duckdb.DuckDBPyConnection, run: Run, drift: list[Drift]
    ) -> None:
        """Drift seen since the last call; written with a checkpoint or at the end."""
        for seen in drift[run.drift_saved :]:
            con.execute(
                "INSERT INTO sync_drift VALUES (?, ?, ?, ?, ?, ?)",
                [
                    run.run_id,
                    run.connection,
                    run.platform,
                    seen.field,
                    seen.reason,
                    seen.seen_at.replace(tzinfo=None),
                ],
            )
        run.drift_saved = len(drift)

    def finish(self, run: Run, counters: Counters) -> None:
        con = self.warehouse.con
        self._save_counts(con, run, counters)
        con.execute(
            """UPDATE sync_runs SET status = ?, finished_at = ?, message = ?,
                warnings = ? WHERE run_id = ?""",
            [
                run.status,
                utc_now(),
                run.message,
                json.dumps(run.warnings[:50], ensure_ascii=False),
                run.run_id,
            ],
        )
