"""The notes section: what a reader must know before trusting the numbers.

Provisional and partial days, currency conversions and their rate dates, rows
rejected at import, metrics that are not available and why, accounts left out of a
breakdown, mixed time zones. Each note is written in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from babel.numbers import format_decimal, format_percent

from adreport.calendar import today_in
from adreport.errors import ConfigurationError
from adreport.metrics.dimensions import dimension
from adreport.metrics.formula import BinOp, Neg, Node, names_in
from adreport.metrics.fx import RateUse
from adreport.metrics.query import Database, MetricQuery, run_query
from adreport.metrics.registry import CORE, Registry
from adreport.reports import i18n
from adreport.reports.content import Provenance, ReportContent
from adreport.reports.formatting import LOCALES, NOT_AVAILABLE

STALE_AFTER_DAYS = 2

NOTES: dict[str, tuple[str, str]] = {
    "provisional": (
        "Provisional days: {days}. The platforms may still restate them "
        "(late conversions, settled spend), so their numbers can change.",
        "잠정 집계일: {days}. 매체가 늦게 잡힌 전환이나 확정 광고비를 반영해 "
        "수치를 고칠 수 있습니다.",
    ),
    "partial": (
        "{day} was not over yet in {zones} when this report was made: its numbers "
        "are partial.",
        "이 보고서를 만든 시점에 {day}은(는) {zones} 기준으로 아직 끝나지 않았습니다. "
        "해당일 수치는 일부만 집계된 것입니다.",
    ),
    "stale_data": (
        "The newest data in the warehouse is for {day}, {n} days before this report "
        "was made; later days are not in it yet.",
        "저장된 가장 최근 데이터는 {day} 자료로, 보고서 작성일보다 {n}일 전입니다. "
        "그 이후 날짜는 아직 반영되지 않았습니다.",
    ),
    "rates": (
        "{which}: amounts in {currency} were converted to {target} day by day with "
        "the {source}, rates published {first} to {last} "
        "(1 {currency} = {lowest} to {highest} {target}).",
        "{which}: {currency} 금액은 날짜별로 {source}을(를) 적용해 {target}(으)로 "
        "환산했습니다. 적용 환율 고시일 {first} ~ {last} "
        "(1 {currency} = {lowest} ~ {highest} {target}).",
    ),
    "stale_rates": (
        "{n} day(s) in {currency} were converted with a rate published more than 4 "
        "days earlier: the rates file may be out of date (refresh it with "
        "`adreport rates update`).",
        "{currency} 금액 중 {n}일치는 4일보다 더 전에 고시된 환율로 환산했습니다. "
        "환율 파일이 오래되었을 수 있습니다(`adreport rates update`로 갱신).",
    ),
    "rejected": (
        "{rows} row(s) of {file} were rejected at import and are not counted here.",
        "{file}의 {rows}개 행은 가져오기 중 거부되어 이 보고서에 포함되지 않았습니다.",
    ),
    "not_available": (
        "{metric} is shown as {na}: {reasons}.",
        "{metric}은(는) {reasons} {na}(으)로 표시했습니다.",
    ),
    "missing_measure": (
        "no data reports {measure}",
        "{measure} 데이터가 없어",
    ),
    "zero_measure": ("{measure} is 0", "{measure}이(가) 0이어서"),
    "account_without": (
        "{platform} account {account} reports no {measure}: its spend counts in "
        "ratios over {measure} (such as {ratios}) with nothing against it.",
        "{platform} 계정 {account}은(는) {measure} 데이터를 제공하지 않습니다. "
        "{ratios} 같은 비율에는 이 계정의 광고비만 반영됩니다.",
    ),
    "left_out": (
        "{platform} account {account} has no rows that can be split by {asked}: it "
        "is left out of that breakdown (its numbers are in the totals).",
        "{platform} 계정 {account}은(는) {asked}별로 나눈 데이터가 없어 해당 분석에서 "
        "제외했습니다(합계에는 포함).",
    ),
    "time_zones": (
        "Accounts keep their days in different time zones ({zones}): each day is the "
        "account's own calendar day, so one day here does not cover the same hours "
        "for every account.",
        "계정마다 시간대가 다릅니다({zones}). 각 날짜는 해당 계정의 현지 날짜이므로 "
        "같은 날짜라도 계정마다 포함하는 시간이 다릅니다.",
    ),
    "no_data_period": (
        "No account has data for {period}, so every number is shown as {na}.",
        "{period}에는 데이터가 있는 계정이 없어 모든 수치를 {na}(으)로 표시했습니다.",
    ),
    "no_comparison_data": (
        "The comparison period ({period}) has no data, so changes show as {na}.",
        "비교 기간({period})에 데이터가 없어 증감은 {na}(으)로 표시했습니다.",
    ),
    "margin": (
        "ROI counts {margin} of revenue as gross profit (margin in adreport.toml).",
        "ROI는 매출의 {margin}를 매출총이익으로 계산했습니다(adreport.toml의 margin).",
    ),
    "no_margin": (
        "ROI counts all revenue as profit: set `margin` in adreport.toml to use your "
        "gross margin.",
        "ROI는 매출 전체를 이익으로 계산했습니다. 실제 마진을 쓰려면 adreport.toml에 "
        "`margin`을 설정하세요.",
    ),
    "targets": (
        "Targets come from adreport.toml and are read in {currency}.",
        "목표값은 adreport.toml에서 읽었으며 {currency} 기준입니다.",
    ),
    "period_rates": ("Report period", "보고 기간"),
    "comparison_rates": ("Comparison period", "비교 기간"),
}


@dataclass
class NoteContext:
    """What the notes need beyond the report's content."""

    db: Database
    registry: Registry
    targets: dict[str, Decimal]
    rates_source: str
    newest_data_day: date
    now: datetime


def note(key: str, lang: str, **params: object) -> str:
    english, korean = NOTES[key]
    return (korean if lang == "ko" else english).format(**params)


def write_notes(content: ReportContent, context: NoteContext, lang: str) -> list[str]:
    """Every note for this report, most important first."""
    lines = _data_freshness(content, context, lang)
    lines += _conversions(content, context, lang)
    lines += _rejected_rows(content, context, lang)
    lines += _not_available(content, context, lang)
    lines += _accounts_without(content, context, lang)
    lines += _query_notes(content.provenance, context, lang)
    lines += _comparison(content, lang)
    lines += _definitions(content, context, lang)
    return lines


def _data_freshness(
    content: ReportContent, context: NoteContext, lang: str
) -> list[str]:
    lines = []
    provisional = content.provenance.totals.provisional_days
    if provisional:
        lines.append(note("provisional", lang, days=_day_ranges(provisional, lang)))
    for day, zones in _partial_days(content, context).items():
        lines.append(note("partial", lang, day=i18n.day(day, lang), zones=zones))
    today = context.now.astimezone(UTC).date()
    behind = (today - context.newest_data_day).days
    if behind > STALE_AFTER_DAYS and content.period.end >= context.newest_data_day:
        shown = i18n.day(context.newest_data_day, lang)
        lines.append(note("stale_data", lang, day=shown, n=behind))
    return lines


def _partial_days(content: ReportContent, context: NoteContext) -> dict[date, str]:
    """Days of the period that were still running in some account's time zone."""
    earliest_today = (context.now.astimezone(UTC) - timedelta(days=1)).date()
    latest_today = earliest_today + timedelta(days=2)
    found = context.db.fetch(
        """SELECT DISTINCT g.date, COALESCE(a.timezone, '') FROM fact_grains g
        LEFT JOIN accounts a ON a.platform = g.platform
            AND a.account_id = g.account_id
        WHERE g.date BETWEEN ? AND ? AND g.date BETWEEN ? AND ? ORDER BY 1, 2""",
        [content.period.start, content.period.end, earliest_today, latest_today],
    )
    partial: dict[date, list[str]] = {}
    for day, zone in found:
        if day == today_in(zone or "UTC", context.now):
            partial.setdefault(day, []).append(zone or "UTC")
    return {day: ", ".join(zones) for day, zones in partial.items()}


def _conversions(content: ReportContent, context: NoteContext, lang: str) -> list[str]:
    lines = []
    for which, use in content.provenance.rates:
        lines.append(_rate_note(which, use, context.rates_source, lang))
        if use.stale_days > 0:
            lines.append(
                note("stale_rates", lang, n=use.stale_days, currency=use.currency)
            )
    return lines


def _rate_note(which: str, use: RateUse, source: str, lang: str) -> str:
    return note(
        "rates",
        lang,
        which=note(f"{which}_rates", lang),
        currency=use.currency,
        target=use.target,
        source=source,
        first=i18n.day(use.first_rate_day, lang),
        last=i18n.day(use.last_rate_day, lang),
        lowest=_rate(use.lowest, lang),
        highest=_rate(use.highest, lang),
    )


def _rate(value: Decimal, lang: str) -> str:
    pattern = "#,##0.####" if value >= 1 else "0.########"
    return format_decimal(value, pattern, locale=LOCALES[lang])


def _rejected_rows(
    content: ReportContent, context: NoteContext, lang: str
) -> list[str]:
    """Rejections in the latest import of each file that feeds this period."""
    found = context.db.fetch(
        """SELECT i.source_file, i.rows_rejected FROM imports i
        WHERE i.rows_rejected > 0
            AND i.import_id = (SELECT max(j.import_id) FROM imports j
                               WHERE j.source_file = i.source_file)
            AND i.source_file IN (SELECT DISTINCT source_file FROM facts
                                  WHERE date BETWEEN ? AND ?)
        ORDER BY 1""",
        [content.period.start, content.period.end],
    )
    return [
        note("rejected", lang, rows=_count(rows, lang), file=PurePath(path).name)
        for path, rows in found
    ]


def _not_available(
    content: ReportContent, context: NoteContext, lang: str
) -> list[str]:
    totals = content.provenance.totals.records()[0]
    if all(totals.get(name) is None for name in ("spend", "impressions", "clicks")):
        shown = i18n.day_range(content.period.start, content.period.end, lang)
        return [note("no_data_period", lang, period=shown, na=NOT_AVAILABLE[lang])]
    lines = []
    for tile in content.tiles:
        if tile.value is not None:
            continue
        reasons = _reasons(context.registry.expression(tile.metric.name), totals, lang)
        if reasons:
            lines.append(
                note(
                    "not_available",
                    lang,
                    metric=tile.metric.label(lang),
                    na=NOT_AVAILABLE[lang],
                    reasons=", ".join(reasons),
                )
            )
    return lines


def _reasons(expression: Node, totals: dict[str, Any], lang: str) -> list[str]:
    """Which base measures make a KPI unknown: missing ones, or a zero divisor."""
    reasons = []
    divisors = _divisors(expression)
    for name in sorted(names_in(expression)):
        label = _measure_label(name, lang)
        if totals.get(name) is None:
            reasons.append(note("missing_measure", lang, measure=label))
        elif name in divisors and totals[name] == 0:
            reasons.append(note("zero_measure", lang, measure=label))
    return reasons


def _divisors(node: Node) -> set[str]:
    if isinstance(node, BinOp):
        found = _divisors(node.left) | _divisors(node.right)
        return found | names_in(node.right) if node.op == "/" else found
    if isinstance(node, Neg):
        return _divisors(node.operand)
    return set()


def _measure_label(name: str, lang: str) -> str:
    for metric in CORE:
        if metric.name == name:
            return metric.label(lang).lower() if lang == "en" else metric.label(lang)
    return name


def _accounts_without(
    content: ReportContent, context: NoteContext, lang: str
) -> list[str]:
    """Accounts with spend but no revenue (or conversions) drag ROAS (or CPA) down."""
    result = run_query(
        context.db,
        context.registry,
        MetricQuery(
            ["spend", "conversions", "revenue"],
            ["account", "platform"],
            content.period.start,
            content.period.end,
            content.currency or None,
        ),
    )
    ratios = {"revenue": "ROAS, ROI", "conversions": "CPA"}
    lines = []
    for row in result.records():
        if not row["spend"]:
            continue
        for measure in ("revenue", "conversions"):
            if row[measure] is None:
                lines.append(
                    note(
                        "account_without",
                        lang,
                        platform=i18n.value_name(row["platform"], lang),
                        account=_account_label(row["account"], row["account_id"]),
                        measure=_measure_label(measure, lang),
                        ratios=ratios[measure],
                    )
                )
    return lines


def _query_notes(provenance: Provenance, context: NoteContext, lang: str) -> list[str]:
    """Accounts left out of a breakdown (one line each) and mixed time zones."""
    left_out: dict[tuple[str, str], list[str]] = {}
    for account in provenance.left_out:
        asked = left_out.setdefault((account.platform, account.account_id), [])
        asked += [name for name in account.asked or ("total",) if name not in asked]
    others = []
    if provenance.time_zones:
        others.append(note("time_zones", lang, zones=", ".join(provenance.time_zones)))

    names = _account_names(context.db) if left_out else {}
    lines = [
        note(
            "left_out",
            lang,
            platform=i18n.value_name(platform, lang),
            account=names.get((platform, account), account),
            asked=_either([_dimension_label(name, lang) for name in asked], lang),
        )
        for (platform, account), asked in left_out.items()
    ]
    return lines + others


def _account_names(db: Database) -> dict[tuple[str, str], str]:
    """Account names as "Name (id)", so a reader recognises the account."""
    found = db.fetch("SELECT platform, account_id, name FROM accounts", [])
    return {(p, account): _account_label(name, account) for p, account, name in found}


def _account_label(name: str, account_id: str) -> str:
    return f"{name} ({account_id})" if name not in ("", account_id) else account_id


def _either(labels: list[str], lang: str) -> str:
    if lang == "ko":
        return "·".join(labels)
    if len(labels) < 3:
        return " or ".join(labels)
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def _dimension_label(name: str, lang: str) -> str:
    try:
        label = dimension(name).label(lang)
    except ConfigurationError:
        return name
    return label.lower() if lang == "en" else label


def _comparison(content: ReportContent, lang: str) -> list[str]:
    previous = content.provenance.comparison
    if previous is None or content.comparison is None:
        return []
    values = previous.records()[0]
    if any(values.get(n) is not None for n in ("spend", "conversions", "revenue")):
        return []
    shown = i18n.day_range(content.comparison.start, content.comparison.end, lang)
    return [note("no_comparison_data", lang, period=shown, na=NOT_AVAILABLE[lang])]


def _definitions(content: ReportContent, context: NoteContext, lang: str) -> list[str]:
    margin = context.registry.margin
    if margin == 1:
        lines = [note("no_margin", lang)]
    else:
        shown = format_percent(margin, "#,##0.##%", locale=LOCALES[lang])
        lines = [note("margin", lang, margin=shown)]
    if context.targets and content.currency:
        lines.append(note("targets", lang, currency=content.currency or "-"))
    return lines


def _day_ranges(days: list[date], lang: str) -> str:
    """Consecutive days shown as one range: "Mar 1 – Mar 3, 2024, Mar 5, 2024"."""
    ranges: list[list[date]] = []
    for day in sorted(days):
        if ranges and day - ranges[-1][1] == timedelta(days=1):
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return ", ".join(i18n.day_range(start, end, lang) for start, end in ranges)


def _count(value: int, lang: str) -> str:
    return format_decimal(value, "#,##0", locale=LOCALES[lang])
