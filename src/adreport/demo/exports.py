"""Writing the simulated world as each platform's own export file.

The files are laid out as the platforms' web interfaces write them (title and
date-range lines, totals rows, header blocks, copyright footers, quoted thousands,
percent strings), so the demo goes through exactly the import path a user's files do.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

from adreport.demo.world import Day

KOREAN_GENDER = {"female": "여성", "male": "남성", "unknown": "알 수 없음"}


def write_google_ads(rows: list[Day], folder: Path) -> Path:
    """Campaign report with the Day segment, as the Google Ads web UI downloads it."""
    first, last = _span(rows)
    path = folder / "google-ads-campaign-report.csv"
    header = [
        "Day",
        "Account",
        "Customer ID",
        "Campaign",
        "Campaign ID",
        "Campaign type",
        "Campaign status",
        "Currency code",
        "Impr.",
        "Clicks",
        "CTR",
        "Avg. CPC",
        "Cost",
        "Conversions",
        "Conv. value",
        "Search impr. share",
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write("Campaign report\n")
        handle.write(f'"{_us_day(first)} - {_us_day(last)}"\n')
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            campaign = row.campaign
            writer.writerow(
                [
                    row.day.isoformat(),
                    campaign.account.name,
                    campaign.account.account_id,
                    campaign.name,
                    campaign.campaign_id,
                    campaign.campaign_type,
                    "Enabled",
                    campaign.account.currency,
                    f"{row.impressions:,}",
                    f"{row.clicks:,}",
                    _percent(row.clicks, row.impressions),
                    _ratio(row.spend, row.clicks),
                    f"{row.spend:,.2f}",
                    f"{row.conversions:.2f}",
                    f"{row.revenue:,.2f}",
                    _impression_share(campaign.campaign_type, row.day),
                ]
            )
        writer.writerows(_google_totals(rows, len(header)))
    return path


def _google_totals(rows: list[Day], width: int) -> Iterable[list[str]]:
    spend = sum((r.spend for r in rows), Decimal(0))
    clicks = sum(r.clicks for r in rows)
    impressions = sum(r.impressions for r in rows)
    for label in ("Total: Account", "Total: Search", "Total: Shopping"):
        yield [
            label,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            f"{impressions:,}",
            f"{clicks:,}",
            _percent(clicks, impressions),
            _ratio(spend, clicks),
            f"{spend:,.2f}",
            "",
            "",
            " --",
        ][:width]


def write_meta_korean(rows: list[Day], folder: Path) -> Path:
    """Ads Manager export from the Korean interface, by day, age and gender."""
    first, last = _span(rows)
    path = folder / "meta-ads-manager-ko.csv"
    currency = rows[0].campaign.account.currency
    header = [
        "보고 시작",
        "보고 종료",
        "일",
        "계정 이름",
        "계정 ID",
        "캠페인 이름",
        "캠페인 ID",
        "연령",
        "성별",
        "노출",
        "도달",
        "링크 클릭",
        f"지출 금액 ({currency})",
        "결과",
        "결과 표시 도구",
        "구매",
        "구매 전환값",
        "기여 설정",
    ]
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            campaign = row.campaign
            writer.writerow(
                [
                    first.isoformat(),
                    last.isoformat(),
                    row.day.isoformat(),
                    campaign.account.name,
                    campaign.account.account_id.removeprefix("act_"),
                    campaign.name,
                    campaign.campaign_id,
                    row.age,
                    KOREAN_GENDER[row.gender],
                    row.impressions,
                    row.reach,
                    row.clicks or "",
                    f"{row.spend:.0f}",
                    row.conversions or "",
                    "actions:offsite_conversion.fb_pixel_purchase"
                    if row.conversions
                    else "",
                    row.conversions or "",
                    f"{row.revenue:.0f}" if row.conversions else "",
                    "7일 클릭 또는 1일 조회",
                ]
            )
    return path


def write_microsoft(rows: list[Day], folder: Path) -> Path:
    """A daily campaign performance report as the Reporting API downloads it."""
    first, last = _span(rows)
    path = folder / "microsoft-ads-campaign-performance.csv"
    header = [
        "TimePeriod",
        "AccountName",
        "AccountId",
        "CampaignName",
        "CampaignId",
        "CampaignType",
        "CurrencyCode",
        "Impressions",
        "Clicks",
        "Ctr",
        "AverageCpc",
        "Spend",
        "Conversions",
        "Revenue",
    ]
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(["Report Name: Campaign Performance"])
        writer.writerow([f"Report Time: {last:%m/%d/%Y}"])
        writer.writerow(["Time Zone: (GMT-08:00) Pacific Time (US & Canada); Tijuana"])
        writer.writerow([f"Last Completed Available Day: {last:%m/%d/%Y} 11:59:59 PM"])
        writer.writerow(["Potential Incomplete Data: false"])
        writer.writerow([f"Rows: {len(rows)}"])
        handle.write("\n")
        writer.writerow(header)
        for row in rows:
            campaign = row.campaign
            writer.writerow(
                [
                    row.day.isoformat(),
                    campaign.account.name,
                    campaign.account.account_id,
                    campaign.name,
                    campaign.campaign_id,
                    "Search & content",
                    campaign.account.currency,
                    row.impressions,
                    row.clicks,
                    _percent(row.clicks, row.impressions),
                    _ratio(row.spend, row.clicks),
                    f"{row.spend:.2f}",
                    row.conversions,
                    f"{row.revenue:.2f}",
                ]
            )
        handle.write("\n")
        writer.writerow([f"©{first.year} Microsoft Corporation. All rights reserved. "])
    return path


def _span(rows: list[Day]) -> tuple[date, date]:
    days = [r.day for r in rows]
    return min(days), max(days)


def _us_day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _percent(part: int, whole: int) -> str:
    return f"{part / whole:.2%}" if whole else " --"


def _ratio(amount: Decimal, count: int) -> str:
    return f"{amount / count:,.2f}" if count else " --"


def _impression_share(campaign_type: str, day: date) -> str:
    if campaign_type != "Search":
        return " --"
    return "< 10%" if day.day % 9 == 0 else f"{42 + day.day % 37:.2f}%"
