"""`adreport demo`: write sample exports, import them, and report, like a user would."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import httpx

from adreport.config import CONFIG_FILE, Settings, load_settings
from adreport.demo.exports import write_google_ads, write_meta_korean, write_microsoft
from adreport.demo.world import CAMPAIGNS, GOOGLE, META, simulate
from adreport.errors import ReportError
from adreport.ingest.importer import ImportOptions, ImportResult, import_file
from adreport.reports.build import ReportFiles, ReportOptions, build_report
from adreport.security.secrets import SecretBox
from adreport.sources.connections import Connection, ConnectionStore, sync_connection
from adreport.sources.engine.run import SyncOptions
from adreport.sources.engine.runs import FINISHED
from adreport.sources.sandbox import Served, serve
from adreport.warehouse import Warehouse

log = logging.getLogger(__name__)

DEMO_SETTINGS = """\
# Settings of the demo workspace (see README: adreport.toml)
client = "Hanbit Outdoor"
margin = 0.4

[targets]  # money targets are in the report currency ({currency})
roas = 4.0
cpa = {cpa}
"""
REPORT_CURRENCY = {"en": ("USD", 40), "ko": ("KRW", 55000)}


@dataclass(frozen=True)
class DemoResult:
    exports: list[Path]
    imports: list[ImportResult]
    report: ReportFiles
    data_dir: Path


def run_demo(
    out: Path,
    lang: str = "en",
    last_day: date | None = None,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Build the demo in `out`: exports/, a warehouse of its own, and reports/."""
    last_day = last_day or (datetime.now(UTC).date() - timedelta(days=1))
    exports_dir, data_dir = out / "exports", out / "warehouse"
    for folder in (exports_dir, data_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    currency, cpa = REPORT_CURRENCY[lang]
    settings_text = DEMO_SETTINGS.format(currency=currency, cpa=cpa)
    (data_dir / CONFIG_FILE).write_text(settings_text, encoding="utf-8")

    exports = _write_exports(exports_dir, last_day)
    say(f"wrote {len(exports)} sample exports to {exports_dir}")
    settings = load_settings(data_dir)
    with Warehouse(settings.warehouse_path) as warehouse:
        imports = [_import(warehouse, path, say) for path in exports]
        report = build_report(
            settings,
            warehouse,
            ReportOptions(
                period="last-30-days",
                compare="previous",
                currency=currency,
                lang=lang,
                out_dir=out / "reports",
            ),
        )
    return DemoResult(exports, imports, report, data_dir)


def _write_exports(folder: Path, last_day: date) -> list[Path]:
    rows = simulate(last_day)
    by_platform = {
        platform: [r for r in rows if r.campaign.account.platform == platform]
        for platform in {c.account.platform for c in CAMPAIGNS}
    }
    stamp = datetime.combine(
        last_day + timedelta(days=1), datetime.min.time()
    ).timestamp()
    written = [
        write_google_ads(by_platform["google-ads"], folder),
        write_meta_korean(by_platform["meta"], folder),
        write_microsoft(by_platform["microsoft-ads"], folder),
    ]
    for path in written:
        os.utime(path, (stamp, stamp))
    return written


def _import(
    warehouse: Warehouse, path: Path, say: Callable[[str], None]
) -> ImportResult:
    result = import_file(warehouse, path, ImportOptions())
    say(
        f"imported {path.name} as {result.format}: {result.rows_read:,} rows read, "
        f"{result.counts.new:,} new"
    )
    return result


# --- The same demo, pulled from the platforms' local sandboxes over HTTP --------

RESTATED_DAYS_BACK = 3  # the day the sandbox restates, counted back from the last


@dataclass(frozen=True)
class SyncDemoResult:
    """The demo synced twice; the second sync found one restated day."""

    first_report: ReportFiles
    report: ReportFiles
    data_dir: Path
    rows_first_sync: int
    restated_day: date
    days_changed_by_second_sync: list[date]


def run_sync_demo(
    out: Path,
    lang: str = "en",
    last_day: date | None = None,
    say: Callable[[str], None] = print,
) -> SyncDemoResult:
    """Build the demo from the Google Ads and Meta sandboxes, started on loopback.

    Microsoft Advertising has no sandbox, so its export is imported as before.
    After the first report the Google Ads sandbox restates one day (late
    conversions, settled spend); a second sync changes that day only, and the
    second report's notes name it.
    """
    last_day = last_day or (datetime.now(UTC).date() - timedelta(days=1))
    exports_dir, data_dir = out / "exports", out / "warehouse"
    settings = _fresh_workspace(exports_dir, data_dir, lang)
    microsoft = [
        p for p in _write_exports(exports_dir, last_day) if "microsoft" in p.name
    ]
    currency = REPORT_CURRENCY[lang][0]
    with (
        sandboxes(last_day) as running,
        Warehouse(settings.warehouse_path) as warehouse,
    ):
        for path in microsoft:
            _import(warehouse, path, say)
        rows = sync_all(warehouse, data_dir, running, last_day, hours_later=0, say=say)
        first = build_report(
            settings, warehouse, _report_options(out / "first-sync", lang, currency)
        )
        day = last_day - timedelta(days=RESTATED_DAYS_BACK)
        restate(running, day)
        say(f"the Google Ads sandbox restated {day} (late conversions, settled spend)")
        before = _last_import(warehouse)
        sync_all(warehouse, data_dir, running, last_day, hours_later=6, say=say)
        changed = _days_restated_since(warehouse, before)
        say(
            f"second sync changed {len(changed)} day(s): {', '.join(map(str, changed))}"
        )
        report = build_report(
            settings, warehouse, _report_options(out / "reports", lang, currency)
        )
    return SyncDemoResult(first, report, data_dir, rows, day, changed)


def _fresh_workspace(exports_dir: Path, data_dir: Path, lang: str) -> Settings:
    for folder in (exports_dir, data_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    currency, cpa = REPORT_CURRENCY[lang]
    settings_text = DEMO_SETTINGS.format(currency=currency, cpa=cpa)
    (data_dir / CONFIG_FILE).write_text(settings_text, encoding="utf-8")
    return load_settings(data_dir)


def _report_options(folder: Path, lang: str, currency: str) -> ReportOptions:
    return ReportOptions(
        period="last-30-days",
        compare="previous",
        currency=currency,
        lang=lang,
        out_dir=folder,
    )


def _last_import(warehouse: Warehouse) -> int:
    return int(warehouse.rows("SELECT COALESCE(max(import_id), 0) FROM imports")[0][0])


def _days_restated_since(warehouse: Warehouse, import_id: int) -> list[date]:
    """Days whose rows a later import replaced (their old versions kept)."""
    found = warehouse.rows(
        "SELECT DISTINCT date FROM fact_history WHERE replaced_by_import > ? "
        "ORDER BY 1",
        [import_id],
    )
    return [day for (day,) in found]


@dataclass(frozen=True)
class Running:
    google: Served
    meta: Served


@contextmanager
def sandboxes(last_day: date) -> Iterator[Running]:
    """The Google Ads and Meta sandboxes, seeded from the demo world, on loopback."""
    from adreport.sources.google_ads import sandbox as google
    from adreport.sources.meta import sandbox as meta

    with (
        serve(google.build_app(last_day=last_day)) as google_served,
        serve(meta.build_app(last_day=last_day)) as meta_served,
    ):
        yield Running(google_served, meta_served)


def _connections(running: Running) -> list[Connection]:
    """Connections to the demo world's own accounts in each sandbox."""
    from adreport.sources.google_ads import sandbox as google
    from adreport.sources.meta import sandbox as meta

    google_settings, google_secrets = google.sandbox_connection(running.google.url)
    google_settings["customer_ids"] = GOOGLE.account_id.replace("-", "")
    meta_settings, meta_secrets = meta.sandbox_connection(running.meta.url)
    meta_settings["ad_account_ids"] = META.account_id
    return [
        Connection("google-ads", "google-ads", google_settings, google_secrets),
        Connection("meta", "meta", meta_settings, meta_secrets),
    ]


def sync_all(
    warehouse: Warehouse,
    data_dir: Path,
    running: Running,
    last_day: date,
    hours_later: int,
    say: Callable[[str], None],
) -> int:
    """Sync every demo connection as of the morning after `last_day`."""
    store = ConnectionStore(warehouse, SecretBox.for_data_dir(data_dir))
    clock = DemoClock(
        datetime.combine(last_day + timedelta(days=1), time(6), UTC)
        + timedelta(hours=hours_later)
    )
    rows = 0
    for connection in _connections(running):
        if connection.name not in store.names():
            store.save(connection)
        outcome = asyncio.run(
            sync_connection(store, connection.name, SyncOptions(), clock=clock)
        )
        run = outcome.run
        if run.status != FINISHED:
            raise ReportError(
                f"the demo sync of {connection.name} failed: {run.message}"
            )
        t = run.totals
        rows += t.rows_read
        say(
            f"synced {connection.name} from its sandbox "
            f"({running_url(running, connection)}): "
            f"{t.rows_read:,} rows read, {t.rows_written:,} written, "
            f"{t.rows_unchanged:,} unchanged"
        )
    return rows


def running_url(running: Running, connection: Connection) -> str:
    return (
        running.google.url if connection.platform == "google-ads" else running.meta.url
    )


def restate(running: Running, day: date) -> None:
    """Ask the Google Ads sandbox to restate `day` of the demo's account."""
    answer = httpx.post(
        f"{running.google.url}/__sandbox/restate",
        json={
            "account_id": GOOGLE.account_id.replace("-", ""),
            "date": day.isoformat(),
        },
        timeout=30,
    )
    answer.raise_for_status()


class DemoClock:
    """The demo's fixed 'now': the morning after its last day; waits are real."""

    def __init__(self, now: datetime):
        self.moment = now

    def now(self) -> datetime:
        return self.moment

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(min(seconds, 1.0))
