"""The REST API, one sub-application per major version.

Each version (`/api/v1`, later `/api/v2`) has its own routers and its own OpenAPI
document, so a new version can change shapes without breaking clients of the old.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import APIRouter, FastAPI

from adreport.service.api import v1
from adreport.service.problems import PROBLEM_RESPONSES, install_problem_handlers
from adreport.service.runtime import Runtime

# version -> its routers, made for one running service
VERSIONS: dict[str, Callable[[Runtime], Sequence[APIRouter]]] = {"v1": v1.routers}


def version_app(
    version: str, routers: Sequence[APIRouter], runtime: Runtime
) -> FastAPI:
    """One major version of the API, mounted at /api/<version>."""
    api = FastAPI(
        title="adreport API",
        version=f"{version}",
        description=(
            "Campaign performance: workspaces, clients, connections, metrics and "
            "reports. Errors are application/problem+json with a stable `code`."
        ),
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        responses=PROBLEM_RESPONSES,
    )
    api.state.runtime = runtime
    install_problem_handlers(api)
    for router in routers:
        api.include_router(router)
    return api


def mount_versions(app: FastAPI, runtime: Runtime) -> dict[str, FastAPI]:
    apps = {}
    for version, routers in VERSIONS.items():
        apps[version] = version_app(version, routers(runtime), runtime)
        app.mount(f"/api/{version}", apps[version])
    return apps
