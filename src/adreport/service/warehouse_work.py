"""What the CLI asks of the warehouse, done the same way in either process.

`adreport query`, `import`, `imports`, `report`, `sources` and `sync` need the
DuckDB file, which one process owns at a time. `WarehouseWork` is that work over
an open warehouse: the CLI uses it on the file it opened itself, and the server
uses it on a cursor of the file it holds (on behalf of a CLI that reached it).
The answers travel as JSON; `encode` and `decode` carry the Python values a
printer needs (Decimal, date, datetime, Path) over it unchanged.
"""

from __future__ import annotations

import asyncio
import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from adreport.config import Settings
from adreport.ingest.importer import ImportOptions, ImportResult, import_file
from adreport.metrics.backends import DuckDBDatabase
from adreport.metrics.dimensions import dimension
from adreport.metrics.query import MetricQuery, QueryResult, run_query
from adreport.reports.build import ReportFiles, ReportOptions, build_report
from adreport.security.secrets import SecretBox
from adreport.sources.connections import ConnectionStore, SourceStatus
from adreport.sources.connections import sync_connection as run_connection_sync
from adreport.sources.engine.run import Progress as SyncProgress
from adreport.sources.engine.run import SyncOptions
from adreport.warehouse import Warehouse

T = TypeVar("T")

IMPORTS_SQL = """SELECT import_id, finished_at, format, source_file, rows_read,
    rows_new, rows_replaced, rows_unchanged, rows_rejected, notes
FROM imports ORDER BY import_id DESC LIMIT ?"""


@dataclass
class SyncSummary:
    """What `adreport sync` prints of one connection's run."""

    status: str
    resumed: bool
    first_day: date | None
    last_day: date | None
    rows_read: int
    rows_written: int
    rows_unchanged: int
    rows_rejected: int
    requests: int
    retries: int
    waits: int
    errors: int
    warnings: list[str] = field(default_factory=list)
    message: str = ""


class WarehouseWork:
    """The warehouse-using operations of the CLI, over one open warehouse."""

    def __init__(
        self, warehouse: Warehouse, settings: Settings, database: DuckDBDatabase
    ):
        self.warehouse = warehouse
        self.settings = settings
        self.database = database

    def query(self, query: MetricQuery) -> QueryResult:
        return run_query(self.database, self.settings.registry(), query)

    def import_file(
        self,
        path: Path,
        options: ImportOptions,
        companions: list[Path],
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult:
        return import_file(self.warehouse, path, options, progress, companions)

    def imports(self, limit: int) -> list[tuple[Any, ...]]:
        return self.warehouse.rows(IMPORTS_SQL, [limit])

    def report(self, options: ReportOptions) -> ReportFiles:
        return build_report(self.settings, self.warehouse, options)

    def store(self) -> ConnectionStore:
        box = SecretBox.for_data_dir(self.settings.data_dir)
        return ConnectionStore(self.warehouse, box)

    def sources(self) -> list[SourceStatus]:
        return self.store().statuses()

    def connection_names(self) -> list[str]:
        return self.store().names()

    def sync(
        self, name: str, options: SyncOptions, progress: SyncProgress | None = None
    ) -> SyncSummary:
        outcome = asyncio.run(
            run_connection_sync(self.store(), name, options, progress)
        )
        run, counters = outcome.run, outcome.session.counters
        t = run.totals
        return SyncSummary(
            status=run.status,
            resumed=bool(run.resumed),
            first_day=run.first_day,
            last_day=run.last_day,
            rows_read=t.rows_read,
            rows_written=t.rows_written,
            rows_unchanged=t.rows_unchanged,
            rows_rejected=t.rows_rejected,
            requests=counters.requests,
            retries=counters.retries,
            waits=counters.waits,
            errors=counters.errors,
            warnings=list(run.warnings),
            message=run.message or "",
        )


# --- JSON for the answers -------------------------------------------------------


def encode(value: Any) -> Any:
    """JSON for a value; Decimal, date, datetime and Path keep their type."""
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Path):
        return {"$path": str(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    return value


def plain(data: Any) -> Any:
    """A value written by `encode`, back as the Python value."""
    if isinstance(data, dict):
        if len(data) == 1:
            tag, text = next(iter(data.items()))
            makers: dict[str, Callable[[str], Any]] = {
                "$decimal": Decimal,
                "$datetime": datetime.fromisoformat,
                "$date": date.fromisoformat,
                "$path": Path,
            }
            if tag in makers:
                return makers[tag](text)
        return {k: plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data


def decode(kind: type[T], data: Any) -> T:
    """A dataclass written by `encode`, rebuilt field by field from its type hints."""
    hints = typing.get_type_hints(kind)
    values = {}
    for f in dataclasses.fields(kind):  # type: ignore[arg-type]
        if f.name in data:
            values[f.name] = _typed(hints[f.name], data[f.name])
    return kind(**values)


def _typed(hint: Any, data: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if data is None:
        return None
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _typed(inner[0], data) if len(inner) == 1 else plain(data)
    if origin is list:
        return [_typed(args[0], v) for v in data]
    if origin is tuple:
        return tuple(_typed(args[0], v) for v in data)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return decode(hint, data)
    return plain(data)


def encode_query_result(result: QueryResult) -> dict[str, Any]:
    answer: dict[str, Any] = encode(
        dataclasses.replace(result, metrics=[], dimensions=[])
    )
    answer["metrics"] = [m.name for m in result.metrics]
    answer["dimensions"] = [d.name for d in result.dimensions]
    answer["rows"] = [[encode(v) for v in row] for row in result.rows]
    return answer


def decode_query_result(data: dict[str, Any], settings: Settings) -> QueryResult:
    """The metrics and dimensions are named, and looked up in the same registry."""
    result = decode(QueryResult, {**data, "metrics": [], "dimensions": []})
    result.rows = [tuple(plain(v) for v in row) for row in data["rows"]]
    result.metrics = settings.registry().resolve(data["metrics"])
    result.dimensions = [dimension(name) for name in data["dimensions"]]
    return result
