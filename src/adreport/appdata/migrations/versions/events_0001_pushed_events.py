"""Pushed events: webhook endpoints, the event inbox, the dead letters.

Revision ID: events_0001
Revises: 0100_service_api
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "events_0001"
down_revision: str | Sequence[str] | None = "0100_service_api"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("previous_secret", sa.Text(), nullable=True),
        sa.Column("previous_valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_webhook_endpoints_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
        sa.UniqueConstraint("public_id", name=op.f("uq_webhook_endpoints_public_id")),
        sa.UniqueConstraint(
            "workspace_id", "source", name=op.f("uq_webhook_endpoints_workspace_id")
        ),
    )
    op.create_index(
        op.f("ix_webhook_endpoints_workspace_id"),
        "webhook_endpoints",
        ["workspace_id"],
    )
    op.create_table(
        "event_inbox",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('received', 'processed', 'dead')",
            name=op.f("ck_event_inbox_state"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_event_inbox_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_inbox")),
        sa.UniqueConstraint(
            "workspace_id",
            "source",
            "event_id",
            name=op.f("uq_event_inbox_workspace_id"),
        ),
    )
    op.create_index("ix_event_inbox_state_id", "event_inbox", ["state", "id"])
    op.create_table(
        "event_dead_letters",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=True),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_event_dead_letters_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_dead_letters")),
        sa.UniqueConstraint(
            "workspace_id",
            "source",
            "body_sha256",
            name=op.f("uq_event_dead_letters_workspace_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("event_dead_letters")
    op.drop_index("ix_event_inbox_state_id", table_name="event_inbox")
    op.drop_table("event_inbox")
    op.drop_index(
        op.f("ix_webhook_endpoints_workspace_id"), table_name="webhook_endpoints"
    )
    op.drop_table("webhook_endpoints")
