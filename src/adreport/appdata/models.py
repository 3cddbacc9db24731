"""The core app-data tables: people, workspaces, clients, credentials, links, audit.

Every object that belongs to a tenant carries `workspace_id`, and where it belongs
to one client also `client_id`; `service.tenancy` scopes every read by these two
columns. A client is always referenced together with its workspace (a composite
foreign key), so no row can point at another workspace's client.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from adreport.appdata.base import Base

ROLES = ("owner", "admin", "manager", "analyst", "approver", "client_viewer")
LOCALES = ("en", "ko")
CLIENT_VIEWER = "client_viewer"


def utc_now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment in UTC, stored the same way on SQLite (no zones) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"{value!r} has no time zone; pass an aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


def _client_of_workspace(table: str) -> ForeignKeyConstraint:
    """`client_id` must name a client of the row's own workspace."""
    return ForeignKeyConstraint(
        ["workspace_id", "client_id"],
        ["clients.workspace_id", "clients.id"],
        name=f"fk_{table}_client_of_workspace",
        ondelete="CASCADE",
    )


def _viewer_has_client(name: str = "viewer_has_client") -> CheckConstraint:
    return CheckConstraint(
        f"role <> '{CLIENT_VIEWER}' OR client_id IS NOT NULL", name=name
    )


class User(Base):
    """A person who signs in; what they may do is in their memberships."""

    __tablename__ = "users"
    __table_args__ = (_one_of("locale", LOCALES, "locale"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(2), default="en")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Workspace(Base):
    """A tenant: an agency or a business. Nothing is shared between workspaces."""

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Client(Base):
    """A client of the workspace (the advertiser whose accounts are reported)."""

    __tablename__ = "clients"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name", name="uq_clients_workspace_name"),
        UniqueConstraint("workspace_id", "id", name="uq_clients_workspace_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Membership(Base):
    """A person's role in one workspace, limited to one client when `client_id` is
    set (always for a client viewer)."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "workspace_id", name="uq_memberships_user"),
        _one_of("role", ROLES, "role"),
        _viewer_has_client(),
        _client_of_workspace("memberships"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    client_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class APIClient(Base):
    """A machine credential (OAuth client credentials) acting in one workspace.

    `oauth_client_id` is the public id sent as `client_id`; the secret is random
    (256 bits), so it is stored as a SHA-256 digest rather than a slow hash.
    """

    __tablename__ = "api_clients"
    __table_args__ = (
        _one_of("role", ROLES, "role"),
        _viewer_has_client(),
        _client_of_workspace("api_clients"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    oauth_client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    client_id: Mapped[int | None] = mapped_column(Integer, index=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class RefreshToken(Base):
    """One issued refresh token, kept as a SHA-256 digest.

    Each use replaces it with a new one of the same family; presenting a used one
    again means it was stolen, and the whole family is revoked.
    """

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountLink(Base):
    """Which warehouse account (platform + account id) belongs to which client.

    An account belongs to one client of one workspace only: the link decides whose
    metrics its rows are, so a second workspace cannot claim it.
    """

    __tablename__ = "account_links"
    __table_args__ = (
        UniqueConstraint("platform", "account_id", name="uq_account_links_account"),
        _client_of_workspace("account_links"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[int] = mapped_column(Integer, index=True)
    platform: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[str] = mapped_column(String(100))
    connection_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class ReportDefinition(Base):
    """A saved report: what to show (`spec`, as `adreport report` options), for a
    whole workspace or one client."""

    __tablename__ = "report_definitions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name", name="uq_report_definitions_name"),
        _client_of_workspace("report_definitions"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[int | None] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, onupdate=utc_now
    )


class AuditEntry(Base):
    """One line of the append-only audit trail (see `security.audit`).

    `prev_hash` is unique, so two writers racing for the same place in the chain
    cannot both succeed: the chain stays a single line.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_workspace_at", "workspace_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    workspace_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(500))
    outcome: Mapped[str] = mapped_column(String(40))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
