"""API v1: the list of its routers. A router added here is served and documented."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
