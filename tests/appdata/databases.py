"""Fresh app databases for tests: a SQLite file, or a schema of its own on the
PostgreSQL test server (dropped afterwards)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import URL

from adreport.appdata.db import AppDatabase, open_app_db, upgrade
from tests.conftest import POSTGRES_DSN, missing

KINDS = ["sqlite", "postgres"]


def fresh_url(kind: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty app database of this kind, removed after the test."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.sqlite3'}"
        return
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        admin = psycopg.connect(POSTGRES_DSN, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        missing(f"PostgreSQL is not reachable at {POSTGRES_DSN}: {exc}")
    schema = f"app_{uuid.uuid4().hex[:12]}"
    admin.execute(f"CREATE SCHEMA {schema}")
    info = conninfo_to_dict(POSTGRES_DSN)
    url = URL.create(
        "postgresql+psycopg",
        username=str(info.get("user", "postgres")),
        password=str(info["password"]) if info.get("password") else None,
        host=str(info.get("host", "127.0.0.1")),
        port=int(str(info.get("port", 5432))),
        database=str(info.get("dbname", "test")),
        query={"options": f"-csearch_path={schema}"},
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


def fresh_db(kind: str, tmp_path: Path) -> Iterator[AppDatabase]:
    """An app database of this kind with every migration applied."""
    for url in fresh_url(kind, tmp_path):
        upgrade(url)
        db = open_app_db(url)
        try:
            yield db
        finally:
            db.close()
