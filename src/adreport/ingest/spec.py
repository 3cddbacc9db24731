"""Declarative descriptions of export layouts: which column is which field.

Every format adreport knows, the platforms' own UI exports included, is one TOML
file in `formats/`. A user can write their own for any other CSV with
`adreport import FILE --mapping my-format.toml`.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from adreport.errors import ConfigurationError
from adreport.ingest.numbers import NumberStyle
from adreport.model import BREAKDOWNS, MEASURES, PLATFORMS

TEXT_FIELDS = (
    "account_id",
    "account_name",
    "currency",
    "timezone",
    "campaign_id",
    "campaign_name",
    "campaign_type",
    "campaign_status",
    "ad_group_id",
    "ad_group_name",
    "ad_id",
    "ad_name",
    "keyword_id",
    "keyword",
    *BREAKDOWNS,
    "attribution_setting",
    "result_indicator",
    "platform",
    "event_id",
    "event_type",
    "won",
    "action_type",
)
TIME_FIELDS = ("date", "hour", "updated_at", "occurred_at")
NUMBER_FIELDS = (*MEASURES, "results", "value", "impression_share")
FIELDS = (*TIME_FIELDS, *TEXT_FIELDS, *NUMBER_FIELDS)
KINDS = ("facts", "accounts", "events", "actions")


@dataclass(frozen=True)
class ColumnSpec:
    """Where one field comes from: header names (or `re:` patterns) and a scale."""

    field: str
    names: tuple[str, ...]
    scale: str = "1"  # a decimal text, e.g. "0.000001" for micros
    empty_is_zero: bool = False  # for platforms that leave a 0 cell empty
    remove: str = ""  # characters dropped from a text value, e.g. "-" in 123-456-7890

    def match(self, header: str) -> re.Match[str] | bool:
        for name in self.names:
            found = match_name(name, header)
            if found:
                return found
        return False


def match_name(name: str, header: str) -> re.Match[str] | bool:
    """Whether one header name (or `re:` pattern) of a mapping matches a header.

    A pattern is searched for anywhere in the header: anchor it with ^ and $.
    """
    if name.startswith("re:"):
        return re.search(name[3:], header.strip(), re.IGNORECASE) or False
    return fold(name) == fold(header)


@dataclass(frozen=True)
class ExportFormat:
    name: str
    title: str
    kind: str
    platform: str
    columns: dict[str, ColumnSpec]
    recognise_by: tuple[str, ...]
    delimiter: str = "auto"
    number_style: NumberStyle = field(default_factory=NumberStyle)
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    skip_rows_starting: tuple[str, ...] = ()
    stop_at_rows_starting: tuple[str, ...] = ()
    provisional_days: int = 3
    level: str | None = None
    channel: str = ""
    conversion_indicator: str = ""
    adjust: str = ""  # a function in adreport.ingest.adjust run on each parsed batch
    companions: tuple[str, ...] = ()
    measure: str = ""  # for kind "actions": the measure its values feed
    ids_from_names: bool = False
    notes: str = ""

    def recognises(self, headers: list[str]) -> bool:
        """Whether every `recognise_by` name (or `re:` pattern) is among the headers."""
        return not self.missing_headers(headers)

    def missing_headers(self, headers: list[str]) -> list[str]:
        return [
            name
            for name in self.recognise_by
            if not any(match_name(name, header) for header in headers)
        ]


def fold(text: str) -> str:
    """Header text as compared: NFC, case-folded, inner spaces collapsed."""
    text = unicodedata.normalize("NFC", text).replace("\ufeff", "")
    return " ".join(text.split()).casefold()


def load_format(path: Path) -> ExportFormat:
    with path.open("rb") as handle:
        try:
            data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{path}: not valid TOML: {exc}") from exc
    return parse_format(data, str(path))


def parse_format(data: dict[str, Any], where: str) -> ExportFormat:
    def need(key: str) -> Any:
        if key not in data:
            raise ConfigurationError(f"{where}: the key {key!r} is missing")
        return data[key]

    platform = data.get("platform", "other")
    if platform not in PLATFORMS:
        raise ConfigurationError(
            f"{where}: platform {platform!r} is unknown; "
            f"use one of {', '.join(PLATFORMS)}"
        )
    kind = data.get("kind", "facts")
    if kind not in KINDS:
        raise ConfigurationError(f"{where}: kind must be one of {', '.join(KINDS)}")
    columns = {
        name: _column_spec(name, value, where)
        for name, value in need("columns").items()
    }
    style = data.get("number_style", "en")
    return ExportFormat(
        name=need("name"),
        title=need("title"),
        kind=kind,
        platform=platform,
        columns=columns,
        recognise_by=tuple(data.get("recognise_by", ())),
        delimiter=data.get("delimiter", "auto"),
        number_style=_number_style(style, where),
        date_formats=tuple(data.get("date_formats", ("%Y-%m-%d",))),
        skip_rows_starting=tuple(data.get("skip_rows_starting", ())),
        stop_at_rows_starting=tuple(data.get("stop_at_rows_starting", ())),
        provisional_days=int(data.get("provisional_days", 3)),
        level=data.get("level"),
        channel=data.get("channel", ""),
        conversion_indicator=data.get("conversion_indicator", ""),
        adjust=data.get("adjust", ""),
        companions=tuple(data.get("companions", ())),
        measure=data.get("measure", ""),
        ids_from_names=bool(data.get("ids_from_names", False)),
        notes=data.get("notes", ""),
    )


def _number_style(style: Any, where: str) -> NumberStyle:
    try:
        if isinstance(style, dict):
            return NumberStyle(style["decimal_mark"], style["thousands_mark"])
        return NumberStyle.named(style)
    except (KeyError, ValueError) as exc:
        raise ConfigurationError(f"{where}: number_style: {exc}") from exc


def _column_spec(name: str, value: Any, where: str) -> ColumnSpec:
    if name not in FIELDS:
        raise ConfigurationError(
            f"{where}: [columns] {name!r} is not a field adreport knows; "
            f"known fields: {', '.join(FIELDS)}"
        )
    if isinstance(value, str):
        return ColumnSpec(name, (value,))
    if isinstance(value, list):
        return ColumnSpec(name, tuple(value))
    if isinstance(value, dict) and "names" in value:
        names = value["names"]
        names = (names,) if isinstance(names, str) else tuple(names)
        empty = value.get("empty", "null")
        if empty not in ("null", "zero"):
            raise ConfigurationError(
                f"{where}: [columns] {name!r}: empty must be 'null' or 'zero'"
            )
        return ColumnSpec(
            name,
            names,
            str(value.get("scale", "1")),
            empty == "zero",
            str(value.get("remove", "")),
        )
    raise ConfigurationError(
        f"{where}: [columns] {name!r} must be a header name, a list of them, "
        "or a table with 'names' and optionally 'scale'"
    )


def builtin_formats() -> list[ExportFormat]:
    folder = resources.files("adreport.ingest") / "formats"
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            found.append(parse_format(data, f"built-in format {entry.name}"))
    return found


def find_format(name: str) -> ExportFormat:
    for candidate in builtin_formats():
        if candidate.name == name:
            return candidate
    path = Path(name)
    if path.suffix == ".toml":
        if not path.is_file():
            raise ConfigurationError(f"{path}: no such mapping file")
        return load_format(path)
    known = ", ".join(f.name for f in builtin_formats())
    raise ConfigurationError(
        f"unknown format {name!r}; known formats: {known} "
        "(or a path to a mapping .toml)"
    )
