"""Answers kept for `Idempotency-Key` retries of POST requests.

A caller that retries a POST with the same key gets the answer of the first
attempt instead of a second effect. The key is the caller's own: two callers may
use the same key without meeting. The request is remembered as a digest of its
method, path and body, so a retry with another body is refused, not answered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from adreport.appdata.base import Base
from adreport.appdata.models import UTCDateTime, utc_now


class IdempotentAnswer(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("principal", "key", name="uq_idempotency_keys_principal_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Who sent it: "user:<id>@<workspace>" or "client:<oauth client id>".
    principal: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    request_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
