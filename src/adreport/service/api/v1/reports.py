"""Saved reports: define, list, run, list runs, download PDF/HTML/CSV/XLSX.

A run builds the PDF and HTML with `reports.build` over the caller's accounts
only (the warehouse cursor is scoped first), plus the campaign table as CSV and
XLSX, where names that a spreadsheet would run (`=`, `+`, `-`, `@`, tab, CR) are
written as text.
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from adreport.appdata.models import Client, ReportDefinition
from adreport.appdata.report_runs import ReportRun
from adreport.errors import AdreportError
from adreport.metrics.query import MetricQuery, QueryResult, run_query
from adreport.reports.build import ReportOptions, build_report
from adreport.security import audit
from adreport.service.api.deps import RuntimeDep, WarehouseDep
from adreport.service.api.ids import BodyId, PathId
from adreport.service.api.pages import Page, PageDep, fetch_page
from adreport.service.api.scoping import CallerDep, SessionDep, caller_accounts
from adreport.service.api.v1.metrics import LockedRates
from adreport.service.api.warehouse_scope import scope_to_accounts
from adreport.service.idempotency import run_once
from adreport.service.problems import ApiError
from adreport.service.tenancy import (
    Action,
    get_for,
    get_visible,
    require,
    visible,
)

router = APIRouter(prefix="/reports", tags=["reports"])
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TABLE_METRICS = [
    "impressions",
    "clicks",
    "spend",
    "conversions",
    "revenue",
    "ctr",
    "cpa",
    "roas",
]
MEDIA = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ReportSpec(BaseModel):
    period: Annotated[str | None, Field(max_length=40, pattern=r"^[a-z0-9-]+$")] = None
    start: date | None = None
    end: date | None = None
    compare: Literal["previous", "year", "none"] = "previous"
    currency: Annotated[str | None, Field(pattern=r"^[A-Z]{3}$")] = None
    lang: Literal["en", "ko"] = "en"


class ReportIn(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    client_id: BodyId | None = None
    spec: ReportSpec = ReportSpec()


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    client_id: int | None
    spec: dict[str, Any]
    created_at: datetime


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    report_id: int
    state: str
    period_start: date | None
    period_end: date | None
    error: str
    created_at: datetime


@router.get("", response_model=Page[ReportOut])
def list_reports(
    caller: CallerDep, session: SessionDep, page: PageDep
) -> Page[ReportOut]:
    rows, nxt = fetch_page(
        session, visible(caller, ReportDefinition), ReportDefinition.id, page
    )
    return Page[ReportOut](
        items=[ReportOut.model_validate(r) for r in rows], next_cursor=nxt
    )


@router.post("", response_model=ReportOut, status_code=201)
def define_report(
    request: Request, body: ReportIn, caller: CallerDep, session: SessionDep
) -> JSONResponse:
    """Save a report definition. Honors Idempotency-Key."""
    require(caller, Action.WRITE)
    client_id = body.client_id if body.client_id is not None else caller.client_id
    if client_id is not None:
        get_visible(session, caller, Client, client_id)

    def work() -> tuple[int, object]:
        taken = session.scalar(
            select(ReportDefinition.id).where(
                ReportDefinition.workspace_id == caller.workspace_id,
                ReportDefinition.name == body.name,
            )
        )
        if taken is not None:
            raise ApiError("conflict", f"a report named {body.name!r} already exists")
        report = ReportDefinition(
            workspace_id=caller.workspace_id,
            client_id=client_id,
            name=body.name,
            spec=body.spec.model_dump(mode="json"),
            created_by=caller.id if caller.kind == "user" else None,
        )
        session.add(report)
        session.flush()
        audit.record(
            session,
            actor=caller.subject,
            action="report.define",
            target=f"report:{report.id}",
            workspace_id=caller.workspace_id,
        )
        return 201, ReportOut.model_validate(report)

    return run_once(request, session, caller.subject, body, work)


@router.get("/{report_id}", response_model=ReportOut)
def get_report(report_id: PathId, caller: CallerDep, session: SessionDep) -> ReportOut:
    return ReportOut.model_validate(
        get_visible(session, caller, ReportDefinition, report_id)
    )


@router.get("/{report_id}/runs", response_model=Page[RunOut])
def list_runs(
    report_id: PathId, caller: CallerDep, session: SessionDep, page: PageDep
) -> Page[RunOut]:
    get_visible(session, caller, ReportDefinition, report_id)
    query = visible(caller, ReportRun).where(ReportRun.report_id == report_id)
    rows, nxt = fetch_page(session, query, ReportRun.id, page)
    return Page[RunOut](items=[RunOut.model_validate(r) for r in rows], next_cursor=nxt)


@router.post("/{report_id}/runs", response_model=RunOut, status_code=201)
def run_report(
    request: Request,
    report_id: PathId,
    caller: CallerDep,
    session: SessionDep,
    service: RuntimeDep,
    cursor: WarehouseDep,
) -> JSONResponse:
    """Build the report now; a run that fails is kept with its reason."""
    report = get_for(session, caller, Action.RUN, ReportDefinition, report_id)
    # A client's report shows that client's accounts only, whoever runs it.
    scope_to_accounts(cursor, caller_accounts(session, caller, report.client_id))

    def work() -> tuple[int, object]:
        run = ReportRun(
            report_id=report.id,
            workspace_id=report.workspace_id,
            client_id=report.client_id,
            created_by=caller.subject,
            state="running",
        )
        session.add(run)
        session.flush()
        folder = service.settings.data_dir / "report-runs" / str(run.id)
        run.folder = str(folder.relative_to(service.settings.data_dir))
        spec = ReportSpec.model_validate(report.spec)
        try:
            files = build_report(service.adreport, cursor, _options(spec, folder))
            _write_tables(
                service, cursor, spec, files.period.start, files.period.end, folder
            )
            run.state, run.period_start, run.period_end = (
                "done",
                files.period.start,
                files.period.end,
            )
        except AdreportError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            run.state, run.error = "failed", str(exc)
        run.finished_at = datetime.now(UTC)
        audit.record(
            session,
            actor=caller.subject,
            action="report.run",
            target=f"report:{report.id}",
            outcome=run.state,
            workspace_id=caller.workspace_id,
        )
        session.flush()
        return 201, RunOut.model_validate(run)

    return run_once(request, session, caller.subject, {"report": report_id}, work)


@router.get(
    "/{report_id}/runs/{run_id}/{fmt}",
    response_class=FileResponse,
    responses={200: {"content": {m: {} for m in MEDIA.values()}}},
)
def download(
    report_id: PathId,
    run_id: PathId,
    fmt: Literal["pdf", "html", "csv", "xlsx"],
    caller: CallerDep,
    session: SessionDep,
    service: RuntimeDep,
) -> FileResponse:
    """One file of a finished run."""
    run = get_visible(session, caller, ReportRun, run_id)
    if run.report_id != report_id or run.state != "done":
        raise ApiError("not_found", f"no finished run {run_id} of report {report_id}")
    folder = service.settings.data_dir / run.folder
    found = sorted(folder.glob(f"*.{fmt}"))
    if not found:
        raise ApiError("not_found", f"run {run_id} has no {fmt} file")
    return FileResponse(
        found[0], media_type=MEDIA[fmt], filename=f"report-{run_id}.{fmt}"
    )


def _options(spec: ReportSpec, folder: Path) -> ReportOptions:
    return ReportOptions(
        period=spec.period,
        start=spec.start,
        end=spec.end,
        compare=spec.compare,
        currency=spec.currency,
        lang=spec.lang,
        out_dir=folder,
    )


def _write_tables(
    service: Any, cursor: Any, spec: ReportSpec, start: date, end: date, folder: Path
) -> None:
    query = MetricQuery(
        metrics=TABLE_METRICS,
        by=["campaign"],
        start=start,
        end=end,
        currency=spec.currency,
    )
    result = run_query(LockedRates(service, cursor), service.adreport.registry(), query)
    (folder / "campaigns.csv").write_text(table_csv(result), encoding="utf-8")
    (folder / "campaigns.xlsx").write_bytes(table_xlsx(result))


def _text_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def table_csv(result: QueryResult) -> str:
    """NULL as an empty cell; formula-like names quoted as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(["" if v is None else _text_safe(v) for v in row])
    return buffer.getvalue()


def table_xlsx(result: QueryResult) -> bytes:
    """Every name is a text cell (never a formula); numbers stay numbers."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(result.columns)
    for number, row in enumerate(result.rows, start=2):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=number, column=column)
            if isinstance(value, str):
                cell.value = value
                cell.data_type = "s"  # openpyxl would take "=..." as a formula
            elif value is not None:
                cell.value = float(value) if not isinstance(value, int) else value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
