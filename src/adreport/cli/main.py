"""Commands. Each one parses options, calls the library, and prints what it did."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from adreport.config import Settings, load_settings
from adreport.config import data_dir as resolve_data_dir
from adreport.errors import AdreportError, ImportRejectedError

F = TypeVar("F", bound=Callable[..., Any])

# Piped or logged output is not cut to 80 columns.
WIDE = None if sys.stdout.isatty() else 200
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True, width=WIDE)


class Context:
    def __init__(self, directory: Path):
        self.directory = directory
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.directory)
        return self._settings


def friendly_errors(command: F) -> F:
    """Print adreport's own errors as plain messages with exit status 2."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ImportRejectedError as exc:
            console.print(f"[red]rejected:[/red] {exc}", markup=True, highlight=False)
            sys.exit(2)
        except AdreportError as exc:
            console.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date like 2024-01-31", param_hint=option
        ) from None


@click.group()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the warehouse lives (default: $ADREPORT_HOME or ~/.adreport).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="adreport")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, verbose: int) -> None:
    """adreport: campaign performance reports that build themselves."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = Context(resolve_data_dir(data_dir))


# Each module adds its commands to `cli` when imported.
COMMAND_MODULES = ("commands", "sandbox", "sync", "service", "serve")


def main() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"adreport.cli.{name}")
    cli(prog_name="adreport")


def when(text: str | None, option: str = "--fetched-at") -> datetime | None:
    """An ISO date and time given as an option, as naive UTC."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a date and time like 2024-05-02T08:00 or 2024-05-02",
            param_hint=option,
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
