"""The demo, checked the way a sceptical reader would: against its own export files."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal

import pytest
from currency_converter import CurrencyConverter, RateNotFoundError

from adreport.demo.run import run_demo

LAST_DAY = date(2024, 6, 30)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return run_demo(out, "en", last_day=LAST_DAY, say=lambda _: None)


def _rows(path, skip_lines=0, encoding="utf-8-sig"):
    with path.open(encoding=encoding, newline="") as handle:
        for _ in range(skip_lines):
            next(handle)
        return list(csv.DictReader(handle))


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "")) if text.strip() else Decimal(0)


def _usd_per_krw(day: date, converter: CurrencyConverter) -> Decimal:
    for back in range(10):
        try:
            return Decimal(
                str(converter.convert(1, "KRW", "USD", date=day - timedelta(back)))
            )
        except RateNotFoundError:
            continue
    raise AssertionError(f"no rate near {day}")


def independent_spend_in_usd(exports, start: date, end: date) -> Decimal:
    google, meta, microsoft = exports
    converter = CurrencyConverter(decimal=True)
    total = Decimal(0)
    for row in _rows(google, skip_lines=2, encoding="utf-8"):
        if (
            not row["Day"].startswith("Total")
            and start <= date.fromisoformat(row["Day"]) <= end
        ):
            total += _amount(row["Cost"])
    for row in _rows(microsoft, skip_lines=7):
        if row.get("TimePeriod", "").startswith("©") or not row.get("Spend"):
            continue
        if start <= date.fromisoformat(row["TimePeriod"]) <= end:
            total += _amount(row["Spend"])
    for row in _rows(meta):
        day = date.fromisoformat(row["일"])
        if start <= day <= end:
            total += _amount(row["지출 금액 (KRW)"]) * _usd_per_krw(day, converter)
    return total


def test_every_export_row_is_imported(demo):
    counts = {r.format: (r.rows_read, r.rows_rejected) for r in demo.imports}

    assert counts["google-ads"] == (450, 0)
    assert counts["meta-ads-manager-ko"] == (3 * 90 * 15, 0)
    assert counts["microsoft-ads"] == (180, 0)


def test_the_report_spend_matches_an_independent_sum_of_the_exports(demo):
    period = demo.report.period
    expected = independent_spend_in_usd(demo.exports, period.start, period.end)

    html = demo.report.html.read_text(encoding="utf-8")

    assert (period.start, period.end) == (date(2024, 6, 1), LAST_DAY)
    assert f"${expected.quantize(Decimal('0.01')):,}" in html


def test_the_report_files_are_written(demo):
    assert demo.report.pdf.stat().st_size > 10_000
    assert demo.report.pdf.read_bytes().startswith(b"%PDF")
    assert "<svg" in demo.report.html.read_text(encoding="utf-8")


def test_the_demo_is_deterministic(tmp_path, demo):
    again = run_demo(tmp_path, "en", last_day=LAST_DAY, say=lambda _: None)

    for first, second in zip(demo.exports, again.exports, strict=True):
        assert first.read_bytes() == second.read_bytes()
