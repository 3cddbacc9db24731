"""What a report shows, provenance through metrics queries only.

Every number here comes from `run_query` and so from the one metric registry: this
module never adds, divides or converts anything itself. It only compares (change
against the comparison period, distance to a target) and ranks.

The trend is drawn by day up to about three months, by week up to two years and by
month beyond, so a long period still shows readable bars; each bucket's ROAS is the
query layer's ratio of that bucket's sums.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from adreport.metrics.dimensions import Dimension, dimension
from adreport.metrics.formula import names_in
from adreport.metrics.fx import RateUse
from adreport.metrics.query import (
    Database,
    LeftOut,
    MetricQuery,
    QueryResult,
    run_query,
)
from adreport.metrics.registry import BASE_MEASURES, Metric, Registry
from adreport.reports.period import Period, months_earlier

log = logging.getLogger(__name__)

TILE_METRICS = ("spend", "conversions", "revenue", "roas", "roi", "ctr", "cpc", "cpa")
SLICE_METRICS = ("spend", "revenue", "conversions", "roas", "cpa")
CAMPAIGN_METRICS = (*SLICE_METRICS, "ctr")
AUDIENCES = ("age", "gender", "device")
RANKED = 5
RANKINGS = ("roas", "cpa", "ctr")  # the first any campaign has ranks them
DAYS_BY_DAY = 92  # longest period drawn day by day
DAYS_BY_WEEK = 731  # longest drawn week by week; longer ones month by month


@dataclass
class Tile:
    """One KPI with its change against the comparison period and its target."""

    metric: Metric
    value: Any
    previous: Any = None
    change: float | None = None  # relative change, 0.12 for +12 %
    tone: str = "flat"  # good | bad | flat, by the metric's good direction
    target: Decimal | None = None
    target_met: bool | None = None


@dataclass
class Slice:
    """One value of a dimension (a channel, an age band...) with its numbers."""

    value: str
    numbers: dict[str, Any]


@dataclass
class Breakdown:
    dimension: Dimension
    slices: list[Slice]


@dataclass
class TrendPoint:
    """One bar of the trend: a day, a week or a month, from `start` (clamped to the
    period's first day) to `end`; provisional if any day in it is."""

    start: date
    end: date
    spend: Any
    roas: Any
    provisional: bool


@dataclass
class Trend:
    unit: str  # date | week | month: the query dimension of the buckets
    points: list[TrendPoint]


@dataclass
class CampaignLine:
    name: str
    campaign_id: str
    platform: str
    numbers: dict[str, Any]


@dataclass
class Provenance:
    """The query results the notes section is written from."""

    totals: QueryResult
    comparison: QueryResult | None
    left_out: list[LeftOut] = field(default_factory=list)
    time_zones: list[str] = field(default_factory=list)
    rates: list[tuple[str, RateUse]] = field(default_factory=list)


@dataclass
class ReportContent:
    currency: str
    period: Period
    comparison: Period | None
    metrics: dict[str, Metric]
    tiles: list[Tile]
    trend: Trend
    by_channel: Breakdown
    by_campaign_type: Breakdown
    share: Breakdown
    audiences: list[Breakdown]
    top_campaigns: list[CampaignLine]
    bottom_campaigns: list[CampaignLine]
    unranked_campaigns: int
    provenance: Provenance
    ranked_by: str | None = None  # roas, cpa or ctr; None when nothing ranks
    has_data: bool = True  # some row of the period reports some measure
    comparison_has_data: bool = False

    def tile(self, name: str) -> Tile | None:
        return next((t for t in self.tiles if t.metric.name == name), None)


class ContentGatherer:
    """Runs the report's queries in one currency, over the period and its comparison."""

    def __init__(
        self,
        db: Database,
        registry: Registry,
        targets: dict[str, Decimal],
        period: Period,
        comparison: Period | None,
    ):
        self.db = db
        self.registry = registry
        self.targets = targets
        self.period = period
        self.comparison = comparison
        self.currency: str | None = None
        self.left_out: list[LeftOut] = []
        self.time_zones: list[str] = []

    def gather(self, currency: str | None) -> ReportContent:
        self.currency = currency
        totals = self.query(self.tile_metrics() + self.base_measures())
        self.currency = totals.currency or None
        previous = self.previous_totals()
        tiles = [self._tile(m, totals, previous) for m in self.tile_metrics()]

        campaigns = self._campaigns()
        ranked_by, ranked = rank_campaigns(campaigns, self.registry)
        top, bottom = _top_and_bottom(ranked)
        content = ReportContent(
            currency=totals.currency,
            period=self.period,
            comparison=self.comparison,
            metrics=dict(self.registry.metrics),
            tiles=tiles,
            trend=self._trend(),
            by_channel=self.breakdown("channel"),
            by_campaign_type=self.breakdown("campaign_type"),
            share=self._share(),
            audiences=self._audiences(),
            top_campaigns=top,
            bottom_campaigns=bottom,
            unranked_campaigns=len(campaigns) - len(ranked),
            provenance=Provenance(totals, previous),
            ranked_by=ranked_by,
            has_data=_reports_anything(totals),
            comparison_has_data=previous is not None and _reports_anything(previous),
        )
        content.provenance.left_out = list(self.left_out)
        content.provenance.time_zones = list(self.time_zones)
        content.provenance.rates = self._rates(totals, previous)
        return content

    def query(
        self,
        metrics: list[str],
        by: list[str] | None = None,
        period: Period | None = None,
        keep_notes: bool = True,
    ) -> QueryResult:
        period = period or self.period
        result = run_query(
            self.db,
            self.registry,
            MetricQuery(
                metrics=metrics,
                by=by or [],
                start=period.start,
                end=period.end,
                currency=self.currency,
            ),
        )
        if keep_notes and period is self.period:
            self._keep_notes(result)
        return result

    def _keep_notes(self, result: QueryResult) -> None:
        self.left_out.extend(a for a in result.left_out if a not in self.left_out)
        self.time_zones.extend(z for z in result.time_zones if z not in self.time_zones)

    def tile_metrics(self) -> list[str]:
        return [
            *TILE_METRICS,
            *(m for m in self.registry.custom if m not in TILE_METRICS),
        ]

    def base_measures(self) -> list[str]:
        """Every base measure: the notes say why a tile is n/a from the ones behind
        it, and whether the period has any data at all from all of them."""
        names: set[str] = set(BASE_MEASURES)
        for name in self.tile_metrics():
            names |= names_in(self.registry.expression(name))
        return sorted(names - set(self.tile_metrics()))

    def previous_totals(self) -> QueryResult | None:
        if self.comparison is None:
            return None
        metrics = self.tile_metrics() + self.base_measures()
        return self.query(metrics, period=self.comparison)

    def _tile(
        self, name: str, totals: QueryResult, previous: QueryResult | None
    ) -> Tile:
        metric = self.registry.get(name)
        tile = Tile(metric, totals.records()[0][name])
        if previous is not None:
            tile.previous = previous.records()[0][name]
            tile.change = relative_change(tile.value, tile.previous)
            tile.tone = _tone(tile.change, metric)
        target = self.targets.get(name)
        if target is not None:
            tile.target = target
            tile.target_met = _meets(tile.value, target, metric)
        return tile

    def _trend(self) -> Trend:
        unit = trend_unit(self.period)
        result = self.query(["spend", "roas"], [unit])
        found = {bucket_start(r[unit], unit): r for r in result.records()}
        provisional = {bucket_start(d, unit) for d in result.provisional_days}
        points = []
        for start, end in buckets(self.period, unit):
            row = found.get(bucket_start(start, unit), {})
            points.append(
                TrendPoint(
                    start,
                    end,
                    row.get("spend"),
                    row.get("roas"),
                    bucket_start(start, unit) in provisional,
                )
            )
        return Trend(unit, points)

    def breakdown(self, name: str) -> Breakdown:
        return _breakdown(name, self.query(list(SLICE_METRICS), [name]))

    def _share(self) -> Breakdown:
        platforms = self.breakdown("platform")
        if len(platforms.slices) > 1:
            return platforms
        return self.breakdown("channel")

    def _audiences(self) -> list[Breakdown]:
        """The audience splits some account reports; notes only for those shown."""
        found = []
        for name in AUDIENCES:
            result = self.query(list(SLICE_METRICS), [name], keep_notes=False)
            if any(r[name] not in (None, "") for r in result.records()):
                self._keep_notes(result)
                found.append(_breakdown(name, result))
        return found

    def _campaigns(self) -> list[CampaignLine]:
        result = self.query(list(CAMPAIGN_METRICS), ["campaign", "platform"])
        return [
            CampaignLine(
                "" if r["campaign"] is None else str(r["campaign"]),
                "" if r["campaign_id"] is None else str(r["campaign_id"]),
                str(r["platform"]),
                {m: r[m] for m in CAMPAIGN_METRICS},
            )
            for r in result.records()
        ]

    def _rates(
        self, totals: QueryResult, previous: QueryResult | None
    ) -> list[tuple[str, RateUse]]:
        uses = [("period", use) for use in totals.rates]
        if previous is not None:
            uses += [("comparison", use) for use in previous.rates]
        return uses


def trend_unit(period: Period) -> str:
    """The query dimension the trend is drawn by, from the period's length."""
    if period.days <= DAYS_BY_DAY:
        return "date"
    if period.days <= DAYS_BY_WEEK:
        return "week"
    return "month"


def bucket_start(day: date, unit: str) -> date:
    """The day a bucket begins, as the query layer's week (Monday) and month do."""
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def buckets(period: Period, unit: str) -> list[tuple[date, date]]:
    """Every bucket of the period as (first, last) day, cut to the period."""
    found = []
    start = period.start
    while start <= period.end:
        following = _next_bucket(bucket_start(start, unit), unit)
        end = min(following - timedelta(days=1), period.end)
        found.append((start, end))
        start = following
    return found


def _next_bucket(start: date, unit: str) -> date:
    if unit == "week":
        return start + timedelta(days=7)
    if unit == "month":
        return months_earlier(start, -1)
    return start + timedelta(days=1)


def _reports_anything(result: QueryResult) -> bool:
    """True when some row reports some base measure: a revenue-only period counts."""
    totals = result.records()[0] if result.rows else {}
    return any(totals.get(name) is not None for name in BASE_MEASURES)


def rank_campaigns(
    campaigns: list[CampaignLine], registry: Registry
) -> tuple[str | None, list[CampaignLine]]:
    """Best first by ROAS; without any ROAS by CPA (lowest first), then by CTR."""
    for name in RANKINGS:
        ranked = [c for c in campaigns if c.numbers[name] is not None]
        if ranked:
            better = -1 if registry.get(name).good == "up" else 1
            ranked.sort(key=lambda c: _sort_value(c.numbers["spend"]), reverse=True)
            ranked.sort(key=lambda c: better * float(c.numbers[name]))
            return name, ranked
    return None, []


def _breakdown(name: str, result: QueryResult) -> Breakdown:
    slices = [
        Slice(str(r[name]), {m: r[m] for m in SLICE_METRICS}) for r in result.records()
    ]
    if name == "age":
        slices.sort(key=lambda s: (not s.value[:1].isdigit(), s.value))
    else:
        slices.sort(key=lambda s: _sort_value(s.numbers["spend"]), reverse=True)
    return Breakdown(dimension(name), slices)


def relative_change(current: Any, previous: Any) -> float | None:
    """(current - previous) / |previous|; None if either is unknown or previous is 0."""
    if current is None or previous is None or previous == 0:
        return None
    return (float(current) - float(previous)) / abs(float(previous))


def _tone(change: float | None, metric: Metric) -> str:
    if change is None or abs(change) < 0.0005:
        return "flat"
    better = change > 0 if metric.good == "up" else change < 0
    return "good" if better else "bad"


def _meets(value: Any, target: Decimal, metric: Metric) -> bool | None:
    if value is None:
        return None
    if metric.good == "up":
        return Decimal(str(value)) >= target
    return Decimal(str(value)) <= target


def _sort_value(value: Any) -> float:
    return float(value) if value is not None else float("-inf")


def _top_and_bottom(
    ranked: list[CampaignLine],
) -> tuple[list[CampaignLine], list[CampaignLine]]:
    """The best (best first) and the worst (worst first); all in one list when
    there are too few to split."""
    if len(ranked) <= 2 * RANKED:
        return ranked, []
    return ranked[:RANKED], list(reversed(ranked[-RANKED:]))
