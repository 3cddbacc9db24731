"""Importing export files into the warehouse: all of a file, or nothing."""

from __future__ import annotations

import csv
import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from adreport.errors import (
    AdreportError,
    ConfigurationError,
    ImportRejectedError,
    InputFileError,
    ParseProblem,
)
from adreport.ingest.actions import (
    action_table,
    ad_days_adding_legs,
    check_family,
    family_value_sql,
)
from adreport.ingest.batch import Batch, BatchParser, FileFacts
from adreport.ingest.blocks import KEEP, SKIP, STOP, Fate, block_batches
from adreport.ingest.detect import Located, locate
from adreport.ingest.facts import fact_table
from adreport.ingest.reading import TextFile, iter_records, open_text_file
from adreport.ingest.records import account_table, event_table
from adreport.ingest.spec import ExportFormat
from adreport.warehouse import ImportCounts, Warehouse
from adreport.warehouse.store import Stage, utc_now

log = logging.getLogger(__name__)

BATCH_ROWS = 100_000
PROBLEMS_SHOWN = 20

Progress = Callable[[int], None]
TABLE_BUILDERS = {"facts": fact_table, "accounts": account_table, "events": event_table}


@dataclass
class ImportOptions:
    """What the user says about the files: what they lack, and how strict to be."""

    format: str | None = None
    currency: str | None = None
    timezone: str | None = None
    day: date | None = None
    account: str | None = None
    skip_bad_rows: bool = False
    fetched_at: datetime | None = None
    encoding: str | None = None
    rejects_dir: Path | None = None
    conversion_event: str = "purchase"


@dataclass
class ImportResult:
    path: Path
    format: str
    format_title: str
    import_id: int
    rows_read: int
    rows_rejected: int
    counts: ImportCounts
    censored: int = 0
    notes: list[str] = field(default_factory=list)
    rejects_file: Path | None = None
    kind: str = "facts"


@dataclass
class ImportPlan:
    """The files of one command: each main file with its action tables, and the
    files that cannot be imported at all, each with the reason."""

    groups: list[tuple[Path, list[Path]]]
    refused: list[tuple[Path, AdreportError]]


def group_companions(paths: list[Path], options: ImportOptions) -> ImportPlan:
    """Each main file with the action tables given beside it in the same command.

    A file that cannot be read or recognised is set aside with its reason, so the
    others still go ahead and every file gets its own verdict.
    """
    kinds = {}
    refused: list[tuple[Path, AdreportError]] = []
    for path in paths:
        try:
            located = locate(open_text_file(path, options.encoding), options.format)
        except AdreportError as exc:
            refused.append((path, exc))
            continue
        kinds[path] = located.fmt
    groups: list[tuple[Path, list[Path]]] = []
    for path, fmt in kinds.items():
        if fmt.kind == "actions":
            continue
        mine = [
            p
            for p, f in kinds.items()
            if f.kind == "actions" and f.name in fmt.companions
        ]
        groups.append((path, mine))
    attached = {p for _, mine in groups for p in mine}
    for path, fmt in kinds.items():
        if fmt.kind == "actions" and path not in attached:
            refused.append(
                (
                    path,
                    InputFileError(
                        f"{path} is a {fmt.title}: it only adds to its main table; "
                        "import it in the same command as that table (e.g. "
                        "facebook_ads_basic_ad)"
                    ),
                )
            )
    return ImportPlan(groups, refused)


def import_file(
    warehouse: Warehouse,
    path: Path,
    options: ImportOptions,
    progress: Progress | None = None,
    companions: list[Path] | None = None,
) -> ImportResult:
    """Parse, check and merge one file; raises ImportRejectedError on bad values."""
    path = path.absolute()  # the provenance every row keeps names the file fully
    text_file = open_text_file(path, options.encoding)
    located = locate(text_file, options.format)
    log.info("%s: reading as %s", path, located.fmt.title)
    facts = FileFacts(
        path=path,
        fetched_at=options.fetched_at or _modified_at(path),
        currency=options.currency,
        timezone=options.timezone,
        day=options.day,
        account=options.account,
        conversion_event=check_family(options.conversion_event),
        known_accounts=warehouse.account_facts,
    )
    parser = BatchParser(located, facts)
    import_id = warehouse.next_import_id()
    started = utc_now()

    with warehouse.staging(import_id) as stage:
        rows_read, problems, rejected, censored = 0, [], 0, 0
        for batch in _batches(text_file, located, parser):
            table = TABLE_BUILDERS[located.fmt.kind](parser, batch)
            rows_read += batch.rows + _width_problem_rows(batch)
            censored += batch.censored
            problems.extend(batch.problems)
            good, bad_rows = _split_bad(table, batch)
            rejected += bad_rows
            if problems and not options.skip_bad_rows:
                continue
            stage.add(good)
            if progress:
                progress(batch.rows)

        for companion in companions or []:
            if problems and not options.skip_bad_rows:
                break
            problems += _attach_companion(stage, companion, facts, options, parser)

        if problems and not options.skip_bad_rows:
            raise ImportRejectedError(
                _rejection_message(path, problems, rejected), problems, rejected
            )
        rejects_file = _write_rejects(path, problems, options.rejects_dir)
        notes = sorted(parser.notes)
        counts = stage.merge(
            located.fmt.kind,
            {
                "import_id": import_id,
                "source_file": str(path),
                "sha256": _sha256(path),
                "format": located.fmt.name,
                "started_at": started,
                "fetched_at": facts.fetched_at,
                "rows_read": rows_read,
                "rows_rejected": rejected,
                "notes": "; ".join(notes),
            },
        )
    return ImportResult(
        path,
        located.fmt.name,
        located.fmt.title,
        import_id,
        rows_read,
        rejected,
        counts,
        censored,
        notes,
        rejects_file,
        located.fmt.kind,
    )


def _attach_companion(
    stage: Stage,
    path: Path,
    main: FileFacts,
    options: ImportOptions,
    main_parser: BatchParser,
) -> list[ParseProblem]:
    text_file = open_text_file(path, options.encoding)
    located = locate(text_file)
    facts = FileFacts(path=path, fetched_at=main.fetched_at)
    parser = BatchParser(located, facts)
    tables, problems = [], []
    for batch in _batches(text_file, located, parser):
        table = action_table(parser, batch)
        problems.extend(batch.problems)
        tables.append(_split_bad(table, batch)[0])
    if not tables:
        return problems
    event = check_family(options.conversion_event)
    window = located.fmt.provisional_days or main_parser.fmt.provisional_days
    stage.first_settled_day = main.fetched_at.date() - timedelta(days=window)
    actions = pa.concat_tables(tables)
    try:
        matched, added = stage.attach_actions(
            actions, located.fmt.measure, family_value_sql(event), options.account
        )
    except ConfigurationError as exc:
        raise ConfigurationError(f"{path}: {exc}") from None
    main_parser.notes.add(
        f"{path.name}: {located.fmt.measure} of '{event}' attached to {matched} "
        f"ad-day(s), {added} ad-day(s) with actions only"
    )
    summed = ad_days_adding_legs(actions, event)
    if summed:
        main_parser.notes.add(
            f"{path.name}: {summed} ad-day(s) give no total for '{event}', so its "
            "website, on-site and app counts were added together; if your account "
            "reports one conversion under two of them, those days count it twice"
        )
    return problems


def _batches(
    text_file: TextFile, located: Located, parser: BatchParser
) -> Iterator[Batch]:
    fate = partial(_fate, located.fmt)
    blocks = block_batches(text_file, located, parser, fate, BATCH_ROWS)
    if blocks is not None:
        return blocks
    return _row_batches(text_file, located, parser, fate, BATCH_ROWS)


def _row_batches(
    text_file: TextFile,
    located: Located,
    parser: BatchParser,
    fate: Fate,
    batch_rows: int,
) -> Iterator[Batch]:
    """The batches as Python's csv module reads the file, record by record."""
    pending: list[tuple[int, list[str]]] = []
    for line, cells in iter_records(
        text_file, located.delimiter, located.header_line + 1
    ):
        verdict = fate(cells)
        if verdict == STOP:
            break
        if verdict == SKIP:
            continue
        pending.append((line, cells))
        if len(pending) >= batch_rows:
            yield parser.raw(pending)
            pending = []
    if pending:
        yield parser.raw(pending)


def _fate(fmt: ExportFormat, cells: list[str]) -> str:
    """Whether a record is data (KEEP), passed over (SKIP) or ends the table (STOP).

    The block reader keeps, without asking, a row whose first cell starts with a
    character other than white space or "-" and with none of the format's prefixes:
    a change here must keep that true.
    """
    if not any(cell.strip() for cell in cells):
        return SKIP
    label = _row_label(cells)
    if fmt.stop_at_rows_starting and label.startswith(fmt.stop_at_rows_starting):
        return STOP
    if fmt.skip_rows_starting and label.startswith(fmt.skip_rows_starting):
        return SKIP
    return KEEP


def _row_label(cells: list[str]) -> str:
    """The first cell with text: where totals and footers say what they are.

    A totals row may carry its label after empty or "--" placeholder cells (some
    Google Ads segment reports), so those are passed over.
    """
    return next((c.strip() for c in cells if c.strip() not in ("", "--")), "")


def _width_problem_rows(batch: Batch) -> int:
    return sum(1 for p in batch.problems if p.column == "(whole row)")


def _split_bad(table: pa.Table, batch: Batch) -> tuple[pa.Table, int]:
    width_bad = _width_problem_rows(batch)
    if batch.bad is None:
        return table, width_bad
    bad_count = pc.sum(pc.cast(batch.bad, pa.int64())).as_py() or 0
    return table.filter(pc.invert(batch.bad)), bad_count + width_bad


def _rejection_message(path: Path, problems: list[ParseProblem], rows: int) -> str:
    shown = "\n".join(f"  {p}" for p in problems[:PROBLEMS_SHOWN])
    more = len(problems) - PROBLEMS_SHOWN
    tail = f"\n  ... and {more} more" if more > 0 else ""
    return (
        f"{path}: {len(problems)} value(s) in {rows} row(s) cannot be read; "
        f"nothing was imported.\n{shown}{tail}\n"
        "Fix the file and import it again, or pass --skip-bad-rows to load the other "
        "rows and write the bad ones to a rejects file."
    )


def _write_rejects(
    path: Path, problems: list[ParseProblem], folder: Path | None
) -> Path | None:
    if not problems:
        return None
    folder = folder or path.parent
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{path.stem}.rejects.csv"
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["file", "line", "column", "value", "expected"]
        )
        writer.writeheader()
        ordered = sorted(problems, key=lambda p: p.line)
        writer.writerows(p.as_row() for p in ordered)
    return target


def _modified_at(path: Path) -> datetime:
    moment = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return moment.replace(tzinfo=None)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
