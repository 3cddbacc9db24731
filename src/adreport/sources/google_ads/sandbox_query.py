"""Answering a GAQL query from the sandbox's world, as GoogleAdsRow JSON.

The field catalogue is the subset of the API's that the connector uses (plus a few
neighbours), with the API's rules: a field must exist and belong to a resource the
query may select from, `segments.date` needs a finite date range, metrics are
summed over what the query does not segment by. Rows come out the way the REST
API writes them: camelCase paths, int64 values as strings, enums as names, and a
`resourceName` for each resource a row touches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from adreport.sources.google_ads.gaql import GAQLError, Query
from adreport.sources.google_ads.sandbox_world import (
    Ad,
    AdGroup,
    Campaign,
    Cell,
    Customer,
    World,
)

Entity = Customer | Campaign | AdGroup | Ad
LEVEL_OF = {"customer": 0, "campaign": 1, "ad_group": 2, "ad_group_ad": 3}
FAMILY_OF_FIELD = {
    "customer": "customer",
    "campaign": "campaign",
    "ad_group": "ad_group",
    "ad_group_ad": "ad_group_ad",
}


def _customer(e: Entity) -> Customer:
    return e if isinstance(e, Customer) else _campaign(e).customer


def _campaign(e: Entity) -> Campaign:
    if isinstance(e, Campaign):
        return e
    if isinstance(e, AdGroup):
        return e.campaign
    if isinstance(e, Ad):
        return e.ad_group.campaign
    raise TypeError("a customer has no campaign")


def _ad_group(e: Entity) -> AdGroup:
    if isinstance(e, AdGroup):
        return e
    if isinstance(e, Ad):
        return e.ad_group
    raise TypeError("no ad group above this level")


def _ad(e: Entity) -> Ad:
    if isinstance(e, Ad):
        return e
    raise TypeError("no ad above this level")


@dataclass(frozen=True)
class Attribute:
    kind: str  # int64, string, enum, bool
    read: Callable[[Entity], Any]


ATTRIBUTES: dict[str, Attribute] = {
    "customer.id": Attribute("int64", lambda e: _customer(e).id),
    "customer.descriptive_name": Attribute("string", lambda e: _customer(e).name),
    "customer.currency_code": Attribute("string", lambda e: _customer(e).currency),
    "customer.time_zone": Attribute("string", lambda e: _customer(e).timezone),
    "customer.manager": Attribute("bool", lambda e: _customer(e).manager),
    "campaign.id": Attribute("int64", lambda e: _campaign(e).id),
    "campaign.name": Attribute("string", lambda e: _campaign(e).name),
    "campaign.status": Attribute("enum", lambda e: _campaign(e).status),
    "campaign.advertising_channel_type": Attribute(
        "enum", lambda e: _campaign(e).channel
    ),
    "ad_group.id": Attribute("int64", lambda e: _ad_group(e).id),
    "ad_group.name": Attribute("string", lambda e: _ad_group(e).name),
    "ad_group.status": Attribute("enum", lambda e: _ad_group(e).status),
    "ad_group_ad.ad.id": Attribute("int64", lambda e: _ad(e).id),
    "ad_group_ad.ad.name": Attribute("string", lambda e: _ad(e).name),
    "ad_group_ad.ad.type": Attribute("enum", lambda e: _ad(e).type),
    "ad_group_ad.status": Attribute("enum", lambda e: _ad(e).status),
}
RESOURCE_NAME_FIELDS = {f"{family}.resource_name" for family in FAMILY_OF_FIELD}
METRICS = {
    "metrics.impressions": "int64",
    "metrics.clicks": "int64",
    "metrics.cost_micros": "int64",
    "metrics.conversions": "double",
    "metrics.conversions_value": "double",
    "metrics.all_conversions": "double",
    "metrics.ctr": "double",
    "metrics.average_cpc": "double",
}
SEGMENTS = ("segments.date", "segments.device", "segments.ad_network_type")


def check(query: Query, removed: Iterable[str] = ()) -> None:
    """Refuse what the API refuses: unknown resources and fields, open date ranges."""
    if query.resource not in LEVEL_OF:
        raise GAQLError(
            "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
            f"Error in query: unknown or unsupported resource {query.resource}.",
            query.resource,
        )
    gone = set(removed)
    for name in sorted(query.mentioned):
        _check_field(name, query.resource, gone)
    if "segments.date" in query.fields and query.date_range() is None:
        raise GAQLError(
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "Error in query: segments.date in SELECT needs a finite date range "
            "filter on segments.date in WHERE.",
        )


def _check_field(name: str, resource: str, gone: set[str]) -> None:
    known = name in ATTRIBUTES or name in METRICS or name in SEGMENTS
    known = known or name in RESOURCE_NAME_FIELDS
    if not known or name in gone:
        raise GAQLError(
            "UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.", name
        )
    family = name.split(".")[0]
    if family in LEVEL_OF and LEVEL_OF[family] > LEVEL_OF[resource]:
        raise GAQLError(
            "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
            f"Cannot select fields from {family} in a query FROM {resource}.",
            name,
        )


def answer(world: World, customer_id: str, query: Query) -> list[dict[str, Any]]:
    """Every GoogleAdsRow the query selects, in a stable order."""
    segments = [f for f in query.fields if f in SEGMENTS]
    wants_facts = bool(segments) or any(f in METRICS for f in query.mentioned)
    if wants_facts:
        rows = _fact_rows(world, customer_id, query, segments)
    else:
        rows = [{"entity": e} for e in _entities(world, customer_id, query.resource)]
    rows = [row for row in rows if _matches(row, query)]
    rows = _ordered(rows, query)
    if query.limit is not None:
        rows = rows[: query.limit]
    write = _RowWriter(query)
    return [write(row) for row in rows]


def _entities(world: World, customer_id: str, resource: str) -> list[Entity]:
    everything: dict[str, list[Any]] = {
        "customer": [world.customers[customer_id]],
        "campaign": world.campaigns,
        "ad_group": world.ad_groups,
        "ad_group_ad": world.ads,
    }
    return [
        entity
        for entity in everything[resource]
        if _customer(entity).id == customer_id and _shown(entity, resource)
    ]


def _shown(entity: Entity, resource: str) -> bool:
    """Performance Max has asset groups, not ad groups: it shows at campaign level."""
    if LEVEL_OF[resource] < LEVEL_OF["ad_group"]:
        return True
    return _campaign(entity).channel != "PERFORMANCE_MAX"


def _fact_rows(
    world: World, customer_id: str, query: Query, segments: list[str]
) -> list[dict[str, Any]]:
    span = query.date_range() or (date.min, date.max)
    days = world.cells.get(customer_id, {})
    first = max(span[0], min(days, default=span[0]))
    last = min(span[1], max(days, default=span[1]))
    sums: dict[tuple[Any, ...], list[Any]] = {}
    entities: dict[int, Entity] = {}
    for cell in world.days(customer_id, first, last):
        entity = _entity_of(cell, query.resource)
        if not _shown(entity, query.resource):
            continue
        # Keyed by identity: hashing a nested frozen dataclass costs far more.
        entities[id(entity)] = entity
        key = (id(entity), *(_segment(cell, s) for s in segments))
        total = sums.get(key)
        if total is None:
            sums[key] = [
                cell.impressions,
                cell.clicks,
                cell.cost_micros,
                cell.conversions,
                cell.conversions_value,
            ]
        else:
            total[0] += cell.impressions
            total[1] += cell.clicks
            total[2] += cell.cost_micros
            total[3] += cell.conversions
            total[4] += cell.conversions_value
    return [
        _fact_row((entities[key[0]], *key[1:]), total, segments)
        for key, total in sums.items()
    ]


def _fact_row(
    key: tuple[Any, ...], total: list[Any], segments: list[str]
) -> dict[str, Any]:
    impressions, clicks, micros, conversions, value = total
    row: dict[str, Any] = {
        "entity": key[0],
        **dict(zip(segments, key[1:], strict=True)),
    }
    row["metrics.impressions"] = impressions
    row["metrics.clicks"] = clicks
    row["metrics.cost_micros"] = micros
    row["metrics.conversions"] = conversions
    row["metrics.conversions_value"] = value
    row["metrics.all_conversions"] = conversions
    row["metrics.ctr"] = Decimal(clicks) / impressions if impressions else Decimal(0)
    row["metrics.average_cpc"] = Decimal(micros) / clicks if clicks else Decimal(0)
    return row


def _entity_of(cell: Cell, resource: str) -> Entity:
    if resource == "ad_group_ad":
        return cell.ad
    if resource == "ad_group":
        return cell.ad.ad_group
    if resource == "campaign":
        return cell.ad.ad_group.campaign
    return cell.ad.ad_group.campaign.customer


def _segment(cell: Cell, name: str) -> str:
    if name == "segments.date":
        return cell.day.isoformat()
    if name == "segments.device":
        return cell.device
    return cell.network


def _value(row: dict[str, Any], name: str) -> Any:
    if name in row:
        return row[name]
    if name in ATTRIBUTES:
        return ATTRIBUTES[name].read(row["entity"])
    return None


def _matches(row: dict[str, Any], query: Query) -> bool:
    return all(
        _holds(_value(row, c.field), c.operator, c.values) for c in query.conditions
    )


def _holds(value: Any, operator: str, wanted: tuple[str, ...]) -> bool:
    if value is None:
        return False
    numeric = isinstance(value, int | Decimal)
    have: Any = Decimal(value) if numeric else str(value)
    targets: list[Any] = [Decimal(w) if numeric else w for w in wanted]
    if operator == "BETWEEN":
        return bool(targets[0] <= have <= targets[1])
    if operator == "IN":
        return have in targets
    compare = {
        "=": have == targets[0],
        "!=": have != targets[0],
        "<": have < targets[0],
        "<=": have <= targets[0],
        ">": have > targets[0],
        ">=": have >= targets[0],
    }
    return bool(compare[operator])


def _ordered(rows: list[dict[str, Any]], query: Query) -> list[dict[str, Any]]:
    def natural(row: dict[str, Any]) -> tuple[str, ...]:
        return (
            str(row.get("segments.date", "")),
            _resource_name(row["entity"]),
            str(row.get("segments.device", "")),
            str(row.get("segments.ad_network_type", "")),
        )

    rows.sort(key=natural)
    for name, descending in reversed(query.order_by):
        rows.sort(key=lambda row: _sortable(_value(row, name)), reverse=descending)
    return rows


def _sortable(value: Any) -> tuple[int, Any]:
    if isinstance(value, int | Decimal):
        return (0, Decimal(value))
    return (1, str(value))


def _resource_name(entity: Entity) -> str:
    customer = f"customers/{_customer(entity).id}"
    if isinstance(entity, Customer):
        return customer
    if isinstance(entity, Campaign):
        return f"{customer}/campaigns/{entity.id}"
    if isinstance(entity, AdGroup):
        return f"{customer}/adGroups/{entity.id}"
    return f"{customer}/adGroupAds/{entity.ad_group.id}~{entity.id}"


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def field_mask(query: Query) -> str:
    return ",".join(".".join(camel(p) for p in f.split(".")) for f in query.fields)


class _RowWriter:
    """Writes rows of one query: paths and kinds worked out once, not per row."""

    def __init__(self, query: Query):
        families = dict.fromkeys(f.split(".")[0] for f in query.fields)
        self.families = [(f, camel(f)) for f in families if f in LEVEL_OF]
        self.fields = [
            (name, [camel(part) for part in name.split(".")], _kind(name))
            for name in query.fields
            if not name.endswith(".resource_name")
        ]
        self.names: dict[tuple[int, str], str] = {}

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        entity = row["entity"]
        for family, key in self.families:
            out[key] = {"resourceName": self._name(entity, family)}
        for name, path, kind in self.fields:
            _put(out, path, _json_value(_value(row, name), kind))
        if "adGroupAd" in out and "ad" in out["adGroupAd"]:
            customer = out.get("customer", {}).get("id") or _customer(entity).id
            ad = out["adGroupAd"]["ad"]
            ad["resourceName"] = f"customers/{customer}/ads/{_ad(entity).id}"
        return out

    def _name(self, entity: Entity, family: str) -> str:
        key = (id(entity), family)
        found = self.names.get(key)
        if found is None:
            found = self.names[key] = _resource_of(entity, family)
        return found


def _kind(name: str) -> str:
    return METRICS.get(name) or (ATTRIBUTES[name].kind if name in ATTRIBUTES else "")


def _resource_of(entity: Entity, family: str) -> str:
    readers: dict[str, Callable[[Entity], Entity]] = {
        "customer": _customer,
        "campaign": _campaign,
        "ad_group": _ad_group,
        "ad_group_ad": _ad,
    }
    return _resource_name(readers[family](entity))


def _json_value(value: Any, kind: str) -> Any:
    if kind == "int64":
        return str(value)
    if kind == "double":  # proto3 JSON writes a whole double without ".0"
        return int(value) if value == int(value) else float(value)
    return value


def _put(out: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        out = out.setdefault(part, {})
    out[path[-1]] = value
