"""Commands that pull from the platforms: connect, sync, sources."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from adreport.cli.main import Context, cli, console, friendly_errors, out, parse_day
from adreport.cli.remote import Work, warehouse_work
from adreport.errors import ConfigurationError
from adreport.security.secrets import SecretBox
from adreport.sources.connections import Connection, ConnectionStore
from adreport.sources.engine.run import SyncOptions
from adreport.sources.engine.runs import FINISHED
from adreport.sources.registry import ConnectOption, connect_options
from adreport.warehouse import Warehouse


def open_store(ctx: Context) -> tuple[Warehouse, ConnectionStore]:
    settings = ctx.settings
    warehouse = Warehouse(settings.warehouse_path)
    return warehouse, ConnectionStore(warehouse, SecretBox.for_data_dir(ctx.directory))


@cli.command(
    "connect",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("platform")
@click.option("--name", help="Name of this connection (default: the platform).")
@click.option(
    "--lookback-days", type=int, help="Days re-pulled on every sync (late data)."
)
@click.pass_context
@friendly_errors
def connect_command(
    click_ctx: click.Context, platform: str, name: str | None, lookback_days: int | None
) -> None:
    """Store a connection to PLATFORM; secrets are encrypted, never echoed.

    The platform's own options (say --client-id, --refresh-token) follow; a
    secret left out is asked for at a hidden prompt, or read from stdin.
    """
    options = connect_options(platform)
    given = _given_options(click_ctx.args, options, platform)
    settings, secrets = _split(options, given, platform)
    if settings.get("config"):  # later syncs may run from any folder
        settings["config"] = str(Path(settings["config"]).absolute())
    if lookback_days is not None:
        settings["lookback_days"] = str(lookback_days)
    connection = Connection(name or platform, platform, settings, secrets)
    warehouse, store = open_store(click_ctx.obj)
    with warehouse:
        store.save(connection)
    console.print(
        f"connection {connection.name!r} ({platform}) stored; "
        f"secrets encrypted: {', '.join(sorted(secrets)) or 'none'}",
        highlight=False,
    )


def _given_options(
    args: list[str], options: list[ConnectOption], platform: str
) -> dict[str, str]:
    """`--client-id X` or `--client-id=X` pairs, checked against the platform's."""
    known = {"--" + o.name.replace("_", "-"): o.name for o in options}
    given: dict[str, str] = {}
    words = list(args)
    while words:
        word = words.pop(0)
        flag, _, value = word.partition("=")
        if flag not in known:
            raise ConfigurationError(
                f"{platform} has no option {flag}; its options: "
                + ", ".join(sorted(known))
            )
        if not _:
            if not words:
                raise ConfigurationError(f"{flag} needs a value")
            value = words.pop(0)
        given[known[flag]] = value
    return given


def _split(
    options: list[ConnectOption], given: dict[str, str], platform: str
) -> tuple[dict[str, str], dict[str, str]]:
    settings: dict[str, str] = {}
    secrets: dict[str, str] = {}
    for option in options:
        value = given.get(option.name, option.default)
        if value is None and option.secret and option.required:
            value = _ask_secret(option)
        if value is None or value == "":
            if option.required:
                flag = "--" + option.name.replace("_", "-")
                raise ConfigurationError(f"{platform} needs {flag}: {option.help}")
            continue
        (secrets if option.secret else settings)[option.name] = value
    return settings, secrets


def _ask_secret(option: ConnectOption) -> str | None:
    """A hidden prompt at a terminal; one line of stdin otherwise."""
    if sys.stdin.isatty():
        answer: str = click.prompt(
            option.help or option.name, hide_input=True, default="", show_default=False
        )
        return answer or None
    line = sys.stdin.readline()
    return line.rstrip("\r\n") or None


@cli.command("sync")
@click.option("--source", "sources", multiple=True, help="Connection name (repeat).")
@click.option("--since", help="Pull from this day (YYYY-MM-DD) through yesterday.")
@click.option("--backfill", type=int, help="Pull the last DAYS days again.")
@click.pass_obj
@friendly_errors
def sync_command(
    ctx: Context, sources: tuple[str, ...], since: str | None, backfill: int | None
) -> None:
    """Pull what changed (plus each source's look-back window) into the warehouse."""
    options = SyncOptions(since=parse_day(since, "--since"), backfill_days=backfill)
    failed = False
    with warehouse_work(ctx) as work:
        names = list(sources) or work.connection_names()
        if not names:
            raise ConfigurationError("no connections yet: run `adreport connect` first")
        for name in names:
            failed |= not _sync_one(work, name, options)
    sys.exit(1 if failed else 0)


class _Bar:
    """The engine's progress, shown as a rich bar of slices with rows counted."""

    def __init__(self, progress: Progress, name: str):
        self.progress = progress
        self.task = progress.add_task(name, total=None, rows=0)
        self.rows = 0

    def slices(self, total: int) -> None:
        self.progress.update(self.task, total=total)

    def advance(self, rows: int) -> None:
        self.rows += rows
        self.progress.update(self.task, advance=1, rows=self.rows)


def _sync_one(work: Work, name: str, options: SyncOptions) -> bool:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("slices, {task.fields[rows]} rows"),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bar = _Bar(progress, name)
        run = work.sync(name, options, bar)
    resumed = " (resumed)" if run.resumed else ""
    console.print(
        f"{name}: {run.status}{resumed}; {run.first_day}..{run.last_day}; "
        f"rows read {run.rows_read}, written {run.rows_written}, "
        f"unchanged {run.rows_unchanged}, rejected {run.rows_rejected}; "
        f"requests {run.requests}, retries {run.retries}, "
        f"waits {run.waits}, errors {run.errors}",
        highlight=False,
    )
    for warning in run.warnings[:10]:
        console.print(f"  warning: {warning}", highlight=False)
    if run.message:
        console.print(f"  [red]{run.status}:[/red] {run.message}", highlight=False)
    return run.status == FINISHED


@cli.command("sources")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
@friendly_errors
def sources_command(ctx: Context, fmt: str) -> None:
    """Each connection: status, last sync, data as of, provisional days, errors."""
    with warehouse_work(ctx) as work:
        found = work.sources()
    if fmt == "json":
        out.print_json(json.dumps([s.as_json() for s in found]))
        return
    table = Table()
    for heading in (
        "source",
        "platform",
        "status",
        "last sync",
        "data as of",
        "provisional days",
        "errors",
    ):
        table.add_column(heading)
    for s in found:
        table.add_row(
            s.name,
            s.platform,
            s.status + (f": {s.message}" if s.message else ""),
            s.last_sync.strftime("%Y-%m-%d %H:%M UTC") if s.last_sync else "never",
            _day(s.data_as_of),
            str(s.provisional_days),
            str(s.errors),
        )
    out.print(table)


def _day(value: date | None) -> str:
    return value.isoformat() if value else "-"
