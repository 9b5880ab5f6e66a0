"""build_token_source: each --auth mode wires the right azure-identity credential."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from azure.identity.aio import (
    AzureCliCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
)

from batch.auth.choices import AuthMode
from batch.auth.clouds import CLOUDS, cloud_for, graph_base_url_for
from batch.auth.credential_source import CredentialTokenSource
from batch.auth.factory import build_token_source, credential_spec, resolve_auto_mode
from batch.auth.login_state import LoginState, save_login
from batch.auth.static_source import StaticTokenSource, read_token_file
from batch.errors import AuthError, UsageError
from tests.auth_fakes import RECORD, FakeDeviceCodeCredential, make_jwt

APP_ENV = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c"}
US = cloud_for("usgov")


@pytest.mark.parametrize(
    ("mode", "env", "cls", "kwargs", "kind"),
    [
        ("azure-cli", {}, AzureCliCredential, {}, "delegated"),
        (
            "azure-cli",
            {"AZURE_TENANT_ID": "t"},
            AzureCliCredential,
            {"tenant_id": "t"},
            "delegated",
        ),
        (
            "client-secret",
            {**APP_ENV, "AZURE_CLIENT_SECRET": "s"},
            ClientSecretCredential,
            {"tenant_id": "t", "client_id": "c", "client_secret": "s", "authority": US.authority},
            "app-only",
        ),
        (
            "workload-identity",
            {**APP_ENV, "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token"},
            WorkloadIdentityCredential,
            {
                "tenant_id": "t",
                "client_id": "c",
                "token_file_path": "/var/run/token",
                "authority": US.authority,
            },
            "app-only",
        ),
        ("managed-identity", {}, ManagedIdentityCredential, {}, "app-only"),
        (
            "managed-identity",
            {"AZURE_CLIENT_ID": "u"},
            ManagedIdentityCredential,
            {"client_id": "u"},
            "app-only",
        ),
        ("default", {}, DefaultAzureCredential, {"authority": US.authority}, "unknown"),
    ],
)
async def test_mode_wiring(
    mode: str, env: dict[str, str], cls: type, kwargs: dict[str, str], kind: str
) -> None:
    """Each mode picks its credential class and arguments; the real object builds offline."""
    spec = credential_spec(mode, cloud=US, env=env)
    assert (spec.make, dict(spec.kwargs), spec.kind) == (cls, kwargs, kind)
    credential = spec.build()
    assert isinstance(credential, cls)
    await credential.close()


def test_certificate_wiring_and_unreadable_certificate() -> None:
    """certificate passes path and password; a missing file is an AuthError, not a traceback."""
    env = {
        **APP_ENV,
        "AZURE_CLIENT_CERTIFICATE_PATH": "/nope.pem",
        "AZURE_CLIENT_CERTIFICATE_PASSWORD": "pw",
    }
    spec = credential_spec("certificate", cloud=US, env=env)
    assert spec.kwargs["certificate_path"] == "/nope.pem"
    assert spec.kwargs["password"] == "pw"
    assert "pw" not in repr(spec)
    with pytest.raises(AuthError, match="--auth certificate"):
        spec.build()


@pytest.mark.parametrize(
    ("mode", "env", "missing"),
    [
        ("client-secret", {}, "AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET"),
        ("client-secret", APP_ENV, "AZURE_CLIENT_SECRET"),
        ("certificate", {"AZURE_TENANT_ID": "t"}, "AZURE_CLIENT_ID, AZURE_CLIENT_CERTIFICATE_PATH"),
        ("workload-identity", APP_ENV, "AZURE_FEDERATED_TOKEN_FILE"),
    ],
)
def test_missing_variables_are_named(mode: str, env: dict[str, str], missing: str) -> None:
    """A missing variable is reported by name before anything is sent."""
    with pytest.raises(AuthError, match=f"variable\\(s\\) {missing}$"):
        credential_spec(mode, cloud=US, env=env)


@pytest.mark.parametrize(
    ("env", "token_file", "logged_in", "mode"),
    [
        ({"GRAPH_ACCESS_TOKEN": "x"}, None, True, "token"),
        ({}, Path("t"), True, "token"),
        ({"GRAPH_ACCESS_TOKEN": ""}, None, False, "token"),  # set but empty: say so
        ({}, None, True, "device-code"),
        ({}, None, False, "default"),
    ],
)
def test_auto_mode_selection(
    tmp_path: Path, env: dict[str, str], token_file: Path | None, logged_in: bool, mode: str
) -> None:
    """auto: a handed-in token, else the saved login, else DefaultAzureCredential."""
    if logged_in:
        save_login(
            tmp_path,
            LoginState(
                record=RECORD.serialize(),
                cloud="public",
                cache_name="graph-batch",
                allow_unencrypted=False,
            ),
        )
    assert resolve_auto_mode(env, token_file=token_file, state_dir=tmp_path) == mode


def test_clouds_table() -> None:
    """Every cloud is https, has a .default scope, and unknown names are usage errors."""
    assert graph_base_url_for(None) == "https://graph.microsoft.com"
    assert cloud_for("china").scope == "https://microsoftgraph.chinacloudapi.cn/.default"
    for cloud in CLOUDS.values():
        assert cloud.authority.startswith("https://")
    with pytest.raises(UsageError, match="public, usgov, usgov-dod, china"):
        cloud_for("mars")


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "does not exist"), ("", "is empty"), ("  \n", "is empty"), ("a b", "single token")],
)
def test_token_file_problems(tmp_path: Path, content: str | None, problem: str) -> None:
    """Missing, empty or multi-word token files are AuthErrors that never echo the content."""
    path = tmp_path / "token"
    if content is not None:
        path.write_text(content)
    with pytest.raises(AuthError, match=problem):
        read_token_file(path)


def test_token_file_whitespace_and_bearer_prefix_stripped(tmp_path: Path) -> None:
    """A trailing newline (as `az ... -o tsv` writes) and a `Bearer ` prefix are removed."""
    path = tmp_path / "token"
    path.write_text("Bearer abc.def\n")
    assert read_token_file(path) == "abc.def"


async def test_token_mode_from_env_and_file(tmp_path: Path) -> None:
    """--token-file wins over GRAPH_ACCESS_TOKEN; a refresh returns the same token."""
    path = tmp_path / "token"
    path.write_text("from-file\n")
    source = build_token_source(
        "token",
        token_file=path,
        cloud=None,
        env={"GRAPH_ACCESS_TOKEN": "from-env"},
        state_dir=tmp_path,
    )
    assert (await source.get_token(force_refresh=True)).token == "from-file"
    source = build_token_source(
        "auto",
        token_file=None,
        cloud=None,
        env={"GRAPH_ACCESS_TOKEN": " from-env "},
        state_dir=tmp_path,
    )
    assert isinstance(source, StaticTokenSource)
    assert (await source.get_token()).token == "from-env"
    assert "GRAPH_ACCESS_TOKEN was refused or has expired; fetch a new one" in (
        source.refused_message
    )


@pytest.mark.parametrize(
    ("exp", "warned"),
    [(1_000, True), (2_000, False), (None, False)],
)
async def test_static_token_warns_once_when_expiring_before_run_end(
    exp: int | None, warned: bool
) -> None:
    """A JWT whose exp falls before the estimated end warns once; opaque tokens never."""
    token = make_jwt(scp="x", exp=exp) if exp is not None else "opaque"
    warnings: list[str] = []
    source = StaticTokenSource(
        token,
        source="GRAPH_ACCESS_TOKEN",
        run_ends_at=datetime.fromtimestamp(1_500, UTC),
        warn=warnings.append,
    )
    await source.get_token()
    await source.get_token(force_refresh=True)
    assert len(warnings) == (1 if warned else 0)
    assert all(token not in warning for warning in warnings)


async def test_device_code_mode_uses_saved_login_silently(tmp_path: Path) -> None:
    """--auth device-code builds a non-prompting credential from the saved record."""
    FakeDeviceCodeCredential.instances.clear()
    save_login(
        tmp_path,
        LoginState(
            record=RECORD.serialize(),
            cloud="public",
            cache_name="graph-batch",
            allow_unencrypted=True,
        ),
    )
    source = build_token_source(
        "auto",
        token_file=None,
        cloud=None,
        env={},
        state_dir=tmp_path,
        device_code_credential=FakeDeviceCodeCredential,
    )
    assert isinstance(source, CredentialTokenSource)
    token = await source.get_token()
    assert token.kind == "delegated"
    kwargs = FakeDeviceCodeCredential.instances[0].kwargs
    assert kwargs["disable_automatic_authentication"] is True
    assert kwargs["authentication_record"].home_account_id == RECORD.home_account_id
    assert kwargs["cache_persistence_options"].allow_unencrypted_storage is True
    assert kwargs["cache_persistence_options"].name == "graph-batch"
    await source.close()
    with pytest.raises(AuthError, match="login --cloud china"):
        build_token_source(
            "device-code",
            token_file=None,
            cloud="china",
            env={},
            state_dir=tmp_path,
            device_code_credential=FakeDeviceCodeCredential,
        )


@pytest.mark.parametrize("mode", ["device-code", "token"])
def test_mode_without_its_credential_is_auth_error(tmp_path: Path, mode: AuthMode) -> None:
    """No saved login / no token: AuthError saying what to do."""
    with pytest.raises(AuthError, match=r"graph-batch login|GRAPH_ACCESS_TOKEN or --token-file"):
        build_token_source(mode, token_file=None, cloud=None, env={}, state_dir=tmp_path)


def test_token_file_with_other_mode_is_rejected(tmp_path: Path) -> None:
    """--token-file with a credential mode is a contradiction, not silently ignored."""
    with pytest.raises(AuthError, match="--token-file only works with --auth token"):
        build_token_source(
            "azure-cli", token_file=tmp_path / "t", cloud=None, env={}, state_dir=tmp_path
        )
