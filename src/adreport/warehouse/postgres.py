"""The warehouse tables on PostgreSQL, for teams that outgrow one machine.

Imports write to the DuckDB file; `copy_to_postgres` publishes its tables to a
PostgreSQL database, where the same metrics queries run unchanged.
"""

from __future__ import annotations

import logging
from typing import Any

from adreport.warehouse.schema import TABLES
from adreport.warehouse.store import Warehouse

log = logging.getLogger(__name__)

PUBLISHED = (
    "facts",
    "campaign_days",
    "fact_grains",
    "accounts",
    "campaigns",
    "entities",
)


def create_schema(connection: Any) -> None:
    with connection.cursor() as cursor:
        for statement in TABLES:
            cursor.execute(statement)
    connection.commit()


def copy_to_postgres(warehouse: Warehouse, connection: Any) -> dict[str, int]:
    """Replace the published tables on PostgreSQL with the warehouse's, in one go."""
    create_schema(connection)
    copied = {}
    with connection.cursor() as cursor:
        for table in PUBLISHED:
            columns = [r[0] for r in warehouse.rows(f"DESCRIBE {table}")]
            cursor.execute(f"DELETE FROM {table}")
            names = ", ".join(columns)
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in warehouse.rows(f"SELECT {names} FROM {table}"):
                    copy.write_row(row)
            copied[table] = cursor.rowcount
            log.info("copied %s to PostgreSQL", table)
    connection.commit()
    return copied
