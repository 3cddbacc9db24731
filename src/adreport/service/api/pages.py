"""Pagination of lists: `limit` (capped) and a `cursor` from the last page.

Lists are ordered by id; the cursor is the last id shown, so a page is stable
while rows are added. It needs no secrecy: any cursor only moves within the
caller's own scoped rows, so every well-formed one is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import Session

from adreport.service.problems import ApiError, FieldError

MAX_LIMIT = 200
T = TypeVar("T")
M = TypeVar("M")


class PageParams(BaseModel):
    limit: int
    after: int


class Page(BaseModel, Generic[M]):
    items: list[M]
    next_cursor: str | None = None


CURSOR = r"^[0-9]{1,18}$"


def encode_cursor(last_id: int) -> str:
    return str(last_id)


def decode_cursor(cursor: str) -> int:
    if not re.match(CURSOR, cursor):
        raise ApiError(
            "invalid_request",
            "cursor is not one this API gave out; pass next_cursor from a page as is",
            errors=[FieldError(field="query.cursor", message="not a valid cursor")],
        )
    return int(cursor)


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = 50,
    cursor: Annotated[
        str | None,
        Query(pattern=CURSOR, description="next_cursor of the last page, as is"),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else 0)


PageDep = Annotated[PageParams, Depends(page_params)]


def fetch_page(
    session: Session, query: Select[T], id_column: Any, page: PageParams
) -> tuple[Sequence[T], str | None]:
    """One page of a scoped SELECT, and the cursor of the next (None at the end)."""
    rows = list(
        session.scalars(
            query.where(id_column > page.after)
            .order_by(id_column)
            .limit(page.limit + 1)
        )
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    last: Any = rows[-1] if rows else None
    next_cursor = encode_cursor(int(last.id)) if more and last is not None else None
    return rows, next_cursor
