"""A plain paged JSON API for the REST connector: bearer auth, Retry-After 429s.

GET /v1/report?since=YYYY-MM-DD&until=YYYY-MM-DD answers campaign-day records
in pages (`per_page`, default 1000), reachable by any of `page` (from 1),
`offset`, or the opaque `cursor` of the previous answer; each answer also holds
`links.next`. Records are serialised once when the app is built, so an answer
costs a join of ready bytes and 100,000 records are served in a blink.

Auth: `Authorization: Bearer <token>`, or `X-API-Key: <key>`; POST /oauth/token
gives the token to a client with the right id and secret (client credentials).
Faults: rate-limit (429 with Retry-After), rate-limit-no-wait, server-error
(503), usage-high (X-RateLimit-Remaining at 5 %), empty-page-next (an empty
page that still names a next cursor and link).
"""

from __future__ import annotations

import base64
import bisect
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adreport.sources.sandbox import FaultPlan, SandboxControl

FAULTS = frozenset(
    {
        "rate-limit",
        "rate-limit-no-wait",
        "server-error",
        "usage-high",
        "empty-page-next",
    }
)
TOKEN = "sandbox-bearer-token"  # noqa: S105 (the sandbox's own, published)
API_KEY = "sandbox-api-key"
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105
CONFIG = Path(__file__).with_name("sandbox.toml")
ACCOUNT_ID = "shop-de"
LIMIT = 1000
MAX_PER_PAGE = 10_000
NAMES = (
    "Sommer Sale",
    "Marke",
    "Neukunden",
    "Retargeting",
    "Winterjacken",
    "Gutschein",
)


@dataclass
class ShopRecord:
    day: date
    campaign: int
    impressions: int
    clicks: int
    cost_micros: int
    conversions: float
    value_micros: int

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "campaign": {
                "id": f"c-{self.campaign:05d}",
                "name": f"{NAMES[self.campaign % len(NAMES)]} {self.campaign}",
                "status": "active",
            },
            "impressions": self.impressions,
            "clicks": self.clicks,
            "cost_micros": self.cost_micros,
            "conversions": self.conversions,
            "value_micros": self.value_micros,
        }


def make_records(count: int, days: int, last_day: date, seed: int) -> list[ShopRecord]:
    """`count` campaign-days spread over `days` days, by day then campaign."""
    per_day = -(-count // days)
    first = last_day - timedelta(days=days - 1)
    records = []
    for i in range(count):
        day, campaign = divmod(i, per_day)
        n = i * 7919 + seed * 104729
        impressions = n % 5000 + 100
        clicks = impressions * (n % 37 + 1) // 1000
        conversions = round(clicks / (n % 11 + 9), 2)
        records.append(
            ShopRecord(
                day=first + timedelta(days=day),
                campaign=campaign + 1,
                impressions=impressions,
                clicks=clicks,
                cost_micros=clicks * (200_000 + n % 13 * 50_000),
                conversions=conversions,
                value_micros=int(conversions * 45_000_000),
            )
        )
    return records


class ShopSandbox:
    def __init__(self, plan: FaultPlan, records: list[ShopRecord]):
        self.plan = plan
        self.records = records
        self.encoded = [_encode(r) for r in records]
        self.days = [r.day for r in records]
        self.control = SandboxControl(plan, self.restate)

    def restate(self, account_id: str, day: date) -> dict[str, Any]:
        if account_id != ACCOUNT_ID:
            raise KeyError(f"no account {account_id!r}; the sandbox has {ACCOUNT_ID}")
        lo, hi = bisect.bisect_left(self.days, day), bisect.bisect_right(self.days, day)
        for i in range(lo, hi):
            r = self.records[i]
            r.conversions = round(r.conversions + 1, 2)
            r.value_micros += 45_000_000
            r.cost_micros -= r.cost_micros // 50
            self.encoded[i] = _encode(r)
        return {"account_id": account_id, "date": day.isoformat(), "rows": hi - lo}

    def totals(
        self, since: date | None = None, until: date | None = None
    ) -> dict[str, Any]:
        chosen = [
            r
            for r in self.records
            if (since is None or r.day >= since) and (until is None or r.day <= until)
        ]
        return {
            "rows": len(chosen),
            "impressions": sum(r.impressions for r in chosen),
            "clicks": sum(r.clicks for r in chosen),
            "cost_micros": sum(r.cost_micros for r in chosen),
            "value_micros": sum(r.value_micros for r in chosen),
        }

    def authorised(self, request: Request) -> bool:
        bearer = request.headers.get("Authorization", "")
        return (
            bearer == f"Bearer {TOKEN}" or request.headers.get("X-API-Key") == API_KEY
        )

    async def token(self, request: Request) -> Response:
        self.control.count("token")
        form = await request.form()
        given = request.headers.get("Authorization", "")
        expected = (
            "Basic "
            + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        )
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if given != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        return JSONResponse(
            {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600}
        )

    async def report(self, request: Request) -> Response:
        self.control.count("report")
        if not self.authorised(request):
            return JSONResponse(
                {"error": "invalid_token", "message": "send Authorization: Bearer"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        failed = self._fault()
        if failed is not None:
            return failed
        try:
            ask = _ask(request)
        except ValueError as exc:
            return JSONResponse({"error": "bad_request", "message": str(exc)}, 400)
        return self._page(request, *ask)

    def _fault(self) -> Response | None:
        if self.plan.fires("rate-limit"):
            return _too_many(wait=True)
        if self.plan.fires("rate-limit-no-wait"):
            return _too_many(wait=False)
        if self.plan.fires("server-error"):
            return JSONResponse({"error": "unavailable"}, status_code=503)
        return None

    def _page(
        self, request: Request, since: date, until: date, start: int, size: int
    ) -> Response:
        lo = bisect.bisect_left(self.days, since)
        hi = bisect.bisect_right(self.days, until)
        first = lo + start
        last = min(hi, first + size)
        chosen = self.encoded[first:last] if first < hi else []
        following = last - lo if last < hi else None
        if self.plan.fires("empty-page-next"):
            chosen, following = [], start
        next_cursor = _cursor(following) if following is not None else None
        link = None
        if next_cursor:
            link = (
                f"/v1/report?since={since}&until={until}"
                f"&cursor={next_cursor}&per_page={size}"
            )
        tail = json.dumps(
            {
                "paging": {
                    "per_page": size,
                    "total": hi - lo,
                    "next_cursor": next_cursor,
                },
                "links": {"next": link},
            }
        ).encode()
        body = b'{"data":[' + b",".join(chosen) + b"]," + tail[1:]
        remaining = LIMIT // 20 if self.plan.fires("usage-high") else LIMIT - 100
        headers = {
            "X-RateLimit-Limit": str(LIMIT),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": "60",
        }
        return Response(body, media_type="application/json", headers=headers)


def _encode(record: ShopRecord) -> bytes:
    return json.dumps(record.as_json(), separators=(",", ":")).encode()


def _cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode()


def _ask(request: Request) -> tuple[date, date, int, int]:
    """(since, until, first record of the page, page size) from the query."""
    query = request.query_params
    since = date.fromisoformat(query.get("since", ""))
    until = date.fromisoformat(query.get("until", ""))
    size = int(query.get("per_page", "1000"))
    if not 1 <= size <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be 1..{MAX_PER_PAGE}")
    if "cursor" in query:
        text = base64.urlsafe_b64decode(query["cursor"].encode()).decode()
        if not text.startswith("pos:"):
            raise ValueError("cursor is not one this API gave")
        return since, until, int(text[4:]), size
    if "offset" in query:
        return since, until, int(query["offset"]), size
    return since, until, (int(query.get("page", "1")) - 1) * size, size


def _too_many(wait: bool) -> Response:
    headers = {"Retry-After": "1"} if wait else {}
    return JSONResponse(
        {"error": "rate_limited", "message": "too many requests"},
        status_code=429,
        headers=headers,
    )


def build_app(
    faults: FaultPlan | None = None,
    seed: int = 7,
    *,
    records: int = 20_000,
    days: int = 90,
    last_day: date | None = None,
) -> Starlette:
    """The sandbox as an ASGI app; `app.state.sandbox` holds its records."""
    plan = faults or FaultPlan.parse("", known=FAULTS)
    last = last_day or datetime.now(UTC).date() - timedelta(days=1)
    sandbox = ShopSandbox(plan, make_records(records, days, last, seed))
    app = Starlette(
        routes=[
            *sandbox.control.routes(),
            Route("/v1/report", sandbox.report, methods=["GET"]),
            Route("/oauth/token", sandbox.token, methods=["POST"]),
        ]
    )
    app.state.sandbox = sandbox
    return app


def sandbox_connection(base_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """Settings and secrets of a connection to a sandbox at `base_url`."""
    return {"config": str(CONFIG), "base-url": base_url}, {"token": TOKEN}
