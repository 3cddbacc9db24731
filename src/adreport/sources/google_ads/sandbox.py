"""A local Google Ads API: OAuth token endpoint, REST search and searchStream, faults.

It speaks the documented REST shapes of the pinned version: `POST
/{version}/customers/{id}/googleAds:searchStream` answers a JSON array of batches
(`results`, `fieldMask`, `requestId`), `googleAds:search` pages with
`pageToken` / `nextPageToken`, `GET /{version}/customers:listAccessibleCustomers`
names the customers, and `POST /token` trades a refresh token for an access token.
Every request needs `Authorization: Bearer`, the `developer-token` header and, when
given, a `login-customer-id` that manages the customer. Errors carry the API's body:
`error.code`, `error.status` and a `GoogleAdsFailure` with `errors[].errorCode`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from adreport.sources.google_ads import gaql
from adreport.sources.google_ads.sandbox_query import answer, check, field_mask
from adreport.sources.google_ads.sandbox_world import MANAGER_ID, World, build_world
from adreport.sources.sandbox import FaultPlan, SandboxControl
from adreport.sources.versions import GOOGLE_ADS_API

FAULTS = frozenset(
    {
        "rate-limit",
        "rate-limit-no-wait",
        "server-error",
        "quota",
        "expire-page-token",
        "empty-page-next",
        "token-expiry",
        "revoked",
        "bad-field",
    }
)
CLIENT_ID = "4096-sandbox.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-sandbox-client-secret"  # noqa: S105 (sandbox credential)
REFRESH_TOKEN = "1//0sandbox-refresh-token"  # noqa: S105 (sandbox credential)
DEVELOPER_TOKEN = "sandbox-developer-token"  # noqa: S105 (sandbox credential)
TOKEN_LIFETIME = 3599
BATCH_ROWS = 10_000  # rows per searchStream batch and per search page, as the API
RATE_LIMIT_DELAY = "3s"
QUOTA_DELAY = "30s"
# Fields the `bad-field` fault makes disappear, the way a new API version drops one.
DRIFTING = ("metrics.conversions_value", "metrics.all_conversions")


def sandbox_connection(base_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """Settings and secrets of a connection to the sandbox at `base_url`.

    Paged `googleAds:search` is used so the paging faults have pages to act on;
    real connections default to `searchStream`.
    """
    settings = {
        "client_id": CLIENT_ID,
        "login_customer_id": MANAGER_ID,
        "customer_ids": "",
        "api_base_url": base_url.rstrip("/"),
        "token_url": base_url.rstrip("/") + "/token",
        "request": "search",
    }
    secrets_ = {
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
        "developer_token": DEVELOPER_TOKEN,
    }
    return settings, secrets_


@dataclass
class State:
    world: World
    plan: FaultPlan
    page_size: int
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry
    revoked: bool = False
    removed: set[str] = field(default_factory=set)  # fields "gone" (bad-field)
    traps: set[str] = field(default_factory=set)  # page tokens of empty-page-next
    cache: OrderedDict[str, list[dict[str, Any]]] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    control: SandboxControl | None = None

    def request_id(self) -> str:
        with self.lock:
            self.requests += 1
            number = self.requests
        digest = hashlib.sha256(f"google-ads-sandbox:{number}".encode()).digest()
        return base64.urlsafe_b64encode(digest).decode()[:22]


class APIError(Exception):
    """An error answer in the API's own shape."""

    def __init__(
        self,
        http_status: int,
        status: str,
        message: str,
        code: tuple[str, str],
        detail: str,
        **extra: Any,
    ):
        super().__init__(message)
        self.http_status = http_status
        self.status = status
        self.message = message
        self.code = code
        self.detail = detail
        self.extra = extra

    def body(self, request_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {
            "errorCode": {self.code[0]: self.code[1]},
            "message": self.detail,
            **self.extra,
        }
        failure = {
            "@type": "type.googleapis.com/google.ads.googleads."
            f"{GOOGLE_ADS_API}.errors.GoogleAdsFailure",
            "errors": [error],
            "requestId": request_id,
        }
        return {
            "error": {
                "code": self.http_status,
                "message": self.message,
                "status": self.status,
                "details": [failure],
            }
        }


def build_app(
    faults: FaultPlan | None = None,
    seed: int = 7,
    *,
    last_day: date | None = None,
    scale: int = 1,
    page_size: int = BATCH_ROWS,
) -> Starlette:
    """The sandbox for `seed`; `scale` multiplies ad groups (7: about 100k rows)."""
    plan = faults or FaultPlan.parse("", known=FAULTS, seed=seed)
    state = State(build_world(seed, last_day, scale), plan, page_size)
    control = SandboxControl(plan, lambda account, day: _restate(state, account, day))
    state.control = control
    api = f"/{GOOGLE_ADS_API}/customers"
    routes = [
        Route("/token", _endpoint(state, control, _token), methods=["POST"]),
        Route(
            f"{api}:listAccessibleCustomers",
            _endpoint(state, control, _list_customers),
            methods=["GET"],
        ),
        Route(
            api + "/{customer_id}/googleAds:search",
            _endpoint(state, control, _search),
            methods=["POST"],
        ),
        Route(
            api + "/{customer_id}/googleAds:searchStream",
            _endpoint(state, control, _search_stream),
            methods=["POST"],
        ),
        Route("/__sandbox/totals", _endpoint(state, control, _totals)),
        *control.routes(),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = state
    app.state.world = state.world
    return app


def _restate(state: State, account_id: str, day: date) -> dict[str, object]:
    with state.lock:
        state.cache.clear()
        totals = state.world.restate(account_id.replace("-", ""), day)
    return {k: str(v) for k, v in totals.items()}


def _endpoint(state: State, control: SandboxControl, handler: Any) -> Any:
    async def run(request: Request) -> Response:
        control.count(handler.__name__.lstrip("_"))
        request_id = state.request_id()
        try:
            return await handler(state, request, request_id)  # type: ignore[no-any-return]
        except APIError as exc:
            body: Any = exc.body(request_id)
            if request.url.path.endswith(":searchStream"):
                body = [body]  # the stream's errors come as a one-element array
            return JSONResponse(body, status_code=exc.http_status)

    return run


async def _token(state: State, request: Request, request_id: str) -> Response:
    form = await request.form()
    in_form = (form.get("client_id"), form.get("client_secret"))
    client = _basic_client(request) or in_form
    if client != (CLIENT_ID, CLIENT_SECRET):
        return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
    if form.get("grant_type") != "refresh_token":
        return _oauth_error(400, "unsupported_grant_type", "Invalid grant_type.")
    if state.plan.fires("revoked"):
        state.revoked = True
    if state.revoked or form.get("refresh_token") != REFRESH_TOKEN:
        return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
    token = "ya29.sandbox-" + secrets.token_urlsafe(24)
    state.tokens[token] = time.time() + TOKEN_LIFETIME
    return JSONResponse(
        {
            "access_token": token,
            "expires_in": TOKEN_LIFETIME,
            "scope": "https://www.googleapis.com/auth/adwords",
            "token_type": "Bearer",
        }
    )


def _basic_client(request: Request) -> tuple[str, str] | None:
    """Client id and secret sent as HTTP Basic credentials (RFC 6749 2.3.1)."""
    header = request.headers.get("authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:]).decode()
    except ValueError:
        return None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def _oauth_error(status: int, error: str, description: str) -> Response:
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status
    )


async def _list_customers(state: State, request: Request, request_id: str) -> Response:
    _authorised(state, request)
    _common_faults(state)
    names = [f"customers/{cid}" for cid in state.world.customers]
    return JSONResponse({"resourceNames": names})


async def _search(state: State, request: Request, request_id: str) -> Response:
    customer_id, query, body = await _query(state, request)
    token = str(body.get("pageToken") or "")
    if "pageSize" in body:
        raise _request_error(
            "PAGE_SIZE_NOT_SUPPORTED", "Setting page size is not supported."
        )
    if token in state.traps:
        if state.control is not None:
            state.control.count("empty page followed")
        return JSONResponse(_page([], token, query, request_id))
    start = _offset(state, token, customer_id, query) if token else 0
    if state.plan.fires("empty-page-next"):
        trap = _page_token(customer_id, query, start) + "~empty"
        state.traps.add(trap)
        return JSONResponse(_page([], trap, query, request_id))
    rows = _rows(state, customer_id, query)
    end = start + state.page_size
    following = _page_token(customer_id, query, end) if end < len(rows) else ""
    return JSONResponse(_page(rows[start:end], following, query, request_id))


def _page(
    rows: list[dict[str, Any]], next_token: str, query: gaql.Query, request_id: str
) -> dict[str, Any]:
    page: dict[str, Any] = {}
    if rows:  # an empty repeated field is left out of proto3 JSON
        page["results"] = rows
    if next_token:
        page["nextPageToken"] = next_token
    page["fieldMask"] = field_mask(query)
    page["requestId"] = request_id
    page["queryResourceConsumption"] = str(max(1, len(rows) // 100))
    return page


async def _search_stream(state: State, request: Request, request_id: str) -> Response:
    customer_id, query, _ = await _query(state, request)
    rows = _rows(state, customer_id, query)
    mask = field_mask(query)

    async def batches() -> AsyncIterator[bytes]:
        yield b"["
        starts = range(0, max(len(rows), 1), BATCH_ROWS)
        for index, start in enumerate(starts):
            batch: dict[str, Any] = {}
            if rows:
                batch["results"] = rows[start : start + BATCH_ROWS]
            batch["fieldMask"] = mask
            batch["requestId"] = request_id
            if index == len(starts) - 1:
                batch["queryResourceConsumption"] = str(max(1, len(rows) // 100))
            separator = b"," if index else b""
            yield separator + json.dumps(batch, ensure_ascii=False).encode()
        yield b"]"

    return StreamingResponse(batches(), media_type="application/json; charset=UTF-8")


async def _query(
    state: State, request: Request
) -> tuple[str, gaql.Query, dict[str, Any]]:
    """Check who asks and what, and apply the faults a search request may meet."""
    _authorised(state, request)
    customer_id = request.path_params["customer_id"]
    _may_read(state, request, customer_id)
    _common_faults(state)
    manager = state.world.customers[customer_id].manager
    try:
        body = await request.json()
    except ValueError:
        raise _request_error("INVALID_INPUT", "The request body is not JSON.") from None
    if not isinstance(body, dict) or not body.get("query"):
        raise _request_error("REQUIRED_FIELD_MISSING", "The query field is required.")
    if body.get("pageToken") and state.plan.fires("expire-page-token"):
        raise _request_error("EXPIRED_PAGE_TOKEN", "Page token has expired.")
    query = _parsed(state, str(body["query"]))
    if manager and any(name.startswith("metrics.") for name in query.mentioned):
        raise APIError(
            400,
            "INVALID_ARGUMENT",
            "Request contains an invalid argument.",
            ("queryError", "REQUESTED_METRICS_FOR_MANAGER"),
            "Metrics cannot be requested for a manager account. To retrieve "
            "metrics, issue separate requests against each client account under "
            "the manager account.",
        )
    return customer_id, query, body


def _parsed(state: State, text: str) -> gaql.Query:
    try:
        query = gaql.parse(text)
        drifting = [f for f in DRIFTING if f in query.mentioned]
        if drifting and state.plan.fires("bad-field"):
            state.removed.add(drifting[0])
        check(query, state.removed)
    except gaql.GAQLError as exc:
        trigger = {"trigger": {"stringValue": exc.trigger}} if exc.trigger else {}
        raise APIError(
            400,
            "INVALID_ARGUMENT",
            "Request contains an invalid argument.",
            ("queryError", exc.code),
            str(exc),
            **trigger,
        ) from None
    return query


def _rows(state: State, customer_id: str, query: gaql.Query) -> list[dict[str, Any]]:
    key = f"{customer_id}|{query}"
    with state.lock:
        cached = state.cache.get(key)
    if cached is not None:
        return cached
    rows = answer(state.world, customer_id, query)
    with state.lock:
        state.cache[key] = rows
        while len(state.cache) > 8:
            state.cache.popitem(last=False)
    return rows


def _page_token(customer_id: str, query: gaql.Query, offset: int) -> str:
    digest = hashlib.sha256(f"{customer_id}|{query}".encode()).hexdigest()[:16]
    raw = json.dumps({"q": digest, "o": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _offset(state: State, token: str, customer_id: str, query: gaql.Query) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        offset = int(json.loads(raw)["o"])
    except (ValueError, KeyError, TypeError):
        raise _request_error("INVALID_PAGE_TOKEN", "Page token is invalid.") from None
    if _page_token(customer_id, query, offset) != token:
        raise _request_error(
            "INVALID_PAGE_TOKEN", "Page token does not belong to this query."
        )
    return offset


def _authorised(state: State, request: Request) -> None:
    header = request.headers.get("authorization", "")
    token = header.removeprefix("Bearer ").strip()
    expiry = state.tokens.get(token)
    if expiry is None:
        raise _unauthenticated(
            "OAUTH_TOKEN_INVALID", "OAuth token in the header is not valid."
        )
    if expiry < time.time() or state.plan.fires("token-expiry"):
        state.tokens[token] = 0.0
        raise _unauthenticated(
            "OAUTH_TOKEN_EXPIRED", "OAuth token in the header has expired."
        )
    if request.headers.get("developer-token") != DEVELOPER_TOKEN:
        raise _unauthenticated(
            "DEVELOPER_TOKEN_INVALID", "The developer token is not valid."
        )


def _may_read(state: State, request: Request, customer_id: str) -> None:
    login = request.headers.get("login-customer-id", "")
    allowed = customer_id in state.world.customers
    allowed = allowed and login in ("", MANAGER_ID, customer_id)
    if not allowed:
        raise APIError(
            403,
            "PERMISSION_DENIED",
            "The caller does not have permission",
            ("authorizationError", "USER_PERMISSION_DENIED"),
            "User doesn't have permission to access customer. Note: If you're "
            "accessing a client customer, the manager's customer id must be set in "
            "the 'login-customer-id' header.",
        )


def _common_faults(state: State) -> None:
    """Rate limits, quota and server errors, which any API request may meet."""
    if state.plan.fires("rate-limit"):
        raise _exhausted("RESOURCE_TEMPORARILY_EXHAUSTED", "ACCOUNT", RATE_LIMIT_DELAY)
    if state.plan.fires("rate-limit-no-wait"):
        raise _exhausted("RESOURCE_TEMPORARILY_EXHAUSTED", "ACCOUNT", None)
    if state.plan.fires("quota"):
        raise _exhausted("RESOURCE_EXHAUSTED", "DEVELOPER", QUOTA_DELAY)
    if state.plan.fires("server-error"):
        raise APIError(
            500,
            "INTERNAL",
            "Internal error encountered.",
            ("internalError", "INTERNAL_ERROR"),
            "An internal error has occurred.",
        )


def _exhausted(code: str, scope: str, delay: str | None) -> APIError:
    details: dict[str, Any] = {
        "rateScope": scope,
        "rateName": "Number of operations for explorer access",
    }
    if delay is not None:
        details["retryDelay"] = delay
    return APIError(
        429,
        "RESOURCE_EXHAUSTED",
        "Resource has been exhausted (e.g. check quota).",
        ("quotaError", code),
        "Too many requests. Retry in " + (delay or "a while") + ".",
        details={"quotaErrorDetails": details},
    )


def _unauthenticated(code: str, detail: str) -> APIError:
    return APIError(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access "
        "token, login cookie or other valid authentication credential.",
        ("authenticationError", code),
        detail,
    )


def _request_error(code: str, detail: str) -> APIError:
    return APIError(
        400,
        "INVALID_ARGUMENT",
        "Request contains an invalid argument.",
        ("requestError", code),
        detail,
    )


async def _totals(state: State, request: Request, request_id: str) -> Response:
    """The seeded sums of a customer's days (for tests and the demo's checks)."""
    customer_id = request.query_params.get("customer_id", "")
    first = date.fromisoformat(request.query_params.get("from", "1900-01-01"))
    last = date.fromisoformat(request.query_params.get("to", "2999-12-31"))
    totals = state.world.totals(customer_id, first, last)
    return JSONResponse({k: str(v) for k, v in totals.items()})
