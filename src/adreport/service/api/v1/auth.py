"""`POST /api/v1/auth/token`: the OAuth 2.0 token endpoint (RFC 6749).

Three grants, sent as a form:
- `password` (people): username (e-mail), password, and `scope=workspace:<id>`
  when the person works in several workspaces;
- `client_credentials` (machines): client_id, client_secret;
- `refresh_token`: a refresh token from an earlier answer; each one works once and
  is replaced by the one in the answer (a reused one revokes the sign-in).

Failed sign-ins are counted per account and per address (`security.signin`); past
the limit the endpoint answers 429 with Retry-After, whether the password is right
or not, so guessing cannot go on.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from adreport.appdata.models import Membership, User
from adreport.security.signin import (
    SignInThrottledError,
    authenticate_api_client,
    authenticate_user,
)
from adreport.security.tokens import (
    ACCESS_LIFETIME,
    RefreshTokenError,
    issue_refresh_token,
    use_refresh_token,
)
from adreport.service.api.deps import RuntimeDep
from adreport.service.problems import ApiError
from adreport.service.runtime import Runtime

router = APIRouter(prefix="/auth", tags=["auth"])
log = logging.getLogger("adreport.service.auth")


class TokenAnswer(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (the scheme name)
    expires_in: int = Field(description="Seconds the access token is valid")
    refresh_token: str | None = None
    scope: str = Field(description="workspace:<id> the token acts in")


GrantType = Literal["password", "client_credentials", "refresh_token"]


def _grant(name: str, *fields: str) -> dict[str, object]:
    limits = {"username": 320, "password": 1024, "client_id": 64}
    limits |= {"client_secret": 256, "refresh_token": 256, "scope": 100}
    properties: dict[str, object] = {"grant_type": {"type": "string", "enum": [name]}}
    for field in (*fields, "scope"):
        properties[field] = {
            "type": "string",
            "minLength": 1,
            "maxLength": limits[field],
        }
    return {
        "type": "object",
        "properties": properties,
        "required": ["grant_type", *fields],
    }


# The form as documented: each grant with the fields it needs (RFC 6749 4.3, 4.4, 6).
TOKEN_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "oneOf": [
                        _grant("password", "username", "password"),
                        _grant("client_credentials", "client_id", "client_secret"),
                        _grant("refresh_token", "refresh_token"),
                    ]
                }
            }
        },
    }
}


@router.post(
    "/token",
    response_model=TokenAnswer,
    response_model_exclude_none=True,
    openapi_extra=TOKEN_FORM,
)
def token(
    request: Request,
    response: Response,
    service: RuntimeDep,
    grant_type: Annotated[GrantType, Form()],
    username: Annotated[str | None, Form(max_length=320)] = None,
    password: Annotated[str | None, Form(max_length=1024)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
    refresh_token: Annotated[str | None, Form(max_length=256)] = None,
    scope: Annotated[str | None, Form(max_length=100)] = None,
) -> TokenAnswer:
    """Sign in: exchange credentials for an access token (15 minutes)."""
    # Tokens must never sit in a cache on the way (RFC 6749, 5.1).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    address = request.client.host if request.client else "unknown"
    try:
        with service.sessions().session() as session:
            if grant_type == "password":
                return _password_grant(
                    service,
                    session,
                    _required(username, "username"),
                    _required(password, "password"),
                    address,
                    scope,
                )
            if grant_type == "client_credentials":
                return _client_grant(
                    service,
                    session,
                    _required(client_id, "client_id"),
                    _required(client_secret, "client_secret"),
                    address,
                )
            given = _required(refresh_token, "refresh_token")
            return _refresh_grant(service, session, given)
    except SignInThrottledError as exc:
        log.warning("sign-in refused from %s: too many failures", address)
        raise ApiError(
            "too_many_requests",
            str(exc),
            headers={"Retry-After": str(exc.retry_after)},
        ) from None


def _required(value: str | None, field: str) -> str:
    if not value:
        raise ApiError(
            "invalid_request",
            f"the form field {field!r} is required for this grant_type",
        )
    return value


def _password_grant(
    service: Runtime,
    session: Session,
    email: str,
    password: str,
    address: str,
    scope: str | None,
) -> TokenAnswer:
    user = authenticate_user(session, email, password, address, service.sign_in)
    if user is None:
        raise ApiError(
            "invalid_grant",
            "the user name or password is wrong, or the user is disabled",
        )
    membership = _membership(session, user.id, _workspace_in(scope))
    access = service.access_tokens().issue(
        f"user:{user.id}",
        membership.workspace_id,
        membership.role,
        membership.client_id,
    )
    refresh = issue_refresh_token(session, user.id, membership.workspace_id)
    log.info("user %s signed in to workspace %s", user.id, membership.workspace_id)
    return _answer(access, membership.workspace_id, refresh)


def _workspace_in(scope: str | None) -> int | None:
    if not scope:
        return None
    for part in scope.split():
        name, _, value = part.partition(":")
        if name == "workspace" and value.isdigit():
            return int(value)
    raise ApiError(
        "invalid_request", f"scope {scope!r} is not workspace:<id> (e.g. workspace:1)"
    )


def _membership(session: Session, user_id: int, workspace: int | None) -> Membership:
    query = select(Membership).where(Membership.user_id == user_id)
    if workspace is not None:
        query = query.where(Membership.workspace_id == workspace)
    found = list(session.scalars(query.order_by(Membership.workspace_id)))
    if not found:
        raise ApiError(
            "invalid_grant",
            "this user has no role in that workspace"
            if workspace is not None
            else "this user has no role in any workspace yet; ask an owner to add one",
        )
    if len(found) > 1:
        ids = ", ".join(f"workspace:{m.workspace_id}" for m in found)
        raise ApiError(
            "invalid_request",
            f"this user works in several workspaces; pass scope as one of: {ids}",
        )
    return found[0]


def _client_grant(
    service: Runtime, session: Session, public_id: str, secret: str, address: str
) -> TokenAnswer:
    client = authenticate_api_client(
        session, public_id, secret, address, service.sign_in
    )
    if client is None:
        raise ApiError("invalid_client", "the client id or secret is wrong")
    access = service.access_tokens().issue(
        f"api:{client.id}", client.workspace_id, client.role, client.client_id
    )
    log.info("API client %s signed in", client.id)
    return _answer(access, client.workspace_id, None)


def _refresh_grant(service: Runtime, session: Session, given: str) -> TokenAnswer:
    try:
        grant = use_refresh_token(session, given)
    except RefreshTokenError as exc:
        raise ApiError("invalid_grant", str(exc)) from None
    user = session.get(User, grant.user_id)
    membership = session.scalar(
        select(Membership).where(
            Membership.user_id == grant.user_id,
            Membership.workspace_id == grant.workspace_id,
        )
    )
    if user is None or user.disabled or membership is None:
        raise ApiError(
            "invalid_grant", "this user may no longer sign in to that workspace"
        )
    access = service.access_tokens().issue(
        f"user:{user.id}",
        membership.workspace_id,
        membership.role,
        membership.client_id,
    )
    return _answer(access, membership.workspace_id, grant.token)


def _answer(access: str, workspace_id: int, refresh: str | None) -> TokenAnswer:
    return TokenAnswer(
        access_token=access,
        expires_in=int(ACCESS_LIFETIME.total_seconds()),
        refresh_token=refresh,
        scope=f"workspace:{workspace_id}",
    )
