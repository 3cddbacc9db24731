"""The Naver Search Ad connector: customers, their keyword tree, daily keyword stats.

A slice is one customer and a span of days at keyword level. Its pull lists the
customer's campaigns, ad groups and keywords once (kept for the connector's
life), then asks /stats for daily rows of at most IDS_PER_REQUEST keywords at a
time; each answer is one Page. Days are the customer's own (Asia/Seoul), passed
as dates and never converted.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import date, timedelta
from typing import Any, ClassVar

import httpx

from adreport.sources.base import (
    Account,
    Classified,
    ErrorKind,
    Page,
    Session,
    Slice,
    SyncError,
    Usage,
)
from adreport.sources.naver_searchad import errors, mapping
from adreport.sources.naver_searchad.signing import CUSTOMER, NaverSignature

DEFAULT_BASE_URL = "https://api.searchad.naver.com"
IDS_PER_REQUEST = 100  # the stats API answers for at most 100 ids at once
DAYS_PER_SLICE = 14
CURRENCY = "KRW"
TIMEZONE = "Asia/Seoul"


class NaverSearchAdConnector:
    platform: ClassVar[str] = "naver-searchad"
    # Conversions reach Naver's stats days after the click and cost settles late.
    lookback_days: ClassVar[int] = 14

    def __init__(
        self,
        auth: NaverSignature,
        customer_ids: Sequence[str],
        base_url: str = DEFAULT_BASE_URL,
        customer_names: dict[str, str] | None = None,
    ):
        self.auth = auth
        self.customer_ids = list(customer_ids)
        self.base_url = base_url.rstrip("/")
        self.customer_names = customer_names or {}
        self.fields = list(mapping.FIELDS)
        self._trees: dict[str, mapping.Tree] = {}

    def classify(self, response: httpx.Response) -> Classified | None:
        found = errors.classify(response)
        if found and found.kind is ErrorKind.DROP_FIELD and found.field is None:
            return Classified(ErrorKind.FATAL, found.reason)
        return found

    def usage(self, response: httpx.Response) -> Usage | None:
        """Naver sends no usage headers; its only signal is the 429 itself."""
        return None

    async def accounts(self, session: Session) -> Sequence[Account]:
        return [
            Account(cid, self.customer_names.get(cid, cid), CURRENCY, TIMEZONE)
            for cid in self.customer_ids
        ]

    def slices(self, account: Account, first_day: date, last_day: date) -> list[Slice]:
        parts = []
        start = first_day
        while start <= last_day:
            end = min(last_day, start + timedelta(days=DAYS_PER_SLICE - 1))
            parts.append(Slice(account, "keyword", start, end))
            start = end + timedelta(days=1)
        return parts

    async def pull(self, session: Session, part: Slice) -> AsyncIterator[Page]:
        tree = await self._tree(session, part.account.account_id)
        ids = list(tree.keywords)
        for start in range(0, len(ids), IDS_PER_REQUEST):
            rows = await self._stats(
                session, part, ids[start : start + IDS_PER_REQUEST]
            )
            yield mapping.stats_page(rows, tree)

    async def _tree(self, session: Session, customer: str) -> mapping.Tree:
        if customer not in self._trees:
            campaigns = await self._get(session, customer, "/ncc/campaigns", {})
            groups: list[dict[str, Any]] = []
            for campaign in campaigns:
                groups += await self._get(
                    session,
                    customer,
                    "/ncc/adgroups",
                    {"nccCampaignId": campaign["nccCampaignId"]},
                )
            keywords: list[dict[str, Any]] = []
            for group in groups:
                keywords += await self._get(
                    session,
                    customer,
                    "/ncc/keywords",
                    {"nccAdgroupId": group["nccAdgroupId"]},
                )
            self._trees[customer] = mapping.Tree.build(campaigns, groups, keywords)
        return self._trees[customer]

    async def _stats(
        self, session: Session, part: Slice, ids: list[str]
    ) -> list[dict[str, Any]]:
        """Daily rows for `ids`; a field the platform refuses is dropped once (K10)."""
        while True:
            params = {
                "ids": ",".join(ids),
                "fields": json.dumps(self.fields),
                "timeRange": json.dumps(
                    {
                        "since": part.first_day.isoformat(),
                        "until": part.last_day.isoformat(),
                    }
                ),
                "timeIncrement": "1",
            }
            try:
                found = await self._get(
                    session, part.account.account_id, "/stats", params
                )
            except SyncError as error:
                if not self._drop_refused_field(error):
                    raise
                continue
            return found

    def _drop_refused_field(self, error: SyncError) -> bool:
        """Drop the field a DROP_FIELD error names (the engine recorded the drift).

        False when there is nothing left to drop: the error then stands.
        """
        if error.kind is not ErrorKind.DROP_FIELD:
            return False
        if error.field not in self.fields or len(self.fields) == 1:
            return False
        self.fields.remove(error.field)
        return True

    async def _get(
        self, session: Session, customer: str, path: str, params: dict[str, str]
    ) -> list[dict[str, Any]]:
        request = httpx.Request(
            "GET",
            f"{self.base_url}{path}",
            params=params,
            headers={CUSTOMER: customer},
        )
        response = await session.send(request)
        body = json.loads(response.content)
        rows = body.get("data", []) if isinstance(body, dict) else body
        if not isinstance(rows, list):
            raise SyncError(
                ErrorKind.FATAL,
                f"Naver {path} answered with {type(rows).__name__}, not a list",
            )
        return rows
