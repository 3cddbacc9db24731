"""The commands of issue-facing interface: import, formats, query, report, demo."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from adreport.cli.main import Context, cli, console, friendly_errors, out, parse_day
from adreport.cli.main import out as out_console
from adreport.cli.output import print_table, to_csv, to_json
from adreport.cli.remote import Work, warehouse_work
from adreport.errors import AdreportError, ConfigurationError
from adreport.ingest.importer import ImportOptions, group_companions
from adreport.ingest.places import check_currency, check_timezone
from adreport.ingest.spec import builtin_formats
from adreport.metrics.fx import update_rates_file
from adreport.metrics.query import MetricQuery
from adreport.warehouse import Warehouse


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "format_name", help="Format name or mapping .toml file.")
@click.option("--currency", help="ISO 4217 currency of amounts the file does not name.")
@click.option("--timezone", help="IANA time zone of the account (e.g. Asia/Seoul).")
@click.option(
    "--date", "day", help="The day the numbers cover, for files with no date."
)
@click.option("--account", help="Account the rows belong to, for files with none.")
@click.option(
    "--skip-bad-rows", is_flag=True, help="Load good rows, write bad ones aside."
)
@click.option("--fetched-at", help="When the export was made (default: file time).")
@click.option(
    "--conversion-event",
    default="purchase",
    show_default=True,
    help="Which conversion family counts as conversions in per-action tables.",
)
@click.pass_obj
@friendly_errors
def import_command(
    ctx: Context,
    files: tuple[Path, ...],
    format_name: str | None,
    currency: str | None,
    timezone: str | None,
    day: str | None,
    account: str | None,
    skip_bad_rows: bool,
    fetched_at: str | None,
    conversion_event: str,
) -> None:
    """Import export files; each loads whole or not at all.

    The format is recognised from the file's header (see `adreport formats`). What a
    file lacks (its day, currency or account) is asked for, never guessed.
    """
    from adreport.cli.main import when

    options = ImportOptions(
        format=format_name,
        currency=_currency_option(currency),
        timezone=_timezone_option(timezone),
        day=parse_day(day, "--date"),
        account=account,
        skip_bad_rows=skip_bad_rows,
        fetched_at=when(fetched_at),
        rejects_dir=ctx.settings.rejects_dir,
        conversion_event=conversion_event,
    )
    plan = group_companions(list(files), options)
    failed = []
    for path, reason in plan.refused:
        console.print(f"[red]rejected:[/red] {reason}", highlight=False)
        failed.append(path)
    with warehouse_work(ctx) as work:
        for path, companions in plan.groups:
            try:
                _import_one(work, path, options, companions)
            except AdreportError as exc:
                console.print(f"[red]rejected:[/red] {exc}", highlight=False)
                failed += [path, *companions]
    if failed:
        names = ", ".join(str(p) for p in failed)
        console.print(f"[red]{len(failed)} file(s) not imported:[/red] {names}")
        sys.exit(2)


def _import_one(
    work: Work, path: Path, options: ImportOptions, companions: list[Path]
) -> None:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"importing {path.name}", total=None)
        result = work.import_file(
            path, options, companions, lambda n: progress.advance(task, n)
        )
    counts = result.counts
    out.print(
        f"{path}: read as [bold]{result.format}[/bold] ({result.format_title}); "
        f"{result.rows_read:,} rows read, {counts.new:,} new, "
        f"{counts.replaced:,} replaced, {counts.unchanged:,} unchanged, "
        f"{counts.outdated:,} older than what is stored (kept as history), "
        f"{result.rows_rejected:,} rejected",
        highlight=False,
    )
    stored = counts.new + counts.replaced + counts.unchanged + counts.outdated
    loaded = result.rows_read - result.rows_rejected
    if result.kind == "facts" and stored < loaded:
        out.print(
            f"  note: {loaded:,} rows added up into {stored:,}: rows of the same day, "
            "entity and breakdowns (hours, or segments adreport does not keep) "
            "are one row in the model",
            highlight=False,
        )
    for note in result.notes:
        out.print(f"  note: {note}", highlight=False)
    if result.censored:
        out.print(
            f"  note: {result.censored} censored share(s) such as '< 10%' kept as n/a"
        )
    if result.rejects_file:
        out.print(f"  bad rows written to {result.rejects_file}", highlight=False)


def _currency_option(value: str | None) -> str | None:
    return _checked(
        value,
        check_currency,
        "an ISO 4217 currency code (e.g. USD, KRW, EUR)",
        "--currency",
    )


def _timezone_option(value: str | None) -> str | None:
    return _checked(
        value,
        check_timezone,
        "an IANA time zone (e.g. Asia/Seoul, Europe/London)",
        "--timezone",
    )


def _checked(
    value: str | None, check: Callable[[str], str | None], expected: str, option: str
) -> str | None:
    if value is None:
        return None
    found = check(value)
    if found is None:
        raise click.BadParameter(f"{value!r} is not {expected}", param_hint=option)
    return found


@cli.command("formats")
def formats_command() -> None:
    """List the export formats adreport recognises."""
    for fmt in builtin_formats():
        out.print(f"[bold]{fmt.name}[/bold]  {fmt.title}  [dim]({fmt.kind})[/dim]")
        if fmt.notes:
            out.print(f"    {fmt.notes}", highlight=False)


@cli.command("query")
@click.option("--metrics", required=True, help="Comma-separated, e.g. spend,ctr,roas.")
@click.option(
    "--by", default="", help="Comma-separated dimensions, e.g. platform,week."
)
@click.option("--from", "start", help="First day, YYYY-MM-DD.")
@click.option("--to", "end", help="Last day, YYYY-MM-DD.")
@click.option(
    "--currency",
    help="Currency to report in (ISO code); needed when accounts use several.",
)
@click.option(
    "--where",
    "where",
    multiple=True,
    help="FIELD=VALUE[,VALUE...]: keep rows whose field (any dimension, e.g. "
    "platform, account, campaign, channel, device) is one of the values, by name "
    "or id, ignoring case. Several --where must all hold.",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for people; csv and json for scripts (NULL is empty / null).",
)
@click.option("--lang", type=click.Choice(["en", "ko"]), default="en")
@click.option(
    "--show-sql", is_flag=True, help="Print the SQL that computed the numbers."
)
@click.pass_obj
@friendly_errors
def query_command(
    ctx: Context,
    metrics: str,
    by: str,
    start: str | None,
    end: str | None,
    currency: str | None,
    where: tuple[str, ...],
    output: str,
    lang: str,
    show_sql: bool,
) -> None:
    """Compute metrics, grouped and filtered, as a table, CSV or JSON.

    Metrics: impressions, clicks, spend, conversions, revenue, reach, video_views,
    engagements, ctr, cpc, cpm, cvr, cpa, roas, roi, frequency, and your own KPIs.
    Dimensions for --by and --where: date, week, month, platform, account, channel,
    campaign_type, campaign, ad_group, ad, keyword, age, gender, country, region,
    device, placement, network, interest, conversion_goal, attribution_setting,
    source_file.
    """
    query = MetricQuery(
        metrics=[m.strip() for m in metrics.split(",") if m.strip()],
        by=[b.strip() for b in by.split(",") if b.strip()],
        start=parse_day(start, "--from"),
        end=parse_day(end, "--to"),
        currency=_currency_option(currency),
        where=_where(where),
    )
    settings = ctx.settings
    if not settings.warehouse_path.is_file():
        raise ConfigurationError(
            f"no warehouse in {settings.data_dir} yet: import exports first "
            "(adreport import FILE), or point --data-dir at your data"
        )
    with warehouse_work(ctx) as work:
        result = work.query(query)
    if output == "csv":
        click.echo(to_csv(result), nl=False)
    elif output == "json":
        click.echo(to_json(result))
    else:
        print_table(result, out, lang)
    if show_sql:
        console.print(result.sql, highlight=False, markup=False)


def _where(items: tuple[str, ...]) -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    for item in items:
        field, sep, value = item.partition("=")
        if not sep or not field.strip():
            raise click.BadParameter(
                f"{item!r} is not FIELD=VALUE (e.g. channel=search)",
                param_hint="--where",
            )
        where.setdefault(field.strip(), []).extend(
            v.strip() for v in value.split(",") if v.strip()
        )
    return where


@cli.group("rates")
def rates_group() -> None:
    """Exchange rates used to convert currencies."""


@rates_group.command("update")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
@friendly_errors
def rates_update(ctx: Context, file: Path) -> None:
    """Use a newer ECB history file (eurofxref-hist.zip) from now on."""
    target = update_rates_file(file, ctx.settings.data_dir)
    with Warehouse(ctx.settings.warehouse_path) as warehouse:
        warehouse.con.execute("DROP TABLE IF EXISTS fx_factors")
    out.print(f"rates now read from {target}")


@cli.command("demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Folder for the sample exports, the demo warehouse and the reports.",
)
@click.option(
    "--lang", type=click.Choice(["en", "ko"]), default="en", show_default=True
)
@click.option(
    "--from",
    "source",
    type=click.Choice(["sandboxes", "exports"]),
    default="sandboxes",
    show_default=True,
    help="Sync from the platforms' local sandboxes (loopback only), or import "
    "sample export files.",
)
@friendly_errors
def demo_command(out: Path, lang: str, source: str) -> None:
    """Build the demo: a warehouse of its own and a report of the last 30 days.

    By default Google Ads and Meta are synced from local sandboxes over loopback
    (then synced again after the sandbox restates a day), and the Microsoft
    Advertising export is imported; `--from exports` imports sample exports only.
    """
    from adreport.demo.run import run_demo, run_sync_demo

    build = run_sync_demo if source == "sandboxes" else run_demo
    result = build(out, lang, say=lambda text: out_console.print(text, highlight=False))
    out_console.print(f"demo warehouse: {result.data_dir}", highlight=False)
    out_console.print(f"report (PDF):  {result.report.pdf}", highlight=False)
    out_console.print(f"report (HTML): {result.report.html}", highlight=False)
    out_console.print(
        f"try: adreport --data-dir {result.data_dir} query --metrics spend,roas,cpa "
        "--by platform,week --currency USD",
        highlight=False,
    )


@cli.command("report")
@click.option(
    "--period",
    help="last-7-days, last-14-days, last-28-days, last-30-days (default), "
    "last-90-days, this-week, last-week, this-month, last-month, this-quarter, "
    "last-quarter, this-year or last-year; counted back from the newest day "
    "imported (never later than today).",
)
@click.option("--from", "start", help="First day, YYYY-MM-DD (instead of --period).")
@click.option("--to", "end", help="Last day, YYYY-MM-DD (default: the newest day).")
@click.option(
    "--compare",
    type=click.Choice(["previous", "year", "none"]),
    default="previous",
    show_default=True,
    help="previous: the calendar unit before for calendar periods (last-month: the "
    "whole month before), else as many days just before; year: the same dates a "
    "year earlier.",
)
@click.option(
    "--currency",
    help="Currency to report in (ISO code); needed when accounts use several.",
)
@click.option(
    "--lang", type=click.Choice(["en", "ko"]), default="en", show_default=True
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the PDF and HTML (default: <data dir>/reports).",
)
@click.option("--client", help="Client name on the cover (default: adreport.toml).")
@click.pass_obj
@friendly_errors
def report_command(
    ctx: Context,
    period: str | None,
    start: str | None,
    end: str | None,
    compare: str,
    currency: str | None,
    lang: str,
    out_dir: Path | None,
    client: str | None,
) -> None:
    """Write the PDF and HTML report of a period."""
    from adreport.reports.build import ReportOptions
    from adreport.reports.i18n import day_range

    options = ReportOptions(
        period=period,
        start=parse_day(start, "--from"),
        end=parse_day(end, "--to"),
        compare=compare,
        currency=_currency_option(currency),
        lang=lang,
        out_dir=out_dir,
        client=client,
    )
    with warehouse_work(ctx) as work:
        files = work.report(options)
    compared = files.comparison
    console.print(
        f"report of {day_range(files.period.start, files.period.end, 'en')}"
        + (
            f", compared with {day_range(compared.start, compared.end, 'en')}"
            if compared
            else ""
        ),
        highlight=False,
    )
    click.echo(str(files.pdf))
    click.echo(str(files.html))


@cli.command("imports")
@click.option("--limit", default=20, show_default=True, help="How many, newest first.")
@click.pass_obj
@friendly_errors
def imports_command(ctx: Context, limit: int) -> None:
    """List what was imported, when, and what it changed."""
    from rich.table import Table

    with warehouse_work(ctx) as work:
        rows = work.imports(limit)
    table = Table(
        "#",
        "when (UTC)",
        "format",
        "file",
        "read",
        "new",
        "replaced",
        "unchanged",
        "rejected",
    )
    for row in rows:
        when = row[1].strftime("%Y-%m-%d %H:%M") if row[1] else ""
        table.add_row(str(row[0]), when, row[2], row[3], *(f"{n:,}" for n in row[4:9]))
    out.print(table)
