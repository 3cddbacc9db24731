"""Effectively once: 10,000 pushed events while the server is killed again and again.

A sender posts 10,000 deliveries (7,000 events, 3,000 of them sent twice, in a
shuffled order) and retries each until it is acknowledged, while the server is
killed with SIGKILL at random moments and started again. Afterwards every
acknowledged event must be in the warehouse exactly once, with its own value.

The killed servers are forked from a launcher process that has imported adreport
once, so a restart takes a fraction of a second instead of the seconds an import
takes; each is a whole server process (uvicorn on `create_app`, its own app-data
connections and warehouse), killed with SIGKILL. The last server, which finishes
the processing, is `adreport serve` itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import httpx

from adreport.service.webhook_endpoints import signature_header
from adreport.sources.push import warehouse_source
from tests.service.test_events import Tenant, prepare

KILLS = int(os.environ.get("ADREPORT_WEBHOOK_KILLS", "20"))
EVENTS = 7_000
DUPLICATES = 3_000
ADREPORT = Path(sys.executable).with_name("adreport")

# Imports adreport once, then forks one server per line read from stdin, once
# the one before (killed by the test) has gone.
LAUNCHER = """
import os, sys
from pathlib import Path
import uvicorn
from adreport.service.app import create_app
from adreport.service.runtime import ServiceSettings
data_dir, port = Path(sys.argv[1]), int(sys.argv[2])
child = 0
for line in sys.stdin:
    if child:
        os.waitpid(child, 0)  # the killed server is gone, its file locks with it
    child = os.fork()
    if child == 0:
        sys.stdin.close()
        uvicorn.run(create_app(ServiceSettings(data_dir)), host="127.0.0.1",
                    port=port, log_level="warning", access_log=False)
        os._exit(0)
    print(child, flush=True)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base: str, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise AssertionError("the server did not come up")


@dataclass
class Tally:
    acknowledged: dict[str, str] = field(default_factory=dict)  # event id -> status
    retries: int = 0
    conflicts: int = 0
    failures: list[str] = field(default_factory=list)


def deliveries(seed: int) -> tuple[list[bytes], dict[str, Decimal]]:
    """7,000 events and 3,000 repeats of some of them, shuffled."""
    chance = random.Random(seed)
    values = {}
    bodies = []
    for number in range(EVENTS):
        event_id = f"ord-{number:05d}"
        value = Decimal(chance.randrange(100, 1_000_000)) / 100
        values[event_id] = value
        bodies.append(
            json.dumps(
                {
                    "event_id": event_id,
                    "occurred_at": "2026-03-01T12:00:00+00:00",
                    "type": chance.choice(["conversion", "lead", "deal"]),
                    "value": str(value),
                    "currency": "EUR",
                    "attribution": {"utm_campaign": f"spring-{number % 7}"},
                }
            ).encode()
        )
    sent = bodies + chance.sample(bodies, DUPLICATES)
    chance.shuffle(sent)
    return sent, values


class Connection:
    """One keep-alive HTTP/1.1 connection, reopened whenever the server dies.

    A few lines over asyncio streams rather than httpx: on two shared cores the
    sender should not take the CPU the server needs.
    """

    def __init__(self, port: int):
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, headers: dict[str, str], body: bytes) -> int:
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.streams
        lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status = int((await asyncio.wait_for(reader.readline(), 5)).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def send_all(port: int, tenant: Tenant, bodies: list[bytes]) -> Tally:
    """Post each body until it is acknowledged, as a retrying sender does."""
    tally = Tally()
    pending = list(reversed(bodies))

    async def deliver(connection: Connection, body: bytes) -> None:
        event_id = json.loads(body)["event_id"]
        while True:
            signed = signature_header([tenant.secret], body, int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "X-Adreport-Endpoint": tenant.endpoint,
                "X-Adreport-Signature": signed,
            }
            try:
                status = await connection.post("/api/v1/events/crm", headers, body)
            except (OSError, EOFError, IndexError, ValueError, TimeoutError):
                connection.close()  # killed mid-request: reconnect and send again
                status = 0
            if status in (200, 202):
                tally.acknowledged[event_id] = "duplicate" if status == 200 else "new"
                return
            if 0 < status < 500:
                tally.failures.append(f"{event_id}: {status}")
                return
            tally.retries += 1
            await asyncio.sleep(0.05)

    async def worker() -> None:
        connection = Connection(port)
        while pending:
            await deliver(connection, pending.pop())
        connection.close()

    await asyncio.gather(*(worker() for _ in range(16)))
    return tally


class Launcher:
    """Forks servers from one process that imported adreport once."""

    def __init__(self, data_dir: Path, port: int):
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(data_dir), str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.base = f"http://127.0.0.1:{port}"

    def start(self) -> int:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(b"start\n")
        self.process.stdin.flush()
        pid = int(self.process.stdout.readline())
        wait_until_up(self.base)
        return pid

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def inbox_waiting(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "app.sqlite3", timeout=30) as database:
        found = database.execute(
            "SELECT count(*) FROM event_inbox WHERE state = 'received'"
        ).fetchone()
    return int(found[0])


def test_killed_server_loses_and_doubles_nothing(tmp_path: Path) -> None:
    [tenant] = prepare(tmp_path, ("Acme",))
    port = free_port()
    bodies, values = deliveries(seed=20261203)
    launcher = Launcher(tmp_path, port)
    kills = 0
    try:
        pid = launcher.start()
        chance = random.Random(7)
        sending = asyncio.new_event_loop()
        task = sending.create_task(send_all(port, tenant, bodies))

        async def kill_loop() -> None:
            nonlocal kills, pid
            while kills < KILLS:
                await asyncio.sleep(chance.uniform(0.2, 0.8))
                os.kill(pid, signal.SIGKILL)
                kills += 1
                pid = await asyncio.to_thread(launcher.start)

        began = time.monotonic()
        sending.run_until_complete(asyncio.gather(task, kill_loop()))
        print(f"sending and killing took {time.monotonic() - began:.1f} s")
        tally = task.result()
        os.kill(pid, signal.SIGKILL)
        sending.close()
    finally:
        launcher.close()

    assert tally.failures == []
    assert set(tally.acknowledged) == set(values)  # every delivery acknowledged
    assert tally.retries > 0  # the kills did land while the sender was sending

    # The real `adreport serve` starts on the same data and finishes the work.
    server = subprocess.Popen(
        [str(ADREPORT), "--data-dir", str(tmp_path), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    began = time.monotonic()
    try:
        wait_until_up(launcher.base, server)
        print(f"adreport serve up in {time.monotonic() - began:.1f} s")
        deadline = time.monotonic() + 120
        while inbox_waiting(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    print(f"drained and stopped in {time.monotonic() - began:.1f} s")
    assert inbox_waiting(tmp_path) == 0

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT event_id, count(*), sum(value) FROM events WHERE source = ? "
            "GROUP BY event_id",
            [warehouse_source(str(tenant.workspace_id), "crm")],
        ).fetchall()
    in_warehouse = {event_id: (count, total) for event_id, count, total in rows}
    doubled = [e for e, (count, _) in in_warehouse.items() if count != 1]
    lost = sorted(set(tally.acknowledged) - set(in_warehouse))
    wrong = [e for e, (_, total) in in_warehouse.items() if total != values.get(e)]
    print(
        f"kills {kills}, deliveries {len(bodies)}, acknowledged events "
        f"{len(tally.acknowledged)}, retries {tally.retries}, duplicate effects "
        f"{len(doubled)}, acknowledged but lost {len(lost)}"
    )
    assert kills == KILLS
    assert doubled == []
    assert lost == []
    assert wrong == []
    assert len(in_warehouse) == EVENTS
