"""API v1: the list of its routers. A router added here is served and documented."""

from __future__ import annotations

from fastapi import APIRouter

from adreport.service.api.v1 import (
    audit_log,
    auth,
    clients,
    connections,
    events,
    local,
    members,
    metrics,
    reports,
    workspaces,
)
from adreport.service.runtime import Runtime


def routers(runtime: Runtime) -> list[APIRouter]:
    """v1's routers for this server; the metrics route documents its own KPIs."""
    return [
        auth.router,
        workspaces.router,
        clients.router,
        members.router,
        connections.router,
        metrics.router_for(
            runtime.adreport.registry(), runtime.rates.converter.currencies
        ),
        reports.router,
        audit_log.router,
        events.router,
        local.router,
    ]
