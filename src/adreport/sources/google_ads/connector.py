"""The Google Ads connector: GAQL over REST, campaign, ad group and ad by day.

Each slice is one customer, one level and two weeks of days, segmented by device and
network. By default it is read with `googleAds:searchStream` (one answer, batches
of rows); `request = search` reads it with `googleAds:search` page by page
instead, through the engine's PageGuard. A field the API stops knowing (K10) is
left out of the query and the slice asked again; the engine records the drift.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from adreport.sources.base import (
    Account,
    Auth,
    Classified,
    ErrorKind,
    Page,
    Session,
    Slice,
    SyncError,
    Usage,
)
from adreport.sources.engine.paging import PageGuard
from adreport.sources.google_ads import errors, gaql, mapping
from adreport.sources.versions import GOOGLE_ADS_API

DEFAULT_BASE_URL = "https://googleads.googleapis.com"
TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL, not a secret)
LEVELS = ("campaign", "ad_group", "ad")
SLICE_DAYS = 14  # each slice costs one merge; two weeks keep them few and small
CUSTOMER_FIELDS = (
    "customer.id",
    "customer.descriptive_name",
    "customer.currency_code",
    "customer.time_zone",
    "customer.manager",
)


class GoogleAdsConnector:
    platform: ClassVar[str] = "google-ads"
    # Google credits a conversion to the click's day for up to 30 days by default.
    lookback_days: ClassVar[int] = 30

    def __init__(
        self,
        auth: Auth,
        developer_token: str,
        customer_ids: Sequence[str] = (),
        login_customer_id: str = "",
        base_url: str = DEFAULT_BASE_URL,
        request: str = "stream",
    ):
        if request not in ("stream", "search"):
            raise ValueError(f"request must be stream or search, not {request!r}")
        self.auth = auth
        self.developer_token = developer_token
        self.customer_ids = [_digits(c) for c in customer_ids if c.strip()]
        self.login_customer_id = _digits(login_customer_id)
        self.base_url = base_url.rstrip("/")
        self.request = request
        self.dropped: set[str] = set()  # fields the API refused (K10)

    def classify(self, response: httpx.Response) -> Classified | None:
        return errors.classify(response, mapping.DROPPABLE)

    def usage(self, response: httpx.Response) -> Usage | None:
        return None  # Google Ads sends no usage headers (see errors.py)

    async def accounts(self, session: Session) -> Sequence[Account]:
        """The customers named in the connection, else every one the login reaches.

        Manager accounts are left out: Google refuses metrics for them.
        """
        ids = self.customer_ids or await self._accessible(session)
        found = []
        for customer_id in ids:
            query = f"SELECT {', '.join(CUSTOMER_FIELDS)} FROM customer"
            batches = await self._stream(session, customer_id, query)
            for row in _results(batches):
                customer = row["customer"]
                if customer.get("manager") is True:
                    continue  # a manager account has clients, not metrics
                found.append(
                    Account(
                        account_id=str(customer["id"]),
                        name=str(customer.get("descriptiveName", "")),
                        currency=str(customer["currencyCode"]),
                        timezone=str(customer["timeZone"]),
                    )
                )
        return found

    def slices(self, account: Account, first_day: date, last_day: date) -> list[Slice]:
        """Two weeks at a time per level; a killed sync re-reads at most that."""
        parts = []
        for level in LEVELS:
            start = first_day
            while start <= last_day:
                end = min(start + timedelta(days=SLICE_DAYS - 1), last_day)
                parts.append(Slice(account, level, start, end, mapping.BREAKDOWNS))
                start = end + timedelta(days=1)
        return parts

    async def pull(self, session: Session, part: Slice) -> AsyncIterator[Page]:
        while True:
            query = self.query(part)
            try:
                if self.request == "stream":
                    batches = await self._stream(
                        session, part.account.account_id, query
                    )
                    for batch in batches:
                        yield mapping.to_page(batch.get("results", []), part.level)
                else:
                    async for page in self._pages(session, part, query):
                        yield page
                return
            except SyncError as exc:
                if not self._drop(exc, query):
                    raise

    def query(self, part: Slice) -> str:
        fields = mapping.query_fields(part.level, frozenset(self.dropped))
        resource = mapping.RESOURCE[part.level]
        return gaql.select(fields, resource, part.first_day, part.last_day)

    def _drop(self, exc: SyncError, query: str) -> bool:
        """Leave a rejected field out from now on; True when the query changes.

        Accounts are pulled side by side, so the field may already be dropped by
        another slice while this one's query still named it.
        """
        if exc.kind is not ErrorKind.DROP_FIELD or not exc.field:
            return False
        if exc.field not in mapping.DROPPABLE or exc.field not in query:
            return False
        self.dropped.add(exc.field)
        return True

    async def _pages(
        self, session: Session, part: Slice, query: str
    ) -> AsyncIterator[Page]:
        guard = PageGuard(session, f"{part.level} rows of {part.account.account_id}")
        token: str | None = None
        while True:
            body: dict[str, Any] = {"query": query}
            if token:
                body["pageToken"] = token
            url = self._url(part.account.account_id, "googleAds:search")
            answer = _json(await session.send(self._post(url, body)))
            rows = answer.get("results", [])
            yield mapping.to_page(rows, part.level)
            token = guard.follow(len(rows), answer.get("nextPageToken"))
            if token is None:
                return

    async def _stream(
        self, session: Session, customer_id: str, query: str
    ) -> list[dict[str, Any]]:
        url = self._url(customer_id, "googleAds:searchStream")
        batches = _json(await session.send(self._post(url, {"query": query})))
        if not isinstance(batches, list):
            raise SyncError(
                ErrorKind.FATAL, f"searchStream of {customer_id} did not answer a list"
            )
        return batches

    async def _accessible(self, session: Session) -> list[str]:
        url = f"{self.base_url}/{GOOGLE_ADS_API}/customers:listAccessibleCustomers"
        answer = _json(
            await session.send(httpx.Request("GET", url, headers=self._headers()))
        )
        names = answer.get("resourceNames", [])
        return [str(name).rsplit("/", 1)[-1] for name in names]

    def _url(self, customer_id: str, method: str) -> str:
        return f"{self.base_url}/{GOOGLE_ADS_API}/customers/{customer_id}/{method}"

    def _post(self, url: str, body: dict[str, Any]) -> httpx.Request:
        return httpx.Request("POST", url, json=body, headers=self._headers())

    def _headers(self) -> dict[str, str]:
        headers = {"developer-token": self.developer_token}
        if self.login_customer_id:
            headers["login-customer-id"] = self.login_customer_id
        return headers


def _json(response: httpx.Response) -> Any:
    """The answer's JSON with every number as Decimal (no float ever holds money)."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise SyncError(
            ErrorKind.RETRY, f"{response.url.path}: the answer is not JSON"
        ) from exc


def _results(batches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for batch in batches for row in batch.get("results", [])]


def _digits(customer_id: str) -> str:
    """Customer ids as the API takes them: 482-193-5520 -> 4821935520."""
    return customer_id.replace("-", "").strip()
