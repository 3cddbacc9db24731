"""Clients of the workspace: list, read, create (client-bound callers see theirs)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from adreport.appdata.models import Client
from adreport.security import audit
from adreport.service.api.ids import PathId
from adreport.service.api.pages import Page, PageDep, fetch_page
from adreport.service.api.scoping import CallerDep, SessionDep
from adreport.service.idempotency import run_once
from adreport.service.problems import ApiError
from adreport.service.tenancy import Action, get_visible, require, visible

router = APIRouter(prefix="/clients", tags=["clients"])


class ClientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    created_at: datetime


class ClientIn(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]


@router.get("", response_model=Page[ClientOut])
def list_clients(
    caller: CallerDep, session: SessionDep, page: PageDep
) -> Page[ClientOut]:
    rows, next_cursor = fetch_page(session, visible(caller, Client), Client.id, page)
    return Page[ClientOut](
        items=[ClientOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/{client_id}", response_model=ClientOut)
def get_client(client_id: PathId, caller: CallerDep, session: SessionDep) -> ClientOut:
    return ClientOut.model_validate(get_visible(session, caller, Client, client_id))


@router.post("", response_model=ClientOut, status_code=201)
def create_client(
    request: Request, body: ClientIn, caller: CallerDep, session: SessionDep
) -> JSONResponse:
    """Add a client to the workspace. Honors Idempotency-Key."""
    require(caller, Action.WRITE)
    if caller.client_id is not None:
        raise ApiError("forbidden", "a caller limited to one client cannot add clients")

    def work() -> tuple[int, object]:
        taken = session.scalar(visible(caller, Client).where(Client.name == body.name))
        if taken is not None:
            raise ApiError("conflict", f"a client named {body.name!r} already exists")
        client = Client(workspace_id=caller.workspace_id, name=body.name)
        session.add(client)
        session.flush()
        audit.record(
            session,
            actor=caller.subject,
            action="client.create",
            target=f"client:{client.id}",
            workspace_id=caller.workspace_id,
            details={"name": body.name},
        )
        return 201, ClientOut.model_validate(client)

    return run_once(request, session, caller.subject, body, work)
