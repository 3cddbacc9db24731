"""Records of a REST/JSON answer -> FactRecords, as the config's field map says.

The map is compiled once per source: each field becomes a tuple of keys to walk,
and each distinct date text is parsed once, so a page of 10,000 records costs
little more than reading them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from adreport.model import COUNT_MEASURES
from adreport.sources.base import FactRecord, Page
from adreport.sources.rest.config import MONEY, NAME_FIELDS, SourceConfig

Path = tuple[str, ...]


def split(path: str) -> Path:
    return tuple(part for part in path.split(".") if part)


def dig(value: Any, path: Path) -> Any:
    """The value at a dot path; None where any step is missing."""
    for key in path:
        if isinstance(value, Mapping):
            value = value.get(key)
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return value


Getter = Callable[[Any], Any]


def getter(path: Path) -> Getter:
    """A function reading `path` from a record; plain dict steps take the fast road."""
    if len(path) == 1:
        (key,) = path

        def one(record: Any) -> Any:
            return record.get(key) if type(record) is dict else dig(record, path)

        return one
    if len(path) == 2:
        outer, inner = path

        def two(record: Any) -> Any:
            if type(record) is dict:
                found = record.get(outer)
                if type(found) is dict:
                    return found.get(inner)
            return dig(record, path)

        return two
    return lambda record: dig(record, path)


class RecordMap:
    """One source's field map, compiled into (name, read, convert) steps."""

    def __init__(self, config: SourceConfig):
        self.level = config.level
        self.read_date = getter(split(config.date_path))
        self.date_format = config.date_format
        self.scale = Decimal(config.money_scale)
        self.steps = [
            (name, getter(split(path)), self._converter(name))
            for name, path in config.fields.items()
        ]
        self._days: dict[str, date] = {}

    def _converter(self, name: str) -> Callable[[Any], Any]:
        if name in COUNT_MEASURES:
            return _count
        if name in MONEY:
            return self._money
        if name == "conversions":
            return _decimal
        if name in NAME_FIELDS:
            return _name
        return _text

    def page(self, records: list[Any]) -> Page:
        page = Page(records=[])
        keep, refuse = page.records.append, page.rejected.append
        for raw in records:
            try:
                keep(self.record(raw))
            except (ValueError, TypeError, InvalidOperation) as exc:
                refuse((raw if isinstance(raw, dict) else {"": raw}, str(exc)))
        return page

    def record(self, raw: Any) -> FactRecord:
        values: dict[str, Any] = {}
        for name, read, convert in self.steps:
            found = read(raw)
            if found is not None:
                try:
                    values[name] = convert(found)
                except (ValueError, TypeError, InvalidOperation) as exc:
                    raise ValueError(f"{name} {found!r}: {exc}") from exc
        return FactRecord(
            date=self.day(self.read_date(raw)), level=self.level, **values
        )

    def day(self, text: Any) -> date:
        found = self._days.get(text) if type(text) is str else None
        if found is None:
            if not isinstance(text, str):
                raise ValueError(f"date {text!r} is not text")
            try:
                found = datetime.strptime(text, self.date_format).date()
            except ValueError:
                raise ValueError(
                    f"date {text!r} does not match {self.date_format!r}"
                ) from None
            self._days[text] = found
        return found

    def _money(self, value: Any) -> Decimal:
        if type(value) is int or isinstance(value, str):
            amount = Decimal(value)
        else:
            amount = Decimal(str(_number(value)))
        return amount / self.scale if self.scale != 1 else amount


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    return value


def _count(value: Any) -> int:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise ValueError("a count, not true/false")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("a count must be whole")
    return int(value)


def _decimal(value: Any) -> Decimal:
    if type(value) is int or isinstance(value, str):
        return Decimal(value)
    return Decimal(str(_number(value)))


def _name(value: Any) -> str:
    return unicodedata.normalize("NFC", str(value))


def _text(value: Any) -> str:
    return str(value)
