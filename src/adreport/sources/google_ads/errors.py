"""How adreport reads each Google Ads API error: the classification table, as data.

An error answer carries a gRPC-style `error.status` and, in its `details`, a
`GoogleAdsFailure` whose `errors[].errorCode` names the exact cause as
``{family: value}`` (``quotaError: RESOURCE_EXHAUSTED``). The most specific rule
wins: first the error code, then the status, then the HTTP status alone.

Usage: Google Ads sends no usage headers. How much quota is left shows only when
it runs out, as RESOURCE_EXHAUSTED with `quotaErrorDetails.retryDelay`; so
`usage()` returns None for every answer and the engine waits on those errors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

import httpx

from adreport.sources.base import Classified, ErrorKind

K = ErrorKind

# (errorCode family, value or "*") -> what the engine does, and why.
BY_ERROR_CODE: dict[tuple[str, str], tuple[ErrorKind, str]] = {
    ("quotaError", "RESOURCE_TEMPORARILY_EXHAUSTED"): (
        K.WAIT_FOR_QUOTA,
        "short-term rate limit; wait the retryDelay Google names",
    ),
    ("quotaError", "RESOURCE_EXHAUSTED"): (
        K.WAIT_FOR_QUOTA,
        "the developer token's quota is used up; wait the retryDelay",
    ),
    ("quotaError", "EXCESSIVE_SHORT_TERM_QUERY_RESOURCE_CONSUMPTION"): (
        K.WAIT_FOR_QUOTA,
        "too many costly queries in a short time",
    ),
    ("quotaError", "*"): (K.FATAL, "access to the API is not allowed for this token"),
    ("authenticationError", "OAUTH_TOKEN_EXPIRED"): (
        K.ACCESS_EXPIRED,
        "the access token expired; refresh it",
    ),
    ("authenticationError", "OAUTH_TOKEN_INVALID"): (
        K.ACCESS_EXPIRED,
        "the access token is not valid; refresh it",
    ),
    ("authenticationError", "OAUTH_TOKEN_REVOKED"): (
        K.REAUTHORISE,
        "the user revoked access; connect again",
    ),
    ("authenticationError", "OAUTH_TOKEN_DISABLED"): (
        K.REAUTHORISE,
        "the grant was disabled; connect again",
    ),
    ("authenticationError", "NOT_ADS_USER"): (
        K.REAUTHORISE,
        "the Google account has no Google Ads access; connect with another",
    ),
    ("authenticationError", "*"): (
        K.FATAL,
        "check the developer token and customer ids of the connection",
    ),
    ("authorizationError", "*"): (
        K.FATAL,
        "no access to this customer; check customer ids and login-customer-id",
    ),
    ("requestError", "EXPIRED_PAGE_TOKEN"): (
        K.RESTART_SLICE,
        "the page token expired; fetch the slice again",
    ),
    ("requestError", "*"): (K.FATAL, "the request is malformed"),
    ("queryError", "UNRECOGNIZED_FIELD"): (
        K.DROP_FIELD,
        "the API version no longer knows a field",
    ),
    ("queryError", "*"): (K.FATAL, "the query is malformed"),
    ("internalError", "*"): (K.RETRY, "a passing error on Google's side"),
    ("databaseError", "CONCURRENT_MODIFICATION"): (K.RETRY, "a passing conflict"),
}
BY_STATUS: dict[str, ErrorKind] = {
    "RESOURCE_EXHAUSTED": K.WAIT_FOR_QUOTA,
    "UNAUTHENTICATED": K.ACCESS_EXPIRED,
    "INTERNAL": K.RETRY,
    "UNAVAILABLE": K.RETRY,
    "DEADLINE_EXCEEDED": K.RETRY,
    "ABORTED": K.RETRY,
    "PERMISSION_DENIED": K.FATAL,
    "INVALID_ARGUMENT": K.FATAL,
    "NOT_FOUND": K.FATAL,
}
USAGE_HEADERS: dict[str, str] = {}  # none: see the module's docstring
DELAY = re.compile(r"^(\d+(?:\.\d+)?)s$")
QUOTED_FIELD = re.compile(r"'([a-z_.]+)'")


def classify(
    response: httpx.Response, droppable: Collection[str] = ()
) -> Classified | None:
    """What to do about an answer; None when it succeeded.

    A rejected field is DROP_FIELD only when the pull can go on without it
    (`droppable`); losing an id, a date or the cost is FATAL instead.
    """
    if response.status_code < 400:
        return None
    error = _error(response)
    status = str(error.get("status", ""))
    failure = _first_failure(error)
    code = failure.get("errorCode") if failure else None
    reason = _reason(response.status_code, status, code, error, failure)
    if isinstance(code, dict) and code:
        family, value = next(iter(code.items()))
        rule = BY_ERROR_CODE.get((family, str(value))) or BY_ERROR_CODE.get(
            (family, "*")
        )
        if rule is not None:
            return _verdict(rule[0], reason, failure or {}, droppable)
    kind = BY_STATUS.get(status) or _by_http(response.status_code)
    return _verdict(kind, reason, failure or {}, droppable)


def _verdict(
    kind: ErrorKind,
    reason: str,
    failure: dict[str, Any],
    droppable: Collection[str],
) -> Classified:
    if kind is K.DROP_FIELD:
        rejected = _rejected_field(failure)
        if rejected is None or rejected not in droppable:
            return Classified(K.FATAL, f"{reason} (a field the report cannot lose)")
        return Classified(kind, reason, field=rejected)
    wait = _retry_delay(failure) if kind is K.WAIT_FOR_QUOTA else None
    return Classified(kind, reason, wait_seconds=wait)


def _by_http(status: int) -> ErrorKind:
    if status == 429:
        return K.WAIT_FOR_QUOTA
    if status == 401:
        return K.ACCESS_EXPIRED
    if status >= 500 or status == 408:
        return K.RETRY
    return K.FATAL


def _error(response: httpx.Response) -> dict[str, Any]:
    """The `error` object; searchStream wraps it in a one-element array."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return {}
    if isinstance(body, list) and body:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _first_failure(error: dict[str, Any]) -> dict[str, Any] | None:
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("errors"):
            first = detail["errors"][0]
            if isinstance(first, dict):
                return {**first, "requestId": detail.get("requestId", "")}
    return None


def _reason(
    http_status: int,
    status: str,
    code: object,
    error: dict[str, Any],
    failure: dict[str, Any] | None,
) -> str:
    """The platform's words: HTTP status, status, code, message, request id."""
    parts = [f"HTTP {http_status}"]
    if status:
        parts.append(status)
    if isinstance(code, dict) and code:
        family, value = next(iter(code.items()))
        parts.append(f"{family}: {value}")
    message = (failure or {}).get("message") or error.get("message") or ""
    text = " ".join(parts)
    if message:
        text += f": {str(message)[:200]}"
    request_id = (failure or {}).get("requestId")
    return f"{text} (request id {request_id})" if request_id else text


def _retry_delay(failure: dict[str, Any]) -> float | None:
    details = failure.get("details") or {}
    quota = details.get("quotaErrorDetails") if isinstance(details, dict) else None
    delay = quota.get("retryDelay") if isinstance(quota, dict) else None
    found = DELAY.match(str(delay or ""))
    return float(found.group(1)) if found else None


def _rejected_field(failure: dict[str, Any]) -> str | None:
    trigger = failure.get("trigger")
    if isinstance(trigger, dict) and trigger.get("stringValue"):
        return str(trigger["stringValue"])
    found = QUOTED_FIELD.search(str(failure.get("message", "")))
    return found.group(1) if found else None
