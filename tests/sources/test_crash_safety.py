"""SIGKILL `adreport sync` at random points of a 100k-row pull, then resume.

SECURITY.md "Syncs": a checkpoint is committed with the rows it covers, so after
any number of kills (and a reopening of the warehouse in between) the finished
sync holds every row once: rows lost 0, duplicates 0, against the sandbox's own
totals.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from adreport.security.secrets import SecretBox
from adreport.sources.connections import Connection, ConnectionStore
from adreport.sources.sandbox import serve
from adreport.warehouse import Warehouse

KILLS = int(os.environ.get("ADREPORT_CRASH_KILLS", "20"))
SCALE = 7  # the Google Ads sandbox at about 150k rows over three levels


def test_sigkill_at_random_points_loses_and_doubles_nothing(tmp_path: Path):
    sandbox = pytest.importorskip("adreport.sources.google_ads.sandbox")
    app = sandbox.build_app(scale=SCALE)
    data = tmp_path / "data"
    command = [
        sys.executable,
        "-m",
        "adreport",
        "--data-dir",
        str(data),
        "sync",
        "--backfill",
        "90",
    ]
    with serve(app) as served:
        settings, secrets = sandbox.sandbox_connection(served.url)
        with Warehouse(data / "warehouse.duckdb") as warehouse:
            store = ConnectionStore(warehouse, SecretBox.for_data_dir(data))
            store.save(Connection("google", "google-ads", settings, secrets))
        kills = _kill_repeatedly(command, data)
        finished = subprocess.run(
            command, capture_output=True, timeout=900, check=False
        )
        assert finished.returncode == 0, finished.stderr.decode()[-2000:]
    assert kills >= KILLS
    with Warehouse(data / "warehouse.duckdb") as warehouse:
        _assert_every_row_once(warehouse, app.state.world)


def _kill_repeatedly(command: list[str], data: Path) -> int:
    rng = random.Random(20240610)
    kills = 0
    while kills < KILLS:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.8, 4.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        if kills == KILLS // 2:
            with Warehouse(data / "warehouse.duckdb") as reopened:  # WAL replayed
                rows, keys = _rows_and_keys(reopened)
                assert rows == keys
    return kills


def _rows_and_keys(warehouse: Warehouse) -> tuple[int, int]:
    found = warehouse.rows(
        "SELECT count(*), count(DISTINCT (account_id, grain, date, campaign_id, "
        "ad_group_id, ad_id, device, network)) FROM facts"
    )
    return int(found[0][0]), int(found[0][1])


def _assert_every_row_once(warehouse: Warehouse, world: object) -> None:
    rows, keys = _rows_and_keys(warehouse)
    assert rows == keys  # duplicates 0
    assert rows >= 100_000
    spans = warehouse.rows(
        "SELECT account_id, min(date), max(date) FROM facts GROUP BY 1"
    )
    assert len(spans) >= 2
    for account, first, last in spans:
        seeded = world.totals(account, first, last)  # type: ignore[attr-defined]
        stored = warehouse.rows(
            "SELECT sum(impressions), sum(clicks), sum(spend) FROM facts "
            "WHERE account_id = ? AND grain LIKE '%:campaign:%'",
            [account],
        )[0]
        assert stored[0] == seeded["impressions"]  # rows lost 0
        assert stored[1] == seeded["clicks"]
        assert stored[2] == Decimal(seeded["cost_micros"]) / 1_000_000
        levels = warehouse.rows(
            "SELECT sum(impressions) FILTER (WHERE grain LIKE '%:ad_group:%'), "
            "sum(impressions) FILTER (WHERE grain LIKE '%:ad:%') FROM facts "
            "WHERE account_id = ?",
            [account],
        )[0]
        assert levels[0] == levels[1]  # no ad-group or ad slice missing
    missing = warehouse.rows("SELECT count(*) FROM sync_runs WHERE status = 'finished'")
    assert missing[0][0] >= 1
