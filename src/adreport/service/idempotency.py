"""`Idempotency-Key` on POST requests that create or change things.

A client that lost the answer to a POST can send it again with the same key: it
gets the first answer back (same status, same body) and nothing happens twice.
The same key with another body is refused (422 `idempotency_key_reused`), since
the client has mixed up two requests.

The answer is stored in the same database transaction as the change it reports,
so a change and its remembered answer exist together or not at all. Two attempts
racing with one key meet at the unique constraint: the loser's transaction is
rolled back and it answers with the winner's stored answer.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adreport.appdata.idempotency import IdempotentAnswer
from adreport.service.problems import ApiError, FieldError

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")

# The work of a request: makes its changes in the session (not committed) and
# returns the status and the JSON body to answer with.
Work = Callable[[], tuple[int, Any]]


def request_digest(method: str, path: str, payload: Any) -> str:
    """The request as far as idempotency cares: method, path and parsed body."""
    canonical = json.dumps(
        [method.upper(), path, jsonable_encoder(payload)],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def key_of(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _KEY.match(key):
        raise ApiError(
            "invalid_request",
            f"the {HEADER} header must be 1 to 200 visible ASCII characters "
            "(a UUID is a good choice)",
            errors=[FieldError(field="header.idempotency-key", message="malformed")],
        )
    return key


def _stored(session: Session, principal: str, key: str) -> IdempotentAnswer | None:
    return session.scalars(
        select(IdempotentAnswer).where(
            IdempotentAnswer.principal == principal, IdempotentAnswer.key == key
        )
    ).first()


def _replay(found: IdempotentAnswer, digest: str, key: str) -> JSONResponse:
    if found.request_digest != digest:
        raise ApiError(
            "idempotency_key_reused",
            f"the {HEADER} {key!r} was already used for a different request; "
            "use a new key for a new request",
        )
    return JSONResponse(
        json.loads(found.body),
        status_code=found.status,
        headers={"Idempotent-Replayed": "true"},
    )


def run_once(
    request: Request,
    session: Session,
    principal: str,
    payload: Any,
    work: Work,
) -> JSONResponse:
    """Do `work` and commit, or answer as the first attempt with this key did."""
    key = key_of(request)
    if key is None:
        status, body = work()
        session.commit()
        return JSONResponse(jsonable_encoder(body), status_code=status)
    digest = request_digest(request.method, request.url.path, payload)
    found = _stored(session, principal, key)
    if found is not None:
        return _replay(found, digest, key)
    status, body = work()
    encoded = jsonable_encoder(body)
    if 200 <= status < 300:
        session.add(
            IdempotentAnswer(
                principal=principal,
                key=key,
                request_digest=digest,
                status=status,
                body=json.dumps(encoded, ensure_ascii=False),
            )
        )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        found = _stored(session, principal, key)
        if found is None:
            raise
        return _replay(found, digest, key)
    return JSONResponse(encoded, status_code=status)
