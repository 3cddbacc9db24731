"""Long-lived Meta access tokens, exchanged for fresh ones before they lapse.

Meta has no refresh token: a long-lived user token (about 60 days) is exchanged
for a new one at `/oauth/access_token` with `grant_type=fb_exchange_token`, while
it is still valid. System-user tokens never expire (`expires_at` 0). The expiry is
read once from `/debug_token`. A token Meta has invalidated (code 190) cannot be
exchanged: the connection needs re-authorisation. Each request also carries
`appsecret_proof`, the token's HMAC-SHA256 under the app secret, as Meta advises.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime, timedelta

import httpx

from adreport.sources.base import ErrorKind, SyncError
from adreport.sources.engine.clock import Clock, RealClock
from adreport.sources.meta import errors

log = logging.getLogger(__name__)

# Exchange a day before expiry: daily syncs then never meet an expired token.
REFRESH_MARGIN = timedelta(days=1)


class LongLivedTokenAuth:
    def __init__(
        self,
        graph_url: str,
        app_id: str,
        app_secret: str,
        access_token: str,
        clock: Clock | None = None,
    ):
        self.graph_url = graph_url.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.access_token = access_token
        self.first_token = access_token
        self.clock: Clock = clock or RealClock()
        self.expires_at: datetime | None = None
        self.checked = False
        self.exchanges = 0

    def use_clock(self, clock: Clock) -> None:
        self.clock = clock

    @property
    def token_changed(self) -> bool:
        """True once a new token was issued: the connection should store it."""
        return self.access_token != self.first_token

    async def prepare(self, request: httpx.Request, http: httpx.AsyncClient) -> None:
        if not self.checked:
            await self._read_expiry(http)
        if self.expires_at is not None and self.clock.now() >= (
            self.expires_at - REFRESH_MARGIN
        ):
            await self.exchange(http)
        request.headers["Authorization"] = f"Bearer {self.access_token}"
        url = request.url.copy_remove_param("appsecret_proof")
        request.url = url.copy_add_param("appsecret_proof", self.proof())

    async def expired(self, http: httpx.AsyncClient) -> None:
        await self.exchange(http)

    def proof(self) -> str:
        key = self.app_secret.encode()
        return hmac.new(key, self.access_token.encode(), hashlib.sha256).hexdigest()

    async def _read_expiry(self, http: httpx.AsyncClient) -> None:
        response = await self._call(
            http,
            "/debug_token",
            {
                "input_token": self.access_token,
                "access_token": f"{self.app_id}|{self.app_secret}",
            },
        )
        data = response.json().get("data", {})
        self.checked = True
        stamp = int(data.get("expires_at") or 0)
        if not data.get("is_valid", True):
            # Perhaps expired moments ago: one exchange may still bring it back.
            self.expires_at = self.clock.now()
        elif stamp:
            self.expires_at = datetime.fromtimestamp(stamp, UTC)

    async def exchange(self, http: httpx.AsyncClient) -> None:
        """Swap the token for a fresh long-lived one; refused means re-authorise."""
        response = await self._call(
            http,
            "/oauth/access_token",
            {
                "grant_type": "fb_exchange_token",
                "client_id": self.app_id,
                "client_secret": self.app_secret,
                "fb_exchange_token": self.access_token,
            },
        )
        body = response.json()
        self.access_token = str(body["access_token"])
        lifetime = float(body.get("expires_in") or 0)
        self.expires_at = (
            self.clock.now() + timedelta(seconds=lifetime) if lifetime else None
        )
        self.exchanges += 1
        log.info("Meta access token exchanged; valid for %.0f days", lifetime / 86400)

    async def _call(
        self, http: httpx.AsyncClient, path: str, params: dict[str, str]
    ) -> httpx.Response:
        try:
            response = await http.get(f"{self.graph_url}{path}", params=params)
        except httpx.TransportError as exc:
            raise SyncError(
                ErrorKind.RETRY, f"Meta {path} unreachable: {type(exc).__name__}"
            ) from exc
        verdict = errors.classify(response)
        if verdict is None:
            return response
        if verdict.kind in (ErrorKind.REAUTHORISE, ErrorKind.ACCESS_EXPIRED):
            raise SyncError(
                ErrorKind.REAUTHORISE,
                f"Meta refused the stored access token at {path} ({verdict.reason}): "
                "run `adreport connect meta` again with a new token",
            )
        if "client secret" in verdict.reason:
            raise SyncError(
                ErrorKind.REAUTHORISE,
                f"Meta refused the app id or app secret at {path}: "
                "run `adreport connect meta` again",
            )
        raise SyncError(verdict.kind, f"Meta {path}: {verdict.reason}")
