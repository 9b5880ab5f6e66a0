"""whoami/logout CLI: shows identity never the token; no credential means exit 3, one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batch.cli import main
from batch.cli.auth_args import resolve_auth_mode, resolve_cloud
from batch.errors import UsageError
from batch.settings import ManifestSettings
from tests.auth_fakes import make_jwt

TOKEN = make_jwt(
    scp="VirtualEvent.ReadWrite User.Read",
    upn="organizer@contoso.com",
    tid="tenant-1",
    exp=4_000_000_000,
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ambient credentials or saved login leak into these tests."""
    for name in (
        "GRAPH_ACCESS_TOKEN",
        "GRAPH_BATCH_AUTH",
        "GRAPH_BATCH_CLOUD",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRAPH_BATCH_STATE_DIR", str(tmp_path / "state"))


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_whoami_shows_identity_not_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """whoami --auth token prints kind, identity, scopes and expiry, never the token."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", TOKEN)
    assert main(["whoami", "--auth", "token", "--format", fmt]) == 0
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    assert TOKEN.split(".")[1] not in out + err
    for expected in ("delegated", "organizer@contoso.com", "VirtualEvent.ReadWrite", "2096"):
        assert expected in out
    if fmt == "json":
        assert json.loads(out)["tenant"] == "tenant-1"


def test_whoami_token_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--token-file under auto mode reads the file."""
    path = tmp_path / "tok"
    path.write_text(TOKEN + "\n")
    assert main(["whoami", "--token-file", str(path)]) == 0
    assert "organizer@contoso.com" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["whoami", "--auth", "device-code"], "run `graph-batch login` first"),
        (["whoami", "--auth", "client-secret"], "AZURE_TENANT_ID, AZURE_CLIENT_ID"),
        (["whoami", "--auth", "token"], "GRAPH_ACCESS_TOKEN or --token-file"),
        (["whoami", "--token-file", "/nonexistent/tok"], "does not exist"),
    ],
)
def test_whoami_without_credential_exits_3_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """No usable credential: exit 3, exactly one stderr line, no traceback."""
    assert main(argv) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("graph-batch: ")
    assert message in err
    assert "Traceback" not in err


def test_logout_without_login(capsys: pytest.CaptureFixture[str]) -> None:
    """logout with nothing saved succeeds and says so."""
    assert main(["logout"]) == 0
    assert capsys.readouterr().out == "No saved sign-in.\n"


@pytest.mark.parametrize(
    ("flag", "env", "setting", "expected"),
    [
        ("token", {"GRAPH_BATCH_AUTH": "default"}, "azure-cli", "token"),
        (None, {"GRAPH_BATCH_AUTH": "default"}, "azure-cli", "default"),
        (None, {}, "azure-cli", "azure-cli"),
        (None, {}, None, "auto"),
    ],
)
def test_auth_mode_precedence(
    flag: str | None, env: dict[str, str], setting: str | None, expected: str
) -> None:
    """Flag, then GRAPH_BATCH_AUTH, then the manifest's settings, then auto."""
    settings = ManifestSettings.from_mapping({"auth": setting})
    assert resolve_auth_mode(flag, env, settings) == expected


def test_bad_auth_env_is_usage_error() -> None:
    """A misspelt GRAPH_BATCH_AUTH is a usage error naming the valid modes."""
    with pytest.raises(UsageError, match="device-code"):
        resolve_auth_mode(None, {"GRAPH_BATCH_AUTH": "devicecode"}, None)


def test_cloud_precedence() -> None:
    """--cloud, then GRAPH_BATCH_CLOUD, then settings; None when unset."""
    settings = ManifestSettings(cloud="china")
    assert resolve_cloud("usgov", {"GRAPH_BATCH_CLOUD": "public"}, settings) == "usgov"
    assert resolve_cloud(None, {"GRAPH_BATCH_CLOUD": "public"}, settings) == "public"
    assert resolve_cloud(None, {}, settings) == "china"
    assert resolve_cloud(None, {}, None) is None
