"""Meta's error codes and usage headers, read as data (FAULTS.md K8, K9, K10).

Graph API errors arrive as ``{"error": {"message", "type", "code",
"error_subcode", "fbtrace_id"}}``. The table says what each code means for a sync;
a few codes need their message too (code 100 names a refused field or an expired
cursor). The usage headers come on every answer, errors included, and name the
waits: `estimated_time_to_regain_access` in minutes, `reset_time_duration` in
seconds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

from adreport.sources.base import Classified, ErrorKind, Usage


@dataclass(frozen=True)
class Rule:
    code: int
    kind: ErrorKind
    meaning: str
    subcode: int | None = None  # None: any subcode


# Business use case rate limits, one code per use case.
BUSINESS_USE_CASES = {
    80000: "ads insights",
    80001: "pages",
    80002: "Instagram",
    80003: "custom audiences",
    80004: "ads management",
    80005: "lead generation",
    80006: "Messenger",
    80008: "WhatsApp Business management",
    80009: "catalog management",
    80014: "catalog batch",
}

RULES: tuple[Rule, ...] = (
    Rule(1, ErrorKind.RETRY, "an unknown error; Meta asks to retry"),
    Rule(2, ErrorKind.RETRY, "the service is temporarily unavailable"),
    Rule(4, ErrorKind.WAIT_FOR_QUOTA, "the app's request limit is reached"),
    Rule(17, ErrorKind.WAIT_FOR_QUOTA, "the user's request limit is reached"),
    Rule(32, ErrorKind.WAIT_FOR_QUOTA, "the page's request limit is reached"),
    Rule(613, ErrorKind.WAIT_FOR_QUOTA, "the ad account's rate limit is exceeded"),
    *(
        Rule(code, ErrorKind.WAIT_FOR_QUOTA, f"the {name} rate limit is reached")
        for code, name in BUSINESS_USE_CASES.items()
    ),
    *(
        Rule(code, ErrorKind.WAIT_FOR_QUOTA, "a business use case rate limit")
        for code in range(80000, 80015)
        if code not in BUSINESS_USE_CASES
    ),
    Rule(190, ErrorKind.ACCESS_EXPIRED, "the access token expired", subcode=463),
    Rule(190, ErrorKind.REAUTHORISE, "the access token is no longer valid"),
    Rule(102, ErrorKind.REAUTHORISE, "the session is no longer valid"),
    Rule(104, ErrorKind.REAUTHORISE, "no access token was sent"),
    Rule(10, ErrorKind.REAUTHORISE, "the app lacks a permission (ads_read)"),
    Rule(200, ErrorKind.REAUTHORISE, "the token lacks a permission on the account"),
    Rule(100, ErrorKind.FATAL, "a parameter of the request is invalid"),
)

REFUSED_FIELD = re.compile(r"\(#100\) (\S+) is not valid for fields param")
NONEXISTING_FIELD = re.compile(r"nonexisting field \(?(\w+)\)?")
TOO_MUCH_DATA = "reduce the amount of data"


def rule_for(code: int, subcode: int | None) -> Rule | None:
    for rule in RULES:
        if rule.code == code and rule.subcode in (None, subcode):
            return rule
    return None


def graph_error(response: httpx.Response) -> dict[str, Any] | None:
    """The `error` object of an answer, or None when it has none."""
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def classify(response: httpx.Response) -> Classified | None:
    """What the engine should do about an answer; None when it succeeded."""
    error = graph_error(response)
    if error is None:
        if response.is_success:
            return None
        kind = ErrorKind.RETRY if response.status_code >= 500 else ErrorKind.FATAL
        if response.status_code == 429:
            kind = ErrorKind.RETRY
        return Classified(kind, f"HTTP {response.status_code} without a Graph error")
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    message = str(error.get("message", ""))[:300]
    reason = f"Meta error {code}" + (f"/{subcode}" if subcode else "") + f": {message}"
    special = _by_message(code, message, reason)
    if special is not None:
        return special
    rule = rule_for(code or 0, subcode)
    if rule is None:
        kind = ErrorKind.RETRY if response.status_code >= 500 else ErrorKind.FATAL
        return Classified(kind, reason)
    wait = named_wait(response) if rule.kind is ErrorKind.WAIT_FOR_QUOTA else None
    return Classified(rule.kind, f"{reason} ({rule.meaning})", wait_seconds=wait)


def _by_message(code: int | None, message: str, reason: str) -> Classified | None:
    if code == 100:
        found = REFUSED_FIELD.search(message) or NONEXISTING_FIELD.search(message)
        if found:
            return Classified(ErrorKind.DROP_FIELD, reason, field=found.group(1))
        if "cursor" in message.lower():
            return Classified(ErrorKind.RESTART_SLICE, reason)
    if code == 1 and TOO_MUCH_DATA in message.lower():
        return Classified(
            ErrorKind.FATAL,
            f"{reason}: the request was too large to answer at once; "
            "ask for fewer days per slice",
        )
    return None


def named_wait(response: httpx.Response) -> float | None:
    """Seconds until access returns, as the usage headers name it (None if unsaid)."""
    waits = [
        minutes * 60
        for entry in _business_entries(response)
        if (minutes := _number(entry.get("estimated_time_to_regain_access")))
    ]
    account = _header_json(response, "x-ad-account-usage")
    reset = _number(account.get("reset_time_duration"))
    if reset:
        waits.append(reset)
    return max(waits) if waits else None


def usage(response: httpx.Response) -> Usage | None:
    """The highest share of any quota the answer reports, 0.0 to 1.0."""
    shares: list[float] = []
    app = _header_json(response, "x-app-usage")
    shares += [
        _number(app.get(k)) for k in ("call_count", "total_cputime", "total_time")
    ]
    account = _header_json(response, "x-ad-account-usage")
    shares.append(_number(account.get("acc_id_util_pct")))
    for entry in _business_entries(response):
        shares += [
            _number(entry.get(k)) for k in ("call_count", "total_cputime", "total_time")
        ]
    if not app and not account and not _business_entries(response):
        return None
    return Usage(used=max(shares) / 100, resets_in=named_wait(response))


def _business_entries(response: httpx.Response) -> list[dict[str, Any]]:
    found = _header_json(response, "x-business-use-case-usage")
    entries: list[dict[str, Any]] = []
    for value in found.values():
        if isinstance(value, list):
            entries += [entry for entry in value if isinstance(entry, dict)]
    return entries


def _header_json(response: httpx.Response, name: str) -> dict[str, Any]:
    raw = response.headers.get(name)
    if not raw:
        return {}
    try:
        found = json.loads(raw)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _number(value: object) -> float:
    try:
        return float(str(value)) if value is not None else 0.0
    except ValueError:
        return 0.0


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None
