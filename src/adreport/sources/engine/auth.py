"""OAuth 2.0 access tokens from a stored refresh token (RFC 6749 section 6).

The access token is refreshed a minute before it expires, so no request is sent
with a token about to lapse; a platform that still answers "expired" gets one
refresh and one more try. `invalid_grant` means the user revoked the grant or it
lapsed: retrying cannot help, so it becomes SyncError(REAUTHORISE) at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import httpx

from adreport.sources.base import ErrorKind, SyncError
from adreport.sources.engine.clock import Clock, RealClock

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=1)
DEFAULT_LIFETIME = 3600  # seconds, when the token answer names none


class OAuth2RefreshAuth:
    """Bearer tokens for one connection, refreshed through its token endpoint."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        clock: Clock | None = None,
    ):
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.first_refresh_token = refresh_token
        self.clock: Clock = clock or RealClock()
        self.access_token: str | None = None
        self.expires_at: datetime | None = None
        self.refreshes = 0

    def use_clock(self, clock: Clock) -> None:
        """The engine hands its clock over, so expiry follows a test's fake time."""
        self.clock = clock

    @property
    def refresh_token_rotated(self) -> bool:
        """True once the platform issued a new refresh token (store it)."""
        return self.refresh_token != self.first_refresh_token

    async def prepare(self, request: httpx.Request, http: httpx.AsyncClient) -> None:
        if self._needs_refresh():
            await self.refresh(http)
        request.headers["Authorization"] = f"Bearer {self.access_token}"

    async def expired(self, http: httpx.AsyncClient) -> None:
        await self.refresh(http)

    def _needs_refresh(self) -> bool:
        if self.access_token is None or self.expires_at is None:
            return True
        return self.clock.now() >= self.expires_at - REFRESH_MARGIN

    async def refresh(self, http: httpx.AsyncClient) -> None:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self.refresh_token,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        try:
            response = await http.post(self.token_url, data=form)
        except httpx.TransportError as exc:
            raise SyncError(
                ErrorKind.RETRY, f"token endpoint unreachable: {type(exc).__name__}"
            ) from exc
        self._accept(response)

    def _accept(self, response: httpx.Response) -> None:
        body = _json(response)
        if response.status_code != 200 or "access_token" not in body:
            raise _token_error(response, body)
        self.access_token = str(body["access_token"])
        lifetime = float(str(body.get("expires_in") or DEFAULT_LIFETIME))
        self.expires_at = self.clock.now() + timedelta(seconds=lifetime)
        if body.get("refresh_token"):
            self.refresh_token = str(body["refresh_token"])
        self.refreshes += 1
        log.info("access token refreshed; valid for %d s", lifetime)


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _token_error(response: httpx.Response, body: dict[str, object]) -> SyncError:
    """What a failed refresh means; the answer's body is never quoted whole."""
    code = str(body.get("error", "")) or f"HTTP {response.status_code}"
    if code in ("invalid_grant", "unauthorized_client", "invalid_client"):
        return SyncError(
            ErrorKind.REAUTHORISE,
            f"the token endpoint refused the stored grant ({code}): "
            "run `adreport connect` again for this connection",
        )
    if response.status_code >= 500 or response.status_code == 429:
        return SyncError(ErrorKind.RETRY, f"token endpoint answered {code}")
    return SyncError(ErrorKind.FATAL, f"token endpoint answered {code}")
