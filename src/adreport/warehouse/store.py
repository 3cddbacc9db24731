"""The DuckDB warehouse file and the one way rows get into it: a staged import.

An import streams its parsed batches into a staging table, then merges them into
the unified model in a single transaction: nothing is visible until everything
is, and a failure leaves the warehouse as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from adreport.errors import ConfigurationError
from adreport.model import KEY_COLUMNS, MEASURES
from adreport.warehouse.schema import TABLES

log = logging.getLogger(__name__)

KEYS = ", ".join(KEY_COLUMNS)
KEY_MATCH = " AND ".join(f"f.{k} = i.{k}" for k in KEY_COLUMNS)
SAME_VALUES = " AND ".join(
    f"f.{m} IS NOT DISTINCT FROM i.{m}" for m in (*MEASURES, "currency")
)
MEASURE_LIST = (
    "impressions, clicks, reach, video_views, engagements, conversions, spend, revenue"
)
FACT_COLUMNS = (
    f"{KEYS}, {MEASURE_LIST}, currency, provisional, fetched_at, import_id, "
    "source_file, source_lines"
)


def utc_now() -> datetime:
    """Times in the warehouse are naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class ImportCounts:
    new: int = 0
    replaced: int = 0
    unchanged: int = 0
    outdated: int = 0


class Warehouse:
    """One DuckDB file holding the unified model. One process owns it at a time."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(path))
        except duckdb.IOException as exc:
            raise ConfigurationError(
                f"cannot open the warehouse {path}: {exc}. Another adreport process "
                "may hold it; stop it or use another --data-dir"
            ) from exc
        for statement in TABLES:
            self.con.execute(statement)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> Warehouse:
        return cls(data_dir / "warehouse.duckdb")

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params or []).fetchall()

    def arrow(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        cursor = self.con.cursor()
        try:
            return cursor.execute(sql, params or []).to_arrow_table()
        finally:
            cursor.close()

    def account_facts(self, platform: str, account_id: str) -> tuple[str, str] | None:
        """The stored (currency, time zone) of an account, if it is known."""
        found = self.rows(
            "SELECT currency, timezone FROM accounts "
            "WHERE platform = ? AND account_id = ?",
            [platform, account_id],
        )
        return (found[0][0], found[0][1]) if found else None

    def next_import_id(self) -> int:
        return int(self.rows("SELECT nextval('import_ids')")[0][0])

    @contextmanager
    def staging(self, import_id: int) -> Iterator[Stage]:
        stage = Stage(self.con, import_id)
        try:
            yield stage
        finally:
            stage.drop()

    def record_import(self, values: dict[str, Any]) -> None:
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        self.con.execute(
            f"INSERT INTO imports ({names}) VALUES ({marks})", list(values.values())
        )


MEASURE_COLUMNS = frozenset(MEASURES)
COPIED_FROM_FILE = frozenset(
    ("platform", "grain", "currency", "fetched_at", "source_file", "timezone")
)


def _action_row_column(column: str, measure: str, stage: str) -> str:
    """How a row made only of action values fills each staged column."""
    if column == measure:
        return "p.value"
    if column in MEASURE_COLUMNS:
        return "NULL"
    if column in ("date", "ad_id"):
        return f"p.{column}"
    if column == "source_line":
        return "p.line"
    if column == "account_id":
        return (
            f"COALESCE((SELECT max(s2.account_id) FROM {stage} s2 "
            "WHERE s2.ad_id = p.ad_id), ?)"
        )
    if column == "provisional":
        return "p.date >= ?"
    if column in COPIED_FROM_FILE:
        return f"t.{column}"
    return "''"


class Stage:
    """Parsed rows of one import waiting to be merged."""

    first_settled_day: date | None = None

    def __init__(self, con: duckdb.DuckDBPyConnection, import_id: int):
        self.con = con
        self.import_id = import_id
        self.table = f"stage_{import_id}"  # a view over `data` until materialised
        self.data = f"stage_{import_id}_data"
        self.created = False
        self.rows = 0
        self.columns: list[str] = []
        self.constants: dict[str, Constant] = {}

    def add(self, batch: pa.Table) -> None:
        """Stage a batch; a column holding one value for the whole file is not copied.

        Most columns of an export are the same on every row (platform, grain, empty
        breakdowns, the file name): they are kept once, as literals of the stage
        view, which makes staging 3 times faster and the stage 2 times smaller.
        """
        if batch.num_rows == 0:
            return
        if not self.created:
            self.columns = batch.column_names
            self.constants = _constants(batch)
        for name, constant in list(self.constants.items()):
            if not constant.holds(batch.column(name)):
                self._materialise(name)
        varying = [name for name in self.columns if name not in self.constants]
        self.con.register("batch_view", batch.select(varying))
        try:
            if not self.created:
                self.con.execute(
                    f"CREATE TEMP TABLE {self.data} AS SELECT * FROM batch_view"
                )
                self.created = True
                self._define_view()
            else:
                listed = ", ".join(varying)
                self.con.execute(
                    f"INSERT INTO {self.data} ({listed}) "
                    f"SELECT {listed} FROM batch_view"
                )
        finally:
            self.con.unregister("batch_view")
        self.rows += batch.num_rows

    def _materialise(self, name: str) -> None:
        """Store a column that was one value so far, with that value on every row."""
        constant = self.constants.pop(name)
        if self.created:
            self.con.execute(
                f"ALTER TABLE {self.data} ADD COLUMN {name} {constant.sql_type} "
                f"DEFAULT {constant.literal}"
            )
            self._define_view()

    def _define_view(self) -> None:
        shown = [
            f"{self.constants[n].literal} AS {n}" if n in self.constants else n
            for n in self.columns
        ]
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {self.table} AS "
            f"SELECT {', '.join(shown)} FROM {self.data}"
        )

    def _as_table(self) -> None:
        """Make the stage one table, for the statements that change staged rows."""
        if not self.created or self.data == self.table:
            return
        for name in list(self.constants):
            self._materialise(name)
        self.con.execute(f"DROP VIEW {self.table}")
        self.con.execute(f"ALTER TABLE {self.data} RENAME TO {self.table}")
        self.data = self.table

    def attach_actions(
        self, actions: pa.Table, measure: str, value_sql: str, account: str | None
    ) -> tuple[int, int]:
        """Set `measure` of staged ad-day rows from picked action values.

        Returns (ad-days matched, ad-days added). An ad-day with actions but no row
        in the main table becomes a row of its own, with the other measures NULL.
        """
        if not self.created:
            return 0, 0
        self._as_table()
        self.con.register("actions_view", actions)
        try:
            self.con.execute(f"""
                CREATE OR REPLACE TEMP TABLE picked AS
                SELECT ad_id, date, {value_sql} AS value, min(source_line) AS line
                FROM actions_view GROUP BY ad_id, date
            """)
        finally:
            self.con.unregister("actions_view")
        doubled = self.con.execute(f"""
            SELECT count(*) FROM (SELECT ad_id, date FROM {self.table}
            GROUP BY ad_id, date HAVING count(*) > 1)
        """).fetchall()[0][0]
        if doubled:
            raise ConfigurationError(
                "the main table has several rows for one ad and day; actions can "
                "only be attached to one row per ad-day"
            )
        matched = self.con.execute(f"""
            UPDATE {self.table} s SET {measure} = p.value FROM picked p
            WHERE s.ad_id = p.ad_id AND s.date = p.date
        """).fetchall()[0][0]
        added = self._add_action_only_rows(measure, account)
        self.con.execute("DROP TABLE picked")
        return matched, added

    def _add_action_only_rows(self, measure: str, account: str | None) -> int:
        orphans = f"""FROM picked p WHERE p.value IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM {self.table} s WHERE s.ad_id = p.ad_id AND s.date = p.date)"""
        count = self.con.execute(f"SELECT count(*) {orphans}").fetchall()[0][0]
        if not count:
            return 0
        if not self.rows:
            return 0
        known = self.con.execute(f"""
            SELECT count(*) {orphans} AND p.ad_id NOT IN
                (SELECT ad_id FROM {self.table})""").fetchall()[0][0]
        if known and account is None:
            raise ConfigurationError(
                f"{known} ad-day(s) with actions belong to ads that are not in the "
                "main table, so their account is unknown: pass --account"
            )
        columns = [r[0] for r in self.con.execute(f"DESCRIBE {self.table}").fetchall()]
        select = [_action_row_column(c, measure, self.table) for c in columns]
        self.con.execute(
            f"""INSERT INTO {self.table}
            SELECT {", ".join(select)}
            FROM picked p, (SELECT * FROM {self.table} LIMIT 1) t
            WHERE p.value IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {self.table} s
                WHERE s.ad_id = p.ad_id AND s.date = p.date)""",
            [account, self.first_settled_day],
        )
        return int(count)

    def drop(self) -> None:
        if self.data != self.table:
            self.con.execute(f"DROP VIEW IF EXISTS {self.table}")
        self.con.execute(f"DROP TABLE IF EXISTS {self.data}")
        self.con.execute("DROP TABLE IF EXISTS incoming")
        self.con.execute("DROP TABLE IF EXISTS summed")

    def merge(self, kind: str, import_row: dict[str, Any]) -> ImportCounts:
        """Merge the staged rows into the model in one transaction (latest wins)."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            counts = ImportCounts()
            if self.created and kind == "facts":
                counts = self._merge_facts()
                self._merge_dimensions()
            elif self.created and kind == "accounts":
                counts = self._merge_accounts()
            elif self.created and kind == "events":
                counts = self._merge_events()
            import_row.update(
                rows_new=counts.new,
                rows_replaced=counts.replaced,
                rows_unchanged=counts.unchanged,
                rows_outdated=counts.outdated,
                finished_at=utc_now(),
            )
            names = ", ".join(import_row)
            marks = ", ".join("?" for _ in import_row)
            self.con.execute(
                f"INSERT INTO imports ({names}) VALUES ({marks})",
                list(import_row.values()),
            )
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return counts

    def _merge_facts(self) -> ImportCounts:
        """Each staged key once; the facts it meets decide its fate, found by row id.

        A file rarely repeats a key, and then its rows need no adding up: that is
        checked first (distinct key hashes). Only the keys already in the facts are
        set aside with their fate; new keys go straight in. Finding replaced facts
        again by row id, not by the 18 key columns, makes a re-import 3 times faster.
        """
        summed = self._summed()
        self.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE incoming AS
            SELECT i.*, f.rowid AS fact_row, CASE
                WHEN {SAME_VALUES} THEN 'unchanged'
                WHEN f.fetched_at <= i.fetched_at THEN 'replaces'
                ELSE 'outdated' END AS fate
            FROM {summed} i JOIN facts f ON {KEY_MATCH}
        """)
        now = utc_now()
        replaced = "SELECT fact_row FROM incoming WHERE fate = 'replaces'"
        self.con.execute(
            f"""
            INSERT INTO fact_history
            SELECT f.*, ?, {self.import_id}, 'restated by a later fetch'
            FROM facts f WHERE f.rowid IN ({replaced})
            """,
            [now],
        )
        self.con.execute(f"DELETE FROM facts WHERE rowid IN ({replaced})")
        new = self.con.execute(f"""
            INSERT INTO facts SELECT {FACT_COLUMNS} FROM {summed} i
            WHERE NOT EXISTS (SELECT 1 FROM incoming f WHERE {KEY_MATCH})
        """).fetchall()[0][0]
        self.con.execute(f"""
            INSERT INTO facts SELECT {FACT_COLUMNS} FROM incoming
            WHERE fate = 'replaces'
        """)
        self.con.execute(
            f"""
            INSERT INTO fact_history
            SELECT {FACT_COLUMNS}, ?, {self.import_id}, 'outdated on arrival'
            FROM incoming WHERE fate = 'outdated'
            """,
            [now],
        )
        self.con.execute("""
            UPDATE facts f SET provisional = i.provisional, fetched_at = i.fetched_at
            FROM incoming i
            WHERE f.rowid = i.fact_row AND i.fate = 'unchanged'
                AND i.fetched_at > f.fetched_at
        """)
        self.con.execute(f"""
            INSERT OR IGNORE INTO fact_grains
            SELECT DISTINCT platform, account_id, date, grain, attribution_setting
            FROM facts WHERE import_id = {self.import_id}
        """)
        fates = dict(
            self.con.execute(
                "SELECT fate, count(*) FROM incoming GROUP BY fate"
            ).fetchall()
        )
        return ImportCounts(
            new=int(new),
            replaced=fates.get("replaces", 0),
            unchanged=fates.get("unchanged", 0),
            outdated=fates.get("outdated", 0),
        )

    def _summed(self) -> str:
        """The staged rows, one per key: the stage itself when no key repeats."""
        unique = self.con.execute(
            f"SELECT count(*) = count(DISTINCT hash({KEYS})) FROM {self.table}"
        ).fetchall()[0][0]
        if unique:
            return f"""(SELECT {KEYS}, {MEASURE_LIST}, currency, provisional,
                fetched_at, {self.import_id}::BIGINT AS import_id, source_file,
                source_line::VARCHAR AS source_lines
                FROM {self.table})"""
        self.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE summed AS
            SELECT {KEYS},
                sum(impressions) AS impressions,
                sum(clicks) AS clicks,
                CASE WHEN count(*) = 1 THEN max(reach) END AS reach,
                sum(video_views) AS video_views,
                sum(engagements) AS engagements,
                sum(conversions) AS conversions,
                sum(spend) AS spend,
                sum(revenue) AS revenue,
                min(currency) AS currency,
                bool_or(provisional) AS provisional,
                max(fetched_at) AS fetched_at,
                {self.import_id}::BIGINT AS import_id,
                min(source_file) AS source_file,
                string_agg(source_line::VARCHAR, ',' ORDER BY source_line)
                    AS source_lines
            FROM {self.table}
            GROUP BY {KEYS}
        """)
        return "summed"

    def _merge_accounts(self) -> ImportCounts:
        self.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE incoming_accounts AS
            SELECT platform, account_id, arg_max(name, updated_at) AS name,
                arg_max(currency, updated_at) AS currency,
                arg_max(timezone, updated_at) AS timezone,
                max(updated_at) AS updated_at
            FROM {self.table} GROUP BY platform, account_id
        """)
        fates = dict(
            self.con.execute("""
                SELECT CASE WHEN a.account_id IS NULL THEN 'new'
                    WHEN (i.name, i.currency, i.timezone)
                        IS NOT DISTINCT FROM (a.name, a.currency, a.timezone)
                        OR i.updated_at < a.updated_at THEN 'unchanged'
                    ELSE 'replaced' END AS fate, count(*)
                FROM incoming_accounts i LEFT JOIN accounts a
                    ON a.platform = i.platform AND a.account_id = i.account_id
                GROUP BY 1
            """).fetchall()
        )
        self.con.execute("""
            INSERT INTO accounts SELECT * FROM incoming_accounts
            ON CONFLICT (platform, account_id) DO UPDATE SET
                name = CASE WHEN excluded.updated_at >= accounts.updated_at
                    AND excluded.name <> '' THEN excluded.name ELSE accounts.name END,
                currency = CASE WHEN excluded.updated_at >= accounts.updated_at
                    AND excluded.currency <> ''
                    THEN excluded.currency ELSE accounts.currency END,
                timezone = CASE WHEN excluded.updated_at >= accounts.updated_at
                    AND excluded.timezone <> ''
                    THEN excluded.timezone ELSE accounts.timezone END,
                updated_at = greatest(accounts.updated_at, excluded.updated_at)
        """)
        self.con.execute("DROP TABLE incoming_accounts")
        return ImportCounts(
            new=fates.get("new", 0),
            replaced=fates.get("replaced", 0),
            unchanged=fates.get("unchanged", 0),
        )

    def _merge_events(self) -> ImportCounts:
        before = self.con.execute("SELECT count(*) FROM events").fetchall()[0][0]
        self.con.execute(f"""
            INSERT OR IGNORE INTO events
            SELECT source, event_id, arg_max(occurred_at, source_line),
                arg_max(event_type, source_line), arg_max(value, source_line),
                arg_max(currency, source_line), arg_max(campaign_id, source_line),
                {self.import_id}
            FROM {self.table} GROUP BY source, event_id
        """)
        after = self.con.execute("SELECT count(*) FROM events").fetchall()[0][0]
        total = self.con.execute(
            f"SELECT count(DISTINCT event_id) FROM {self.table}"
        ).fetchall()[0][0]
        return ImportCounts(new=after - before, unchanged=total - (after - before))

    def _merge_dimensions(self) -> None:
        stage = self.table
        self.con.execute(f"""
            INSERT INTO accounts
            SELECT platform, account_id, arg_max(account_name, source_line),
                min(currency), arg_max(timezone, source_line), max(fetched_at)
            FROM {stage} GROUP BY platform, account_id
            ON CONFLICT (platform, account_id) DO UPDATE SET
                name = CASE WHEN excluded.name <> '' AND
                    excluded.updated_at >= accounts.updated_at
                    THEN excluded.name ELSE accounts.name END,
                timezone = CASE WHEN accounts.timezone = ''
                    THEN excluded.timezone ELSE accounts.timezone END,
                updated_at = greatest(accounts.updated_at, excluded.updated_at)
        """)
        self.con.execute(f"""
            INSERT INTO campaigns
            SELECT platform, account_id, campaign_id,
                arg_max(campaign_name, source_line), arg_max(channel, source_line),
                arg_max(campaign_type, source_line),
                arg_max(campaign_status, source_line), max(fetched_at)
            FROM {stage} WHERE campaign_id <> ''
            GROUP BY platform, account_id, campaign_id
            ON CONFLICT (platform, account_id, campaign_id) DO UPDATE SET
                name = CASE WHEN excluded.name <> '' AND
                    excluded.updated_at >= campaigns.updated_at
                    THEN excluded.name ELSE campaigns.name END,
                channel = CASE WHEN excluded.channel <> ''
                    THEN excluded.channel ELSE campaigns.channel END,
                campaign_type = CASE WHEN excluded.campaign_type <> ''
                    THEN excluded.campaign_type ELSE campaigns.campaign_type END,
                status = CASE WHEN excluded.status <> ''
                    THEN excluded.status ELSE campaigns.status END,
                updated_at = greatest(campaigns.updated_at, excluded.updated_at)
        """)
        for level, id_column, name_column in (
            ("ad_group", "ad_group_id", "ad_group_name"),
            ("ad", "ad_id", "ad_name"),
            ("keyword", "keyword_id", "keyword"),
        ):
            self.con.execute(f"""
                INSERT INTO entities
                SELECT platform, account_id, '{level}', {id_column},
                    arg_max({name_column}, source_line), max(fetched_at)
                FROM {stage} WHERE {id_column} <> ''
                GROUP BY platform, account_id, {id_column}
                ON CONFLICT (platform, account_id, level, entity_id) DO UPDATE SET
                    name = CASE WHEN excluded.name <> '' AND
                        excluded.updated_at >= entities.updated_at
                        THEN excluded.name ELSE entities.name END,
                    updated_at = greatest(entities.updated_at, excluded.updated_at)
            """)


SQL_TYPES = {
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
    pa.timestamp("us"): "TIMESTAMP",
}


@dataclass(frozen=True)
class Constant:
    """A staged column's single value, as a typed SQL literal."""

    value: Any
    sql_type: str

    @property
    def literal(self) -> str:
        if self.value is None:
            return f"CAST(NULL AS {self.sql_type})"
        if isinstance(self.value, bool):
            return "TRUE" if self.value else "FALSE"
        shown = (
            format(self.value, "f") if isinstance(self.value, Decimal) else self.value
        )
        text = str(shown).replace("'", "''")
        return f"CAST('{text}' AS {self.sql_type})"

    def holds(self, column: pa.Array | pa.ChunkedArray) -> bool:
        if self.value is None:
            return bool(column.null_count == len(column))
        if column.null_count:
            return False
        low, high = pc.min_max(column).values()
        return bool(low.as_py() == self.value == high.as_py())


def _constants(batch: pa.Table) -> dict[str, Constant]:
    """The columns holding one value in `batch`; one column is always kept."""
    found = {}
    for name in batch.column_names[1:]:
        column = batch.column(name)
        sql_type = _sql_type(column.type)
        if sql_type is None:
            continue
        if column.null_count == len(column):
            found[name] = Constant(None, sql_type)
            continue
        low, high = pc.min_max(column).values()
        value = low.as_py()
        if (
            column.null_count == 0
            and value == high.as_py()
            and "\x00" not in str(value)
        ):
            found[name] = Constant(value, sql_type)
    return found


def _sql_type(arrow_type: pa.DataType) -> str | None:
    if pa.types.is_decimal(arrow_type):
        return f"DECIMAL({arrow_type.precision}, {arrow_type.scale})"
    return SQL_TYPES.get(arrow_type)
