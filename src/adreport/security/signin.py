"""Signing in: checking a person's password or a machine's secret, rate-limited.

The limiter counts failures per account and per client address in this process's
memory: right for one machine running one server process. Several processes or
machines would each keep their own counts (a limit N times looser); the README
lists it under limitations.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from adreport.appdata.models import APIClient, User
from adreport.errors import AdreportError
from adreport.security.passwords import verify_machine_secret, verify_password

MAX_FAILURES = 5
WINDOW_SECONDS = 60.0
MAX_TRACKED_KEYS = 100_000  # bounds memory under a flood of made-up names


class SignInThrottledError(AdreportError):
    """Too many failed sign-ins for this account or address: wait `retry_after`
    seconds (the API answers 429 with Retry-After)."""

    def __init__(self, retry_after: int):
        super().__init__(
            f"too many failed sign-ins; try again in {retry_after} seconds"
        )
        self.retry_after = retry_after


class SignInLimiter:
    """At most `max_failures` failed sign-ins per `window` seconds, counted per
    account and per client address separately (a sliding window)."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, account: str, address: str) -> None:
        """Raise SignInThrottledError when either key has used up its failures."""
        now = self.clock()
        with self._lock:
            waits = [self._wait(key, now) for key in _keys(account, address)]
        wait = max(waits)
        if wait > 0:
            raise SignInThrottledError(max(1, math.ceil(wait)))

    def failed(self, account: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) >= MAX_TRACKED_KEYS:
                self._sweep(now)
            for key in _keys(account, address):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, account: str, address: str) -> None:
        """A right password clears the account's count (not the address's)."""
        with self._lock:
            self._failures.pop(_keys(account, address)[0], None)

    def _wait(self, key: str, now: float) -> float:
        times = self._failures.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.max_failures:
            return 0.0
        return times[-self.max_failures] + self.window - now

    def _sweep(self, now: float) -> None:
        stale = [
            k for k, t in self._failures.items() if not t or t[-1] <= now - self.window
        ]
        for key in stale:
            del self._failures[key]
        if len(self._failures) >= MAX_TRACKED_KEYS:
            self._failures.clear()


def _keys(account: str, address: str) -> tuple[str, str]:
    return f"account:{account.strip().lower()}", f"address:{address}"


def authenticate_user(
    session: Session,
    email: str,
    password: str,
    address: str,
    limiter: SignInLimiter,
) -> User | None:
    """The user whose e-mail and password these are, or None; throttled.

    A disabled account answers like a wrong password. An upgraded hash is
    stored (and committed) on success.
    """
    limiter.check(email, address)
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    ok, new_hash = verify_password(password, user.password_hash if user else None)
    if user is None or not ok or user.disabled:
        limiter.failed(email, address)
        return None
    limiter.succeeded(email, address)
    if new_hash:
        user.password_hash = new_hash
        session.commit()
    return user


def authenticate_api_client(
    session: Session,
    oauth_client_id: str,
    secret: str,
    address: str,
    limiter: SignInLimiter,
) -> APIClient | None:
    """The enabled API client with this id and secret, or None; throttled."""
    limiter.check(oauth_client_id, address)
    found = session.scalar(
        select(APIClient).where(APIClient.oauth_client_id == oauth_client_id)
    )
    ok = found is not None and verify_machine_secret(secret, found.secret_hash)
    if found is None or not ok or found.disabled:
        limiter.failed(oauth_client_id, address)
        return None
    limiter.succeeded(oauth_client_id, address)
    return found


def normalise_email(email: str) -> str:
    """E-mail addresses are compared without case and surrounding spaces."""
    return email.strip().lower()
