"""A manifest file read as checked UTF-8 text, one line at a time, hashed as it goes.

Both readers share it so that undecodable bytes and NUL bytes are reported with their line
number (a plain `open(encoding=...)` only says "position 81234"), and so the SHA-256 the audit
log records is of exactly the bytes that were read, without a second pass over a large file.
"""

from __future__ import annotations

import errno
import hashlib
import stat
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

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

    def __enter__(self) -> LineSource:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._file.close()

    def __iter__(self) -> Iterator[str]:
        while line := self.read():
            yield line

    def read(self, size: int = -1) -> str:
        """File-like `read` for the YAML parser: one decoded line per call, '' at the end."""
        del size  # a parser copes with shorter reads, and whole lines keep error lines exact.
        raw = self._file.readline()
        if not raw:
            return ""
        self._sha.update(raw)
        self.line += 1
        if self.line == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        return self._decode(raw)

    def sha256(self) -> str:
        """Hex SHA-256 of the whole file, reading whatever the parser did not."""
        for chunk in iter(lambda: self._file.read(1 << 20), b""):
            self._sha.update(chunk)
        return self._sha.hexdigest()

    def _decode(self, raw: bytes) -> str:
        if self.line == 1 and (raw.startswith(_UTF16_BOMS) or _looks_utf16(raw)):
            raise SourceError(
                self.line,
                "the file is UTF-16 text (Excel's 'Unicode Text'), not UTF-8: save it as UTF-8 "
                "(in Excel: 'CSV UTF-8 (Comma delimited)')",
            )
        if b"\x00" in raw:
            raise SourceError(self.line, "contains NUL bytes: this is not a text file")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError(
                self.line,
                f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start + 1}); "
                "save the file as UTF-8",
            ) from exc


def _looks_utf16(raw: bytes) -> bool:
    """ASCII written as UTF-16 without a BOM: every other byte is NUL."""
    halves = (raw[0::2], raw[1::2])
    return len(raw) >= 4 and any(half.count(0) * 4 >= len(half) * 3 for half in halves)


def starts_with_bom(path: str | Path) -> bool:
    """Whether the file begins with a UTF-8 BOM (files written back out keep one)."""
    try:
        with open(path, "rb") as file:
            return file.read(len(_BOM)) == _BOM
    except OSError:
        return False
