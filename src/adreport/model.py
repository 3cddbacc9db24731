"""The unified model every source maps into: levels, dimensions, measures, keys.

A fact row is one day (in the account's own calendar) of one entity at one level,
split by the breakdowns its source provides. Its natural key is the level plus every
dimension actually present; absent key parts are stored as the empty string, never
NULL, so two rows can only collapse when they really describe the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

PLATFORMS = (
    "google-ads",
    "meta",
    "microsoft-ads",
    "linkedin",
    "tiktok",
    "reddit",
    "naver-searchad",
    "kakao-moment",
    "other",
)

# Entity levels from coarsest to finest. Keyword and ad are siblings under ad group.
LEVELS = ("account", "campaign", "ad_group", "ad", "keyword")
LEVEL_RANK = {"account": 0, "campaign": 1, "ad_group": 2, "ad": 3, "keyword": 3}
ENTITY_IDS = {
    "campaign": "campaign_id",
    "ad_group": "ad_group_id",
    "ad": "ad_id",
    "keyword": "keyword_id",
}
# Which levels can answer a breakdown by an entity dimension.
LEVELS_ANSWERING = {
    "account": {"account", "campaign", "ad_group", "ad", "keyword"},
    "campaign": {"campaign", "ad_group", "ad", "keyword"},
    "ad_group": {"ad_group", "ad", "keyword"},
    "ad": {"ad"},
    "keyword": {"keyword"},
}

# Splits of a day that a source may provide. Summing over one of them gives the
# day's total, so they are part of a row's key and of its grain.
BREAKDOWNS = (
    "age",
    "gender",
    "country",
    "region",
    "device",
    "placement",
    "network",
    "interest",
    "conversion_goal",
)

KEY_COLUMNS = (
    "platform",
    "account_id",
    "grain",
    "date",
    "campaign_id",
    "ad_group_id",
    "ad_id",
    "keyword_id",
    *BREAKDOWNS,
    "attribution_setting",
)

COUNT_MEASURES = ("impressions", "clicks", "reach", "video_views", "engagements")
DECIMAL_MEASURES = ("conversions",)
MONEY_MEASURES = ("spend", "revenue")
MEASURES = (*COUNT_MEASURES, *DECIMAL_MEASURES, *MONEY_MEASURES)

MONEY_TYPE = pa.decimal128(18, 6)
CONVERSIONS_TYPE = pa.decimal128(18, 6)


@dataclass(frozen=True, order=True)
class Grain:
    """The level and breakdowns a fact row is reported at.

    Its text form sorts coarsest first, so the coarsest grain present for a day is
    simply the smallest text (used to avoid double counting across levels).
    """

    level: str
    breakdowns: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        rank = LEVEL_RANK[self.level]
        parts = "+".join(self.breakdowns)
        return f"{rank}{len(self.breakdowns):02d}:{self.level}:{parts}"

    @classmethod
    def parse(cls, text: str) -> Grain:
        _, level, parts = text.split(":", 2)
        return cls(level, tuple(p for p in parts.split("+") if p))

    def answers(self, entity_levels: set[str], breakdowns: set[str]) -> bool:
        """True when rows of this grain can be grouped by all the dimensions asked."""
        levels_ok = all(self.level in LEVELS_ANSWERING[e] for e in entity_levels)
        return levels_ok and breakdowns <= set(self.breakdowns)


def make_grain(level: str, breakdowns: set[str] | tuple[str, ...]) -> Grain:
    if level not in LEVEL_RANK:
        raise ValueError(f"unknown level {level!r}; known: {', '.join(LEVELS)}")
    return Grain(level, tuple(b for b in BREAKDOWNS if b in breakdowns))
