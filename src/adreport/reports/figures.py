"""The report's charts: its content turned into chart specs, then into SVG.

Labels are formatted here with the same formatter as the tables, so a chart and a
table never disagree about a number. A chart with nothing to draw becomes a
"no data for this period" panel; a chart that fails to render stops the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
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
from adreport.reports.content import Breakdown, ReportContent
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


def chart_specs(
    content: ReportContent, lang: str
) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, title, spec) of every chart of the report, in reading order."""
    specs = [
        ("trend", i18n.text("trend", lang), _trend(content, lang)),
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
        title = i18n.text("audience_by", lang, dimension=audience.dimension.label(lang))
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
        caption = ""
        if name == "trend" and any(p.provisional for p in content.daily):
            caption = i18n.text("provisional_legend", lang)
        figures[name] = Figure(
            name, title, render_svg(name, spec, lang), caption, name in WIDE_CHARTS
        )
    return figures


def _trend(content: ReportContent, lang: str) -> dict[str, Any]:
    style = ChartStyle(lang, WIDE, 220)
    known = {p.day: p for p in content.daily}
    points = []
    for day in _days(content.period.start, content.period.end):
        point = known.get(day)
        points.append(
            {
                "day": day.isoformat(),
                "spend": _number(point.spend) if point else None,
                "roas": _number(point.roas) if point else None,
                "provisional": bool(point and point.provisional),
            }
        )
    if not any(p["spend"] is not None or p["roas"] is not None for p in points):
        return no_data_spec(i18n.text("no_data", lang), style)
    spend = content.metrics["spend"]
    roas = content.metrics["roas"]
    spend_title = f"{spend.label(lang)} ({content.currency})"
    return trend_spec(points, style, spend_title, roas.label(lang))


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
        return no_data_spec(i18n.text("no_data", lang), style)
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
        return no_data_spec(i18n.text("no_data", lang), style)
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


def _share_title(content: ReportContent, lang: str) -> str:
    by_platform = content.share.dimension.name == "platform"
    return i18n.text("share_platform" if by_platform else "share_channel", lang)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
