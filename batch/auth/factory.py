"""One place that turns `--auth MODE` (+ cloud and environment) into a TokenSource.

Each mode maps to one azure-identity credential built from explicit arguments (never from
whatever the process environment happens to hold), so tests can check the wiring and a missing
variable is reported by name before anything is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from azure.identity.aio import (
    AzureCliCredential,
    CertificateCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
)

from batch.auth.base import TokenKind, TokenSource
from batch.auth.choices import AUTH_MODES, AuthMode
from batch.auth.clouds import Cloud, cloud_for
from batch.auth.credential_source import (
    AsyncCredential,
    CredentialTokenSource,
    ThreadedCredential,
    one_line,
)
from batch.auth.device_code import LOGIN_HINT, CredentialMaker, silent_credential
from batch.auth.login_state import load_login, login_path
from batch.auth.static_source import TOKEN_ENV, StaticTokenSource, clean_token, read_token_file
from batch.errors import AuthError

# azure-identity logs each failed attempt as a WARNING; with no handler configured Python would
# print it to stderr next to our own one-line error. The AuthError already says what failed.
logging.getLogger("azure").addHandler(logging.NullHandler())
_APP_SETTINGS = "check AZURE_TENANT_ID, AZURE_CLIENT_ID and the app's credential"


@runtime_checkable
class ExplainsRefusal(Protocol):
    """A token source that knows what to tell the user when Graph refuses its token."""

    @property
    def refused_message(self) -> str:
        """One line: what was refused and what to do."""
        ...


def token_refused_error(source: TokenSource) -> AuthError:
    """The AuthError the runner raises when Graph refuses a token even after a refresh."""
    if isinstance(source, ExplainsRefusal):
        return AuthError(source.refused_message)
    return AuthError("Graph refused the access token even after a refresh")


@dataclass(frozen=True)
class CredentialSpec:
    """Which azure-identity credential a mode uses, and with which arguments."""

    mode: str
    make: Callable[..., AsyncCredential]
    kwargs: Mapping[str, Any] = field(repr=False)  # may hold a client secret
    kind: TokenKind
    hint: str

    def build(self) -> AsyncCredential:
        """Construct the credential (offline); AuthError when its configuration is unusable."""
        try:
            return self.make(**self.kwargs)
        except (ValueError, OSError, TypeError) as exc:
            raise AuthError(f"--auth {self.mode}: {one_line(str(exc))} — {self.hint}") from exc


_APP_IDS = {"tenant_id": "AZURE_TENANT_ID", "client_id": "AZURE_CLIENT_ID"}
_APP_REGISTRATION: dict[
    str, tuple[Callable[..., AsyncCredential], dict[str, str], dict[str, str], str]
] = {
    # mode: (credential, required argument -> variable, optional ones, hint on failure)
    "client-secret": (
        ClientSecretCredential,
        _APP_IDS | {"client_secret": "AZURE_CLIENT_SECRET"},
        {},
        _APP_SETTINGS,
    ),
    "certificate": (
        CertificateCredential,
        _APP_IDS | {"certificate_path": "AZURE_CLIENT_CERTIFICATE_PATH"},
        {"password": "AZURE_CLIENT_CERTIFICATE_PASSWORD"},
        _APP_SETTINGS,
    ),
    "workload-identity": (
        WorkloadIdentityCredential,
        _APP_IDS | {"token_file_path": "AZURE_FEDERATED_TOKEN_FILE"},
        {},
        "check the app's federated credential and AZURE_FEDERATED_TOKEN_FILE",
    ),
}
"""The app-only modes built from an app registration's standard AZURE_* variables."""


def _require(env: Mapping[str, str], mode: str, *names: str) -> list[str]:
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise AuthError(f"--auth {mode} needs the environment variable(s) {', '.join(missing)}")
    return [env[name] for name in names]


def credential_spec(mode: str, *, cloud: Cloud, env: Mapping[str, str]) -> CredentialSpec:
    """The credential for one of the azure-identity modes (not token, device-code or auto)."""
    authority = cloud.authority
    if mode == "azure-cli":
        cli_args = {"tenant_id": env["AZURE_TENANT_ID"]} if env.get("AZURE_TENANT_ID") else {}
        hint = "run `az login` (and `az cloud set` for a national cloud)"
        return CredentialSpec(mode, AzureCliCredential, cli_args, "delegated", hint)
    if mode in _APP_REGISTRATION:
        make, variables, optional, hint = _APP_REGISTRATION[mode]
        values = _require(env, mode, *variables.values())
        kwargs = dict(zip(variables, values, strict=True))
        kwargs |= {arg: env[name] for arg, name in optional.items() if env.get(name)}
        return CredentialSpec(mode, make, {**kwargs, "authority": authority}, "app-only", hint)
    if mode == "managed-identity":
        mi_args = {"client_id": env["AZURE_CLIENT_ID"]} if env.get("AZURE_CLIENT_ID") else {}
        return CredentialSpec(
            mode,
            ManagedIdentityCredential,
            mi_args,
            "app-only",
            "run on an Azure host with a managed identity (AZURE_CLIENT_ID: a user-assigned one)",
        )
    if mode == "default":
        return CredentialSpec(
            mode,
            DefaultAzureCredential,
            {"authority": authority},
            "unknown",
            f"sign in with `az login` or `graph-batch login`, or set {TOKEN_ENV} "
            "(see docs/auth.md)",
        )
    raise AuthError(f"unknown auth mode {mode!r}; choose one of: {', '.join(AUTH_MODES)}")


def resolve_auto_mode(env: Mapping[str, str], *, token_file: Path | None, state_dir: Path) -> str:
    """`auto`: a handed-in token, else the saved `graph-batch login`, else `default`."""
    if token_file is not None or TOKEN_ENV in env:
        return "token"
    if login_path(state_dir).exists():
        return "device-code"
    return "default"


def _static_source(
    env: Mapping[str, str], token_file: Path | None, run_ends_at: datetime | None
) -> StaticTokenSource:
    if token_file is not None:
        token, source = read_token_file(token_file), f"token file {token_file}"
    elif TOKEN_ENV in env:
        token, source = clean_token(env[TOKEN_ENV], origin=TOKEN_ENV), TOKEN_ENV
    else:
        raise AuthError(f"--auth token needs {TOKEN_ENV} or --token-file")
    return StaticTokenSource(token, source=source, run_ends_at=run_ends_at)


def _device_code_source(
    state_dir: Path, cloud_name: str | None, make_credential: CredentialMaker
) -> CredentialTokenSource:
    state = load_login(state_dir)
    if state is None:
        raise AuthError(f"no saved sign-in in {state_dir}; {LOGIN_HINT} first")
    if cloud_name is not None and cloud_name != state.cloud:
        raise AuthError(
            f"the saved sign-in is for the {state.cloud} cloud, not {cloud_name}; "
            f"run `graph-batch login --cloud {cloud_name}`"
        )
    credential = ThreadedCredential(silent_credential(state, make_credential=make_credential))
    return CredentialTokenSource(
        credential,
        scope=cloud_for(state.cloud).scope,
        source="the saved device-code sign-in",
        hint=LOGIN_HINT,
        kind="delegated",
    )


def build_token_source(
    mode: AuthMode,
    *,
    token_file: Path | None,
    cloud: str | None,
    env: Mapping[str, str],
    state_dir: Path,
    run_ends_at: datetime | None = None,
    device_code_credential: CredentialMaker | None = None,
) -> TokenSource:
    """The TokenSource for `mode` (see docs/auth.md); AuthError when it cannot be set up."""
    resolved = (
        resolve_auto_mode(env, token_file=token_file, state_dir=state_dir)
        if (mode == "auto")
        else mode
    )
    if resolved == "token":
        return _static_source(env, token_file, run_ends_at)
    if token_file is not None:
        raise AuthError(f"--token-file only works with --auth token (not {resolved})")
    if resolved == "device-code":
        if device_code_credential is None:
            from azure.identity import DeviceCodeCredential  # noqa: PLC0415 - only this mode

            device_code_credential = DeviceCodeCredential
        return _device_code_source(state_dir, cloud, device_code_credential)
    target = cloud_for(cloud)
    spec = credential_spec(resolved, cloud=target, env=env)
    source = f"--auth {resolved}"
    if mode == "auto":
        source = (
            f"auto sign-in (no {TOKEN_ENV} or --token-file, no saved `graph-batch login`, "
            "so azure-identity's default chain)"
        )
    return CredentialTokenSource(
        spec.build(),
        scope=target.scope,
        source=source,
        hint=spec.hint,
        kind=spec.kind,
    )
