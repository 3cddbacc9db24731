"""Forged, expired and misdirected access tokens are refused; refresh tokens rotate
and a reused one revokes its family (SECURITY.md, "Our tokens")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adreport.appdata import admin
from adreport.appdata.db import AppDatabase
from adreport.errors import ConfigurationError
from adreport.security.tokens import (
    AccessTokens,
    InvalidTokenError,
    RefreshTokenError,
    TokenKeys,
    issue_refresh_token,
    load_token_keys,
    rotate_token_keys,
    use_refresh_token,
)
from tests.appdata.databases import KINDS, fresh_db

KEY = b"k" * 32
KEYS = TokenKeys({"k1": KEY}, "k1")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], payload: dict[str, Any], key: bytes) -> str:
    """A token signed by hand, so any header at all can be tried."""
    signing_input = (
        b64(json.dumps(header).encode()) + "." + b64(json.dumps(payload).encode())
    )
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(signature)


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    payload = {
        "iss": "adreport",
        "aud": "adreport-api",
        "sub": "user:1",
        "iat": now,
        "exp": now + 900,
        "workspace": 1,
        "role": "owner",
        "client": None,
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not ...}


def accepted(tokens: AccessTokens, token: str) -> bool:
    try:
        tokens.verify(token)
    except InvalidTokenError:
        return False
    return True


def test_an_issued_token_says_who_where_and_what() -> None:
    tokens = AccessTokens(KEYS)
    token = tokens.issue("user:7", 3, "client_viewer", 12)
    verified = tokens.verify(token)
    assert (verified.subject, verified.workspace_id) == ("user:7", 3)
    assert (verified.role, verified.client_id) == ("client_viewer", 12)
    assert verified.expires_at - verified.issued_at == timedelta(minutes=15)
    assert jwt.get_unverified_header(token) == {
        "alg": "HS256",
        "kid": "k1",
        "typ": "JWT",
    }


@pytest.mark.filterwarnings("ignore:The HMAC key is 32 bytes")
def test_every_forged_token_of_security_md_is_refused() -> None:
    tokens = AccessTokens(KEYS)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    good = forge({"alg": "HS256", "kid": "k1"}, claims(), KEY)
    head, _, signature = good.split(".")
    tampered_payload = b64(json.dumps(claims(role="owner", workspace=2)).encode())
    attacks = {
        "alg none": b64(json.dumps({"alg": "none", "kid": "k1"}).encode())
        + "."
        + b64(json.dumps(claims()).encode())
        + ".",
        "alg None, no kid": forge({"alg": "None"}, claims(), b""),
        "RS256 signed with the private key": jwt.encode(
            claims(), private, algorithm="RS256", headers={"kid": "k1"}
        ),
        "HS256 with the RSA public key as secret": forge(
            {"alg": "HS256", "kid": "k1"}, claims(), public_pem
        ),
        "expired 61 s ago": forge(
            {"alg": "HS256", "kid": "k1"},
            claims(iat=int(time.time()) - 961, exp=int(time.time()) - 61),
            KEY,
        ),
        "wrong audience": forge({"alg": "HS256", "kid": "k1"}, claims(aud="x"), KEY),
        "wrong issuer": forge({"alg": "HS256", "kid": "k1"}, claims(iss="x"), KEY),
        "no exp": forge({"alg": "HS256", "kid": "k1"}, claims(exp=...), KEY),
        "no aud": forge({"alg": "HS256", "kid": "k1"}, claims(aud=...), KEY),
        "no iss": forge({"alg": "HS256", "kid": "k1"}, claims(iss=...), KEY),
        "unknown kid": forge({"alg": "HS256", "kid": "k2"}, claims(), KEY),
        "no kid": forge({"alg": "HS256"}, claims(), KEY),
        "key in a jwk header": forge(
            {"alg": "HS256", "kid": "evil", "jwk": {"kty": "oct", "k": b64(b"e" * 32)}},
            claims(),
            b"e" * 32,
        ),
        "tampered payload": f"{head}.{tampered_payload}.{signature}",
        "signed with another key": forge(
            {"alg": "HS256", "kid": "k1"}, claims(), b"o" * 32
        ),
        "HS512": jwt.encode(claims(), KEY, algorithm="HS512", headers={"kid": "k1"}),
        "role not one of the six": forge(
            {"alg": "HS256", "kid": "k1"}, claims(role="root"), KEY
        ),
        "no workspace": forge(
            {"alg": "HS256", "kid": "k1"}, claims(workspace=...), KEY
        ),
        "not a JWT": "not.a.token",
    }
    accepted_attacks = [
        name for name, token in attacks.items() if accepted(tokens, token)
    ]
    assert accepted_attacks == []
    assert accepted(tokens, good)  # the same claims, honestly signed, pass


def test_a_token_expired_within_the_leeway_still_passes() -> None:
    now = int(time.time())
    token = forge({"alg": "HS256", "kid": "k1"}, claims(exp=now - 5), KEY)
    assert accepted(AccessTokens(KEYS), token)


def test_rotation_keeps_old_tokens_valid_and_signs_with_the_new_key(
    tmp_path: Path,
) -> None:
    before = AccessTokens(load_token_keys(tmp_path, environ={}))
    old_token = before.issue("user:1", 1, "owner", None)
    assert (tmp_path / "token-keys").stat().st_mode & 0o777 == 0o600

    new_kid = rotate_token_keys(tmp_path)
    after = AccessTokens(load_token_keys(tmp_path, environ={}))
    assert after.keys.current == new_kid
    assert after.verify(old_token).subject == "user:1"
    assert jwt.get_unverified_header(after.issue("user:1", 1, "owner", None))[
        "kid"
    ] == (new_kid)

    for _ in range(3):  # the oldest key falls out after a few rotations
        rotate_token_keys(tmp_path)
    latest = AccessTokens(load_token_keys(tmp_path, environ={}))
    assert not accepted(latest, old_token)


def test_keys_from_the_environment_win_and_short_keys_are_refused(
    tmp_path: Path,
) -> None:
    secret = base64.urlsafe_b64encode(b"s" * 32).decode()
    keys = load_token_keys(tmp_path, environ={"ADREPORT_TOKEN_KEYS": f"a={secret}"})
    assert keys.keys == {"a": b"s" * 32}
    assert not (tmp_path / "token-keys").exists()
    short = base64.urlsafe_b64encode(b"s" * 16).decode()
    with pytest.raises(ConfigurationError, match="16 bytes"):
        load_token_keys(tmp_path, environ={"ADREPORT_TOKEN_KEYS": f"a={short}"})


@pytest.fixture(params=KINDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppDatabase]:
    yield from fresh_db(request.param, tmp_path)


def person(db: AppDatabase) -> tuple[int, int]:
    with db.session() as session:
        workspace = admin.create_workspace(session, "Agency")
        user = admin.create_user(session, "ann@example.com", "correct horse battery")
        admin.grant_role(session, user, workspace, "analyst")
        return user.id, workspace.id


def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_family(
    db: AppDatabase,
) -> None:
    user_id, workspace_id = person(db)
    with db.session() as session:
        first = issue_refresh_token(session, user_id, workspace_id)
        second = use_refresh_token(session, first)
        third = use_refresh_token(session, second.token)
        assert (third.user_id, third.workspace_id) == (user_id, workspace_id)
        assert len({first, second.token, third.token}) == 3

        with pytest.raises(RefreshTokenError, match="already used"):
            use_refresh_token(session, first)  # the stolen copy comes back
        with pytest.raises(RefreshTokenError, match="revoked"):
            use_refresh_token(session, third.token)  # the family is gone
        with pytest.raises(RefreshTokenError, match="not known"):
            use_refresh_token(session, "made-up")


def test_an_expired_refresh_token_is_refused(db: AppDatabase) -> None:
    user_id, workspace_id = person(db)
    with db.session() as session:
        long_ago = datetime.now(UTC) - timedelta(days=15)
        token = issue_refresh_token(session, user_id, workspace_id, now=long_ago)
        with pytest.raises(RefreshTokenError, match="expired"):
            use_refresh_token(session, token)


def test_two_requests_racing_with_one_refresh_token_get_one_successor(
    db: AppDatabase,
) -> None:
    user_id, workspace_id = person(db)
    with db.session() as session:
        token = issue_refresh_token(session, user_id, workspace_id)
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def spend() -> None:
        with db.session() as session:
            start.wait()
            try:
                use_refresh_token(session, token)
                outcomes.append("ok")
            except RefreshTokenError:
                outcomes.append("refused")

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
