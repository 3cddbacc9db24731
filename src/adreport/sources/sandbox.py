"""The kit every platform's sandbox is built with: switchable faults and a server.

A sandbox is a small ASGI app that speaks one platform's documented wire format
with seeded data. This module gives them the parts that are the same everywhere:

- `FaultPlan`: which faults fire, parsed from a spec such as
  ``"rate-limit=2,server-error=0.1,expire-page-token"`` (no value: once; an
  integer: that many times; a fraction in (0, 1): that chance per request, drawn
  from a seeded generator so a run can be repeated);
- `SandboxControl`: the `/__sandbox/` routes (switch faults, restate a day, count
  requests) that tests and the demo drive a running sandbox with;
- `serve`: uvicorn in a thread on loopback, for tests, the demo and the CLI.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

# The standard fault names (sync-shared.md); each sandbox implements those that apply.
STANDARD_FAULTS = frozenset(
    {
        "rate-limit",
        "rate-limit-no-wait",
        "server-error",
        "quota",
        "usage-high",
        "expire-page-token",
        "empty-page-next",
        "token-expiry",
        "revoked",
        "bad-field",
    }
)


class FaultSpecError(ValueError):
    """A fault spec that names an unknown fault or gives a value that is no count."""


@dataclass
class Fault:
    """One switched-on fault: a number of firings left, or a chance per request."""

    name: str
    remaining: int | None = None  # None: not counted (a chance instead)
    chance: float | None = None
    fired: int = 0

    @property
    def value(self) -> int | float:
        return self.chance if self.chance is not None else self.remaining or 0


class FaultPlan:
    """Which faults a sandbox answers with, and how often.

    `fires(name)` is asked once per request where the fault could apply; a counted
    fault is used up as it fires. The plan is safe to share between the server's
    thread and a test's thread.
    """

    def __init__(
        self,
        faults: Iterable[Fault] = (),
        known: Iterable[str] = STANDARD_FAULTS,
        seed: int = 7,
    ):
        self.known = frozenset(known)
        self._faults = {fault.name: fault for fault in faults}
        self._random = random.Random(seed)  # noqa: S311 (test faults, not secrets)
        self._lock = threading.Lock()

    @classmethod
    def parse(
        cls, spec: str | None, known: Iterable[str] = STANDARD_FAULTS, seed: int = 7
    ) -> FaultPlan:
        """Read ``name[=value],...``; unknown names are an error listing the known."""
        names = frozenset(known)
        faults = [_parse_one(part, names) for part in _parts(spec)]
        return cls(faults, names, seed)

    def fires(self, name: str) -> bool:
        """True when the fault `name` should answer this request (and use it up)."""
        with self._lock:
            fault = self._faults.get(name)
            if fault is None:
                return False
            if fault.chance is not None:
                hit = self._random.random() < fault.chance
            else:
                hit = (fault.remaining or 0) > 0
                if hit:
                    fault.remaining = (fault.remaining or 0) - 1
            if hit:
                fault.fired += 1
            return hit

    def value(self, name: str) -> int | float | None:
        """The count left or the chance of `name`, None when it is not switched on."""
        with self._lock:
            fault = self._faults.get(name)
            return None if fault is None else fault.value

    def active(self, name: str) -> bool:
        """True while `name` may still fire (without using it up)."""
        with self._lock:
            fault = self._faults.get(name)
            if fault is None:
                return False
            return fault.chance is not None or (fault.remaining or 0) > 0

    def replace(self, spec: str | None) -> None:
        """Switch to the faults of another spec (the `/__sandbox/faults` route)."""
        faults = [_parse_one(part, self.known) for part in _parts(spec)]
        with self._lock:
            self._faults = {fault.name: fault for fault in faults}

    def fired(self) -> dict[str, int]:
        """How many times each switched-on fault has fired so far."""
        with self._lock:
            return {name: fault.fired for name, fault in self._faults.items()}

    def describe(self) -> str:
        """The plan as a spec again (what is left of it)."""
        with self._lock:
            faults = list(self._faults.values())
        return ",".join(f"{fault.name}={fault.value}" for fault in faults)


def _parts(spec: str | None) -> list[str]:
    return [part.strip() for part in (spec or "").split(",") if part.strip()]


def _parse_one(part: str, known: frozenset[str]) -> Fault:
    name, _, raw = part.partition("=")
    name = name.strip()
    if name not in known:
        listed = ", ".join(sorted(known))
        raise FaultSpecError(f"unknown fault {name!r} in the spec; known: {listed}")
    raw = raw.strip()
    if not raw:
        return Fault(name, remaining=1)
    try:
        number = float(raw)
    except ValueError:
        number = -1.0
    if 0 < number < 1:
        return Fault(name, chance=number)
    if number >= 1 and number == int(number):
        return Fault(name, remaining=int(number))
    raise FaultSpecError(
        f"fault {name}={raw}: give a count (1, 2, ...) or a chance in (0, 1), "
        "or no value to fire once"
    )


class SandboxControl:
    """The `/__sandbox/` routes and the request counts a sandbox keeps.

    `restate(account_id, day)` is the sandbox's own: it changes that day's numbers
    the way late conversions and settling spend do.
    """

    def __init__(self, plan: FaultPlan, restate: Callable[[str, date], Any]):
        self.plan = plan
        self._restate = restate
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, kind: str) -> None:
        """Count one request of a kind (an endpoint name, "token", "page" ...)."""
        with self._lock:
            self.requests[kind] += 1
            self.requests["total"] += 1

    def routes(self) -> list[Route]:
        return [
            Route("/__sandbox/faults", self._faults, methods=["POST", "GET"]),
            Route("/__sandbox/restate", self._restate_route, methods=["POST"]),
            Route("/__sandbox/requests", self._requests, methods=["GET"]),
        ]

    async def _faults(self, request: Request) -> Response:
        if request.method == "POST":
            body = await _json(request)
            try:
                self.plan.replace(str(body.get("spec") or ""))
            except FaultSpecError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"spec": self.plan.describe(), "fired": self.plan.fired()})

    async def _restate_route(self, request: Request) -> Response:
        body = await _json(request)
        try:
            day = date.fromisoformat(str(body.get("date")))
            result = self._restate(str(body.get("account_id")), day)
        except (KeyError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"restated": result})

    async def _requests(self, request: Request) -> Response:
        with self._lock:
            counts = dict(self.requests)
        return JSONResponse(counts)


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@dataclass(frozen=True)
class Served:
    """A sandbox running on loopback."""

    url: str  # no trailing slash
    port: int


class _ThreadServer(uvicorn.Server):
    """uvicorn run from a thread that is not the main one (no signal handlers)."""

    failed = False

    def run_quietly(self) -> None:
        """Run; a failed start (uvicorn exits) is noted rather than raised."""
        try:
            self.run()
        except SystemExit:
            self.failed = True


@contextmanager
def serve(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[Served]:
    """Run `app` with uvicorn in a thread until the block ends.

    Port 0 takes a free port; the one chosen is in the yielded `url`.
    """
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False
    )
    server = _ThreadServer(config)
    thread = threading.Thread(target=server.run_quietly, name="sandbox", daemon=True)
    thread.start()
    try:
        _wait_started(server, thread)
        bound = server.servers[0].sockets[0].getsockname()[1]
        yield Served(url=f"http://{host}:{bound}", port=bound)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive():
            raise OSError(
                "the sandbox server stopped while starting; is the port already taken?"
            )
        if time.monotonic() > deadline:
            raise TimeoutError("the sandbox server did not start within 20 s")
        time.sleep(0.01)
