"""What every connector provides, and what the sync engine gives it in return.

A connector knows one platform: its URLs, its error codes, its paging, and how its
records map into the unified model. The engine (`adreport.sources.engine`) owns
everything else: HTTP, retries and waits, token refresh, throttling, checkpoints,
the look-back window, writing rows, and the record of each run. A connector never
writes to the warehouse and never sleeps by itself.

The unit of work is a `Slice`: one account, one report level, a few days. The
engine commits a slice's rows and its checkpoint in one transaction, so a killed
sync resumes at the first slice not committed and re-fetches at most one slice.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol

import httpx


class ErrorKind(enum.Enum):
    """What the engine does about a failed request (FAULTS.md K8, K9, K10)."""

    RETRY = "retry"  # transient: back off (capped, jittered) and send again
    WAIT_FOR_QUOTA = "wait for quota"  # wait as long as the platform says, then again
    REAUTHORISE = "re-authorise"  # the grant is gone: stop, mark the connection
    ACCESS_EXPIRED = "access expired"  # the access token expired: refresh, send again
    RESTART_SLICE = "restart slice"  # a page token expired: fetch the slice again
    DROP_FIELD = "drop field"  # the platform rejects a field: record drift, go on
    FATAL = "fatal"  # our request is wrong: stop this source, say why


@dataclass(frozen=True)
class Classified:
    """One failed response, as a platform's error table reads it."""

    kind: ErrorKind
    reason: str  # the platform's own code and message, never a secret
    wait_seconds: float | None = None  # a wait the platform names
    field: str | None = None  # for DROP_FIELD: the rejected field


@dataclass(frozen=True)
class Usage:
    """How much of its quota a response says we have used (0.0 to 1.0 and more)."""

    used: float
    # Seconds until the quota resets or access returns, when the platform says.
    resets_in: float | None = None


@dataclass(frozen=True)
class Account:
    """An ad account as its platform describes it."""

    account_id: str
    name: str
    currency: str  # ISO 4217
    timezone: str  # IANA


@dataclass(frozen=True)
class Slice:
    """One checkpointed unit of a pull: an account, a level, and a span of days."""

    account: Account
    level: str  # one of adreport.model.LEVELS
    first_day: date
    last_day: date
    breakdowns: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """A stable name for the checkpoint table."""
        parts = "+".join(self.breakdowns)
        return (
            f"{self.account.account_id}/{self.level}/{parts}/"
            f"{self.first_day.isoformat()}..{self.last_day.isoformat()}"
        )


@dataclass
class FactRecord:
    """One fact row of the unified model, as a connector maps a platform record.

    Entity ids and breakdown values that the record does not have stay "" (never
    None); a measure the platform did not give stays None (never 0).
    """

    date: date
    level: str
    campaign_id: str = ""
    ad_group_id: str = ""
    ad_id: str = ""
    keyword_id: str = ""
    breakdowns: dict[str, str] = field(default_factory=dict)
    attribution_setting: str = ""
    impressions: int | None = None
    clicks: int | None = None
    reach: int | None = None
    video_views: int | None = None
    engagements: int | None = None
    conversions: Decimal | None = None
    spend: Decimal | None = None  # in the account currency, never micros
    revenue: Decimal | None = None
    campaign_name: str = ""
    campaign_type: str = ""
    campaign_status: str = ""
    channel: str = ""
    ad_group_name: str = ""
    ad_name: str = ""
    keyword: str = ""


@dataclass
class Page:
    """What one response held, already mapped."""

    records: list[FactRecord]
    # Raw records the mapping refused, with the reason (kept in the run record).
    rejected: list[tuple[Mapping[str, Any], str]] = field(default_factory=list)


class Session(Protocol):
    """The engine's HTTP session as a connector sees it.

    `send` signs or authorises the request, throttles on usage, retries and waits
    as the connector's `classify` says, and raises `SyncError` for what it cannot
    recover from. It returns only successful responses.
    """

    async def send(self, request: httpx.Request) -> httpx.Response: ...

    @property
    def now(self) -> datetime: ...  # the engine's clock (a fake one in tests)

    def warn(self, message: str) -> None: ...  # recorded in the run, logged

    def drift(self, field: str, reason: str) -> None: ...  # a K10 drift record


class Auth(Protocol):
    """How requests of one connection are authorised: bearer tokens, signatures.

    The engine calls `prepare` before every send (an OAuth auth refreshes its access
    token there when it expires within a minute), and `expired` once when the
    platform says the access token expired (then sends once more).
    """

    async def prepare(
        self, request: httpx.Request, http: httpx.AsyncClient
    ) -> None: ...

    async def expired(self, http: httpx.AsyncClient) -> None: ...


class Connector(Protocol):
    """One platform. Instances hold the connection's settings and its `Auth`."""

    platform: ClassVar[str]  # one of adreport.model.PLATFORMS
    auth: Auth
    # The attribution or settlement window: days re-pulled on every run.
    lookback_days: ClassVar[int]

    def classify(self, response: httpx.Response) -> Classified | None:
        """Read a response: None when it succeeded, else what to do about it."""
        ...

    def usage(self, response: httpx.Response) -> Usage | None:
        """The quota use a response reports in its headers, errors included."""
        ...

    async def accounts(self, session: Session) -> Sequence[Account]:
        """The accounts this connection may read."""
        ...

    def slices(
        self, account: Account, first_day: date, last_day: date
    ) -> Sequence[Slice]:
        """The units the days are pulled in, in order."""
        ...

    def pull(self, session: Session, part: Slice) -> AsyncIterator[Page]:
        """Fetch one slice page by page, following the platform's paging.

        The engine pulls several accounts at once, so state shared between
        slices (a field already dropped after DROP_FIELD) must expect a request
        sent before the change to fail the same way once more.
        """
        ...


class SyncError(Exception):
    """A request that could not succeed; `kind` says why."""

    def __init__(self, kind: ErrorKind, message: str, field: str | None = None):
        super().__init__(message)
        self.kind = kind
        # For DROP_FIELD: the field the platform rejected, so the connector can
        # send the request again without it (the engine has recorded the drift).
        self.field = field
