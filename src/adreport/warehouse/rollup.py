"""`campaign_days`: the facts added up per campaign and day, kept in step with them.

A dashboard asks for days, channels and campaigns far more often than for devices
or ads. Those questions are answered from this table, which holds one row where the
facts may hold dozens (one per device, age band or ad). Each row keeps its grain,
so the query still picks one grain per account and day, and its row count, so
reach (never summed) is still shown only where one fact row makes the group.
"""

from __future__ import annotations

import logging

import duckdb

log = logging.getLogger(__name__)

ROLLUP_KEYS = "platform, account_id, grain, date, campaign_id, attribution_setting"
ROLLUP_SELECT = f"""
    SELECT {ROLLUP_KEYS}, currency,
        sum(impressions), sum(clicks),
        CASE WHEN count(*) = 1 THEN max(reach) END,
        sum(video_views), sum(engagements),
        sum(conversions), sum(spend), sum(revenue), count(*)
    FROM facts f
    {{where}}
    GROUP BY {ROLLUP_KEYS}, currency
"""


def refresh_campaign_days(con: duckdb.DuckDBPyConnection, touched: str) -> None:
    """Add the touched account-days up again; `touched` selects (platform,
    account_id, date). Runs inside the caller's transaction."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE touched_days AS SELECT DISTINCT "
        f"platform, account_id, date FROM {touched}"
    )
    match = """EXISTS (SELECT 1 FROM touched_days t WHERE t.platform = {a}.platform
        AND t.account_id = {a}.account_id AND t.date = {a}.date)"""
    con.execute(f"DELETE FROM campaign_days c WHERE {match.format(a='c')}")
    con.execute(
        "INSERT INTO campaign_days "
        + ROLLUP_SELECT.format(where=f"WHERE {match.format(a='f')}")
    )
    con.execute("DROP TABLE touched_days")


def build_campaign_days_if_missing(con: duckdb.DuckDBPyConnection) -> None:
    """Fill the table once for a warehouse written before it existed."""
    empty = con.execute("SELECT count(*) = 0 FROM campaign_days").fetchall()[0][0]
    has_facts = con.execute("SELECT count(*) > 0 FROM facts").fetchall()[0][0]
    if empty and has_facts:
        log.info("adding up the facts per campaign and day (once, for this file)")
        con.execute("INSERT INTO campaign_days " + ROLLUP_SELECT.format(where=""))
