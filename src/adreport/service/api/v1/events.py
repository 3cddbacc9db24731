"""Pushed events: the signed webhook, its endpoints, and the dead-letter list.

`POST /events/{source}` is called by the sender, not by a signed-in person: it
proves itself with the endpoint's HMAC signature (see `adreport.service.events`
for the headers). The other routes are for people of the workspace: owners and
admins and managers create an endpoint or rotate its secret (`write`); the dead
letters are read by any role that reads the workspace's data (`read`); a client
viewer sees none, since events belong to the workspace, not to one client.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from adreport.appdata.events import DEAD
from adreport.security.tokens import AccessClaims
from adreport.service.api.deps import ClaimsDep, RuntimeDep
from adreport.service.events import (
    MAX_BODY_BYTES,
    PushedEvents,
    Stored,
    running_events,
)
from adreport.service.problems import ApiError, FieldError
from adreport.service.runtime import Runtime
from adreport.service.tenancy import (
    Action,
    Caller,
    ForbiddenError,
    NotAMemberError,
    caller_from_subject,
    require,
)
from adreport.service.webhook_endpoints import (
    ENDPOINT_HEADER,
    SIGNATURE_HEADER,
    EndpointTakenError,
    NewSecret,
    SignatureError,
)
from adreport.sources.push import EVENT_SCHEMA

router = APIRouter(prefix="/events", tags=["events"])

SourceName = Annotated[
    str,
    Path(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$",
        description="The sending system, e.g. crm or shop",
    ),
]


class EventReceipt(BaseModel):
    status: str = Field(description="accepted (202) or duplicate (200)")
    event_id: str


class EndpointSecret(BaseModel):
    """Shown once: store the secret in the sending system now."""

    endpoint_id: str = Field(description=f"Send it in {ENDPOINT_HEADER}")
    source: str
    secret: str = Field(description="Signs each delivery; never shown again")
    previous_secret_valid_until: datetime | None = None
    signature_header: str = Field(
        default=f"{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256 of "
        "'<t>.<raw body>' keyed with the secret>"
    )


class DeadLetterOut(BaseModel):
    id: int
    event_id: str | None
    field: str = Field(description="The event field that was wrong")
    reason: str
    received_at: datetime
    body: str = Field(description="The event as received, as text")


class DeadLetterPage(BaseModel):
    items: list[DeadLetterOut]
    next_after: int | None = Field(description="Pass as `after` for the next page")


def _events(runtime: Runtime) -> PushedEvents:
    found = running_events(runtime)
    if found is None:
        raise ApiError("not_available", "pushed events are not running in this server")
    return found


def _caller(runtime: Runtime, claims: AccessClaims, action: Action) -> Caller:
    """Who calls, read fresh from the app data, allowed to do `action` (403)."""
    with runtime.sessions().session() as session:
        try:
            caller = caller_from_subject(session, claims.subject, claims.workspace_id)
        except NotAMemberError as exc:
            raise ApiError("invalid_token", f"{exc}; sign in again") from None
    try:
        require(caller, action)
    except ForbiddenError as exc:
        raise ApiError("forbidden", str(exc)) from None
    return caller


SOURCE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
# The receiver reads its path and headers itself (no per-request parameter
# machinery: it is the hot path); this documents them.
RECEIVER_DOCUMENT: dict[str, Any] = {
    "parameters": [
        {
            "name": "source",
            "in": "path",
            "required": True,
            "description": "The sending system, e.g. crm or shop",
            "schema": {"type": "string", "pattern": f"^{SOURCE_PATTERN.pattern}$"},
        },
        {
            "name": ENDPOINT_HEADER,
            "in": "header",
            "required": True,
            "description": "The endpoint id answered when the endpoint was made",
            "schema": {"type": "string", "maxLength": 64},
        },
        {
            "name": SIGNATURE_HEADER,
            "in": "header",
            "required": True,
            "description": "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<raw body>'>",
            "schema": {"type": "string", "maxLength": 1024},
        },
    ],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": EVENT_SCHEMA}},
    },
}


@router.post(
    "/{source}",
    status_code=202,
    response_model=EventReceipt,
    responses={200: {"model": EventReceipt, "description": "Already accepted"}},
    summary="Receive one signed event",
    openapi_extra=RECEIVER_DOCUMENT,
)
async def receive_event(request: Request) -> Response:
    """Store the event once and acknowledge it; processing follows in the server.

    A resent event (same event id, same body) answers 200 `duplicate` and changes
    nothing; the same event id with another body answers 409.
    """
    source = request.path_params["source"]
    if not SOURCE_PATTERN.fullmatch(source):
        raise ApiError(
            "invalid_request",
            "the source in the path must be lower-case letters, digits, '_', '.' "
            "or '-', at most 64",
        )
    headers = request.headers
    x_adreport_endpoint = headers.get(ENDPOINT_HEADER)
    x_adreport_signature = headers.get(SIGNATURE_HEADER)
    events = _events(request.app.state.runtime)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(
            "invalid_request",
            f"one event is at most {MAX_BODY_BYTES} bytes",
            status=413,
        )
    body = await request.body()
    try:
        keys = events.authenticate(
            source, x_adreport_endpoint, x_adreport_signature, body
        )
    except SignatureError as exc:
        raise ApiError("not_authenticated", str(exc)) from None
    receipt = await events.receive(keys, body)
    if receipt.status == DEAD and receipt.reason is not None:
        why = receipt.reason.reason
        raise ApiError(
            "invalid_request",
            f"the event was not accepted: {receipt.reason}; it is listed under "
            f"/api/v1/events/{source}/dead-letters",
            errors=[
                FieldError(
                    field=f"body.{receipt.reason.field}",
                    message=why,
                )
            ],
        )
    if receipt.status == Stored.CONFLICT:
        raise ApiError(
            "conflict",
            f"event {receipt.event_id!r} was accepted earlier with another body; "
            "send a change as a new event id",
        )
    code = 202 if receipt.status == Stored.ACCEPTED else 200
    answer = {"status": receipt.status, "event_id": receipt.event_id}
    return Response(json.dumps(answer), code, media_type="application/json")


@router.post(
    "/{source}/endpoint",
    status_code=201,
    response_model=EndpointSecret,
    summary="Create the webhook endpoint of a source",
)
def create_endpoint(
    source: SourceName, runtime: RuntimeDep, claims: ClaimsDep
) -> EndpointSecret:
    caller = _caller(runtime, claims, Action.WRITE)
    try:
        made = _events(runtime).endpoints.create(
            caller.workspace_id, source, caller.subject
        )
    except EndpointTakenError:
        raise ApiError(
            "conflict",
            f"source {source!r} has an endpoint already; rotate its secret instead",
        ) from None
    return _secret_answer(made)


@router.post(
    "/{source}/endpoint/rotate",
    response_model=EndpointSecret,
    summary="Give a source's endpoint a new secret",
)
def rotate_endpoint_secret(
    source: SourceName,
    runtime: RuntimeDep,
    claims: ClaimsDep,
    overlap_hours: Annotated[float, Query(ge=0, le=24 * 30)] = 24,
) -> EndpointSecret:
    """The old secret keeps signing for `overlap_hours`, so senders can switch."""
    caller = _caller(runtime, claims, Action.WRITE)
    overlap = timedelta(hours=overlap_hours)
    made = _events(runtime).endpoints.rotate(
        caller.workspace_id, source, overlap, caller.subject
    )
    if made is None:
        raise ApiError("not_found", f"no endpoint for source {source!r}")
    return _secret_answer(made)


@router.get(
    "/{source}/dead-letters",
    response_model=DeadLetterPage,
    summary="Events of a source that failed validation",
)
def list_dead_letters(
    source: SourceName,
    runtime: RuntimeDep,
    claims: ClaimsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: Annotated[int, Query(ge=0)] = 0,
) -> DeadLetterPage:
    caller = _caller(runtime, claims, Action.READ)
    rows = _events(runtime).dead_letters(caller, source, limit, after)
    items = [
        DeadLetterOut(
            id=row.id,
            event_id=row.event_id,
            field=row.field,
            reason=row.reason,
            received_at=row.received_at,
            body=row.body,
        )
        for row in rows
    ]
    following = items[-1].id if len(items) == limit else None
    return DeadLetterPage(items=items, next_after=following)


def _secret_answer(made: NewSecret) -> EndpointSecret:
    return EndpointSecret(
        endpoint_id=made.public_id,
        source=made.source,
        secret=made.secret,
        previous_secret_valid_until=made.previous_valid_until,
    )
