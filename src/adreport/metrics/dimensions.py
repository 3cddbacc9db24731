"""The dimensions a metrics query can group and filter by."""

from __future__ import annotations

from dataclasses import dataclass

from adreport.errors import ConfigurationError
from adreport.ingest.channels import PLATFORM_CHANNELS
from adreport.model import BREAKDOWNS


@dataclass(frozen=True)
class Dimension:
    name: str
    label_en: str
    label_ko: str
    group_sql: tuple[str, ...]  # what rows are grouped by
    show_sql: str  # what is shown (may aggregate a name over the group)
    filter_sql: tuple[str, ...]  # a filter value matches any of these
    level: str | None = None  # the entity level rows must have to answer it
    breakdown: str | None = None
    joins: tuple[str, ...] = ()
    id_sql: str | None = None  # shown as <name>_id beside the name
    # Values are stored lower-case, so a filter needs no lower() on every row.
    lower_case: bool = False

    def label(self, lang: str) -> str:
        return self.label_ko if lang == "ko" else self.label_en


def _entity(name: str, en: str, ko: str, level: str, alias: str) -> Dimension:
    id_column = f"f.{level}_id"
    return Dimension(
        name,
        en,
        ko,
        ("f.platform", "f.account_id", id_column),
        f"COALESCE(NULLIF(max({alias}.name), ''), {id_column})",
        (f"{alias}.name", id_column),
        level=level,
        joins=(alias,),
        id_sql=id_column,
    )


# A campaign's own channel; without one, the platform's usual one. Worked out on
# the campaigns table (thousands of rows), not per fact row (millions).
PLATFORM_CHANNEL_SQL = " ".join(
    f"WHEN '{platform}' THEN '{channel}'"
    for platform, channel in PLATFORM_CHANNELS.items()
)
CAMPAIGN_CHANNEL_SQL = (
    "lower(COALESCE(NULLIF(channel, ''), "
    f"CASE platform {PLATFORM_CHANNEL_SQL} ELSE 'unknown' END))"
)
CHANNEL_SQL = "COALESCE(cp.channel, 'unknown')"

KOREAN_BREAKDOWNS = {
    "age": "연령",
    "gender": "성별",
    "country": "국가",
    "region": "지역",
    "device": "기기",
    "placement": "게재위치",
    "network": "네트워크",
    "interest": "관심사",
    "conversion_goal": "전환 목표",
}

DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension("date", "Date", "날짜", ("f.date",), "f.date", ("f.date",)),
        Dimension(
            "week",
            "Week",
            "주",
            ("CAST(date_trunc('week', f.date) AS DATE)",),
            "CAST(date_trunc('week', f.date) AS DATE)",
            ("CAST(date_trunc('week', f.date) AS DATE)",),
        ),
        Dimension(
            "month",
            "Month",
            "월",
            ("CAST(date_trunc('month', f.date) AS DATE)",),
            "CAST(date_trunc('month', f.date) AS DATE)",
            ("CAST(date_trunc('month', f.date) AS DATE)",),
        ),
        Dimension(
            "platform",
            "Platform",
            "매체",
            ("f.platform",),
            "f.platform",
            ("f.platform",),
        ),
        Dimension(
            "account",
            "Account",
            "계정",
            ("f.platform", "f.account_id"),
            "COALESCE(NULLIF(max(a.name), ''), f.account_id)",
            ("a.name", "f.account_id"),
            joins=("a",),
            id_sql="f.account_id",
        ),
        Dimension(
            "channel",
            "Channel",
            "채널",
            (CHANNEL_SQL,),
            CHANNEL_SQL,
            (CHANNEL_SQL,),
            level="campaign",
            joins=("cp",),
            lower_case=True,
        ),
        Dimension(
            "campaign_type",
            "Campaign type",
            "캠페인 유형",
            ("COALESCE(NULLIF(cp.campaign_type, ''), 'unknown')",),
            "COALESCE(NULLIF(cp.campaign_type, ''), 'unknown')",
            ("cp.campaign_type",),
            level="campaign",
            joins=("cp",),
        ),
        _entity("campaign", "Campaign", "캠페인", "campaign", "cp"),
        _entity("ad_group", "Ad group", "광고그룹", "ad_group", "eg"),
        _entity("ad", "Ad", "광고", "ad", "ea"),
        _entity("keyword", "Keyword", "키워드", "keyword", "ek"),
        *(
            Dimension(
                b,
                b.replace("_", " ").capitalize(),
                KOREAN_BREAKDOWNS[b],
                (f"f.{b}",),
                f"f.{b}",
                (f"f.{b}",),
                breakdown=b,
            )
            for b in BREAKDOWNS
        ),
        Dimension(
            "source_file",
            "Source file",
            "원본 파일",
            ("f.source_file",),
            "f.source_file",
            ("f.source_file",),
        ),
        Dimension(
            "attribution_setting",
            "Attribution setting",
            "기여 설정",
            ("f.attribution_setting",),
            "f.attribution_setting",
            ("f.attribution_setting",),
        ),
    )
}

JOINS = {
    "a": "LEFT JOIN accounts a ON a.platform = f.platform "
    "AND a.account_id = f.account_id",
    "cp": "LEFT JOIN (SELECT platform, account_id, campaign_id, name, campaign_type, "
    f"{CAMPAIGN_CHANNEL_SQL} AS channel FROM campaigns) cp "
    "ON cp.platform = f.platform AND cp.account_id = f.account_id "
    "AND cp.campaign_id = f.campaign_id",
    "eg": "LEFT JOIN entities eg ON eg.platform = f.platform AND eg.account_id = "
    "f.account_id AND eg.level = 'ad_group' AND eg.entity_id = f.ad_group_id",
    "ea": "LEFT JOIN entities ea ON ea.platform = f.platform AND ea.account_id = "
    "f.account_id AND ea.level = 'ad' AND ea.entity_id = f.ad_id",
    "ek": "LEFT JOIN entities ek ON ek.platform = f.platform AND ek.account_id = "
    "f.account_id AND ek.level = 'keyword' AND ek.entity_id = f.keyword_id",
}


def dimension(name: str) -> Dimension:
    try:
        return DIMENSIONS[name.strip()]
    except KeyError:
        known = ", ".join(DIMENSIONS)
        raise ConfigurationError(
            f"unknown dimension {name!r}; known dimensions: {known}"
        ) from None
