"""The caller's workspace: read it; owners rename it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from adreport.security import audit
from adreport.service.api.scoping import CallerDep, SessionDep
from adreport.service.idempotency import run_once
from adreport.service.tenancy import Action, own_workspace, require

router = APIRouter(prefix="/workspace", tags=["workspaces"])


class WorkspaceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    created_at: datetime


class WorkspaceRename(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]


@router.get("", response_model=WorkspaceOut)
def get_workspace(caller: CallerDep, session: SessionDep) -> WorkspaceOut:
    """The workspace the token acts in."""
    return WorkspaceOut.model_validate(own_workspace(session, caller))


@router.post("/rename", response_model=WorkspaceOut)
def rename_workspace(
    request: Request, body: WorkspaceRename, caller: CallerDep, session: SessionDep
) -> JSONResponse:
    """Rename the workspace (owners only). Honors Idempotency-Key."""
    require(caller, Action.MANAGE_WORKSPACE)

    def work() -> tuple[int, object]:
        workspace = own_workspace(session, caller)
        old = workspace.name
        workspace.name = body.name
        audit.record(
            session,
            actor=caller.subject,
            action="workspace.rename",
            target=f"workspace:{workspace.id}",
            workspace_id=caller.workspace_id,
            details={"old": old, "new": body.name},
        )
        session.flush()
        return 200, WorkspaceOut.model_validate(workspace)

    return run_once(request, session, caller.subject, body, work)
