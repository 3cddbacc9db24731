"""A local Naver Search Ad API: signed requests, the ncc tree, /stats, faults.

It checks every request as the platform does: X-API-KEY must be a known licence,
X-Customer a customer that licence may read, X-Timestamp within five minutes of
the server's clock, and X-Signature the base64 HMAC-SHA256 of
"{timestamp}.{METHOD}.{path}" under that licence's secret key. Errors come as the
platform's JSON bodies ({"code", "title", "detail"}).

Faults (spec of `adreport.sources.sandbox`): rate-limit (429 with Retry-After),
rate-limit-no-wait (429 without), server-error (500), bad-field (the stats API
stops knowing one requested field, from then on), and two of Naver's own:
clock-skew (one request is refused as stale; signed again it passes) and
bad-signature (one request's signature is refused, as with a wrong secret key).
"""

from __future__ import annotations

import hmac
import json
import time
from datetime import date, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adreport.sources.naver_searchad import world
from adreport.sources.naver_searchad.signing import (
    API_KEY,
    CUSTOMER,
    SIGNATURE,
    TIMESTAMP,
    signature,
)
from adreport.sources.sandbox import FaultPlan, SandboxControl

FAULTS = frozenset({"rate-limit", "rate-limit-no-wait", "server-error", "bad-field"})
OWN_FAULTS = frozenset({"clock-skew", "bad-signature"})
ALLOWED_SKEW_MS = 300_000
MAX_IDS = 100
KNOWN_FIELDS = frozenset(
    {
        "impCnt",
        "clkCnt",
        "salesAmt",
        "ctr",
        "cpc",
        "ccnt",
        "crto",
        "convAmt",
        "ror",
        "cpConv",
        "avgRnk",
    }
)


def error(status: int, code: int, title: str, detail: str, **headers: str) -> Response:
    body = {"code": code, "title": title, "detail": detail}
    return JSONResponse(body, status_code=status, headers=headers)


class NaverSandbox:
    """The sandbox's state: its world, its faults, what it has seen."""

    def __init__(self, plan: FaultPlan, world: dict[str, world.Customer]):
        self.plan = plan
        self.world = world
        self.control = SandboxControl(plan, self.restate)
        self.retired_fields: set[str] = set()

    def restate(self, account_id: str, day: date) -> dict[str, Any]:
        customer = self.world.get(account_id)
        if customer is None:
            raise KeyError(
                f"no customer {account_id!r}; known: {', '.join(self.world)}"
            )
        world.restate(customer, day)
        return {"account_id": account_id, "date": day.isoformat()}

    def check(self, request: Request) -> tuple[world.Customer | None, Response | None]:
        """The customer a request may read, or the platform's refusal."""
        headers = request.headers
        licence = world.LICENCES.get(headers.get(API_KEY, ""))
        if licence is None:
            return None, error(401, 401, "Unauthorized", "Invalid API key (X-API-KEY)")
        secret_key, readable = licence
        customer = self.world.get(headers.get(CUSTOMER, ""))
        if customer is None or customer.customer_id not in readable:
            return None, error(
                403, 1018, "Forbidden", "No permission to access the customer"
            )
        stamp = headers.get(TIMESTAMP, "")
        if (
            not stamp.isdigit()
            or abs(int(stamp) - time.time() * 1000) > ALLOWED_SKEW_MS
        ):
            return None, error(403, 403, "Forbidden", "Invalid timestamp: out of range")
        if self.plan.fires("clock-skew"):
            return None, error(403, 403, "Forbidden", "Invalid timestamp: out of range")
        expected = signature(secret_key, stamp, request.method, request.url.path)
        given = headers.get(SIGNATURE, "")
        if not hmac.compare_digest(expected, given) or self.plan.fires("bad-signature"):
            return None, error(403, 403, "Forbidden", "Invalid signature")
        return customer, None

    def fault(self) -> Response | None:
        if self.plan.fires("rate-limit"):
            return error(
                429,
                1016,
                "Too Many Requests",
                "너무 많은 접속을 시도 하였습니다.",
                **{"Retry-After": "1"},
            )
        if self.plan.fires("rate-limit-no-wait"):
            return error(
                429, 429, "Too Many Requests", "요청이 많아 처리할 수 없습니다."
            )
        if self.plan.fires("server-error"):
            return error(500, 500, "Internal Server Error", "일시적인 오류입니다.")
        return None

    async def handle(self, request: Request) -> Response:
        self.control.count(request.url.path)
        customer, refused = self.check(request)
        if refused is not None:
            self.control.count("refused")
            return refused
        assert customer is not None
        failed = self.fault()
        if failed is not None:
            return failed
        route = ROUTES[request.url.path]
        return route(self, customer, request)

    def campaigns(self, customer: world.Customer, request: Request) -> Response:
        return JSONResponse(
            [
                {
                    "nccCampaignId": c.campaign_id,
                    "customerId": int(customer.customer_id),
                    "name": c.name,
                    "campaignTp": c.campaign_type,
                    "status": c.status,
                    "deliveryMethod": "STANDARD",
                }
                for c in customer.campaigns
            ]
        )

    def ad_groups(self, customer: world.Customer, request: Request) -> Response:
        wanted = request.query_params.get("nccCampaignId")
        return JSONResponse(
            [
                {
                    "nccAdgroupId": g.ad_group_id,
                    "nccCampaignId": g.campaign_id,
                    "customerId": int(customer.customer_id),
                    "name": g.name,
                    "status": "ELIGIBLE",
                }
                for g in customer.ad_groups
                if wanted in (None, g.campaign_id)
            ]
        )

    def keywords(self, customer: world.Customer, request: Request) -> Response:
        wanted = request.query_params.get("nccAdgroupId")
        if wanted is None:
            return error(400, 1002, "Bad Request", "nccAdgroupId or ids is required")
        return JSONResponse(
            [
                {
                    "nccKeywordId": k.keyword_id,
                    "nccAdgroupId": k.ad_group_id,
                    "customerId": int(customer.customer_id),
                    "keyword": k.text,
                    "status": "ELIGIBLE",
                }
                for k in customer.keywords
                if k.ad_group_id == wanted
            ]
        )

    def stats(self, customer: world.Customer, request: Request) -> Response:
        try:
            ask = StatsQuery.read(request)
        except ValueError as exc:
            return error(400, 1002, "Bad Request", str(exc))
        if len(ask.ids) > MAX_IDS:
            return error(400, 1014, "Bad Request", f"ids: at most {MAX_IDS} at once")
        unknown = [
            f for f in ask.fields if f not in KNOWN_FIELDS or f in self.retired_fields
        ]
        if not unknown and len(ask.fields) > 1 and self.plan.fires("bad-field"):
            self.retired_fields.add(ask.fields[-1])
            unknown = [ask.fields[-1]]
        if unknown:
            return error(400, 1002, "Bad Request", f"Unknown field: {unknown[0]}")
        return JSONResponse({"data": ask.rows(customer)})


class StatsQuery:
    """What a /stats request asks for: ids, fields, days, daily or summed."""

    def __init__(
        self, ids: list[str], fields: list[str], since: date, until: date, daily: bool
    ):
        self.ids, self.fields = ids, fields
        self.since, self.until, self.daily = since, until, daily

    @classmethod
    def read(cls, request: Request) -> StatsQuery:
        query = request.query_params
        ids = [i for raw in query.getlist("ids") for i in raw.split(",") if i]
        if not ids:
            raise ValueError("ids is required")
        fields = json.loads(query.get("fields") or "null")
        if not isinstance(fields, list) or not fields:
            raise ValueError('fields must be a JSON list, e.g. ["impCnt","clkCnt"]')
        span = json.loads(query.get("timeRange") or "null")
        if not isinstance(span, dict):
            raise ValueError('timeRange must be JSON: {"since":"...","until":"..."}')
        since = date.fromisoformat(str(span.get("since")))
        until = date.fromisoformat(str(span.get("until")))
        if until < since:
            raise ValueError("timeRange: until is before since")
        if query.get("breakdown"):
            raise ValueError("breakdown is not served by this sandbox")
        return cls(ids, fields, since, until, query.get("timeIncrement") == "1")

    def rows(self, customer: world.Customer) -> list[dict[str, Any]]:
        days = [
            self.since + timedelta(days=n)
            for n in range((self.until - self.since).days + 1)
        ]
        known = {k.keyword_id for k in customer.keywords}
        rows = []
        for keyword_id in self.ids:
            if keyword_id not in known:
                continue
            spans = [[d] for d in days] if self.daily else [days]
            for span in spans:
                rows.append(self._row(customer, keyword_id, span))
        return rows

    def _row(
        self, customer: world.Customer, keyword_id: str, span: list[date]
    ) -> dict[str, Any]:
        stats = [customer.stats.get((keyword_id, d)) for d in span]
        total = {
            "impCnt": sum(s.imp_cnt for s in stats if s),
            "clkCnt": sum(s.clk_cnt for s in stats if s),
            "salesAmt": sum(s.sales_amt for s in stats if s),
            "ccnt": sum(s.ccnt for s in stats if s),
            "convAmt": sum(s.conv_amt for s in stats if s),
        }
        clicks, imps = total["clkCnt"], total["impCnt"]
        derived = {
            "ctr": round(100 * clicks / imps, 2) if imps else 0,
            "cpc": round(total["salesAmt"] / clicks) if clicks else 0,
            "crto": round(100 * total["ccnt"] / clicks, 2) if clicks else 0,
            "ror": round(100 * total["convAmt"] / total["salesAmt"], 2)
            if total["salesAmt"]
            else 0,
            "cpConv": round(total["salesAmt"] / total["ccnt"]) if total["ccnt"] else 0,
            "avgRnk": 3.2 if imps else 0,
        }
        row: dict[str, Any] = {"id": keyword_id}
        for name in self.fields:
            row[name] = total.get(name, derived.get(name))
        row["dateStart"] = span[0].isoformat()
        row["dateEnd"] = span[-1].isoformat()
        return row


ROUTES = {
    "/ncc/campaigns": NaverSandbox.campaigns,
    "/ncc/adgroups": NaverSandbox.ad_groups,
    "/ncc/keywords": NaverSandbox.keywords,
    "/stats": NaverSandbox.stats,
}


def build_app(
    faults: FaultPlan | None = None,
    seed: int = 7,
    *,
    days: int = 90,
    last_day: date | None = None,
) -> Starlette:
    """The sandbox as an ASGI app; `app.state.sandbox` holds its world and faults."""
    plan = faults or FaultPlan.parse("", known=FAULTS | OWN_FAULTS)
    sandbox = NaverSandbox(plan, world.build_world(seed, days, last_day))
    routes = [
        *sandbox.control.routes(),
        *(Route(path, sandbox.handle, methods=["GET"]) for path in ROUTES),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = sandbox
    return app


def sandbox_connection(base_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """Settings and secrets of a connection to a sandbox at `base_url` (seed's keys)."""
    secret_key, customers = world.LICENCES[world.MANAGER_KEY]
    settings = {
        "api-key": world.MANAGER_KEY,
        "customer-ids": ",".join(sorted(customers)),
        "api-base": base_url,
    }
    return settings, {"secret-key": secret_key}
