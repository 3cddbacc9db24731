"""`adreport serve`: the service on uvicorn."""

from __future__ import annotations

from pathlib import Path

import click

from adreport.cli.main import Context, cli, friendly_errors


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port.")
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TLS certificate (PEM); with --tls-key, serve HTTPS.",
)
@click.option(
    "--tls-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TLS private key (PEM) for --tls-cert.",
)
@click.option("--json-logs", is_flag=True, help="Write logs as one JSON object a line.")
@click.option(
    "--app-db",
    envvar="ADREPORT_APP_DB",
    help="App data URL (default: SQLite app.sqlite3 in the data directory).",
)
@click.pass_obj
@friendly_errors
def serve_command(
    ctx: Context,
    host: str,
    port: int,
    tls_cert: Path | None,
    tls_key: Path | None,
    json_logs: bool,
    app_db: str | None,
) -> None:
    """Run the REST API (/api/v1) and pushed-events receiver.

    The server owns the warehouse file while it runs; meanwhile query, report,
    import, imports, sources and sync of the same --data-dir work through it.
    """
    import uvicorn

    from adreport.service.app import create_app
    from adreport.service.local_access import local_url
    from adreport.service.middleware import configure_logging
    from adreport.service.runtime import ServiceSettings

    if bool(tls_cert) != bool(tls_key):
        raise click.BadParameter(
            "give both --tls-cert and --tls-key, or neither", param_hint="--tls-key"
        )
    configure_logging(json_logs=json_logs)
    settings = ServiceSettings(
        ctx.directory,
        app_db_url=app_db,
        json_logs=json_logs,
        local_url=local_url(host, port, tls=bool(tls_cert)),
    )
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )
