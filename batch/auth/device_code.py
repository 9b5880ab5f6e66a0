"""Device-code sign-in: `graph-batch login` once, then silent refresh in every later run.

Cron jobs cannot answer a prompt, so later runs build the credential with the saved
`AuthenticationRecord` and `disable_automatic_authentication=True`: they refresh from the
persistent cache or fail with a one-line "run `graph-batch login`" (exit 3), never hang.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from azure.core.exceptions import ClientAuthenticationError
from azure.identity import AuthenticationRecord, DeviceCodeCredential, TokenCachePersistenceOptions

# azure-identity has no public "sign out": this is its own function locating (and on Linux
# choosing libsecret or a file for) the persistent cache, so logout wipes exactly that store.
from azure.identity._persistent_cache import _get_persistence

from batch.auth.choices import DEFAULT_TENANT, GRAPH_CLI_CLIENT_ID
from batch.auth.clouds import Cloud
from batch.auth.credential_source import SyncCredential, one_line
from batch.auth.login_state import LoginState, load_login, remove_login, save_login
from batch.errors import AuthError

CACHE_NAME = "graph-batch"
LOGIN_HINT = "run `graph-batch login`"
_CACHE_SUFFIXES = (".nocae", ".cae")
_NO_ENCRYPTION = "Cache encryption is impossible"


class InteractiveCredential(SyncCredential, Protocol):
    """A sync credential that can sign a user in and say who it was."""

    def authenticate(self, *, scopes: list[str] | None = None, **kwargs: Any) -> Any:
        """Prompt the user; returns the `AuthenticationRecord`."""
        ...


CredentialMaker = Callable[..., InteractiveCredential]
"""Builds the credential; `DeviceCodeCredential` outside tests."""


def _prompt_stderr(verification_uri: str, user_code: str, expires_on: datetime) -> None:
    print(
        f"To sign in, open {verification_uri} and enter the code {user_code} "
        f"(valid until {expires_on.astimezone():%H:%M}).",
        file=sys.stderr,
        flush=True,
    )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    current: BaseException | None = exc
    while current is not None:
        yield current
        current = current.__cause__


def _login_error(exc: Exception) -> AuthError:
    if any(_NO_ENCRYPTION in str(cause) for cause in _causes(exc)):
        return AuthError(
            "the token cache cannot be encrypted here (libsecret/keyring unavailable, e.g. no "
            "desktop session); rerun with `graph-batch login --allow-unencrypted` to keep it in "
            "a file only your user can read"
        )
    return AuthError(f"sign-in failed: {one_line(str(exc))}")


def cache_options(allow_unencrypted: bool) -> TokenCachePersistenceOptions:
    """The persistent cache graph-batch uses, shared by login and later silent runs."""
    return TokenCachePersistenceOptions(
        name=CACHE_NAME, allow_unencrypted_storage=allow_unencrypted
    )


def login(
    state_dir: Path,
    *,
    cloud: Cloud,
    tenant: str = DEFAULT_TENANT,
    client_id: str = GRAPH_CLI_CLIENT_ID,
    allow_unencrypted: bool = False,
    prompt: Callable[[str, str, datetime], None] = _prompt_stderr,
    make_credential: CredentialMaker = DeviceCodeCredential,
) -> AuthenticationRecord:
    """Sign in with a device code, save the record and cache; returns who signed in."""
    credential = make_credential(
        client_id=client_id,
        tenant_id=tenant,
        authority=cloud.authority,
        cache_persistence_options=cache_options(allow_unencrypted),
        prompt_callback=prompt,
    )
    try:
        record: AuthenticationRecord = credential.authenticate(scopes=[cloud.scope])
    except (ClientAuthenticationError, ValueError) as exc:
        raise _login_error(exc) from exc
    finally:
        credential.close()
    save_login(
        state_dir,
        LoginState(
            record=record.serialize(),
            cloud=cloud.name,
            cache_name=CACHE_NAME,
            allow_unencrypted=allow_unencrypted,
        ),
    )
    return record


def silent_credential(
    state: LoginState, *, make_credential: CredentialMaker = DeviceCodeCredential
) -> InteractiveCredential:
    """A credential that refreshes the saved login and never prompts."""
    try:
        record = AuthenticationRecord.deserialize(state.record)
    except (ValueError, KeyError, TypeError) as exc:
        raise AuthError(f"the saved login is damaged; {LOGIN_HINT} again") from exc
    return make_credential(
        client_id=record.client_id,
        tenant_id=record.tenant_id,
        authority=record.authority,
        authentication_record=record,
        disable_automatic_authentication=True,
        cache_persistence_options=cache_options(state.allow_unencrypted),
    )


def _wipe_cache(name: str, allow_unencrypted: bool) -> list[Path]:
    removed: list[Path] = []
    for suffix in _CACHE_SUFFIXES:
        try:
            persistence = _get_persistence(
                allow_unencrypted=allow_unencrypted,
                account_name="MSALCache",
                cache_name=name + suffix,
            )
            location = Path(persistence.get_location())
            if location.exists():
                persistence.save("{}")  # empties a keyring entry, which unlinking would not
        except (ValueError, NotImplementedError, ImportError, OSError):
            continue
        for path in (location, location.with_name(location.name + ".lockfile")):
            if path.exists():
                path.unlink()
                removed.append(path)
    return removed


def logout(state_dir: Path) -> list[Path]:
    """Forget the saved login and empty its token cache; returns the files removed."""
    try:
        state = load_login(state_dir)
    except AuthError:
        state = None  # damaged: still wipe the cache wherever it may be
    removed = _wipe_cache(
        state.cache_name if state else CACHE_NAME, state.allow_unencrypted if state else True
    )
    login_file = remove_login(state_dir)
    return [*removed, login_file] if login_file else removed
