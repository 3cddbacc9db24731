"""A generic REST API's failed responses, classified by HTTP status, as data.

Waits the API names in Retry-After are honoured; a 401 from an OAuth source gets
one fresh token before it counts as refused.
"""

from __future__ import annotations

import httpx

from adreport.sources.base import Classified, ErrorKind

# status -> (what to do, advice for the person reading the run record)
BY_STATUS: dict[int, tuple[ErrorKind, str]] = {
    401: (ErrorKind.ACCESS_EXPIRED, "credentials refused: a fresh token is fetched"),
    403: (ErrorKind.REAUTHORISE, "access denied: run `adreport connect rest` again"),
    404: (ErrorKind.FATAL, "not found: check [request] url in the config"),
    408: (ErrorKind.RETRY, "request timeout: trying again"),
    425: (ErrorKind.RETRY, "too early: trying again"),
    429: (ErrorKind.WAIT_FOR_QUOTA, "rate limited: waiting as the API says"),
}
SERVER_ERROR = (ErrorKind.RETRY, "server error: trying again")
CLIENT_ERROR = (ErrorKind.FATAL, "the API refused the request: check the config")


def classify(response: httpx.Response) -> Classified | None:
    status = response.status_code
    if status < 400:
        return None
    kind, advice = BY_STATUS.get(
        status, SERVER_ERROR if status >= 500 else CLIENT_ERROR
    )
    text = response.text[:200].replace("\n", " ")
    return Classified(
        kind, f"HTTP {status} ({advice}): {text}", wait_seconds=retry_after(response)
    )


def retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None
