"""The engine's own warehouse tables: runs, checkpoints and drift records.

They live in the warehouse file beside the facts, so a checkpoint can be committed
in the same transaction as the rows it covers.
"""

from __future__ import annotations

import duckdb

SYNC_TABLES = [
    "CREATE SEQUENCE IF NOT EXISTS sync_run_ids START 1",
    """CREATE TABLE IF NOT EXISTS sync_runs (
    run_id BIGINT PRIMARY KEY,
    connection VARCHAR NOT NULL,
    platform VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,
    first_day DATE NOT NULL,
    last_day DATE NOT NULL,
    lookback_days INTEGER NOT NULL,
    slices_total INTEGER NOT NULL DEFAULT 0,
    slices_done INTEGER NOT NULL DEFAULT 0,
    rows_read BIGINT NOT NULL DEFAULT 0,
    rows_written BIGINT NOT NULL DEFAULT 0,
    rows_unchanged BIGINT NOT NULL DEFAULT 0,
    rows_rejected BIGINT NOT NULL DEFAULT 0,
    requests BIGINT NOT NULL DEFAULT 0,
    retries BIGINT NOT NULL DEFAULT 0,
    waits BIGINT NOT NULL DEFAULT 0,
    waited_seconds DOUBLE NOT NULL DEFAULT 0,
    errors BIGINT NOT NULL DEFAULT 0,
    message VARCHAR NOT NULL DEFAULT '',
    warnings VARCHAR NOT NULL DEFAULT '[]'
)""",
    """CREATE TABLE IF NOT EXISTS sync_checkpoints (
    run_id BIGINT NOT NULL,
    connection VARCHAR NOT NULL,
    slice_key VARCHAR NOT NULL,
    import_id BIGINT NOT NULL,
    rows BIGINT NOT NULL,
    committed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, slice_key)
)""",
    """CREATE TABLE IF NOT EXISTS sync_drift (
    run_id BIGINT NOT NULL,
    connection VARCHAR NOT NULL,
    platform VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    seen_at TIMESTAMP NOT NULL
)""",
]


def ensure_sync_tables(con: duckdb.DuckDBPyConnection) -> None:
    for statement in SYNC_TABLES:
        con.execute(statement)
