"""How a REST source's requests are authorised: bearer token, API key, OAuth, none.

Each keeps its secret to itself; none puts it in a message or a log.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import httpx

from adreport.errors import ConfigurationError
from adreport.sources.base import Auth, ErrorKind, SyncError
from adreport.sources.engine.clock import Clock, RealClock
from adreport.sources.rest.config import AuthConfig

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=1)


class NoAuth:
    async def prepare(self, request: httpx.Request, http: httpx.AsyncClient) -> None:
        return None

    async def expired(self, http: httpx.AsyncClient) -> None:
        return None


class BearerToken:
    """A long-lived token sent as `Authorization: Bearer ...`."""

    def __init__(self, token: str):
        self._token = token

    def __repr__(self) -> str:
        return "BearerToken(<hidden>)"

    async def prepare(self, request: httpx.Request, http: httpx.AsyncClient) -> None:
        request.headers["Authorization"] = f"Bearer {self._token}"

    async def expired(self, http: httpx.AsyncClient) -> None:
        raise SyncError(
            ErrorKind.REAUTHORISE,
            "the API refused the bearer token: run `adreport connect rest` again "
            "with a valid token",
        )


class ApiKeyHeader:
    """A key sent in a header of the API's choosing."""

    def __init__(self, header: str, key: str):
        self.header = header
        self._key = key

    def __repr__(self) -> str:
        return f"ApiKeyHeader({self.header}: <hidden>)"

    async def prepare(self, request: httpx.Request, http: httpx.AsyncClient) -> None:
        request.headers[self.header] = self._key

    async def expired(self, http: httpx.AsyncClient) -> None:
        raise SyncError(
            ErrorKind.REAUTHORISE,
            f"the API refused the key in {self.header}: run `adreport connect rest` "
            "again with a valid key",
        )


class ClientCredentials:
    """OAuth 2.0 client credentials (RFC 6749 4.4): a token fetched, reused, renewed."""

    def __init__(
        self, token_url: str, client_id: str, client_secret: str, scope: str = ""
    ):
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = scope
        self.clock: Clock = RealClock()
        self._token: str | None = None
        self._expires_at: datetime | None = None

    def __repr__(self) -> str:
        return f"ClientCredentials({self.client_id}, <secret hidden>)"

    def use_clock(self, clock: Clock) -> None:
        self.clock = clock

    async def prepare(self, request: httpx.Request, http: httpx.AsyncClient) -> None:
        expiring = self._expires_at is not None and (
            self.clock.now() >= self._expires_at - REFRESH_MARGIN
        )
        if self._token is None or expiring:
            await self.expired(http)
        request.headers["Authorization"] = f"Bearer {self._token}"

    async def expired(self, http: httpx.AsyncClient) -> None:
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        try:
            response = await http.post(
                self.token_url, data=form, auth=(self.client_id, self._client_secret)
            )
        except httpx.TransportError as exc:
            raise SyncError(
                ErrorKind.RETRY, f"token endpoint unreachable: {type(exc).__name__}"
            ) from exc
        self._accept(response)

    def _accept(self, response: httpx.Response) -> None:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if (
            response.status_code != 200
            or not isinstance(body, dict)
            or ("access_token" not in body)
        ):
            code = body.get("error") if isinstance(body, dict) else None
            kind = (
                ErrorKind.RETRY
                if response.status_code >= 500
                else ErrorKind.REAUTHORISE
            )
            raise SyncError(
                kind,
                f"the token endpoint answered {code or response.status_code}: check "
                "the client id and secret (`adreport connect rest`)",
            )
        self._token = str(body["access_token"])
        lifetime = float(body.get("expires_in") or 3600)
        self._expires_at = self.clock.now() + timedelta(seconds=lifetime)
        log.info("REST source token fetched; valid for %.0f s", lifetime)


def make_auth(config: AuthConfig, secrets: dict[str, str]) -> Auth:
    """The Auth the config names, with its secret from the stored connection."""
    needed = {
        "bearer": "token",
        "api-key": "api-key",
        "oauth-client-credentials": "client-secret",
    }.get(config.type)
    if needed and not secrets.get(needed):
        raise ConfigurationError(
            f"[auth] type = {config.type!r} needs a secret --{needed}: give it to "
            "`adreport connect rest`"
        )
    if config.type == "bearer":
        return BearerToken(secrets["token"])
    if config.type == "api-key":
        return ApiKeyHeader(config.header, secrets["api-key"])
    if config.type == "oauth-client-credentials":
        return ClientCredentials(
            config.token_url, config.client_id, secrets["client-secret"], config.scope
        )
    return NoAuth()
