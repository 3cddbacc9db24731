"""The contract every connector passes, run against its own sandbox over HTTP.

Parametrized over the registry's platforms whose package (with a sandbox) is
present: auth and refresh, paging to the end, every standard fault the sandbox
implements, throttling on a fake clock, and no secret in the logs.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType

import pytest

from adreport.sources.engine import FakeClock
from adreport.sources.engine.run import Source, SyncOptions, SyncOutcome, sync_source
from adreport.sources.registry import PACKAGES, available_platforms
from adreport.sources.sandbox import STANDARD_FAULTS, FaultPlan, serve
from adreport.warehouse import Warehouse

DAYS = 7


def _with_sandbox() -> list[str]:
    """Platforms whose package offers a connector and a sandbox."""
    found = []
    for platform in available_platforms():
        try:
            package = importlib.import_module(PACKAGES[platform])
            sandbox = importlib.import_module(f"{PACKAGES[platform]}.sandbox")
        except ImportError:
            continue
        if callable(getattr(package, "connector", None)) and hasattr(
            sandbox, "sandbox_connection"
        ):
            found.append(platform)
    return found


PLATFORMS = _with_sandbox()


@dataclass
class Sandbox:
    platform: str
    module: ModuleType
    url: str
    settings: dict[str, str]
    secrets: dict[str, str]

    def sync(self, warehouse: Warehouse) -> tuple[SyncOutcome, FakeClock]:
        clock = FakeClock(datetime.now(UTC))
        source = Source("contract", self.platform, self.settings, self.secrets)
        options = SyncOptions(backfill_days=DAYS)
        outcome = asyncio.run(sync_source(warehouse, source, options, clock))
        return outcome, clock


def open_sandbox(platform: str, spec: str = "") -> Iterator[Sandbox]:
    module = importlib.import_module(f"{PACKAGES[platform]}.sandbox")
    plan = FaultPlan.parse(spec, known=module.FAULTS)
    with serve(module.build_app(plan)) as served:
        settings, secrets = module.sandbox_connection(served.url)
        yield Sandbox(platform, module, served.url, settings, secrets)


def facts(warehouse: Warehouse) -> tuple[int, int]:
    """(rows, distinct keys): equal when nothing was doubled."""
    found = warehouse.rows(
        "SELECT count(*), count(DISTINCT (platform, account_id, grain, date, "
        "campaign_id, ad_group_id, ad_id, keyword_id, age, gender, country, region, "
        "device, placement, network, interest, conversion_goal, attribution_setting)) "
        "FROM facts"
    )
    return int(found[0][0]), int(found[0][1])


@pytest.fixture(params=PLATFORMS)
def platform(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clean_rows(platform: str, tmp_path) -> int:  # type: ignore[no-untyped-def]
    """Rows a sync without faults loads, to compare each faulty sync with."""
    for sandbox in open_sandbox(platform):
        with Warehouse(tmp_path / "clean.duckdb") as warehouse:
            outcome, _ = sandbox.sync(warehouse)
            assert outcome.run.status == "finished", outcome.run.message
            return facts(warehouse)[0]
    raise AssertionError("no sandbox")


def test_a_clean_sync_pages_to_the_end_and_a_second_changes_nothing(
    platform, warehouse
):
    for sandbox in open_sandbox(platform):
        first, _ = sandbox.sync(warehouse)
        assert first.run.status == "finished", first.run.message
        rows, keys = facts(warehouse)
        assert rows > 0
        assert rows == keys
        accounts = warehouse.rows("SELECT count(DISTINCT account_id) FROM facts")
        assert accounts[0][0] >= 1
        assert first.run.totals.rows_written == rows
        second, _ = sandbox.sync(warehouse)
        assert second.run.status == "finished"
        assert second.run.totals.rows_written == 0
        assert second.run.totals.rows_unchanged == rows
        assert facts(warehouse) == (rows, keys)


SURVIVABLE = sorted(STANDARD_FAULTS - {"revoked", "empty-page-next", "bad-field"})


@pytest.mark.parametrize("fault", SURVIVABLE)
def test_a_fault_is_survived_with_every_row_loaded_once(
    platform, fault, warehouse, clean_rows
):
    module = importlib.import_module(f"{PACKAGES[platform]}.sandbox")
    if fault not in module.FAULTS:
        pytest.skip(f"the {platform} sandbox does not implement {fault}")
    # Twice, except an expiry: two in a row would be a refused fresh token.
    times = 1 if fault == "token-expiry" else 2
    for sandbox in open_sandbox(platform, f"{fault}={times}"):
        outcome, clock = sandbox.sync(warehouse)
        assert outcome.run.status == "finished", outcome.run.message
        assert facts(warehouse) == (clean_rows, clean_rows)
        counters = outcome.session.counters
        if fault in ("rate-limit", "rate-limit-no-wait", "server-error"):
            assert counters.retries + counters.waits >= 1
            assert clock.sleeps
        if fault == "quota":
            assert counters.waits >= 1
        if fault == "usage-high":
            assert counters.waits >= 1  # slowed down
            assert all(pause < 3600 for pause in clock.sleeps)
        if fault == "token-expiry":
            assert counters.refreshes >= 1


def test_a_revoked_grant_needs_reauthorisation_without_a_retry_loop(
    platform, warehouse
):
    module = importlib.import_module(f"{PACKAGES[platform]}.sandbox")
    if "revoked" not in module.FAULTS:
        pytest.skip(f"the {platform} sandbox has no refresh token to revoke")
    for sandbox in open_sandbox(platform, "revoked=100"):
        outcome, clock = sandbox.sync(warehouse)
        assert outcome.run.status == "re-authorisation needed"
        assert outcome.session.counters.retries == 0
        assert outcome.session.counters.requests <= 3
        assert sum(clock.sleeps) < 60


def test_an_empty_page_with_a_next_link_stops_with_one_warning(platform, warehouse):
    module = importlib.import_module(f"{PACKAGES[platform]}.sandbox")
    if "empty-page-next" not in module.FAULTS:
        pytest.skip(f"the {platform} sandbox has no paging to break")
    for sandbox in open_sandbox(platform, "empty-page-next"):
        outcome, _ = sandbox.sync(warehouse)
        assert outcome.run.status == "finished", outcome.run.message
        warned = [w for w in outcome.run.warnings if "empty" in w]
        assert len(warned) == 1
        rows, keys = facts(warehouse)
        assert rows == keys


def test_a_rejected_field_is_dropped_and_recorded(platform, warehouse, clean_rows):
    module = importlib.import_module(f"{PACKAGES[platform]}.sandbox")
    if "bad-field" not in module.FAULTS:
        pytest.skip(f"the {platform} sandbox rejects no field")
    for sandbox in open_sandbox(platform, "bad-field"):
        outcome, _ = sandbox.sync(warehouse)
        assert outcome.run.status == "finished", outcome.run.message
        drift = warehouse.rows("SELECT field FROM sync_drift")
        assert len(drift) >= 1
        assert facts(warehouse)[0] == clean_rows


@pytest.mark.parametrize("spec", ["", "token-expiry", "revoked"])
def test_no_secret_reaches_logs_warnings_or_the_warehouse(
    platform, spec, warehouse, caplog
):
    module = importlib.import_module(f"{PACKAGES[platform]}.sandbox")
    if spec and spec not in module.FAULTS:
        pytest.skip(f"the {platform} sandbox does not implement {spec}")
    caplog.set_level(logging.DEBUG)
    for sandbox in open_sandbox(platform, spec):
        outcome, _ = sandbox.sync(warehouse)
        said = "\n".join(
            [
                caplog.text,
                outcome.run.message,
                *outcome.run.warnings,
                *(str(row) for row in warehouse.rows("SELECT * FROM sync_runs")),
                *(str(row) for row in warehouse.rows("SELECT * FROM imports")),
            ]
        )
        for name, secret in sandbox.secrets.items():
            if len(secret) >= 6:
                assert secret not in said, f"the secret {name} was written out"
