"""`GraphSettings` and the one resolver every command's settings are built with.

Where requests go, how fast, and how diagnostics look: what `run` and `plan` share. Each
setting comes from the first source that has it: command-line flag, then `GRAPH_BATCH_*`
environment variable, then the manifest's `settings:` block, then the default. A bad value is
a `UsageError` naming exactly where it came from, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    field_validator,
    model_validator,
)

from batch.errors import UsageError
from batch.loopback import is_loopback
from batch.settings import (
    API_VERSIONS,
    GRAPH_READ_LIMIT,
    GRAPH_WRITE_LIMIT,
    SETTING_NAMES,
    ApiVersion,
    LogFormat,
    ManifestSettings,
    RateLimit,
    rate_limit,
)

DEFAULT_BASE_URL = "https://graph.microsoft.com"
ENV_PREFIX = "GRAPH_BATCH_"

Limit = Annotated[RateLimit, PlainValidator(rate_limit), PlainSerializer(str)]
"""A `RateLimit` field of a pydantic model: read from `15/30s` (`batch.settings.rate_limit`),
written back as that text."""


def check_base_url(url: str) -> str:
    """The base URL without a trailing slash; plain http only to a loopback host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValueError(f"expected an https:// URL, got {url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"the base URL must not have a query or fragment: {url!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(
            f"refusing plain http to {parts.hostname}: tokens would travel unencrypted "
            "(plain-http base URLs are allowed only to localhost/127.0.0.1/::1)"
        )
    return url.strip().rstrip("/")


class GraphSettings(BaseModel):
    """Where requests go, how fast, and how diagnostics look: what `run` and `plan` share."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = DEFAULT_BASE_URL
    api_version: ApiVersion = "v1.0"
    write_limit: Limit = GRAPH_WRITE_LIMIT
    read_limit: Limit = GRAPH_READ_LIMIT
    log_format: LogFormat = "console"

    @model_validator(mode="before")
    @classmethod
    def _api_root_as_base_url(cls, data: Any) -> Any:
        """Accept an API root (`.../v1.0`, `.../beta`) as the base URL: people paste those."""
        if not isinstance(data, dict) or not isinstance(data.get("base_url"), str):
            return data
        base, _, version = data["base_url"].strip().rstrip("/").rpartition("/")
        if version not in API_VERSIONS or "://" not in base or base.endswith("/"):
            return data
        if data.get("api_version", version) != version:
            raise ValueError(
                f"the base URL ends in /{version} but the API version is {data['api_version']}; "
                "give the base URL without the version"
            )
        return {**data, "base_url": base, "api_version": version}

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_base_url(value)

    @property
    def api_root(self) -> str:
        """`{base_url}/{api_version}`: what request paths are relative to."""
        return f"{self.base_url}/{self.api_version}"


SettingsT = TypeVar("SettingsT", bound=GraphSettings)


def env_var(name: str) -> str:
    """The environment variable for setting `name`, e.g. `GRAPH_BATCH_CONCURRENCY`."""
    return ENV_PREFIX + name.upper()


def resolve_model(
    model: type[SettingsT],
    cli: Mapping[str, object | None],
    env: Mapping[str, str],
    manifest: ManifestSettings | None = None,
    *,
    default_base_url: str | None = None,
) -> SettingsT:
    """`model` built from CLI > env > manifest > default, reading only `model`'s own fields."""
    chosen: dict[str, Any] = {"base_url": default_base_url} if default_base_url else {}
    origin: dict[str, str] = {}
    for name in model.model_fields:
        if cli.get(name) is not None:
            chosen[name], origin[name] = cli[name], "--" + name.replace("_", "-")
        elif env.get(env_var(name)):
            chosen[name], origin[name] = env[env_var(name)], env_var(name)
        elif manifest is not None and name in SETTING_NAMES:
            value = getattr(manifest, name)
            if value is not None:
                chosen[name], origin[name] = value, f"settings.{name} in the manifest"
    try:
        return model(**chosen)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else ""
        where = origin.get(name, name)
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] != "value_error" and name in chosen:
            message += f" (got {chosen[name]!r})"
        raise UsageError(f"{where}: {message}") from exc
