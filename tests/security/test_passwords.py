"""Passwords are argon2 hashes; sign-in is refused alike for every wrong answer and
throttled after five failures a minute per account and per address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adreport.appdata import admin
from adreport.appdata.db import AppDatabase
from adreport.security.passwords import (
    WeakPasswordError,
    hash_machine_secret,
    hash_password,
    verify_machine_secret,
    verify_password,
)
from adreport.security.signin import (
    SignInLimiter,
    SignInThrottledError,
    authenticate_api_client,
    authenticate_user,
)
from tests.appdata.databases import KINDS, fresh_db

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_passwords_are_argon2_hashes_that_verify_only_the_right_password() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert verify_password(PASSWORD, stored) == (True, None)
    assert verify_password("correct horse batterY", stored)[0] is False
    assert verify_password(PASSWORD, None)[0] is False  # no such account
    assert verify_password(PASSWORD, "not a hash")[0] is False
    assert hash_password(PASSWORD) != stored  # salted


def test_short_passwords_are_refused() -> None:
    with pytest.raises(WeakPasswordError, match="at least 10"):
        hash_password("hunter2")


def test_machine_secrets_compare_by_digest() -> None:
    stored = hash_machine_secret("s3cret-value")
    assert verify_machine_secret("s3cret-value", stored)
    assert not verify_machine_secret("s3cret-valuE", stored)


def test_five_failures_a_minute_then_429_with_the_wait() -> None:
    clock = Clock()
    limiter = SignInLimiter(clock=clock)
    for _ in range(5):
        limiter.check("ann@example.com", "10.0.0.1")
        limiter.failed("ann@example.com", "10.0.0.1")
        clock.now += 1
    with pytest.raises(SignInThrottledError) as caught:
        limiter.check("ann@example.com", "10.0.0.9")  # same account, other address
    assert caught.value.retry_after == 55
    with pytest.raises(SignInThrottledError):
        limiter.check("bob@example.com", "10.0.0.1")  # same address, other account
    limiter.check("bob@example.com", "10.0.0.9")

    clock.now += 55
    limiter.check("ANN@example.com ", "10.0.0.9")  # the oldest failure has aged out


def test_a_right_password_clears_the_accounts_count_only() -> None:
    limiter = SignInLimiter(clock=Clock())
    for _ in range(4):
        limiter.failed("ann@example.com", "10.0.0.1")
    limiter.succeeded("ann@example.com", "10.0.0.1")
    limiter.failed("ann@example.com", "10.0.0.2")
    limiter.check("ann@example.com", "10.0.0.2")
    limiter.failed("ann@example.com", "10.0.0.1")
    with pytest.raises(SignInThrottledError):
        limiter.check("carl@example.com", "10.0.0.1")  # address: 5 failures


@pytest.fixture(params=KINDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppDatabase]:
    yield from fresh_db(request.param, tmp_path)


def test_sign_in_answers_alike_for_every_wrong_answer(db: AppDatabase) -> None:
    limiter = SignInLimiter(max_failures=100)
    with db.session() as session:
        workspace = admin.create_workspace(session, "Agency")
        ann = admin.create_user(session, "ann@example.com", PASSWORD)
        gone = admin.create_user(session, "gone@example.com", PASSWORD)
        gone.disabled = True
        session.commit()
        robot, secret = admin.create_api_client(session, workspace, "CRM", "analyst")

        def user(email: str, password: str) -> int | None:
            found = authenticate_user(session, email, password, "127.0.0.1", limiter)
            return found.id if found else None

        assert user(" Ann@Example.com", PASSWORD) == ann.id
        assert user("ann@example.com", PASSWORD + "x") is None
        assert user("nobody@example.com", PASSWORD) is None
        assert user("gone@example.com", PASSWORD) is None

        def machine(client_id: str, given: str) -> int | None:
            found = authenticate_api_client(
                session, client_id, given, "127.0.0.1", limiter
            )
            return found.id if found else None

        assert machine(robot.oauth_client_id, secret) == robot.id
        assert machine(robot.oauth_client_id, secret[:-1]) is None
        assert machine("adr_unknown", secret) is None
        assert secret not in robot.secret_hash
