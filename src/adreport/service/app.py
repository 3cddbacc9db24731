"""The service: `create_app(settings)` builds the FastAPI application.

The API lives under `/api/v1` (its OpenAPI document at `/api/v1/openapi.json`);
`/healthz` answers while the process runs, `/readyz` once the warehouse (and the
app data) answer a query. The warehouse is opened once at start-up and shared.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from adreport.service.api import mount_versions
from adreport.service.events import pushed_events
from adreport.service.middleware import RequestIdMiddleware, configure_logging
from adreport.service.problems import install_problem_handlers, problem_response
from adreport.service.runtime import Runtime, ServiceSettings

log = logging.getLogger("adreport.service")


def create_app(settings: ServiceSettings) -> FastAPI:
    if settings.json_logs:
        configure_logging(json_logs=True)
    runtime = Runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.open()
        log.info("warehouse %s open; service ready", settings.warehouse_path)
        try:
            async with pushed_events(runtime):
                yield
        finally:
            runtime.close()

    app = FastAPI(
        title="adreport",
        lifespan=lifespan,
        openapi_url=None,  # each API version documents itself
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    app.state.versions = mount_versions(app, runtime)
    app.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    app.add_api_route("/readyz", readyz, methods=["GET"], include_in_schema=False)
    return app


def healthz() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "ok"}


def readyz(request: Request) -> JSONResponse:
    """Ready once the warehouse and the app data answer a query."""
    runtime: Runtime = request.app.state.runtime
    checks: dict[str, Any] = {}
    try:
        cursor = runtime.cursor()
        try:
            cursor.rows("SELECT 1")
        finally:
            cursor.close()
        checks["warehouse"] = "ok"
    except Exception as exc:  # any failure means not ready; say which part
        checks["warehouse"] = f"failing: {type(exc).__name__}"
    checks.update(runtime.app_db_check())
    failing = [name for name, state in checks.items() if state != "ok"]
    if failing:
        return problem_response(
            503, "not_available", f"not ready: {', '.join(failing)} not answering"
        )
    return JSONResponse({"status": "ready", "checks": checks})
