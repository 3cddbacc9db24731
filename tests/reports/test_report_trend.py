"""The spend and ROAS chart, read the way a reader reads it: bars, ticks, labels."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from adreport.ingest.importer import ImportOptions, import_file
from adreport.warehouse import Warehouse
from tests.reports.conftest import (
    LEAN_MADE_AT,
    LONG,
    NO_REVENUE,
    World,
    axis_labels,
    bars,
    chart_svg,
)

WEEKS = (date(2021, 10, 1), date(2022, 12, 31))
TITLE = r'data-chart="trend">\s*<figcaption class="chart-title">([^<]*)<'


def build(world, folder, start, end, **options):
    options = {"compare": "none", "now": LEAN_MADE_AT, **options}
    files = world.build(folder, start=start, end=end, **options)
    return files.html.read_text(encoding="utf-8")


def trend_title(html: str) -> str:
    found = re.search(TITLE, html)
    assert found, "no trend chart"
    return found[1]


@pytest.fixture(scope="module")
def weekly(lean, tmp_path_factory):
    return build(lean, tmp_path_factory.mktemp("weekly"), *WEEKS)


@pytest.fixture(scope="module")
def monthly(lean, tmp_path_factory):
    return build(lean, tmp_path_factory.mktemp("monthly"), *LONG)


def _week(day: date) -> date:
    return day - timedelta(days=day.weekday())


def test_the_time_unit_follows_the_period_length(lean, tmp_path, weekly, monthly):
    quarter = build(lean, tmp_path / "q", date(2022, 10, 1), date(2022, 12, 31))
    longer = build(lean, tmp_path / "l", date(2022, 10, 1), date(2023, 1, 1))
    weeks = {_week(WEEKS[0] + timedelta(n)) for n in range(457)}

    assert trend_title(quarter) == "Spend and ROAS by day"
    assert len(bars(chart_svg(quarter, "trend"))) == 92
    assert trend_title(longer) == "Spend and ROAS by week"
    assert trend_title(weekly) == "Spend and ROAS by week"
    assert len(bars(chart_svg(weekly, "trend"))) == len(weeks) == 66
    assert trend_title(monthly) == "Spend and ROAS by month"
    assert len(bars(chart_svg(monthly, "trend"))) == 29


def test_axis_labels_carry_the_year_when_the_period_crosses_years(
    lean, tmp_path, weekly, monthly
):
    korean = build(lean, tmp_path, *LONG, lang="ko")
    within_a_year = build(lean, tmp_path / "y", date(2022, 3, 1), date(2022, 3, 31))

    week_labels = axis_labels(chart_svg(weekly, "trend"), "X-axis")
    assert week_labels[0] == "Oct 1, 2021"
    assert all(label[-6:] in (", 2021", ", 2022") for label in week_labels)
    month_labels = axis_labels(chart_svg(monthly, "trend"), "X-axis")
    assert month_labels[0] == "Jan 2021"
    assert "May 2023" in month_labels
    korean_labels = axis_labels(chart_svg(korean, "trend"), "X-axis")
    assert korean_labels[0] == "2021년 1월"
    assert trend_title(korean) == "월별 광고비와 ROAS"
    assert axis_labels(chart_svg(within_a_year, "trend"), "X-axis")[0] == "Mar 1"


def test_each_week_shows_the_ratio_of_its_own_sums(lean, weekly):
    by_week: dict[date, list[Decimal]] = {}
    for row in lean.between(*WEEKS):
        sums = by_week.setdefault(_week(row["date"]), [Decimal(0), Decimal(0)])
        sums[0] += row["spend"]
        sums[1] += row["revenue"]
    said = {
        p.get("aria-label").split(":")[0].split(" – ")[0]: p.get("aria-label")
        for p in bars(chart_svg(weekly, "trend"))
    }

    for week, (spend, revenue) in by_week.items():
        first = max(week, WEEKS[0])
        roas = (revenue / spend).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
        label = said[f"{first:%b} {first.day}, {first.year}"]
        assert f"Spend ${spend:,.2f}, ROAS {roas}x" in label, label


def test_a_month_with_a_provisional_day_is_drawn_lighter(lean, monthly):
    drawn = bars(chart_svg(monthly, "trend"))
    provisional_months = {
        r["date"].replace(day=1)
        for r in lean.between(*LONG)
        if lean.provisional(r["date"])
    }

    assert provisional_months == {date(2023, 5, 1)}
    assert [b.get("opacity") for b in drawn] == ["0.9"] * 28 + ["0.45"]
    assert drawn[-1].get("aria-label").endswith("(provisional)")
    assert (
        "Lighter bars: months with provisional days the platforms may still restate"
        in monthly
    )


def test_roas_ticks_say_what_a_small_roas_is(weekly):
    ticks = axis_labels(chart_svg(weekly, "trend"), "ROAS")

    assert len(ticks) >= 3
    assert len(set(ticks)) == len(ticks), ticks
    assert all(t.endswith("x") for t in ticks), ticks
    assert "0.0" not in ticks
    assert any(t.startswith("0.0") and t != "0x" for t in ticks), ticks


def test_without_revenue_no_roas_axis_or_line_is_drawn(lean, tmp_path):
    html = build(lean, tmp_path, *NO_REVENUE)
    svg = chart_svg(html, "trend")

    assert axis_labels(svg, "ROAS") == []
    assert not [g for g in svg.iter() if "mark-line" in g.get("class", "")]
    assert len(bars(svg)) == 7
    assert (
        '<p class="chart-subtitle">ROAS n/a: no account reports revenue in this '
        "period.</p>" in html
    )


def test_real_exports_without_revenue_over_a_day_range_and_eight_years(
    tmp_path, shared_data
):
    """The A/B bidding test (USD) and the KAG ads (EUR, one day), as a user ran them."""
    world = World(tmp_path / "data")
    world.data_dir.mkdir()
    with Warehouse(world.settings.warehouse_path) as warehouse:
        import_file(
            warehouse,
            shared_data / "kaggle_ab_test_bidding" / "test_group.csv",
            ImportOptions(account="ab"),
        )
        import_file(
            warehouse,
            shared_data / "kaggle_kag_conversion" / "KAG_conversion_data.csv",
            ImportOptions(account="kag", currency="EUR", day=date(2017, 8, 20)),
        )
    days = build(world, tmp_path / "en", date(2019, 8, 16), None, compare="year")
    years = build(
        world,
        tmp_path / "ko",
        date(2017, 1, 1),
        date(2024, 12, 31),
        lang="ko",
        currency="USD",
    )

    assert axis_labels(chart_svg(days, "trend"), "ROAS") == []
    assert "ROAS n/a: no account reports revenue in this period." in days
    assert len(bars(chart_svg(days, "trend"))) == 15
    assert axis_labels(chart_svg(years, "trend"), "ROAS") == []
    assert "ROAS 해당 없음: 이 기간에 매출을 제공하는 계정이 없습니다." in years
    assert axis_labels(chart_svg(years, "trend"), "X-axis")[0] == "2017년 1월"
    assert len(bars(chart_svg(years, "trend"))) == 96
