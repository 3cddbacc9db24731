"""The report as one self-contained HTML page: inline CSS, inline SVG, no requests.

Jinja2 escapes everything by default: campaign and account names come from outside
and must show as text. Only two things are inserted unescaped, both ours: the
packaged stylesheet and chart SVG that `svg.check_svg` has already inspected.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from adreport.metrics.registry import Metric
from adreport.reports import i18n
from adreport.reports.content import CampaignLine, ReportContent, Tile
from adreport.reports.figures import Figure
from adreport.reports.formatting import NOT_AVAILABLE, format_change, format_metric

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"
CAMPAIGN_COLUMNS = ("spend", "revenue", "conversions", "roas", "cpa")

_environment = Environment(
    loader=PackageLoader("adreport.reports", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Cover:
    client: str
    period_name: str
    period: str
    period_days: str
    comparison: str
    currency: str
    generated: str


class Formatter:
    """Numbers and words for one reader, as the template asks for them."""

    def __init__(self, content: ReportContent, lang: str):
        self.content = content
        self.lang = lang

    def text(self, key: str, **params: Any) -> str:
        return i18n.text(key, self.lang, **params)

    def metric(self, value: Any, name: str | Metric) -> str:
        metric = name if isinstance(name, Metric) else self.content.metrics[name]
        return format_metric(value, metric, self.content.currency, self.lang)

    def label(self, name: str) -> str:
        return self.content.metrics[name].label(self.lang)

    def value(self, value: Any) -> str:
        return i18n.value_name(value, self.lang)

    def campaign(self, line: CampaignLine) -> str:
        """Rows without a campaign (an account-level export) are not a campaign."""
        if not line.campaign_id and not line.name:
            return self.text("no_campaign")
        return line.name

    def unranked(self) -> str:
        return self.text(
            f"unranked_{self.content.ranked_by or 'roas'}",
            n=self.content.unranked_campaigns,
        )

    def change(self, tile: Tile) -> str:
        return format_change(tile.change, self.lang)

    def arrow(self, tile: Tile) -> str:
        if tile.change is None or tile.tone == "flat":
            return "–"
        return "▲" if tile.change > 0 else "▼"

    @property
    def not_available(self) -> str:
        return NOT_AVAILABLE[self.lang]


def cover(content: ReportContent, client: str, lang: str, generated: datetime) -> Cover:
    period = content.period
    compared = content.comparison
    comparison = i18n.text("no_comparison", lang)
    if compared is not None:
        shown = i18n.day_range(compared.start, compared.end, lang)
        comparison = f"{shown} ({i18n.period_name(compared.name, lang)})"
    return Cover(
        client=client,
        period_name=i18n.period_name(period.name, lang),
        period=i18n.day_range(period.start, period.end, lang),
        period_days=i18n.text("days", lang, n=period.days),
        comparison=comparison,
        currency=content.currency or "–",
        generated=i18n.day(generated.date(), lang),
    )


def render_html(
    content: ReportContent,
    figures: dict[str, Figure],
    notes: list[str],
    cover_page: Cover,
    lang: str,
) -> str:
    template = _environment.get_template(TEMPLATE)
    inlined = {name: _inline(figure) for name, figure in figures.items()}
    return template.render(
        lang=lang,
        css=Markup(_stylesheet()),  # noqa: S704  (our packaged stylesheet)
        cover=cover_page,
        content=content,
        figures=inlined,
        audiences=[f for name, f in inlined.items() if name.startswith("audience")],
        notes=notes,
        f=Formatter(content, lang),
        campaign_columns=campaign_columns(content),
        campaign_tables=_campaign_tables(content, lang),
    )


def _inline(figure: Figure) -> Figure:
    svg = Markup(figure.svg)  # noqa: S704  (checked by svg.check_svg)
    return replace(figure, svg=svg)


def _campaign_tables(
    content: ReportContent, lang: str
) -> list[tuple[str, list[CampaignLine]]]:
    """Headings name the ranking metric, and say when lower is better (CPA)."""
    if not content.top_campaigns or content.ranked_by is None:
        return []
    metric = content.metrics[content.ranked_by]
    shown = metric.name.upper()
    suffix = i18n.text("lower_is_better", lang) if metric.good == "down" else ""
    if not content.bottom_campaigns:
        title = i18n.text("all_campaigns", lang, metric=shown)
        return [(title + suffix, content.top_campaigns)]
    return [
        (
            i18n.text("top_campaigns", lang, metric=shown) + suffix,
            content.top_campaigns,
        ),
        (
            i18n.text("bottom_campaigns", lang, metric=shown) + suffix,
            content.bottom_campaigns,
        ),
    ]


def campaign_columns(content: ReportContent) -> list[str]:
    """The usual columns, and the one campaigns are ranked by when not among them."""
    columns = list(CAMPAIGN_COLUMNS)
    if content.ranked_by and content.ranked_by not in columns:
        columns.append(content.ranked_by)
    return columns


def _stylesheet() -> str:
    return (
        resources.files("adreport.reports")
        .joinpath("templates", STYLESHEET)
        .read_text(encoding="utf-8")
    )
