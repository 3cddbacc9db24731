"""The generic REST/JSON connector: one account, one level, the config's paging.

A slice is a span of days (at most `days_per_request`); its pull fills the URL
template with the span, then follows the configured paging to the end, one Page
per response. Paging stops on an empty page, a short page, a missing or repeated
cursor, or the engine's hard cap (FAULTS.md K9).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from datetime import date, timedelta
from typing import Any, ClassVar
from urllib.parse import urljoin

import httpx

from adreport.errors import ConfigurationError
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
from adreport.sources.rest import errors
from adreport.sources.rest.config import SourceConfig
from adreport.sources.rest.mapping import RecordMap, dig, split


class RestConnector:
    platform: ClassVar[str] = "rest"
    lookback_days: ClassVar[int] = 3

    def __init__(self, config: SourceConfig, auth: Auth, base_url: str = ""):
        self.config = config
        self.auth = auth
        self.base_url = base_url.rstrip("/")
        self.map = RecordMap(config)
        self.records_path = split(config.records_path)
        self._check_url()

    @property
    def data_platform(self) -> str:
        """The platform the rows are stored under (the config's `platform`)."""
        return self.config.platform

    def _check_url(self) -> None:
        try:
            self.url_for(date(2024, 1, 1), date(2024, 1, 2))
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigurationError(
                f"{self.config.origin}: [request] url: unknown placeholder {exc}; "
                "use {base_url}, {since}, {until} (and {account_id})"
            ) from None

    def url_for(self, first_day: date, last_day: date) -> str:
        fmt = self.config.url_date_format
        return self.config.url.format(
            base_url=self.base_url,
            since=first_day.strftime(fmt),
            until=last_day.strftime(fmt),
            account_id=self.config.account_id,
        )

    def classify(self, response: httpx.Response) -> Classified | None:
        return errors.classify(response)

    def usage(self, response: httpx.Response) -> Usage | None:
        limits = self.config.rate_limit
        remaining = _number(response.headers.get(limits.remaining_header or "-"))
        limit = _number(response.headers.get(limits.limit_header or "-"))
        if remaining is None or not limit:
            return None
        reset = _number(response.headers.get(limits.reset_header or "-"))
        if reset is not None and reset > 1e9:  # a Unix time, not seconds
            reset = max(0.0, reset - time.time())
        return Usage(used=1 - remaining / limit, resets_in=reset)

    async def accounts(self, session: Session) -> Sequence[Account]:
        c = self.config
        return [
            Account(
                c.account_id, c.account_name or c.account_id, c.currency, c.timezone
            )
        ]

    def slices(self, account: Account, first_day: date, last_day: date) -> list[Slice]:
        parts, start = [], first_day
        while start <= last_day:
            end = min(
                last_day, start + timedelta(days=self.config.days_per_request - 1)
            )
            parts.append(Slice(account, self.config.level, start, end))
            start = end + timedelta(days=1)
        return parts

    async def pull(self, session: Session, part: Slice) -> AsyncIterator[Page]:
        paging = self.config.paging
        guard = PageGuard(
            session, f"{self.config.name} {part.first_day}..{part.last_day}"
        )
        url = self.url_for(part.first_day, part.last_day)
        params: dict[str, str] = {}
        if paging.size_param and paging.size:
            params[paging.size_param] = str(paging.size)
        position = paging.first_page if paging.type == "page-number" else 0
        if paging.type in ("page-number", "offset"):
            params[paging.param] = str(position)
        while True:
            body = await self._get(session, url, params)
            records = dig(body, self.records_path)
            if not isinstance(records, list):
                raise SyncError(
                    ErrorKind.FATAL,
                    f"{self.config.origin}: [records] path = "
                    f"{self.config.records_path!r} found no list in the answer",
                )
            yield self.map.page(records)
            follow = self._next(guard, body, len(records), position, url)
            if follow is None:
                return
            url, params, position = follow

    def _next(
        self, guard: PageGuard, body: Any, rows: int, position: int, url: str
    ) -> tuple[str, dict[str, str], int] | None:
        """The next request (url, params, position), or None at the end."""
        paging = self.config.paging
        if paging.type == "none":
            return None
        if paging.type in ("page-number", "offset"):
            if rows == 0 or (paging.size and rows < paging.size):
                return None
            step = 1 if paging.type == "page-number" else rows
            following = position + step
            if guard.follow(rows, f"{paging.param}={following}") is None:
                return None
            params = {paging.param: str(following)}
            if paging.size_param and paging.size:
                params[paging.size_param] = str(paging.size)
            return url, params, following
        if paging.type == "cursor":
            cursor = dig(body, split(paging.cursor_path))
            followed = guard.follow(rows, str(cursor) if cursor else None)
            if followed is None:
                return None
            params = {paging.param: followed}
            if paging.size_param and paging.size:
                params[paging.size_param] = str(paging.size)
            return url, params, position
        link = dig(body, split(paging.next_path))
        followed = guard.follow(rows, str(link) if link else None)
        if followed is None:
            return None
        return urljoin(url, followed), {}, position

    async def _get(self, session: Session, url: str, params: dict[str, str]) -> Any:
        target = httpx.URL(url).copy_merge_params(params) if params else url
        request = httpx.Request("GET", target, headers=self.config.headers)
        response = await session.send(request)
        try:
            return json.loads(response.content)
        except ValueError as exc:
            raise SyncError(
                ErrorKind.FATAL, f"{request.url.path} answered with no JSON: {exc}"
            ) from exc


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None
