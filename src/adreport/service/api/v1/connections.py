"""Connections: the ad accounts linked to clients, their status, syncs.

Linking an account decides whose metrics its rows are. Re-authorising and
syncing are done by the sync engine (`adreport.sources.connections`); where that
library is not installed the endpoints answer 503 `not_available` saying so.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from adreport.appdata.models import AccountLink, Client
from adreport.security import audit
from adreport.service.api.pages import Page, PageDep, fetch_page
from adreport.service.api.scoping import CallerDep, SessionDep
from adreport.service.idempotency import run_once
from adreport.service.problems import ApiError
from adreport.service.tenancy import Action, get_for, get_visible, require, visible

router = APIRouter(prefix="/connections", tags=["connections"])
ENGINE = "adreport.sources.connections"


class ConnectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int
    platform: str
    account_id: str
    connection_name: str | None
    created_at: datetime


class ConnectionIn(BaseModel):
    client_id: int
    platform: Annotated[str, Field(min_length=1, max_length=40)]
    account_id: Annotated[str, Field(min_length=1, max_length=100)]
    connection_name: Annotated[str | None, Field(max_length=200)] = None


class ConnectionStatus(BaseModel):
    id: int
    state: str
    detail: str


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
    connection_id: int, caller: CallerDep, session: SessionDep
) -> ConnectionStatus:
    link = get_visible(session, caller, AccountLink, connection_id)
    engine = _engine()
    if engine is None or not hasattr(engine, "status"):
        return ConnectionStatus(
            id=link.id, state="linked", detail="account linked; no sync engine here"
        )
    state, detail = engine.status(link)
    return ConnectionStatus(id=link.id, state=str(state), detail=str(detail))


@router.post("", response_model=ConnectionOut, status_code=201)
def create_connection(
    request: Request, body: ConnectionIn, caller: CallerDep, session: SessionDep
) -> JSONResponse:
    """Link a platform account to a client. Honors Idempotency-Key."""
    require(caller, Action.WRITE)
    get_visible(session, caller, Client, body.client_id)

    def work() -> tuple[int, object]:
        link = AccountLink(
            workspace_id=caller.workspace_id,
            client_id=body.client_id,
            platform=body.platform,
            account_id=body.account_id,
            connection_name=body.connection_name,
        )
        session.add(link)
        try:
            session.flush()
        except Exception:
            session.rollback()
            raise ApiError(
                "conflict", "that account is already linked to a client"
            ) from None
        audit.record(
            session,
            actor=caller.subject,
            action="connection.create",
            target=f"connection:{link.id}",
            workspace_id=caller.workspace_id,
            details={"platform": body.platform, "account_id": body.account_id},
        )
        return 201, ConnectionOut.model_validate(link)

    return run_once(request, session, caller.subject, body, work)


@router.post("/{connection_id}/reauthorise", response_model=ConnectionStatus)
def reauthorise(
    connection_id: int, caller: CallerDep, session: SessionDep
) -> ConnectionStatus:
    """Start re-authorising the platform grant of a connection."""
    link = get_for(session, caller, Action.WRITE, AccountLink, connection_id)
    return _call_engine("reauthorise", link)


@router.post("/{connection_id}/sync", response_model=ConnectionStatus, status_code=202)
def trigger_sync(
    connection_id: int, caller: CallerDep, session: SessionDep
) -> ConnectionStatus:
    """Queue a sync of the connection's account."""
    link = get_for(session, caller, Action.RUN, AccountLink, connection_id)
    return _call_engine("trigger_sync", link)


def _engine() -> Any:
    try:
        return importlib.import_module(ENGINE)
    except ImportError:
        return None


def _call_engine(name: str, link: AccountLink) -> ConnectionStatus:
    engine = _engine()
    action = getattr(engine, name, None) if engine is not None else None
    if action is None:
        raise ApiError(
            "not_available",
            f"this server has no sync engine for {name.replace('_', ' ')} "
            f"({ENGINE}.{name} is not installed); sync with `adreport sync` instead",
        )
    state, detail = action(link)
    return ConnectionStatus(id=link.id, state=str(state), detail=str(detail))
