"""A slice's mapped rows into the warehouse, with its checkpoint, in one commit.

The rows become a staged table shaped like an import's (the unified model's key,
measures and descriptions), so the same merge applies: latest fetch wins, the
replaced version goes to `fact_history`, re-writing an unchanged row changes
nothing. The checkpoint is written inside that merge's transaction, so after a
kill either both are there or neither.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import duckdb
import pyarrow as pa

from adreport.ingest.channels import channel_for
from adreport.ingest.facts import STAGE_EXTRA
from adreport.model import (
    BREAKDOWNS,
    COUNT_MEASURES,
    KEY_COLUMNS,
    MONEY_TYPE,
    make_grain,
)
from adreport.sources.base import FactRecord, Slice
from adreport.warehouse.store import ImportCounts, Warehouse

SIX_PLACES = Decimal("0.000001")
DECIMAL_MEASURES = ("conversions", "spend", "revenue")


@dataclass(frozen=True)
class SliceRows:
    """What one slice brought: where from, when, and which days are provisional."""

    platform: str
    connection: str
    part: Slice
    records: Sequence[FactRecord]
    fetched_at: datetime  # naive UTC
    first_provisional_day: date

    @property
    def source(self) -> str:
        return f"sync:{self.platform}:{self.connection}:{self.part.key}"


def write_slice(
    warehouse: Warehouse,
    rows: SliceRows,
    import_row: dict[str, object],
    checkpoint: Callable[[duckdb.DuckDBPyConnection, int, ImportCounts], None],
) -> ImportCounts:
    """Merge the slice's rows and run `checkpoint` in the same transaction."""
    import_id = warehouse.next_import_id()
    table = fact_rows(rows)
    import_row = {
        "import_id": import_id,
        "source_file": rows.source,
        "sha256": hashlib.sha256(rows.source.encode()).hexdigest(),
        "format": f"sync:{rows.platform}",
        "fetched_at": rows.fetched_at,
        "started_at": rows.fetched_at,
        "rows_read": len(rows.records),
        **import_row,
    }

    def also(con: duckdb.DuckDBPyConnection) -> None:
        checkpoint(con, import_id, counts_from(import_row))

    with warehouse.staging(import_id) as stage:
        stage.add(table)
        return stage.merge("facts", import_row, also=also)


def counts_from(import_row: dict[str, object]) -> ImportCounts:
    """The merge's counts, which it writes into the import row before `also`."""

    def number(name: str) -> int:
        value = import_row.get(name)
        return int(value) if isinstance(value, int) else 0

    return ImportCounts(
        new=number("rows_new"),
        replaced=number("rows_replaced"),
        unchanged=number("rows_unchanged"),
        outdated=number("rows_outdated"),
    )


def fact_rows(rows: SliceRows) -> pa.Table:
    """The records as staged fact rows; a key repeated in one slice keeps its last."""
    part = rows.part
    account = part.account
    latest = {_key(record): record for record in rows.records}
    records = list(latest.values())
    count = len(records)
    columns: dict[str, pa.Array] = {
        "platform": _same(rows.platform, count),
        "account_id": _same(account.account_id, count),
        "grain": _grains(records, part),
        "date": pa.array([record.date for record in records], pa.date32()),
    }
    for name in ("campaign_id", "ad_group_id", "ad_id", "keyword_id"):
        columns[name] = pa.array([getattr(r, name) for r in records], pa.string())
    present = {name for r in records for name in r.breakdowns}
    for name in BREAKDOWNS:
        columns[name] = (
            pa.array([r.breakdowns.get(name, "") for r in records], pa.string())
            if name in present
            else _same("", count)
        )
    columns["attribution_setting"] = pa.array(
        [r.attribution_setting for r in records], pa.string()
    )
    for name in COUNT_MEASURES:
        columns[name] = pa.array([getattr(r, name) for r in records], pa.int64())
    for name in DECIMAL_MEASURES:
        columns[name] = _money([getattr(r, name) for r in records])
    columns.update(_provenance(rows, records))
    columns.update(_descriptions(rows, records))
    order = (*KEY_COLUMNS, *COUNT_MEASURES, *DECIMAL_MEASURES, *STAGE_EXTRA)
    return pa.table({name: columns[name] for name in order})


def _money(values: list[Decimal | None]) -> pa.Array:
    """Decimals as stored (six places); rounded only when a value has more."""
    try:
        return pa.array(values, MONEY_TYPE)
    except pa.ArrowInvalid:
        return pa.array([_six(value) for value in values], MONEY_TYPE)


def _grains(records: list[FactRecord], part: Slice) -> pa.Array:
    known: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
    grains = []
    for record in records:
        split = (record.level, tuple(record.breakdowns.items()))
        grain = known.get(split)
        if grain is None:
            named = {k for k, v in record.breakdowns.items() if v}
            grain = make_grain(record.level, set(part.breakdowns) | named).text
            known[split] = grain
        grains.append(grain)
    return pa.array(grains, pa.string())


def _provenance(rows: SliceRows, records: list[FactRecord]) -> dict[str, pa.Array]:
    count = len(records)
    first = rows.first_provisional_day
    return {
        "currency": _same(rows.part.account.currency, count),
        "provisional": pa.array([r.date >= first for r in records], pa.bool_()),
        "fetched_at": pa.repeat(pa.scalar(rows.fetched_at, pa.timestamp("us")), count),
        "source_file": _same(rows.source, count),
        "source_line": pa.array(range(1, count + 1), pa.int64()),
    }


def _descriptions(rows: SliceRows, records: list[FactRecord]) -> dict[str, pa.Array]:
    account = rows.part.account
    count = len(records)
    described: dict[str, pa.Array] = {
        "account_name": _same(account.name, count),
        "timezone": _same(account.timezone, count),
    }
    for name in (
        "campaign_name",
        "campaign_type",
        "campaign_status",
        "ad_group_name",
        "ad_name",
        "keyword",
    ):
        described[name] = pa.array([getattr(r, name) for r in records], pa.string())
    channels: dict[tuple[str, str], str] = {}
    for r in records:
        kind = (r.campaign_type, r.breakdowns.get("network", ""))
        if kind not in channels:
            channels[kind] = channel_for(rows.platform, kind[0], "", kind[1])
    described["channel"] = pa.array(
        [
            r.channel or channels[(r.campaign_type, r.breakdowns.get("network", ""))]
            for r in records
        ],
        pa.string(),
    )
    return described


def _key(record: FactRecord) -> tuple[object, ...]:
    return (
        record.date,
        record.level,
        record.campaign_id,
        record.ad_group_id,
        record.ad_id,
        record.keyword_id,
        tuple(record.breakdowns.items()),
        record.attribution_setting,
    )


def _six(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(SIX_PLACES)


def _same(value: str, count: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), count)


def provisional_from(today: date, lookback_days: int) -> date:
    """The first day still inside the look-back window, as of `today`."""
    return today - timedelta(days=lookback_days)
