"""Secrets at rest: refresh tokens, API secrets and webhook secrets, encrypted.

Each secret is sealed with Fernet under a key derived (HKDF) from a master key and
the workspace and connection it belongs to, so a ciphertext copied onto another
connection or tenant does not decrypt. Master keys come from ADREPORT_SECRET_KEYS
(comma-separated, newest first) or ADREPORT_SECRET_KEY, else from a key file in
the data directory, created with mode 0600 on first use: never from the database
the ciphertexts live in. Several keys at once make rotation possible without
downtime: the newest seals, every one opens, `reseal` moves a secret to the newest.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from adreport.errors import AdreportError, ConfigurationError

KEY_FILE = "secret.key"
PURPOSE = b"adreport connection secret v1"


class SecretError(AdreportError):
    """A stored secret cannot be opened: wrong key, or not this connection's."""


class SecretBox:
    """Seals and opens secrets bound to one (workspace, connection) pair."""

    def __init__(self, master_keys: list[bytes]):
        if not master_keys:
            raise ConfigurationError("no secret key: set ADREPORT_SECRET_KEY")
        self.master_keys = master_keys

    @classmethod
    def for_data_dir(
        cls, data_dir: Path, environ: Mapping[str, str] | None = None
    ) -> SecretBox:
        return cls(master_keys(data_dir, os.environ if environ is None else environ))

    def _fernet(self, workspace: str, connection: str) -> MultiFernet:
        return MultiFernet(
            [Fernet(_derive(key, workspace, connection)) for key in self.master_keys]
        )

    def seal(self, plaintext: str, workspace: str, connection: str) -> str:
        token = self._fernet(workspace, connection).encrypt(plaintext.encode())
        return token.decode("ascii")

    def open(self, sealed: str, workspace: str, connection: str) -> str:
        try:
            data = self._fernet(workspace, connection).decrypt(sealed.encode("ascii"))
        except (InvalidToken, ValueError) as exc:
            raise SecretError(
                f"the stored secrets of connection {connection!r} (workspace "
                f"{workspace!r}) cannot be opened with the configured keys: was "
                "ADREPORT_SECRET_KEY or the key file changed? Restore the key or "
                "run `adreport connect` again"
            ) from exc
        return data.decode()

    def reseal(self, sealed: str, workspace: str, connection: str) -> str:
        """The same secret sealed under the newest key (for key rotation)."""
        try:
            token = self._fernet(workspace, connection).rotate(sealed.encode("ascii"))
        except InvalidToken as exc:
            raise SecretError(
                f"connection {connection!r}: secret not readable for rotation"
            ) from exc
        return token.decode("ascii")


def _derive(master: bytes, workspace: str, connection: str) -> bytes:
    info = b"\x00".join((PURPOSE, workspace.encode(), connection.encode()))
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        master
    )
    return base64.urlsafe_b64encode(raw)


def master_keys(data_dir: Path, environ: Mapping[str, str]) -> list[bytes]:
    """The master keys, newest first: from the environment, else the key file."""
    listed = environ.get("ADREPORT_SECRET_KEYS") or environ.get("ADREPORT_SECRET_KEY")
    if listed:
        where = "ADREPORT_SECRET_KEY(S)"
        return [_checked(key.strip(), where) for key in listed.split(",")]
    path = data_dir / KEY_FILE
    if not path.exists():
        _write_key_file(path, [Fernet.generate_key()])
    lines = path.read_text(encoding="ascii").split()
    return [_checked(line, str(path)) for line in lines if line]


def _checked(key: str, where: str) -> bytes:
    try:
        Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ConfigurationError(
            f"{where}: a secret key must be 32 url-safe base64-encoded bytes "
            "(make one with `python -m adreport.security.secrets`)"
        ) from exc
    return key.encode("ascii")


def _write_key_file(path: Path, keys: list[bytes]) -> None:
    """Write keys readable by the owner only; replace the file in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.new")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(b"\n".join(keys) + b"\n")
    os.replace(temporary, path)


def add_key_to_file(data_dir: Path) -> None:
    """Put a new newest key in the data directory's key file, keeping the old ones.

    Afterwards reseal the stored secrets (`ConnectionStore.rotate_secrets`) and,
    once done, the old keys may be removed from the file.
    """
    path = data_dir / KEY_FILE
    old = master_keys(data_dir, {}) if path.exists() else []
    _write_key_file(path, [Fernet.generate_key(), *old])


if __name__ == "__main__":
    print(Fernet.generate_key().decode("ascii"))
