"""The report's charts: its content turned into chart specs, then into SVG.

Labels are formatted here with the same formatter as the tables, so a chart and a
table never disagree about a number. A chart with nothing to draw becomes a
"no data for this period" panel (or "no spend" when the period has other data); a
chart that fails to render stops the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adreport.metrics.registry import Metric
from adreport.reports import i18n
from adreport.reports.charts import (
    ChartStyle,
    bar_spec,
    donut_spec,
    no_data_spec,
    trend_spec,
)
from adreport.reports.content import Breakdown, ReportContent, TrendPoint
from adreport.reports.formatting import format_metric, format_share
from adreport.reports.svg import render_svg

MAX_BARS = 10
WIDE_CHARTS = ("trend", "channel", "campaign_type", "share", "audience")
WIDE = 650  # pixels across the page's text width, labels and axes included
HALF = 310


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    svg: str
    caption: str = ""
    wide: bool = False
    subtitle: str = ""


def chart_specs(
    content: ReportContent, lang: str
) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, title, spec) of every chart of the report, in reading order."""
    specs = [
        ("trend", trend_title(content, lang), _trend(content, lang)),
        (
            "channel",
            i18n.text("by_channel", lang),
            _bars(content, content.by_channel, lang),
        ),
        (
            "campaign_type",
            i18n.text("by_campaign_type", lang),
            _bars(content, content.by_campaign_type, lang),
        ),
        ("share", _share_title(content, lang), _donut(content, lang)),
    ]
    for audience in content.audiences:
        title = _audience_title(audience.dimension.label(lang), lang)
        spec = _bars(content, audience, lang, HALF)
        specs.append((f"audience_{audience.dimension.name}", title, spec))
    if not content.audiences:
        message = i18n.text("no_audience", lang)
        specs.append(
            (
                "audience",
                i18n.text("audience", lang),
                no_data_spec(message, ChartStyle(lang, WIDE), height=70),
            )
        )
    return specs


def render_figures(content: ReportContent, lang: str) -> dict[str, Figure]:
    """Every chart rendered to SVG; raises ReportError if any one fails."""
    figures = {}
    for name, title, spec in chart_specs(content, lang):
        caption = subtitle = ""
        if name == "trend":
            subtitle = trend_subtitle(content, lang)
            if any(p.provisional for p in content.trend.points):
                caption = i18n.text(f"provisional_legend_{content.trend.unit}", lang)
        figures[name] = Figure(
            name,
            title,
            render_svg(name, spec, lang),
            caption,
            name in WIDE_CHARTS,
            subtitle,
        )
    return figures


def trend_title(content: ReportContent, lang: str) -> str:
    return i18n.text(f"trend_{content.trend.unit}", lang)


def trend_subtitle(content: ReportContent, lang: str) -> str:
    """Why there is no ROAS line, and how weeks are cut, in words under the title."""
    lines = []
    points = content.trend.points
    has_spend = any(p.spend is not None for p in points)
    if has_spend and all(p.roas is None for p in points):
        revenue = content.tile("revenue")
        if revenue is None or revenue.value is None:
            lines.append(i18n.text("roas_no_revenue", lang))
        else:
            lines.append(i18n.text(f"roas_no_overlap_{content.trend.unit}", lang))
    if has_spend and content.trend.unit == "week":
        lines.append(i18n.text("weeks_explained", lang))
    return " ".join(lines)


def _trend(content: ReportContent, lang: str) -> dict[str, Any]:
    style = ChartStyle(lang, WIDE, 220)
    trend = content.trend
    if not any(p.spend is not None for p in trend.points):
        return no_data_spec(_nothing_to_draw(content, lang), style)
    spend = content.metrics["spend"]
    points = [
        {
            "start": p.start.isoformat(),
            "spend": _number(p.spend),
            "roas": _number(p.roas),
            "provisional": p.provisional,
            "label": _trend_label(p, trend.unit, content, lang),
        }
        for p in trend.points
    ]
    with_roas = any(p.roas is not None for p in trend.points)
    return trend_spec(
        points,
        style,
        f"{spend.label(lang)} ({content.currency})",
        i18n.text("roas_axis", lang) if with_roas else None,
        trend.unit,
        with_year=content.period.start.year != content.period.end.year,
    )


def _trend_label(
    point: TrendPoint, unit: str, content: ReportContent, lang: str
) -> str:
    """What a screen reader says of one bar: "Mar 1, 2024 – Mar 3, 2024: spend
    $120.00, ROAS 2.10x", formatted like the tables."""
    when = i18n.day_range(point.start, point.end, lang)
    if unit == "date":
        when = i18n.day(point.start, lang)
    spend, roas = content.metrics["spend"], content.metrics["roas"]
    label = (
        f"{when}: {spend.label(lang)} "
        f"{format_metric(point.spend, spend, content.currency, lang)}, "
        f"{roas.label(lang)} {format_metric(point.roas, roas, content.currency, lang)}"
    )
    if point.provisional:
        label += f" ({i18n.text('provisional_point', lang)})"
    return label


def _nothing_to_draw(content: ReportContent, lang: str) -> str:
    """No data only when the period has none; no spend when it has other data."""
    return i18n.text("no_spend" if content.has_data else "no_data", lang)


def _bars(
    content: ReportContent, breakdown: Breakdown, lang: str, width: int = WIDE
) -> dict[str, Any]:
    style = ChartStyle(lang, width)
    spend, roas = content.metrics["spend"], content.metrics["roas"]
    rows = [
        {
            "category": i18n.value_name(s.value, lang),
            "value": _number(s.numbers["spend"]),
            "label": _bar_label(s.numbers, spend, roas, content.currency, lang),
        }
        for s in breakdown.slices[:MAX_BARS]
        if s.numbers["spend"] is not None
    ]
    if not rows:
        return no_data_spec(_nothing_to_draw(content, lang), style)
    return bar_spec(rows, style)


def _bar_label(
    numbers: dict[str, Any], spend: Metric, roas: Metric, currency: str, lang: str
) -> str:
    shown = format_metric(numbers["spend"], spend, currency, lang)
    if numbers["roas"] is None:
        return shown
    return f"{shown} · ROAS {format_metric(numbers['roas'], roas, currency, lang)}"


def _donut(content: ReportContent, lang: str) -> dict[str, Any]:
    style = ChartStyle(lang, WIDE)
    slices = [s for s in content.share.slices if (s.numbers["spend"] or 0) > 0]
    whole = sum(float(s.numbers["spend"]) for s in slices)
    if whole <= 0:
        return no_data_spec(_nothing_to_draw(content, lang), style)
    spend, roas = content.metrics["spend"], content.metrics["roas"]
    rows = [
        {
            "category": "  ".join(
                (
                    i18n.value_name(s.value, lang),
                    format_share(float(s.numbers["spend"]) / whole, lang),
                    _bar_label(s.numbers, spend, roas, content.currency, lang),
                )
            ),
            "value": float(s.numbers["spend"]),
            "rank": rank,
        }
        for rank, s in enumerate(slices[:MAX_BARS])
    ]
    return donut_spec(rows, style)


def _audience_title(dimension: str, lang: str) -> str:
    """Spend by age: 연령별 광고비, and 성별 광고비 (성별 already ends in 별)."""
    if lang == "ko" and dimension.endswith("별"):
        dimension = dimension[:-1]
    return i18n.text("audience_by", lang, dimension=dimension)


def _share_title(content: ReportContent, lang: str) -> str:
    by_platform = content.share.dimension.name == "platform"
    return i18n.text("share_platform" if by_platform else "share_channel", lang)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
