"""Sovereign clouds: which Graph host and which sign-in authority each one uses.

A frozen table rather than free-form URLs, so a typo cannot send a token to the wrong host and
the authority is always https (azure-identity refuses anything else, and so do we, earlier).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urlsplit

from batch.auth.choices import CLOUD_ENDPOINTS, DEFAULT_CLOUD
from batch.errors import UsageError


@dataclass(frozen=True)
class Cloud:
    """One Azure cloud: its Graph root (no API version) and its Entra ID authority."""

    name: str
    graph_base_url: str
    authority: str

    def __post_init__(self) -> None:
        for url in (self.graph_base_url, self.authority):
            if urlsplit(url).scheme != "https":
                raise ValueError(f"cloud {self.name}: {url} must be an https URL")

    @property
    def scope(self) -> str:
        """The `.default` scope asking for every Graph permission the app was granted."""
        return f"{self.graph_base_url}/.default"


CLOUDS: MappingProxyType[str, Cloud] = MappingProxyType(
    {name: Cloud(name, *endpoints) for name, endpoints in CLOUD_ENDPOINTS.items()}
)
"""Every cloud `--cloud` accepts, by name."""


def cloud_for(name: str | None) -> Cloud:
    """The cloud called `name` (None means public); UsageError naming the valid choices."""
    try:
        return CLOUDS[name or DEFAULT_CLOUD]
    except KeyError:
        choices = ", ".join(CLOUDS)
        raise UsageError(f"unknown cloud {name!r}; choose one of: {choices}") from None


def graph_base_url_for(cloud: str | None) -> str:
    """Graph root URL of `cloud` (e.g. `https://graph.microsoft.com`), for the runner's default."""
    return cloud_for(cloud).graph_base_url
