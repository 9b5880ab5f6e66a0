"""Where a `graph-batch login` is remembered, and how it is saved, read and forgotten.

The state directory (0700) holds `login.json` (0600): azure-identity's `AuthenticationRecord`
(who signed in, where; no secret) plus the settings later silent runs need. The refresh token
itself lives in azure-identity's persistent token cache, encrypted where the platform allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from batch.errors import AuthError, UsageError
from batch.files.private import write_private

STATE_DIR_ENV = "GRAPH_BATCH_STATE_DIR"
LOGIN_FILE = "login.json"
DIR_MODE = 0o700
FILE_MODE = 0o600


class LoginState(BaseModel):
    """What `graph-batch login` saved: enough for a later run to refresh silently."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    record: str
    """`AuthenticationRecord.serialize()`: account, tenant, client id and authority."""
    cloud: str
    cache_name: str
    allow_unencrypted: bool


def state_dir_from(env: Mapping[str, str]) -> Path:
    """`$GRAPH_BATCH_STATE_DIR`, else `$XDG_STATE_HOME/graph-batch`, else `~/.local/state/...`.

    UsageError (exit 2) when none is set and there is no home directory to be found.
    """
    if explicit := env.get(STATE_DIR_ENV):
        return Path(explicit).expanduser()
    if xdg := env.get("XDG_STATE_HOME"):
        return Path(xdg) / "graph-batch"
    try:
        home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    except RuntimeError as exc:  # no HOME, and no user database to find one in
        raise UsageError(
            "no home directory to keep graph-batch's state (login, job locks) in: set "
            + STATE_DIR_ENV
        ) from exc
    return home / ".local" / "state" / "graph-batch"


def login_path(state_dir: Path) -> Path:
    """The file holding the saved login."""
    return state_dir / LOGIN_FILE


def save_login(state_dir: Path, state: LoginState) -> Path:
    """Write `state` atomically, readable only by the user; returns the file written."""
    state_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    state_dir.chmod(DIR_MODE)
    target = login_path(state_dir)
    write_private(target, state.model_dump_json(indent=2))
    return target


def load_login(state_dir: Path) -> LoginState | None:
    """The saved login, None when there is none; AuthError when it cannot be used."""
    path = login_path(state_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AuthError(f"cannot read the saved login {path}: {exc.strerror}") from exc
    try:
        return LoginState.model_validate_json(text)
    except ValidationError as exc:
        raise AuthError(
            f"the saved login {path} is damaged; run `graph-batch login` again"
        ) from exc


def remove_login(state_dir: Path) -> Path | None:
    """Delete the saved login; returns the file removed, or None when there was none."""
    path = login_path(state_dir)
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    return path
