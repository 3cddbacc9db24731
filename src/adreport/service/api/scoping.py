"""The caller of a request and its app-data session, built from the bearer token.

Every router takes `CallerDep` and reads through `service.tenancy`; the caller is
read fresh from the database, so a role taken away counts at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from adreport.security.tokens import AccessClaims
from adreport.service.api.deps import bearer_claims, runtime
from adreport.service.problems import ApiError
from adreport.service.runtime import Runtime
from adreport.service.tenancy import Caller, NotAMemberError, caller_from_subject


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


CallerDep = Annotated[Caller, Depends(current_caller)]
