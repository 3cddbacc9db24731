"""Writing query results as a table for people, or CSV and JSON for scripts.

In CSV a NULL is an empty cell and in JSON `null`, never 0; ratios are fractions
(0.0471), not percents; amounts keep six decimal places.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from adreport.metrics.query import QueryResult
from adreport.reports.formatting import format_metric
from adreport.reports.i18n import text
from adreport.reports.notes import query_notes

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def to_csv(result: QueryResult) -> str:
    """CSV for scripts and spreadsheets; names that look like formulas stay text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    """A spreadsheet would run `=HYPERLINK(...)` in a name: quote it as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return _plain(value)


def to_json(result: QueryResult) -> str:
    payload = {
        "currency": result.currency,
        "from": _plain(result.start),
        "to": _plain(result.end),
        "rows": [
            {k: _json_value(v) for k, v in rec.items()} for rec in result.records()
        ],
        "provisional_days": [d.isoformat() for d in result.provisional_days],
        "notes": result.notes,
        "rates": [
            {
                "currency": r.currency,
                "to": r.target,
                "first_rate_date": r.first_rate_day.isoformat(),
                "last_rate_date": r.last_rate_day.isoformat(),
                "stale_days": r.stale_days,
            }
            for r in result.rates
        ],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


def print_table(result: QueryResult, console: Console, lang: str = "en") -> None:
    table = Table(show_lines=False)
    for dim in result.dimensions:
        table.add_column(dim.label(lang))
    for dim in result.dimensions:
        if dim.id_sql:
            table.add_column(f"{dim.label(lang)} ID", style="dim")
    for metric in result.metrics:
        table.add_column(metric.label(lang), justify="right")
    dims = len(result.columns) - len(result.metrics)
    for row in result.rows:
        cells = [_plain(v) for v in row[:dims]]
        cells += [
            format_metric(v, m, result.currency, lang)
            for v, m in zip(row[dims:], result.metrics, strict=True)
        ]
        table.add_row(*cells)
    console.print(table)
    currency = result.currency or "-"
    if result.start:
        period = text(
            "query_period", lang, start=result.start, end=result.end, currency=currency
        )
    else:
        period = text("query_no_data", lang, currency=currency)
    console.print(f"[dim]{period}[/dim]")
    label = text("note_label", lang)
    for note in query_notes(result, lang):
        console.print(f"[yellow]{label}[/yellow] {note}")


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.quantize(Decimal("0.000001")).normalize(), "f")
    if isinstance(value, float):
        return _shortest(value)
    return str(value)


def _shortest(ratio: float) -> str:
    """A ratio to 15 significant digits: 1.59, not 1.5899999999999999."""
    return format(ratio, ".15g")


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return float(_shortest(value))
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
