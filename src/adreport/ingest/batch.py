"""Turning a batch of raw export records into typed rows of the unified model."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from adreport.errors import MissingFactError, ParseProblem
from adreport.ingest.detect import Located
from adreport.ingest.numbers import Kind, NumberStyle, parse_column
from adreport.ingest.spec import match_name
from adreport.model import (
    BREAKDOWNS,
    COUNT_MEASURES,
    ENTITY_IDS,
    Grain,
    make_grain,
)

NUMBER_KINDS = {
    **dict.fromkeys(COUNT_MEASURES, Kind.COUNT),
    "conversions": Kind.DECIMAL,
    "results": Kind.DECIMAL,
    "spend": Kind.MONEY,
    "revenue": Kind.MONEY,
    "value": Kind.MONEY,
    "impression_share": Kind.RATIO,  # read to count censored values; not stored
}
ENTITY_NAMES = {
    "campaign": "campaign_name",
    "ad_group": "ad_group_name",
    "ad": "ad_name",
    "keyword": "keyword",
}
DESCRIPTIVE = (
    "account_name",
    "timezone",
    "campaign_name",
    "channel",
    "campaign_type",
    "campaign_status",
    "ad_group_name",
    "ad_name",
    "keyword",
)


@dataclass
class FileFacts:
    """What the user told adreport about a file, and what it found out itself."""

    path: Path
    fetched_at: datetime
    currency: str | None = None
    timezone: str | None = None
    day: date | None = None
    account: str | None = None
    conversion_event: str | None = None
    known_accounts: Callable[[str, str], tuple[str, str] | None] = lambda p, a: None


@dataclass
class Batch:
    """Parsed rows, their problems, and which rows are bad."""

    columns: dict[str, pa.Array]
    lines: pa.Array
    problems: list[ParseProblem] = field(default_factory=list)
    bad: pa.Array | None = None
    censored: int = 0

    @property
    def rows(self) -> int:
        return len(self.lines)


class BatchParser:
    """Parses batches of one file; holds what must stay the same from batch to batch."""

    def __init__(self, located: Located, facts: FileFacts):
        self.located = located
        self.fmt = located.fmt
        self.facts = facts
        self.index = self._resolve_columns()
        self.date_format: str | None = None
        self.notes: set[str] = set()
        if self.fmt.kind == "facts":
            self._require_missing_facts()

    def _require_missing_facts(self) -> None:
        """Ask at once for everything the file lacks, not one option per attempt."""
        names_account = {"account_id", "account_name"} & self.index.keys()
        missing = []
        if not names_account and not self.facts.account:
            missing.append("--account NAME (the ad account these numbers belong to)")
        if not {"date", "hour"} & self.index.keys() and self.facts.day is None:
            missing.append("--date YYYY-MM-DD (the day these numbers cover)")
        if not names_account and not self._currency_known():
            missing.append("--currency CODE (e.g. USD or KRW; the file names none)")
        if missing:
            raise MissingFactError(
                f"{self.facts.path.name} does not say everything adreport needs, and "
                "adreport does not guess. Pass:\n  " + "\n  ".join(missing)
            )

    def _currency_known(self) -> bool:
        if "currency" in self.index or self.header_currency or self.facts.currency:
            return True
        stored = self.facts.account and self.facts.known_accounts(
            self.fmt.platform, self.facts.account
        )
        return bool(stored and stored[0])

    def _resolve_columns(self) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        self.header_currency: str | None = None
        for spec in self.fmt.columns.values():
            for position, header, matched in self._first_match(spec.names):
                found[spec.field] = (position, header.strip())
                if not isinstance(matched, bool) and "currency" in matched.groupdict():
                    self.header_currency = matched.group("currency").upper()
        return found

    def _first_match(
        self, names: tuple[str, ...]
    ) -> list[tuple[int, str, re.Match[str] | bool]]:
        """The header matching the earliest of `names`: the mapping's order decides."""
        for name in names:
            for position, header in enumerate(self.located.headers):
                matched = match_name(name, header)
                if matched:
                    return [(position, header, matched)]
        return []

    @property
    def grain(self) -> Grain:
        if self.fmt.level:
            level = self.fmt.level
        else:
            level = "account"
            for candidate in ("campaign", "ad_group", "ad", "keyword"):
                if ENTITY_IDS[candidate] in self.index or (
                    ENTITY_NAMES[candidate] in self.index
                ):
                    level = candidate
        return make_grain(level, {b for b in BREAKDOWNS if b in self.index})

    def raw(self, records: list[tuple[int, list[str]]]) -> Batch:
        """Raw text columns of the mapped fields; records of the wrong width are bad."""
        width = len(self.located.headers)
        problems = []
        good = []
        for line, cells in records:
            if len(cells) == width:
                good.append(cells)
                continue
            if len(cells) == width + 1 and cells[-1] == "":
                good.append(cells[:-1])
                continue
            problems.append(
                ParseProblem(
                    self.facts.path.name,
                    line,
                    "(whole row)",
                    self.located.delimiter.join(cells)[:200],
                    f"a row of {width} fields (it has {len(cells)}; cut off?)",
                )
            )
        good_lines = [line for (line, cells) in records if _fits(cells, width)]
        columns_text = list(zip(*good, strict=True)) if good else [()] * width
        columns = {
            name: pa.array(columns_text[position], pa.string())
            for name, (position, _) in self.index.items()
        }
        return Batch(columns, pa.array(good_lines, pa.int64()), problems)

    def problem_mask(
        self, batch: Batch, column: str, bad: pa.Array, expected: str = ""
    ) -> None:
        """Record a problem for each bad cell of `column`."""
        if not pc.any(bad).as_py():
            return
        header = self.index[column][1] if column in self.index else column
        raw = batch.columns.get(column)
        positions = pc.indices_nonzero(bad).to_pylist()
        for position in positions:
            value = raw[position].as_py() if raw is not None else ""
            batch.problems.append(
                ParseProblem(
                    self.facts.path.name,
                    batch.lines[position].as_py(),
                    header,
                    value or "",
                    expected or _expected(column),
                )
            )
        batch.bad = bad if batch.bad is None else pc.or_(batch.bad, bad)


def _fits(cells: list[str], width: int) -> bool:
    return len(cells) == width or (len(cells) == width + 1 and cells[-1] == "")


def _expected(column: str) -> str:
    if column in NUMBER_KINDS:
        return NUMBER_KINDS[column].value
    return {
        "date": "a date",
        "hour": "a date and hour",
        "currency": "an ISO 4217 currency code such as USD or KRW",
        "timezone": "an IANA time zone such as Asia/Seoul",
    }.get(column, "a value")


def normalise_text(values: pa.Array) -> pa.Array:
    """NFC, trimmed, empty instead of NULL (text key parts are never NULL)."""
    text = pc.utf8_trim_whitespace(pc.utf8_normalize(values, "NFC"))
    return pc.fill_null(text, "")


def parse_numbers(parser: BatchParser, batch: Batch) -> dict[str, pa.Array]:
    parsed = {}
    for name, kind in NUMBER_KINDS.items():
        if name not in batch.columns:
            continue
        spec = parser.fmt.columns[name]
        raw = batch.columns[name]
        if spec.empty_is_zero:
            raw = pc.if_else(pc.equal(pc.utf8_trim_whitespace(raw), ""), "0", raw)
        style = parser.fmt.number_style
        column = parse_column(raw, kind, style, Decimal(spec.scale))
        plainly_bad = pc.and_(column.bad, pc.invert(column.ambiguous))
        parser.problem_mask(batch, name, plainly_bad)
        parser.problem_mask(batch, name, column.ambiguous, _ambiguity(style))
        batch.censored += column.censored
        parsed[name] = column.values
    return parsed


def _ambiguity(style: NumberStyle) -> str:
    return (
        f"unambiguous: with '{style.decimal_mark}' as the decimal mark and "
        f"'{style.thousands_mark}' for thousands, three digits after "
        f"'{style.decimal_mark}' may be a misread thousands group; check the "
        "format's number_style"
    )


def parse_days(parser: BatchParser, batch: Batch, name: str) -> pa.Array:
    """Dates (or the local date of timestamps), reading each distinct text once."""
    raw = normalise_text(batch.columns[name])
    distinct = pc.unique(raw).to_pylist()
    if parser.date_format is None:
        parser.date_format = _best_format(distinct, parser.fmt.date_formats)
    days = {text: _parse_day(text, parser.date_format) for text in distinct}
    looked_up = pa.array([days[t] for t in distinct], pa.date32())
    result = pc.take(looked_up, pc.index_in(raw, pa.array(distinct, pa.string())))
    parser.problem_mask(batch, name, pc.is_null(result))
    return result


def _best_format(texts: list[str], formats: tuple[str, ...]) -> str:
    """The first format that reads every text; else the one that reads the most."""
    scores = [(sum(_parse_day(t, f) is not None for t in texts), f) for f in formats]
    best = max(scores, key=lambda s: s[0])
    for score, fmt in scores:
        if score == best[0]:
            return fmt
    return formats[0]


def _parse_day(text: str, fmt: str) -> date | None:
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        return None


def parse_moments(parser: BatchParser, batch: Batch, name: str) -> pa.Array:
    raw = normalise_text(batch.columns[name])
    distinct = pc.unique(raw).to_pylist()
    moments = {text: _parse_moment(text, parser.fmt.date_formats) for text in distinct}
    looked_up = pa.array([moments[t] for t in distinct], pa.timestamp("us"))
    result = pc.take(looked_up, pc.index_in(raw, pa.array(distinct, pa.string())))
    parser.problem_mask(batch, name, pc.is_null(result))
    return result


def _parse_moment(text: str, formats: tuple[str, ...]) -> datetime | None:
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def check_codes(
    parser: BatchParser, batch: Batch, name: str, check: Callable[[str], str | None]
) -> pa.Array:
    raw = normalise_text(batch.columns[name])
    distinct = pc.unique(raw).to_pylist()
    checked = {text: check(text) if text else None for text in distinct}
    looked_up = pa.array([checked[t] for t in distinct], pa.string())
    result = pc.take(looked_up, pc.index_in(raw, pa.array(distinct, pa.string())))
    parser.problem_mask(batch, name, pc.and_(pc.is_null(result), pc.not_equal(raw, "")))
    return pc.fill_null(result, "")


def constant(value: str, rows: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), rows)


def provisional_flags(days: pa.Array, fetched_at: datetime, window: int) -> pa.Array:
    first_settled = fetched_at.date() - timedelta(days=window)
    return pc.fill_null(pc.greater_equal(days, pa.scalar(first_settled)), False)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise MissingFactError(message)
