"""Dependencies every versioned router shares: the runtime and a warehouse cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from adreport.security.tokens import AccessClaims, InvalidTokenError
from adreport.service.problems import ApiError
from adreport.service.runtime import CursorWarehouse, Runtime


def runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


async def warehouse_cursor(
    service: Annotated[Runtime, Depends(runtime)],
) -> AsyncIterator[CursorWarehouse]:
    """A cursor of the shared warehouse for this request, closed after it.

    Opened and closed on the event loop (both are quick): a dependency that held
    a worker thread until the answer was sent would deadlock the thread pool
    under many concurrent requests."""
    cursor = service.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


RuntimeDep = Annotated[Runtime, Depends(runtime)]
WarehouseDep = Annotated[CursorWarehouse, Depends(warehouse_cursor)]


_bearer = HTTPBearer(auto_error=False, description="An access token from /auth/token")


def bearer_claims(
    service: Annotated[Runtime, Depends(runtime)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AccessClaims:
    """The verified claims of the request's bearer token; 401 otherwise."""
    challenge = {"WWW-Authenticate": 'Bearer realm="adreport"'}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            "not_authenticated",
            "sign in first: send Authorization: Bearer <token> from POST "
            "/api/v1/auth/token",
            headers=challenge,
        )
    try:
        return service.access_tokens().verify(credentials.credentials)
    except InvalidTokenError as exc:
        raise ApiError(
            "invalid_token",
            f"{exc}; sign in again",
            headers={**challenge, "WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None


ClaimsDep = Annotated[AccessClaims, Depends(bearer_claims)]
