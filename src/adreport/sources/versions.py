"""The API version adreport speaks to each platform, pinned in this one place.

Moving to a new version is a one-line change here, then the platform's sandbox
and contract tests tell whether its mapping still holds (FAULTS.md K10).
"""

from __future__ import annotations

GOOGLE_ADS_API = "v21"  # googleads.googleapis.com/v21/customers/...:searchStream
META_GRAPH_API = "v23.0"  # graph.facebook.com/v23.0/act_.../insights
NAVER_SEARCHAD_API = "2024-01"  # api.searchad.naver.com has no version in its paths
REST_API = "1"  # the declarative REST/JSON connector's own config format
