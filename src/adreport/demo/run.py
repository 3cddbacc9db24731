"""`adreport demo`: write sample exports, import them, and report, like a user would."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from adreport.config import CONFIG_FILE, load_settings
from adreport.demo.exports import write_google_ads, write_meta_korean, write_microsoft
from adreport.demo.world import CAMPAIGNS, simulate
from adreport.ingest.importer import ImportOptions, ImportResult, import_file
from adreport.reports.build import ReportFiles, ReportOptions, build_report
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
