"""The Meta Marketing API connector: daily insights per level, with breakdowns.

A slice is one ad account, one report (a level and its breakdowns) and a week of
days. Small reports are read from the insights edge directly; large ones (ad level,
or audience and placement breakdowns) as an asynchronous report run: POST, poll
`async_status` on the engine's clock, then page through the run's insights. Pages
are followed by their `next` URL as given, under the engine's PageGuard.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar

import httpx

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
from adreport.sources.engine.paging import PageGuard
from adreport.sources.meta import errors, mapping
from adreport.sources.meta.auth import LongLivedTokenAuth
from adreport.sources.versions import META_GRAPH_API

DEFAULT_BASE_URL = "https://graph.facebook.com"
DAYS_PER_SLICE = 7
PAGE_SIZE = 500
# Estimated rows above which a report is run asynchronously, as Meta advises.
ASYNC_FROM = 1000
LEVEL_SIZE = {"account": 1, "campaign": 10, "ad_group": 30, "ad": 100}
BREAKDOWN_SIZE = {"age": 7, "gender": 3, "country": 5, "placement": 12, "device": 3}
MAX_POLLS = 60
RESTARTS = 3
# A slice asks again without a refused field at most this many times.
MAX_DROPS = 5
DONE, FAILED = "Job Completed", ("Job Failed", "Job Skipped")


@dataclass(frozen=True)
class Report:
    """A level and its breakdowns, written `campaign:age+gender`."""

    level: str
    breakdowns: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Report:
        level, _, parts = text.strip().partition(":")
        if level not in mapping.LEVELS:
            known = ", ".join(mapping.LEVELS)
            raise ValueError(f"Meta report {text!r}: unknown level; known: {known}")
        breakdowns = tuple(p for p in parts.split("+") if p)
        for name in breakdowns:
            if name not in mapping.BREAKDOWNS:
                known = ", ".join(mapping.BREAKDOWNS)
                raise ValueError(f"Meta report {text!r}: no breakdown {name}; {known}")
        return cls(level, breakdowns)


DEFAULT_REPORTS = "account,campaign:age+gender,ad_group,ad"


class MetaConnector:
    platform: ClassVar[str] = "meta"
    # Meta credits conversions up to 28 days after the click; spend settles sooner.
    lookback_days: ClassVar[int] = 28

    def __init__(
        self,
        auth: LongLivedTokenAuth,
        account_ids: Sequence[str],
        base_url: str = DEFAULT_BASE_URL,
        reports: Sequence[Report] = (),
        conversion_event: str = "purchase",
        attribution_window: str = "",
    ):
        self.auth = auth
        self.account_ids = [_act(a) for a in account_ids]
        self.graph_url = f"{base_url.rstrip('/')}/{META_GRAPH_API}"
        self.reports = list(reports) or [
            Report.parse(r) for r in DEFAULT_REPORTS.split(",")
        ]
        self.event = conversion_event
        self.window = attribution_window
        self.dropped: set[str] = set()
        self.page_size = PAGE_SIZE

    def classify(self, response: httpx.Response) -> Classified | None:
        return errors.classify(response)

    def usage(self, response: httpx.Response) -> Usage | None:
        return errors.usage(response)

    async def accounts(self, session: Session) -> Sequence[Account]:
        found = []
        for account_id in self.account_ids:
            body = await self._get(
                session,
                f"{self.graph_url}/{account_id}",
                {"fields": "name,currency,timezone_name"},
            )
            found.append(
                Account(
                    account_id,
                    str(body.get("name") or account_id),
                    str(body["currency"]),
                    str(body["timezone_name"]),
                )
            )
        return found

    def slices(self, account: Account, first_day: date, last_day: date) -> list[Slice]:
        parts = []
        start = first_day
        while start <= last_day:
            end = min(last_day, start + timedelta(days=DAYS_PER_SLICE - 1))
            for report in self.reports:
                parts.append(
                    Slice(account, report.level, start, end, report.breakdowns)
                )
            start = end + timedelta(days=1)
        return parts

    async def pull(self, session: Session, part: Slice) -> AsyncIterator[Page]:
        """The slice page by page; a refused field is dropped, an expired cursor
        restarts the query, and rows already given are not given twice."""
        given: set[tuple[object, ...]] = set()
        restarts = drops = 0
        while True:
            try:
                async for page in self._query(session, part):
                    page.records = [r for r in page.records if _key(r) not in given]
                    given.update(_key(r) for r in page.records)
                    yield page
                return
            except SyncError as error:
                # Slices run side by side: another one may have dropped the field
                # while this one's request still asked for it; ask again without.
                droppable = error.kind is ErrorKind.DROP_FIELD
                if droppable and self._drop(error.field) and drops < MAX_DROPS:
                    drops += 1
                    continue
                restarts += 1
                if error.kind is not ErrorKind.RESTART_SLICE or restarts > RESTARTS:
                    raise
                session.warn(f"{part.key}: {error}; the slice is read again")

    def _drop(self, field: str | None) -> bool:
        """Leave a refused field out from now on, if the report can do without it."""
        if field is None:
            return False
        if field not in mapping.MEASURE_FIELDS or field in ("spend", "impressions"):
            return False
        self.dropped.add(field)
        return True

    async def _query(self, session: Session, part: Slice) -> AsyncIterator[Page]:
        params = self._params(part)
        url = f"{self.graph_url}/{part.account.account_id}/insights"
        if self._large(part):
            url = await self._run_report(session, part, params)
            params = {"limit": str(self.page_size)}
        guard = PageGuard(session, f"{part.level} insights of {part.key}")
        next_url: str | None = None
        while True:
            if next_url is None:
                body = await self._get(session, url, params)
            else:
                body = await self._get(session, next_url, None)
            rows = body.get("data") or []
            yield mapping.page_of(
                rows, part.level, part.breakdowns, self.event, self.window
            )
            link = (body.get("paging") or {}).get("next")
            next_url = guard.follow(len(rows), str(link) if link else None)
            if next_url is None:
                return

    def _params(self, part: Slice) -> dict[str, str]:
        fields = [f for f in mapping.fields_for(part.level) if f not in self.dropped]
        params = {
            "level": mapping.LEVELS[part.level],
            "fields": ",".join(fields),
            "time_range": json.dumps(
                {
                    "since": part.first_day.isoformat(),
                    "until": part.last_day.isoformat(),
                }
            ),
            "time_increment": "1",
            "limit": str(self.page_size),
        }
        if part.breakdowns:
            params["breakdowns"] = ",".join(
                mapping.insights_breakdowns(part.breakdowns)
            )
        if self.window:
            params["action_attribution_windows"] = json.dumps([self.window])
        return params

    def _large(self, part: Slice) -> bool:
        days = (part.last_day - part.first_day).days + 1
        size = math.prod(BREAKDOWN_SIZE[b] for b in part.breakdowns)
        return days * LEVEL_SIZE[part.level] * size >= ASYNC_FROM

    async def _run_report(
        self, session: Session, part: Slice, params: dict[str, str]
    ) -> str:
        """Start a report run, wait for it on the engine's clock; its insights URL."""
        url = f"{self.graph_url}/{part.account.account_id}/insights"
        response = await session.send(httpx.Request("POST", url, data=params))
        run_id = str(_body(response)["report_run_id"])
        for attempt in range(MAX_POLLS):
            status = await self._get(session, f"{self.graph_url}/{run_id}", None)
            state = str(status.get("async_status", ""))
            if state == DONE:
                return f"{self.graph_url}/{run_id}/insights"
            if state in FAILED:
                raise SyncError(
                    ErrorKind.RESTART_SLICE, f"Meta report run {run_id}: {state}"
                )
            await _pause(session, min(30.0, 2.0**attempt))
        raise SyncError(
            ErrorKind.RETRY,
            f"Meta report run {run_id} did not finish after {MAX_POLLS} polls; "
            "sync again later",
        )

    async def _get(
        self, session: Session, url: str, params: dict[str, str] | None
    ) -> dict[str, Any]:
        response = await session.send(httpx.Request("GET", url, params=params))
        return _body(response)


async def _pause(session: Session, seconds: float) -> None:
    """Wait between polls on the engine's clock (a fake one in tests)."""
    clock = getattr(session, "clock", None)
    if clock is not None:
        await clock.sleep(seconds)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise SyncError(
            ErrorKind.RETRY, f"Meta answered {response.url.path} with no JSON"
        ) from None
    if not isinstance(body, dict):
        raise SyncError(ErrorKind.FATAL, f"Meta answered {response.url.path} oddly")
    return body


def _act(account_id: str) -> str:
    account_id = account_id.strip()
    return account_id if account_id.startswith("act_") else f"act_{account_id}"


def _key(record: FactRecord) -> tuple[object, ...]:
    return (
        record.date,
        record.campaign_id,
        record.ad_group_id,
        record.ad_id,
        tuple(sorted(record.breakdowns.items())),
        record.attribution_setting,
    )
