"""The body of `POST /connections`, one shape per platform, from its connect options.

Each platform's connector lists the settings and secrets it takes; the document
says exactly those (names, which are required, no others), so a client learns a
misspelt or missing option from the document rather than from a refusal. A body
either links an account only (no settings, no secrets) or stores a connection
(the settings, and the secrets where the platform requires any).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, create_model

from adreport.errors import ConfigurationError
from adreport.service.api.ids import BodyId
from adreport.sources.registry import PACKAGES, ConnectOption, connect_options

NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"
Value = Annotated[str, Field(max_length=4000)]


class ConnectionIn(BaseModel):
    """What every connection body has; platforms narrow `platform` and the options."""

    client_id: BodyId
    platform: str
    account_id: Annotated[str, Field(min_length=1, max_length=100)]
    connection_name: Annotated[str | None, Field(pattern=NAME)] = None
    settings: BaseModel | None = None
    secrets: BaseModel | None = None

    def options(self, group: BaseModel | None) -> dict[str, str]:
        """The options given in `settings` or `secrets`, by their platform names."""
        if group is None:
            return {}
        given = group.model_dump(by_alias=True, exclude_none=True)
        return {name: str(value) for name, value in given.items()}


def _required(option: ConnectOption) -> bool:
    return option.required and option.default is None


def _options_model(title: str, options: list[ConnectOption]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        option.name.replace("-", "_"): (
            Value if _required(option) else Value | None,
            Field(alias=option.name)
            if _required(option)
            else Field(None, alias=option.name),
        )
        for option in options
    }
    config = ConfigDict(extra="forbid", populate_by_name=False)
    model: type[BaseModel] = create_model(title, __config__=config, **fields)
    return model


def _variants(platform: str, options: list[ConnectOption]) -> list[Any]:
    tag = Literal[platform]  # type: ignore[valid-type]
    words = "".join(part.title() for part in platform.replace("-", " ").split())
    settings = _options_model(f"{words}Settings", [o for o in options if not o.secret])
    secrets = _options_model(f"{words}Secrets", [o for o in options if o.secret])
    secrets_required = any(_required(o) for o in options if o.secret)
    secrets_field: Any = (secrets, ...) if secrets_required else (secrets | None, None)
    link: type[BaseModel] = create_model(
        f"{words}Link",
        __base__=ConnectionIn,
        platform=(tag, ...),
        settings=(None, None),
        secrets=(None, None),
    )
    stored: type[BaseModel] = create_model(
        f"{words}StoredConnection",
        __base__=ConnectionIn,
        platform=(tag, ...),
        settings=(settings, ...),
        secrets=secrets_field,
    )
    return [
        Annotated[link, Tag(f"{platform}:link")],
        Annotated[stored, Tag(f"{platform}:stored")],
    ]


def _shape(body: Any) -> str | None:
    """Which variant a body is: its platform, and whether it stores credentials."""
    if isinstance(body, dict):
        platform, given = body.get("platform"), body
    else:
        platform, given = getattr(body, "platform", None), vars(body)
    if not isinstance(platform, str):
        return None
    stored = given.get("settings") is not None or given.get("secrets") is not None
    return f"{platform}:{'stored' if stored else 'link'}"


def _installed() -> dict[str, list[ConnectOption]]:
    """Each platform whose connector is installed here, and its connect options."""
    found: dict[str, list[ConnectOption]] = {}
    for platform in PACKAGES:
        try:
            found[platform] = connect_options(platform)
        except ConfigurationError:  # its connector is not part of this installation
            continue
    return found


INSTALLED = _installed()
PLATFORMS = list(INSTALLED)
SECRET_NAMES = sorted({o.name for opts in INSTALLED.values() for o in opts if o.secret})


VARIANTS = tuple(v for p, opts in INSTALLED.items() for v in _variants(p, opts))

if TYPE_CHECKING:
    ConnectionBody = ConnectionIn
    SecretName = str
else:
    # A secret some installed platform takes (which one is checked on the
    # connection's own platform).
    SecretName = Literal[tuple(SECRET_NAMES)]
    from typing import Union

    ConnectionBody = Annotated[
        Union[VARIANTS],  # noqa: UP007 - built from a tuple of models
        Discriminator(
            _shape,
            custom_error_type="unknown_platform",
            custom_error_message="platform is not one of " + ", ".join(PLATFORMS),
        ),
    ]
