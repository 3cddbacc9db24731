"""Meta Marketing API: daily insights of ad accounts, by level and breakdown.

Connect with the app's id and secret, a long-lived user (or system-user) access
token with `ads_read`, and the ad account ids to read. Amounts are in each
account's own currency; days are the account's own (its `timezone_name`).
"""

from __future__ import annotations

from adreport.sources.meta.auth import LongLivedTokenAuth
from adreport.sources.meta.connector import (
    DEFAULT_BASE_URL,
    DEFAULT_REPORTS,
    MetaConnector,
    Report,
)
from adreport.sources.registry import ConnectOption
from adreport.sources.versions import META_GRAPH_API

PLATFORM = "meta"

CONNECT_OPTIONS: list[ConnectOption] = [
    ConnectOption("app_id", "the Meta app's id (App Dashboard > Settings > Basic)"),
    ConnectOption("app_secret", "the Meta app's secret, beside its id", secret=True),
    ConnectOption(
        "access_token",
        "a long-lived user or system-user access token with ads_read",
        secret=True,
    ),
    ConnectOption(
        "ad_account_ids",
        "the ad accounts to read, comma-separated (act_1234567890,act_...)",
    ),
    ConnectOption(
        "api_base_url",
        "the Graph API's base URL (a sandbox's URL for tests and the demo)",
        required=False,
        default=DEFAULT_BASE_URL,
    ),
    ConnectOption(
        "reports",
        "levels and breakdowns to pull: level[:breakdown+...] comma-separated; "
        "levels account, campaign, ad_group, ad; breakdowns age, gender, country, "
        "placement, device",
        required=False,
        default=DEFAULT_REPORTS,
    ),
    ConnectOption(
        "conversion_event",
        "the conversion family counted as conversions (purchase, lead, ...)",
        required=False,
        default="purchase",
    ),
    ConnectOption(
        "attribution_window",
        "one attribution window to read (1d_click, 7d_click, 1d_view ...); "
        "empty reads each ad set's own attribution setting",
        required=False,
        default="",
    ),
]


def connector(settings: dict[str, str], secrets: dict[str, str]) -> MetaConnector:
    """A connector for one stored connection."""
    base_url = settings.get("api_base_url") or DEFAULT_BASE_URL
    auth = LongLivedTokenAuth(
        f"{base_url.rstrip('/')}/{META_GRAPH_API}",
        settings["app_id"],
        secrets["app_secret"],
        secrets["access_token"],
    )
    reports = settings.get("reports") or DEFAULT_REPORTS
    return MetaConnector(
        auth,
        [a for a in settings["ad_account_ids"].split(",") if a.strip()],
        base_url,
        [Report.parse(r) for r in reports.split(",") if r.strip()],
        settings.get("conversion_event") or "purchase",
        settings.get("attribution_window") or "",
    )
