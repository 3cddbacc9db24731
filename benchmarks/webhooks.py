"""How many pushed events `adreport serve` acknowledges per second, and how fast.

    python benchmarks/webhooks.py [--events 20000] [--concurrency 64] [--keep DIR]

Starts `adreport serve` on a fresh data directory with one workspace and one
webhook endpoint, then posts signed events (each a distinct event id) over
keep-alive HTTP/1.1 connections and times each acknowledgement. An event counts
only when its answer is 202: by then its inbox row is committed, on SQLite with
`synchronous=FULL` (a flush to disk per commit; one commit covers every event that
arrived meanwhile). Afterwards it waits for the processor to move the events into
the warehouse and reports that rate too. Target on 2 cores: at least 1,000 events
per second acknowledged.

The client is a minimal HTTP/1.1 writer on asyncio streams, not httpx: on two
shared cores a heavy client would measure itself rather than the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from adreport.appdata.admin import create_workspace
from adreport.appdata.db import open_app_db, upgrade
from adreport.security.secrets import SecretBox
from adreport.service.runtime import ServiceSettings
from adreport.service.webhook_endpoints import Endpoints, signature_header

TARGET = 1_000  # events per second


def prepare(data_dir: Path) -> tuple[str, str]:
    """One workspace and its `crm` endpoint; answers (endpoint id, secret)."""
    settings = ServiceSettings(data_dir)
    upgrade(settings.app_db)
    database = open_app_db(settings.app_db)
    try:
        with database.session() as session:
            workspace = create_workspace(session, "Bench")
        endpoints = Endpoints(database.engine, SecretBox.for_data_dir(data_dir))
        made = endpoints.create(workspace.id, "crm")
    finally:
        database.close()
    return made.public_id, made.secret


def body_of(number: int) -> bytes:
    return json.dumps(
        {
            "event_id": f"bench-{number:07d}",
            "occurred_at": "2026-03-01T12:00:00Z",
            "type": "conversion",
            "value": f"{number % 997}.{number % 100:02d}",
            "currency": "EUR",
            "attribution": {"utm_source": "google", "utm_campaign": "spring"},
        }
    ).encode()


async def post_events(
    port: int, endpoint: str, secret: str, numbers: list[int]
) -> tuple[list[float], int]:
    """One keep-alive connection posting its events one after another."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    latencies, refused = [], 0
    for number in numbers:
        body = body_of(number)
        signed = signature_header([secret], body, int(time.time()))
        head = (
            f"POST /api/v1/events/crm HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Adreport-Endpoint: {endpoint}\r\nX-Adreport-Signature: {signed}\r\n\r\n"
        )
        started = time.perf_counter()
        writer.write(head.encode() + body)
        status, length = await read_head(reader)
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        refused += status != 202
    writer.close()
    return latencies, refused


async def read_head(reader: asyncio.StreamReader) -> tuple[int, int]:
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return status, length


async def run_load(
    port: int, endpoint: str, secret: str, events: int, concurrency: int
) -> tuple[list[float], int, float]:
    shares = [list(range(i, events, concurrency)) for i in range(concurrency)]
    started = time.perf_counter()
    results = await asyncio.gather(
        *(post_events(port, endpoint, secret, share) for share in shares)
    )
    elapsed = time.perf_counter() - started
    latencies = [x for share, _ in results for x in share]
    return latencies, sum(refused for _, refused in results), elapsed


def waiting(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "app.sqlite3", timeout=30) as database:
        return int(
            database.execute(
                "SELECT count(*) FROM event_inbox WHERE state = 'received'"
            ).fetchone()[0]
        )


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    adreport = Path(sys.executable).with_name("adreport")
    server = subprocess.Popen(
        [str(adreport), "--data-dir", str(data_dir), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).raise_for_status()
            return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("adreport serve did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--keep", type=Path, help="data directory to use and keep")
    options = parser.parse_args()
    data_dir = options.keep or Path(tempfile.mkdtemp(prefix="adreport-webhooks-"))
    endpoint, secret = prepare(data_dir)
    port = free_port()
    server = start_server(data_dir, port)
    try:
        cpu_before = cpu_seconds(server.pid)
        latencies, refused, elapsed = asyncio.run(
            run_load(port, endpoint, secret, options.events, options.concurrency)
        )
        cpu = cpu_seconds(server.pid) - cpu_before
        drained_at = time.perf_counter()
        while waiting(data_dir):
            time.sleep(0.05)
        drain = time.perf_counter() - drained_at
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    report(options, latencies, refused, elapsed, drain)
    print(
        f"server CPU while receiving: {cpu * 1000 / len(latencies):.2f} ms per event "
        "(receiver and processor together)"
    )


def report(
    options: argparse.Namespace,
    latencies: list[float],
    refused: int,
    elapsed: float,
    drain: float,
) -> None:
    accepted = len(latencies) - refused
    cut = statistics.quantiles(latencies, n=100)
    rate = accepted / elapsed
    print(f"cores: {os.cpu_count()}, concurrency {options.concurrency}")
    print(f"events sent: {len(latencies)}, acknowledged 202: {accepted}")
    print(f"refused: {refused}")
    print(f"acknowledged durably: {rate:,.0f} events/s over {elapsed:.1f} s")
    print(
        f"acknowledgement ms: p50 {cut[49] * 1000:.1f}, p95 {cut[94] * 1000:.1f}, "
        f"p99 {cut[98] * 1000:.1f}"
    )
    print(f"inbox emptied into the warehouse {drain:.1f} s after the last answer")
    verdict = "met" if rate >= TARGET and refused == 0 else "NOT met"
    print(f"target {TARGET:,} events/s with 0 refused: {verdict}")


if __name__ == "__main__":
    main()
