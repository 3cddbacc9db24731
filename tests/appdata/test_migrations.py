"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from adreport.appdata.base import Base
from adreport.appdata.db import (
    alembic_config,
    app_db_url,
    open_app_db,
    upgrade,
)
from tests.appdata.databases import KINDS, fresh_url

CORE_TABLES = {
    "users",
    "workspaces",
    "clients",
    "memberships",
    "api_clients",
    "refresh_tokens",
    "account_links",
    "report_definitions",
    "audit_log",
}


@pytest.fixture(params=KINDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_url(request.param, tmp_path)


def test_upgrade_builds_every_table_of_the_models(url: str) -> None:
    upgrade(url)
    upgrade(url)  # a second run changes nothing
    engine = create_engine(url)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert tables >= CORE_TABLES
    assert differences == []


def test_migrations_have_one_head_and_go_down_and_up_again(url: str) -> None:
    config = alembic_config(url)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
    upgrade(url)
    from alembic import command

    command.downgrade(config, "base")
    engine = create_engine(url)
    with engine.connect() as connection:
        assert not CORE_TABLES & set(inspect(connection).get_table_names())
    engine.dispose()
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) >= CORE_TABLES
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_enforced(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'app.sqlite3'}"
    upgrade(url)
    db = open_app_db(url)
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.close()


def test_the_default_database_is_in_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ADREPORT_APP_DB", raising=False)
    assert app_db_url(tmp_path) == f"sqlite:///{tmp_path / 'app.sqlite3'}"
    monkeypatch.setenv("ADREPORT_APP_DB", "postgresql+psycopg://u@h:5432/app")
    assert app_db_url(tmp_path) == "postgresql+psycopg://u@h:5432/app"
