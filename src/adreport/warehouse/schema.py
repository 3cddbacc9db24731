"""Tables of the unified model.

`facts` holds the current version of every row; `campaign_days` the same rows
added up per campaign and day (breakdowns, ad groups and ads summed away, grain
kept), which answers most dashboard queries from a fraction of the rows;
`fact_history` every version that was replaced or arrived already outdated, so a
report can be rebuilt as it was known at the time. `fact_grains` lists which
grains exist per account and day, so a query can pick one grain per account-day
and never add a campaign row to the ad rows that make it up.
"""

from __future__ import annotations

from adreport.model import COUNT_MEASURES, KEY_COLUMNS

KEY_SQL = ",\n    ".join(
    f"{name} DATE NOT NULL" if name == "date" else f"{name} VARCHAR NOT NULL"
    for name in KEY_COLUMNS
)
COUNT_SQL = ",\n    ".join(f"{name} BIGINT" for name in COUNT_MEASURES)

FACT_COLUMNS_SQL = f"""
    {KEY_SQL},
    {COUNT_SQL},
    conversions DECIMAL(18, 6),
    spend DECIMAL(18, 6),
    revenue DECIMAL(18, 6),
    currency VARCHAR NOT NULL,
    provisional BOOLEAN NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    import_id BIGINT NOT NULL,
    source_file VARCHAR NOT NULL,
    source_lines VARCHAR NOT NULL"""

TABLES = [
    "CREATE SEQUENCE IF NOT EXISTS import_ids START 1",
    f"CREATE TABLE IF NOT EXISTS facts ({FACT_COLUMNS_SQL}\n)",
    f"""CREATE TABLE IF NOT EXISTS fact_history ({FACT_COLUMNS_SQL},
    replaced_at TIMESTAMP NOT NULL,
    replaced_by_import BIGINT NOT NULL,
    reason VARCHAR NOT NULL
)""",
    f"""CREATE TABLE IF NOT EXISTS campaign_days (
    platform VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    grain VARCHAR NOT NULL,
    date DATE NOT NULL,
    campaign_id VARCHAR NOT NULL,
    attribution_setting VARCHAR NOT NULL,
    currency VARCHAR NOT NULL,
    {COUNT_SQL},
    conversions DECIMAL(38, 6),
    spend DECIMAL(38, 6),
    revenue DECIMAL(38, 6),
    fact_rows BIGINT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS fact_grains (
    platform VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    date DATE NOT NULL,
    grain VARCHAR NOT NULL,
    attribution_setting VARCHAR NOT NULL,
    PRIMARY KEY (platform, account_id, date, grain, attribution_setting)
)""",
    """CREATE TABLE IF NOT EXISTS imports (
    import_id BIGINT PRIMARY KEY,
    source_file VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    format VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    fetched_at TIMESTAMP,
    rows_read BIGINT,
    rows_rejected BIGINT,
    rows_new BIGINT,
    rows_replaced BIGINT,
    rows_unchanged BIGINT,
    rows_outdated BIGINT,
    notes VARCHAR
)""",
    """CREATE TABLE IF NOT EXISTS accounts (
    platform VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    currency VARCHAR NOT NULL,
    timezone VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (platform, account_id)
)""",
    """CREATE TABLE IF NOT EXISTS campaigns (
    platform VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    campaign_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    campaign_type VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (platform, account_id, campaign_id)
)""",
    """CREATE TABLE IF NOT EXISTS entities (
    platform VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    entity_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (platform, account_id, level, entity_id)
)""",
    """CREATE TABLE IF NOT EXISTS events (
    source VARCHAR NOT NULL,
    event_id VARCHAR NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    event_type VARCHAR NOT NULL,
    value DECIMAL(18, 6),
    currency VARCHAR NOT NULL,
    campaign_id VARCHAR NOT NULL,
    import_id BIGINT NOT NULL,
    PRIMARY KEY (source, event_id)
)""",
]
