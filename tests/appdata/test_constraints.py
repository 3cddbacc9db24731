"""The database itself refuses rows that would break tenancy or the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from adreport.appdata import admin
from adreport.appdata.db import AppDatabase
from adreport.appdata.models import AccountLink, Membership, User
from adreport.security import audit
from tests.appdata.databases import KINDS, fresh_db

PASSWORD = "correct horse battery"


@pytest.fixture(params=KINDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppDatabase]:
    yield from fresh_db(request.param, tmp_path)


def test_a_client_viewer_without_a_client_is_refused(db: AppDatabase) -> None:
    with db.session() as session:
        workspace = admin.create_workspace(session, "Agency")
        user = admin.create_user(session, "v@example.com", PASSWORD)
        session.add(
            Membership(user_id=user.id, workspace_id=workspace.id, role="client_viewer")
        )
        with pytest.raises(IntegrityError):
            session.commit()


def test_a_role_outside_the_six_is_refused(db: AppDatabase) -> None:
    with db.session() as session:
        workspace = admin.create_workspace(session, "Agency")
        user = admin.create_user(session, "a@example.com", PASSWORD)
        session.add(Membership(user_id=user.id, workspace_id=workspace.id, role="god"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_a_membership_cannot_name_another_workspaces_client(db: AppDatabase) -> None:
    with db.session() as session:
        ours = admin.create_workspace(session, "Ours")
        theirs = admin.create_workspace(session, "Theirs")
        their_client = admin.create_client(session, theirs, "Their client")
        user = admin.create_user(session, "x@example.com", PASSWORD)
        session.add(
            Membership(
                user_id=user.id,
                workspace_id=ours.id,
                role="client_viewer",
                client_id=their_client.id,
            )
        )
        with pytest.raises(IntegrityError):
            session.commit()


def test_an_account_belongs_to_one_client_only(db: AppDatabase) -> None:
    with db.session() as session:
        first = admin.create_client(session, admin.create_workspace(session, "A"), "a")
        second = admin.create_client(session, admin.create_workspace(session, "B"), "b")
        admin.link_account(session, first, "google-ads", "123-456-7890")
        with pytest.raises(admin.DuplicateError, match="one client only"):
            admin.link_account(session, second, "google-ads", "123-456-7890")
        admin.link_account(session, second, "meta", "123-456-7890")
        assert session.query(AccountLink).count() == 2


def test_e_mail_addresses_are_unique_whatever_their_case(db: AppDatabase) -> None:
    with db.session() as session:
        admin.create_user(session, "Ann@Example.com", PASSWORD)
        with pytest.raises(admin.DuplicateError, match=r"ann@example\.com"):
            admin.create_user(session, " ann@example.COM", PASSWORD)
        assert session.query(User).one().email == "ann@example.com"


def test_the_audit_log_refuses_updates_and_deletes(db: AppDatabase) -> None:
    with db.session() as session:
        audit.record(session, actor="cli", action="workspace.create", target="A")
        session.commit()
    for statement in (
        "UPDATE audit_log SET outcome = 'forged'",
        "DELETE FROM audit_log",
    ):
        with db.session() as session, pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
    with db.session() as session:
        assert session.execute(text("SELECT outcome FROM audit_log")).all() == [("ok",)]


def test_unknown_names_are_answered_with_the_known_ones(db: AppDatabase) -> None:
    with db.session() as session:
        workspace = admin.create_workspace(session, "Agency")
        admin.create_workspace(session, "Brand")
        admin.create_client(session, workspace, "Acme")
        with pytest.raises(admin.UnknownNameError, match="known: 'Agency', 'Brand'"):
            admin.find_workspace(session, "Agncy")
        with pytest.raises(admin.UnknownNameError, match="known: 'Acme'"):
            admin.find_client(session, workspace, "Acne")
