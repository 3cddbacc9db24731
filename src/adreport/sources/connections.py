"""Stored connections: which account to pull, with its secrets sealed.

A connection lives in the warehouse file (table `connections`); its secrets are
one sealed blob bound to its workspace and name (`adreport.security.secrets`),
its settings plain JSON. Its status tells the user what to do: a revoked grant
shows "re-authorisation needed" until `adreport connect` is run again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from adreport.errors import ConfigurationError
from adreport.security.secrets import SecretBox
from adreport.sources.engine.run import (
    Progress,
    Source,
    SyncOptions,
    SyncOutcome,
    sync_source,
)
from adreport.sources.engine.runs import FINISHED, REAUTHORISATION_NEEDED
from adreport.sources.engine.tables import ensure_sync_tables
from adreport.warehouse.store import Warehouse, utc_now

log = logging.getLogger(__name__)

DEFAULT_WORKSPACE = "default"
NEVER_SYNCED = "never synced"
CONNECTED = "connected"

CONNECTIONS_TABLE = """CREATE TABLE IF NOT EXISTS connections (
    workspace VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    platform VARCHAR NOT NULL,
    settings VARCHAR NOT NULL,
    secrets VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    message VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace, name)
)"""


@dataclass
class Connection:
    name: str
    platform: str
    settings: dict[str, str]
    secrets: dict[str, str] = field(repr=False)
    workspace: str = DEFAULT_WORKSPACE
    status: str = NEVER_SYNCED
    message: str = ""

    def source(self) -> Source:
        return Source(self.name, self.platform, self.settings, self.secrets)


@dataclass(frozen=True)
class SourceStatus:
    """One line of `adreport sources`."""

    name: str
    platform: str
    status: str
    last_sync: datetime | None
    data_as_of: date | None
    provisional_days: int
    errors: int
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "platform": self.platform,
            "status": self.status,
            "last_sync": self.last_sync.isoformat() if self.last_sync else None,
            "data_as_of": self.data_as_of.isoformat() if self.data_as_of else None,
            "provisional_days": self.provisional_days,
            "errors": self.errors,
            "message": self.message,
        }


class ConnectionStore:
    def __init__(
        self, warehouse: Warehouse, box: SecretBox, workspace: str = DEFAULT_WORKSPACE
    ):
        self.warehouse = warehouse
        self.box = box
        self.workspace = workspace
        warehouse.con.execute(CONNECTIONS_TABLE)
        ensure_sync_tables(warehouse.con)

    def save(self, connection: Connection) -> None:
        """Store (or replace) a connection; its status starts afresh."""
        sealed = self.box.seal(
            json.dumps(connection.secrets), self.workspace, connection.name
        )
        now = utc_now()
        self.warehouse.con.execute(
            """INSERT INTO connections VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (workspace, name) DO UPDATE SET platform = excluded.platform,
                settings = excluded.settings, secrets = excluded.secrets,
                status = excluded.status, message = '', updated_at = excluded.updated_at
            """,
            [
                self.workspace,
                connection.name,
                connection.platform,
                json.dumps(connection.settings, sort_keys=True),
                sealed,
                CONNECTED,
                "",
                now,
                now,
            ],
        )

    def names(self) -> list[str]:
        return [
            name
            for (name,) in self.warehouse.rows(
                "SELECT name FROM connections WHERE workspace = ? ORDER BY name",
                [self.workspace],
            )
        ]

    def get(self, name: str) -> Connection:
        found = self.warehouse.rows(
            """SELECT platform, settings, secrets, status, message FROM connections
            WHERE workspace = ? AND name = ?""",
            [self.workspace, name],
        )
        if not found:
            known = ", ".join(self.names()) or "none yet"
            raise ConfigurationError(
                f"no connection named {name!r} (known: {known}); "
                "add one with `adreport connect PLATFORM`"
            )
        platform, settings, sealed, status, message = found[0]
        secrets = json.loads(self.box.open(sealed, self.workspace, name))
        settings = json.loads(settings)
        return Connection(
            name, platform, settings, secrets, self.workspace, status, message
        )

    def set_status(self, name: str, status: str, message: str = "") -> None:
        self.warehouse.con.execute(
            """UPDATE connections SET status = ?, message = ?, updated_at = ?
            WHERE workspace = ? AND name = ?""",
            [status, message, utc_now(), self.workspace, name],
        )

    def update_secret(self, name: str, key: str, value: str) -> None:
        """Keep a secret the platform replaced (a rotated refresh token)."""
        connection = self.get(name)
        connection.secrets[key] = value
        sealed = self.box.seal(json.dumps(connection.secrets), self.workspace, name)
        self.warehouse.con.execute(
            "UPDATE connections SET secrets = ? WHERE workspace = ? AND name = ?",
            [sealed, self.workspace, name],
        )

    def rotate_secrets(self) -> int:
        """Reseal every connection's secrets under the newest key; returns how many."""
        rows = self.warehouse.rows(
            "SELECT name, secrets FROM connections WHERE workspace = ?",
            [self.workspace],
        )
        for name, sealed in rows:
            fresh = self.box.reseal(sealed, self.workspace, name)
            self.warehouse.con.execute(
                "UPDATE connections SET secrets = ? WHERE workspace = ? AND name = ?",
                [fresh, self.workspace, name],
            )
        return len(rows)

    def statuses(self) -> list[SourceStatus]:
        return [self._status(name) for name in self.names()]

    def _status(self, name: str) -> SourceStatus:
        platform, status, message = self.warehouse.rows(
            """SELECT platform, status, message FROM connections
            WHERE workspace = ? AND name = ?""",
            [self.workspace, name],
        )[0]
        last = self.warehouse.rows(
            """SELECT max(finished_at), max(last_day) FILTER (WHERE status = ?),
                arg_max(errors, run_id) FROM sync_runs WHERE connection = ?""",
            [FINISHED, name],
        )[0]
        provisional = self.warehouse.rows(
            """SELECT count(DISTINCT date) FROM facts
            WHERE provisional AND source_file LIKE ?""",
            # Any platform: a generic connection stores rows under its config's.
            [f"sync:%:{name}:%"],
        )[0][0]
        errors = int(last[2] or 0)
        return SourceStatus(
            name, platform, status, last[0], last[1], int(provisional), errors, message
        )


async def sync_connection(
    store: ConnectionStore,
    name: str,
    options: SyncOptions | None = None,
    progress: Progress | None = None,
    **engine: Any,
) -> SyncOutcome:
    """Sync one stored connection and keep its status (and any rotated token)."""
    connection = store.get(name)
    outcome = await sync_source(
        store.warehouse, connection.source(), options, progress=progress, **engine
    )
    run = outcome.run
    store.set_status(name, run.status, run.message)
    if run.status == REAUTHORISATION_NEEDED:
        log.warning(
            "connection %s needs re-authorisation: run `adreport connect %s --name "
            "%s` again with its options",
            name,
            connection.platform,
            name,
        )
    auth = outcome.connector.auth
    if getattr(auth, "refresh_token_rotated", False):
        store.update_secret(name, "refresh_token", str(auth.refresh_token))  # type: ignore[attr-defined]
    if getattr(auth, "token_changed", False):  # Meta exchanges its long-lived token
        store.update_secret(name, "access_token", str(auth.access_token))  # type: ignore[attr-defined]
    return outcome
