"""The caller of a request and its app-data session, built from the bearer token.

Every router takes `CallerDep` and reads through `service.tenancy`; the caller is
read fresh from the database, so a role taken away counts at once.

A request's session holds a pooled database connection from its first query to
the end of its transaction. FastAPI runs each sync dependency and the endpoint in
separate trips to a shared thread pool (40 threads), and the app-data pool is
smaller (15 connections on SQLite). A connection kept while its request waits for
its next thread trip can deadlock the server under load: every thread waits for a
connection, and every connection waits for a thread. So each step that reads
app data ends its transaction (`release`) before handing back to FastAPI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from adreport.appdata.models import AccountLink
from adreport.security.tokens import AccessClaims
from adreport.service.api.deps import bearer_claims, runtime
from adreport.service.problems import ApiError
from adreport.service.runtime import Runtime
from adreport.service.tenancy import (
    Caller,
    NotAMemberError,
    caller_from_subject,
    metric_scope,
    visible,
)


async def app_session(
    service: Annotated[Runtime, Depends(runtime)],
) -> AsyncIterator[Session]:
    """One session per request, closed on the event loop (see warehouse_cursor)."""
    with service.sessions().session() as session:
        yield session


SessionDep = Annotated[Session, Depends(app_session)]


def current_caller(
    claims: Annotated[AccessClaims, Depends(bearer_claims)],
    session: SessionDep,
) -> Caller:
    try:
        return caller_from_subject(session, claims.subject, claims.workspace_id)
    except NotAMemberError as exc:
        raise ApiError(
            "invalid_token",
            f"{exc}; sign in again",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None
    finally:
        release(session)


def release(session: Session) -> None:
    """End the session's read transaction: its connection goes back to the pool.

    Only for steps that changed nothing: loaded objects stay usable (the session
    keeps them, expire_on_commit is off) and the next query opens a new
    transaction."""
    session.commit()


CallerDep = Annotated[Caller, Depends(current_caller)]


def caller_accounts(
    session: Session, caller: Caller, client_id: int | None = None
) -> frozenset[tuple[str, str]]:
    """The warehouse accounts the caller may see (of one client, when given),
    read before any warehouse work and with the connection released, so none is
    held through a long query."""
    try:
        if client_id is None:
            return metric_scope(session, caller).accounts
        rows = session.execute(
            visible(caller, AccountLink)
            .where(AccountLink.client_id == client_id)
            .with_only_columns(AccountLink.platform, AccountLink.account_id)
        )
        return frozenset((platform, account) for platform, account in rows)
    finally:
        release(session)
