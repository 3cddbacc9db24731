"""Naver Search Ad's failed responses, classified: the platform's error table as data.

Error bodies are JSON: {"code": ..., "title": ..., "detail": ...}. The codes come
from the platform's published error code map (1016 and 429: too many requests;
503: scheduled maintenance; 1006 and 1018: no permission); signature and
timestamp failures are 401/403 answers told apart by their detail. The first rule
that matches a response decides; a failure no rule names is fatal, with the
platform's own words.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

from adreport.sources.base import Classified, ErrorKind


@dataclass(frozen=True)
class Rule:
    """Responses with this status (and code, and detail), and what to do."""

    status: int | None  # None: any status
    code: int | None  # None: any code
    detail: str | None  # a regular expression the detail must match; None: any
    kind: ErrorKind
    advice: str


RECONNECT = "run `adreport connect naver-searchad` again with the right keys"

RULES: tuple[Rule, ...] = (
    Rule(429, None, None, ErrorKind.WAIT_FOR_QUOTA, "too many requests: waiting"),
    Rule(None, 1016, None, ErrorKind.WAIT_FOR_QUOTA, "too many connections: waiting"),
    Rule(None, 503, None, ErrorKind.RETRY, "scheduled maintenance: trying again"),
    Rule(
        None,
        None,
        r"(?i)timestamp",
        ErrorKind.RETRY,
        "the request's timestamp was refused; it is signed again with a fresh one "
        "(check this machine's clock if this repeats)",
    ),
    Rule(
        401,
        None,
        None,
        ErrorKind.REAUTHORISE,
        f"the API licence is refused: {RECONNECT}",
    ),
    Rule(
        403,
        None,
        r"(?i)signature",
        ErrorKind.REAUTHORISE,
        f"the signature is refused, so the secret key is wrong: {RECONNECT}",
    ),
    Rule(
        None,
        1018,
        None,
        ErrorKind.FATAL,
        "this API licence may not read that customer: check the customer ids",
    ),
    Rule(
        None,
        1006,
        None,
        ErrorKind.FATAL,
        "no permission: check the account's rights in the Search Ad manager",
    ),
    Rule(
        400,
        1002,
        r"(?i)unknown field",
        ErrorKind.DROP_FIELD,
        "the stats API no longer knows a field: it is dropped and recorded",
    ),
    Rule(None, None, None, ErrorKind.RETRY, "server error: trying again"),  # 5xx only
)

FIELD_IN_DETAIL = re.compile(r"(?i)unknown field:?\s*['\"]?(?P<field>[A-Za-z0-9_]+)")


def body_of(response: httpx.Response) -> dict[str, Any]:
    try:
        found = json.loads(response.content or b"{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def classify(response: httpx.Response) -> Classified | None:
    """None for a success; otherwise what the engine should do, and why."""
    if response.status_code < 400:
        return None
    body = body_of(response)
    code = body.get("code")
    detail = str(body.get("detail") or body.get("title") or "")
    reason = f"Naver {response.status_code} code {code}: {detail}".strip()
    for rule in RULES:
        if _matches(rule, response.status_code, code, detail):
            return Classified(
                kind=rule.kind,
                reason=f"{reason} ({rule.advice})",
                wait_seconds=_retry_after(response),
                field=_field(detail) if rule.kind is ErrorKind.DROP_FIELD else None,
            )
    return Classified(ErrorKind.FATAL, f"{reason} (a request adreport got wrong)")


def _matches(rule: Rule, status: int, code: object, detail: str) -> bool:
    if rule.status is None and rule.code is None and rule.detail is None:
        return status >= 500
    if rule.status is not None and rule.status != status:
        return False
    if rule.code is not None and rule.code != code:
        return False
    return rule.detail is None or re.search(rule.detail, detail) is not None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _field(detail: str) -> str | None:
    found = FIELD_IN_DETAIL.search(detail)
    return found.group("field") if found else None
