"""Where the app data lives and how to open it: SQLite by default, PostgreSQL by URL.

The default is `sqlite:///<data dir>/app.sqlite3`; the variable ADREPORT_APP_DB
names another database (e.g. `postgresql+psycopg://postgres@127.0.0.1:5432/app`).
The schema is only ever changed by the Alembic migrations in `migrations/`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from adreport.config import data_dir as default_data_dir
from adreport.errors import ConfigurationError

log = logging.getLogger(__name__)

APP_DB_VARIABLE = "ADREPORT_APP_DB"
SQLITE_FILE = "app.sqlite3"
MIGRATIONS = Path(__file__).with_name("migrations")


def app_db_url(data_dir: Path | None = None) -> str:
    """ADREPORT_APP_DB when set, else the SQLite file in the data directory."""
    configured = os.environ.get(APP_DB_VARIABLE, "").strip()
    if configured:
        return configured
    folder = data_dir if data_dir is not None else default_data_dir()
    return f"sqlite:///{folder / SQLITE_FILE}"


@dataclass
class AppDatabase:
    """An engine and the sessions made from it; one per process."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        self.engine.dispose()


def open_app_db(url: str | None = None) -> AppDatabase:
    """Open (not migrate) the app database; run `upgrade(url)` first at start-up."""
    url = url or app_db_url()
    engine = _engine(url, foreign_keys=True)
    sessions = sessionmaker(engine, expire_on_commit=False)
    return AppDatabase(url, engine, sessions)


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema up to `revision` (all migrations by default)."""
    url = url or app_db_url()
    # Batch migrations on SQLite copy and drop tables: with foreign keys enforced
    # that would cascade deletes, so they run with enforcement off and are
    # checked afterwards.
    engine = _engine(url, foreign_keys=False)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        if engine.dialect.name == "sqlite":
            _check_foreign_keys(engine)
    finally:
        engine.dispose()
    log.info("app data at %s is at revision %s", _safe(url), revision)


def alembic_config(url: str) -> Config:
    """The Alembic configuration, built here so no .ini file needs to be found."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _engine(url: str, foreign_keys: bool) -> Engine:
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigurationError(
            f"{APP_DB_VARIABLE}={_safe(url)!r} is not a database URL; use e.g. "
            "sqlite:////path/app.sqlite3 or "
            "postgresql+psycopg://user@host:5432/dbname"
        ) from exc
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas(foreign_keys))
    return engine


def _sqlite_pragmas(foreign_keys: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    return on_connect


def _check_foreign_keys(engine: Engine) -> None:
    with engine.connect() as connection:
        broken = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
    if broken:
        raise ConfigurationError(
            f"after migrating, {len(broken)} rows point at missing rows "
            f"(first: table {broken[0][0]}, row {broken[0][1]}); restore a backup"
        )


def _safe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"
