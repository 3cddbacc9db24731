"""The two databases metrics queries run on: the DuckDB warehouse and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pyarrow as pa

from adreport.metrics.fx import (
    FX_TABLE,
    RATE_USES_SQL,
    Rates,
    RateUse,
    missing_factors,
    rate_use,
)
from adreport.warehouse import Warehouse


class DuckDBDatabase:
    dialect = "duckdb"

    def __init__(self, warehouse: Warehouse, rates: Rates | None = None):
        self.warehouse = warehouse
        self.rates = rates or Rates()

    def fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return self.warehouse.rows(sql, list(params))

    def prepare_rates(
        self, target: str, currencies: list[str], start: date, end: date
    ) -> None:
        con = self.warehouse.con
        con.execute(FX_TABLE)
        have = {
            (r[0], r[1])
            for r in con.execute(
                "SELECT currency, day FROM fx_factors WHERE target = ? "
                "AND day BETWEEN ? AND ?",
                [target, start, end],
            ).fetchall()
        }
        rows = missing_factors(have, self.rates, target, currencies, start, end)
        if rows:
            columns = list(zip(*rows, strict=True))
            factors = pa.table(
                {
                    "target": pa.array(columns[0], pa.string()),
                    "currency": pa.array(columns[1], pa.string()),
                    "day": pa.array(columns[2], pa.date32()),
                    "factor": pa.array(columns[3], pa.decimal128(24, 12)),
                    "rate_day": pa.array(columns[4], pa.date32()),
                }
            )
            con.register("new_factors", factors)
            try:
                con.execute(
                    "INSERT OR IGNORE INTO fx_factors SELECT * FROM new_factors"
                )
            finally:
                con.unregister("new_factors")

    def rate_uses(
        self, target: str, pairs_sql: str, params: Sequence[Any]
    ) -> list[RateUse]:
        sql = RATE_USES_SQL.format(pairs=pairs_sql)
        return [rate_use(r) for r in self.fetch(sql, [*params, target, target])]


class PostgresDatabase:
    """Runs the same queries on PostgreSQL (psycopg 3), e.g. a shared warehouse."""

    dialect = "postgres"

    def __init__(self, connection: Any, rates: Rates | None = None):
        self.connection = connection
        self.rates = rates or Rates()

    def fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(_placeholders(sql), list(params))
            return list(cursor.fetchall())

    def prepare_rates(
        self, target: str, currencies: list[str], start: date, end: date
    ) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(FX_TABLE)
            cursor.execute(
                "SELECT currency, day FROM fx_factors WHERE target = %s "
                "AND day BETWEEN %s AND %s",
                [target, start, end],
            )
            have = {(r[0], r[1]) for r in cursor.fetchall()}
            rows = missing_factors(have, self.rates, target, currencies, start, end)
            cursor.executemany(
                "INSERT INTO fx_factors VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                rows,
            )
        self.connection.commit()

    def rate_uses(
        self, target: str, pairs_sql: str, params: Sequence[Any]
    ) -> list[RateUse]:
        sql = RATE_USES_SQL.format(pairs=pairs_sql)
        return [rate_use(r) for r in self.fetch(sql, [*params, target, target])]


def _placeholders(sql: str) -> str:
    """DuckDB's `?` placeholders as psycopg's `%s` (no literal `?` or `%` is used)."""
    return sql.replace("%", "%%").replace("?", "%s")
