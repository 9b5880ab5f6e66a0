"""Nothing a server or a manifest says can leak the caller's token, drive the terminal or run as
a spreadsheet formula, in any output: `plan`, `run` (stdout, stderr, diagnostics, audit log,
failures CSV), `report` (table, JSON, JUnit, to stdout or a file). The failures CSV still reads
back as the same manifest.

A tiny 127.0.0.1 server answers every write (and some reads) with an error message that starts
with a formula, carries escape sequences and a bidi override, and echoes the bearer token it was
sent, also URL-encoded, base64'd and cut (`echoes`); one event id starts with `-`, and a label
is a formula with control characters in it.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import json
import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestServer

from batch.auth.redact import MIN_RUN
from batch.cli import main
from batch.exit_codes import ExitCode
from batch.safe_text import FORMULA_STARTS
from batch.sandbox.tokens import make_jwt

EVIL = "=cmd|' /C calc'!A0 \x1b[2J\x1b]0;pwned\x07 \u202e\x85 "
"""The start of every error message: a formula, clear-screen, set-title, bidi override, NEL."""
RAW_CONTROLS = ("\x1b", "\x07", "\u202e", "\x85")
ODD_ID = "-ev2+1@x"
"""An id a spreadsheet would read as a formula (ids cannot hold control characters)."""
LABEL = "@SUM(1+1)\u202e\x1b[2J"
"""A label: a formula, a bidi override and an escape sequence (labels may hold anything)."""
TOKENS = {
    "opaque": "opaque.caller+token/7c1f=4f8e~9a43.x1",
    "jwt": make_jwt(
        app_only=False,
        upn="organizer@contoso.com",
        tenant_id="72f988bf-86f1-41af-91ab-2d7cd011db47",
        expires_at=datetime.now(UTC) + timedelta(hours=2),
    ),
}


def echoes(token: str) -> list[str]:
    """The token as a server may echo it besides whole: URL-encoded (`quote`, `quote_plus`, `.`
    as `%2E`/`%2e`), base64, and parts of 16+ characters (a 33-character prefix, a middle)."""
    third = len(token) // 3
    return [
        quote(token, safe=""),
        quote_plus(token),
        token.replace(".", "%2E"),
        token.replace(".", "%2e"),
        base64.b64encode(token.encode()).decode(),
        token[:33],
        token[third : third + 20],
        token[-MIN_RUN:],
    ]


class EvilServer:
    """Serves two webinars; every write fails with EVIL plus the caller's own token."""

    def __init__(self) -> None:
        self.posts: Counter[str] = Counter()

    def app(self) -> web.Application:
        """All paths go through one handler."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        parts = [unquote(part) for part in request.raw_path.split("?")[0].split("/")]
        event_id = parts[5] if len(parts) > 5 else ""
        message = f"{EVIL}the token {token} may not do this; {' | '.join(echoes(token))}"
        if request.method == "POST":
            self.posts[event_id] += 1
            return _error(400, "BadRequest", message)
        if event_id == "ev1":
            body = {"id": event_id, "status": "published", "displayName": EVIL + token}
            return web.json_response(body)
        return _error(403, "Forbidden", message)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@asynccontextmanager
async def _serve() -> AsyncIterator[tuple[EvilServer, str]]:
    server = EvilServer()
    async with TestServer(server.app(), host="127.0.0.1") as test_server:
        yield server, str(test_server.make_url("")).rstrip("/")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No ambient settings; retries logged, so diagnostics carry server text too."""
    for name in list(os.environ):
        if name.startswith(("GRAPH_BATCH_", "AZURE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GRAPH_BATCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("GRAPH_BATCH_LOG_LEVEL", "debug")
    yield
    structlog.reset_defaults()


async def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run the CLI in a thread (the server keeps serving on this loop); stdout + stderr."""
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def _written(directory: Path) -> dict[str, str]:
    """Every file in `directory`, by name."""
    return {path.name: path.read_text(encoding="utf-8") for path in directory.glob("*.*")}


def _failures(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.parametrize("kind", list(TOKENS))
async def test_no_output_leaks_the_token_or_injects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """Every file and every printed line: no token, no raw control or bidi character; the
    failures CSV guards formulas and reads back as the same rows."""
    token = TOKENS[kind]
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", token)
    manifest = tmp_path / "m.csv"
    with manifest.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(
            [["op", "event_id", "x-note"], ["cancel", "ev1", LABEL], ["cancel", ODD_ID, "+1"]]
        )
    audit, failed = tmp_path / "audit.jsonl", tmp_path / "failed.csv"
    printed: list[str] = []
    async with _serve() as (server, url):
        base = ("--base-url", url)
        code, text = await _cli(
            capsys, "plan", str(manifest), "--out", str(tmp_path / "p.json"), *base
        )
        printed.append(text)
        run = ("run", "--yes", "-v", "--audit-log", str(audit), *base)
        code, text = await _cli(
            capsys, *run[:1], str(manifest), *run[1:], "--failures-csv", str(failed)
        )
        printed.append(text)
        assert code == ExitCode.FAILED, text
        for form, suffix in (("table", "txt"), ("json", "json"), ("junit", "xml")):
            _, text = await _cli(capsys, "report", str(audit), "--format", form)
            printed.append(text)
            out = tmp_path / f"report.{suffix}"
            await _cli(capsys, "report", str(audit), "--format", form, "--out", str(out))

        rows = _failures(failed)
        assert [row["event_id"] for row in rows] == ["ev1", "'" + ODD_ID]
        assert [row["x-note"] for row in rows] == ["'@SUM(1+1)\\u202e\\x1b[2J", "'+1"]
        for row in rows:
            assert row["error_message"].startswith("'=cmd|")
            assert not row["error_message"].startswith(FORMULA_STARTS)
        # The failures CSV is a manifest again: the same ids reach the server.
        server.posts.clear()
        code, text = await _cli(
            capsys, "run", str(failed), "--yes", "--audit-log", str(audit), *base
        )
        printed.append(text)
        assert code == ExitCode.FAILED, text
        assert server.posts == Counter({"ev1": 1, ODD_ID: 1})

    files = _written(tmp_path)
    for name, content in {**files, **{f"printed {i}": t for i, t in enumerate(printed)}}.items():
        if name == "m.csv":
            continue
        assert token not in content, name
        assert not any(echo in content for echo in echoes(token)), name
        runs = {token[i : i + MIN_RUN] for i in range(len(token) - MIN_RUN + 1)}
        assert not any(run in content for run in runs), name
        assert not any(ch in content for ch in RAW_CONTROLS), (name, content[:2000])
    assert "<redacted>" in files["failed.csv"]
    assert "\\x1b[2J" in files["report.txt"]  # shown escaped, not dropped
    document = json.loads(files["report.json"])
    failed_ids = [row["target"]["event_id"] for row in document["runs"][0]["failed"]]
    assert failed_ids == ["ev1", ODD_ID]  # JSON escapes keep the value itself intact
    plan: dict[str, Any] = json.loads(files["p.json"])
    assert [row["target"]["event_id"] for row in plan["rows"]] == ["ev1", ODD_ID]


async def test_ids_with_bidi_overrides_are_refused_and_report_escapes_logged_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An id with U+202E is invalid (exit 2, nothing sent); an audit log that holds one anyway
    (written by hand or by an older version) is reported with it escaped, in every format."""
    manifest = tmp_path / "m.csv"
    manifest.write_text("op,event_id\ncancel,ev\u202e1\n", encoding="utf-8")
    code, text = await _cli(capsys, "validate", str(manifest))
    assert code == ExitCode.INVALID
    assert "invisible formatting characters" in text
    assert "\u202e" not in text

    record = {
        "ts": "2026-11-30T10:00:00Z", "event": "op.finished", "run_id": "r\x1b]0;x\x07",
        "row": 2, "op": "cancel", "target": {"event_id": "ev\u202e1\x1b[2J"},
        "outcome": "failed", "error_code": "E\x1b[31m", "error_message": EVIL,
    }  # fmt: skip
    log = tmp_path / "a.jsonl"
    log.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    for form in ("table", "json", "junit"):
        code, text = await _cli(capsys, "report", str(log), "--format", form)
        assert code == ExitCode.UNFINISHED
        assert not any(ch in text for ch in RAW_CONTROLS), (form, text)
        assert "202e" in text, form  # escaped, not dropped
