"""The DuckDB warehouse file and the one way rows get into it: a staged import.

An import streams its parsed batches into staging files beside the warehouse,
then merges them into the unified model in a single transaction: nothing is
visible until everything is, and a failure leaves the warehouse as it was.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from adreport.errors import ConfigurationError
from adreport.model import KEY_COLUMNS, MEASURES
from adreport.warehouse.rollup import (
    build_campaign_days_if_missing,
    refresh_campaign_days,
)
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


IMPORT_MEMORY = "512MB"


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
        self.con.execute("SET enable_progress_bar = false")  # adreport shows its own
        for statement in TABLES:
            self.con.execute(statement)
        build_campaign_days_if_missing(self.con)
        _give_accounts_a_no_campaign_row(self.con)
        self._remove_stale_stages()

    def _stage_place(self) -> tuple[Path | None, str]:
        """Where imports write their staged rows: beside the warehouse file."""
        if str(self.path) == ":memory:":
            return None, ".stage-"
        return self.path.parent, f".{self.path.name}.stage-"

    def _remove_stale_stages(self) -> None:
        """Rows staged by an import that was killed; this process owns the file now."""
        folder, prefix = self._stage_place()
        for stale in folder.glob(f"{prefix}*") if folder else []:
            shutil.rmtree(stale, ignore_errors=True)

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
        """A stage for one import, with DuckDB held to IMPORT_MEMORY meanwhile.

        Left alone, DuckDB keeps what the merge writes cached up to most of the
        machine's memory, so an import's footprint would grow with its file; held
        to a fixed amount it lets the cache go, and spills beside the warehouse
        file when a merge needs more, at no cost to a fresh 1M-row import.
        """
        self.con.execute(f"SET memory_limit = '{IMPORT_MEMORY}'")
        stage = Stage(self.con, import_id, *self._stage_place())
        try:
            yield stage
        finally:
            stage.drop()
            self.con.execute("RESET memory_limit")


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
    """Parsed rows of one import waiting to be merged.

    The rows are written to Parquet files in a folder of their own, so an import
    holds one batch in memory whatever the size of the file, and the merge reads
    them back through a view. A column holding one value for a whole part (the
    platform, the grain, empty breakdowns, the file name) is not written: the view
    shows it as a literal, which also lets the merge's plans treat it as one.
    """

    first_settled_day: date | None = None

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        import_id: int,
        folder: Path | None,
        prefix: str,
    ):
        self.con = con
        self.import_id = import_id
        self.table = f"stage_{import_id}"  # a view over the parts until made a table
        self.folder = folder
        self.prefix = prefix
        self.created = False
        self.rows = 0
        self.columns: list[str] = []
        self.parts: list[StagePart] = []
        self.writer: pq.ParquetWriter | None = None
        self.writing: ThreadPoolExecutor | None = None
        self.written: Future[None] | None = None
        self.place: Path | None = None
        self.is_table = False

    def add(self, batch: pa.Table) -> None:
        if batch.num_rows == 0:
            return
        if not self.created:
            self.columns = batch.column_names
            self.place = Path(tempfile.mkdtemp(prefix=self.prefix, dir=self.folder))
            self.created = True
        part = self.parts[-1] if self.parts else None
        if part is None or not part.holds(batch):
            part = self._new_part(batch)
        self._write(batch.select(part.varying))
        self.rows += batch.num_rows

    def _write(self, rows: pa.Table) -> None:
        """Write in another thread while the next batch is parsed; one at a time."""
        self._wait_for_writing()
        assert self.writer is not None
        if self.writing is None:
            self.writing = ThreadPoolExecutor(1, thread_name_prefix="stage")
        self.written = self.writing.submit(self.writer.write_table, rows)

    def _wait_for_writing(self) -> None:
        if self.written is not None:
            written, self.written = self.written, None
            written.result()

    def _new_part(self, batch: pa.Table) -> StagePart:
        """A new file for rows whose one-value columns differ from the last part's."""
        self._close_writer()
        assert self.place is not None
        constants = _constants(batch)
        varying = [name for name in self.columns if name not in constants]
        part = StagePart(self.place / f"{len(self.parts)}.parquet", constants, varying)
        schema = batch.select(varying).schema
        self.writer = pq.ParquetWriter(part.path, schema, compression="snappy")
        self.parts.append(part)
        return part

    def _close_writer(self) -> None:
        try:
            self._wait_for_writing()
        finally:
            if self.writer is not None:
                self.writer.close()
                self.writer = None

    def _ready(self) -> None:
        """The view over every part, once all rows are written."""
        if not self.created or self.is_table or self.writer is None:
            return
        self._close_writer()
        parts = " UNION ALL ".join(part.select(self.columns) for part in self.parts)
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {self.table} AS {parts}")

    def _as_table(self) -> None:
        """Make the stage one table, for the statements that change staged rows."""
        if not self.created or self.is_table:
            return
        self._ready()
        loaded = f"{self.table}_loaded"
        self.con.execute(f"CREATE TEMP TABLE {loaded} AS SELECT * FROM {self.table}")
        self.con.execute(f"DROP VIEW {self.table}")
        self.con.execute(f"ALTER TABLE {loaded} RENAME TO {self.table}")
        self.is_table = True

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
        try:
            self._close_writer()
        except Exception:  # the import has failed already; its rows are discarded
            log.warning("staged rows of import %d not written", self.import_id)
        if self.writing is not None:
            self.writing.shutdown()
        kind = "TABLE" if self.is_table else "VIEW"
        self.con.execute(f"DROP {kind} IF EXISTS {self.table}")
        self.con.execute("DROP TABLE IF EXISTS incoming")
        self.con.execute("DROP TABLE IF EXISTS summed")
        if self.place is not None:
            shutil.rmtree(self.place, ignore_errors=True)

    def merge(
        self,
        kind: str,
        import_row: dict[str, Any],
        also: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    ) -> ImportCounts:
        """Merge the staged rows into the model in one transaction (latest wins).

        `also` runs inside the same transaction, after the rows are in: a sync
        writes its checkpoint there, so a checkpoint never outlives its rows.
        """
        self._ready()
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
            if also is not None:
                also(self.con)
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
        # The facts' physical order means nothing; letting each thread append its
        # own row groups halves the time and memory of a big insert.
        self.con.execute("SET preserve_insertion_order = false")
        try:
            new = self._insert_new(summed)
            self.con.execute(f"""
                INSERT INTO facts SELECT {FACT_COLUMNS} FROM incoming
                WHERE fate = 'replaces'
            """)
        finally:
            self.con.execute("RESET preserve_insertion_order")
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
        refresh_campaign_days(self.con, summed)
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

    def _insert_new(self, summed: str) -> int:
        """Insert the keys no fact had; no looking when none or all of them met one."""
        met = self.con.execute("SELECT count(*) FROM incoming").fetchall()[0][0]
        keys = self.con.execute(f"SELECT count(*) FROM {summed}").fetchall()[0][0]
        if met == keys:
            return 0
        unmet = f"WHERE NOT EXISTS (SELECT 1 FROM incoming f WHERE {KEY_MATCH})"
        inserted = self.con.execute(f"""
            INSERT INTO facts SELECT {FACT_COLUMNS} FROM {summed} i
            {unmet if met else ""}
        """).fetchall()[0][0]
        return int(inserted)

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
                array_to_string(list_sort(list(source_line)), ',') AS source_lines
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
        _give_accounts_a_no_campaign_row(self.con)
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


def _give_accounts_a_no_campaign_row(con: duckdb.DuckDBPyConnection) -> None:
    """Rows without a campaign (campaign id "") join a campaign row of their own,
    with no channel of its own, so queries find their platform's usual channel
    on the campaigns table instead of working it out on every fact row."""
    con.execute("""
        INSERT INTO campaigns
        SELECT platform, account_id, '', '', '', '', '', updated_at FROM accounts
        ON CONFLICT (platform, account_id, campaign_id) DO NOTHING
    """)


@dataclass(frozen=True)
class StagePart:
    """One Parquet file of staged rows and the columns it leaves out as one value."""

    path: Path
    constants: dict[str, Constant]
    varying: list[str]

    def holds(self, batch: pa.Table) -> bool:
        return all(c.holds(batch.column(n)) for n, c in self.constants.items())

    def select(self, columns: list[str]) -> str:
        shown = [
            f"{self.constants[n].literal} AS {n}" if n in self.constants else n
            for n in columns
        ]
        where = str(self.path).replace("'", "''")
        return f"SELECT {', '.join(shown)} FROM read_parquet('{where}')"


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
