"""Errors as `application/problem+json` (RFC 9457) with stable `code` values.

A client program branches on `code` (never on the wording of `detail`, which is
for people). Every problem also carries the request id, so a user's report of a
failure can be found in the logs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from adreport.errors import (
    AdreportError,
    ConfigurationError,
    FXRateError,
    QueryError,
    ReportError,
)
from adreport.service.middleware import current_request_id
from adreport.service.tenancy import ForbiddenError, NotFoundError

PROBLEM_TYPE = "application/problem+json"
log = logging.getLogger("adreport.service")

# The stable codes, with the HTTP status each one answers with.
CODES: dict[str, int] = {
    "invalid_request": 422,
    "invalid_query": 422,
    "idempotency_key_reused": 422,
    "idempotency_key_in_use": 409,
    "not_authenticated": 401,
    "invalid_token": 401,
    "invalid_grant": 400,
    "invalid_client": 401,
    "unsupported_grant_type": 400,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "too_many_requests": 429,
    "not_available": 503,
    "rates_missing": 503,
    "report_failed": 500,
    "internal_error": 500,
}


class FieldError(BaseModel):
    """One request field that was wrong, and why."""

    field: str = Field(description="Where: e.g. query.limit, body.name, form.username")
    message: str


class ProblemDetail(BaseModel):
    """The body of every error answer."""

    type: str = "about:blank"
    title: str
    status: int
    code: str = Field(description="Stable error code to branch on")
    detail: str
    request_id: str | None = None
    errors: list[FieldError] | None = None


# Documented on every route, so clients and schema checks know the error shape.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": ProblemDetail,
        "content": {PROBLEM_TYPE: {}},
        "description": description,
    }
    for status, description in (
        (400, "Bad request"),
        (401, "Not signed in, or the token is not valid"),
        (403, "Signed in, but the role may not do this"),
        (404, "No such object, or not visible to the caller"),
        (409, "Conflict with the current state"),
        (422, "A request field is wrong"),
        (429, "Too many requests: wait for Retry-After seconds"),
        (500, "Unexpected failure: quote the request id"),
        (503, "Not available right now"),
    )
}


class ApiError(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        errors: Sequence[FieldError] | None = None,
    ):
        super().__init__(detail)
        if code not in CODES:
            raise ValueError(f"unknown problem code {code!r}: add it to CODES")
        self.code = code
        self.detail = detail
        self.status = status or CODES[code]
        self.headers = headers or {}
        self.errors = list(errors) if errors else None


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    errors: Sequence[FieldError] | None = None,
) -> JSONResponse:
    body = ProblemDetail(
        title=_title(status),
        status=status,
        code=code,
        detail=detail,
        request_id=current_request_id(),
        errors=list(errors) if errors else None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_TYPE,
    )


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def field_name(location: Sequence[str | int]) -> str:
    """(query, limit) -> query.limit; (body, items, 0) -> body.items[0]."""
    name = ""
    for part in location:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "request"


def _validation_errors(exc: RequestValidationError) -> list[FieldError]:
    found = []
    for error in exc.errors():
        location = list(error.get("loc", ()))
        found.append(
            FieldError(field=field_name(location), message=str(error.get("msg", "")))
        )
    return found


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return problem_response(
        exc.status, exc.code, exc.detail, headers=exc.headers, errors=exc.errors
    )


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    return problem_response(
        422, "invalid_request", f"the request is not valid: {summary}", errors=errors
    )


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {
        404: "not_found",
        405: "method_not_allowed",
        401: "not_authenticated",
        403: "forbidden",
        429: "too_many_requests",
    }.get(exc.status_code, "invalid_request")
    detail = str(exc.detail) if exc.detail else _title(exc.status_code)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no such endpoint: {request.url.path}; see /api/v1/openapi.json"
    return problem_response(
        exc.status_code, code, detail, headers=dict(exc.headers or {})
    )


async def _on_adreport_error(request: Request, exc: Exception) -> JSONResponse:
    """The library's own errors: the request asked for something not answerable."""
    if isinstance(exc, NotFoundError):
        return problem_response(404, "not_found", str(exc))
    if isinstance(exc, ForbiddenError):
        return problem_response(403, "forbidden", str(exc))
    if isinstance(exc, FXRateError):
        return problem_response(503, "rates_missing", str(exc))
    if isinstance(exc, ReportError):
        return problem_response(500, "report_failed", str(exc))
    if isinstance(exc, QueryError | ConfigurationError):
        return problem_response(422, "invalid_query", str(exc))
    return problem_response(422, "invalid_request", str(exc))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected failure on %s %s", request.method, request.url.path)
    return problem_response(
        500,
        "internal_error",
        "something failed on our side; quote the request id when reporting it",
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(AdreportError, _on_adreport_error)
    app.add_exception_handler(Exception, _on_unexpected)
