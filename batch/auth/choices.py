"""The sign-in choices the command line offers, kept free of azure-identity and pydantic.

Argument parsing needs these names for `--auth` and `login`'s help; importing the credential
machinery for that would make `graph-batch --help` take half a second.
"""

from __future__ import annotations

from typing import Literal, get_args

AuthMode = Literal[
    "auto",
    "token",
    "azure-cli",
    "device-code",
    "client-secret",
    "certificate",
    "workload-identity",
    "managed-identity",
    "default",
]
"""Where the Graph token comes from (`--auth`, `GRAPH_BATCH_AUTH`, `settings: auth:`)."""

AUTH_MODES: tuple[str, ...] = get_args(AuthMode)

CLOUD_ENDPOINTS: dict[str, tuple[str, str]] = {
    "public": ("https://graph.microsoft.com", "https://login.microsoftonline.com"),
    "usgov": ("https://graph.microsoft.us", "https://login.microsoftonline.us"),
    "usgov-dod": ("https://dod-graph.microsoft.us", "https://login.microsoftonline.us"),
    "china": ("https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
}
"""Every cloud `--cloud` accepts: its Graph root (no API version) and its Entra ID authority.
`batch.auth.clouds` makes each a checked `Cloud`."""
DEFAULT_CLOUD = "public"

GRAPH_CLI_CLIENT_ID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
"""Microsoft Graph Command Line Tools: a public client most tenants already know."""
DEFAULT_TENANT = "organizations"
"""The authority segment that lets any work or school account sign in."""
