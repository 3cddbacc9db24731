"""Naver Search Ad (네이버 검색광고): HMAC-signed requests, keyword-level daily stats.

Connect with the API licence (access licence), the secret key and the customer
ids the licence may read; amounts are whole KRW and days are Asia/Seoul days.
"""

from __future__ import annotations

from adreport.sources.naver_searchad.connector import (
    DEFAULT_BASE_URL,
    NaverSearchAdConnector,
)
from adreport.sources.naver_searchad.signing import NaverSignature
from adreport.sources.registry import ConnectOption

PLATFORM = "naver-searchad"

CONNECT_OPTIONS: list[ConnectOption] = [
    ConnectOption(
        name="api-key",
        help="the API licence (access licence) from Tools > API Manager",
        secret=False,
        required=True,
        default=None,
    ),
    ConnectOption(
        name="secret-key",
        help="the secret key shown beside the API licence",
        secret=True,
        required=True,
        default=None,
    ),
    ConnectOption(
        name="customer-ids",
        help="the customer ids to read, comma-separated (e.g. 1234567,2345678)",
        secret=False,
        required=True,
        default=None,
    ),
    ConnectOption(
        name="api-base",
        help="the API's base URL (a sandbox's URL for tests and the demo)",
        secret=False,
        required=False,
        default=DEFAULT_BASE_URL,
    ),
]


def connector(
    settings: dict[str, str], secrets: dict[str, str]
) -> NaverSearchAdConnector:
    """A connector for one stored connection."""
    customers = [c.strip() for c in settings["customer-ids"].split(",") if c.strip()]
    auth = NaverSignature(settings["api-key"], secrets["secret-key"])
    return NaverSearchAdConnector(
        auth, customers, settings.get("api-base") or DEFAULT_BASE_URL
    )
