"""A tiny ad platform of our own, served over real HTTP, and its connector.

It is small enough to read in one go and has one switch per fault the engine must
survive, so engine tests do not depend on any real platform's sandbox.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adreport.sources.base import (
    Account,
    Classified,
    ErrorKind,
    FactRecord,
    Page,
    Session,
    Slice,
    SyncError,
    Usage,
)
from adreport.sources.engine import Clock, OAuth2RefreshAuth, PageGuard

ACCOUNTS = [
    {"id": "A1", "name": "Shop US", "currency": "USD", "timezone": "America/New_York"},
    {"id": "A2", "name": "Shop KR", "currency": "KRW", "timezone": "Asia/Seoul"},
]
CAMPAIGNS = 3
PAGE_SIZE = 50
FIELDS = ("impressions", "clicks", "spend", "conversions", "f_x")


@dataclass
class TinyWorld:
    """The platform's state: data, faults switched on, and what it saw."""

    clock: Clock
    last_day: date
    days: int = 30
    faults: dict[str, int] = field(default_factory=dict)
    restated: set[tuple[str, date]] = field(default_factory=set)
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expires at
    log: list[tuple[float, str]] = field(default_factory=list)  # (t, what)
    issued: int = 0
    revoked: bool = False
    rejects_f_x: bool = False
    page_size: int = PAGE_SIZE
    fault_on_call: dict[int, str] = field(default_factory=dict)  # stats call -> fault
    fault_on_cursor: dict[int, str] = field(default_factory=dict)  # first time
    stats_calls: int = 0

    def elapsed(self) -> float:
        return (self.clock.now() - self.start).total_seconds()

    def __post_init__(self) -> None:
        self.start = self.clock.now()

    def fires(self, name: str) -> bool:
        left = self.faults.get(name, 0)
        if left:
            self.faults[name] = left - 1
        return bool(left)

    def rows(self, account: str, first: date, last: date) -> list[dict[str, Any]]:
        out = []
        day = max(first, self.last_day - timedelta(days=self.days - 1))
        while day <= min(last, self.last_day):
            for c in range(1, CAMPAIGNS + 1):
                seed = day.toordinal() * 7 + c * 13 + len(account)
                bump = 2 if (account, day) in self.restated else 1
                out.append(
                    {
                        "date": day.isoformat(),
                        "campaign_id": f"{account}-C{c}",
                        "campaign_name": f"Campaign {c}",
                        "impressions": 1000 + seed % 500,
                        "clicks": 10 + seed % 40,
                        "spend": str(Decimal(seed % 9000) / 100),
                        "conversions": str((seed % 5) * bump),
                        "f_x": 1,
                    }
                )
            day += timedelta(days=1)
        return out


def build_tiny_app(world: TinyWorld) -> Starlette:
    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        world.log.append((world.elapsed(), "token"))
        if world.revoked or form.get("refresh_token") == "revoked":
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        world.issued += 1
        access = f"at-{world.issued}"
        world.tokens[access] = world.elapsed() + 3600
        return JSONResponse({"access_token": access, "expires_in": 3600})

    def authorised(request: Request) -> JSONResponse | None:
        given = request.headers.get("authorization", "").removeprefix("Bearer ")
        expires = world.tokens.get(given)
        if expires is None or world.elapsed() >= expires or world.fires("token-expiry"):
            return JSONResponse({"error": {"code": 190}}, status_code=401)
        return None

    async def accounts(request: Request) -> JSONResponse:
        return authorised(request) or JSONResponse({"data": ACCOUNTS})

    async def stats(request: Request) -> JSONResponse:
        q = request.query_params
        cursor = int(q.get("cursor", "0"))
        world.log.append((world.elapsed(), f"stats {q['account']} {cursor}"))
        world.stats_calls += 1
        planned = world.fault_on_call.pop(world.stats_calls, None)
        planned = planned or world.fault_on_cursor.pop(cursor, None)
        if planned:
            world.faults[planned] = world.faults.get(planned, 0) + 1
        refused = authorised(request) or _fault(world, q)
        if refused is not None:
            return refused
        rows = world.rows(
            q["account"], date.fromisoformat(q["since"]), date.fromisoformat(q["until"])
        )
        size = world.page_size
        page = rows[cursor : cursor + size]
        following = cursor + size if cursor + size < len(rows) else None
        if world.fires("empty-page-next"):
            page, following = [], cursor
        fields = q.get("fields", ",".join(FIELDS)).split(",")
        body = {
            "data": [_only(row, fields) for row in page],
            "next": str(following) if following is not None else None,
        }
        headers = {}
        if world.faults.get("usage-high"):
            headers["x-usage"] = json.dumps({"used": 95, "resets_in": 600})
        return JSONResponse(body, headers=headers)

    return Starlette(
        routes=[
            Route("/token", token, methods=["POST"]),
            Route("/accounts", accounts),
            Route("/stats", stats),
        ]
    )


def _fault(world: TinyWorld, q: Any) -> JSONResponse | None:
    if world.fires("quota"):
        usage = {"used": 100, "resets_in": 720}
        return JSONResponse(
            {"error": {"code": 17, "message": "User request limit reached"}},
            status_code=400,
            headers={"x-usage": json.dumps(usage)},
        )
    if world.fires("server-error"):
        return JSONResponse({"error": {"code": 2}}, status_code=503)
    if world.rejects_f_x and "f_x" in q.get("fields", ",".join(FIELDS)).split(","):
        return JSONResponse(
            {"error": {"code": 100, "message": "nonexisting field f_x"}},
            status_code=400,
        )
    if world.fires("bad-request"):
        return JSONResponse({"error": {"code": 99, "message": "bad"}}, status_code=400)
    return None


def _only(row: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    keep = {"date", "campaign_id", "campaign_name", *fields}
    return {k: v for k, v in row.items() if k in keep}


class TinyConnector:
    """The tiny platform's connector, written the way a real one would be."""

    platform: ClassVar[str] = "other"
    lookback_days: ClassVar[int] = 7

    def __init__(self, base_url: str, refresh_token: str = "rt-1"):
        self.base_url = base_url
        self.auth = OAuth2RefreshAuth(
            f"{base_url}/token", "client-1", "client-secret-1", refresh_token
        )
        self.fields = list(FIELDS)

    def classify(self, response: httpx.Response) -> Classified | None:
        if response.status_code < 400:
            return None
        error = response.json().get("error", {})
        code, message = error.get("code"), str(error.get("message", ""))
        if code == 17:
            return Classified(ErrorKind.WAIT_FOR_QUOTA, f"code 17: {message}")
        if code == 190:
            return Classified(ErrorKind.ACCESS_EXPIRED, "code 190: token expired")
        if code == 100 and message.startswith("nonexisting field"):
            name = message.rsplit(" ", 1)[-1]
            return Classified(ErrorKind.DROP_FIELD, message, field=name)
        if response.status_code >= 500:
            return Classified(ErrorKind.RETRY, f"HTTP {response.status_code}")
        return Classified(ErrorKind.FATAL, f"code {code}: {message}")

    def usage(self, response: httpx.Response) -> Usage | None:
        header = response.headers.get("x-usage")
        if not header:
            return None
        value = json.loads(header)
        return Usage(value["used"] / 100, value.get("resets_in"))

    async def accounts(self, session: Session) -> Sequence[Account]:
        answer = await session.send(httpx.Request("GET", f"{self.base_url}/accounts"))
        return [
            Account(a["id"], a["name"], a["currency"], a["timezone"])
            for a in answer.json()["data"]
        ]

    def slices(self, account: Account, first_day: date, last_day: date) -> list[Slice]:
        parts, start = [], first_day
        while start <= last_day:
            end = min(start + timedelta(days=6), last_day)
            parts.append(Slice(account, "campaign", start, end))
            start = end + timedelta(days=1)
        return parts

    async def pull(self, session: Session, part: Slice) -> AsyncIterator[Page]:
        guard = PageGuard(session, f"stats of {part.account.account_id}")
        cursor: str | None = "0"
        while cursor is not None:
            body = await self._page(session, part, cursor)
            records = [self._record(row) for row in body["data"]]
            yield Page(records)
            cursor = guard.follow(len(records), body.get("next"))

    async def _page(self, session: Session, part: Slice, cursor: str) -> Any:
        while True:
            params = {
                "account": part.account.account_id,
                "since": part.first_day.isoformat(),
                "until": part.last_day.isoformat(),
                "cursor": cursor,
                "fields": ",".join(self.fields),
            }
            request = httpx.Request("GET", f"{self.base_url}/stats", params=params)
            sent = params["fields"].split(",")
            try:
                return (await session.send(request)).json()
            except SyncError as exc:
                if exc.kind is not ErrorKind.DROP_FIELD or exc.field not in sent:
                    raise
                if exc.field in self.fields:  # another account may have dropped it
                    self.fields.remove(exc.field)

    def _record(self, row: dict[str, Any]) -> FactRecord:
        return FactRecord(
            date=date.fromisoformat(row["date"]),
            level="campaign",
            campaign_id=row["campaign_id"],
            campaign_name=row["campaign_name"],
            impressions=row.get("impressions"),
            clicks=row.get("clicks"),
            spend=Decimal(row["spend"]) if "spend" in row else None,
            conversions=Decimal(row["conversions"]) if "conversions" in row else None,
        )
