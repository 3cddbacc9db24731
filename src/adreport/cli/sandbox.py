"""`adreport sandbox`: the platforms' local sandboxes on loopback.

Each platform's sandbox runs on its own port, from `--port` upward, until Ctrl-C.
For each, the command prints its URL and the `adreport connect` line (with the
sandbox's own, made-up credentials) that points a connection at it.
"""

from __future__ import annotations

import importlib
import shlex
import threading
from contextlib import ExitStack
from types import ModuleType

import click

from adreport.cli.main import cli, console, friendly_errors, out
from adreport.errors import ConfigurationError
from adreport.sources.registry import PACKAGES, platforms
from adreport.sources.sandbox import STANDARD_FAULTS, FaultPlan, FaultSpecError, serve


@cli.command("sandbox")
@click.argument("names", nargs=-1, metavar="[PLATFORM]...")
@click.option(
    "--port", default=8710, show_default=True, help="Port of the first sandbox."
)
@click.option(
    "--faults",
    "spec",
    default="",
    help="Faults to answer with, e.g. rate-limit=2,server-error=0.1,expire-page-token",
)
@click.option("--seed", default=7, show_default=True, help="Seed of the data.")
@friendly_errors
def sandbox_command(names: tuple[str, ...], port: int, spec: str, seed: int) -> None:
    """Run the local sandboxes of PLATFORM... (default: every platform)."""
    wanted = list(names) or platforms()
    _check_spec(spec)
    with ExitStack() as running:
        started = 0
        for name in wanted:
            module = _sandbox_module(name)
            if module is None:
                continue
            plan = _plan_for(name, module, spec, seed)
            served = running.enter_context(
                serve(module.build_app(plan, seed), port=port + started)
            )
            started += 1
            _announce(name, module, served.url)
        if not started:
            raise ConfigurationError("no sandbox could be started")
        console.print("Sandboxes running; Ctrl-C stops them.")
        _wait_for_interrupt()


def _check_spec(spec: str) -> None:
    try:
        FaultPlan.parse(spec, known=STANDARD_FAULTS)
    except FaultSpecError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from None


def _sandbox_module(name: str) -> ModuleType | None:
    """The platform's sandbox module, or None (said) when it is not installed."""
    package = PACKAGES.get(name)
    if package is None:
        raise click.BadParameter(
            f"unknown platform {name!r}; known: {', '.join(platforms())}",
            param_hint="PLATFORM",
        )
    try:
        return importlib.import_module(f"{package}.sandbox")
    except ModuleNotFoundError as exc:
        console.print(
            f"[yellow]{name}:[/yellow] no sandbox in this installation "
            f"({exc.name} is missing); skipped",
            markup=True,
            highlight=False,
        )
        return None


def _plan_for(name: str, module: ModuleType, spec: str, seed: int) -> FaultPlan:
    """The spec's faults this sandbox implements; the others are named and left out."""
    known = frozenset(module.FAULTS)
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    mine = [p for p in parts if p.partition("=")[0].strip() in known]
    for part in parts:
        if part not in mine:
            console.print(f"{name}: does not answer with {part}; left out there")
    return FaultPlan.parse(",".join(mine), known=known, seed=seed)


def _announce(name: str, module: ModuleType, url: str) -> None:
    settings, secrets = module.sandbox_connection(url)
    flags = [
        f"--{key.replace('_', '-')} {shlex.quote(value)}"
        for key, value in {**settings, **secrets}.items()
        if value
    ]
    out.print(f"{name}: {url}", highlight=False)
    out.print(f"  adreport connect {name} {' '.join(flags)}", highlight=False)
    out.file.flush()  # seen at once, also when piped


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    try:
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        console.print("Sandboxes stopped.")
