"""Dependencies every versioned router shares: the runtime and a warehouse cursor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from adreport.service.runtime import CursorWarehouse, Runtime


def runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


def warehouse_cursor(
    service: Annotated[Runtime, Depends(runtime)],
) -> Iterator[CursorWarehouse]:
    """A cursor of the shared warehouse for this request, closed after it."""
    cursor = service.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


RuntimeDep = Annotated[Runtime, Depends(runtime)]
WarehouseDep = Annotated[CursorWarehouse, Depends(warehouse_cursor)]
