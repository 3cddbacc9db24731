"""A local Meta Marketing API: the Graph insights edge and its neighbours, on loopback.

It speaks the documented wire format: `/{version}/{act_id}/insights` with levels,
daily rows, breakdowns and attribution windows, numbers as strings, cursor paging
(`paging.cursors` and a `next` URL), asynchronous report runs (POST, poll
`async_status`, read `/{report_run_id}/insights`), the ad account node, long-lived
tokens exchanged at `/oauth/access_token` and inspected at `/debug_token`, error
bodies `{"error": {message, type, code, error_subcode, fbtrace_id}}`, and the usage
headers `x-app-usage`, `x-ad-account-usage` and `x-business-use-case-usage` on
every answer, errors included.

Where the sandbox is kinder than Meta: a token that expired less than a day ago
may still be exchanged (Meta refuses), so the refresh path can be exercised; a
truly lapsed token shows as `revoked`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adreport.sources.meta import sandbox_reports as reports
from adreport.sources.meta.seed import ACCOUNTS, AdAccount, AdDay, build_rows, restate
from adreport.sources.sandbox import STANDARD_FAULTS, FaultPlan, SandboxControl
from adreport.sources.versions import META_GRAPH_API

FAULTS = frozenset(STANDARD_FAULTS)
APP_ID = "1234567890123456"
APP_SECRET = "sandbox-app-secret-3f1c"  # noqa: S105 (a sandbox's own, public)
FIRST_TOKEN = "EAAGsandboxLongLivedUserToken0001"  # noqa: S105
TOKEN_LIFETIME = 60 * 24 * 3600  # long-lived user tokens last about 60 days
EXCHANGE_GRACE = 24 * 3600
REJECTED_FIELD = "inline_post_engagement"  # the field `bad-field` retires
SYNC_ROW_LIMIT = 2000  # larger synchronous answers are refused, as Meta's are
DEFAULT_LIMIT = 25
MAX_LIMIT = 5000
QUOTA_MINUTES = 12


@dataclass
class ReportRun:
    run_id: str
    account: AdAccount
    request: reports.InsightsRequest
    rows: list[dict[str, Any]]
    polls: int = 0

    @property
    def done(self) -> bool:
        return self.polls >= 2


@dataclass
class GraphError(Exception):
    """An error answer, with what the usage headers should say alongside it."""

    status: int
    code: int
    message: str
    subcode: int | None = None
    kind: str = "OAuthException"
    transient: bool = False
    headers: dict[str, str] = field(default_factory=dict)


class MetaSandbox:
    """The sandbox's state: seeded rows, tokens, report runs, faults."""

    def __init__(self, faults: FaultPlan | None, seed: int, last_day: date):
        self.plan = faults or FaultPlan(known=FAULTS, seed=seed)
        self.last_day = last_day
        self.rows: dict[tuple[str, date], list[AdDay]] = defaultdict(list)
        for row in build_rows(last_day, seed):
            self.rows[(row.ad.account.account_id, row.day)].append(row)
        self.accounts = {account.account_id: account for account in ACCOUNTS}
        self.tokens = {FIRST_TOKEN: time.time() + TOKEN_LIFETIME}
        self.revoked: set[str] = set()
        self.retired_fields: set[str] = set()
        self.runs: dict[str, ReportRun] = {}
        self.calls: dict[str, int] = defaultdict(int)
        self.versions: dict[tuple[str, date], int] = defaultdict(int)
        self.control = SandboxControl(self.plan, self.restate)
        self.lock = threading.Lock()

    # Seeded truth, for tests and the demo.
    def account(self, account_id: str) -> AdAccount:
        key = account_id if account_id.startswith("act_") else f"act_{account_id}"
        if key not in self.accounts:
            raise KeyError(f"no ad account {account_id} in the Meta sandbox")
        return self.accounts[key]

    def days(self, account_id: str, since: date, until: date) -> list[AdDay]:
        account = self.account(account_id)
        out: list[AdDay] = []
        day = since
        while day <= until:
            out.extend(self.rows.get((account.account_id, day), []))
            day += timedelta(days=1)
        return out

    def totals(self, account_id: str, since: date, until: date) -> dict[str, Any]:
        """The seeded sums an honest sync must reproduce."""
        rows = self.days(account_id, since, until)
        return {
            "impressions": sum(r.impressions for r in rows),
            "clicks": sum(r.clicks for r in rows),
            "spend": sum((r.spend for r in rows), Decimal(0)),
            "purchases": sum(r.purchases for r in rows),
            "revenue": sum((r.revenue for r in rows), Decimal(0)),
        }

    def restate(self, account_id: str, day: date) -> dict[str, Any]:
        account = self.account(account_id)
        with self.lock:
            self.versions[(account.account_id, day)] += 1
            version = self.versions[(account.account_id, day)]
            changed = restate(self.rows.get((account.account_id, day), []), version)
        return {
            "account_id": account.account_id,
            "date": day.isoformat(),
            "rows": changed,
        }

    def usage_headers(self, account: str, high: bool = False) -> dict[str, str]:
        self.calls[account] += 1
        share = 95 if high else (self.calls[account] // 10) % 20
        return _usage(account, share, regain_minutes=0, reset_seconds=0)


def _usage(
    account: str, share: int, regain_minutes: int, reset_seconds: int
) -> dict[str, str]:
    number = account.removeprefix("act_") or "0"
    return {
        "x-app-usage": json.dumps(
            {"call_count": share, "total_cputime": share, "total_time": share}
        ),
        "x-ad-account-usage": json.dumps(
            {
                "acc_id_util_pct": share,
                "reset_time_duration": reset_seconds,
                "ads_api_access_tier": "standard_access",
            }
        ),
        "x-business-use-case-usage": json.dumps(
            {
                number: [
                    {
                        "type": "ads_insights",
                        "call_count": share,
                        "total_cputime": share,
                        "total_time": share,
                        "estimated_time_to_regain_access": regain_minutes,
                        "ads_api_access_tier": "standard_access",
                    }
                ]
            }
        ),
    }


def build_app(
    faults: FaultPlan | None = None, seed: int = 7, last_day: date | None = None
) -> Starlette:
    """The sandbox as an ASGI app; `app.state.sandbox` holds its state for tests."""
    sandbox = MetaSandbox(faults, seed, last_day or date.today() - timedelta(days=1))
    handlers = Handlers(sandbox)
    prefix = f"/{META_GRAPH_API}"
    routes = [
        *sandbox.control.routes(),
        Route("/__sandbox/totals", handlers.totals, methods=["GET"]),
        Route(
            f"{prefix}/oauth/access_token", handlers.exchange, methods=["GET", "POST"]
        ),
        Route(f"{prefix}/debug_token", handlers.debug_token, methods=["GET"]),
        Route(f"{prefix}/me/adaccounts", handlers.my_accounts, methods=["GET"]),
        Route(
            f"{prefix}/{{node}}/insights", handlers.insights, methods=["GET", "POST"]
        ),
        Route(f"{prefix}/{{node}}", handlers.node, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = sandbox
    return app


def sandbox_connection(base_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """Settings and secrets of a connection to a sandbox running at `base_url`."""
    settings = {
        "app_id": APP_ID,
        "ad_account_ids": ",".join(account.account_id for account in ACCOUNTS),
        "api_base_url": base_url,
    }
    return settings, {"app_secret": APP_SECRET, "access_token": FIRST_TOKEN}


class Handlers:
    """The routes; each answer carries the usage headers."""

    def __init__(self, sandbox: MetaSandbox):
        self.sandbox = sandbox
        self.plan = sandbox.plan

    async def totals(self, request: Request) -> Response:
        query = request.query_params
        found = self.sandbox.totals(
            query["account_id"],
            date.fromisoformat(query["since"]),
            date.fromisoformat(query["until"]),
        )
        return JSONResponse({k: str(v) for k, v in found.items()})

    async def exchange(self, request: Request) -> Response:
        self.sandbox.control.count("token")
        params = await _params(request)
        try:
            if params.get("grant_type") != "fb_exchange_token":
                raise GraphError(
                    400, 100, "(#100) Invalid grant_type", kind="OAuthException"
                )
            if (
                params.get("client_id") != APP_ID
                or params.get("client_secret") != APP_SECRET
            ):
                raise GraphError(400, 1, "Error validating client secret.")
            old = params.get("fb_exchange_token", "")
            self._check_token(old, grace=EXCHANGE_GRACE)
        except GraphError as error:
            return self._error(error, "")
        token = "EAAG" + secrets.token_hex(20)
        with self.sandbox.lock:
            self.sandbox.tokens[token] = time.time() + TOKEN_LIFETIME
        body = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": TOKEN_LIFETIME,
        }
        return JSONResponse(body, headers=self.sandbox.usage_headers(""))

    async def debug_token(self, request: Request) -> Response:
        self.sandbox.control.count("debug_token")
        token = request.query_params.get("input_token", "")
        expires = self.sandbox.tokens.get(token)
        valid = expires is not None and expires > time.time()
        valid = valid and token not in self.sandbox.revoked
        body = {
            "data": {
                "app_id": APP_ID,
                "type": "USER",
                "application": "adreport sandbox",
                "is_valid": valid,
                "expires_at": int(expires or 0),
                "scopes": ["ads_read", "read_insights"],
            }
        }
        return JSONResponse(body, headers=self.sandbox.usage_headers(""))

    async def my_accounts(self, request: Request) -> Response:
        try:
            self._admit(request, "adaccounts", "")
        except GraphError as error:
            return self._error(error, "")
        data = [
            _account_node(a, ["name", "currency", "timezone_name"]) for a in ACCOUNTS
        ]
        body = {"data": data, "paging": {"cursors": _cursors(0, len(data))}}
        return JSONResponse(body, headers=self.sandbox.usage_headers(""))

    async def node(self, request: Request) -> Response:
        node = request.path_params["node"]
        account_id = node if node.startswith("act_") else ""
        try:
            self._admit(request, "node", account_id)
            if node in self.sandbox.runs:
                return self._run_status(self.sandbox.runs[node])
            account = self._account(node)
        except GraphError as error:
            return self._error(error, account_id)
        wanted = _list(request.query_params.get("fields", ""))
        return JSONResponse(
            _account_node(account, wanted),
            headers=self.sandbox.usage_headers(account.account_id),
        )

    async def insights(self, request: Request) -> Response:
        node = request.path_params["node"]
        run = self.sandbox.runs.get(node)
        account_id = run.account.account_id if run else node
        try:
            self._admit(request, "insights", account_id)
            params = await _params(request)
            if run is not None:
                return self._run_page(request, run, params)
            account = self._account(node)
            ask = self._insights_request(params)
            rows = reports.answer(
                ask, account, self.sandbox.days(node, ask.since, ask.until)
            )
            if request.method == "POST":
                return self._start_run(account, ask, rows)
            if len(rows) > SYNC_ROW_LIMIT:
                raise GraphError(
                    500,
                    1,
                    "Please reduce the amount of data you're asking for, then retry "
                    "your request",
                    transient=True,
                )
            return self._page(request, account, rows, params)
        except GraphError as error:
            return self._error(error, account_id)

    def _admit(self, request: Request, kind: str, account: str) -> None:
        """Count the request, check its token, then let a switched-on fault answer."""
        self.sandbox.control.count(kind)
        self._check_token(_token(request))
        proof = request.query_params.get("appsecret_proof")
        if proof is not None and proof != _proof(_token(request)):
            raise GraphError(
                400, 100, "Invalid appsecret_proof provided in the API argument"
            )
        if self.plan.fires("token-expiry"):
            with self.sandbox.lock:
                self.sandbox.tokens[_token(request)] = time.time() - 1
            self._check_token(_token(request))
        if self.plan.fires("revoked"):
            self.sandbox.revoked.add(_token(request))
            self._check_token(_token(request))
        for fault in ("quota", "rate-limit", "rate-limit-no-wait", "server-error"):
            if self.plan.fires(fault):
                raise _fault_error(fault, account)

    def _check_token(self, token: str, grace: float = 0.0) -> None:
        if not token:
            raise GraphError(
                400, 104, "An access token is required to request this resource."
            )
        expires = self.sandbox.tokens.get(token)
        if expires is None:
            raise GraphError(
                400, 190, "Invalid OAuth access token - Cannot parse access token"
            )
        if token in self.sandbox.revoked:
            raise GraphError(
                400,
                190,
                "Error validating access token: The session has been invalidated "
                "because the user changed their password or Facebook has changed "
                "the session for security reasons.",
                subcode=460,
            )
        now = time.time()
        if expires + grace <= now:
            stamp = datetime.fromtimestamp(expires, UTC).strftime(
                "%A, %d-%b-%y %H:%M:%S"
            )
            raise GraphError(
                401,
                190,
                f"Error validating access token: Session has expired on {stamp} UTC.",
                subcode=463,
            )

    def _account(self, node: str) -> AdAccount:
        try:
            return self.sandbox.account(node)
        except KeyError:
            raise GraphError(
                400,
                100,
                f"Unsupported get request. Object with ID '{node}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support "
                "this operation.",
                subcode=33,
                kind="GraphMethodException",
            ) from None

    def _insights_request(self, params: dict[str, str]) -> reports.InsightsRequest:
        fields = tuple(_list(params.get("fields", "")))
        if REJECTED_FIELD in fields and self.plan.fires("bad-field"):
            self.sandbox.retired_fields.add(REJECTED_FIELD)
        try:
            span = json.loads(params.get("time_range") or "{}")
            since = date.fromisoformat(span["since"])
            until = date.fromisoformat(span["until"])
        except (ValueError, KeyError, TypeError):
            raise GraphError(
                400, 100, "(#100) param time_range must be {'since':..., 'until':...}"
            ) from None
        if params.get("time_increment", "1") != "1":
            raise GraphError(
                400, 100, "(#100) the sandbox answers time_increment=1 only"
            )
        ask = reports.InsightsRequest(
            level=params.get("level", "account"),
            since=since,
            until=until,
            fields=fields,
            breakdowns=tuple(_list(params.get("breakdowns", ""))),
            windows=tuple(_list(params.get("action_attribution_windows", ""))),
        )
        try:
            reports.check(ask, self.sandbox.retired_fields)
        except reports.InsightsRequestError as exc:
            raise GraphError(400, 100, str(exc)) from None
        return ask

    def _page(
        self,
        request: Request,
        account: AdAccount,
        rows: list[dict[str, Any]],
        params: dict[str, str],
    ) -> Response:
        """One page of rows from the `after` cursor, with cursors and `next`."""
        start = 0
        if params.get("after"):
            if self.plan.fires("expire-page-token"):
                raise GraphError(
                    400,
                    100,
                    "(#100) The 'after' cursor has expired; start the query again",
                )
            start = _offset(params["after"])
        limit = min(MAX_LIMIT, int(params.get("limit") or DEFAULT_LIMIT))
        data = rows[start : start + limit]
        paging: dict[str, Any] = {"cursors": _cursors(start, start + len(data))}
        end = start + len(data)
        if self.plan.fires("empty-page-next"):
            data = []
            paging["next"] = str(request.url)
        elif end < len(rows):
            paging["next"] = str(request.url.include_query_params(after=_cursor(end)))
        high = self.plan.fires("usage-high")
        return JSONResponse(
            {"data": data, "paging": paging},
            headers=self.sandbox.usage_headers(account.account_id, high),
        )

    def _start_run(
        self,
        account: AdAccount,
        ask: reports.InsightsRequest,
        rows: list[dict[str, Any]],
    ) -> Response:
        run_id = str(6_000_000_000_000 + len(self.sandbox.runs) + 1)
        self.sandbox.runs[run_id] = ReportRun(run_id, account, ask, rows)
        return JSONResponse(
            {"report_run_id": run_id},
            headers=self.sandbox.usage_headers(account.account_id),
        )

    def _run_status(self, run: ReportRun) -> Response:
        run.polls += 1
        status = "Job Completed" if run.done else "Job Running"
        body = {
            "id": run.run_id,
            "account_id": run.account.number,
            "async_status": status,
            "async_percent_completion": 100 if run.done else 50,
            "date_start": run.request.since.isoformat(),
            "date_stop": run.request.until.isoformat(),
            "time_ref": int(time.time()),
        }
        return JSONResponse(
            body, headers=self.sandbox.usage_headers(run.account.account_id)
        )

    def _run_page(
        self, request: Request, run: ReportRun, params: dict[str, str]
    ) -> Response:
        if not run.done:
            raise GraphError(400, 100, "(#100) The report run is not completed yet")
        return self._page(request, run.account, run.rows, params)

    def _error(self, error: GraphError, account: str) -> Response:
        body: dict[str, Any] = {
            "message": error.message,
            "type": error.kind,
            "code": error.code,
            "fbtrace_id": "A" + secrets.token_hex(10),
        }
        if error.subcode is not None:
            body["error_subcode"] = error.subcode
        if error.transient:
            body["is_transient"] = True
        headers = error.headers or self.sandbox.usage_headers(account)
        return JSONResponse({"error": body}, status_code=error.status, headers=headers)


def _fault_error(fault: str, account: str) -> GraphError:
    """The platform's own answer for each standard fault."""
    if fault == "quota":
        return GraphError(
            400,
            17,
            "User request limit reached",
            subcode=2446079,
            transient=True,
            headers=_usage(account, 100, regain_minutes=QUOTA_MINUTES, reset_seconds=0),
        )
    if fault == "rate-limit":
        return GraphError(
            400,
            613,
            "Calls to this api have exceeded the rate limit.",
            transient=True,
            headers=_usage(account, 100, regain_minutes=0, reset_seconds=2),
        )
    if fault == "rate-limit-no-wait":
        return GraphError(
            403,
            4,
            "Application request limit reached",
            transient=True,
            headers=_usage(account, 100, regain_minutes=0, reset_seconds=0),
        )
    return GraphError(
        500,
        2,
        "An unexpected error has occurred. Please retry your request later.",
        transient=True,
    )


def _account_node(account: AdAccount, wanted: list[str]) -> dict[str, Any]:
    known = {
        "id": account.account_id,
        "account_id": account.number,
        "name": account.name,
        "currency": account.currency,
        "timezone_name": account.timezone,
        "account_status": 1,
    }
    return {"id": account.account_id} | {k: known[k] for k in wanted if k in known}


async def _params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        params.update({k: str(v) for k, v in form.items()})
    return params


def _token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value:
        return value.strip()
    return request.query_params.get("access_token", "")


def _proof(token: str) -> str:
    return hmac.new(APP_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()


def _list(raw: str) -> list[str]:
    raw = raw.strip()
    if raw.startswith("["):
        return [str(item) for item in json.loads(raw)]
    return [part.strip() for part in raw.split(",") if part.strip()]


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":")[1])
    except (ValueError, IndexError):
        raise GraphError(400, 100, "(#100) Invalid cursor") from None


def _cursors(start: int, end: int) -> dict[str, str]:
    return {"before": _cursor(start), "after": _cursor(max(start, end))}
