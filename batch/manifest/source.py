"""A manifest file read as checked UTF-8 text, one line at a time, hashed as it goes.

Both readers share it so that undecodable bytes and NUL bytes are reported with their line
number (a plain `open(encoding=...)` only says "position 81234"), and so the SHA-256 the audit
log records is of exactly the bytes that were read, without a second pass over a large file.

Nothing is read unbounded: a line is read at most `MAX_LINE_BYTES` at a time and refused past
that, so a 1 GiB file without a newline (or of NUL bytes) costs 1 MiB of memory, not 1 GiB.
"""

from __future__ import annotations

import errno
import hashlib
import stat
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

MAX_LINE_BYTES = 1 << 20
"""The longest line, and the longest single value (a CSV cell spanning lines, a YAML scalar),
a manifest may hold: 1 MiB, thousands of times a real row. Past it the file is refused (exit 2)
at that line, before more of it is read into memory."""

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class SourceError(Exception):
    """The file's bytes are not usable text; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class LineSource:
    """Iterate the decoded lines of a file (line endings kept), counting and hashing them."""

    def __init__(self, path: Path) -> None:
        # Opening a pipe would block until someone writes to it: refuse anything not a file.
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            raise OSError(errno.EINVAL, "not a regular file (a pipe, socket or device)")
        self._file: BinaryIO = path.open("rb")
        self._sha = hashlib.sha256()
        self.line = 0
        """Number of the line most recently returned (1-based; 0 before the first)."""
        self._since_mark: int | None = None

    def __enter__(self) -> LineSource:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._file.close()

    def __iter__(self) -> Iterator[str]:
        while line := self.read():
            yield line

    def mark(self) -> None:
        """Start one value: `read` refuses to go more than `MAX_LINE_BYTES` past this point.

        For a parser that builds a whole value before handing it over (YAML's scalars), so a
        giant value spread over many short lines is refused as soon as it is too long.
        """
        self._since_mark = 0

    def read(self, size: int = -1) -> str:
        """File-like `read` for the YAML parser: one decoded line per call, '' at the end."""
        del size  # a parser copes with shorter reads, and whole lines keep error lines exact.
        raw = self._file.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return ""
        self._sha.update(raw)
        self.line += 1
        if self.line == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        self._check_binary(raw)
        if len(raw) > MAX_LINE_BYTES:
            raise SourceError(
                self.line,
                f"line longer than {MAX_LINE_BYTES:,} bytes: not a manifest (an unclosed quote "
                "or a file without line breaks can cause this); nothing after it was read",
            )
        if self._since_mark is not None:
            self._since_mark += len(raw)
            if self._since_mark > MAX_LINE_BYTES:
                raise SourceError(
                    self.line,
                    f"a single value runs over {MAX_LINE_BYTES:,} bytes: not a manifest value",
                )
        return self._decode(raw)

    def sha256(self) -> str:
        """Hex SHA-256 of the whole file, reading whatever the parser did not."""
        for chunk in iter(lambda: self._file.read(1 << 20), b""):
            self._sha.update(chunk)
        return self._sha.hexdigest()

    def _check_binary(self, raw: bytes) -> None:
        if self.line == 1 and (raw.startswith(_UTF16_BOMS) or _looks_utf16(raw)):
            raise SourceError(
                self.line,
                "the file is UTF-16 text (Excel's 'Unicode Text'), not UTF-8: save it as UTF-8 "
                "(in Excel: 'CSV UTF-8 (Comma delimited)')",
            )
        if b"\x00" in raw:
            raise SourceError(
                self.line, "contains NUL bytes: this is a binary file, not a text manifest"
            )

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError(
                self.line,
                f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start + 1}); "
                "save the file as UTF-8",
            ) from exc


def _looks_utf16(raw: bytes) -> bool:
    """ASCII written as UTF-16 without a BOM: every other byte is NUL, the others are not.

    When both halves are NUL the bytes are no text at all (`truncate -s 1G`): binary.
    """
    halves = (raw[0::2], raw[1::2])
    mostly_nul = [half.count(0) * 4 >= len(half) * 3 for half in halves]
    return len(raw) >= 4 and mostly_nul[0] != mostly_nul[1]


def starts_with_bom(path: str | Path) -> bool:
    """Whether the file begins with a UTF-8 BOM (files written back out keep one)."""
    try:
        with open(path, "rb") as file:
            return file.read(len(_BOM)) == _BOM
    except OSError:
        return False
