"""A small agency on a live server: two workspaces, three clients, every role.

Workspace "Agency" has clients "Own" and "Other"; workspace "Rival" has "Far".
Each client has one linked ad account with rows in the warehouse, two reports
(one over its data; one, `quick`, whose runs fail at once, for checks that need a
run but not a real build) and one finished run whose files name the client's
campaign, so a download that leaks shows it. Agency has a person for every role
(the client viewer sees "Own" only); Rival has an owner.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from adreport.appdata.db import open_app_db, upgrade
from adreport.appdata.models import (
    AccountLink,
    Client,
    Membership,
    ReportDefinition,
    User,
    Workspace,
)
from adreport.appdata.report_runs import ReportRun
from adreport.ingest.importer import ImportOptions, import_file
from adreport.security.passwords import hash_password
from adreport.service.app import create_app
from adreport.service.runtime import ServiceSettings
from adreport.warehouse import Warehouse
from tests.service.live import serve

PASSWORD = "correct horse battery"
ROLES = ("owner", "admin", "manager", "analyst", "approver", "client_viewer")
HOSTILE = [
    '=HYPERLINK("http://127.0.0.1:9/x","open")',
    "+1+1",
    "@SUM(1)",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
]


@dataclass
class Target:
    client: int
    connection: int
    report: int
    run: int
    quick_report: int


@dataclass
class World:
    base: str
    folder: Path
    tokens: dict[str, str] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)  # own, other, far

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def _warehouse(folder: Path) -> None:
    lines = [
        "date,platform,account_id,currency,campaign_id,campaign_name,spend,clicks,"
        "impressions"
    ]
    for number, name in enumerate(HOSTILE):
        quoted = '"' + name.replace('"', '""') + '"'
        lines.append(f"2024-05-01,meta,OWN1,USD,C{number},{quoted},10,3,100")
    lines.append("2024-05-01,meta,OWN1,USD,CN,Refund,-12.50,,")
    lines.append("2024-05-01,meta,OTHER1,USD,X1,other-client-campaign,99,9,100")
    lines.append("2024-05-01,meta,FAR1,USD,F1,rival-campaign,77,7,100")
    path = folder / "rows.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Warehouse(folder / "warehouse.duckdb") as warehouse:
        import_file(warehouse, path, ImportOptions())


MARKS = {"own": "Refund", "other": "other-client-campaign", "far": "rival-campaign"}


def _finished_files(folder: Path, key: str, run_id: int) -> str:
    """Small stand-ins for a finished run's files, each naming the client's rows."""
    relative = f"report-runs/seeded-{run_id}"
    (folder / relative).mkdir(parents=True)
    for fmt in ("pdf", "html", "csv", "xlsx"):
        (folder / relative / f"report.{fmt}").write_text(f"{MARKS[key]}\n")
    return relative


def _app_data(url: str, folder: Path) -> dict[str, Target]:
    upgrade(url)
    db = open_app_db(url)
    targets = {}
    with db.session() as s:
        agency, rival = Workspace(name="Agency"), Workspace(name="Rival")
        s.add_all([agency, rival])
        s.flush()
        for key, workspace, name, account in (
            ("own", agency, "Own", "OWN1"),
            ("other", agency, "Other", "OTHER1"),
            ("far", rival, "Far", "FAR1"),
        ):
            client = Client(workspace_id=workspace.id, name=name)
            s.add(client)
            s.flush()
            link = AccountLink(
                workspace_id=workspace.id,
                client_id=client.id,
                platform="meta",
                account_id=account,
            )
            report = ReportDefinition(
                workspace_id=workspace.id,
                client_id=client.id,
                name=f"report-{key}",
                spec={"start": "2024-05-01", "end": "2024-05-01"},
            )
            quick = ReportDefinition(
                workspace_id=workspace.id,
                client_id=client.id,
                name=f"quick-{key}",
                spec={"period": "no-such-period"},
            )
            s.add_all([link, report, quick])
            s.flush()
            run = ReportRun(
                report_id=report.id,
                workspace_id=workspace.id,
                client_id=client.id,
                state="done",
            )
            s.add(run)
            s.flush()
            run.folder = _finished_files(folder, key, run.id)
            targets[key] = Target(client.id, link.id, report.id, run.id, quick.id)
        secret = hash_password(PASSWORD)
        people = [(role, agency.id) for role in ROLES] + [("rival", rival.id)]
        for role, workspace_id in people:
            user = User(email=f"{role}@example.com", password_hash=secret)
            s.add(user)
            s.flush()
            s.add(
                Membership(
                    user_id=user.id,
                    workspace_id=workspace_id,
                    role="owner" if role == "rival" else role,
                    client_id=targets["own"].client
                    if role == "client_viewer"
                    else None,
                )
            )
        s.commit()
    db.close()
    return targets


def sign_in(base: str, email: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(
        f"{base}/api/v1/auth/token",
        data={"grant_type": "password", "username": email, "password": password},
    )


@contextmanager
def live_world(folder: Path) -> Iterator[World]:
    _warehouse(folder)
    url = f"sqlite:///{folder / 'app.sqlite3'}"
    targets = _app_data(url, folder)
    settings = ServiceSettings(folder, app_db_url=url, sign_in_attempts=1000)
    with serve(create_app(settings)) as base:
        world = World(base, folder, targets=targets)
        for role in (*ROLES, "rival"):
            answer = sign_in(base, f"{role}@example.com")
            answer.raise_for_status()
            world.tokens[role] = answer.json()["access_token"]
        yield world
