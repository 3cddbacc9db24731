"""The HTML report, read the way a client would: values, n/a, names, charts, notes."""

from __future__ import annotations

import html as html_lib
import re
from decimal import ROUND_HALF_EVEN, Decimal

from tests.reports.conftest import (
    BEFORE_A,
    IMG_NAME,
    MADE_AT,
    MARGIN,
    PERIOD_A,
    PERIOD_B,
    SCRIPT_NAME,
    TEMPLATE_NAME,
    tile_value,
)

CENT = Decimal("0.01")


def totals(rows):
    return {
        k: sum((Decimal(str(r[k])) for r in rows if r.get(k) is not None), Decimal(0))
        for k in ("impressions", "clicks", "spend", "conversions", "revenue")
    }


def money(value: Decimal) -> str:
    return f"${value.quantize(CENT, ROUND_HALF_EVEN):,}"


def percent(value: Decimal) -> str:
    return f"{(value * 100).quantize(CENT, ROUND_HALF_EVEN):,}%"


def test_kpi_tiles_match_the_raw_rows(world, html_a):
    s = totals(world.between(*PERIOD_A))

    assert tile_value(html_a, "spend") == money(s["spend"])
    assert tile_value(html_a, "revenue") == money(s["revenue"])
    assert tile_value(html_a, "conversions") == f"{int(s['conversions']):,}"
    roas = (s["revenue"] / s["spend"]).quantize(CENT, ROUND_HALF_EVEN)
    assert tile_value(html_a, "roas") == f"{roas}x"
    assert tile_value(html_a, "roi") == percent(
        (s["revenue"] * MARGIN - s["spend"]) / s["spend"]
    )
    assert tile_value(html_a, "ctr") == percent(s["clicks"] / s["impressions"])
    assert tile_value(html_a, "cpc") == money(s["spend"] / s["clicks"])
    assert tile_value(html_a, "cpa") == money(s["spend"] / s["conversions"])


def test_change_against_the_week_before_is_computed_from_both_weeks(world, html_a):
    now = totals(world.between(*PERIOD_A))["spend"]
    before = totals(world.between(*BEFORE_A))["spend"]
    change = ((now - before) / before * 100).quantize(Decimal("0.1"), ROUND_HALF_EVEN)
    tile = re.search(r'data-metric="spend">(.*?)</div>\s*</div>', html_a, re.S)[1]

    assert f"+{change}%" in tile
    assert f"was {money(before)}" in tile
    assert "Feb 23, 2024 – Feb 29, 2024 (previous period)" in html_a


def test_targets_are_shown_with_whether_they_are_met(world, html_a):
    s = totals(world.between(*PERIOD_A))
    roas_met = s["revenue"] / s["spend"] >= 4
    cpa_met = s["spend"] / s["conversions"] <= 10
    roas_tile = re.search(r'data-metric="roas">(.*?)</div>\s*</div>', html_a, re.S)[1]
    cpa_tile = re.search(r'data-metric="cpa">(.*?)</div>\s*</div>', html_a, re.S)[1]

    assert "Target 4.00x" in roas_tile
    assert ("on target" if roas_met else "off target") in roas_tile
    assert "Target $10.00" in cpa_tile
    assert ("on target" if cpa_met else "off target") in cpa_tile


def test_null_metrics_show_na_never_zero_and_the_notes_say_why(world, tmp_path):
    files = world.build(
        tmp_path, start=PERIOD_B[0], end=PERIOD_B[1], compare="none", now=MADE_AT
    )
    page = files.html.read_text(encoding="utf-8")
    spend = totals(world.between(*PERIOD_B))["spend"]

    assert tile_value(page, "spend") == money(spend)
    assert tile_value(page, "conversions") == "0"
    for metric in ("revenue", "roas", "roi", "cpa"):
        assert tile_value(page, metric) == "n/a", metric
    assert (
        "Revenue, ROAS and ROI are n/a: no account reports revenue in this period."
        in page
    )
    assert "CPA is n/a: total conversions is 0." in page
    assert "ROI counts" not in page  # ROI is n/a: how it counts revenue is moot


def test_hostile_names_are_text_and_the_page_loads_nothing(html_a):
    shown = html_lib.unescape(html_a)
    for name in (SCRIPT_NAME, IMG_NAME, "<b>Acme</b> & Co"):
        assert name not in html_a
        assert name in shown
    assert "<script" not in html_a.lower()
    assert "<img" not in html_a.lower()
    assert "<link" not in html_a.lower()
    assert TEMPLATE_NAME in html_a  # a template-looking name is not evaluated
    assert "49 brand" not in html_a
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", html_a)
    assert re.findall(r"url\(([^)]*)\)", html_a)  # the charts' own clip paths
    assert all(ref.startswith("#") for ref in re.findall(r"url\(([^)]*)\)", html_a))


def test_every_chart_is_an_inline_svg_that_draws_its_data(html_a):
    charts = dict(
        re.findall(
            r'<figure class="chart[^"]*" data-chart="([^"]+)">(.*?)</figure>',
            html_a,
            re.S,
        )
    )

    assert set(charts) == {
        "trend",
        "share",
        "channel",
        "campaign_type",
        "audience_age",
        "audience_gender",
    }
    for name, body in charts.items():
        assert "<svg" in body, name
        assert "No data for this period" not in body, name
    assert "mark-rect" in charts["trend"]
    assert "mark-line" in charts["trend"]
    assert "mark-arc" in charts["share"]
    for name in ("channel", "campaign_type", "audience_age", "audience_gender"):
        assert "mark-rect" in charts[name], name
        assert "mark-text" in charts[name], name
    assert "Google Ads" in charts["share"]
    assert "Meta" in charts["share"]
    assert "18-24" in charts["audience_age"]


def test_a_period_without_data_shows_it_in_every_chart(world, tmp_path):
    files = world.build(
        tmp_path,
        start=PERIOD_A[0].replace(year=2023),
        end=PERIOD_A[1].replace(year=2023),
        compare="none",
        now=MADE_AT,
    )
    page = files.html.read_text(encoding="utf-8")
    charts = re.findall(r'data-chart="([^"]+)">(.*?)</figure>', page, re.S)

    assert len(charts) == 5
    for name, body in charts:
        assert "<svg" in body, name
        assert "<text" in body, name
        assert (
            "No data for this period" in body
            or "No account reports an age, gender or device breakdown" in body
        ), name
    assert tile_value(page, "spend") == "n/a"
    assert "No account has data for Mar 1, 2023 – Mar 7, 2023" in page


def test_campaigns_are_ranked_by_roas_best_and_worst_five(world, html_a):
    by_campaign = {}
    for row in world.between(*PERIOD_A):
        entry = by_campaign.setdefault(row["campaign_name"], [Decimal(0), Decimal(0)])
        entry[0] += row["spend"]
        entry[1] += row["revenue"]
    ranked = sorted(by_campaign, key=lambda n: by_campaign[n][1] / by_campaign[n][0])
    tables = re.findall(r"<h3>([^<]+)</h3>\s*<table.*?</table>", html_a, re.S)
    bodies = re.findall(r"<h3>[^<]+</h3>\s*(<table.*?</table>)", html_a, re.S)
    names = [
        [html_lib.unescape(n) for n in re.findall(r'"campaign-name">([^<]*)<', b)]
        for b in bodies
    ]

    assert tables == ["Top campaigns by ROAS", "Bottom campaigns by ROAS"]
    assert names[0] == list(reversed(ranked[-5:]))
    assert names[1] == ranked[:5]


def test_notes_say_what_the_reader_must_know(world, html_a):
    notes = html_lib.unescape(
        re.search(r'<section class="notes">(.*?)</section>', html_a, re.S)[1]
    )

    assert "Provisional days: Mar 5, 2024 – Mar 7, 2024." in notes
    assert "Mar 7, 2024 was not over yet in America/New_York (UTC−05:00) " in notes
    assert "Asia/Seoul (UTC+09:00) when" not in notes
    assert "1 row(s) of late.csv were rejected at import" in notes
    assert (
        "different time zones (America/New_York (UTC−05:00), Asia/Seoul (UTC+09:00))"
        in notes
    )
    assert (
        "Meta account Acme Social (222) has no rows that can be split by age or "
        "gender" in notes
    )
    assert "ROI counts 40% of revenue as gross profit" in notes
    assert "converted" not in notes  # one currency: nothing was converted


def test_last_month_is_compared_with_the_whole_month_before(world, tmp_path):
    files = world.build(tmp_path, period="last-month", currency="USD", now=MADE_AT)
    page = files.html.read_text(encoding="utf-8")

    assert (files.period.start.isoformat(), files.period.end.isoformat()) == (
        "2024-02-01",
        "2024-02-29",
    )
    assert "Jan 1, 2024 – Jan 31, 2024 (previous month)" in page
