"""The declarative description of a REST/JSON source, read from TOML and checked.

Every mistake is reported with the config key it sits under and what to write
instead, e.g. `shop.toml: [paging] type = "pages": unknown; use one of ...`.
Secrets never live in the file: the token, API key or client secret are given to
`adreport connect rest` and stored encrypted with the connection.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adreport.errors import ConfigurationError
from adreport.model import COUNT_MEASURES, LEVELS, MEASURES, PLATFORMS

AUTH_TYPES = ("bearer", "api-key", "oauth-client-credentials", "none")
PAGING_TYPES = ("page-number", "offset", "cursor", "next-link", "none")
MONEY_SCALES = {"units": 1, "cents": 100, "micros": 1_000_000}
ID_FIELDS = ("campaign_id", "ad_group_id", "ad_id", "keyword_id")
NAME_FIELDS = (
    "campaign_name",
    "campaign_type",
    "campaign_status",
    "ad_group_name",
    "ad_name",
    "keyword",
)
RECORD_FIELDS = frozenset((*ID_FIELDS, *NAME_FIELDS, *MEASURES, "attribution_setting"))
MONEY = frozenset(("spend", "revenue"))
COUNTS = frozenset(COUNT_MEASURES)


@dataclass(frozen=True)
class AuthConfig:
    type: str = "none"
    header: str = "X-API-Key"  # api-key: the header that carries the key
    token_url: str = ""  # oauth-client-credentials
    client_id: str = ""
    scope: str = ""


@dataclass(frozen=True)
class PagingConfig:
    type: str = "none"
    param: str = ""  # page number, offset or cursor: the query parameter
    size_param: str = ""  # the page-size parameter, when the API takes one
    size: int = 0
    first_page: int = 1
    cursor_path: str = ""  # cursor: where the next cursor is in a response
    next_path: str = ""  # next-link: where the next URL is in a response


@dataclass(frozen=True)
class RateLimitConfig:
    remaining_header: str = ""
    limit_header: str = ""
    reset_header: str = ""  # seconds until reset, or a Unix time


@dataclass(frozen=True)
class SourceConfig:
    """One REST/JSON source, checked: every field here is known to be usable."""

    name: str
    url: str
    platform: str = "other"
    level: str = "campaign"
    account_id: str = ""
    account_name: str = ""
    currency: str = ""
    timezone: str = "UTC"
    lookback_days: int = 3
    days_per_request: int = 31
    url_date_format: str = "%Y-%m-%d"
    headers: dict[str, str] = field(default_factory=dict)
    auth: AuthConfig = AuthConfig()
    paging: PagingConfig = PagingConfig()
    records_path: str = ""
    date_path: str = "date"
    date_format: str = "%Y-%m-%d"
    money_scale: int = 1
    fields: dict[str, str] = field(default_factory=dict)
    rate_limit: RateLimitConfig = RateLimitConfig()
    origin: str = "config"  # the file name, for messages


class Reader:
    """Reads one TOML table at a time, naming the key in every complaint."""

    def __init__(self, origin: str, table: str, values: Any):
        self.origin = origin
        self.table = table
        if not isinstance(values, dict):
            self.fail("", f"must be a table ([{table}]), not {type(values).__name__}")
        self.values: dict[str, Any] = values

    def fail(self, key: str, what: str) -> None:
        where = f"[{self.table}] {key}" if self.table else key
        raise ConfigurationError(f"{self.origin}: {where.strip()}: {what}")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.values.get(key, default)
        if value is None:
            self.fail(key, 'is missing: add it, e.g. key = "value"')
        if not isinstance(value, str):
            self.fail(key, f"must be text in quotes, not {value!r}")
        return str(value)

    def number(self, key: str, default: int, low: int = 0) -> int:
        value = self.values.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            self.fail(key, f"must be a whole number of at least {low}, not {value!r}")
        return int(value)

    def choice(self, key: str, options: tuple[str, ...], default: str) -> str:
        value = self.text(key, default)
        if value not in options:
            self.fail(key, f"{value!r} is unknown: use one of {', '.join(options)}")
        return value

    def table_of(self, key: str) -> Reader:
        name = f"{self.table}.{key}" if self.table else key
        return Reader(self.origin, name, self.values.get(key, {}))

    def unknown(self, allowed: set[str]) -> None:
        for key in self.values:
            if key not in allowed:
                self.fail(
                    key, f"is not a setting here; known: {', '.join(sorted(allowed))}"
                )


def load(path: Path) -> SourceConfig:
    """Read and check a config file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the REST source config {path}: {exc}"
        ) from exc
    return parse(text, path.name)


def parse(text: str, origin: str = "config") -> SourceConfig:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{origin}: not valid TOML: {exc}") from exc
    top = Reader(origin, "", raw)
    top.unknown({"source", "request", "auth", "paging", "records", "rate_limit"})
    source = top.table_of("source")
    request = top.table_of("request")
    records = top.table_of("records")
    fields = _fields(records)
    config = SourceConfig(
        name=source.text("name"),
        url=request.text("url"),
        platform=source.choice("platform", PLATFORMS, "other"),
        level=source.choice("level", LEVELS, "campaign"),
        account_id=source.text("account_id", ""),
        account_name=source.text("account_name", ""),
        currency=_currency(source),
        timezone=_timezone(source),
        lookback_days=source.number("lookback_days", 3),
        days_per_request=source.number("days_per_request", 31, low=1),
        url_date_format=_date_format(request, "date_format"),
        headers=_headers(request),
        auth=_auth(top.table_of("auth")),
        paging=_paging(top.table_of("paging")),
        records_path=records.text("path", ""),
        date_path=records.text("date", "date"),
        date_format=_date_format(records, "date_format"),
        money_scale=_scale(records),
        fields=fields,
        rate_limit=_rate_limit(top.table_of("rate_limit")),
        origin=origin,
    )
    _check_together(config, source, records)
    return config


def _check_together(config: SourceConfig, source: Reader, records: Reader) -> None:
    source.unknown(
        {
            "name",
            "platform",
            "level",
            "account_id",
            "account_name",
            "currency",
            "timezone",
            "lookback_days",
            "days_per_request",
        }
    )
    records.unknown({"path", "date", "date_format", "money_scale", "fields"})
    if not config.account_id:
        source.fail("account_id", 'is missing: give the account\'s id, e.g. "shop-1"')
    if not config.currency:
        source.fail(
            "currency", 'is missing: give the ISO code of its amounts, e.g. "EUR"'
        )
    if config.level != "account":
        own = f"{config.level}_id" if config.level != "keyword" else "keyword_id"
        if own not in config.fields:
            records.fail(
                f"fields.{own}",
                f"is missing: level {config.level!r} rows "
                f"need their {own}; map it to a field of each record",
            )
    if not any(m in config.fields for m in MEASURES):
        records.fail(
            "fields", "maps no measure: map at least one of " + ", ".join(MEASURES)
        )
    for placeholder in ("{since}", "{until}"):
        if placeholder not in config.url and config.paging.type != "next-link":
            Reader(config.origin, "request", {}).fail(
                "url",
                f"has no {placeholder}: put the day span in the URL, e.g. "
                "?from={since}&to={until}",
            )


def _fields(records: Reader) -> dict[str, str]:
    table = records.table_of("fields")
    found = {}
    for key in table.values:
        if key not in RECORD_FIELDS:
            table.fail(
                key,
                "is not a field of adreport's model; known: "
                + ", ".join(sorted(RECORD_FIELDS)),
            )
        found[key] = table.text(key)
    return found


def _currency(source: Reader) -> str:
    code = source.text("currency", "")
    if code and not (len(code) == 3 and code.isalpha() and code.isupper()):
        source.fail("currency", f"{code!r} is not an ISO 4217 code such as EUR or KRW")
    return code


def _timezone(source: Reader) -> str:
    name = source.text("timezone", "UTC")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        source.fail("timezone", f"{name!r} is not an IANA time zone such as Asia/Seoul")
    return name


def _date_format(table: Reader, key: str) -> str:
    pattern = table.text(key, "%Y-%m-%d")
    try:
        parsed = datetime.strptime(datetime(2024, 3, 31).strftime(pattern), pattern)
    except ValueError:
        parsed = None
    if parsed is None or parsed.date().isoformat() != "2024-03-31":
        table.fail(
            key,
            f"{pattern!r} cannot carry a whole date: use strftime codes "
            'such as "%Y-%m-%d" or "%Y%m%d"',
        )
    return pattern


def _headers(request: Reader) -> dict[str, str]:
    headers = request.table_of("headers")
    return {name: headers.text(name) for name in headers.values}


def _scale(records: Reader) -> int:
    value = records.values.get("money_scale", "units")
    if isinstance(value, str) and value in MONEY_SCALES:
        return MONEY_SCALES[value]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    records.fail(
        "money_scale",
        f"{value!r} is unknown: use units, cents, micros or "
        "a whole number amounts are divided by (e.g. 1000000)",
    )
    raise AssertionError


def _auth(table: Reader) -> AuthConfig:
    kind = table.choice("type", AUTH_TYPES, "none")
    table.unknown({"type", "header", "token_url", "client_id", "scope"})
    config = AuthConfig(
        type=kind,
        header=table.text("header", "X-API-Key"),
        token_url=table.text("token_url", ""),
        client_id=table.text("client_id", ""),
        scope=table.text("scope", ""),
    )
    if kind == "oauth-client-credentials":
        for key in ("token_url", "client_id"):
            if not getattr(config, key):
                table.fail(key, "is needed for oauth-client-credentials: add it")
    return config


def _paging(table: Reader) -> PagingConfig:
    kind = table.choice("type", PAGING_TYPES, "none")
    table.unknown(
        {
            "type",
            "param",
            "size_param",
            "size",
            "first_page",
            "cursor_path",
            "next_path",
        }
    )
    config = PagingConfig(
        type=kind,
        param=table.text("param", ""),
        size_param=table.text("size_param", ""),
        size=table.number("size", 0),
        first_page=table.number("first_page", 1),
        cursor_path=table.text("cursor_path", ""),
        next_path=table.text("next_path", ""),
    )
    needs = {
        "page-number": ("param",),
        "offset": ("param",),
        "cursor": ("param", "cursor_path"),
        "next-link": ("next_path",),
    }
    for key in needs.get(kind, ()):
        if not getattr(config, key):
            table.fail(key, f"is needed for paging type {kind!r}: add it")
    if kind == "offset" and not config.size:
        table.fail(
            "size", "is needed for offset paging: the number of records a page holds"
        )
    return config


def _rate_limit(table: Reader) -> RateLimitConfig:
    table.unknown({"remaining_header", "limit_header", "reset_header"})
    return RateLimitConfig(
        remaining_header=table.text("remaining_header", ""),
        limit_header=table.text("limit_header", ""),
        reset_header=table.text("reset_header", ""),
    )
