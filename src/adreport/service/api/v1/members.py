"""Members of the workspace and their roles: list, and add a person with a role."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from adreport.appdata.models import Client, Membership, User
from adreport.security import audit
from adreport.security.passwords import hash_password, new_machine_secret
from adreport.service.api.ids import BodyId
from adreport.service.api.pages import Page, PageDep, fetch_page
from adreport.service.api.scoping import CallerDep, SessionDep
from adreport.service.idempotency import run_once
from adreport.service.problems import ApiError
from adreport.service.tenancy import get_visible, require_grant, visible

router = APIRouter(prefix="/members", tags=["members"])


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    user_id: int
    role: str
    client_id: int | None


Email = Annotated[
    str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
]


class StaffMemberIn(BaseModel):
    email: Email
    role: Literal["owner", "admin", "manager", "analyst", "approver"]
    client_id: BodyId | None = None


class ClientViewerIn(BaseModel):
    """A client viewer reads one client only, so which one is required."""

    email: Email
    role: Literal["client_viewer"]
    client_id: BodyId


MemberIn = Annotated[StaffMemberIn | ClientViewerIn, Field(discriminator="role")]


@router.get("", response_model=Page[MemberOut])
def list_members(
    caller: CallerDep, session: SessionDep, page: PageDep
) -> Page[MemberOut]:
    rows, next_cursor = fetch_page(
        session, visible(caller, Membership), Membership.id, page
    )
    return Page[MemberOut](
        items=[MemberOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.post("", response_model=MemberOut, status_code=201)
def add_member(
    request: Request, body: MemberIn, caller: CallerDep, session: SessionDep
) -> JSONResponse:
    """Give a person a role (a new person gets a random password to reset).
    Honors Idempotency-Key."""
    require_grant(caller, body.role, body.client_id)
    if body.client_id is not None:
        get_visible(session, caller, Client, body.client_id)

    def work() -> tuple[int, object]:
        email = body.email.strip().lower()
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, password_hash=hash_password(new_machine_secret()))
            session.add(user)
            session.flush()
        taken = session.scalar(
            visible(caller, Membership).where(Membership.user_id == user.id)
        )
        if taken is not None:
            raise ApiError("conflict", "this person already has a role here")
        member = Membership(
            user_id=user.id,
            workspace_id=caller.workspace_id,
            role=body.role,
            client_id=body.client_id,
        )
        session.add(member)
        session.flush()
        audit.record(
            session,
            actor=caller.subject,
            action="member.add",
            target=f"user:{user.id}",
            workspace_id=caller.workspace_id,
            details={"role": body.role, "client_id": body.client_id},
        )
        return 201, MemberOut.model_validate(member)

    return run_once(request, session, caller.subject, body, work)
