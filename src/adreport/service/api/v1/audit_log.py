"""The workspace's audit trail, read-only, newest last (owners and admins)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from adreport.appdata.models import AuditEntry
from adreport.service.api.pages import Page, PageDep, fetch_page
from adreport.service.api.scoping import CallerDep, SessionDep
from adreport.service.tenancy import Action, require, visible

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    outcome: str
    details: str
    hash: str


@router.get("", response_model=Page[AuditOut])
def read_audit(caller: CallerDep, session: SessionDep, page: PageDep) -> Page[AuditOut]:
    require(caller, Action.READ_AUDIT)
    rows, next_cursor = fetch_page(
        session, visible(caller, AuditEntry), AuditEntry.id, page
    )
    return Page[AuditOut](
        items=[AuditOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )
