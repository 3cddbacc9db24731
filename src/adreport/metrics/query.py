"""Metrics queries over the unified model, on DuckDB or PostgreSQL.

One query answers "these metrics, grouped by these dimensions, over these days, in
this currency". It picks, per account and day, the coarsest grain of rows that can
answer the grouping (so ad rows are never added to the campaign rows they make up),
converts every money amount with its own row's dated rate, and computes every
ratio from the summed bases of each output row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from adreport.errors import QueryError
from adreport.metrics.dimensions import JOINS, Dimension, dimension
from adreport.metrics.formula import to_sql
from adreport.metrics.fx import RateUse
from adreport.metrics.registry import BASE_MEASURES, Metric, Registry
from adreport.model import Grain

COUNTS = {"impressions", "clicks", "video_views", "engagements"}
# What `campaign_days` (the facts added up per campaign and day) can answer.
ROLLUP_DIMENSIONS = {
    "date",
    "week",
    "month",
    "platform",
    "account",
    "channel",
    "campaign_type",
    "campaign",
    "attribution_setting",
}
MONEY = {"spend", "revenue"}
# Keeps the fact rows of the grain chosen for their account and day. A semi-join
# rather than a join: the planner then filters the facts first instead of pairing
# every chosen day with every campaign (4 times faster on 10 million rows).
IN_CHOSEN = """EXISTS (SELECT 1 FROM {chosen} c WHERE c.platform = f.platform
    AND c.account_id = f.account_id AND c.date = f.date AND c.grain = f.grain)"""


class Database(Protocol):
    """What a query needs from a warehouse connection (DuckDB or PostgreSQL)."""

    dialect: str

    def fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]: ...

    def prepare_rates(
        self, target: str, currencies: list[str], start: date, end: date
    ) -> None: ...

    def rate_uses(
        self, target: str, pairs_sql: str, params: Sequence[Any]
    ) -> list[RateUse]: ...


@dataclass
class MetricQuery:
    metrics: list[str]
    by: list[str] = field(default_factory=list)
    start: date | None = None
    end: date | None = None
    currency: str | None = None
    where: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class LeftOut:
    """An account whose rows cannot be split by what the query asked for."""

    platform: str
    account_id: str
    asked: tuple[str, ...]

    @property
    def text(self) -> str:
        asked = ", ".join(self.asked) or "total"
        return (
            f"{self.platform} account {self.account_id} has no rows that can be split "
            f"by {asked}: left out"
        )


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    metrics: list[Metric]
    dimensions: list[Dimension]
    currency: str
    start: date | None
    end: date | None
    notes: list[str] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)
    time_zones: list[str] = field(default_factory=list)  # only when they differ
    rates: list[RateUse] = field(default_factory=list)
    provisional_days: list[date] = field(default_factory=list)
    sql: str = ""

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


class QueryBuilder:
    """Builds the SQL of one query: grain choice, currency, joins, groups."""

    def __init__(self, db: Database, registry: Registry, query: MetricQuery):
        self.db = db
        self.registry = registry
        self.query = query
        self.metrics = registry.resolve(query.metrics)
        if not self.metrics:
            raise QueryError("name at least one metric, e.g. --metrics spend,roas")
        self.dims = [dimension(d) for d in query.by if d.strip()]
        self.filters = {dimension(k): v for k, v in query.where.items()}
        self.params: list[Any] = []

    def run(self) -> QueryResult:
        start, end = self._date_range()
        if start is None or end is None:
            return self._empty()
        currency = self._currency(start, end)
        grains = self._eligible_grains()
        left_out = self._left_out(grains, start, end)
        time_zones = self._mixed_time_zones(start, end)
        notes = [account.text for account in left_out]
        notes += _time_zone_notes(time_zones)
        self._check_attribution(grains, start, end)
        sql = self._sql(grains, start, end, currency)
        rows = self.db.fetch(sql, self.params)
        if self.filters and _nothing_in(rows, len(self.metrics)):
            notes += self._unmatched_filters(start, end)
        columns = self._columns()
        result = QueryResult(
            columns,
            rows,
            self.metrics,
            self.dims,
            currency,
            start,
            end,
            notes,
            left_out,
            time_zones,
            sql=sql,
        )
        result.rates = self._rates_used(start, end, currency)
        result.provisional_days = self._provisional_days(grains, start, end)
        return result

    def _date_range(self) -> tuple[date | None, date | None]:
        if self.query.start and self.query.end:
            if self.query.start > self.query.end:
                raise QueryError(
                    f"--from {self.query.start} is after --to {self.query.end}"
                )
            return self.query.start, self.query.end
        found: list[tuple[Any, ...]] = []
        if self.filters:
            self.params = []
            where = " AND ".join(self._filter(d, v) for d, v in self.filters.items())
            found = self.db.fetch(
                f"SELECT min(f.date), max(f.date) FROM {self._table()} f "
                f"{self._joins()} WHERE {where}",
                self.params,
            )
        if not found or found[0][0] is None:
            found = self.db.fetch("SELECT min(date), max(date) FROM fact_grains", [])
        first, last = found[0] if found else (None, None)
        return self.query.start or first, self.query.end or last

    def _empty(self) -> QueryResult:
        return QueryResult(
            self._columns(),
            [],
            self.metrics,
            self.dims,
            self.query.currency or "",
            None,
            None,
            ["the warehouse holds no rows yet: import some files first"],
        )

    def _currency(self, start: date, end: date) -> str:
        present = [
            r[0]
            for r in self.db.fetch(
                "SELECT DISTINCT currency FROM campaign_days "
                "WHERE date BETWEEN ? AND ? ORDER BY 1",
                [start, end],
            )
        ]
        self.currencies = present
        if self.query.currency:
            target = self.query.currency.upper()
            if present != [target]:
                self.db.prepare_rates(target, present, start, end)
            return target
        if len(present) > 1:
            raise QueryError(
                f"the rows from {start} to {end} are in {', '.join(present)}; "
                "name the currency to report in, e.g. --currency "
                f"{present[0]}"
            )
        return present[0] if present else ""

    def _eligible_grains(self) -> list[str]:
        levels = {d.level for d in (*self.dims, *self.filters) if d.level}
        breakdowns = {d.breakdown for d in (*self.dims, *self.filters) if d.breakdown}
        present = [
            r[0]
            for r in self.db.fetch(
                "SELECT DISTINCT grain FROM fact_grains ORDER BY 1", []
            )
        ]
        return [g for g in present if Grain.parse(g).answers(levels, breakdowns)]

    def _chosen_sql(self, grains: list[str], start: date, end: date) -> str:
        marks = ", ".join("?" for _ in grains) or "NULL"
        self.params.extend([*grains, start, end])
        return f"""SELECT platform, account_id, date, min(grain) AS grain
            FROM fact_grains
            WHERE grain IN ({marks}) AND date BETWEEN ? AND ?
            GROUP BY platform, account_id, date"""

    def _accounts_in_scope(self, start: date, end: date) -> tuple[str, list[Any]]:
        """SQL for the accounts with rows in the range that the platform and
        account filters let through (other filters cannot leave an account out).
        The grains table goes by the facts' alias, so the filters apply unchanged."""
        self.params = [start, end]
        where = ["f.date BETWEEN ? AND ?"]
        for dim, values in self.filters.items():
            if dim.name in ("platform", "account"):
                where.append(self._filter(dim, values))
        sql = f"""SELECT DISTINCT f.platform, f.account_id FROM fact_grains f
            LEFT JOIN accounts a ON a.platform = f.platform
                AND a.account_id = f.account_id
            WHERE {" AND ".join(where)}"""
        return sql, self.params

    def _left_out(self, grains: list[str], start: date, end: date) -> list[LeftOut]:
        scope, params = self._accounts_in_scope(start, end)
        marks = ", ".join("?" for _ in grains) or "NULL"
        missing = self.db.fetch(
            f"""SELECT s.platform, s.account_id FROM ({scope}) s
            WHERE s.platform || '/' || s.account_id NOT IN (
                SELECT platform || '/' || account_id FROM fact_grains
                WHERE date BETWEEN ? AND ? AND grain IN ({marks}))
            ORDER BY 1, 2""",
            [*params, start, end, *grains],
        )
        named = (d.name for d in (*self.dims, *self.filters))
        asked = tuple(dict.fromkeys(named))
        return [LeftOut(platform, account, asked) for platform, account in missing]

    def _mixed_time_zones(self, start: date, end: date) -> list[str]:
        scope, params = self._accounts_in_scope(start, end)
        zones = [
            r[0]
            for r in self.db.fetch(
                f"""SELECT DISTINCT a.timezone FROM accounts a
                JOIN ({scope}) s
                    ON s.platform = a.platform AND s.account_id = a.account_id
                WHERE a.timezone <> '' ORDER BY 1""",
                params,
            )
        ]
        return zones if len(zones) > 1 else []

    def _unmatched_filters(self, start: date, end: date) -> list[str]:
        """Say which filter matched no row at all, and what values there are."""
        notes = []
        for dim, values in self.filters.items():
            self.params = [start, end]
            condition = self._filter(dim, values)
            joins = "\n".join(JOINS[a] for a in dim.joins)
            found = self.db.fetch(
                f"SELECT count(*) FROM facts f {joins} "
                f"WHERE f.date BETWEEN ? AND ? AND {condition}",
                self.params,
            )
            if found[0][0]:
                continue
            # A name, or the id where there is no name: either can be typed.
            shown_as = ", ".join(
                f"NULLIF(CAST({c} AS VARCHAR), '')" for c in dim.filter_sql
            )
            known = self.db.fetch(
                f"SELECT DISTINCT COALESCE({shown_as}) AS v "
                f"FROM facts f {joins} WHERE f.date BETWEEN ? AND ? ORDER BY 1 "
                "LIMIT 12",
                [start, end],
            )
            shown = ", ".join(str(r[0]) for r in known if r[0] not in (None, ""))
            notes.append(
                f"no rows have {dim.name} = {', '.join(values)} from {start} to {end}"
                + (f"; values there: {shown}" if shown else "")
            )
        return notes

    def _check_attribution(self, grains: list[str], start: date, end: date) -> None:
        named = {d.name for d in (*self.dims, *self.filters)}
        if "attribution_setting" in named:
            return
        params: list[Any] = []
        saved, self.params = self.params, params
        chosen = self._chosen_sql(grains, start, end)
        self.params = saved
        mixed = self.db.fetch(
            f"""SELECT g.platform, g.account_id,
                string_agg(DISTINCT g.attribution_setting, ', ')
            FROM fact_grains g JOIN ({chosen}) c ON c.platform = g.platform
                AND c.account_id = g.account_id AND c.date = g.date
                AND c.grain = g.grain
            GROUP BY g.platform, g.account_id
            HAVING count(DISTINCT g.attribution_setting) > 1""",
            params,
        )
        if mixed:
            platform, account, settings = mixed[0]
            raise QueryError(
                f"{platform} account {account} has rows under several attribution "
                f"settings ({settings}); adding them would count conversions twice. "
                "Pick one with --where attribution_setting=NAME"
            )

    def _sql(self, grains: list[str], start: date, end: date, currency: str) -> str:
        """Group the chosen rows first, then convert money and work out the KPIs.

        The inner query does the per-row work and keeps each group's money in its
        own currency per day; the outer one converts those few sums with each day's
        rate (the sum of converted amounts equals the converted sum, exactly, in
        decimals) and computes every ratio from the converted sums.
        """
        self.params = []
        chosen = self._chosen_sql(grains, start, end)
        in_chosen = self._in_chosen(grains, start, end)
        convert = bool(self.query.currency) and self.currencies != [currency]
        where = ["f.date BETWEEN ? AND ?"]
        self.params.extend([start, end])
        for dim, values in self.filters.items():
            where.append(self._filter(dim, values))

        keys = list(dict.fromkeys(g for d in self.dims for g in d.group_sql))
        if convert:
            keys += ["f.currency", "f.date"]
        inner = [f"{key} AS k{n}" for n, key in enumerate(keys)]
        inner += [d.show_sql + f" AS {d.name}" for d in self.dims]
        inner += [f"{d.id_sql} AS {d.name}_id" for d in self.dims if d.id_sql]
        table = self._table()
        inner += [self._inner_measure(name, table) for name in self._measures_used()]
        grouped = f"GROUP BY {', '.join(keys)}" if keys else ""

        outer = [f"max(g.{d.name}) AS {d.name}" for d in self.dims]
        outer += [f"max(g.{d.name}_id) AS {d.name}_id" for d in self.dims if d.id_sql]
        outer += [self._metric_sql(m, convert) + f" AS {m.name}" for m in self.metrics]
        fx = ""
        if convert:
            n = len(keys)
            fx = (
                "LEFT JOIN fx_factors x ON x.target = ? "
                f"AND x.currency = g.k{n - 2} AND x.day = g.k{n - 1}"
            )
            self.params.append(currency)
        regroup = list(dict.fromkeys(f"g.k{n}" for n in range(len(keys) - 2 * convert)))
        group_by = f"GROUP BY {', '.join(regroup)}" if regroup else ""
        order = f"ORDER BY {', '.join(d.name for d in self.dims)}" if self.dims else ""
        return f"""WITH chosen AS ({chosen}),
g AS (
SELECT {", ".join(inner)}
FROM {table} f
{self._joins()}
WHERE {" AND ".join(where)} AND {in_chosen}
{grouped})
SELECT {", ".join(outer)}
FROM g
{fx}
{group_by}
{order}"""

    def _in_chosen(self, grains: list[str], start: date, end: date) -> str:
        """Keep the rows of the grain chosen for their account and day.

        Most accounts report at one grain on every day; then matching the account
        and grain is enough, and much cheaper than matching every day.
        """
        saved, self.params = self.params, []
        chosen = self._chosen_sql(grains, start, end)
        mixed = self.db.fetch(
            f"""SELECT count(*) FROM (SELECT platform, account_id FROM ({chosen}) c
            GROUP BY platform, account_id HAVING count(DISTINCT grain) > 1) m""",
            self.params,
        )
        self.params = saved
        if mixed[0][0]:
            return IN_CHOSEN.format(chosen="chosen")
        return """EXISTS (SELECT 1 FROM (SELECT DISTINCT platform, account_id, grain
            FROM chosen) c WHERE c.platform = f.platform
            AND c.account_id = f.account_id AND c.grain = f.grain)"""

    def _joins(self) -> str:
        aliases = list(
            dict.fromkeys(a for d in (*self.dims, *self.filters) for a in d.joins)
        )
        return "\n".join(JOINS[a] for a in aliases)

    def _filter(self, dim: Dimension, values: list[str]) -> str:
        """Any of the values, matched on name or id, ignoring letter case."""
        marks = ", ".join("?" for _ in values)
        alternatives = []
        for column in dim.filter_sql:
            if dim.lower_case:
                alternatives.append(f"{column} IN ({marks})")
            else:
                alternatives.append(f"lower(CAST({column} AS VARCHAR)) IN ({marks})")
            self.params.extend(v.lower() for v in values)
        return "(" + " OR ".join(alternatives) + ")"

    def _measures_used(self) -> list[str]:
        """The base measures the asked metrics are made of."""
        used: dict[str, None] = {}

        def leaf(name: str) -> str:
            used[name] = None
            return "0"

        for metric in self.metrics:
            to_sql(self.registry.expression(metric.name), leaf)
        return [name for name in used if name in BASE_MEASURES]

    def _table(self) -> str:
        """The facts, or their sums per campaign and day when those will do."""
        named = {d.name for d in (*self.dims, *self.filters)}
        return "campaign_days" if named <= ROLLUP_DIMENSIONS else "facts"

    @staticmethod
    def _inner_measure(name: str, table: str) -> str:
        if name == "reach":  # kept only where one fact row makes the group
            rows = "sum(f.fact_rows)" if table == "campaign_days" else "count(*)"
            return f"{rows} AS rows_of_reach, max(f.reach) AS m_reach"
        return f"sum(f.{name}) AS m_{name}"

    def _metric_sql(self, metric: Metric, convert: bool) -> str:
        def leaf(name: str) -> str:
            if name not in BASE_MEASURES:
                raise QueryError(f"{metric.name}: {name!r} is not a base measure")
            if name == "reach":
                return "(CASE WHEN sum(g.rows_of_reach) = 1 THEN max(g.m_reach) END)"
            if name in MONEY:
                amount = f"g.m_{name} * x.factor" if convert else f"g.m_{name}"
                return f"sum({amount})"
            if name in COUNTS:
                return f"CAST(sum(g.m_{name}) AS BIGINT)"
            return f"sum(g.m_{name})"

        sql = to_sql(self.registry.expression(metric.name), leaf)
        if metric.additivity == "base" and metric.unit == "money":
            return f"CAST({sql} AS DECIMAL(38, 6))"
        if metric.additivity == "base" and metric.name == "conversions":
            return f"CAST({sql} AS DECIMAL(38, 6))"
        if metric.additivity != "base" and metric.name != "reach":
            return f"CAST({sql} AS DOUBLE PRECISION)"
        return sql

    def _columns(self) -> list[str]:
        columns = [d.name for d in self.dims]
        columns += [f"{d.name}_id" for d in self.dims if d.id_sql]
        return columns + [m.name for m in self.metrics]

    def _rates_used(self, start: date, end: date, currency: str) -> list[RateUse]:
        if not self.query.currency or self.currencies == [currency]:
            return []
        # Every currency of the days in the period: a grain choice cannot change
        # which currencies a day's rows are in, so their daily sums will do.
        pairs = """SELECT DISTINCT f.currency, f.date AS day FROM campaign_days f
            WHERE f.date BETWEEN ? AND ?"""
        return self.db.rate_uses(currency, pairs, [start, end])

    def _provisional_days(
        self, grains: list[str], start: date, end: date
    ) -> list[date]:
        self.params = []
        chosen = self._chosen_sql(grains, start, end)
        found = self.db.fetch(
            f"""SELECT DISTINCT f.date FROM facts f
            WHERE f.provisional AND {IN_CHOSEN.format(chosen=f"({chosen})")}
            AND f.date BETWEEN ? AND ? ORDER BY 1""",
            [*self.params, start, end],
        )
        return [r[0] for r in found]


def _nothing_in(rows: list[tuple[Any, ...]], metrics: int) -> bool:
    return all(value is None for row in rows for value in row[-metrics:])


def _time_zone_notes(zones: list[str]) -> list[str]:
    if not zones:
        return []
    return [
        f"accounts keep their days in different time zones ({', '.join(zones)}): "
        "each day is that account's own calendar day, so one day here does not "
        "cover the same hours for every account"
    ]


def run_query(db: Database, registry: Registry, query: MetricQuery) -> QueryResult:
    return QueryBuilder(db, registry, query).run()
