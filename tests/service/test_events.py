"""Pushed events over real HTTP: signatures, replays, duplicates, dead letters.

The rows of SECURITY.md's "Pushed events" and "hostile inputs" tables: a replay at
+301 s, another tenant's secret, the same event id with a changed body; each is
refused before the app data is touched (statements counted on the server's own
engine), and the one valid event has one effect in the warehouse.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select

from adreport.appdata.admin import create_api_client, create_workspace
from adreport.appdata.db import open_app_db, upgrade
from adreport.appdata.models import AuditEntry, Workspace
from adreport.security.secrets import SecretBox
from adreport.service.app import create_app
from adreport.service.runtime import Runtime, ServiceSettings
from adreport.service.webhook_endpoints import Endpoints, signature_header
from adreport.sources.push import (
    Delivery,
    ingest_events,
    parse_body,
    read_event,
    warehouse_source,
)
from adreport.warehouse.store import Warehouse
from tests.conftest import POSTGRES_DSN, missing
from tests.service.live import serve

HOSTILE = [
    '=HYPERLINK("http://127.0.0.1:9/x","open")',
    "+1+1",
    "@SUM(1)",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
]


@dataclass
class Tenant:
    workspace_id: int
    endpoint: str
    secret: str
    client_id: str = ""
    client_secret: str = ""


@dataclass
class Sender:
    """A sender as a CRM would be: signs each delivery with the endpoint's secret."""

    base: str
    tenant: Tenant
    source: str = "crm"
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    def post(
        self,
        body: bytes,
        at: float | None = None,
        secrets: list[str] | None = None,
        endpoint: str | None = None,
    ) -> httpx.Response:
        stamp = int(time.time() if at is None else at)
        signed = signature_header(secrets or [self.tenant.secret], body, stamp)
        return self.http.post(
            f"{self.base}/api/v1/events/{self.source}",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Adreport-Endpoint": endpoint or self.tenant.endpoint,
                "X-Adreport-Signature": signed,
            },
        )


def event_body(event_id: str, value: str = "120.50", **extra: Any) -> bytes:
    payload: dict[str, Any] = {
        "event_id": event_id,
        "occurred_at": "2026-03-01T12:00:00Z",
        "type": "conversion",
        "value": value,
        "currency": "EUR",
        "attribution": {"utm_source": "google", "campaign_id": "c-1"},
    }
    payload.update(extra)
    return json.dumps(payload).encode()


def prepare(
    data_dir: Path,
    names: tuple[str, ...] = ("Acme", "Rival"),
    app_db_url: str | None = None,
) -> list[Tenant]:
    """Workspaces with a `crm` endpoint each and an admin API client, before start."""
    settings = ServiceSettings(data_dir, app_db_url=app_db_url)
    upgrade(settings.app_db)
    database = open_app_db(settings.app_db)
    tenants = []
    try:
        endpoints = Endpoints(database.engine, SecretBox.for_data_dir(data_dir))
        with database.session() as session:
            for name in names:
                workspace = create_workspace(session, name)
                credential, secret = create_api_client(
                    session, workspace, "tests", "admin"
                )
                made = endpoints.create(workspace.id, "crm")
                tenants.append(
                    Tenant(
                        workspace.id,
                        made.public_id,
                        made.secret,
                        credential.oauth_client_id,
                        secret,
                    )
                )
    finally:
        database.close()
    return tenants


@dataclass
class Lab:
    base: str
    runtime: Runtime
    acme: Tenant
    rival: Tenant
    statements: list[str] = field(default_factory=list)

    def sender(self, tenant: Tenant | None = None) -> Sender:
        return Sender(self.base, tenant or self.acme)

    def token(self, tenant: Tenant) -> dict[str, str]:
        answer = httpx.post(
            f"{self.base}/api/v1/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": tenant.client_id,
                "client_secret": tenant.client_secret,
            },
        )
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def warehouse_events(self, workspace_id: int) -> list[tuple[Any, ...]]:
        cursor = self.runtime.cursor()
        try:
            return cursor.rows(
                "SELECT e.event_id, e.value, e.currency, e.event_type, e.campaign_id,"
                " a.utm_source, a.utm_campaign FROM events e JOIN event_attribution a"
                " USING (source, event_id) WHERE source = ? ORDER BY event_id",
                [warehouse_source(str(workspace_id), "crm")],
            )
        finally:
            cursor.close()

    def wait_processed(self, workspace_id: int, count: int) -> list[tuple[Any, ...]]:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            rows = self.warehouse_events(workspace_id)
            if len(rows) >= count:
                return rows
            time.sleep(0.05)
        raise AssertionError(
            f"only {len(rows)} of {count} events reached the warehouse"
        )


@pytest.fixture
def app_db_url() -> str | None:
    """The app data of the service under test: SQLite in the data directory."""
    return None


@pytest.fixture
def lab(tmp_path: Path, app_db_url: str | None) -> Iterator[Lab]:
    acme, rival = prepare(tmp_path, app_db_url=app_db_url)
    app = create_app(ServiceSettings(tmp_path, app_db_url=app_db_url))
    runtime: Runtime = app.state.runtime
    with serve(app) as base:
        statements: list[str] = []
        engine = runtime.sessions().engine

        def listener(*args: Any) -> None:
            # The processor polls the inbox on its own thread; count the rest.
            if not threading.current_thread().name.startswith("event-processor"):
                statements.append(args[2])

        event.listen(engine, "before_cursor_execute", listener)
        try:
            yield Lab(base, runtime, acme, rival, statements)
        finally:
            event.remove(engine, "before_cursor_execute", listener)


def test_a_signed_event_is_accepted_once_and_reaches_the_warehouse(lab: Lab) -> None:
    sender = lab.sender()
    first = sender.post(event_body("ord-1"))
    assert first.status_code == 202
    assert first.json() == {"status": "accepted", "event_id": "ord-1"}
    again = sender.post(event_body("ord-1"))
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate", "event_id": "ord-1"}

    rows = lab.wait_processed(lab.acme.workspace_id, 1)
    time.sleep(0.5)  # a second effect would show by now
    assert lab.warehouse_events(lab.acme.workspace_id) == rows
    assert rows == [
        ("ord-1", Decimal("120.500000"), "EUR", "conversion", "c-1", "google", "")
    ]


def test_same_event_id_with_a_changed_body_is_rejected(lab: Lab) -> None:
    sender = lab.sender()
    assert sender.post(event_body("ord-2", "10.00")).status_code == 202
    changed = sender.post(event_body("ord-2", "99999.00"))
    assert changed.status_code == 409
    assert changed.json()["code"] == "conflict"
    rows = lab.wait_processed(lab.acme.workspace_id, 1)
    assert [(r[0], r[1]) for r in rows] == [("ord-2", Decimal("10.000000"))]


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-301, False), (302, False), (-299, True), (299, True)]
)
def test_timestamp_tolerance_is_300_seconds(
    lab: Lab, offset: int, accepted: bool
) -> None:
    """Whole seconds on both sides; +302, as the server's second may tick meanwhile."""
    lab.statements.clear()
    stamp = int(time.time()) + offset
    answer = lab.sender().post(event_body(f"t{offset}"), at=stamp)
    if accepted:
        assert answer.status_code == 202
        return
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"
    assert "300 s" in answer.json()["detail"]
    assert lab.statements == []  # refused before any database work


def test_a_replay_at_301_seconds_is_rejected_before_any_database_work(
    lab: Lab,
) -> None:
    sender = lab.sender()
    body = event_body("ord-3")
    sent_at = time.time() - 301  # the same signed delivery, captured and replayed
    lab.statements.clear()
    replay = sender.http.post(
        f"{lab.base}/api/v1/events/crm",
        content=body,
        headers={
            "X-Adreport-Endpoint": lab.acme.endpoint,
            "X-Adreport-Signature": signature_header(
                [lab.acme.secret], body, int(sent_at)
            ),
        },
    )
    assert replay.status_code == 401
    assert lab.statements == []


def test_another_tenants_secret_is_rejected_before_any_database_work(
    lab: Lab,
) -> None:
    sender = lab.sender()
    lab.statements.clear()
    foreign = sender.post(event_body("ord-4"), secrets=[lab.rival.secret])
    assert foreign.status_code == 401
    # The rival's own endpoint id does not open a path to Acme's events either.
    crossed = sender.post(
        event_body("ord-4"), secrets=[lab.acme.secret], endpoint=lab.rival.endpoint
    )
    assert crossed.status_code == 401
    assert lab.statements == []
    assert lab.warehouse_events(lab.acme.workspace_id) == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Adreport-Signature": "t=1,v1=00"},
        {"X-Adreport-Endpoint": "whk_unknown", "X-Adreport-Signature": "v1=00"},
    ],
)
def test_unsigned_or_malformed_requests_are_refused(
    lab: Lab, headers: dict[str, str]
) -> None:
    answer = httpx.post(
        f"{lab.base}/api/v1/events/crm", content=event_body("x"), headers=headers
    )
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_body_changed_after_signing_is_refused(lab: Lab) -> None:
    body = event_body("ord-5", "1.00")
    stamp = int(time.time())
    lab.statements.clear()
    answer = httpx.post(
        f"{lab.base}/api/v1/events/crm",
        content=body.replace(b"1.00", b"9.00"),
        headers={
            "X-Adreport-Endpoint": lab.acme.endpoint,
            "X-Adreport-Signature": signature_header([lab.acme.secret], body, stamp),
        },
    )
    assert answer.status_code == 401
    assert lab.statements == []


@pytest.mark.parametrize(
    ("changes", "field_name"),
    [
        ({"occurred_at": "2026-03-01T12:00:00"}, "occurred_at"),
        ({"currency": "EURO"}, "currency"),
        ({"value": "12,50"}, "value"),
        ({"value": "1e400"}, "value"),
        ({"type": "<b>x</b>"}, "type"),
        ({"attribution": {"utm_campaign": 5}}, "attribution.utm_campaign"),
    ],
)
def test_invalid_events_are_dead_letters_with_the_reason(
    lab: Lab, changes: dict[str, Any], field_name: str
) -> None:
    body = event_body("bad-1", **changes)
    answer = lab.sender().post(body)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == f"body.{field_name}"

    listed = httpx.get(
        f"{lab.base}/api/v1/events/crm/dead-letters", headers=lab.token(lab.acme)
    )
    assert listed.status_code == 200
    [letter] = listed.json()["items"]
    assert letter["event_id"] == "bad-1"
    assert letter["field"] == field_name
    assert letter["body"] == body.decode()
    # Not a word of it is visible to the other workspace.
    other = httpx.get(
        f"{lab.base}/api/v1/events/crm/dead-letters", headers=lab.token(lab.rival)
    )
    assert other.json()["items"] == []
    # Corrected, the same event id is accepted.
    assert lab.sender().post(event_body("bad-1")).status_code == 202


def test_a_body_that_is_not_json_is_a_dead_letter(lab: Lab) -> None:
    answer = lab.sender().post(b"\xff\xfe not json")
    assert answer.status_code == 422
    listed = httpx.get(
        f"{lab.base}/api/v1/events/crm/dead-letters", headers=lab.token(lab.acme)
    ).json()["items"]
    assert [(x["event_id"], x["field"]) for x in listed] == [(None, "body")]
    assert listed[0]["body"] == "\\xff\\xfe not json"


def test_hostile_names_go_in_through_the_webhook_and_come_out_as_text(
    lab: Lab,
) -> None:
    sender = lab.sender()
    for number, name in enumerate(HOSTILE):
        body = event_body(
            f"h{number}", attribution={"utm_campaign": name, "campaign_id": name}
        )
        assert sender.post(body).status_code == 202
    rows = lab.wait_processed(lab.acme.workspace_id, len(HOSTILE))
    assert [(r[4], r[6]) for r in rows] == [(n, n) for n in HOSTILE]

    bad = event_body("h-bad", currency="XXXX", attribution={"utm_campaign": HOSTILE[3]})
    sender.post(bad)
    listed = httpx.get(
        f"{lab.base}/api/v1/events/crm/dead-letters", headers=lab.token(lab.acme)
    )
    assert listed.headers["content-type"] == "application/json"
    letter = listed.json()["items"][0]
    assert json.loads(letter["body"])["attribution"]["utm_campaign"] == HOSTILE[3]


def test_endpoint_secret_is_shown_once_and_rotation_keeps_the_old_for_a_while(
    lab: Lab,
) -> None:
    admin = lab.token(lab.acme)
    made = httpx.post(f"{lab.base}/api/v1/events/shop/endpoint", headers=admin)
    assert made.status_code == 201
    first = made.json()
    assert first["secret"].startswith("whsec_")
    twice = httpx.post(f"{lab.base}/api/v1/events/shop/endpoint", headers=admin)
    assert twice.status_code == 409
    assert first["secret"] not in twice.text

    shop = Tenant(lab.acme.workspace_id, first["endpoint_id"], first["secret"])
    sender = Sender(lab.base, shop, source="shop")
    assert sender.post(event_body("s-1")).status_code == 202

    rotated = httpx.post(
        f"{lab.base}/api/v1/events/shop/endpoint/rotate", headers=admin
    ).json()
    assert rotated["endpoint_id"] == first["endpoint_id"]
    new_secret = rotated["secret"]
    assert sender.post(event_body("s-2")).status_code == 202  # old, in the overlap
    assert sender.post(event_body("s-3"), secrets=[new_secret]).status_code == 202
    both = [first["secret"], new_secret]
    assert sender.post(event_body("s-4"), secrets=both).status_code == 202

    httpx.post(
        f"{lab.base}/api/v1/events/shop/endpoint/rotate",
        params={"overlap_hours": 0},
        headers=admin,
    ).raise_for_status()
    assert sender.post(event_body("s-5"), secrets=[new_secret]).status_code == 401
    with lab.runtime.sessions().session() as session:
        logged = session.execute(
            select(AuditEntry.action, AuditEntry.target, AuditEntry.details).where(
                AuditEntry.action.like("webhook.%")
            )
        ).all()
    assert [(a, t) for a, t, _ in logged][-3:] == [
        ("webhook.create", "webhook:shop"),
        ("webhook.rotate", "webhook:shop"),
        ("webhook.rotate", "webhook:shop"),
    ]
    assert not any(new_secret in str(row) for row in logged)


def test_managing_endpoints_needs_a_role_that_writes(lab: Lab) -> None:
    anonymous = httpx.post(f"{lab.base}/api/v1/events/shop/endpoint")
    assert anonymous.status_code == 401
    missing = httpx.post(
        f"{lab.base}/api/v1/events/nowhere/endpoint/rotate",
        headers=lab.token(lab.acme),
    )
    assert missing.status_code == 404


def test_webhook_secrets_are_not_in_the_database_in_clear(
    lab: Lab, tmp_path: Path
) -> None:
    dump = (tmp_path / "app.sqlite3").read_bytes()
    for tenant in (lab.acme, lab.rival):
        assert tenant.secret.encode() not in dump
    with lab.runtime.sessions().session() as session:
        assert session.get(Workspace, lab.acme.workspace_id) is not None


@pytest.fixture
def postgres_app_db() -> Iterator[str]:
    """A fresh PostgreSQL database for the app data, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    name = f"adreport_events_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(POSTGRES_DSN.replace("dbname=test", "dbname=postgres"))
    except psycopg.OperationalError as exc:
        missing(f"PostgreSQL is not reachable on 127.0.0.1:5432 ({exc})")
    admin.autocommit = True
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.postgres
def test_on_postgresql_the_inbox_keeps_one_of_each_event(
    tmp_path: Path, postgres_app_db: str
) -> None:
    acme, _ = prepare(tmp_path, app_db_url=postgres_app_db)
    app = create_app(ServiceSettings(tmp_path, app_db_url=postgres_app_db))
    with serve(app) as base:
        lab = Lab(base, app.state.runtime, acme, acme)
        sender = lab.sender()
        assert sender.post(event_body("pg-1")).status_code == 202
        assert sender.post(event_body("pg-1")).status_code == 200
        assert sender.post(event_body("pg-1", "2.00")).status_code == 409
        assert sender.post(event_body("pg-2", currency="??")).status_code == 422
        rows = lab.wait_processed(acme.workspace_id, 1)
        assert [(r[0], r[1]) for r in rows] == [("pg-1", Decimal("120.500000"))]
        letters = httpx.get(
            f"{base}/api/v1/events/crm/dead-letters", headers=lab.token(acme)
        ).json()["items"]
        assert [(x["event_id"], x["field"]) for x in letters] == [("pg-2", "currency")]


def test_a_batch_handed_over_twice_has_one_effect(tmp_path: Path) -> None:
    """The processor killed after the warehouse commit, before the inbox's mark."""
    batch = [
        Delivery("1", "crm", number, read_event(parse_body(event_body(f"o-{number}"))))
        for number in range(1, 4)
    ]
    with Warehouse(tmp_path / "warehouse.duckdb") as warehouse:
        first = ingest_events(warehouse, batch)
        again = ingest_events(warehouse, batch)
        rows = warehouse.rows("SELECT event_id, value FROM events ORDER BY event_id")
    assert (first.new, again.new, again.unchanged) == (3, 0, 3)
    assert rows == [(f"o-{n}", Decimal("120.500000")) for n in range(1, 4)]
