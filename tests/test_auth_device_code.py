"""Device-code login: saved with private permissions, used silently, removed by logout."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from azure.core.exceptions import ClientAuthenticationError

from batch.auth.clouds import cloud_for
from batch.auth.device_code import login as device_login
from batch.auth.device_code import logout
from batch.auth.login_state import load_login, login_path, state_dir_from
from batch.errors import AuthError
from tests.auth_fakes import RECORD, FakeDeviceCodeCredential


def test_login_saves_record_privately(tmp_path: Path) -> None:
    """The record lands in a 0700 dir as a 0600 file, with the cache options used."""
    FakeDeviceCodeCredential.instances.clear()
    state_dir = tmp_path / "state"
    record = device_login(
        state_dir,
        cloud=cloud_for("usgov"),
        tenant="contoso.onmicrosoft.com",
        client_id="app-1",
        make_credential=FakeDeviceCodeCredential,
    )
    assert record.username == RECORD.username
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(login_path(state_dir).stat().st_mode) == 0o600
    saved = load_login(state_dir)
    assert saved is not None
    assert (saved.cloud, saved.allow_unencrypted) == ("usgov", False)
    credential = FakeDeviceCodeCredential.instances[0]
    assert credential.kwargs["authority"] == "https://login.microsoftonline.us"
    assert credential.kwargs["tenant_id"] == "contoso.onmicrosoft.com"
    assert credential.kwargs["client_id"] == "app-1"
    assert credential.kwargs["scopes"] == ["https://graph.microsoft.us/.default"]
    assert credential.kwargs["cache_persistence_options"].allow_unencrypted_storage is False
    assert credential.closed


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            ClientAuthenticationError(
                message="Authentication failed: Cache encryption is "
                "impossible because libsecret ..."
            ),
            "--allow-unencrypted",
        ),
        (ClientAuthenticationError(message="AADSTS50059: no tenant\nmore"), "sign-in failed"),
    ],
)
def test_login_failure_is_one_line_auth_error(
    tmp_path: Path, error: Exception, message: str
) -> None:
    """A failed sign-in saves nothing and says what to do (encryption: --allow-unencrypted)."""

    class Failing(FakeDeviceCodeCredential):
        def authenticate(self, **kwargs: object) -> object:
            raise error

    with pytest.raises(AuthError, match=message) as caught:
        device_login(tmp_path, cloud=cloud_for(None), make_credential=Failing)
    assert "\n" not in caught.value.message
    assert not login_path(tmp_path).exists()


def test_logout_removes_record_and_file_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """logout deletes the record and the unencrypted cache files; a second logout is a no-op."""
    monkeypatch.setenv("HOME", str(tmp_path))
    state_dir = tmp_path / "state"
    device_login(
        state_dir,
        cloud=cloud_for(None),
        allow_unencrypted=True,
        make_credential=FakeDeviceCodeCredential,
    )
    cache_dir = tmp_path / ".IdentityService"
    cache_dir.mkdir()
    (cache_dir / "graph-batch.nocae").write_text('{"RefreshToken": {}}')
    (cache_dir / "unrelated.nocae").write_text("{}")
    removed = logout(state_dir)
    assert set(removed) == {cache_dir / "graph-batch.nocae", login_path(state_dir)}
    assert (cache_dir / "unrelated.nocae").exists()
    assert logout(state_dir) == []


def test_damaged_login_is_auth_error_and_logout_still_works(tmp_path: Path) -> None:
    """A corrupt login.json asks for a new login; logout removes it anyway."""
    tmp_path.joinpath("login.json").write_text("{not json")
    with pytest.raises(AuthError, match="graph-batch login"):
        load_login(tmp_path)
    assert logout(tmp_path) == [login_path(tmp_path)]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GRAPH_BATCH_STATE_DIR": "/srv/gb", "XDG_STATE_HOME": "/x"}, "/srv/gb"),
        ({"XDG_STATE_HOME": "/x", "HOME": "/home/a"}, "/x/graph-batch"),
        ({"HOME": "/home/a"}, "/home/a/.local/state/graph-batch"),
    ],
)
def test_state_dir_resolution(env: dict[str, str], expected: str) -> None:
    """GRAPH_BATCH_STATE_DIR, then XDG_STATE_HOME, then ~/.local/state."""
    assert state_dir_from(env) == Path(expected)
