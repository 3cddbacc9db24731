"""Which of a platform's many conversion counters is *the* number for a family.

Meta lists the same purchase under several aliases (omni, pixel, on-site, app) and
per attribution window. Adding them up counts one purchase two or three times. For
each family the catalogue names the aliases of the family's total in priority
order, and the disjoint legs (website pixel, on-site, app) that add up to it when
no total is given. A family with none of them present is NULL, never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Family:
    name: str
    totals: tuple[str, ...]
    legs: tuple[str, ...]


def _meta_family(event: str, pixel: str, onsite: str, app: str) -> Family:
    return Family(
        event,
        (f"omni_{event}", event),
        (
            f"offsite_conversion.fb_pixel_{pixel}",
            f"onsite_conversion.{onsite}",
            f"app_custom_event.fb_mobile_{app}",
        ),
    )


META_FAMILIES = {
    f.name: f
    for f in (
        _meta_family("purchase", "purchase", "purchase", "purchase"),
        _meta_family("add_to_cart", "add_to_cart", "add_to_cart", "add_to_cart"),
        _meta_family(
            "initiated_checkout",
            "initiate_checkout",
            "initiate_checkout",
            "initiated_checkout",
        ),
        _meta_family("view_content", "view_content", "view_content", "content_view"),
        _meta_family(
            "complete_registration",
            "complete_registration",
            "complete_registration",
            "complete_registration",
        ),
        Family(
            "lead",
            ("lead", "onsite_conversion.lead_grouped"),
            ("offsite_conversion.fb_pixel_lead", "onsite_conversion.lead"),
        ),
    )
}


def family_of(action_type: str) -> str | None:
    """The family an action type belongs to, if any."""
    for family in META_FAMILIES.values():
        if action_type in family.totals or action_type in family.legs:
            return family.name
    return None


def pick(actions: Mapping[str, Decimal | None], family: str) -> Decimal | None:
    """The family's count from one row's actions: a total alias, else the legs."""
    chosen = META_FAMILIES[family]
    for alias in chosen.totals:
        value = actions.get(alias)
        if value is not None:
            return value
    legs = [value for leg in chosen.legs if (value := actions.get(leg)) is not None]
    if not legs:
        return None
    return sum(legs, Decimal(0))
