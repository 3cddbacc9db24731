"""`/api/v1/local/*`: the CLI of this machine, working through the running server.

While the server holds the warehouse, `adreport query`, `import`, `imports`,
`report`, `sources` and `sync` send their work here instead of opening the file.
Only a request from loopback carrying the key the server wrote at start-up
(`local_access.py`) is served: it has the owner's rights over the installation,
as the CLI has on the file. These routes are the CLI's own, not part of the
documented API, so they are left out of the OpenAPI document.

An adreport error is answered as a problem (422) that names its kind, so the CLI
prints the same message and exits with the same status as when it works alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from adreport.config import load_settings
from adreport.errors import AdreportError, InputFileError
from adreport.ingest.importer import ImportOptions
from adreport.metrics.query import MetricQuery
from adreport.reports.build import ReportOptions
from adreport.service.api.deps import RuntimeDep, WarehouseDep
from adreport.service.api.v1.metrics import LockedRates
from adreport.service.local_access import HEADER
from adreport.service.middleware import current_request_id
from adreport.service.problems import PROBLEM_TYPE, ApiError
from adreport.service.warehouse_work import (
    WarehouseWork,
    decode,
    encode,
    encode_query_result,
)
from adreport.sources.engine.run import SyncOptions

router = APIRouter(prefix="/local", tags=["local"], include_in_schema=False)


def local_work(
    request: Request,
    service: RuntimeDep,
    cursor: WarehouseDep,
    key: Annotated[str | None, Header(alias=HEADER)] = None,
) -> Iterator[WarehouseWork]:
    """The warehouse work of a local CLI; 401 for anyone else."""
    peer = request.client.host if request.client else None
    if service.local is None or not service.local.accepts(key, peer):
        raise ApiError(
            "not_authenticated",
            "only the adreport CLI of this machine may use /local: it sends the key "
            "the server wrote in its data directory",
        )
    # adreport.toml is read afresh, as a CLI run would read it
    settings = load_settings(service.settings.data_dir)
    yield WarehouseWork(cursor, settings, LockedRates(service, cursor))


WorkDep = Annotated[WarehouseWork, Depends(local_work)]


def _answer(job: Callable[[], Any]) -> Any:
    """The job's answer as JSON, or its adreport error as a problem naming its kind."""
    try:
        return job()
    except AdreportError as exc:
        return JSONResponse(
            {
                "type": "about:blank",
                "title": "Unprocessable Content",
                "status": 422,
                "code": "invalid_request",
                "detail": str(exc),
                "request_id": current_request_id(),
                "kind": type(exc).__name__,
                "rejected_rows": getattr(exc, "rejected_rows", 0),
            },
            status_code=422,
            media_type=PROBLEM_TYPE,
        )


@router.post("/query")
def query(work: WorkDep, asked: Annotated[dict[str, Any], Body()]) -> Any:
    wanted = decode(MetricQuery, asked)
    return _answer(lambda: encode_query_result(work.query(wanted)))


@router.post("/import")
def import_file(work: WorkDep, asked: Annotated[dict[str, Any], Body()]) -> Any:
    """Import a file by its path: the server reads it, so it must be able to."""

    def job() -> Any:
        path = Path(asked["path"])
        companions = [Path(p) for p in asked.get("companions", [])]
        for file in (path, *companions):
            _readable(file)
        options = decode(ImportOptions, asked["options"])
        return encode(work.import_file(path, options, companions))

    return _answer(job)


def _readable(path: Path) -> None:
    if not path.is_absolute() or not path.is_file() or not os.access(path, os.R_OK):
        raise InputFileError(
            f"the running adreport server (pid {os.getpid()}) cannot read {path}: "
            "give it read access to the file (or copy it where it can read it), "
            "or stop the server and import again"
        )


@router.get("/imports")
def imports(work: WorkDep, limit: Annotated[int, Query(ge=0)] = 20) -> Any:
    return _answer(lambda: encode(work.imports(limit)))


@router.post("/report")
def report(work: WorkDep, asked: Annotated[dict[str, Any], Body()]) -> Any:
    options = decode(ReportOptions, asked)
    return _answer(lambda: encode(work.report(options)))


@router.get("/sources")
def sources(work: WorkDep) -> Any:
    return _answer(lambda: encode(work.sources()))


@router.get("/connections")
def connections(work: WorkDep) -> Any:
    return _answer(lambda: work.connection_names())


@router.post("/sync")
def sync(work: WorkDep, asked: Annotated[dict[str, Any], Body()]) -> Any:
    options = decode(SyncOptions, asked["options"])
    return _answer(lambda: encode(work.sync(str(asked["name"]), options)))
