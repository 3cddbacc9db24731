"""Per-action-type tables (Meta's actions and action_values) joined onto ad rows.

Such a table lists, per ad and day, one row per action type. Each conversion
family is read once, by the catalogue's priority (conversions.py), and attached to
the ad-day rows of the main table imported in the same command.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from adreport.errors import MissingFactError
from adreport.ingest.batch import (
    Batch,
    BatchParser,
    normalise_text,
    parse_days,
    parse_numbers,
)
from adreport.ingest.conversions import META_FAMILIES


def action_table(parser: BatchParser, batch: Batch) -> pa.Table:
    for needed in ("ad_id", "date", "action_type", "value"):
        if needed not in batch.columns:
            raise MissingFactError(
                f"{parser.facts.path.name}: an actions table needs a {needed} column"
            )
    numbers = parse_numbers(parser, batch)
    return pa.table(
        {
            "ad_id": normalise_text(batch.columns["ad_id"]),
            "date": parse_days(parser, batch, "date"),
            "action_type": normalise_text(batch.columns["action_type"]),
            "value": numbers["value"],
            "source_line": batch.lines,
        }
    )


def family_value_sql(family_name: str) -> str:
    """SQL picking one family's value per group: a total alias, else its legs."""
    family = META_FAMILIES[family_name]
    totals = [
        f"max(value) FILTER (WHERE action_type = '{alias}')" for alias in family.totals
    ]
    legs = ", ".join(f"'{leg}'" for leg in family.legs)
    legs_sum = f"sum(value) FILTER (WHERE action_type IN ({legs}))"
    return f"COALESCE({', '.join(totals)}, {legs_sum})"


def ad_days_adding_legs(actions: pa.Table, family_name: str) -> int:
    """Ad-days whose family count is the sum of two or more legs (no total given).

    Worth telling: if a platform reports one conversion under two legs, the sum
    counts it twice, and only the reader can know which case theirs is.
    """
    family = META_FAMILIES[family_name]
    keys = ["ad_id", "date"]
    types = actions["action_type"]
    with_total = actions.filter(pc.is_in(types, pa.array(family.totals)))
    totalled = set(zip(*(with_total[k].to_pylist() for k in keys), strict=True))
    legs = actions.filter(pc.is_in(types, pa.array(family.legs)))
    counted = legs.group_by(keys).aggregate([("action_type", "count_distinct")])
    several = counted.filter(pc.greater(counted["action_type_count_distinct"], 1))
    pairs = zip(*(several[k].to_pylist() for k in keys), strict=True)
    return sum(1 for pair in pairs if pair not in totalled)


def check_family(name: str) -> str:
    if name not in META_FAMILIES:
        known = ", ".join(META_FAMILIES)
        raise MissingFactError(f"unknown conversion event {name!r}; known: {known}")
    return name
