"""Redaction: nothing token-, secret- or key-shaped survives a log line or a message."""

from __future__ import annotations

import base64
import io
import re
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from batch.auth.redact import (
    MASK,
    MIN_RUN,
    is_secret_key,
    redact_secrets,
    redact_text,
    redact_value,
    remember_secret,
)
from tests.auth_fakes import make_jwt

JWT = make_jwt(scp="VirtualEvent.ReadWrite", upn="u@contoso.com")
PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"

b64url = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1
)


@st.composite
def jwts(draw: st.DrawFn) -> str:
    """JWT-shaped strings: `eyJ<b64url>.eyJ<b64url>.<b64url>`."""
    return f"eyJ{draw(b64url)}.eyJ{draw(b64url)}.{draw(b64url)}"


@given(jwt=jwts(), before=st.text(), after=st.text())
def test_jwt_anywhere_in_text_is_masked(jwt: str, before: str, after: str) -> None:
    """A JWT embedded in any text never survives redaction."""
    assert jwt not in redact_text(before + jwt + after)


@given(jwt=jwts(), before=st.text(), key=st.text(), depth=st.integers(0, 4))
def test_jwt_anywhere_in_nested_values_is_masked(
    jwt: str, before: str, key: str, depth: int
) -> None:
    """A JWT inside any string nested in dicts, lists and tuples is masked."""
    value: Any = before + jwt
    for level in range(depth):
        value = {key: value} if level % 3 == 0 else [value] if level % 3 == 1 else (value,)
    assert jwt not in repr(redact_value({"event": "x", "payload": value}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def-ghi", f"Authorization: Bearer {MASK}"),
        ("bearer xyz==", f"bearer {MASK}"),
        (f"got {JWT} back", f"got {MASK} back"),
        (f"key {PEM} end", f"key {MASK} end"),
        ("-----BEGIN CERTIFICATE-----\nMIIB truncated", MASK),
        ("POST body client_secret=s3cr3t&x=1", f"POST body client_secret={MASK}&x=1"),
        ("access_token: opaque123", f"access_token: {MASK}"),
        ("HTTP 403 Forbidden, error code: 7", "HTTP 403 Forbidden, error code: 7"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    """Each secret shape is masked; ordinary text is left alone."""
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("token", True),
        ("access_token", True),
        ("GRAPH_ACCESS_TOKEN", True),
        ("client_secret", True),
        ("AZURE_CLIENT_SECRET", True),
        ("password", True),
        ("AZURE_CLIENT_CERTIFICATE_PASSWORD", True),
        ("Authorization", True),
        ("client_assertion", True),
        ("token_kind", False),
        ("expires_on", False),
        ("request_id", False),
        ("event", False),
    ],
)
def test_secret_keys(key: str, secret: bool) -> None:
    """Keys naming a secret are recognised; look-alikes such as token_kind are not."""
    assert is_secret_key(key) is secret


def test_secret_named_values_masked_at_any_depth() -> None:
    """Opaque secrets are masked by their key, in nested dicts and lists too."""
    event = {
        "event": "request",
        "headers": [{"Authorization": "opaque"}, {"x": 1}],
        "client_secret": "s3cr3t",
        "nested": {"token": 12345, "status": 401},
    }
    assert redact_value(event) == {
        "event": "request",
        "headers": [{"Authorization": MASK}, {"x": 1}],
        "client_secret": MASK,
        "nested": {"token": MASK, "status": 401},
    }


def test_structlog_processor_masks_before_rendering() -> None:
    """Used as a structlog processor, the rendered line carries no secret."""
    out = io.StringIO()
    logger = structlog.wrap_logger(
        structlog.PrintLogger(file=out),
        processors=[redact_secrets, structlog.processors.JSONRenderer()],
    )
    logger.info("token refused", detail=f"Bearer {JWT}", password="hunter2", status=401)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert JWT not in lines[0]
    assert "hunter2" not in lines[0]
    assert '"status": 401' in lines[0]


OPAQUE = "opaque.caller+token/7c1f=4f8e~9a43.x1"
"""A 37-character opaque token with characters every URL encoding changes."""


def _encodings(token: str) -> dict[str, str]:
    """Each way a server may echo `token`: URL-encoded, base64, or a long enough part of it."""
    return {
        "quote": quote(token),
        "quote-all": quote(token, safe=""),
        "quote-lower-hex": re.sub("%[0-9A-F]{2}", lambda m: m[0].lower(), quote(token, safe="")),
        "quote_plus": quote_plus(token),
        "dot-%2E": token.replace(".", "%2E"),
        "dot-%2e": token.replace(".", "%2e"),
        "base64": base64.b64encode(token.encode()).decode(),
        "base64url-unpadded": base64.urlsafe_b64encode(token.encode()).decode().rstrip("="),
        "prefix-33": token[:33],
        "prefix-16": token[:16],
        "middle-20": token[9:29],
        "suffix-17": token[-17:],
        "quoted-prefix": quote(token[:24], safe=""),
    }


@pytest.mark.parametrize("token", [OPAQUE, JWT], ids=["opaque", "jwt"])
@pytest.mark.parametrize("encoding", list(_encodings(OPAQUE)), ids=str)
def test_a_held_token_is_masked_in_every_encoding_and_part(token: str, encoding: str) -> None:
    """A remembered token echoed URL-encoded, base64'd or as a 16+ character part is masked,
    and the text around it is kept."""
    remember_secret(token)
    echoed = _encodings(token)[encoding]
    masked = redact_text(f"server said [{echoed}] twice: {echoed}.")
    assert echoed not in masked
    assert masked.startswith("server said [")
    assert masked.endswith(".")
    assert all(token[i : i + MIN_RUN] not in masked for i in range(len(token) - MIN_RUN + 1))


def test_a_part_shorter_than_min_run_and_other_text_are_kept() -> None:
    """Fewer than MIN_RUN characters of a token, and text that only shares bits, stay as they
    are: masking must not garble ordinary messages."""
    remember_secret(OPAQUE)
    kept = f"id {OPAQUE[: MIN_RUN - 1]} and {OPAQUE[20 : 20 + MIN_RUN - 1]} caller+token ok"
    assert redact_text(kept) == kept


def test_runs_of_two_tokens_and_a_split_echo_are_each_masked() -> None:
    """Two separate parts of the token in one line, and parts of two tokens, are all masked."""
    other = "second-token-0123456789abcdefXYZ"
    remember_secret(OPAQUE)
    remember_secret(other)
    text = f"a {OPAQUE[2:22]} b {other[5:25]} c {OPAQUE[15:]} d"
    assert redact_text(text) == f"a {MASK} b {MASK} c {MASK} d"


def test_another_jwt_sharing_a_held_tokens_header_is_masked_whole() -> None:
    """A JWT the run never held, whose header is a 16+ character run of a held JWT, is still
    masked whole (not cut into a remainder the JWT pattern no longer sees)."""
    remember_secret(make_jwt(scp="User.Read", upn="held@contoso.com"))
    assert redact_text(f"got {JWT} back") == f"got {MASK} back"
