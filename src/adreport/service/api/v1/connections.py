"""Connections: the ad accounts linked to clients, their stored credentials, syncs.

A connection here is an account link (whose metrics an account's rows are) and,
when it names one, the stored connection the sync engine pulls it with
(`adreport.sources.connections`, the same store `adreport connect` writes). A
link created with `settings` and `secrets` stores that connection, its secrets
sealed; the secrets are never answered back. A sync started here runs in the
server, which owns the warehouse: the answer is 202 with a run id, and the
connection's status shows how that run goes.

Stored connections made through the API are named after their workspace
(`w<workspace id>-<name>`), so one tenant can never name, overwrite or sync
another's; a link may name an existing stored connection only if a link of the
same workspace already uses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from adreport.appdata.models import AccountLink, Client
from adreport.errors import ConfigurationError
from adreport.security import audit
from adreport.service.api.deps import RuntimeDep
from adreport.service.api.ids import PathId
from adreport.service.api.pages import Page, PageDep, fetch_page
from adreport.service.api.scoping import CallerDep, SessionDep
from adreport.service.api.v1.connection_bodies import (
    ConnectionBody,
    ConnectionIn,
    SecretName,
    Value,
)
from adreport.service.idempotency import run_once
from adreport.service.problems import ApiError, FieldError
from adreport.service.runtime import Runtime
from adreport.service.syncs import SyncJob
from adreport.service.tenancy import (
    Action,
    Caller,
    get_for,
    get_visible,
    require,
    visible,
)
from adreport.sources.connections import Connection, ConnectionStore
from adreport.sources.registry import ConnectOption, connect_options

router = APIRouter(prefix="/connections", tags=["connections"])
LINKED = "linked"


class ConnectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int
    platform: str
    account_id: str
    connection_name: str | None
    created_at: datetime


class ReauthoriseIn(BaseModel):
    secrets: Annotated[
        dict[SecretName, Value],
        Field(min_length=1, max_length=40, description="The new grant, e.g. a token"),
    ]


class SyncRunOut(BaseModel):
    run_id: str
    status: str
    message: str
    started_at: datetime | None
    finished_at: datetime | None
    rows_written: int


class ConnectionStatus(BaseModel):
    id: int
    state: str
    detail: str
    last_sync: datetime | None = None
    data_as_of: date | None = None
    provisional_days: int = 0
    errors: int = 0
    sync: SyncRunOut | None = None


@router.get("", response_model=Page[ConnectionOut])
def list_connections(
    caller: CallerDep, session: SessionDep, page: PageDep
) -> Page[ConnectionOut]:
    rows, next_cursor = fetch_page(
        session, visible(caller, AccountLink), AccountLink.id, page
    )
    return Page[ConnectionOut](
        items=[ConnectionOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/{connection_id}", response_model=ConnectionStatus)
def connection_status(
    connection_id: PathId, caller: CallerDep, session: SessionDep, service: RuntimeDep
) -> ConnectionStatus:
    """The link's state; with a stored connection, its last sync and the API's."""
    link = get_visible(session, caller, AccountLink, connection_id)
    return _status(service, link)


@router.post("", response_model=ConnectionOut, status_code=201)
def create_connection(
    request: Request,
    body: ConnectionBody,
    caller: CallerDep,
    session: SessionDep,
    service: RuntimeDep,
) -> JSONResponse:
    """Link a platform account to a client, storing its credentials when given.

    Honors Idempotency-Key."""
    require(caller, Action.WRITE)
    get_visible(session, caller, Client, body.client_id)
    stored = _stored_connection(session, caller, body)
    name = stored.name if stored else body.connection_name

    def work() -> tuple[int, object]:
        link = AccountLink(
            workspace_id=caller.workspace_id,
            client_id=body.client_id,
            platform=body.platform,
            account_id=body.account_id,
            connection_name=name,
        )
        session.add(link)
        try:
            session.flush()
        except Exception:
            session.rollback()
            raise ApiError(
                "conflict", "that account is already linked to a client"
            ) from None
        if stored is not None:
            with _store(service) as store:
                store.save(stored)
        audit.record(
            session,
            actor=caller.subject,
            action="connection.create",
            target=f"connection:{link.id}",
            workspace_id=caller.workspace_id,
            details={
                "platform": body.platform,
                "account_id": body.account_id,
                "stored": name or "",
                "secrets": sorted(stored.secrets) if stored else [],
            },
        )
        return 201, ConnectionOut.model_validate(link)

    # Secret values stay out of the stored request digest; their names count.
    remembered = body.model_dump(exclude={"secrets"}) | {
        "secrets": sorted(body.options(body.secrets))
    }
    return run_once(request, session, caller.subject, remembered, work)


@router.post("/{connection_id}/reauthorise", response_model=ConnectionStatus)
def reauthorise(
    connection_id: PathId,
    body: ReauthoriseIn,
    caller: CallerDep,
    session: SessionDep,
    service: RuntimeDep,
) -> ConnectionStatus:
    """Replace the stored grant (e.g. a revoked refresh token) with a new one.

    The connection is "connected" again; its next sync uses the new grant."""
    link = get_for(session, caller, Action.WRITE, AccountLink, connection_id)
    with _store(service) as store:
        connection = store.get(_stored_name(link))
        secret_names = {o.name for o in _options(connection.platform) if o.secret}
        unknown = set(body.secrets) - secret_names
        if unknown:
            raise ApiError(
                "invalid_request",
                f"{connection.platform} has no secret named "
                f"{', '.join(sorted(unknown))}; its secrets: "
                f"{', '.join(sorted(secret_names))}",
                errors=[FieldError(field="body.secrets", message="unknown secret")],
            )
        connection.secrets.update(body.secrets)
        store.save(connection)
    audit.record(
        session,
        actor=caller.subject,
        action="connection.reauthorise",
        target=f"connection:{link.id}",
        workspace_id=caller.workspace_id,
        details={"secrets": sorted(body.secrets)},
    )
    session.commit()
    return _status(service, link)


@router.post("/{connection_id}/sync", response_model=ConnectionStatus, status_code=202)
def trigger_sync(
    connection_id: PathId, caller: CallerDep, session: SessionDep, service: RuntimeDep
) -> ConnectionStatus:
    """Start a sync of the connection in the server; its run id is in `sync`.

    A sync of the same stored connection already running is answered instead."""
    link = get_for(session, caller, Action.RUN, AccountLink, connection_id)
    name = _stored_name(link)
    with _store(service) as store:
        store.get(name)  # a missing stored connection says what to do
    job = service.syncs.start(name)
    audit.record(
        session,
        actor=caller.subject,
        action="connection.sync",
        target=f"connection:{link.id}",
        workspace_id=caller.workspace_id,
        details={"run_id": job.run_id},
    )
    session.commit()
    return _status(service, link)


@contextmanager
def _store(service: Runtime) -> Iterator[ConnectionStore]:
    """The stored connections, on a warehouse cursor of this request's own."""
    cursor = service.cursor()
    try:
        yield ConnectionStore(cursor, service.secret_box())
    finally:
        cursor.close()


def _stored_name(link: AccountLink) -> str:
    if not link.connection_name:
        raise ApiError(
            "conflict",
            f"connection {link.id} links an account without stored credentials; "
            "create it with settings and secrets, or link it to a stored connection",
        )
    return link.connection_name


def _options(platform: str) -> list[ConnectOption]:
    try:
        return list(connect_options(platform))
    except ConfigurationError as exc:
        raise ApiError(
            "invalid_request",
            str(exc),
            errors=[FieldError(field="body.platform", message="unknown platform")],
        ) from None


def _stored_connection(
    session: Session, caller: Caller, body: ConnectionIn
) -> Connection | None:
    """The stored connection the request creates (None when it gives no
    credentials), after checking a named one is the workspace's own."""
    if body.settings is None and body.secrets is None:
        if body.connection_name is not None and not _used_here(
            session, caller, body.connection_name
        ):
            raise ApiError(
                "not_found",
                f"no stored connection {body.connection_name!r} in this workspace; "
                "send settings and secrets to store one",
                errors=[FieldError(field="body.connection_name", message="unknown")],
            )
        return None
    settings, secrets = body.options(body.settings), body.options(body.secrets)
    options = {o.name: o for o in _options(body.platform)}
    wrong = [k for k in settings if k not in options or options[k].secret]
    wrong += [k for k in secrets if k not in options or not options[k].secret]
    missing = [
        n
        for n, o in options.items()
        if o.required and o.default is None and n not in settings and n not in secrets
    ]
    if wrong or missing:
        raise ApiError(
            "invalid_request",
            f"{body.platform} takes settings "
            f"{', '.join(n for n, o in options.items() if not o.secret) or 'none'} "
            f"and secrets {', '.join(n for n, o in options.items() if o.secret)}"
            + (f"; not one of them: {', '.join(sorted(wrong))}" if wrong else "")
            + (f"; missing: {', '.join(sorted(missing))}" if missing else ""),
            errors=[FieldError(field="body.settings", message="wrong or missing")],
        )
    local = body.connection_name or f"{body.platform}-{body.account_id}"
    name = f"w{caller.workspace_id}-{local}"[:200]
    return Connection(name, body.platform, settings, secrets)


def _used_here(session: Session, caller: Caller, name: str) -> bool:
    found = session.scalar(
        select(AccountLink.id).where(
            AccountLink.workspace_id == caller.workspace_id,
            AccountLink.connection_name == name,
        )
    )
    return found is not None


def _status(service: Runtime, link: AccountLink) -> ConnectionStatus:
    if not link.connection_name:
        return ConnectionStatus(
            id=link.id, state=LINKED, detail="account linked; no stored credentials"
        )
    with _store(service) as store:
        found = [s for s in store.statuses() if s.name == link.connection_name]
    if not found:
        return ConnectionStatus(
            id=link.id,
            state=LINKED,
            detail=f"no stored connection {link.connection_name!r} yet",
        )
    job = service.syncs.latest(link.connection_name)
    return ConnectionStatus(
        id=link.id,
        state=found[0].status,
        detail=found[0].message or found[0].status,
        last_sync=found[0].last_sync,
        data_as_of=found[0].data_as_of,
        provisional_days=found[0].provisional_days,
        errors=found[0].errors,
        sync=_run_out(job) if job else None,
    )


def _run_out(job: SyncJob) -> SyncRunOut:
    return SyncRunOut(
        run_id=job.run_id,
        status=job.status,
        message=job.message,
        started_at=job.started_at,
        finished_at=job.finished_at,
        rows_written=job.rows_written,
    )
