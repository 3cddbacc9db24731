"""Access tokens (JWT, HS256 only) and refresh tokens (opaque, rotating).

An access token lives 15 minutes and says who calls (`sub`), in which workspace,
with which role and, for client-bound callers, which client. It is checked with
one pinned algorithm and a key chosen by its `kid` among the keys adreport holds;
nothing in a token's header can supply a key. Signing keys come from the variable
ADREPORT_TOKEN_KEYS (`kid=base64url-secret,kid=...`, the first one signs) or from
the file `token-keys` in the data directory, created on first use; rotating adds a
new signing key and keeps the previous ones for verification.

A refresh token is a random string stored only as a SHA-256 digest. Every use
replaces it with a new one of the same family; a used one presented again means
it leaked, and its whole family is revoked.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from adreport.appdata.models import ROLES, RefreshToken
from adreport.errors import AdreportError, ConfigurationError

log = logging.getLogger(__name__)

ALGORITHM = "HS256"
ISSUER = "adreport"
AUDIENCE = "adreport-api"
ACCESS_LIFETIME = timedelta(minutes=15)
REFRESH_LIFETIME = timedelta(days=14)
LEEWAY = timedelta(seconds=30)  # clock drift between machines, well under a minute
KEYS_VARIABLE = "ADREPORT_TOKEN_KEYS"
KEY_FILE = "token-keys"
MIN_KEY_BYTES = 32  # RFC 7518: an HS256 key at least as long as the hash
KEYS_KEPT = 3


class InvalidTokenError(AdreportError):
    """An access token is not one adreport issued, or no longer valid: sign in."""


class RefreshTokenError(AdreportError):
    """A refresh token is unknown, expired, revoked or reused: sign in again."""


@dataclass(frozen=True)
class TokenKeys:
    """The HS256 secrets by key id; `current` signs, all of them verify."""

    keys: Mapping[str, bytes]
    current: str

    def signing_key(self) -> tuple[str, bytes]:
        return self.current, self.keys[self.current]


@dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says about its bearer."""

    subject: str  # "user:<id>" or "api:<id>"
    workspace_id: int
    role: str
    client_id: int | None
    issued_at: datetime
    expires_at: datetime
    token_id: str


# --- keys -----------------------------------------------------------------------


def load_token_keys(
    data_dir: Path, environ: Mapping[str, str] | None = None
) -> TokenKeys:
    """Keys from ADREPORT_TOKEN_KEYS, else from the key file (made when missing)."""
    environ = os.environ if environ is None else environ
    configured = environ.get(KEYS_VARIABLE, "").strip()
    if configured:
        return _parse_keys(configured, KEYS_VARIABLE)
    path = data_dir / KEY_FILE
    if not path.exists():
        _write_keys(path, [(_new_kid(), secrets.token_bytes(MIN_KEY_BYTES))])
        log.info("made a new token signing key in %s", path)
    return _parse_keys(path.read_text(encoding="utf-8"), str(path))


def rotate_token_keys(data_dir: Path) -> str:
    """Add a new signing key to the key file; the last few old ones still verify
    tokens issued before (an access token lives 15 minutes). Returns its kid."""
    path = data_dir / KEY_FILE
    old = load_token_keys(data_dir, environ={})
    kid = _new_kid()
    kept = [(k, old.keys[k]) for k in _ordered(old)][: KEYS_KEPT - 1]
    _write_keys(path, [(kid, secrets.token_bytes(MIN_KEY_BYTES)), *kept])
    log.info("token signing key %s added to %s", kid, path)
    return kid


def _ordered(keys: TokenKeys) -> list[str]:
    return [keys.current, *(k for k in keys.keys if k != keys.current)]


def _parse_keys(text: str, where: str) -> TokenKeys:
    keys: dict[str, bytes] = {}
    entries = [e.strip() for e in text.replace("\n", ",").split(",") if e.strip()]
    for number, entry in enumerate(entries, start=1):
        kid, sep, encoded = entry.partition("=")
        if not sep or not kid.strip():
            raise ConfigurationError(
                f"{where}: entry {number} is not kid=base64url-secret"
            )
        keys[kid.strip()] = _decode_key(encoded.strip(), where, kid.strip())
    if not keys:
        raise ConfigurationError(f"{where}: no signing keys; give kid=secret")
    return TokenKeys(keys, next(iter(keys)))


def _decode_key(encoded: str, where: str, kid: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        raise ConfigurationError(f"{where}: the key {kid!r} is not base64url") from None
    if len(key) < MIN_KEY_BYTES:
        raise ConfigurationError(
            f"{where}: the key {kid!r} has {len(key)} bytes; use at least "
            f"{MIN_KEY_BYTES} random bytes"
        )
    return key


def _write_keys(path: Path, keys: list[tuple[str, bytes]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{kid}={base64.urlsafe_b64encode(key).decode()}" for kid, key in keys]
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(temporary, path)


def _new_kid() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(3)


# --- access tokens --------------------------------------------------------------


class AccessTokens:
    """Issues and verifies access tokens with one set of keys."""

    def __init__(
        self,
        keys: TokenKeys,
        issuer: str = ISSUER,
        audience: str = AUDIENCE,
        lifetime: timedelta = ACCESS_LIFETIME,
    ):
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime

    def issue(
        self,
        subject: str,
        workspace_id: int,
        role: str,
        client_id: int | None,
        now: datetime | None = None,
    ) -> str:
        now = now or datetime.now(UTC)
        kid, key = self.keys.signing_key()
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
            "jti": uuid.uuid4().hex,
            "workspace": workspace_id,
            "role": role,
            "client": client_id,
        }
        return jwt.encode(payload, key, algorithm=ALGORITHM, headers={"kid": kid})

    def verify(self, token: str) -> AccessClaims:
        """The claims of a valid token; InvalidTokenError (never echoing the token)
        for anything else."""
        key = self._key_for(token)
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidTokenError("the access token has expired") from None
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(f"the access token is invalid: {exc}") from None
        return _claims(payload)

    def _key_for(self, token: str) -> bytes:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidTokenError("the access token is not a JWT") from None
        if header.get("alg") != ALGORITHM:
            raise InvalidTokenError(f"the access token is not signed with {ALGORITHM}")
        kid = header.get("kid")
        if not isinstance(kid, str) or kid not in self.keys.keys:
            raise InvalidTokenError("the access token names an unknown signing key")
        return self.keys.keys[kid]


def _claims(payload: dict[str, Any]) -> AccessClaims:
    workspace: object = payload.get("workspace")
    client: object = payload.get("client")
    role: object = payload.get("role")
    subject: object = payload.get("sub")
    if not isinstance(workspace, int) or isinstance(workspace, bool):
        raise InvalidTokenError("the access token names no workspace")
    if client is not None and (not isinstance(client, int) or isinstance(client, bool)):
        raise InvalidTokenError("the access token names a client that is not an id")
    if not isinstance(role, str) or role not in ROLES:
        raise InvalidTokenError("the access token names no known role")
    if not isinstance(subject, str) or not subject.startswith(("user:", "api:")):
        raise InvalidTokenError("the access token names no user or API client")
    return AccessClaims(
        subject=subject,
        workspace_id=workspace,
        role=role,
        client_id=client,
        issued_at=datetime.fromtimestamp(payload["iat"], UTC),
        expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        token_id=str(payload.get("jti", "")),
    )


# --- refresh tokens -------------------------------------------------------------


@dataclass(frozen=True)
class RefreshGrant:
    """The outcome of using a refresh token: who it was for, and its successor."""

    user_id: int
    workspace_id: int
    family_id: str
    token: str


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_refresh_token(
    session: Session,
    user_id: int,
    workspace_id: int,
    family_id: str | None = None,
    now: datetime | None = None,
) -> str:
    """A new refresh token (a new family unless one is given); commits."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            token_hash=hash_refresh_token(token),
            family_id=family_id or str(uuid.uuid4()),
            user_id=user_id,
            workspace_id=workspace_id,
            issued_at=now,
            expires_at=now + REFRESH_LIFETIME,
        )
    )
    session.commit()
    return token


def use_refresh_token(
    session: Session, token: str, now: datetime | None = None
) -> RefreshGrant:
    """Spend a refresh token and get its successor; commits.

    Marking it used is one conditional UPDATE, so of two requests racing with the
    same token only one wins; the loser is treated as reuse.
    """
    now = now or datetime.now(UTC)
    row = session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(token))
    )
    if row is None:
        raise RefreshTokenError("the refresh token is not known; sign in again")
    if row.revoked_at is not None:
        raise RefreshTokenError("the refresh token was revoked; sign in again")
    if row.expires_at <= now:
        raise RefreshTokenError("the refresh token has expired; sign in again")
    spent = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        revoke_family(session, row.family_id, now)
        log.warning(
            "refresh token of family %s used twice: family revoked", row.family_id
        )
        raise RefreshTokenError(
            "the refresh token was already used, so it may have leaked: every "
            "session of this sign-in is revoked; sign in again"
        )
    successor = issue_refresh_token(
        session, row.user_id, row.workspace_id, row.family_id, now
    )
    return RefreshGrant(row.user_id, row.workspace_id, row.family_id, successor)


def revoke_family(
    session: Session, family_id: str, now: datetime | None = None
) -> None:
    """Revoke every token of one sign-in (on reuse, or at sign-out); commits."""
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now or datetime.now(UTC))
    )
    session.commit()


def revoke_user_tokens(session: Session, user_id: int) -> None:
    """Revoke every refresh token of a person (disabled, password changed)."""
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    session.commit()
