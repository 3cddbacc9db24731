"""Pushed events (conversions, leads, deals) into the warehouse's `events` table.

A CRM or a website posts events to the service's webhook; the service keeps them
in its inbox and hands them here in batches. Each event is checked once more
(`read_event`), then a batch goes through the warehouse's staged merge like any
import: one transaction, idempotent on (source, event_id), so handing the same
batch over twice (a server killed between the merge and the inbox's mark) has no
second effect. The attribution hints ride along in `event_attribution`, written in
the same transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from adreport.ingest.places import check_currency
from adreport.warehouse.store import ImportCounts, Stage, Warehouse, utc_now

HINTS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "fbclid",
    "campaign_id",
)
EVENT_TYPE = re.compile(r"[a-z][a-z0-9_.:-]{0,63}")
KNOWN_TYPES = ("conversion", "lead", "deal", "deal_won", "purchase", "signup")
MAX_ID = 200
MAX_TEXT = 1000
# The warehouse keeps amounts as DECIMAL(18, 6): 12 digits before the point.
LARGEST_VALUE = Decimal(10) ** 12

# The wire format, for the API's document; `read_event` is what enforces it.
EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["event_id", "occurred_at", "type"],
    "properties": {
        "event_id": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_ID,
            "description": "The sender's id: the same id again is a duplicate",
        },
        "occurred_at": {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 with a UTC offset, e.g. 2026-03-01T12:00:00Z",
        },
        "type": {
            "type": "string",
            "pattern": f"^{EVENT_TYPE.pattern}$",
            "description": "e.g. " + ", ".join(KNOWN_TYPES),
        },
        "value": {
            "type": "string",
            "pattern": r"^-?\d{1,12}(\.\d{1,6})?$",
            "description": "A decimal amount (a JSON number is read exactly too)",
        },
        "currency": {
            "type": "string",
            "description": "ISO 4217, required with a value",
        },
        "attribution": {
            "type": "object",
            "properties": {
                hint: {"type": "string", "maxLength": MAX_TEXT} for hint in HINTS
            },
            "additionalProperties": False,
        },
    },
}

ATTRIBUTION_TABLE = """CREATE TABLE IF NOT EXISTS event_attribution (
    source VARCHAR NOT NULL,
    event_id VARCHAR NOT NULL,
    utm_source VARCHAR NOT NULL,
    utm_medium VARCHAR NOT NULL,
    utm_campaign VARCHAR NOT NULL,
    utm_term VARCHAR NOT NULL,
    utm_content VARCHAR NOT NULL,
    gclid VARCHAR NOT NULL,
    fbclid VARCHAR NOT NULL,
    PRIMARY KEY (source, event_id)
)"""


class EventRejectedError(ValueError):
    """A pushed event that cannot go into the warehouse: fix the event and resend."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class PushedEvent:
    """One event as the unified model holds it (DESIGN.md, pushed and CRM events)."""

    event_id: str
    occurred_at: datetime  # aware, UTC
    event_type: str
    value: Decimal | None = None
    currency: str = ""
    hints: Mapping[str, str] = field(default_factory=dict)


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a request body, numbers kept as exact decimals."""
    try:
        payload = json.loads(body, parse_float=Decimal, parse_int=Decimal)
    except (UnicodeDecodeError, ValueError) as exc:
        raise EventRejectedError("body", f"not JSON ({exc})") from exc
    if not isinstance(payload, dict):
        raise EventRejectedError("body", "must be one JSON object per event")
    return payload


def event_id_of(payload: Mapping[str, Any]) -> str:
    """The sender's event id: the key that makes a resent event a duplicate."""
    event_id = payload.get("event_id")
    if not isinstance(event_id, str) or not event_id.strip():
        raise EventRejectedError("event_id", "required, a non-empty string")
    if len(event_id) > MAX_ID:
        raise EventRejectedError("event_id", f"longer than {MAX_ID} characters")
    return event_id


def read_event(payload: Mapping[str, Any]) -> PushedEvent:
    """Check every field of one event; the first problem found is raised."""
    event_id = event_id_of(payload)
    occurred_at = _occurred_at(payload.get("occurred_at"))
    event_type = _event_type(payload.get("type"))
    value = _value(payload.get("value"))
    currency = _currency(payload.get("currency"), value)
    hints = _hints(payload.get("attribution", {}))
    return PushedEvent(event_id, occurred_at, event_type, value, currency, hints)


def _occurred_at(raw: object) -> datetime:
    if not isinstance(raw, str):
        raise EventRejectedError("occurred_at", "required, an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise EventRejectedError(
            "occurred_at", f"{raw!r} is not an ISO 8601 time"
        ) from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise EventRejectedError(
            "occurred_at",
            f"{raw!r} has no UTC offset; send it as UTC, e.g. 2026-03-01T12:00:00Z",
        )
    return moment.astimezone(UTC)


def _event_type(raw: object) -> str:
    if not isinstance(raw, str) or not EVENT_TYPE.fullmatch(raw):
        raise EventRejectedError(
            "type",
            "required: a lower-case word such as " + ", ".join(KNOWN_TYPES),
        )
    return raw


def _value(raw: object) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (str, Decimal)):
        raise EventRejectedError("value", "must be a number or a decimal string")
    try:
        value = Decimal(raw.strip() if isinstance(raw, str) else raw)
    except InvalidOperation as exc:
        raise EventRejectedError("value", f"{raw!r} is not a decimal number") from exc
    if not value.is_finite() or abs(value) >= LARGEST_VALUE:
        raise EventRejectedError("value", f"{raw} is out of range")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        raise EventRejectedError("value", f"{raw} has more than 6 decimal places")
    return value


def _currency(raw: object, value: Decimal | None) -> str:
    if raw is None or raw == "":
        if value is not None:
            raise EventRejectedError("currency", "required with a value (ISO 4217)")
        return ""
    code = check_currency(raw) if isinstance(raw, str) else None
    if code is None:
        raise EventRejectedError("currency", f"{raw!r} is not an ISO 4217 code")
    return code


def _hints(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise EventRejectedError("attribution", "must be an object of text values")
    unknown = sorted(set(raw) - set(HINTS))
    if unknown:
        raise EventRejectedError(
            "attribution", f"unknown keys {unknown}; known: {', '.join(HINTS)}"
        )
    hints = {}
    for name, text in raw.items():
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            raise EventRejectedError(
                f"attribution.{name}", f"must be text of at most {MAX_TEXT} characters"
            )
        hints[name] = text
    return hints


def warehouse_source(workspace: str, source: str) -> str:
    """The warehouse's source name: events of two workspaces never share a key."""
    return f"push:{workspace}:{source}"


@dataclass(frozen=True)
class Delivery:
    """An event with where it came from: its workspace, source and inbox row."""

    workspace: str
    source: str
    inbox_id: int
    event: PushedEvent


def prepare_warehouse(warehouse: Warehouse) -> None:
    """The pushed events' own table beside `events`, made once."""
    cursor = warehouse.con.cursor()
    try:
        cursor.execute(ATTRIBUTION_TABLE)
    finally:
        cursor.close()


def ingest_events(warehouse: Warehouse, deliveries: Sequence[Delivery]) -> ImportCounts:
    """Merge a batch of checked events into the warehouse in one transaction.

    Events already there (the same source and event id) are left as they are, so
    a batch handed over again changes nothing.
    """
    if not deliveries:
        return ImportCounts()
    cursor = warehouse.con.cursor()
    try:
        cursor.execute(ATTRIBUTION_TABLE)
        import_id = int(cursor.execute("SELECT nextval('import_ids')").fetchall()[0][0])
        stage = Stage(cursor, import_id, *warehouse._stage_place())
        try:
            stage.add(_event_rows(deliveries))
            return stage.merge(
                "events",
                _import_row(import_id, deliveries),
                also=lambda con: _merge_attribution(con, stage.table),
            )
        finally:
            stage.drop()
    finally:
        cursor.close()


def _event_rows(deliveries: Sequence[Delivery]) -> pa.Table:
    events = [d.event for d in deliveries]
    sources = [warehouse_source(d.workspace, d.source) for d in deliveries]
    columns: dict[str, pa.Array] = {
        "source": pa.array(sources, pa.string()),
        "event_id": pa.array([e.event_id for e in events], pa.string()),
        "occurred_at": pa.array(
            [e.occurred_at.replace(tzinfo=None) for e in events], pa.timestamp("us")
        ),
        "event_type": pa.array([e.event_type for e in events], pa.string()),
        "value": pa.array([e.value for e in events], pa.decimal128(18, 6)),
        "currency": pa.array([e.currency for e in events], pa.string()),
        "campaign_id": pa.array(
            [e.hints.get("campaign_id", "") for e in events], pa.string()
        ),
        "source_line": pa.array([d.inbox_id for d in deliveries], pa.int64()),
    }
    for hint in HINTS[:-1]:
        columns[hint] = pa.array([e.hints.get(hint, "") for e in events], pa.string())
    return pa.table(columns)


def _import_row(import_id: int, deliveries: Sequence[Delivery]) -> dict[str, Any]:
    first, last = deliveries[0].inbox_id, deliveries[-1].inbox_id
    now = utc_now()
    return {
        "import_id": import_id,
        "source_file": f"webhook inbox rows {first}-{last}",
        "sha256": "",
        "format": "push",
        "started_at": now,
        "fetched_at": now,
        "rows_read": len(deliveries),
        "rows_rejected": 0,
        "notes": "",
    }


def _merge_attribution(con: Any, stage: str) -> None:
    """The hints of new events, inside the merge's transaction."""
    hints = ", ".join(f"arg_max({h}, source_line)" for h in HINTS[:-1])
    con.execute(f"""
        INSERT OR IGNORE INTO event_attribution
        SELECT source, event_id, {hints} FROM {stage} GROUP BY source, event_id
    """)
