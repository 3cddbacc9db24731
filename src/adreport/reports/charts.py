"""Chart specifications (Vega-Lite, built with Altair), shared by reports and pages.

Each builder takes plain rows (numbers already computed by the metrics layer and
labels already formatted for the reader) and returns a Vega-Lite spec as a dict.
Nothing here queries or computes a KPI; a web page can hand the same spec to
vega-embed and a report renders it to SVG. Dates are drawn on a UTC scale so a
calendar day is never shifted by the renderer's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt

INK = "#1d2733"
MUTED = "#6b7785"
GRID = "#e6e9ee"
SPEND = "#2f5d8a"
ROAS = "#e07b24"
PALETTE = [
    "#2f5d8a",
    "#e07b24",
    "#3a9d8f",
    "#c2504f",
    "#8a6bb1",
    "#7c9a3d",
    "#d4a72c",
    "#5b8fb9",
    "#a0616a",
    "#6f7d8c",
]
ENGLISH_FONTS = "DejaVu Sans, NanumGothic, sans-serif"
KOREAN_FONTS = "NanumGothic, DejaVu Sans, sans-serif"


@dataclass(frozen=True)
class ChartStyle:
    """How charts look for one reader: language, fonts and size."""

    lang: str = "en"
    width: int = 640
    height: int = 220

    @property
    def font(self) -> str:
        return KOREAN_FONTS if self.lang == "ko" else ENGLISH_FONTS

    def time_format(self, unit: str, with_year: bool) -> str:
        """How a day, week or month is written under its bar; with the year when
        the period runs over more than one."""
        if unit == "month":
            return "%Y년 %-m월" if self.lang == "ko" else "%b %Y"
        if self.lang == "ko":
            return "%Y. %-m. %-d." if with_year else "%-m.%-d"
        return "%b %-d, %Y" if with_year else "%b %-d"

    @property
    def multiple_numbers(self) -> str:
        """A Vega expression writing ROAS-like multiples with what matters of them:
        0.004x, 0.25x, 3.1x (a fixed one decimal would write 0.004 as 0.0)."""
        return "format(datum.value, ',.3~r') + 'x'"

    @property
    def compact_numbers(self) -> str:
        """A Vega expression writing axis numbers short: 1.2M, or 1.2억 in Korean."""
        if self.lang == "ko":
            steps = [(1e8, "억"), (1e4, "만")]
        else:
            steps = [(1e9, "B"), (1e6, "M"), (1e3, "K")]
        expression = "format(datum.value, ',.3~r')"
        for size, suffix in reversed(steps):
            expression = (
                f"abs(datum.value) >= {size:.0f} ? "
                f"format(datum.value / {size:.0f}, ',.3~r') + '{suffix}' : {expression}"
            )
        return expression


def _data(values: list[dict[str, Any]]) -> alt.Data:
    """Rows inlined in the spec: nothing is fetched when the chart is drawn."""
    return alt.Data(values=values)  # type: ignore[no-untyped-call]


def _config(
    chart: alt.TopLevelMixin, style: ChartStyle, fit: bool = True
) -> dict[str, Any]:
    configured = (
        chart.configure(font=style.font, background="white")
        .configure_view(stroke=None)
        .configure_axis(
            labelColor=MUTED,
            titleColor=MUTED,
            labelFontSize=11,
            titleFontSize=11,
            titleFontWeight="normal",
            gridColor=GRID,
            domainColor=GRID,
            tickColor=GRID,
        )
        .configure_legend(labelColor=INK, labelFontSize=11, titleFontSize=11)
    )
    spec: dict[str, Any] = configured.to_dict()
    if fit:
        spec["autosize"] = {"type": "fit", "contains": "padding"}
    return spec


def trend_spec(
    points: list[dict[str, Any]],
    style: ChartStyle,
    spend_title: str,
    roas_title: str | None,
    unit: str = "date",
    with_year: bool = False,
) -> dict[str, Any]:
    """Spend as bars (provisional ones lighter), ROAS as a line on its own axis.

    Each point: start (YYYY-MM-DD, the bucket's first day), spend, roas (numbers or
    None), provisional (bool) and label (what a screen reader says of the bar).
    Buckets are bands of an ordinal axis, so give every day, week or month of the
    period, with None where there is no data, or the gap will not show. Without a
    `roas_title` no ROAS line or axis is drawn.
    """
    time_unit = "utcyearmonth" if unit == "month" else "utcyearmonthdate"
    base = alt.Chart(_data(points)).encode(
        x=alt.X(
            f"{time_unit}(start):O",
            title=None,
            scale=alt.Scale(paddingInner=0.2, paddingOuter=0.1),
            axis=alt.Axis(
                format=style.time_format(unit, with_year),
                formatType="time",
                labelAngle=0,
                labelOverlap="greedy",
                labelSeparation=10,
                grid=False,
            ),
        )
    )
    # invalid=None keeps a bucket without spend on the axis, as an empty band;
    # the default would drop it and close the gap.
    bars = base.mark_bar(color=SPEND, invalid=None).encode(
        y=alt.Y(
            "spend:Q",
            title=spend_title,
            axis=alt.Axis(labelExpr=style.compact_numbers, tickCount=5),
        ),
        opacity=alt.condition("datum.provisional", alt.value(0.45), alt.value(0.9)),
        description=alt.Description("label:N"),
    )
    if roas_title is None:
        chart = alt.layer(bars)
    else:
        line = base.mark_line(
            color=ROAS, strokeWidth=2.5, point=alt.OverlayMarkDef(color=ROAS, size=28)
        ).encode(
            y=alt.Y(
                "roas:Q",
                title=roas_title,
                axis=alt.Axis(
                    labelExpr=style.multiple_numbers,
                    tickCount=5,
                    orient="right",
                    grid=False,
                ),
            )
        )
        chart = alt.layer(bars, line).resolve_scale(y="independent")
    return _config(chart.properties(width=style.width, height=style.height), style)


def bar_spec(rows: list[dict[str, Any]], style: ChartStyle) -> dict[str, Any]:
    """Horizontal bars with their value written at the end of each bar.

    Each row: category (text), value (number), label (the value as the reader reads
    it, e.g. "$1,234 · ROAS 3.10x"). Rows are drawn in the order given.
    """
    order = [r["category"] for r in rows]
    top = max((float(r["value"] or 0) for r in rows), default=0.0) or 1.0
    room = _label_room(rows, style)
    base = alt.Chart(_data(rows)).encode(
        y=alt.Y(
            "category:N",
            sort=order,
            title=None,
            axis=alt.Axis(labelLimit=150, labelFontSize=11, labelColor=INK),
        ),
        x=alt.X(
            "value:Q", title=None, axis=None, scale=alt.Scale(domain=[0, top * room])
        ),
    )
    bars = base.mark_bar(color=SPEND, cornerRadiusEnd=2, height=16)
    labels = base.mark_text(align="left", dx=5, fontSize=10.5, color=INK).encode(
        text="label:N"
    )
    chart = alt.layer(bars, labels).properties(
        width=style.width, height=max(40, 26 * len(rows))
    )
    return _config(chart, style)


def _label_room(rows: list[dict[str, Any]], style: ChartStyle) -> float:
    """How far past the longest bar the axis runs, so the value labels fit."""
    longest_category = max((len(str(r["category"])) for r in rows), default=0)
    longest_label = max((len(str(r["label"])) for r in rows), default=0)
    plot = style.width - min(150, 7 * longest_category) - 20
    label = 6.5 * longest_label + 10
    return max(1.25, plot / max(plot - label, plot * 0.25))


def donut_spec(rows: list[dict[str, Any]], style: ChartStyle) -> dict[str, Any]:
    """Shares of a whole as a donut; each row: category (text with share), value."""
    order = [r["category"] for r in rows]
    chart = (
        alt.Chart(_data(rows))
        .mark_arc(innerRadius=48, outerRadius=86, stroke="white", strokeWidth=1.5)
        .encode(
            theta=alt.Theta("value:Q", stack=True),
            color=alt.Color(
                "category:N",
                sort=order,
                scale=alt.Scale(domain=order, range=PALETTE[: max(len(order), 1)]),
                legend=alt.Legend(
                    title=None,
                    orient="right",
                    labelLimit=420,
                    labelFontSize=11.5,
                    symbolType="circle",
                    rowPadding=6,
                ),
            ),
            order=alt.Order("rank:Q"),
        )
        .properties(width=190, height=190)
    )
    return _config(chart, style, fit=False)


def no_data_spec(message: str, style: ChartStyle, height: int = 110) -> dict[str, Any]:
    """A visible "no data" panel, so an empty chart is never a blank space."""
    frame = (
        alt.Chart(_data([{"x": 0}]))
        .mark_rect(color="#f4f6f8", stroke=GRID, cornerRadius=4)
        .encode(
            x=alt.value(0),
            x2=alt.value({"expr": "width"}),
            y=alt.value(0),
            y2=alt.value({"expr": "height"}),
        )
    )
    words = (
        alt.Chart(_data([{"text": message}]))
        .mark_text(fontSize=13, color=MUTED)
        .encode(
            text="text:N",
            x=alt.value({"expr": "width / 2"}),
            y=alt.value({"expr": "height / 2"}),
        )
    )
    chart = alt.layer(frame, words).properties(width=style.width, height=height)
    return _config(chart, style)
