"""The metric registry: the only place a KPI is defined.

Reports, the query command, the dashboard and rules all read metrics from here.
Base measures are summed (money converted first, row by row, with the row's own
dated rate); derived KPIs are formulas over them, computed as ratios of sums at the
grain shown. Reach counts unique people and is never summed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from adreport.errors import ConfigurationError
from adreport.metrics.formula import Node, names_in, parse_formula, substitute

BASE = "base"
RATIO = "ratio"
NON_ADDITIVE = "non_additive"


@dataclass(frozen=True)
class Metric:
    name: str
    label_en: str
    label_ko: str
    unit: str  # count | money | ratio | multiple | decimal
    additivity: str  # base | ratio | non_additive
    good: str  # up | down
    formula: str = ""
    description: str = ""

    def label(self, lang: str) -> str:
        return self.label_ko if lang == "ko" else self.label_en


CORE = (
    Metric("impressions", "Impressions", "노출수", "count", BASE, "up"),
    Metric("clicks", "Clicks", "클릭수", "count", BASE, "up"),
    Metric("spend", "Spend", "광고비", "money", BASE, "down"),
    Metric("conversions", "Conversions", "전환수", "decimal", BASE, "up"),
    Metric("revenue", "Revenue", "전환 매출", "money", BASE, "up"),
    Metric("video_views", "Video views", "동영상 조회수", "count", BASE, "up"),
    Metric("engagements", "Engagements", "참여수", "count", BASE, "up"),
    Metric(
        "reach",
        "Reach",
        "도달수",
        "count",
        NON_ADDITIVE,
        "up",
        description="unique people; n/a wherever rows would have to be added up",
    ),
    Metric("ctr", "CTR", "클릭률", "ratio", RATIO, "up", "clicks / impressions"),
    Metric("cpc", "CPC", "클릭당 비용", "money", RATIO, "down", "spend / clicks"),
    Metric(
        "cpm",
        "CPM",
        "천회 노출당 비용",
        "money",
        RATIO,
        "down",
        "spend * 1000 / impressions",
    ),
    Metric("cvr", "CVR", "전환율", "ratio", RATIO, "up", "conversions / clicks"),
    Metric("cpa", "CPA", "전환당 비용", "money", RATIO, "down", "spend / conversions"),
    Metric(
        "roas", "ROAS", "광고 수익률(ROAS)", "multiple", RATIO, "up", "revenue / spend"
    ),
    Metric(
        "roi",
        "ROI",
        "투자 수익률(ROI)",
        "ratio",
        RATIO,
        "up",
        "(revenue * margin - spend) / spend",
        "gross profit on ad spend; margin is the share of revenue kept",
    ),
    Metric(
        "frequency",
        "Frequency",
        "빈도",
        "decimal",
        NON_ADDITIVE,
        "down",
        "impressions / reach",
    ),
)
BASE_MEASURES = frozenset(
    m.name for m in CORE if m.additivity == BASE or m.name == "reach"
)


@dataclass
class Registry:
    """Core metrics plus the user's own, with the margin used by ROI."""

    margin: Decimal = Decimal(1)
    custom: dict[str, Metric] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.metrics = {m.name: m for m in CORE}
        for metric in self.custom.values():
            self.add(metric)

    def add(self, metric: Metric) -> None:
        if metric.name in {m.name for m in CORE}:
            raise ConfigurationError(
                f"KPI {metric.name!r} is built in; pick another name"
            )
        if not metric.name.isidentifier() or metric.name != metric.name.lower():
            raise ConfigurationError(
                f"KPI name {metric.name!r}: use lower-case snake case, "
                "e.g. cost_per_view"
            )
        unknown = (
            names_in(parse_formula(metric.formula)) - set(self.metrics) - {"margin"}
        )
        if unknown:
            raise ConfigurationError(
                f"KPI {metric.name!r}: unknown metric(s) {', '.join(sorted(unknown))} "
                f"in {metric.formula!r}; known: {', '.join(self.metrics)}"
            )
        self.metrics[metric.name] = metric

    def get(self, name: str) -> Metric:
        try:
            return self.metrics[name]
        except KeyError:
            known = ", ".join(self.metrics)
            raise ConfigurationError(
                f"unknown metric {name!r}; known metrics: {known}"
            ) from None

    def resolve(self, names: Iterable[str]) -> list[Metric]:
        return [self.get(n.strip()) for n in names if n.strip()]

    def expression(self, name: str) -> Node:
        """The metric as a tree over base measures only (and the margin)."""
        metric = self.get(name)
        if not metric.formula:
            return parse_formula(name)

        def inline(inner: str) -> Node | None:
            if inner == "margin":
                return parse_formula(str(self.margin))
            found = self.metrics.get(inner)
            if found is None or not found.formula:
                return None
            return parse_formula(found.formula)

        return substitute(parse_formula(metric.formula), inline)
