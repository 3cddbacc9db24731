"""Google Ads: GAQL over the REST API, OAuth 2.0, costs in micros.

Connect with an OAuth client (id and secret), a refresh token granted to it for
the `adwords` scope, the developer token of the API centre, and, when the
customers sit under a manager account, that manager's id as login customer id.
"""

from __future__ import annotations

from adreport.sources.engine.auth import OAuth2RefreshAuth
from adreport.sources.google_ads.connector import (
    DEFAULT_BASE_URL,
    TOKEN_URL,
    GoogleAdsConnector,
)
from adreport.sources.registry import ConnectOption

PLATFORM = "google-ads"

CONNECT_OPTIONS: list[ConnectOption] = [
    ConnectOption("client_id", "the OAuth client id (…apps.googleusercontent.com)"),
    ConnectOption("client_secret", "the OAuth client secret", secret=True),
    ConnectOption(
        "refresh_token", "a refresh token granted for the adwords scope", secret=True
    ),
    ConnectOption(
        "developer_token", "the developer token from the API Centre", secret=True
    ),
    ConnectOption(
        "login_customer_id",
        "the manager account's id, when the customers are reached through one",
        required=False,
        default="",
    ),
    ConnectOption(
        "customer_ids",
        "customer ids to read, comma-separated (default: every accessible one)",
        required=False,
        default="",
    ),
    ConnectOption(
        "api_base_url",
        "the API's base URL (a sandbox's URL for tests and the demo)",
        required=False,
        default=DEFAULT_BASE_URL,
    ),
    ConnectOption(
        "token_url",
        "the OAuth token endpoint",
        required=False,
        default=TOKEN_URL,
    ),
    ConnectOption(
        "request",
        "stream (googleAds:searchStream) or search (paged googleAds:search)",
        required=False,
        default="stream",
    ),
]


def connector(settings: dict[str, str], secrets: dict[str, str]) -> GoogleAdsConnector:
    """A connector for one stored connection."""
    auth = OAuth2RefreshAuth(
        settings.get("token_url") or TOKEN_URL,
        settings["client_id"],
        secrets["client_secret"],
        secrets["refresh_token"],
    )
    customers = (settings.get("customer_ids") or "").split(",")
    return GoogleAdsConnector(
        auth,
        secrets["developer_token"],
        customer_ids=customers,
        login_customer_id=settings.get("login_customer_id") or "",
        base_url=settings.get("api_base_url") or DEFAULT_BASE_URL,
        request=settings.get("request") or "stream",
    )
