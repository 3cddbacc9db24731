"""`GET /api/v1/metrics`: the same query as `adreport query`, over HTTP.

Same registry, dimensions and filters (`where=FIELD=VALUE`, repeatable, values
comma-separated); the answer holds only rows of the ad accounts linked to the
caller's workspace (and, for client-bound callers, their client). In JSON a
missing value is `null`, never 0; money and conversions are decimal strings (exact,
six places at most), counts integers, ratios numbers (fractions: 0.0471).
"""

# No `from __future__ import annotations`: the route is made inside router_for, and
# FastAPI must read its parameters' types from the closure, not from strings.

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, StringConstraints

from adreport.metrics.backends import DuckDBDatabase
from adreport.metrics.dimensions import DIMENSIONS
from adreport.metrics.query import MetricQuery, QueryResult, run_query
from adreport.metrics.registry import Registry
from adreport.service.api.deps import RuntimeDep, WarehouseDep
from adreport.service.api.scoping import CallerDep, SessionDep, caller_accounts
from adreport.service.api.v1.query_names import (
    BLANKS,
    currency_code,
    filter_item,
    name_list,
)
from adreport.service.api.warehouse_scope import scope_to_accounts
from adreport.service.problems import ApiError, FieldError
from adreport.service.runtime import Runtime

Cell = str | int | float | bool | None
NAME = r"^[a-z][a-z0-9_]{0,62}$"


class RateUsed(BaseModel):
    currency: str
    to: str
    first_rate_date: date
    last_rate_date: date
    stale_days: int


class MetricsAnswer(BaseModel):
    currency: str
    from_: date | None = Field(alias="from")
    to: date | None
    columns: list[str]
    rows: list[dict[str, Cell]]
    provisional_days: list[date]
    notes: list[str]
    rates: list[RateUsed]


class LockedRates(DuckDBDatabase):
    """Exchange-rate factors are written on first use: one writer at a time."""

    def __init__(self, runtime: Runtime, cursor: WarehouseDep):
        super().__init__(cursor, runtime.rates)
        self.lock = runtime.rates_lock

    def prepare_rates(
        self, target: str, currencies: list[str], start: date, end: date
    ) -> None:
        # Factors are needed only for days that have rows: a period reaching back
        # before the rates begin, or far into the past, needs none for empty days.
        marks = ", ".join("?" for _ in currencies) or "NULL"
        found = self.fetch(
            "SELECT min(date), max(date) FROM campaign_days "
            f"WHERE currency IN ({marks}) AND date BETWEEN ? AND ?",
            [*currencies, start, end],
        )
        first, last = found[0] if found else (None, None)
        if first is None or last is None:  # no rows: the factors table, none in it
            currencies, first, last = [], start, end
        with self.lock:
            super().prepare_rates(target, currencies, first, last)


def _names(text: str) -> list[str]:
    return [part.strip(BLANKS) for part in text.split(",") if part.strip(BLANKS)]


def _where(items: list[str]) -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip(BLANKS):
            raise ApiError(
                "invalid_request",
                f"where={item!r} is not FIELD=VALUE (e.g. where=channel=search)",
                errors=[FieldError(field="query.where", message="not FIELD=VALUE")],
            )
        where.setdefault(name.strip(BLANKS), []).extend(
            v.strip(BLANKS) for v in value.split(",") if v.strip(BLANKS)
        )
    return where


def router_for(registry: Registry, currencies: Iterable[str]) -> APIRouter:
    """The metrics route, documenting exactly the names this workspace knows.

    The registry (core metrics plus the KPIs of adreport.toml, read at start-up),
    the dimensions and the currencies of the exchange rates become patterns, so a
    client, and the document, can tell a known name from a typo before asking.
    """
    router = APIRouter(tags=["metrics"])
    metric_names = list(registry.metrics)
    dimension_names = list(DIMENSIONS)
    filter_pattern = filter_item(dimension_names)
    currency_pattern = currency_code(currencies)

    @router.get("/metrics", response_model=MetricsAnswer, response_model_by_alias=True)
    def metrics(
        caller: CallerDep,
        session: SessionDep,
        service: RuntimeDep,
        cursor: WarehouseDep,
        metrics: Annotated[
            str,
            Query(
                min_length=1,
                max_length=500,
                pattern=name_list(metric_names, at_least_one=True),
                description="Comma-separated metrics, e.g. spend,roas; one of "
                + ", ".join(metric_names),
            ),
        ],
        by: Annotated[
            str,
            Query(
                max_length=500,
                pattern=name_list(dimension_names, at_least_one=False),
                description="Comma-separated dimensions, e.g. date,campaign; one of "
                + ", ".join(dimension_names),
            ),
        ] = "",
        start: Annotated[date | None, Query(alias="from")] = None,
        end: Annotated[date | None, Query(alias="to")] = None,
        currency: Annotated[
            str | None,
            Query(
                pattern=currency_pattern,
                description="ISO 4217 code the exchange rates know, e.g. EUR",
            ),
        ] = None,
        where: Annotated[
            list[Annotated[str, StringConstraints(pattern=filter_pattern)]] | None,
            Query(
                max_length=20,
                description="DIMENSION=VALUE[,VALUE]; repeat for more",
            ),
        ] = None,
    ) -> dict[str, Any]:
        """Metrics grouped and filtered, over the caller's accounts only."""
        query = MetricQuery(
            metrics=_names(metrics),
            by=_names(by),
            start=start,
            end=end,
            currency=currency.upper() if currency else None,
            where=_where(where or []),
        )
        if start and end and start > end:
            return _reversed_period(query, registry)
        scope_to_accounts(cursor, caller_accounts(session, caller))
        result = run_query(
            LockedRates(service, cursor), service.adreport.registry(), query
        )
        return answer(result)

    return router


def _reversed_period(query: MetricQuery, registry: Registry) -> dict[str, Any]:
    """A period whose start is after its end holds no days: no rows, and a note.

    Both dates are valid on their own and no document can relate two parameters,
    so the answer is empty rather than refused; the note says how to fix it.
    """
    dims = [DIMENSIONS[name] for name in query.by]
    columns = [d.name for d in dims] + [f"{d.name}_id" for d in dims if d.id_sql]
    columns += [m.name for m in registry.resolve(query.metrics)]
    return {
        "currency": query.currency or "",
        "from": query.start,
        "to": query.end,
        "columns": columns,
        "rows": [],
        "provisional_days": [],
        "notes": [
            f"from {query.start} is after to {query.end}: the period holds no "
            "days; swap them"
        ],
        "rates": [],
    }


def answer(result: QueryResult) -> dict[str, Any]:
    return {
        "currency": result.currency,
        "from": result.start,
        "to": result.end,
        "columns": result.columns,
        "rows": [
            {name: cell(value) for name, value in zip(result.columns, row, strict=True)}
            for row in result.rows
        ],
        "provisional_days": result.provisional_days,
        "notes": result.notes,
        "rates": [
            {
                "currency": r.currency,
                "to": r.target,
                "first_rate_date": r.first_rate_day,
                "last_rate_date": r.last_rate_day,
                "stale_days": r.stale_days,
            }
            for r in result.rates
        ],
    }


def cell(value: Any) -> Cell:
    """JSON for one value: NULL stays null, decimals become exact strings."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return format(value.quantize(Decimal("0.000001")).normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
