"""Passwords of people, hashed with argon2 (pwdlib); random secrets of machines.

A person's password may be weak, so it gets a slow, salted hash. A machine's
secret is 256 random bits generated here, so a SHA-256 digest is as safe and keeps
the client-credentials grant fast.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pwdlib import PasswordHash
from pwdlib.exceptions import PwdlibError
from pwdlib.hashers.argon2 import Argon2Hasher

from adreport.errors import ConfigurationError

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # hashing a megabyte on every sign-in is a denial of service

_hasher = PasswordHash((Argon2Hasher(),))
# Verified against when the account does not exist, so a wrong e-mail address
# takes as long to refuse as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class WeakPasswordError(ConfigurationError):
    """A new password is too short or too long: choose another."""


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(
            f"the password has {len(password)} characters; use at least "
            f"{MIN_PASSWORD_LENGTH}"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPasswordError(
            f"the password is longer than {MAX_PASSWORD_LENGTH} characters"
        )


def hash_password(password: str) -> str:
    check_new_password(password)
    return _hasher.hash(password)


def verify_password(password: str, stored_hash: str | None) -> tuple[bool, str | None]:
    """Whether `password` matches, and a new hash to store when the parameters
    changed since it was made. `stored_hash=None` (no such account) still does
    the work of one verification and answers False."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False, None
    if stored_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False, None
    try:
        return _hasher.verify_and_update(password, stored_hash)
    except PwdlibError:
        return False, None


def new_machine_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_machine_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def verify_machine_secret(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_machine_secret(secret), stored_hash)
