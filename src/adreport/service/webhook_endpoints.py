"""Webhook endpoints: the signature senders put on each event, and their secrets.

A sender signs each delivery with its endpoint's secret:

    X-Adreport-Endpoint: <the endpoint id given when the endpoint was created>
    X-Adreport-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>

the HMAC keyed with the secret over `<t>.<raw body>`; during a rotation's overlap
window it may put one `v1=` per secret it holds. The secrets are sealed in the app
data (`adreport.security.secrets`, bound to workspace and endpoint) and held open
in the server's memory, so checking a request costs no query.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as token_source
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adreport.appdata.events import WebhookEndpoint
from adreport.security import audit
from adreport.security.secrets import SecretBox

ENDPOINT_HEADER = "X-Adreport-Endpoint"
SIGNATURE_HEADER = "X-Adreport-Signature"
TOLERANCE_SECONDS = 300
OVERLAP = timedelta(hours=24)  # how long a rotated-out secret still signs
# An unknown endpoint id makes the server re-read the endpoints at most this often.
RELOAD_SECONDS = 5.0

ENDPOINTS = cast(Table, WebhookEndpoint.__table__)


class SignatureError(Exception):
    """A request that is not from the endpoint's sender, or not from now."""


class EndpointTakenError(Exception):
    """The source has an endpoint already: rotate its secret instead."""


# --- signing -------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` keyed with `secret`."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], body: bytes, timestamp: int) -> str:
    """What a sender puts in X-Adreport-Signature (one v1 per secret it holds)."""
    signed = ",".join(f"v1={signature(s, timestamp, body)}" for s in secrets)
    return f"t={timestamp},{signed}"


def check_signature(
    header: str | None, body: bytes, secrets: Sequence[str], now: float
) -> None:
    """Raise SignatureError unless one v1 matches one secret and t is recent."""
    if not header:
        raise SignatureError(f"{SIGNATURE_HEADER} is missing")
    timestamp, candidates = _parse_signature_header(header)
    if abs(int(now) - timestamp) > TOLERANCE_SECONDS:  # whole seconds, as signed
        raise SignatureError(
            f"the signature's time t={timestamp} is more than {TOLERANCE_SECONDS} s "
            "from the server's clock; sign each delivery when sending it"
        )
    expected = [signature(s, timestamp, body) for s in secrets]
    matched = False
    for candidate in candidates:
        for wanted in expected:  # every pair compared, in constant time each
            matched |= hmac.compare_digest(candidate, wanted)
    if not matched:
        raise SignatureError(
            "the signature does not match the body and this endpoint's secret"
        )


def _parse_signature_header(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    candidates = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif name == "v1" and value:
            candidates.append(value.strip())
    if timestamp is None or not candidates:
        raise SignatureError(
            f"{SIGNATURE_HEADER} must read t=<unix seconds>,v1=<hex HMAC-SHA256>"
        )
    return timestamp, candidates


# --- endpoints and their secrets -----------------------------------------------


def _bound_to(public_id: str) -> str:
    """What a webhook secret's ciphertext is bound to, besides its workspace."""
    return f"webhook:{public_id}"


@dataclass(frozen=True)
class EndpointKeys:
    """An endpoint as the receiver needs it: who it belongs to, what it signs with."""

    endpoint_id: int
    public_id: str
    workspace_id: int
    source: str
    secret: str
    previous: str | None = None
    previous_valid_until: datetime | None = None

    def secrets(self, now: datetime) -> list[str]:
        valid = (
            self.previous_valid_until is not None and now < self.previous_valid_until
        )
        return (
            [self.secret, self.previous] if valid and self.previous else [self.secret]
        )


@dataclass(frozen=True)
class NewSecret:
    """What creating or rotating an endpoint answers: the secret, shown once."""

    public_id: str
    source: str
    secret: str
    previous_valid_until: datetime | None


class Endpoints:
    """The endpoints' secrets, kept in memory so a bad request costs no query."""

    def __init__(self, engine: Engine, sealer: SecretBox):
        self.engine = engine
        self.sealer = sealer
        self.known: dict[str, EndpointKeys] = {}
        self.lock = threading.Lock()
        self.loaded_at = 0.0

    def load_all(self) -> None:
        with self.engine.connect() as connection:
            rows = connection.execute(select(ENDPOINTS)).all()
        with self.lock:
            self.known = {row.public_id: self._keys(row) for row in rows}
            self.loaded_at = time.monotonic()

    def find(self, public_id: str) -> EndpointKeys | None:
        """The endpoint; an unknown id re-reads the endpoints, at most every 5 s.

        Endpoints are made through this server, which knows them at once; the
        re-read only serves one made by another process (a script, a test).
        """
        with self.lock:
            found = self.known.get(public_id)
            stale = time.monotonic() - self.loaded_at > RELOAD_SECONDS
        if found is None and stale:
            self.load_all()
            with self.lock:
                found = self.known.get(public_id)
        return found

    def create(self, workspace_id: int, source: str, actor: str = "cli") -> NewSecret:
        """A new endpoint for `source`; its secret is answered this once only."""
        public_id = "whk_" + token_source.token_urlsafe(18)
        secret = "whsec_" + token_source.token_urlsafe(32)
        values = {
            "public_id": public_id,
            "workspace_id": workspace_id,
            "source": source,
            "secret": self._seal(secret, workspace_id, public_id),
            "created_at": datetime.now(UTC),
        }
        try:
            with Session(self.engine) as session, session.begin():
                session.execute(insert(ENDPOINTS).values(**values))
                self._audit(session, actor, "webhook.create", workspace_id, source)
        except IntegrityError as exc:
            raise EndpointTakenError(source) from exc
        self.load_all()
        return NewSecret(public_id, source, secret, None)

    def rotate(
        self,
        workspace_id: int,
        source: str,
        overlap: timedelta = OVERLAP,
        actor: str = "cli",
    ) -> NewSecret | None:
        """A new secret; the current one keeps signing until the overlap ends."""
        secret = "whsec_" + token_source.token_urlsafe(32)
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            row = session.execute(
                select(ENDPOINTS).where(
                    ENDPOINTS.c.workspace_id == workspace_id,
                    ENDPOINTS.c.source == source,
                )
            ).first()
            if row is None:
                return None
            session.execute(
                update(ENDPOINTS)
                .where(ENDPOINTS.c.id == row.id)
                .values(
                    secret=self._seal(secret, workspace_id, row.public_id),
                    previous_secret=row.secret,
                    previous_valid_until=now + overlap,
                    rotated_at=now,
                )
            )
            self._audit(session, actor, "webhook.rotate", workspace_id, source)
        self.load_all()
        return NewSecret(row.public_id, source, secret, now + overlap)

    def _audit(
        self, session: Session, actor: str, action: str, workspace_id: int, source: str
    ) -> None:
        """Who made or changed a secret, when; never the secret itself."""
        audit.record(
            session,
            actor=actor,
            action=action,
            target=f"webhook:{source}",
            workspace_id=workspace_id,
        )

    def _seal(self, secret: str, workspace_id: int, public_id: str) -> str:
        return self.sealer.seal(secret, str(workspace_id), _bound_to(public_id))

    def _keys(self, row: Any) -> EndpointKeys:
        def opened(sealed: str) -> str:
            bound = _bound_to(row.public_id)
            return self.sealer.open(sealed, str(row.workspace_id), bound)

        until = row.previous_valid_until
        if until is not None and until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        return EndpointKeys(
            endpoint_id=row.id,
            public_id=row.public_id,
            workspace_id=row.workspace_id,
            source=row.source,
            secret=opened(row.secret),
            previous=opened(row.previous_secret) if row.previous_secret else None,
            previous_valid_until=until,
        )
