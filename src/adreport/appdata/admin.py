"""Creating and finding workspaces, clients, people, API clients and account links.

Used by the command line (an operator acting on any workspace) and by the API
after `service.tenancy` has checked the caller may act on the workspace given.
Names are looked up exactly; an unknown name is answered with the known ones.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adreport.appdata.models import (
    CLIENT_VIEWER,
    LOCALES,
    ROLES,
    AccountLink,
    APIClient,
    Client,
    Membership,
    User,
    Workspace,
)
from adreport.errors import ConfigurationError
from adreport.security.passwords import (
    hash_machine_secret,
    hash_password,
    new_machine_secret,
)
from adreport.security.signin import normalise_email


class UnknownNameError(ConfigurationError):
    """A workspace, client or user named on the command line does not exist."""


class DuplicateError(ConfigurationError):
    """Something with this name or id exists already."""


def create_workspace(session: Session, name: str) -> Workspace:
    workspace = Workspace(name=_name(name, "workspace"))
    _add(session, workspace, f"a workspace named {name!r} exists already")
    return workspace


def create_client(session: Session, workspace: Workspace, name: str) -> Client:
    client = Client(workspace_id=workspace.id, name=_name(name, "client"))
    _add(
        session,
        client,
        f"workspace {workspace.name!r} has a client named {name!r} already",
    )
    return client


def create_user(
    session: Session, email: str, password: str, locale: str = "en"
) -> User:
    address = normalise_email(email)
    if "@" not in address.strip("@"):
        raise ConfigurationError(f"{email!r} is not an e-mail address")
    if locale not in LOCALES:
        raise ConfigurationError(f"locale {locale!r}: use one of {', '.join(LOCALES)}")
    user = User(email=address, password_hash=hash_password(password), locale=locale)
    _add(session, user, f"a user with e-mail {address} exists already")
    return user


def grant_role(
    session: Session,
    user: User,
    workspace: Workspace,
    role: str,
    client: Client | None = None,
) -> Membership:
    """Give `user` this role in `workspace` (replacing a role held before)."""
    check_role(role, client)
    _check_client(workspace, client)
    membership = session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.workspace_id == workspace.id
        )
    )
    if membership is None:
        membership = Membership(user_id=user.id, workspace_id=workspace.id)
        session.add(membership)
    membership.role = role
    membership.client_id = client.id if client else None
    session.commit()
    return membership


def create_api_client(
    session: Session,
    workspace: Workspace,
    name: str,
    role: str,
    client: Client | None = None,
) -> tuple[APIClient, str]:
    """A machine credential and its secret, shown this once and never stored."""
    check_role(role, client)
    _check_client(workspace, client)
    secret = new_machine_secret()
    credential = APIClient(
        oauth_client_id="adr_" + secrets.token_hex(12),
        secret_hash=hash_machine_secret(secret),
        name=_name(name, "API client"),
        workspace_id=workspace.id,
        role=role,
        client_id=client.id if client else None,
    )
    _add(session, credential, "that API client id exists already; try again")
    return credential, secret


def link_account(
    session: Session,
    client: Client,
    platform: str,
    account_id: str,
    connection_name: str | None = None,
) -> AccountLink:
    """Say that the warehouse rows of this account are `client`'s."""
    link = AccountLink(
        workspace_id=client.workspace_id,
        client_id=client.id,
        platform=_name(platform, "platform"),
        account_id=_name(account_id, "account id"),
        connection_name=connection_name,
    )
    _add(
        session,
        link,
        f"{platform} account {account_id} is linked to a client already; "
        "an account belongs to one client only",
    )
    return link


def find_workspace(session: Session, name: str) -> Workspace:
    found = session.scalar(select(Workspace).where(Workspace.name == name))
    if found is None:
        known = session.scalars(select(Workspace.name).order_by(Workspace.name))
        raise UnknownNameError(_unknown("workspace", name, list(known)))
    return found


def find_client(session: Session, workspace: Workspace, name: str) -> Client:
    found = session.scalar(
        select(Client).where(Client.workspace_id == workspace.id, Client.name == name)
    )
    if found is None:
        known = session.scalars(
            select(Client.name)
            .where(Client.workspace_id == workspace.id)
            .order_by(Client.name)
        )
        raise UnknownNameError(
            _unknown(f"client of workspace {workspace.name!r}", name, list(known))
        )
    return found


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def check_role(role: str, client: Client | None) -> None:
    if role not in ROLES:
        raise ConfigurationError(f"role {role!r}: use one of {', '.join(ROLES)}")
    if role == CLIENT_VIEWER and client is None:
        raise ConfigurationError(
            "a client_viewer sees one client only: name it (--client NAME)"
        )


def _check_client(workspace: Workspace, client: Client | None) -> None:
    if client is not None and client.workspace_id != workspace.id:
        raise ConfigurationError(
            f"client {client.name!r} is not in workspace {workspace.name!r}"
        )


def _name(value: str, what: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ConfigurationError(f"the {what} name is empty")
    if any(ord(c) < 32 or ord(c) == 127 for c in cleaned):
        raise ConfigurationError(f"the {what} name {value!r} has control characters")
    return cleaned


def _add(session: Session, row: object, duplicate: str) -> None:
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise DuplicateError(duplicate) from None


def _unknown(what: str, name: str, known: Sequence[str]) -> str:
    listed = ", ".join(repr(k) for k in known) if known else "none yet"
    return f"no {what} is named {name!r}; known: {listed}"
