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

ROUTERS: list[APIRouter] = [
    auth.router,
    workspaces.router,
    clients.router,
    members.router,
    connections.router,
    metrics.router,
    reports.router,
    audit_log.router,
    events.router,
    local.router,
]
