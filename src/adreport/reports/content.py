"""What a report shows, provenance through metrics queries only.

Every number here comes from `run_query` and so from the one metric registry: this
module never adds, divides or converts anything itself. It only compares (change
against the comparison period, distance to a target) and ranks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
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
from adreport.metrics.registry import Metric, Registry
from adreport.reports.period import Period

log = logging.getLogger(__name__)

TILE_METRICS = ("spend", "conversions", "revenue", "roas", "roi", "ctr", "cpc", "cpa")
SLICE_METRICS = ("spend", "revenue", "conversions", "roas", "cpa")
AUDIENCES = ("age", "gender", "device")
RANKED = 5


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
class DayPoint:
    day: date
    spend: Any
    roas: Any
    provisional: bool


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
    daily: list[DayPoint]
    by_channel: Breakdown
    by_campaign_type: Breakdown
    share: Breakdown
    audiences: list[Breakdown]
    top_campaigns: list[CampaignLine]
    bottom_campaigns: list[CampaignLine]
    unranked_campaigns: int
    provenance: Provenance


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
        ranked = [c for c in campaigns if c.numbers["roas"] is not None]
        top, bottom = _top_and_bottom(ranked)
        content = ReportContent(
            currency=totals.currency,
            period=self.period,
            comparison=self.comparison,
            metrics=dict(self.registry.metrics),
            tiles=tiles,
            daily=self._daily(),
            by_channel=self.breakdown("channel"),
            by_campaign_type=self.breakdown("campaign_type"),
            share=self._share(),
            audiences=self._audiences(),
            top_campaigns=top,
            bottom_campaigns=bottom,
            unranked_campaigns=len(campaigns) - len(ranked),
            provenance=Provenance(totals, previous),
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
        """The base measures behind the tiles, so the notes can say why one is n/a."""
        names: set[str] = set()
        for name in self.tile_metrics():
            names |= names_in(self.registry.expression(name))
        return sorted(names - set(self.tile_metrics()))

    def previous_totals(self) -> QueryResult | None:
        if self.comparison is None:
            return None
        return self.query(self.tile_metrics(), period=self.comparison)

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

    def _daily(self) -> list[DayPoint]:
        result = self.query(["spend", "roas"], ["date"])
        provisional = set(result.provisional_days)
        return [
            DayPoint(r["date"], r["spend"], r["roas"], r["date"] in provisional)
            for r in result.records()
        ]

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
        result = self.query(list(SLICE_METRICS), ["campaign", "platform"])
        return [
            CampaignLine(
                str(r["campaign"]),
                str(r["campaign_id"]),
                str(r["platform"]),
                {m: r[m] for m in SLICE_METRICS},
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
    """Best and worst ROAS; one list of all when there are too few to split."""
    ordered = sorted(
        ranked,
        key=lambda c: (float(c.numbers["roas"]), _sort_value(c.numbers["spend"])),
        reverse=True,
    )
    if len(ordered) <= 2 * RANKED:
        return ordered, []
    return ordered[:RANKED], list(reversed(ordered[-RANKED:]))
