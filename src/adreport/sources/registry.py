"""Which package serves each platform, and the options `adreport connect` asks for.

Each platform lives in its own sub-package exposing `connector(settings, secrets)`
and `CONNECT_OPTIONS`. The registry imports a package only when it is asked for,
so a missing or broken connector stops only the syncs that need it.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import cast

from adreport.errors import ConfigurationError
from adreport.sources.base import Connector

PACKAGES = {
    "google-ads": "adreport.sources.google_ads",
    "meta": "adreport.sources.meta",
    "naver-searchad": "adreport.sources.naver_searchad",
    "rest": "adreport.sources.rest",
}


@dataclass(frozen=True)
class ConnectOption:
    """One setting of a connection, as `adreport connect PLATFORM --NAME` takes it.

    A secret option is never echoed, logged or stored in clear text; left out on
    the command line, it is asked for at a hidden prompt (or read from stdin).
    """

    name: str  # the setting's key, e.g. "client_id"; the option is --client-id
    help: str
    secret: bool = False
    required: bool = True
    default: str | None = None


def platforms() -> list[str]:
    """Every platform name adreport knows, whether or not its package is present."""
    return list(PACKAGES)


def available_platforms() -> list[str]:
    """The platforms whose connector package is present in this installation."""
    return [name for name in PACKAGES if _present(PACKAGES[name])]


def _present(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except ModuleNotFoundError:
        return False


def platform_module(platform: str) -> ModuleType:
    """The connector package of `platform`, imported; a clear error if absent."""
    package = PACKAGES.get(platform)
    if package is None:
        raise ConfigurationError(
            f"unknown platform {platform!r}; known: {', '.join(PACKAGES)}"
        )
    if not _present(package):
        raise ConfigurationError(
            f"the {platform} connector ({package}) is not part of this adreport "
            "installation yet; use one of: "
            + (", ".join(available_platforms()) or "none")
        )
    return importlib.import_module(package)


def connect_options(platform: str) -> list[ConnectOption]:
    options = getattr(platform_module(platform), "CONNECT_OPTIONS", [])
    return list(cast(list[ConnectOption], options))


def make_connector(
    platform: str, settings: Mapping[str, str], secrets: Mapping[str, str]
) -> Connector:
    """A connector for one stored connection of `platform`."""
    module = platform_module(platform)
    if not callable(getattr(module, "connector", None)):
        raise ConfigurationError(
            f"the {platform} connector ({module.__name__}) cannot sync yet: "
            "it has no connector() in this installation"
        )
    factory = cast(
        Callable[[dict[str, str], dict[str, str]], Connector], module.connector
    )
    return factory(dict(settings), dict(secrets))
