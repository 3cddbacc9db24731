"""The Naver sandbox's world: customers, campaigns, ad groups, keywords, daily stats.

Deterministic for a seed. Names are Korean, as advertisers write them; one keyword
is stored decomposed (NFD), as text typed on some systems arrives, so the
connector's normalisation to NFC is exercised. Money is whole KRW.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")


@dataclass
class Keyword:
    keyword_id: str
    text: str
    ad_group_id: str


@dataclass
class AdGroup:
    ad_group_id: str
    name: str
    campaign_id: str


@dataclass
class Campaign:
    campaign_id: str
    name: str
    campaign_type: str
    status: str


@dataclass
class Stat:
    """One keyword-day, in the platform's field names."""

    imp_cnt: int
    clk_cnt: int
    sales_amt: int  # KRW, VAT excluded
    ccnt: int
    conv_amt: int  # KRW


@dataclass
class Customer:
    customer_id: str
    name: str
    campaigns: list[Campaign] = field(default_factory=list)
    ad_groups: list[AdGroup] = field(default_factory=list)
    keywords: list[Keyword] = field(default_factory=list)
    # (keyword id, day) -> stats
    stats: dict[tuple[str, date], Stat] = field(default_factory=dict)


CAMPAIGN_NAMES = (
    "봄맞이 세일",
    "브랜드 검색",
    "신상품 런칭",
    "여름 휴가 특가",
    "가전 할인전",
    "추석 선물세트",
)
AD_GROUP_WORDS = (
    "노트북",
    "스마트폰",
    "무선 이어폰",
    "캠핑 용품",
    "러닝화",
    "제주도 항공권",
    "호텔 예약",
    "한우 선물",
    "공기청정기",
    "전기밥솥",
)
MODIFIERS = (
    "추천",
    "가격",
    "할인",
    "최저가",
    "후기",
    "비교",
    "인기",
    "사은품",
    "무료배송",
    "정품",
    "특가",
    "순위",
)

# (customer id, name, campaigns, ad groups per campaign, keywords per ad group)
CUSTOMERS = (
    ("1234567", "한빛전자", 4, 3, 12),
    ("2345678", "바다여행사", 3, 2, 8),
)


# The sandbox's API licences: key -> (secret key, customers it may read).
LICENCES = {
    "0100000000sandbox-manager": (
        "AQAAAADsandbox-manager-secret==",
        {"1234567", "2345678"},
    ),
    "0100000000sandbox-travel": ("AQAAAADsandbox-travel-secret==", {"2345678"}),
}
MANAGER_KEY = "0100000000sandbox-manager"


def yesterday_in_seoul() -> date:
    return datetime.now(SEOUL).date() - timedelta(days=1)


def build_world(
    seed: int = 7, days: int = 90, last_day: date | None = None
) -> dict[str, Customer]:
    """Every customer of the sandbox, by customer id."""
    last = last_day or yesterday_in_seoul()
    span = [last - timedelta(days=n) for n in range(days - 1, -1, -1)]
    world = {}
    for number, (cid, name, campaigns, groups, keywords) in enumerate(CUSTOMERS):
        customer = Customer(customer_id=cid, name=name)
        _entities(customer, number, campaigns, groups, keywords)
        _stats(customer, random.Random(seed * 1_000_003 + number), span)  # noqa: S311
        world[cid] = customer
    return world


def _entities(
    customer: Customer, number: int, campaigns: int, groups: int, keywords: int
) -> None:
    tag = f"a{number + 1:03d}"
    for c in range(campaigns):
        campaign_id = f"cmp-{tag}-01-{100000001 + c:015d}"
        status = "PAUSED" if c == campaigns - 1 else "ELIGIBLE"
        customer.campaigns.append(
            Campaign(campaign_id, CAMPAIGN_NAMES[c], "WEB_SITE", status)
        )
        for g in range(groups):
            ad_group_id = f"grp-{tag}-01-{200000001 + c * 100 + g:015d}"
            word = AD_GROUP_WORDS[(c * groups + g) % len(AD_GROUP_WORDS)]
            customer.ad_groups.append(AdGroup(ad_group_id, word, campaign_id))
            for k in range(keywords):
                keyword_id = f"nkw-{tag}-01-{300000001 + c * 10000 + g * 100 + k:015d}"
                text = f"{word} {MODIFIERS[k % len(MODIFIERS)]}"
                customer.keywords.append(Keyword(keyword_id, text, ad_group_id))
    # One keyword arrives decomposed, as typed on some systems.
    first = customer.keywords[0]
    first.text = unicodedata.normalize("NFD", first.text)


def _stats(customer: Customer, rng: random.Random, span: list[date]) -> None:
    for keyword in customer.keywords:
        reach = rng.randint(40, 4000)
        ctr = rng.uniform(0.004, 0.06)
        cpc = rng.choice((70, 90, 130, 210, 350, 520, 880, 1400))
        cvr = rng.uniform(0.0, 0.08)
        price = rng.choice((9900, 19900, 45000, 129000, 390000))
        for day in span:
            if rng.random() < 0.08:
                customer.stats[(keyword.keyword_id, day)] = Stat(0, 0, 0, 0, 0)
                continue
            imp = max(0, int(reach * rng.uniform(0.5, 1.5)))
            clk = int(imp * ctr * rng.uniform(0.6, 1.4))
            conversions = int(clk * cvr * rng.uniform(0.5, 1.5))
            customer.stats[(keyword.keyword_id, day)] = Stat(
                imp, clk, clk * cpc, conversions, conversions * price
            )


def restate(customer: Customer, day: date) -> None:
    """Late conversions and settled cost for one day: the numbers move, once more."""
    rng = random.Random(f"{customer.customer_id}:{day.isoformat()}")  # noqa: S311
    for keyword in customer.keywords:
        old = customer.stats.get((keyword.keyword_id, day))
        if old is None or old.clk_cnt == 0:
            continue
        late = 1 if rng.random() < 0.5 else 0
        settled = -rng.randint(0, max(1, old.sales_amt // 20))
        customer.stats[(keyword.keyword_id, day)] = Stat(
            old.imp_cnt,
            old.clk_cnt,
            max(0, old.sales_amt + settled),
            old.ccnt + late,
            old.conv_amt + late * 19900,
        )
