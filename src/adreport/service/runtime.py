"""What the running service holds for all requests: settings and the warehouse.

The DuckDB file is owned by one process (DESIGN.md), so the server opens it once
at start-up; each request works on a cursor of its own (DuckDB's connection for
one unit of work), so one request's unfinished result never blocks another's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from adreport.appdata.db import AppDatabase, app_db_url, open_app_db, upgrade
from adreport.config import Settings, load_settings
from adreport.metrics.fx import Rates
from adreport.security.secrets import SecretBox
from adreport.security.signin import MAX_FAILURES, WINDOW_SECONDS, SignInLimiter
from adreport.security.tokens import AccessTokens, load_token_keys
from adreport.service.local_access import LocalAccess
from adreport.service.syncs import SyncJobs
from adreport.sources.connections import ConnectionStore
from adreport.warehouse import Warehouse

# How long a shutdown waits for running syncs; an unfinished one resumes next time.
SYNC_GRACE_SECONDS = 5.0


@dataclass
class ServiceSettings:
    """How the service runs; the rest (margin, KPIs) comes from adreport.toml."""

    data_dir: Path
    # SQLAlchemy URL of the app data; default: SQLite beside the warehouse.
    app_db_url: str | None = None
    json_logs: bool = False
    # Failed sign-ins allowed per account and per address in `sign_in_window`.
    sign_in_attempts: int = MAX_FAILURES
    sign_in_window: float = WINDOW_SECONDS
    page_limit_max: int = 200
    # Set by `adreport serve`: the loopback URL a CLI of this data dir may use.
    local_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def app_db(self) -> str:
        return self.app_db_url or app_db_url(self.data_dir)

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"


class CursorWarehouse(Warehouse):
    """A warehouse seen through one cursor of the shared connection."""

    def __init__(self, shared: Warehouse):  # no super().__init__: the file is open
        self.path = shared.path
        self.con = shared.con.cursor()


class Runtime:
    """Opened at start-up, closed at shutdown; shared by every request."""

    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.adreport: Settings = load_settings(settings.data_dir)
        self.rates = Rates(settings.data_dir)
        self.warehouse: Warehouse | None = None
        self.app_db: AppDatabase | None = None
        self.tokens: AccessTokens | None = None
        self.sign_in = SignInLimiter(settings.sign_in_attempts, settings.sign_in_window)
        # Exchange-rate factors are written on first use; one writer at a time.
        self.rates_lock = threading.Lock()
        self.local: LocalAccess | None = None
        self.syncs = SyncJobs(self.cursor, self.secret_box)

    def open(self) -> None:
        """Migrate and open the app data, then open the warehouse."""
        upgrade(self.settings.app_db)
        self.app_db = open_app_db(self.settings.app_db)
        self.warehouse = Warehouse(self.settings.warehouse_path)
        self.tokens = AccessTokens(load_token_keys(self.settings.data_dir))
        if self.settings.local_url:
            self.local = LocalAccess(self.settings.data_dir, self.settings.local_url)
            self.local.start()
        # The stored connections' tables, made once here rather than by requests.
        ConnectionStore(self.warehouse, self.secret_box())

    def close(self) -> None:
        if self.local is not None:
            self.local.stop()
            self.local = None
        self.syncs.wait(SYNC_GRACE_SECONDS)
        if self.app_db is not None:
            self.app_db.close()
            self.app_db = None
        if self.warehouse is not None:
            self.warehouse.close()
            self.warehouse = None

    def app_db_check(self) -> dict[str, str]:
        """Whether the app data answers, when it is open."""
        if self.app_db is None:
            return {}
        try:
            with self.app_db.session() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means not ready; say which part
            return {"app_data": f"failing: {type(exc).__name__}"}
        return {"app_data": "ok"}

    def sessions(self) -> AppDatabase:
        if self.app_db is None:
            raise RuntimeError("the app data is not open: the service is not started")
        return self.app_db

    def access_tokens(self) -> AccessTokens:
        if self.tokens is None:
            raise RuntimeError("no token keys loaded: the service is not started")
        return self.tokens

    def secret_box(self) -> SecretBox:
        """Seals and opens connection secrets (keys from the environment or the
        key file beside the warehouse, never from the database)."""
        return SecretBox.for_data_dir(self.settings.data_dir)

    def cursor(self) -> CursorWarehouse:
        if self.warehouse is None:
            raise RuntimeError("the warehouse is not open: the service is not started")
        return CursorWarehouse(self.warehouse)
