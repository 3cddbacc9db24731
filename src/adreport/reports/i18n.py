"""Words of the report in English and Korean, and dates as each reader writes them.

Numbers are formatted by `formatting.py`; metric and dimension names come from the
metric registry and the dimension table, so a label is defined once. Korean
sentences take the particle that fits the word before it (매출은, 광고비는): a
template writes `{metric:은}` and gets 은 or 는 (or 은(는) when the word's last sound
cannot be told from its spelling).
"""

from __future__ import annotations

import re
import string
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    "trend_date": ("Spend and ROAS by day", "일별 광고비와 ROAS"),
    "trend_week": ("Spend and ROAS by week", "주별 광고비와 ROAS"),
    "trend_month": ("Spend and ROAS by month", "월별 광고비와 ROAS"),
    "weeks_explained": (
        "Weeks run Monday to Sunday; a week cut by the period is dated by its first "
        "day in the period.",
        "주는 월요일부터 일요일까지이며, 기간 경계에 걸린 주는 기간 안의 첫날로 "
        "표시했습니다.",
    ),
    "roas_no_revenue": (
        "ROAS n/a: no account reports revenue in this period.",
        "ROAS 해당 없음: 이 기간에 매출을 제공하는 계정이 없습니다.",
    ),
    "roas_no_overlap_date": (
        "ROAS n/a: no day has both spend and revenue.",
        "ROAS 해당 없음: 광고비와 매출이 함께 있는 날이 없습니다.",
    ),
    "roas_no_overlap_week": (
        "ROAS n/a: no week has both spend and revenue.",
        "ROAS 해당 없음: 광고비와 매출이 함께 있는 주가 없습니다.",
    ),
    "roas_no_overlap_month": (
        "ROAS n/a: no month has both spend and revenue.",
        "ROAS 해당 없음: 광고비와 매출이 함께 있는 달이 없습니다.",
    ),
    "provisional_legend_date": (
        "Lighter bars: provisional days the platforms may still restate",
        "옅은 막대: 매체가 아직 수정할 수 있는 잠정 집계일",
    ),
    "provisional_legend_week": (
        "Lighter bars: weeks with provisional days the platforms may still restate",
        "옅은 막대: 매체가 아직 수정할 수 있는 잠정 집계일이 포함된 주",
    ),
    "provisional_legend_month": (
        "Lighter bars: months with provisional days the platforms may still restate",
        "옅은 막대: 매체가 아직 수정할 수 있는 잠정 집계일이 포함된 달",
    ),
    "provisional_point": ("provisional", "잠정"),
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
    "top_campaigns": ("Top campaigns by {metric}", "{metric} 상위 캠페인"),
    "bottom_campaigns": ("Bottom campaigns by {metric}", "{metric} 하위 캠페인"),
    "all_campaigns": ("Campaigns ranked by {metric}", "{metric} 순 캠페인"),
    "lower_is_better": (" (lower is better)", "(낮을수록 좋음)"),
    "no_campaigns": (
        "No campaign has a ROAS, a CPA or a CTR in this period, so none can be ranked.",
        "이 기간에 ROAS, CPA, CTR 중 어느 것도 계산되는 캠페인이 없어 순위를 매길 수 "
        "없습니다.",
    ),
    "unranked_roas": (
        "{n} campaign(s) without a ROAS (no spend or no revenue data) are not ranked.",
        "ROAS가 없는 캠페인 {n}개(광고비 또는 매출 데이터 없음)는 "
        "순위에서 제외했습니다.",
    ),
    "unranked_cpa": (
        "{n} campaign(s) without a CPA (no spend or no conversions) are not ranked.",
        "CPA가 없는 캠페인 {n}개(광고비 또는 전환 없음)는 순위에서 제외했습니다.",
    ),
    "unranked_ctr": (
        "{n} campaign(s) without a CTR (no impressions) are not ranked.",
        "CTR이 없는 캠페인 {n}개(노출 없음)는 순위에서 제외했습니다.",
    ),
    "no_campaign": ("(no campaign)", "(캠페인 없음)"),
    "rank": ("#", "순위"),
    "notes": ("What to know about these numbers", "수치를 읽기 전에 알아 둘 점"),
    "no_notes": (
        "Nothing to flag for this period.",
        "이 기간에 특별히 알릴 사항이 없습니다.",
    ),
    "no_data": ("No data for this period", "이 기간의 데이터가 없습니다"),
    "no_spend": ("No spend data for this period", "이 기간의 광고비 데이터가 없습니다"),
    "page": ("Page", "페이지"),
    "spend_axis": ("Spend", "광고비"),
    "roas_axis": ("ROAS", "ROAS"),
    "share_value": ("{share} of spend", "광고비의 {share}"),
    "query_period": (
        "{start} to {end}, amounts in {currency}",
        "{start} ~ {end}, 금액 단위: {currency}",
    ),
    "query_no_data": (
        "no data, amounts in {currency}",
        "데이터 없음, 금액 단위: {currency}",
    ),
    "note_label": ("note:", "참고:"),
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
    "pmax": ("Performance Max", "실적 최대화"),
    "search_content": ("Search & content", "검색 및 콘텐츠"),
    "search_and_content": ("Search & content", "검색 및 콘텐츠"),
    "dynamic_search_ads": ("Dynamic search ads", "동적 검색 광고"),
    "demand_gen": ("Demand Gen", "디맨드젠"),
    "discovery": ("Discovery", "디스커버리"),
    "smart": ("Smart", "스마트"),
    "local": ("Local", "지역"),
    "hotel": ("Hotel", "호텔"),
    "audience": ("Audience", "잠재고객"),
    "multi_channel": ("App", "앱"),
    "app": ("App", "앱"),
    "conversions": ("Conversions", "전환"),
    "traffic": ("Traffic", "트래픽"),
    "awareness": ("Awareness", "인지도"),
    "reach": ("Reach", "도달"),
    "engagement": ("Engagement", "참여"),
    "leads": ("Leads", "잠재 고객"),
    "sales": ("Sales", "판매"),
    "app_promotion": ("App promotion", "앱 홍보"),
    "outcome_traffic": ("Traffic", "트래픽"),
    "outcome_awareness": ("Awareness", "인지도"),
    "outcome_engagement": ("Engagement", "참여"),
    "outcome_leads": ("Leads", "잠재 고객"),
    "outcome_sales": ("Sales", "판매"),
    "outcome_app_promotion": ("App promotion", "앱 홍보"),
    "unknown": ("Not set", "미지정"),
    "": ("Not set", "미지정"),
    "google_ads": ("Google Ads", "Google Ads"),
    "meta": ("Meta", "Meta"),
    "microsoft_ads": ("Microsoft Advertising", "Microsoft Advertising"),
    "linkedin": ("LinkedIn", "LinkedIn"),
    "tiktok": ("TikTok", "TikTok"),
    "reddit": ("Reddit", "Reddit"),
    "naver_searchad": ("Naver Search Ad", "네이버 검색광고"),
    "kakao_moment": ("Kakao Moment", "카카오모먼트"),
    "other": ("Other", "기타"),
    "female": ("Female", "여성"),
    "male": ("Male", "남성"),
    "여성": ("Female", "여성"),
    "남성": ("Male", "남성"),
    "알_수_없음": ("Unknown", "알 수 없음"),
    "mobile": ("Mobile", "모바일"),
    "desktop": ("Desktop", "데스크톱"),
    "tablet": ("Tablet", "태블릿"),
    "검색": ("Search", "검색"),
    "디스플레이": ("Display", "디스플레이"),
    "동영상": ("Video", "동영상"),
    "쇼핑": ("Shopping", "쇼핑"),
    "실적_최대화": ("Performance Max", "실적 최대화"),
}

# Korean particles: the form after a final consonant, and the form after a vowel.
PARTICLES = {
    "은": ("은", "는"),
    "이": ("이", "가"),
    "을": ("을", "를"),
    "과": ("과", "와"),
    "으로": ("으로", "로"),
}
RIEUL = 8  # ㄹ as a final consonant: 로, not 으로
# The final consonant (0 for none) of a digit or capital letter read aloud.
DIGIT_FINALS = dict(zip("0123456789", (21, 8, 0, 16, 0, 0, 1, 8, 8, 0), strict=True))
LETTER_FINALS = {"L": RIEUL, "M": 16, "N": 4, "R": RIEUL}
TRAILING_ASIDE = re.compile(r"\s*\([^()]*\)\s*$")


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ConfigurationError(
            f"report language {lang!r} is not available; use one of "
            f"{', '.join(LANGUAGES)}"
        )
    return lang


def text(key: str, lang: str, **params: object) -> str:
    english, korean = TEXT[key]
    return fill(korean if lang == "ko" else english, **params)


class _SentenceFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec in PARTICLES:
            shown = format(value)
            return shown + particle(shown, format_spec)
        return str(super().format_field(value, format_spec))


_formatter = _SentenceFormatter()


def fill(template: str, **params: object) -> str:
    """`str.format`, plus `{name:은}` for the Korean particle that fits the value."""
    return _formatter.format(template, **params)


def particle(word: str, which: str) -> str:
    """은 or 는 (이/가, 을/를, 과/와, 으로/로) after `word`, by its last sound."""
    after_consonant, after_vowel = PARTICLES[which]
    final = _final_consonant(word)
    if final is None:
        if which == "으로":
            return "(으)로"
        return f"{after_consonant}({after_vowel})"
    if which == "으로":
        return "로" if final in (0, RIEUL) else "으로"
    return after_consonant if final else after_vowel


def _final_consonant(word: str) -> int | None:
    """0 for a vowel ending, the consonant's index otherwise; None when unsure.

    A trailing aside in brackets is not read: 광고 수익률(ROAS) ends on 률.
    """
    stem = word.rstrip()
    while TRAILING_ASIDE.search(stem) and TRAILING_ASIDE.sub("", stem):
        stem = TRAILING_ASIDE.sub("", stem)
    stem = stem.rstrip(" )]\"'.")
    if not stem:
        return None
    last = stem[-1]
    if "가" <= last <= "힣":
        return (ord(last) - ord("가")) % 28
    if last.isdigit() and last in DIGIT_FINALS:
        return 1 if last == "0" and stem[-2:-1].isdigit() else DIGIT_FINALS[last]
    acronym = re.search(r"[A-Za-z]+$", stem)
    if acronym and acronym[0].isupper():
        return LETTER_FINALS.get(last, 0)
    return None


def period_name(key: str, lang: str) -> str:
    english, korean = PERIOD_NAMES.get(key, (key, key))
    return korean if lang == "ko" else english


def value_name(value: object, lang: str) -> str:
    """A dimension value as the reader calls it; unknown values are shown as given."""
    shown = "" if value is None else str(value)
    key = re.sub(r"[\s_&/-]+", "_", shown.strip().lower()).strip("_")
    known = VALUE_NAMES.get(key)
    if known is None:
        return shown
    return known[1] if lang == "ko" else known[0]


def day(value: date, lang: str) -> str:
    """A date as a heading or a table shows it: "Mar 1, 2024", "2024. 3. 1."."""
    return format_date(value, "medium", locale=LOCALES.get(lang, "en_US"))


def day_range(start: date, end: date, lang: str) -> str:
    if start == end:
        return day(start, lang)
    joiner = " ~ " if lang == "ko" else " – "
    return f"{day(start, lang)}{joiner}{day(end, lang)}"


def day_in_text(value: date, lang: str) -> str:
    """A date inside a sentence: in Korean "2024년 3월 1일", which ends no sentence
    with a doubled full stop as "2024. 3. 1.." would."""
    if lang == "ko":
        return format_date(value, "long", locale=LOCALES["ko"])
    return day(value, lang)


def day_range_in_text(start: date, end: date, lang: str) -> str:
    if start == end:
        return day_in_text(start, lang)
    joiner = " ~ " if lang == "ko" else " – "
    return f"{day_in_text(start, lang)}{joiner}{day_in_text(end, lang)}"


def zone_with_offset(zone: str, start: date, end: date) -> str:
    """A time zone with its UTC offsets over the days: "Etc/GMT+5 (UTC−05:00)".

    `Etc/GMT+5` is five hours behind UTC (the POSIX sign), which its name hides; a
    zone that changes offset in the period shows both ("UTC−05:00/−04:00").
    """
    try:
        where = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return zone
    offsets: list[str] = []
    day = start
    while day <= end:
        offset = datetime.combine(day, time(12), where).utcoffset() or timedelta(0)
        shown = _offset(offset)
        if shown not in offsets:
            offsets.append(shown)
        day += timedelta(days=1)
    if zone == "UTC" and offsets == ["+00:00"]:
        return zone
    return f"{zone} (UTC{'/'.join(sorted(offsets, key=_offset_order))})"


def _offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "\u2212" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def _offset_order(shown: str) -> int:
    hours, minutes = shown[1:].split(":")
    size = int(hours) * 60 + int(minutes)
    return -size if shown.startswith("\u2212") else size
