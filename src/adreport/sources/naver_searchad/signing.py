"""Naver Search Ad request signing: every request carries an HMAC-SHA256 signature.

The platform signs "{timestamp}.{METHOD}.{path}" with the secret key and sends
the base64 digest as X-Signature, beside X-Timestamp (milliseconds since the
epoch), X-API-KEY (the access licence) and X-Customer (the customer id). The
path is the URL path alone, without the query string. The secret key stays in
this object: it is never put on a request, in a message or in a log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable

import httpx

TIMESTAMP = "X-Timestamp"
API_KEY = "X-API-KEY"
CUSTOMER = "X-Customer"
SIGNATURE = "X-Signature"


def signature(secret_key: str, timestamp: str, method: str, path: str) -> str:
    """The X-Signature value for one request, as the platform computes it."""
    message = f"{timestamp}.{method.upper()}.{path}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def now_millis() -> int:
    return int(time.time() * 1000)


class NaverSignature:
    """The `Auth` of a Naver connection: signs each request just before it is sent.

    A fresh timestamp is taken at every `prepare`, so a request the engine sends
    again after a wait is signed anew and is never refused as stale.
    """

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        clock_millis: Callable[[], int] = now_millis,
    ):
        self.api_key = api_key
        self._secret_key = secret_key
        self._clock_millis = clock_millis

    def __repr__(self) -> str:
        return "NaverSignature(<credentials hidden>)"

    async def prepare(self, request: httpx.Request, http: httpx.AsyncClient) -> None:
        timestamp = str(self._clock_millis())
        request.headers[TIMESTAMP] = timestamp
        request.headers[API_KEY] = self.api_key
        request.headers[SIGNATURE] = signature(
            self._secret_key, timestamp, request.method, request.url.path
        )

    async def expired(self, http: httpx.AsyncClient) -> None:
        """Signatures do not expire as tokens do; the next prepare signs anew."""
