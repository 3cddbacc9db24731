"""Forged access tokens against the live API (SECURITY.md, RFC 8725): all refused.

Each forgery is sent to an endpoint a real token opens (GET /workspace answers
200 to the owner); every one must come back 401 as a problem document with code
`invalid_token`, never 200.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adreport.security.tokens import AUDIENCE, ISSUER, load_token_keys
from tests.service.world import World, live_world, sign_in


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> object:
    with live_world(Path(tmp_path_factory.mktemp("tokens"))) as made:
        yield made


def _claims(world: World, **changes: Any) -> dict[str, Any]:
    """The owner's real claims (read from its token), with `changes` applied."""
    real = jwt.decode(world.tokens["owner"], options={"verify_signature": False})
    now = int(time.time())
    return {**real, "iat": now, "exp": now + 600, **changes}


def _signed(world: World, claims: dict[str, Any], **header: Any) -> str:
    kid, key = next(iter(load_token_keys(world.folder).keys.items()))
    return jwt.encode(claims, key, algorithm="HS256", headers={"kid": kid, **header})


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _hmac_signed(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    """Signed by hand: PyJWT itself refuses a PEM key as an HMAC secret."""
    signing_input = f"{_b64(header)}.{_b64(claims)}"
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def forgeries(world: World) -> dict[str, str]:
    kid = jwt.get_unverified_header(world.tokens["owner"])["kid"]
    claims = _claims(world)
    private = _rsa()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    attacker = b"attacker-chosen-secret-of-32-bytes!!"
    now = int(time.time())
    return {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}."
        f"{_b64(claims)}.",
        "alg None, signature kept": f"{_b64({'alg': 'None', 'kid': kid})}."
        f"{_b64(claims)}.{world.tokens['owner'].split('.')[2]}",
        "RS256 with our kid": jwt.encode(
            claims, private, algorithm="RS256", headers={"kid": kid}
        ),
        "HS256 keyed with a public key": _hmac_signed(
            {"alg": "HS256", "typ": "JWT", "kid": kid}, claims, public_pem
        ),
        "expired by 61 s": _signed(world, _claims(world, iat=now - 961, exp=now - 61)),
        "wrong audience": _signed(world, _claims(world, aud="another-api")),
        "wrong issuer": _signed(world, _claims(world, iss="https://evil.example")),
        "no expiry": _signed(
            world, {k: v for k, v in _claims(world).items() if k != "exp"}
        ),
        "key in the header (jwk)": jwt.encode(
            claims,
            attacker,
            algorithm="HS256",
            headers={
                "kid": "mine",
                "jwk": {"kty": "oct", "k": base64.urlsafe_b64encode(attacker).decode()},
            },
        ),
        "key by URL (jku)": jwt.encode(
            claims,
            attacker,
            algorithm="HS256",
            headers={"kid": kid, "jku": "http://127.0.0.1:9/keys.json"},
        ),
        "another workspace claimed": _signed(
            world, _claims(world, workspace=int(claims["workspace"]) + 1)
        ),
    }


def test_a_real_token_opens_the_endpoint(world: World) -> None:
    answer = httpx.get(f"{world.base}/api/v1/workspace", headers=world.headers("owner"))
    assert answer.status_code == 200
    real = jwt.decode(world.tokens["owner"], options={"verify_signature": False})
    assert (real["iss"], real["aud"]) == (ISSUER, AUDIENCE)


def test_tokens_are_answered_never_to_be_cached(world: World) -> None:
    answer = sign_in(world.base, "owner@example.com")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["pragma"] == "no-cache"


def test_every_forged_token_is_refused_with_401(world: World) -> None:
    accepted = {}
    for name, token in forgeries(world).items():
        answer = httpx.get(
            f"{world.base}/api/v1/workspace",
            headers={"Authorization": f"Bearer {token}"},
        )
        if answer.status_code != 401:
            accepted[name] = (answer.status_code, answer.text[:200])
            continue
        assert answer.headers["content-type"] == "application/problem+json", name
        assert answer.json()["code"] == "invalid_token", (name, answer.text)
        assert token not in answer.text
    assert accepted == {}
