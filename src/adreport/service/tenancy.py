"""Who may see and do what: the one place every read is scoped to a tenant.

A `Caller` is a person or an API client acting in one workspace with one role,
limited to one client when `client_id` is set (always for a client viewer). Every
object is fetched through `get_visible` / `visible`, which filter by the caller's
workspace and client; an object of another workspace or client is answered
exactly like a missing one (`NotFoundError`, mapped to 404). What a role may do is
one table, `PERMISSIONS`; an action not listed for a role is refused.

Warehouse metrics are scoped by `metric_scope`: the accounts linked to the
clients the caller may see. A caller with no linked account sees no rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from adreport.appdata.models import (
    CLIENT_VIEWER,
    ROLES,
    AccountLink,
    APIClient,
    Client,
    Membership,
    User,
    Workspace,
)
from adreport.errors import AdreportError

T = TypeVar("T")


class NotFoundError(AdreportError):
    """No such object for this caller (missing or another tenant's: 404)."""


class ForbiddenError(AdreportError):
    """The caller sees the object but its role may not do this (403)."""


class NotAMemberError(AdreportError):
    """The person or API client has no (enabled) role in the workspace: sign in
    again or ask an owner for access (401 on the token endpoint)."""


class Action(StrEnum):
    READ = "read"  # metrics, clients, reports, connection status
    RUN = "run"  # run a report, trigger a sync
    WRITE = "write"  # clients, report definitions, connections, webhooks
    APPROVE = "approve"  # approve a planned budget change
    MANAGE_MEMBERS = "manage_members"
    MANAGE_API_CLIENTS = "manage_api_clients"
    READ_AUDIT = "read_audit"
    MANAGE_WORKSPACE = "manage_workspace"  # rename or delete the workspace


PERMISSIONS: dict[str, frozenset[Action]] = {
    "owner": frozenset(Action),
    "admin": frozenset(Action) - {Action.MANAGE_WORKSPACE},
    "manager": frozenset({Action.READ, Action.RUN, Action.WRITE}),
    "analyst": frozenset({Action.READ, Action.RUN}),
    "approver": frozenset({Action.READ, Action.APPROVE}),
    CLIENT_VIEWER: frozenset({Action.READ}),
}
# Roles each role may hand out (members and API clients).
GRANTABLE: dict[str, frozenset[str]] = {
    "owner": frozenset(ROLES),
    "admin": frozenset(ROLES) - {"owner"},
}


@dataclass(frozen=True)
class Caller:
    """Who is calling, in which workspace, with which role and client."""

    kind: str  # "user" or "api"
    id: int
    workspace_id: int
    role: str
    client_id: int | None = None

    @property
    def subject(self) -> str:
        """The `sub` of its access token and the actor of its audit entries."""
        return f"{self.kind}:{self.id}"

    def may(self, action: Action) -> bool:
        return action in PERMISSIONS.get(self.role, frozenset())


# --- who is calling -------------------------------------------------------------


def caller_for_user(session: Session, user_id: int, workspace_id: int) -> Caller:
    """The caller a person is in a workspace, read fresh from the database (a
    role taken away counts at once, not when the token expires)."""
    row = session.execute(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.user_id == user_id,
            Membership.workspace_id == workspace_id,
            User.disabled.is_(False),
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotAMemberError("this person has no role in that workspace")
    return Caller("user", user_id, workspace_id, row.role, row.client_id)


def caller_for_api_client(session: Session, api_client_id: int) -> Caller:
    found = session.get(APIClient, api_client_id)
    if found is None or found.disabled:
        raise NotAMemberError("this API client is unknown or disabled")
    return Caller("api", found.id, found.workspace_id, found.role, found.client_id)


def caller_from_subject(session: Session, subject: str, workspace_id: int) -> Caller:
    """The caller behind a verified token's `sub` and workspace claims."""
    kind, _, number = subject.partition(":")
    if not number.isdigit():
        raise NotAMemberError("the token names no user or API client")
    if kind == "user":
        return caller_for_user(session, int(number), workspace_id)
    if kind == "api":
        caller = caller_for_api_client(session, int(number))
        if caller.workspace_id != workspace_id:
            raise NotAMemberError("the API client acts in another workspace")
        return caller
    raise NotAMemberError("the token names no user or API client")


def workspaces_of_user(session: Session, user_id: int) -> list[Workspace]:
    """The workspaces a person may sign in to, oldest first."""
    return list(
        session.scalars(
            select(Workspace)
            .join(Membership, Membership.workspace_id == Workspace.id)
            .where(Membership.user_id == user_id)
            .order_by(Workspace.id)
        )
    )


# --- what it may do -------------------------------------------------------------


def require(caller: Caller, action: Action) -> None:
    """Refuse (403) unless the caller's role lists this action."""
    if not caller.may(action):
        raise ForbiddenError(
            f"the role {caller.role} may not {action.value.replace('_', ' ')}"
        )


def require_grant(caller: Caller, role: str, client_id: int | None) -> None:
    """Refuse to hand out a role above the caller's own, or a client the caller
    cannot see."""
    require(caller, Action.MANAGE_MEMBERS)
    if role not in GRANTABLE.get(caller.role, frozenset()):
        raise ForbiddenError(f"the role {caller.role} may not grant the role {role}")
    if caller.client_id is not None and client_id != caller.client_id:
        raise ForbiddenError("a caller limited to one client may grant only that one")


# --- what it may see ------------------------------------------------------------


def visible(caller: Caller, model: type[T]) -> Select[T]:
    """A SELECT of the rows of `model` the caller may see.

    `model` needs a `workspace_id` column; rows with a `client_id` column are
    further limited to the caller's client, and rows of no client (workspace-wide
    objects) are hidden from a client-bound caller. Anything else is refused.
    """
    workspace_column = getattr(model, "workspace_id", None)
    if workspace_column is None:
        raise TypeError(f"{model.__name__} has no workspace_id: it cannot be scoped")
    query = select(model).where(workspace_column == caller.workspace_id)
    if model is Client:
        return _client_bound(query, caller, Client.id)
    client_column = getattr(model, "client_id", None)
    if client_column is not None:
        return _client_bound(query, caller, client_column)
    if caller.client_id is not None:
        return query.where(false())  # workspace-wide rows: not for one client's eyes
    return query


def get_visible(session: Session, caller: Caller, model: type[T], object_id: Any) -> T:
    """The object with this id if the caller may see it; else NotFoundError,
    the same for another tenant's object as for a missing one."""
    id_column = getattr(model, "id", None)
    if id_column is None:
        raise TypeError(f"{model.__name__} has no id column")
    found = session.scalar(visible(caller, model).where(id_column == object_id))
    if found is None:
        raise NotFoundError(f"no {_label(model)} {object_id} here")
    return found


def get_for(
    session: Session, caller: Caller, action: Action, model: type[T], object_id: Any
) -> T:
    """`get_visible` then `require`: 404 when unseen, 403 when seen but not allowed."""
    found = get_visible(session, caller, model, object_id)
    require(caller, action)
    return found


def own_workspace(session: Session, caller: Caller) -> Workspace:
    found = session.get(Workspace, caller.workspace_id)
    if found is None:
        raise NotFoundError("the workspace no longer exists")
    return found


def _client_bound(query: Select[T], caller: Caller, column: Any) -> Select[T]:
    if caller.client_id is None:
        return query
    return query.where(column == caller.client_id)


def _label(model: type[Any]) -> str:
    table = getattr(model, "__tablename__", model.__name__)
    return str(table).rstrip("s").replace("_", " ")


# --- what warehouse rows it may see ---------------------------------------------


@dataclass(frozen=True)
class MetricScope:
    """The warehouse accounts (platform, account id) whose rows a caller may see."""

    accounts: frozenset[tuple[str, str]]

    def allows(self, platform: str, account_id: str) -> bool:
        return (platform, account_id) in self.accounts

    def sql(self, alias: str = "f") -> tuple[str, list[str]]:
        """A condition on `<alias>.platform` and `<alias>.account_id` with `?`
        parameters, for DuckDB or PostgreSQL queries; false when the scope is
        empty, so no account means no rows."""
        if not self.accounts:
            return "FALSE", []
        pairs = sorted(self.accounts)
        one = f"({alias}.platform = ? AND {alias}.account_id = ?)"
        return "(" + " OR ".join([one] * len(pairs)) + ")", _flat(pairs)


def metric_scope(session: Session, caller: Caller) -> MetricScope:
    """The accounts linked to the clients the caller may see."""
    rows = session.execute(
        visible(caller, AccountLink).with_only_columns(
            AccountLink.platform, AccountLink.account_id
        )
    )
    return MetricScope(frozenset((p, a) for p, a in rows))


def _flat(pairs: Sequence[tuple[str, str]]) -> list[str]:
    return [value for pair in pairs for value in pair]
