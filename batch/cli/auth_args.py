"""The shared auth flags (`--auth`, `--token-file`, `--cloud`) and the one way to resolve them.

Precedence: flag, then `GRAPH_BATCH_AUTH` / `GRAPH_BATCH_CLOUD`, then the manifest's `settings:`,
then `auto` / the public cloud. `run`, `plan` and `whoami` all call these two functions.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, cast

from batch.auth.choices import AUTH_MODES, CLOUD_ENDPOINTS, AuthMode
from batch.errors import UsageError

if TYPE_CHECKING:
    from datetime import datetime

    from batch.auth.base import TokenSource
    from batch.settings import ManifestSettings

AUTH_ENV = "GRAPH_BATCH_AUTH"
CLOUD_ENV = "GRAPH_BATCH_CLOUD"


def add_cloud_argument(parser: argparse._ActionsContainer) -> None:
    """Add `--cloud` (shared by the auth flags and `login`)."""
    parser.add_argument(
        "--cloud",
        choices=tuple(CLOUD_ENDPOINTS),
        help=f"national cloud (default: public; env {CLOUD_ENV}); sets the sign-in authority "
        "and the Graph host",
    )


def add_auth_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `--auth`, `--token-file` and `--cloud` to a subcommand's parser."""
    group = parser.add_argument_group("authentication (see docs/auth.md)")
    group.add_argument(
        "--auth",
        choices=AUTH_MODES,
        metavar="MODE",
        help=f"where the Graph token comes from: {', '.join(AUTH_MODES)} "
        f"(default: auto; env {AUTH_ENV})",
    )
    group.add_argument(
        "--token-file",
        type=Path,
        metavar="PATH",
        help="read a bearer token from PATH (implies --auth token when --auth is auto)",
    )
    add_cloud_argument(group)


def resolve_auth_mode(
    flag: str | None, env: Mapping[str, str], settings: ManifestSettings | None
) -> AuthMode:
    """Flag, else `GRAPH_BATCH_AUTH`, else `settings: auth:`, else `auto`."""
    mode = flag or env.get(AUTH_ENV) or (settings.auth if settings else None) or "auto"
    if mode not in AUTH_MODES:
        raise UsageError(f"{AUTH_ENV}={mode!r} is not an auth mode; use one of {AUTH_MODES}")
    return cast(AuthMode, mode)


def resolve_cloud(
    flag: str | None, env: Mapping[str, str], settings: ManifestSettings | None
) -> str | None:
    """Flag, else `GRAPH_BATCH_CLOUD`, else `settings: cloud:`; None means "not chosen"."""
    return flag or env.get(CLOUD_ENV) or (settings.cloud if settings else None)


def token_source_from_args(
    args: argparse.Namespace,
    settings: ManifestSettings | None = None,
    *,
    env: Mapping[str, str] | None = None,
    run_ends_at: datetime | None = None,
) -> TokenSource:
    """The TokenSource the parsed auth flags, environment and manifest settings ask for."""
    from batch.auth.factory import build_token_source
    from batch.auth.login_state import state_dir_from

    environ = os.environ if env is None else env
    return build_token_source(
        resolve_auth_mode(args.auth, environ, settings),
        token_file=args.token_file,
        cloud=resolve_cloud(args.cloud, environ, settings),
        env=environ,
        state_dir=state_dir_from(environ),
        run_ends_at=run_ends_at,
    )
