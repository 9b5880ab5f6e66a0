"""What really goes on the wire: the raw request line, read on the socket by a tiny server.

Not the client's own URL object: a proxy or server sees only these bytes, and one that removes
dot segments (RFC 3986 5.2.4) or splits on `/`, `?` or `#` must still see one id per segment.
Ids `.` and `..` cannot be sent safely at all, so they are refused before anything is sent.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from batch.cli import main
from batch.exit_codes import ExitCode
from batch.rehearsal import write_yaml_job

HOSTILE = ["a/b", "?x", "#", "%2e%2e", "%00", "\\", "../x", "a/..", ".x", "...", "%2F"]
_SESSION = {  # No `id`: one answer serves every session asked for (an `id` must match).
    "subject": "s",
    "startDateTime": "2026-12-01T15:00:00Z",
    "endDateTime": "2026-12-01T16:00:00Z",
    "joinWebUrl": "https://teams.example/join",
}
_READ_BODY = json.dumps({**_SESSION, "status": "published"}).encode()
_READ_HEAD = (
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    f"Content-Length: {len(_READ_BODY)}\r\n\r\n"
).encode()


class WireRecorder:
    """An HTTP/1.1 server on 127.0.0.1 that records each raw request line and answers GETs
    200 (a session-and-event-shaped object) and everything else 204."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.port = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while request_line := await reader.readline():
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # Headers; requests here carry no body.
            line = request_line.decode("latin-1").rstrip("\r\n")
            self.lines.append(line)
            if line.startswith("GET "):
                writer.write(_READ_HEAD + _READ_BODY)
            else:
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            await writer.drain()
        writer.close()

    @classmethod
    def running(cls) -> Iterator[WireRecorder]:
        """Serve from a background thread (the CLI under test runs its own event loop)."""
        recorder = cls()
        loop = asyncio.new_event_loop()
        started = threading.Event()
        stop = asyncio.Event()

        async def main_loop() -> None:
            server = await asyncio.start_server(recorder._serve, "127.0.0.1", 0)
            recorder.port = server.sockets[0].getsockname()[1]
            started.set()
            async with server:
                await stop.wait()

        thread = threading.Thread(target=loop.run_until_complete, args=(main_loop(),))
        thread.start()
        started.wait(10)
        try:
            yield recorder
        finally:
            loop.call_soon_threadsafe(stop.set)
            thread.join(10)
            loop.close()


@pytest.fixture
def wire() -> Iterator[WireRecorder]:
    """A running WireRecorder."""
    yield from WireRecorder.running()


TEMPLATES: dict[str, list[str]] = {
    "cancel": ["event_id", "cancel"],
    "remove-session": [
        "event_id",
        "registrations",
        "registration_id",
        "sessions",
        "session_id",
        "$ref",
    ],
    "cancel-registration": ["event_id", "registrations", "registration_id", "cancel"],
    "get-session": ["event_id", "sessions", "session_id"],
}
"""Each op's path after `/v1.0/solutions/virtualEvents/webinars/`: ids by field name."""
NORMAL = {"event_id": "e@t", "registration_id": "r@t", "session_id": "s@t"}


def hostile_rows() -> list[dict[str, str]]:
    """Every op with every hostile id in each of its id fields in turn."""
    rows = []
    for op, template in TEMPLATES.items():
        fields = [part for part in template if part in NORMAL]
        for field in fields:
            for hostile in HOSTILE:
                ids = {name: NORMAL[name] for name in fields} | {field: hostile}
                rows.append({"op": op, **ids})
    return rows


def expected_segments(row: dict[str, str]) -> list[str]:
    """The decoded segments the row's request must have, one per id."""
    tail = [row.get(part, part) for part in TEMPLATES[row["op"]]]
    return ["v1.0", "solutions", "virtualEvents", "webinars", *tail]


def test_every_hostile_id_travels_as_one_encoded_segment(
    wire: WireRecorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For every op and id field, the request line holds each id as exactly one segment that
    decodes back to it: no `?`/`#` left raw, no dot segment, no `/` inside an id."""
    rows = hostile_rows()
    manifest = write_yaml_job(rows, tmp_path / "job.yaml")
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", "opaque-token")
    url = f"http://127.0.0.1:{wire.port}"
    limits = ["--write-limit", "100000/1s", "--read-limit", "100000/1s"]
    audit = ["--audit-log", str(tmp_path / "audit.jsonl")]
    code = main(["run", str(manifest), "--yes", "--quiet", "--base-url", url, *audit, *limits])
    assert code == ExitCode.OK
    sent: dict[str, list[list[str]]] = {}
    for line in wire.lines:
        method, target, version = line.split(" ")
        assert version == "HTTP/1.1"
        assert "?" not in target
        assert "#" not in target
        raw_segments = target.split("/")[1:]
        assert not {".", ".."} & set(raw_segments), line
        sent.setdefault(method, []).append([unquote(part) for part in raw_segments])
    operations = sent.get("POST", []) + sent.get("DELETE", []) + sent.get("GET", [])
    for row in rows:
        assert expected_segments(row) in operations, row


@pytest.mark.parametrize(
    "case",
    [
        (dots, command, kind)
        for dots in (".", "..")
        for command in ("validate", "plan", "run")
        for kind in ("csv", "yaml")
    ],
)
def test_dot_ids_are_refused_before_anything_is_sent(
    wire: WireRecorder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: tuple[str, str, str],
) -> None:
    """`.` and `..` in any id field: FILE:LINE: field: message, exit 2, nothing sent."""
    dots, command, kind = case
    path = tmp_path / f"job.{kind}"
    if kind == "csv":
        path.write_text(f"op,event_id,session_id\nget-session,e1,s1\nget-session,e1,{dots}\n")
        line, field = 3, "session_id"
    else:
        path.write_text(f"version: 1\noperations:\n  - op: cancel\n    event_id: '{dots}'\n")
        line, field = 3, "event_id"
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", "opaque-token")
    url = ["--base-url", f"http://127.0.0.1:{wire.port}"]
    extra = {"validate": [], "plan": url, "run": [*url, "--yes"]}[command]
    assert main([command, str(path), *extra]) == ExitCode.INVALID
    printed = capsys.readouterr()
    assert f"{path}:{line}: {field}: must not be '{dots}'" in printed.out + printed.err
    assert "Traceback" not in printed.err
    assert wire.lines == []
