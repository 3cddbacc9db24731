"""How a CLI on the same machine finds the running server and proves it may use it.

While `adreport serve` holds the warehouse, it leaves two files in the data
directory, both readable by its owner only (0600):

- `server.json`: where it listens, its pid and when it started, so a CLI of the
  same data directory knows a server owns the file (a dead pid means stale);
- `local-cli.key`: a random credential made afresh at every start. Whoever can
  read it can already open the warehouse file itself, so it gives exactly the
  owner's rights over this installation, and only to requests from loopback.

Both are removed at shutdown. The credential is never logged.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SERVER_FILE = "server.json"
CREDENTIAL_FILE = "local-cli.key"
HEADER = "X-Adreport-Local-Key"

log = logging.getLogger("adreport.service.local")


@dataclass(frozen=True)
class ServerNote:
    """What `server.json` says about the server of a data directory."""

    url: str
    pid: int
    started_at: str
    data_dir: Path

    @property
    def credential_file(self) -> Path:
        return self.data_dir / CREDENTIAL_FILE

    def credential(self) -> str:
        return self.credential_file.read_text(encoding="utf-8").strip()


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, replacing any older one whole."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(partial, 0o600)  # an older leftover keeps its mode through O_CREAT
    os.replace(partial, path)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def running_server(data_dir: Path) -> ServerNote | None:
    """The live server of this data directory, if `server.json` names one."""
    try:
        found = json.loads((data_dir / SERVER_FILE).read_text(encoding="utf-8"))
        note = ServerNote(
            str(found["url"]), int(found["pid"]), str(found["started_at"]), data_dir
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return note if pid_alive(note.pid) else None


def local_url(host: str, port: int, tls: bool) -> str | None:
    """The loopback address a CLI on this machine uses to reach the server.

    None when the server listens on one outside address only: requests to it do
    not come from loopback, so the local credential could not be used there."""
    scheme = "https" if tls else "http"
    if host in ("", "localhost"):
        return f"{scheme}://127.0.0.1:{port}"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.is_unspecified:  # every interface, loopback among them
        return f"{scheme}://{'[::1]' if address.version == 6 else '127.0.0.1'}:{port}"
    if not address.is_loopback:
        return None
    shown = f"[{host}]" if address.version == 6 else host
    return f"{scheme}://{shown}:{port}"


class LocalAccess:
    """The server's side: leave the files at start, check keys, clean up at stop."""

    def __init__(self, data_dir: Path, url: str):
        self.data_dir = data_dir
        self.url = url
        self._key = ""

    def start(self) -> None:
        self._key = secrets.token_urlsafe(32)
        write_private(self.data_dir / CREDENTIAL_FILE, self._key + "\n")
        note = {
            "url": self.url,
            "pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        write_private(self.data_dir / SERVER_FILE, json.dumps(note, indent=2) + "\n")
        log.info("local CLI access open at %s (key in %s)", self.url, CREDENTIAL_FILE)

    def stop(self) -> None:
        """Remove our files; a newer server's files are left alone."""
        note = running_server(self.data_dir)
        if note is not None and note.pid != os.getpid():
            return
        for name in (SERVER_FILE, CREDENTIAL_FILE):
            (self.data_dir / name).unlink(missing_ok=True)
        self._key = ""

    def accepts(self, key: str | None, peer: str | None) -> bool:
        """The key matches and the request came from this machine's loopback."""
        if not self._key or not key or not peer:
            return False
        try:
            loopback = ipaddress.ip_address(peer).is_loopback
        except ValueError:
            return False
        return loopback and hmac.compare_digest(key.encode(), self._key.encode())
