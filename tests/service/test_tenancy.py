"""Every role sees only its own workspace's objects, a client-bound caller only its
own client's, foreign ids answer like missing ones, and metrics are scoped to the
accounts linked to the caller's clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy.orm import Session

from adreport.appdata import admin
from adreport.appdata.db import AppDatabase
from adreport.appdata.models import (
    ROLES,
    AccountLink,
    Client,
    Membership,
    ReportDefinition,
    User,
)
from adreport.service.tenancy import (
    PERMISSIONS,
    Action,
    Caller,
    ForbiddenError,
    NotAMemberError,
    NotFoundError,
    caller_for_user,
    caller_from_subject,
    get_for,
    get_visible,
    metric_scope,
    require,
    require_grant,
    visible,
)
from tests.appdata.databases import KINDS, fresh_db

SCOPED_MODELS: list[type[Any]] = [Client, AccountLink, ReportDefinition]


@pytest.fixture(params=KINDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppDatabase]:
    yield from fresh_db(request.param, tmp_path)


class World:
    """Two workspaces: W1 with clients A and B, W2 with client C; each client has
    one account and one report, each workspace one workspace-wide report."""

    def __init__(self, session: Session):
        self.w1 = admin.create_workspace(session, "W1")
        self.w2 = admin.create_workspace(session, "W2")
        self.a = admin.create_client(session, self.w1, "A")
        self.b = admin.create_client(session, self.w1, "B")
        self.c = admin.create_client(session, self.w2, "C")
        for n, client in enumerate((self.a, self.b, self.c)):
            admin.link_account(session, client, "google-ads", f"acct-{client.name}")
            session.add(
                ReportDefinition(
                    workspace_id=client.workspace_id,
                    client_id=client.id,
                    name=f"report {n}",
                )
            )
        for workspace in (self.w1, self.w2):
            session.add(ReportDefinition(workspace_id=workspace.id, name="all"))
        session.commit()

    def callers(self) -> list[Caller]:
        """Every role in W1, unbound and bound to A (a client viewer always is)."""
        found = [
            Caller("user", 1, self.w1.id, r) for r in ROLES if r != "client_viewer"
        ]
        found += [Caller("user", 2, self.w1.id, r, self.a.id) for r in ROLES]
        return found


def may_see(caller: Caller, row: Any) -> bool:
    client = row.id if isinstance(row, Client) else row.client_id
    if row.workspace_id != caller.workspace_id:
        return False
    return caller.client_id is None or client == caller.client_id


def test_every_role_sees_own_objects_and_no_foreign_one(db: AppDatabase) -> None:
    with db.session() as session:
        world = World(session)
        foreign_successes = own_failures = checked = 0
        for model in SCOPED_MODELS:
            rows = session.query(model).all()
            for caller in world.callers():
                listed = {r.id for r in session.scalars(visible(caller, model))}
                for row in rows:
                    checked += 1
                    try:
                        get_visible(session, caller, model, row.id)
                        seen = True
                    except NotFoundError:
                        seen = False
                    if seen != may_see(caller, row) or (row.id in listed) != seen:
                        if seen:
                            foreign_successes += 1
                        else:
                            own_failures += 1
    assert (foreign_successes, own_failures) == (0, 0)
    assert checked == 11 * (3 + 3 + 5)  # 11 callers x clients, links, reports


def test_a_foreign_id_is_answered_exactly_like_a_missing_one(db: AppDatabase) -> None:
    with db.session() as session:
        world = World(session)
        viewer = Caller("user", 2, world.w1.id, "client_viewer", world.a.id)
        answers = []
        for client_id in (world.b.id, world.c.id, 10_000):
            with pytest.raises(NotFoundError) as caught:
                get_visible(session, viewer, Client, client_id)
            answers.append(str(caught.value).replace(str(client_id), "N"))
    assert answers == ["no client N here"] * 3


def test_a_client_viewer_sees_no_workspace_wide_report(db: AppDatabase) -> None:
    with db.session() as session:
        world = World(session)
        viewer = Caller("user", 2, world.w1.id, "client_viewer", world.a.id)
        manager = Caller("user", 1, world.w1.id, "manager")
        names = sorted(
            r.name for r in session.scalars(visible(viewer, ReportDefinition))
        )
        all_names = sorted(
            r.name for r in session.scalars(visible(manager, ReportDefinition))
        )
    assert names == ["report 0"]
    assert all_names == ["all", "report 0", "report 1"]


def test_tables_without_a_workspace_cannot_be_scoped() -> None:
    with pytest.raises(TypeError, match="User has no workspace_id"):
        visible(Caller("user", 1, 1, "owner"), User)


def test_permissions_are_one_table_and_deny_by_default() -> None:
    assert set(PERMISSIONS) == set(ROLES)
    granted = {
        role: sorted(a.value for a in Action if Caller("user", 1, 1, role).may(a))
        for role in ROLES
    }
    assert granted["client_viewer"] == ["read"]
    assert granted["approver"] == ["approve", "read"]
    assert granted["analyst"] == ["read", "run"]
    assert granted["manager"] == ["read", "run", "write"]
    assert "manage_workspace" not in granted["admin"]
    assert len(granted["owner"]) == len(Action)
    assert not Caller("user", 1, 1, "superuser").may(Action.READ)
    with pytest.raises(ForbiddenError, match="client_viewer may not write"):
        require(Caller("user", 1, 1, "client_viewer", 3), Action.WRITE)


def test_seen_but_not_allowed_is_403_and_unseen_stays_404(db: AppDatabase) -> None:
    with db.session() as session:
        world = World(session)
        analyst = Caller("user", 1, world.w1.id, "analyst")
        with pytest.raises(ForbiddenError):
            get_for(session, analyst, Action.WRITE, Client, world.a.id)
        with pytest.raises(NotFoundError):
            get_for(session, analyst, Action.WRITE, Client, world.c.id)
        assert get_for(session, analyst, Action.READ, Client, world.a.id).name == "A"


def test_nobody_grants_a_role_above_their_own() -> None:
    admin_caller = Caller("user", 1, 1, "admin")
    require_grant(admin_caller, "client_viewer", 5)
    with pytest.raises(ForbiddenError, match="may not grant the role owner"):
        require_grant(admin_caller, "owner", None)
    with pytest.raises(ForbiddenError):
        require_grant(Caller("user", 1, 1, "manager"), "analyst", None)
    require_grant(Caller("user", 1, 1, "owner"), "owner", None)


def test_callers_are_read_fresh_from_memberships(db: AppDatabase) -> None:
    with db.session() as session:
        world = World(session)
        ann = admin.create_user(session, "ann@example.com", "correct horse battery")
        admin.grant_role(session, ann, world.w1, "client_viewer", world.a)
        robot, _ = admin.create_api_client(session, world.w2, "CRM", "analyst")

        caller = caller_from_subject(session, f"user:{ann.id}", world.w1.id)
        assert (caller.role, caller.client_id) == ("client_viewer", world.a.id)
        with pytest.raises(NotAMemberError):
            caller_for_user(session, ann.id, world.w2.id)
        with pytest.raises(NotAMemberError):
            caller_from_subject(session, f"api:{robot.id}", world.w1.id)
        assert caller_from_subject(session, f"api:{robot.id}", world.w2.id).role == (
            "analyst"
        )

        ann.disabled = True
        session.commit()
        with pytest.raises(NotAMemberError):
            caller_for_user(session, ann.id, world.w1.id)
        ann.disabled = False
        session.query(Membership).filter_by(user_id=ann.id).delete()
        session.commit()
        with pytest.raises(NotAMemberError):
            caller_for_user(session, ann.id, world.w1.id)


def test_metrics_are_scoped_to_the_accounts_of_the_callers_clients(
    db: AppDatabase,
) -> None:
    facts = duckdb.connect()
    facts.execute("CREATE TABLE facts (platform TEXT, account_id TEXT, spend INT)")
    facts.execute(
        "INSERT INTO facts VALUES ('google-ads', 'acct-A', 1), "
        "('google-ads', 'acct-B', 10), ('google-ads', 'acct-C', 100), "
        "('meta', 'acct-A', 1000), ('google-ads', 'unlinked', 10000)"
    )
    with db.session() as session:
        world = World(session)
        callers = {
            "W1 owner": Caller("user", 1, world.w1.id, "owner"),
            "A viewer": Caller("user", 2, world.w1.id, "client_viewer", world.a.id),
            "W2 analyst": Caller("user", 3, world.w2.id, "analyst"),
            "W2 viewer of A": Caller(
                "user", 4, world.w2.id, "client_viewer", world.a.id
            ),
        }
        spend = {}
        for name, caller in callers.items():
            condition, params = metric_scope(session, caller).sql("f")
            row = facts.execute(
                f"SELECT coalesce(sum(spend), 0) FROM facts f WHERE {condition}", params
            ).fetchone()
            spend[name] = row[0] if row else None
    assert spend == {
        "W1 owner": 11,
        "A viewer": 1,
        "W2 analyst": 100,
        "W2 viewer of A": 0,
    }
