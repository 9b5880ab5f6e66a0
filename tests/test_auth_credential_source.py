"""CredentialTokenSource: lazy, cached, refreshed before expiry, one refresh for many callers."""

from __future__ import annotations

import asyncio

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import AuthenticationRequiredError, CredentialUnavailableError

from batch.auth.credential_source import CredentialTokenSource, ThreadedCredential
from batch.errors import AuthError
from tests.auth_fakes import FakeAsyncCredential, FakeDeviceCodeCredential, make_jwt

SCOPE = "https://graph.microsoft.com/.default"


def source_for(credential: FakeAsyncCredential, **kwargs: object) -> CredentialTokenSource:
    """A source over `credential` whose clock is the fake's `now`."""
    return CredentialTokenSource(
        credential,
        scope=SCOPE,
        source="--auth test",
        hint="do the thing",
        clock=lambda: credential.now,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_token_fetched_lazily_and_cached() -> None:
    """No call until asked; then one call serves every later request while fresh."""
    credential = FakeAsyncCredential()
    source = source_for(credential)
    assert credential.calls == []
    first = await source.get_token()
    second = await source.get_token()
    assert first.token == second.token == "tok-1"
    assert credential.calls == [{"scopes": (SCOPE,), "claims": None}]


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [(0, "tok-1"), (3600 - 301, "tok-1"), (3600 - 300, "tok-2"), (3600 + 10, "tok-2")],
)
async def test_refreshes_five_minutes_before_expiry(elapsed: float, expected: str) -> None:
    """Within the 5-minute margin (or past expiry) a new token is fetched."""
    credential = FakeAsyncCredential()
    source = source_for(credential)
    await source.get_token()
    credential.now += elapsed
    assert (await source.get_token()).token == expected


async def test_concurrent_callers_share_one_refresh() -> None:
    """Fifty callers with an empty cache cause exactly one credential call."""
    credential = FakeAsyncCredential()
    credential.gate = asyncio.Event()
    source = source_for(credential)
    waiting = [asyncio.create_task(source.get_token()) for _ in range(50)]
    await asyncio.sleep(0)
    credential.gate.set()
    tokens = await asyncio.gather(*waiting)
    assert {token.token for token in tokens} == {"tok-1"}
    assert len(credential.calls) == 1


async def test_concurrent_force_refresh_after_401_fetches_once() -> None:
    """Many requests refused at once trigger one refresh, not one each."""
    credential = FakeAsyncCredential()
    source = source_for(credential)
    await source.get_token()
    credential.gate = asyncio.Event()
    waiting = [asyncio.create_task(source.get_token(force_refresh=True)) for _ in range(20)]
    await asyncio.sleep(0)
    credential.gate.set()
    tokens = await asyncio.gather(*waiting)
    assert {token.token for token in tokens} == {"tok-2"}
    assert len(credential.calls) == 2


async def test_force_refresh_fetches_a_new_token() -> None:
    """force_refresh ignores a still-valid cached token."""
    credential = FakeAsyncCredential()
    source = source_for(credential)
    await source.get_token()
    assert (await source.get_token(force_refresh=True)).token == "tok-2"


async def test_claims_are_passed_through() -> None:
    """A CAE challenge's claims reach the credential and bypass the cache."""
    credential = FakeAsyncCredential()
    source = source_for(credential)
    await source.get_token()
    await source.get_token(claims='{"access_token":{"nbf":{"essential":true}}}')
    assert credential.calls[-1]["claims"] == '{"access_token":{"nbf":{"essential":true}}}'
    assert len(credential.calls) == 2


@pytest.mark.parametrize(
    ("raw_claims", "fallback", "kind"),
    [
        ({"scp": "VirtualEvent.ReadWrite"}, "unknown", "delegated"),
        ({"roles": ["VirtualEvent.Read.All"]}, "delegated", "app-only"),
        ({"idtyp": "app"}, "unknown", "app-only"),
        (None, "delegated", "delegated"),
    ],
)
async def test_kind_from_jwt_or_mode(
    raw_claims: dict[str, object] | None, fallback: str, kind: str
) -> None:
    """JWT claims decide the kind; an opaque token keeps the mode's known kind."""

    class JwtCredential(FakeAsyncCredential):
        async def get_token(self, *scopes: str, **kwargs: object) -> object:  # type: ignore[override]
            raw = await super().get_token(*scopes)
            token = make_jwt(**raw_claims) if raw_claims is not None else "opaque"
            return type(raw)(token, raw.expires_on)

    source = source_for(JwtCredential(), kind=fallback)
    assert (await source.get_token()).kind == kind


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationRequiredError(scopes=[SCOPE], message="interaction required"),
        CredentialUnavailableError(message="Azure CLI not found on path"),
        ClientAuthenticationError(message="AADSTS700016: app\nnot found"),
        ValueError("Invalid tenant id"),
    ],
)
async def test_azure_errors_become_one_line_auth_errors(error: Exception) -> None:
    """Every azure-identity failure surfaces as AuthError: one line, source and hint named."""
    source = source_for(FakeAsyncCredential(error=error))
    with pytest.raises(AuthError) as caught:
        await source.get_token()
    assert "\n" not in caught.value.message
    assert caught.value.message.startswith("--auth test could not get a token: ")
    assert caught.value.message.endswith("do the thing")
    assert caught.value.__cause__ is error


async def test_error_message_is_redacted() -> None:
    """A token echoed inside an azure error never reaches the message."""
    jwt = make_jwt(scp="x")
    source = source_for(FakeAsyncCredential(error=ClientAuthenticationError(message=f"bad {jwt}")))
    with pytest.raises(AuthError) as caught:
        await source.get_token()
    assert jwt not in caught.value.message


async def test_close_closes_the_credential() -> None:
    """close() releases the wrapped credential."""
    credential = FakeAsyncCredential()
    await source_for(credential).close()
    assert credential.closed


async def test_threaded_credential_runs_a_sync_credential() -> None:
    """A sync credential (device code) works through the async protocol and closes."""
    sync = FakeDeviceCodeCredential()
    threaded = ThreadedCredential(sync)
    token = await threaded.get_token(SCOPE)
    assert token.expires_on == 4_000_000_000
    await threaded.close()
    assert sync.closed


CHAIN_FAILURE = (
    "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
    "Attempted credentials:\n"
    "\tEnvironmentCredential: EnvironmentCredential authentication unavailable. Environment "
    "variables are not fully configured.\nVisit https://aka.ms/azsdk/python/identity/"
    "environmentcredential/troubleshoot to troubleshoot this issue.\n"
    "\tManagedIdentityCredential: ManagedIdentityCredential authentication unavailable, no "
    "response from the IMDS endpoint.\n"
    "\tAzureCliCredential: Azure CLI not found on path\n"
    "To mitigate this issue, please refer to the troubleshooting guidelines here at "
    "https://aka.ms/azsdk/python/identity/defaultazurecredential/troubleshoot."
)


async def test_chained_credential_failure_names_what_was_tried() -> None:
    """DefaultAzureCredential's paragraph becomes the list of credentials it tried, uncut."""
    source = CredentialTokenSource(
        FakeAsyncCredential(error=ClientAuthenticationError(CHAIN_FAILURE)),
        scope="s",
        source="auto sign-in",
        hint="sign in with `az login`",
    )
    with pytest.raises(AuthError) as caught:
        await source.get_token()
    assert caught.value.message == (
        "auto sign-in could not get a token: tried Environment, ManagedIdentity, AzureCli: "
        "none could sign in — sign in with `az login`"
    )
