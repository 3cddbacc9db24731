"""Pushed events in the app data: webhook endpoints, the inbox, the dead letters.

An endpoint belongs to one workspace and one source (a CRM, a shop) and holds the
secret its sender signs with, encrypted (`adreport.security.secrets`); after a
rotation the previous secret stays valid until `previous_valid_until`. The inbox
keeps every accepted event once: the unique (workspace, source, event id) makes a
resent event a duplicate in the same transaction that would store it. An event
that cannot go into the warehouse is kept as a dead letter with the reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from adreport.appdata.base import Base
from adreport.appdata.models import UTCDateTime, utc_now

# Inbox states: waiting for the processor, in the warehouse, or a dead letter.
RECEIVED, PROCESSED, DEAD = "received", "processed", "dead"
# Big enough for years of events on PostgreSQL; SQLite's own row id on SQLite.
RowId = BigInteger().with_variant(Integer, "sqlite")


class WebhookEndpoint(Base):
    """Where one workspace's source posts its events, and the secret it signs with."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (UniqueConstraint("workspace_id", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Sent by the sender in X-Adreport-Endpoint; says nothing of the workspace.
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(64))
    secret: Mapped[str] = mapped_column(Text)  # ciphertext, never the secret
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InboxEvent(Base):
    """One accepted event, exactly as it was signed, until it is in the warehouse."""

    __tablename__ = "event_inbox"
    __table_args__ = (
        UniqueConstraint("workspace_id", "source", "event_id"),
        CheckConstraint(
            f"state IN ('{RECEIVED}', '{PROCESSED}', '{DEAD}')", name="state"
        ),
        Index("ix_event_inbox_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    source: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(200))
    body_sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default=RECEIVED)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeadLetter(Base):
    """An event that failed validation, with the reason; listed per source.

    A sender retrying the same bad body is listed once (the body's hash is part
    of the unique key); a corrected event is accepted under the same event id.
    """

    __tablename__ = "event_dead_letters"
    __table_args__ = (UniqueConstraint("workspace_id", "source", "body_sha256"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    source: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str | None] = mapped_column(String(200))
    body_sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)  # as received, decoded as UTF-8 or escaped
    field: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
