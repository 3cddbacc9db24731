"""Where the CLI's warehouse work runs: through the running server, or on the file.

DuckDB lets one process open the warehouse file. While `adreport serve` runs for
a data directory it owns the file, so `warehouse_work(ctx)` hands the commands a
`ServerWork` that sends each job to that server's `/api/v1/local` routes (with
the key the server left in the data directory) and rebuilds the same answers;
with no live server it opens the file and hands over a plain `WarehouseWork`.
Commands call the same methods either way, so they print the same and exit the
same.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import httpx

from adreport import errors
from adreport.cli.main import Context
from adreport.config import Settings
from adreport.errors import AdreportError, ConfigurationError, ImportRejectedError
from adreport.ingest.importer import ImportOptions, ImportResult
from adreport.metrics.backends import DuckDBDatabase
from adreport.metrics.fx import Rates
from adreport.metrics.query import MetricQuery, QueryResult
from adreport.reports.build import ReportFiles, ReportOptions
from adreport.service.local_access import HEADER, ServerNote, running_server
from adreport.service.warehouse_work import (
    SyncSummary,
    WarehouseWork,
    decode,
    decode_query_result,
    encode,
    plain,
)
from adreport.sources.connections import SourceStatus
from adreport.sources.engine.run import Progress as SyncProgress
from adreport.sources.engine.run import SyncOptions
from adreport.warehouse import Warehouse

# A server that just started may take a moment before it listens.
STARTING_SECONDS = 10.0


class Work(Protocol):
    """The warehouse work commands ask for, wherever it runs."""

    def query(self, query: MetricQuery) -> QueryResult: ...
    def import_file(
        self,
        path: Path,
        options: ImportOptions,
        companions: list[Path],
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult: ...
    def imports(self, limit: int) -> list[tuple[Any, ...]]: ...
    def report(self, options: ReportOptions) -> ReportFiles: ...
    def sources(self) -> list[SourceStatus]: ...
    def connection_names(self) -> list[str]: ...
    def sync(
        self, name: str, options: SyncOptions, progress: SyncProgress | None = None
    ) -> SyncSummary: ...


@contextmanager
def warehouse_work(ctx: Context) -> Iterator[Work]:
    """The running server's hands if one serves this data directory, else the file."""
    note = running_server(ctx.directory)
    if note is not None and _answers(note):
        with httpx.Client(
            base_url=f"{note.url}/api/v1/local",
            headers={HEADER: note.credential()},
            timeout=httpx.Timeout(10.0, read=None),
            verify=False,  # loopback only; see README "The CLI beside a server"  # noqa: S501
        ) as client:
            yield ServerWork(client, note, ctx.settings)
        return
    settings = ctx.settings
    with open_warehouse(settings.warehouse_path) as warehouse:
        yield WarehouseWork(
            warehouse, settings, DuckDBDatabase(warehouse, Rates(settings.data_dir))
        )


def _answers(note: ServerNote) -> bool:
    """Whether the server of `server.json` answers, waiting while it starts."""
    deadline = time.monotonic() + STARTING_SECONDS
    while True:
        try:
            httpx.get(f"{note.url}/healthz", timeout=2.0, verify=False)  # noqa: S501
            return True
        except httpx.HTTPError:
            if time.monotonic() > deadline or running_server(note.data_dir) is None:
                return False
            time.sleep(0.2)


def open_warehouse(path: Path) -> Warehouse:
    """Open the file; if another process holds it, say which and how to stop it."""
    try:
        return Warehouse(path)
    except ConfigurationError as exc:
        holder = re.search(r"PID (\d+)", str(exc.__cause__ or exc))
        if holder is None:
            raise
        pid = int(holder.group(1))
        raise ConfigurationError(
            f"the warehouse {path} is held by another process: pid {pid} "
            f"({_command_of(pid)}), and no adreport server of this data directory "
            f"answers. Stop that process (Ctrl-C in its terminal, or `kill {pid}`) "
            "or wait for it to finish, then run this command again"
        ) from exc


def _command_of(pid: int) -> str:
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "command unknown"
    return " ".join(w.decode(errors="replace") for w in words if w)[:200]


class ServerWork:
    """The same work, done by the running server on the file it holds."""

    def __init__(self, client: httpx.Client, note: ServerNote, settings: Settings):
        self.client = client
        self.note = note
        self.settings = settings

    def _ask(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            answer = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ConfigurationError(
                f"the adreport server at {self.note.url} (pid {self.note.pid}) "
                f"stopped answering: {type(exc).__name__}. Run the command again"
            ) from exc
        if answer.status_code == 422 and "kind" in answer.text:
            raise _error_of(answer.json())
        if answer.status_code >= 400:
            detail = answer.json().get("detail", answer.text[:200])
            raise ConfigurationError(
                f"the adreport server at {self.note.url} (pid {self.note.pid}) "
                f"refused the work ({answer.status_code}): {detail}"
            )
        return answer.json()

    def query(self, query: MetricQuery) -> QueryResult:
        found = self._ask("POST", "/query", json=encode(query))
        return decode_query_result(found, self.settings)

    def import_file(
        self,
        path: Path,
        options: ImportOptions,
        companions: list[Path],
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult:
        asked = {
            "path": str(path.absolute()),
            "companions": [str(p.absolute()) for p in companions],
            "options": encode(options),
        }
        return decode(ImportResult, self._ask("POST", "/import", json=asked))

    def imports(self, limit: int) -> list[tuple[Any, ...]]:
        found = self._ask("GET", "/imports", params={"limit": limit})
        return [tuple(row) for row in plain(found)]

    def report(self, options: ReportOptions) -> ReportFiles:
        given = options.out_dir
        if given is not None:  # the server's working folder is not ours
            options = dataclasses.replace(options, out_dir=given.absolute())
        files = decode(ReportFiles, self._ask("POST", "/report", json=encode(options)))
        if given is None:
            return files
        # named as the user gave the folder, as a CLI working alone names them
        return dataclasses.replace(
            files, pdf=given / files.pdf.name, html=given / files.html.name
        )

    def sources(self) -> list[SourceStatus]:
        return [decode(SourceStatus, s) for s in self._ask("GET", "/sources")]

    def connection_names(self) -> list[str]:
        return [str(name) for name in self._ask("GET", "/connections")]

    def sync(
        self, name: str, options: SyncOptions, progress: SyncProgress | None = None
    ) -> SyncSummary:
        asked = {"name": name, "options": encode(options)}
        return decode(SyncSummary, self._ask("POST", "/sync", json=asked))


def _error_of(problem: dict[str, Any]) -> AdreportError:
    """The server's adreport error as the same class, so it prints the same."""
    detail = str(problem.get("detail", ""))
    kind = getattr(errors, str(problem.get("kind")), None)
    if kind is ImportRejectedError:
        return ImportRejectedError(detail, [], int(problem.get("rejected_rows") or 0))
    if isinstance(kind, type) and issubclass(kind, AdreportError):
        try:
            return kind(detail)
        except TypeError:
            pass
    return AdreportError(detail)
