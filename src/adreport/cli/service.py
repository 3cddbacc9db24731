"""Commands of the service's app data: workspaces, clients, users, API clients.

Each command brings the app database up to date first (`adreport.appdata.db`),
acts through `adreport.appdata.admin`, and records what it did in the audit log
as the actor "cli".
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import click
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from adreport.appdata import admin
from adreport.appdata.db import app_db_url, open_app_db, upgrade
from adreport.appdata.models import (
    LOCALES,
    ROLES,
    AccountLink,
    Client,
    Membership,
    User,
    Workspace,
)
from adreport.cli.main import Context, cli, friendly_errors, out
from adreport.errors import ConfigurationError
from adreport.security import audit


@contextmanager
def app_session(ctx: Context) -> Iterator[Session]:
    url = app_db_url(ctx.directory)
    upgrade(url)
    db = open_app_db(url)
    try:
        with db.session() as session:
            yield session
    finally:
        db.close()


def note(session: Session, action: str, target: str, workspace: int | None) -> None:
    audit.record(
        session, actor="cli", action=action, target=target, workspace_id=workspace
    )
    session.commit()


def pick_workspace(session: Session, name: str | None) -> Workspace:
    """The named workspace, or the only one when there is exactly one."""
    if name is not None:
        return admin.find_workspace(session, name)
    names = list(session.scalars(select(Workspace.name).order_by(Workspace.name)))
    if len(names) == 1:
        return admin.find_workspace(session, names[0])
    known = ", ".join(repr(n) for n in names) or "none yet"
    raise ConfigurationError(
        f"name the workspace with --workspace NAME; known: {known}"
    )


@cli.group()
def workspaces() -> None:
    """Workspaces (tenants): an agency or a business."""


@workspaces.command("create")
@click.argument("name")
@click.pass_obj
@friendly_errors
def workspaces_create(ctx: Context, name: str) -> None:
    """Create the workspace NAME."""
    with app_session(ctx) as session:
        workspace = admin.create_workspace(session, name)
        note(session, "workspace.create", workspace.name, workspace.id)
        out.print(f"workspace {workspace.name!r} created (id {workspace.id})")


@workspaces.command("list")
@click.pass_obj
@friendly_errors
def workspaces_list(ctx: Context) -> None:
    """List the workspaces with their numbers of clients and members."""
    with app_session(ctx) as session:
        rows = [
            [
                w.id,
                w.name,
                _count(session, Client, w.id),
                _count(session, Membership, w.id),
            ]
            for w in session.scalars(select(Workspace).order_by(Workspace.name))
        ]
    _table(["id", "workspace", "clients", "members"], rows)


@cli.group()
def clients() -> None:
    """Clients of a workspace (the advertisers reported on)."""


@clients.command("create")
@click.argument("name")
@click.option("--workspace", "workspace_name", help="Workspace name.")
@click.pass_obj
@friendly_errors
def clients_create(ctx: Context, name: str, workspace_name: str | None) -> None:
    """Create the client NAME in a workspace."""
    with app_session(ctx) as session:
        workspace = pick_workspace(session, workspace_name)
        client = admin.create_client(session, workspace, name)
        note(session, "client.create", client.name, workspace.id)
        out.print(
            f"client {client.name!r} created in workspace {workspace.name!r} "
            f"(id {client.id})"
        )


@clients.command("list")
@click.option("--workspace", "workspace_name", help="Workspace name.")
@click.pass_obj
@friendly_errors
def clients_list(ctx: Context, workspace_name: str | None) -> None:
    """List the clients of a workspace and the accounts linked to each."""
    with app_session(ctx) as session:
        workspace = pick_workspace(session, workspace_name)
        rows = []
        for client in session.scalars(
            select(Client)
            .where(Client.workspace_id == workspace.id)
            .order_by(Client.name)
        ):
            links = session.scalars(
                select(AccountLink).where(AccountLink.client_id == client.id)
            )
            accounts = ", ".join(f"{a.platform} {a.account_id}" for a in links)
            rows.append([client.id, client.name, accounts or "-"])
    _table(["id", "client", "accounts"], rows)


@clients.command("link-account")
@click.argument("name")
@click.option("--workspace", "workspace_name", help="Workspace name.")
@click.option(
    "--platform", required=True, help="e.g. google-ads, meta, naver-searchad."
)
@click.option("--account-id", required=True, help="The account id in the warehouse.")
@click.option("--connection", help="Name of the connection that syncs the account.")
@click.pass_obj
@friendly_errors
def clients_link_account(
    ctx: Context,
    name: str,
    workspace_name: str | None,
    platform: str,
    account_id: str,
    connection: str | None,
) -> None:
    """Say that the warehouse rows of an account are the client NAME's."""
    with app_session(ctx) as session:
        workspace = pick_workspace(session, workspace_name)
        client = admin.find_client(session, workspace, name)
        admin.link_account(session, client, platform, account_id, connection)
        note(
            session, "account.link", f"{platform} {account_id} -> {name}", workspace.id
        )
        out.print(f"{platform} account {account_id} linked to client {client.name!r}")


@cli.group()
def users() -> None:
    """People who sign in, and their roles."""


@users.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES), help="Their role.")
@click.option("--workspace", "workspace_name", help="Workspace name.")
@click.option("--client", "client_name", help="Limit them to this client.")
@click.option("--locale", type=click.Choice(LOCALES), default="en", show_default=True)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)
@click.pass_obj
@friendly_errors
def users_create(
    ctx: Context,
    email: str,
    role: str,
    workspace_name: str | None,
    client_name: str | None,
    locale: str,
    password_stdin: bool,
) -> None:
    """Create the user EMAIL with ROLE in a workspace (or give an existing user
    that role there)."""
    with app_session(ctx) as session:
        workspace = pick_workspace(session, workspace_name)
        client = (
            admin.find_client(session, workspace, client_name) if client_name else None
        )
        admin.check_role(role, client)  # before a user is made who could not sign in
        user = admin.find_user(session, email)
        if user is None:
            user = admin.create_user(session, email, _password(password_stdin), locale)
            note(session, "user.create", user.email, workspace.id)
        admin.grant_role(session, user, workspace, role, client)
        note(session, "member.grant", f"{user.email} as {role}", workspace.id)
        limit = f", client {client.name!r}" if client else ""
        out.print(f"{user.email} is {role} in workspace {workspace.name!r}{limit}")


@users.command("list")
@click.option("--workspace", "workspace_name", help="Workspace name.")
@click.pass_obj
@friendly_errors
def users_list(ctx: Context, workspace_name: str | None) -> None:
    """List the members of a workspace with their roles."""
    with app_session(ctx) as session:
        workspace = pick_workspace(session, workspace_name)
        found = session.execute(
            select(User.email, Membership.role, Client.name, User.disabled)
            .join(Membership, Membership.user_id == User.id)
            .outerjoin(Client, Client.id == Membership.client_id)
            .where(Membership.workspace_id == workspace.id)
            .order_by(User.email)
        )
        rows = [[e, r, c or "-", "yes" if d else "no"] for e, r, c, d in found]
    _table(["email", "role", "client", "disabled"], rows)


@cli.group("api-clients")
def api_clients() -> None:
    """Machine credentials for scripts and other systems (client credentials)."""


@api_clients.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES), help="Its role.")
@click.option("--workspace", "workspace_name", help="Workspace name.")
@click.option("--client", "client_name", help="Limit it to this client.")
@click.pass_obj
@friendly_errors
def api_clients_create(
    ctx: Context,
    name: str,
    role: str,
    workspace_name: str | None,
    client_name: str | None,
) -> None:
    """Create an API client; its secret is printed this once only."""
    with app_session(ctx) as session:
        workspace = pick_workspace(session, workspace_name)
        client = (
            admin.find_client(session, workspace, client_name) if client_name else None
        )
        credential, secret = admin.create_api_client(
            session, workspace, name, role, client
        )
        note(session, "api_client.create", credential.oauth_client_id, workspace.id)
        out.print(f"client_id={credential.oauth_client_id}")
        out.print(f"client_secret={secret}")
        click.echo("keep the secret now: adreport stores only its hash", err=True)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")
    return str(
        click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    )


def _count(
    session: Session, model: type[Client] | type[Membership], workspace: int
) -> int:
    rows = session.scalars(
        select(model.id).where(model.workspace_id == workspace)
    ).all()
    return len(rows)


def _table(headers: list[str], rows: Sequence[Sequence[object]]) -> None:
    table = Table()
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*(str(value) for value in row))
    out.print(table)
