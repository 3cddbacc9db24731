"""Load on GET /api/v1/metrics: 100 concurrent users over about 1M fact rows.

Builds a warehouse with benchmarks/big_warehouse.py, links its accounts to one
client, starts `adreport serve` in a child process on a free port, signs in, and
has 100 concurrent users each ask a dashboard query (KPIs by channel over the
last 90 days, the same query shape as the dashboard). Prints p50/p95/p99 latency
and the error rate. Target on 2 cores: p95 under 150 ms with 0 errors.

    .venv/bin/python benchmarks/api_load.py [--rows 1000000] [--users 100]
        [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import big_warehouse

from adreport.appdata.db import open_app_db, upgrade
from adreport.appdata.models import AccountLink, Client, Membership, User, Workspace
from adreport.security.passwords import hash_password
from adreport.warehouse import Warehouse

PASSWORD = "load test password"


def seed(folder: Path, rows: int) -> None:
    big_warehouse.build(folder / "warehouse.duckdb", rows)
    with Warehouse(folder / "warehouse.duckdb") as warehouse:
        accounts = warehouse.rows("SELECT platform, account_id FROM accounts")
    url = f"sqlite:///{folder / 'app.sqlite3'}"
    upgrade(url)
    db = open_app_db(url)
    with db.session() as s:
        workspace = Workspace(name="Load")
        s.add(workspace)
        s.flush()
        client = Client(workspace_id=workspace.id, name="Client")
        user = User(email="load@example.com", password_hash=hash_password(PASSWORD))
        s.add_all([client, user])
        s.flush()
        s.add(Membership(user_id=user.id, workspace_id=workspace.id, role="analyst"))
        for platform, account in accounts:
            s.add(
                AccountLink(
                    workspace_id=workspace.id,
                    client_id=client.id,
                    platform=platform,
                    account_id=account,
                )
            )
        s.commit()
    db.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def load(
    base: str, token: str, users: int, total: int
) -> tuple[list[float], int]:
    params = {
        "metrics": "spend,clicks,ctr,cpa,roas",
        "by": "channel",
        "from": "2024-10-03",
        "to": "2024-12-31",
        "currency": "KRW",
    }
    headers = {"Authorization": f"Bearer {token}"}
    times: list[float] = []
    errors = 0
    remaining = total

    async with httpx.AsyncClient(
        base_url=base,
        headers=headers,
        timeout=60,
        limits=httpx.Limits(max_connections=users),
    ) as http:

        async def user() -> None:
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                try:
                    answer = await http.get("/api/v1/metrics", params=params)
                    if answer.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                times.append((time.perf_counter() - started) * 1000)

        await http.get("/api/v1/metrics", params=params)  # rates prepared once
        await asyncio.gather(*(user() for _ in range(users)))
    return times, errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        seed(folder, args.rows)
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "adreport",
                "--data-dir",
                str(folder),
                "serve",
                "--port",
                str(port),
            ],
            env={
                **os.environ,
                "ADREPORT_APP_DB": f"sqlite:///{folder / 'app.sqlite3'}",
            },
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(1200):
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None:
                    raise SystemExit(
                        "adreport serve stopped; run it by hand to see why"
                    )
                time.sleep(0.1)
            token = httpx.post(
                f"{base}/api/v1/auth/token",
                data={
                    "grant_type": "password",
                    "username": "load@example.com",
                    "password": PASSWORD,
                },
            ).json()["access_token"]
            started = time.perf_counter()
            times, errors = asyncio.run(load(base, token, args.users, args.requests))
            wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
    cuts = statistics.quantiles(times, n=100)
    print(
        f"GET /api/v1/metrics, {args.users} users, {len(times)} requests, "
        f"{args.rows:,} fact rows, {wall:.1f} s ({len(times) / wall:.0f} req/s)"
    )
    print(
        f"p50 {cuts[49]:.0f} ms  p95 {cuts[94]:.0f} ms  p99 {cuts[98]:.0f} ms  "
        f"errors {errors / len(times):.2%}"
    )


if __name__ == "__main__":
    main()
