"""A REST/JSON source described in a TOML file, for platforms with no own connector.

See README's "REST/JSON sources" for a worked config. The file holds no secrets:
the token, API key or client secret are given to `adreport connect rest`.
"""

from __future__ import annotations

from pathlib import Path

from adreport.sources.registry import ConnectOption
from adreport.sources.rest.auth import make_auth
from adreport.sources.rest.config import load, parse
from adreport.sources.rest.connector import RestConnector

PLATFORM = "rest"

CONNECT_OPTIONS: list[ConnectOption] = [
    ConnectOption("config", "the source's TOML description (see README)"),
    ConnectOption(
        "base-url",
        "replaces {base_url} in the config's URL (e.g. a sandbox's address)",
        required=False,
        default="",
    ),
    ConnectOption("token", "bearer token ([auth] type = bearer)", True, False),
    ConnectOption("api-key", "API key ([auth] type = api-key)", True, False),
    ConnectOption(
        "client-secret", "OAuth client secret ([auth] type = oauth-...)", True, False
    ),
]


def connector(settings: dict[str, str], secrets: dict[str, str]) -> RestConnector:
    """A connector for one stored connection: its config file and its secrets."""
    text = settings.get("config-text")
    config = parse(text, "config") if text else load(Path(settings["config"]))
    auth = make_auth(config.auth, secrets)
    return RestConnector(config, auth, settings.get("base-url", ""))


__all__ = ["CONNECT_OPTIONS", "PLATFORM", "RestConnector", "connector"]
