"""The marketing channel of a campaign, from its platform and campaign type."""

from __future__ import annotations

from adreport.ingest.spec import fold

PLATFORM_CHANNELS = {
    "meta": "social",
    "linkedin": "social",
    "tiktok": "social",
    "reddit": "social",
    "kakao-moment": "display",
    "microsoft-ads": "search",
    "naver-searchad": "search",
}
GOOGLE_TYPES = {
    "search": "search",
    "display": "display",
    "video": "video",
    "shopping": "shopping",
    "performance max": "performance_max",
    "performance_max": "performance_max",
    "demand gen": "display",
    "discovery": "display",
    "app": "app",
    "audience": "display",
    "multi_channel": "app",
    "smart": "search",
    "검색": "search",
    "디스플레이": "display",
    "동영상": "video",
    "쇼핑": "shopping",
    "실적 최대화": "performance_max",
}


# Google's ad network types, for connector rows that name no campaign type.
GOOGLE_NETWORKS = {
    "search": "search",
    "search_partners": "search",
    "content": "display",
    "display": "display",
    "youtube_search": "video",
    "youtube_watch": "video",
    "youtube": "video",
    "google_tv": "video",
    "mixed": "performance_max",
}


def channel_for(
    platform: str, campaign_type: str, default: str = "", network: str = ""
) -> str:
    """`search`, `social`, `display`, `video`, `shopping`, ... or the default."""
    if platform in ("google-ads", "microsoft-ads"):
        found = GOOGLE_TYPES.get(fold(campaign_type))
        if found:
            return found
    if platform == "google-ads" and not campaign_type:
        found = GOOGLE_NETWORKS.get(fold(network).replace(" ", "_"))
        if found:
            return found
    return PLATFORM_CHANNELS.get(platform, default) or default
