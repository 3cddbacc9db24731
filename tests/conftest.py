"""Shared fixtures: a fresh warehouse, the real data folder, a PostgreSQL schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from adreport.ingest.importer import ImportOptions, ImportResult, import_file
from adreport.metrics.backends import DuckDBDatabase
from adreport.metrics.fx import Rates
from adreport.metrics.query import MetricQuery, QueryResult, run_query
from adreport.metrics.registry import Registry
from adreport.warehouse import Warehouse

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SERVICES_REQUIRED = os.environ.get("ADREPORT_REQUIRE_SERVICES") == "1"
POSTGRES_DSN = os.environ.get(
    "ADREPORT_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


def missing(reason: str) -> None:
    """Skip, or fail where CI says the service must be there."""
    if SERVICES_REQUIRED:
        pytest.fail(f"{reason} (ADREPORT_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        missing(f"the real data folder {SHARED_DATA} is not beside the checkout")
    return SHARED_DATA


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    with Warehouse(tmp_path / "warehouse.duckdb") as store:
        yield store


class Lab:
    """A warehouse plus helpers to write small export files and query them."""

    def __init__(self, warehouse: Warehouse, folder: Path):
        self.warehouse = warehouse
        self.folder = folder
        self.rates = Rates(folder)
        self.registry = Registry()

    def write(self, name: str, text: str, encoding: str = "utf-8") -> Path:
        path = self.folder / name
        path.write_bytes(text.encode(encoding))
        return path

    def load(self, name: str, text: str, **options: object) -> ImportResult:
        path = self.write(name, text)
        return import_file(self.warehouse, path, ImportOptions(**options))  # type: ignore[arg-type]

    def query(
        self,
        metrics: str,
        by: str = "",
        currency: str | None = None,
        start: date | None = None,
        end: date | None = None,
        **where: str,
    ) -> QueryResult:
        query = MetricQuery(
            metrics=metrics.split(","),
            by=[b for b in by.split(",") if b],
            currency=currency,
            start=start,
            end=end,
            where={k: v.split(",") for k, v in where.items()},
        )
        return run_query(
            DuckDBDatabase(self.warehouse, self.rates), self.registry, query
        )

    def one(self, metrics: str, **kwargs: object) -> dict[str, object]:
        rows = self.query(metrics, **kwargs).records()  # type: ignore[arg-type]
        assert len(rows) == 1, rows
        return rows[0]


@pytest.fixture
def lab(warehouse: Warehouse, tmp_path: Path) -> Lab:
    return Lab(warehouse, tmp_path)


@pytest.fixture
def postgres() -> Iterator[object]:
    """A connection to a schema of its own on the PostgreSQL test server."""
    psycopg = pytest.importorskip("psycopg")
    try:
        connection = psycopg.connect(POSTGRES_DSN, connect_timeout=3)
    except psycopg.OperationalError as exc:
        missing(f"PostgreSQL is not reachable at {POSTGRES_DSN}: {exc}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema}")
        cursor.execute(f"SET search_path TO {schema}")
    connection.commit()
    try:
        yield connection
    finally:
        connection.rollback()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {schema} CASCADE")
        connection.commit()
        connection.close()
