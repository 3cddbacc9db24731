"""Words of the report in English and Korean, and dates as each reader writes them.

Numbers are formatted by `formatting.py`; metric and dimension names come from the
metric registry and the dimension table, so a label is defined once.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from adreport.errors import ConfigurationError
from adreport.reports.formatting import LOCALES

LANGUAGES = ("en", "ko")

TEXT: dict[str, tuple[str, str]] = {
    "report_title": ("Campaign performance report", "캠페인 성과 보고서"),
    "period": ("Period", "기간"),
    "compared_with": ("Compared with", "비교 기간"),
    "no_comparison": ("No comparison", "비교 없음"),
    "currency": ("Currency", "통화"),
    "generated": ("Generated", "작성일"),
    "days": ("{n} days", "{n}일"),
    "summary": ("Summary", "요약"),
    "vs_previous": ("vs {period}", "{period} 대비"),
    "previous_value": ("was {value}", "이전 {value}"),
    "target": ("Target {value}", "목표 {value}"),
    "target_met": ("on target", "목표 달성"),
    "target_missed": ("off target", "목표 미달"),
    "trend": ("Spend and ROAS by day", "일별 광고비와 ROAS"),
    "provisional_legend": (
        "Lighter bars: provisional days the platforms may still restate",
        "옅은 막대: 매체가 아직 수정할 수 있는 잠정 집계일",
    ),
    "by_channel": ("Spend by channel", "채널별 광고비"),
    "by_campaign_type": ("Spend by campaign type", "캠페인 유형별 광고비"),
    "share_platform": ("Share of spend by platform", "매체별 광고비 비중"),
    "share_channel": ("Share of spend by channel", "채널별 광고비 비중"),
    "audience": ("Audience", "오디언스"),
    "audience_by": ("Spend by {dimension}", "{dimension}별 광고비"),
    "no_audience": (
        "No account reports an age, gender or device breakdown for this period.",
        "이 기간에 연령, 성별, 기기별 데이터를 제공하는 계정이 없습니다.",
    ),
    "breakdowns": ("Where the money went", "광고비 배분"),
    "campaigns": ("Campaigns", "캠페인"),
    "campaign": ("Campaign", "캠페인"),
    "top_campaigns": ("Top campaigns by ROAS", "ROAS 상위 캠페인"),
    "bottom_campaigns": ("Bottom campaigns by ROAS", "ROAS 하위 캠페인"),
    "all_campaigns": ("Campaigns ranked by ROAS", "ROAS 순 캠페인"),
    "no_campaigns": (
        "No campaign has both spend and revenue in this period, so none can be "
        "ranked by ROAS.",
        "이 기간에 광고비와 매출이 모두 있는 캠페인이 없어 "
        "ROAS 순위를 매길 수 없습니다.",
    ),
    "unranked_campaigns": (
        "{n} campaign(s) without a ROAS (no spend or no revenue data) are not ranked.",
        "ROAS가 없는 캠페인 {n}개(광고비 또는 매출 데이터 없음)는 "
        "순위에서 제외했습니다.",
    ),
    "rank": ("#", "순위"),
    "notes": ("What to know about these numbers", "수치를 읽기 전에 알아 둘 점"),
    "no_notes": (
        "Nothing to flag for this period.",
        "이 기간에 특별히 알릴 사항이 없습니다.",
    ),
    "no_data": ("No data for this period", "이 기간의 데이터가 없습니다"),
    "page": ("Page", "페이지"),
    "spend_axis": ("Spend", "광고비"),
    "roas_axis": ("ROAS", "ROAS"),
    "share_value": ("{share} of spend", "광고비의 {share}"),
}

PERIOD_NAMES: dict[str, tuple[str, str]] = {
    "last-7-days": ("Last 7 days", "최근 7일"),
    "last-14-days": ("Last 14 days", "최근 14일"),
    "last-28-days": ("Last 28 days", "최근 28일"),
    "last-30-days": ("Last 30 days", "최근 30일"),
    "last-90-days": ("Last 90 days", "최근 90일"),
    "this-week": ("This week", "이번 주"),
    "last-week": ("Last week", "지난주"),
    "this-month": ("This month", "이번 달"),
    "last-month": ("Last month", "지난달"),
    "this-quarter": ("This quarter", "이번 분기"),
    "last-quarter": ("Last quarter", "지난 분기"),
    "this-year": ("This year", "올해"),
    "last-year": ("Last year", "작년"),
    "custom": ("Custom period", "사용자 지정 기간"),
    "previous": ("previous period", "이전 기간"),
    "previous-week": ("previous week", "전주"),
    "previous-month": ("previous month", "전월"),
    "previous-quarter": ("previous quarter", "전 분기"),
    "previous-year": ("previous year", "전년"),
    "previous-week-to-date": ("same days of the previous week", "전주 같은 요일"),
    "previous-month-to-date": ("same days of the previous month", "전월 같은 기간"),
    "previous-quarter-to-date": (
        "same days of the previous quarter",
        "전 분기 같은 기간",
    ),
    "previous-year-to-date": ("same days of the previous year", "전년 같은 기간"),
    "year": ("same period last year", "전년 동기"),
}

VALUE_NAMES: dict[str, tuple[str, str]] = {
    "search": ("Search", "검색"),
    "social": ("Social", "소셜"),
    "display": ("Display", "디스플레이"),
    "video": ("Video", "동영상"),
    "shopping": ("Shopping", "쇼핑"),
    "performance_max": ("Performance Max", "실적 최대화"),
    "app": ("App", "앱"),
    "unknown": ("Not set", "미지정"),
    "": ("Not set", "미지정"),
    "google-ads": ("Google Ads", "Google Ads"),
    "meta": ("Meta", "Meta"),
    "microsoft-ads": ("Microsoft Advertising", "Microsoft Advertising"),
    "linkedin": ("LinkedIn", "LinkedIn"),
    "tiktok": ("TikTok", "TikTok"),
    "reddit": ("Reddit", "Reddit"),
    "naver-searchad": ("Naver Search Ad", "네이버 검색광고"),
    "kakao-moment": ("Kakao Moment", "카카오모먼트"),
    "other": ("Other", "기타"),
    "female": ("Female", "여성"),
    "male": ("Male", "남성"),
    "여성": ("Female", "여성"),
    "남성": ("Male", "남성"),
    "알 수 없음": ("Unknown", "알 수 없음"),
    "mobile": ("Mobile", "모바일"),
    "desktop": ("Desktop", "데스크톱"),
    "tablet": ("Tablet", "태블릿"),
}


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ConfigurationError(
            f"report language {lang!r} is not available; use one of "
            f"{', '.join(LANGUAGES)}"
        )
    return lang


def text(key: str, lang: str, **params: object) -> str:
    english, korean = TEXT[key]
    return (korean if lang == "ko" else english).format(**params)


def period_name(key: str, lang: str) -> str:
    english, korean = PERIOD_NAMES.get(key, (key, key))
    return korean if lang == "ko" else english


def value_name(value: object, lang: str) -> str:
    """A dimension value as the reader calls it; unknown values are shown as given."""
    shown = "" if value is None else str(value)
    known = VALUE_NAMES.get(shown.strip().lower())
    if known is None:
        return shown
    return known[1] if lang == "ko" else known[0]


def day(value: date, lang: str) -> str:
    return format_date(value, "medium", locale=LOCALES.get(lang, "en_US"))


def day_range(start: date, end: date, lang: str) -> str:
    if start == end:
        return day(start, lang)
    joiner = " ~ " if lang == "ko" else " – "
    return f"{day(start, lang)}{joiner}{day(end, lang)}"
