"""Account and CRM-event files: the other two kinds of file besides facts."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from adreport.ingest.batch import (
    Batch,
    BatchParser,
    check_codes,
    constant,
    normalise_text,
    parse_moments,
    parse_numbers,
    require,
)
from adreport.ingest.places import check_currency, check_timezone


def account_table(parser: BatchParser, batch: Batch) -> pa.Table:
    """Accounts with their currency and time zone; the latest version wins."""
    rows = batch.rows
    require(
        "account_id" in batch.columns,
        f"{parser.facts.path.name}: an account file needs an account id column",
    )
    text = {
        n: normalise_text(batch.columns[n])
        for n in ("account_id", "account_name")
        if n in batch.columns
    }
    if "currency" in batch.columns:
        currency = check_codes(parser, batch, "currency", check_currency)
    else:
        currency = constant(parser.facts.currency or "", rows)
    if "timezone" in batch.columns:
        timezone = check_codes(parser, batch, "timezone", check_timezone)
    else:
        timezone = constant(parser.facts.timezone or "", rows)
    if "updated_at" in batch.columns:
        updated = parse_moments(parser, batch, "updated_at")
    else:
        updated = pa.array([parser.facts.fetched_at] * rows, pa.timestamp("us"))
    return pa.table(
        {
            "platform": constant(parser.fmt.platform, rows),
            "account_id": text["account_id"],
            "name": text.get("account_name", constant("", rows)),
            "currency": currency,
            "timezone": timezone,
            "updated_at": updated,
            "source_line": batch.lines,
        }
    )


def event_table(parser: BatchParser, batch: Batch) -> pa.Table:
    """CRM events (deals, leads) keyed by the sender's event id."""
    rows = batch.rows
    require(
        "event_id" in batch.columns and "occurred_at" in batch.columns,
        f"{parser.facts.path.name}: an event file needs event id and time columns",
    )
    numbers = parse_numbers(parser, batch)
    value = numbers.get("value", pa.nulls(rows, pa.decimal128(18, 6)))
    currency = parser.facts.currency or ""
    require(
        bool(currency) or "value" not in batch.columns,
        f"{parser.facts.path.name} has amounts but no currency: pass --currency CODE",
    )
    kind = normalise_text(batch.columns.get("event_type", constant("", rows)))
    if "won" in batch.columns:
        won = pc.equal(pc.utf8_lower(normalise_text(batch.columns["won"])), "true")
        kind = pc.if_else(
            won, "deal_won", pc.binary_join_element_wise("deal:", kind, "")
        )
    return pa.table(
        {
            "source": constant(parser.fmt.name, rows),
            "event_id": normalise_text(batch.columns["event_id"]),
            "occurred_at": parse_moments(parser, batch, "occurred_at"),
            "event_type": kind,
            "value": value,
            "currency": constant(currency, rows),
            "campaign_id": normalise_text(
                batch.columns.get("campaign_id", constant("", rows))
            ),
            "source_line": batch.lines,
        }
    )
