"""`adreport sandbox google-ads`, then connect and sync with the line it prints."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from adreport.warehouse import Warehouse

ADREPORT = [sys.executable, "-m", "adreport"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """The sandbox command's URL and printed connect line, while it runs."""
    log = tmp_path / "sandbox.out"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [*ADREPORT, "sandbox", "google-ads", "--port", str(free_port())],
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "adreport connect" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the sandbox did not start"
            time.sleep(0.2)
        lines = log.read_text().splitlines()
        url = lines[0].split(": ", 1)[1]
        connect = next(line for line in lines if "adreport connect" in line)
        yield url, shlex.split(connect.strip())[1:]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    assert "Sandboxes stopped." in log.read_text()


def test_the_printed_connect_line_syncs_the_sandboxs_totals(running, tmp_path):
    url, connect = running
    home = ["--data-dir", str(tmp_path / "home")]
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([*ADREPORT, *home, *connect], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert b"secrets encrypted" in done.stdout + done.stderr
    synced = subprocess.run(
        [*ADREPORT, *home, "sync", "--backfill", "10"], env=env, capture_output=True
    )
    assert synced.returncode == 0, synced.stderr
    with Warehouse(tmp_path / "home" / "warehouse.duckdb") as warehouse:
        stored = warehouse.rows(
            "SELECT account_id, min(date), max(date), sum(spend) FROM facts "
            "WHERE grain LIKE '%:campaign:%' GROUP BY 1 ORDER BY 1"
        )
    assert [row[0] for row in stored] == ["4821935520", "7351180246"]
    for account, first, last, spend in stored:
        seeded = httpx.get(
            f"{url}/__sandbox/totals",
            params={"customer_id": account, "from": str(first), "to": str(last)},
        ).json()
        assert spend == Decimal(seeded["cost_micros"]) / 1_000_000


def test_unknown_platforms_and_faults_are_refused_with_the_known_ones():
    command = [*ADREPORT, "sandbox", "--faults", "rate-limt=2"]
    bad = subprocess.run(command, capture_output=True, text=True)
    assert bad.returncode == 2
    assert "unknown fault 'rate-limt'" in bad.stderr
    assert "rate-limit-no-wait" in bad.stderr
    unknown = subprocess.run(
        [*ADREPORT, "sandbox", "bing"], capture_output=True, text=True
    )
    assert unknown.returncode == 2
    assert "known: google-ads, meta, naver-searchad, rest" in unknown.stderr


def test_a_platform_whose_package_is_missing_is_said_and_skipped(monkeypatch):
    from click.testing import CliRunner

    import adreport.cli.sandbox  # noqa: F401 (adds the command)
    from adreport.cli.main import cli
    from adreport.sources.registry import PACKAGES

    monkeypatch.setitem(PACKAGES, "rest", "adreport.sources.not_installed")
    result = CliRunner().invoke(cli, ["sandbox", "rest"])
    assert result.exit_code == 2
    assert "rest: no sandbox in this installation" in result.output
    assert "no sandbox could be started" in result.output
