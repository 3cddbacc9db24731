"""A request's view of the warehouse: only the ad accounts its caller may see.

The query layer and the reports read `facts`, `fact_grains`, `accounts` and a few
more tables by their plain names. On the request's own cursor those names are
shadowed by temporary views that keep only the caller's accounts, so every query
and every report of the request is scoped without a filter of its own, and a
query that forgets one cannot see another client's rows. Temporary views belong
to one cursor; other requests never see them.
"""

from __future__ import annotations

from collections.abc import Collection

import pyarrow as pa

from adreport.service.runtime import CursorWarehouse

# Tables holding rows of one account: platform and account_id name it.
BY_ACCOUNT = (
    "facts",
    "campaign_days",
    "fact_history",
    "fact_grains",
    "accounts",
    "campaigns",
    "entities",
)


def scope_to_accounts(
    cursor: CursorWarehouse, accounts: Collection[tuple[str, str]]
) -> CursorWarehouse:
    """Shadow the warehouse tables on `cursor` with views of `accounts` only.

    `accounts` holds (platform, account id) pairs; an empty collection leaves
    every table empty, never unfiltered.
    """
    con = cursor.con
    catalog = con.execute("SELECT current_database()").fetchall()[0][0]
    allowed = pa.table(
        {
            "platform": pa.array([p for p, _ in accounts], pa.string()),
            "account_id": pa.array([a for _, a in accounts], pa.string()),
        }
    )
    con.register("scope_allowed_arrow", allowed)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE scope_allowed AS "
            "SELECT DISTINCT platform, account_id FROM scope_allowed_arrow"
        )
    finally:
        con.unregister("scope_allowed_arrow")
    for table in BY_ACCOUNT:
        con.execute(
            f'CREATE OR REPLACE TEMP VIEW {table} AS SELECT t.* FROM "{catalog}".main.'
            f"{table} t SEMI JOIN scope_allowed s "
            "ON s.platform = t.platform AND s.account_id = t.account_id"
        )
    # Imports and events name no account: keep those that fed the visible rows.
    con.execute(
        f'CREATE OR REPLACE TEMP VIEW imports AS SELECT i.* FROM "{catalog}".main.'
        "imports i WHERE i.import_id IN (SELECT DISTINCT import_id FROM facts)"
    )
    con.execute(
        f'CREATE OR REPLACE TEMP VIEW events AS SELECT e.* FROM "{catalog}".main.'
        "events e WHERE e.campaign_id <> '' AND e.campaign_id IN "
        "(SELECT campaign_id FROM campaigns)"
    )
    return cursor
