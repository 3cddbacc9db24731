"""The audit trail: append-only and hash-chained.

Each entry stores the hash of the entry before it and its own hash over its
fields and that link, so editing, removing or reordering any entry breaks every
hash after it (`verify_chain` finds where). The database refuses UPDATE and DELETE
on the table (triggers made by the first migration), and `prev_hash` is unique, so
two writers cannot both append after the same entry.

Text from outside (names, reasons) is stored with control characters escaped, so a
name cannot forge a line break or a terminal escape when the trail is read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adreport.appdata.models import AuditEntry

log = logging.getLogger(__name__)

GENESIS = "0" * 64
ATTEMPTS = 5
# PostgreSQL advisory lock taken until the appending transaction ends, so writers
# queue for the head of the chain instead of racing for it (SQLite has one writer).
CHAIN_LOCK = 0x61756469


def escape_controls(text: str) -> str:
    """Backslashes doubled and control characters (C0, DEL, C1, line and paragraph
    separators) written as \\uXXXX, so what is stored reads as one plain line."""
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    outcome: str = "ok",
    workspace_id: int | None = None,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's transaction (the caller commits, so
    the entry and the change it records are kept or lost together).

    `actor` is e.g. "user:3", "api:7" or "cli"; `details` holds the old and new
    values, the reason (rule, approval) and the platform's request id.
    """
    escaped = json.dumps(
        dict(details or {}), sort_keys=True, ensure_ascii=False, default=str
    )
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    for attempt in range(1, ATTEMPTS + 1):
        entry = AuditEntry(
            at=(at or datetime.now(UTC)).astimezone(UTC),
            workspace_id=workspace_id,
            actor=escape_controls(actor),
            action=escape_controls(action),
            target=escape_controls(target),
            outcome=escape_controls(outcome),
            details=escape_controls(escaped),
            prev_hash=_head(session),
        )
        entry.hash = entry_hash(entry)
        try:
            with session.begin_nested():
                session.add(entry)
        except IntegrityError:
            log.info("audit chain moved on while appending (attempt %d)", attempt)
            continue
        return entry
    raise RuntimeError(f"could not append to the audit log after {ATTEMPTS} attempts")


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over the entry's fields and the hash of the entry before it."""
    canonical = json.dumps(
        [
            entry.prev_hash,
            entry.at.astimezone(UTC).isoformat(),
            entry.workspace_id,
            entry.actor,
            entry.action,
            entry.target,
            entry.outcome,
            entry.details,
        ],
        ensure_ascii=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    first_broken_id: int | None  # None: every entry is intact and in order

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def verify_chain(session: Session) -> ChainCheck:
    """Recompute every hash in order; name the first entry that does not match."""
    prev = GENESIS
    count = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        count += 1
        expected = entry_hash(entry)
        if entry.prev_hash != prev or entry.hash != expected:
            return ChainCheck(count, entry.id)
        prev = entry.hash
    return ChainCheck(count, None)


def _head(session: Session) -> str:
    last = session.scalar(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    )
    return last or GENESIS
