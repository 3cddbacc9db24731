"""The campaigns page and the breakdowns of reports without revenue or campaigns."""

from __future__ import annotations

import html as html_lib
import re
from decimal import Decimal

import pytest

from tests.reports.conftest import (
    LEAN_MADE_AT,
    NO_CONVERSIONS,
    NO_REVENUE,
    axis_labels,
    chart_svg,
)


def build(world, folder, start, end, **options):
    options = {"compare": "none", "now": LEAN_MADE_AT, **options}
    files = world.build(folder, start=start, end=end, **options)
    return files.html.read_text(encoding="utf-8")


def campaign_tables(html: str) -> list[tuple[str, list[str]]]:
    section = re.search(r'<section class="campaigns">(.*?)</section>', html, re.S)
    assert section, "no campaigns section"
    return [
        (
            html_lib.unescape(title),
            [html_lib.unescape(n) for n in re.findall(r'"campaign-name">([^<]*)<', b)],
        )
        for title, b in re.findall(
            r"<h3>([^<]*)</h3>\s*(<table.*?</table>)", section[1], re.S
        )
    ]


def by_campaign(rows, *measures):
    found: dict[str, list[Decimal]] = {}
    for row in rows:
        sums = found.setdefault(row["campaign_name"], [Decimal(0)] * len(measures))
        for n, measure in enumerate(measures):
            sums[n] += Decimal(str(row.get(measure) or 0))
    return found


@pytest.fixture(scope="module")
def without_revenue(lean, tmp_path_factory):
    return build(lean, tmp_path_factory.mktemp("without-revenue"), *NO_REVENUE)


def test_without_revenue_campaigns_are_ranked_by_cpa_lowest_first(
    lean, without_revenue
):
    sums = by_campaign(lean.between(*NO_REVENUE), "spend", "conversions")
    with_cpa = {name: s / c for name, (s, c) in sums.items() if c}
    expected = sorted(with_cpa, key=with_cpa.get)

    [(title, names)] = campaign_tables(without_revenue)
    assert title == "Campaigns ranked by CPA (lower is better)"
    assert names == [n or "(no campaign)" for n in expected]
    assert "Display | Retarget" not in names  # 0 conversions: no CPA
    assert (
        "1 campaign(s) without a CPA (no spend or no conversions) are not ranked"
        in (without_revenue)
    )
    assert '<th class="num">CPA</th>' in without_revenue


def test_without_conversions_campaigns_are_ranked_by_ctr(lean, tmp_path):
    html = build(lean, tmp_path, *NO_CONVERSIONS)
    sums = by_campaign(lean.between(*NO_CONVERSIONS), "clicks", "impressions")
    expected = sorted(sums, key=lambda n: sums[n][0] / sums[n][1], reverse=True)

    [(title, names)] = campaign_tables(html)
    assert title == "Campaigns ranked by CTR"
    assert names == expected
    assert '<th class="num">CTR</th>' in html


def test_rows_without_a_campaign_are_labelled_so(lean, without_revenue, tmp_path):
    korean = build(lean, tmp_path, *NO_REVENUE, lang="ko")

    [(_, names)] = campaign_tables(without_revenue)
    assert "(no campaign)" in names
    [(title, korean_names)] = campaign_tables(korean)
    assert title == "CPA 순 캠페인(낮을수록 좋음)"
    assert "(캠페인 없음)" in korean_names


def test_campaign_types_have_korean_names(lean, without_revenue, tmp_path):
    korean = build(lean, tmp_path, *NO_REVENUE, lang="ko")

    assert axis_labels(chart_svg(without_revenue, "campaign_type"), "Y-axis") == [
        "Not set",
        "Search & content",
        "Search",
        "Display",
        "Performance Max",
    ]
    assert axis_labels(chart_svg(korean, "campaign_type"), "Y-axis") == [
        "미지정",
        "검색 및 콘텐츠",
        "검색",
        "디스플레이",
        "실적 최대화",
    ]


def test_the_cover_names_the_report_once_without_a_client(without_revenue):
    cover = re.search(r'<section class="cover">(.*?)</section>', without_revenue, re.S)[
        1
    ]

    assert cover.count("Campaign performance report") == 1
    assert '<h1 class="cover-client">Campaign performance report</h1>' in cover
    assert "cover-kicker" not in cover


def test_the_cover_shows_the_client_under_the_report_title(html_a):
    cover = re.search(r'<section class="cover">(.*?)</section>', html_a, re.S)[1]

    assert '<p class="cover-kicker">Campaign performance report</p>' in cover
    assert '<h1 class="cover-client">&lt;b&gt;Acme&lt;/b&gt; &amp; Co</h1>' in cover
