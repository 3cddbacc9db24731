"""Alembic's entry point: runs the migrations against the app database.

`adreport.appdata.db.upgrade` passes an open connection; from the command line the
URL comes from the configuration or ADREPORT_APP_DB. Every module of
`adreport.appdata` is imported so autogenerate sees every table.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection, create_engine

import adreport.appdata
from adreport.appdata.base import Base
from adreport.appdata.db import app_db_url
from adreport.appdata.models import UTCDateTime

for module in pkgutil.iter_modules(adreport.appdata.__path__):
    if module.name not in {"db", "migrations"}:
        importlib.import_module(f"adreport.appdata.{module.name}")


def render_item(kind: str, item: Any, autogen: Any) -> str | Literal[False]:
    """Migrations name plain SQLAlchemy types, never adreport's own classes."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    config = context.config
    given = config.attributes.get("connection")
    if given is not None:
        run(given)
        return
    url = config.get_main_option("sqlalchemy.url") or app_db_url()
    if context.is_offline_mode():
        context.configure(
            url=url,
            target_metadata=Base.metadata,
            literal_binds=True,
            render_as_batch=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    with engine.begin() as connection:
        run(connection)
    engine.dispose()


main()
