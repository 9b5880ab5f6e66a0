"""Find every `graph-batch ...` command written in the recipes and docs, as argv lists.

The recipe smoke tests feed each argv to the real argument parser, so a flag renamed in the CLI
fails the test that names the file and line still using the old one. Extraction is textual and
shell-like: backslash continuations are joined, comment lines skipped, cron time fields and
YAML/systemd keys (`run:`, `ExecStart=`) stripped, variables replaced by sample values, and the
command ends at the first shell operator (`;`, `&&`, `|`, `>` ...).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Where a simple command can start: line start (optionally a `$ ` prompt, a YAML `run:`-style
# key or a systemd `Exec*=` key), or after a shell operator; then command prefixes and
# `NAME=value` assignments; then the program, possibly with a directory.
_COMMAND = re.compile(
    r"""
    (?:
        ^\s*(?:[$]\s+)?(?:-\s+)?
        (?:(?:run|script|bash|inlineScript|Exec[A-Za-z]*)\s*[:=]\s*[-@:+!]*\s*)?
      | (?:&&|\|\||[;|(]|\$\()\s*
    )
    (?:(?:then|do|else|if|while|until|exec|time|command|nohup|env|!|sudo(?:\s+-u\s+\S+)?)\s+)*
    (?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*
    (?:[^\s;&|()=]*/)?graph-batch(?=\s|$)
    """,
    re.VERBOSE,
)
_CRON_FIELDS = re.compile(r"^\s*(?:@\w+|(?:\S+\s+){4}\S+)\s+")
_CRON_ASSIGNMENT = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*=")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+-]*)")
_SYSTEMD_SUFFIXES = frozenset({".service", ".timer", ".socket", ".path"})
_EXEC_KEY = re.compile(r"^\s*Exec[A-Za-z]*\s*=")
_FD_BEFORE_REDIRECT = re.compile(r"(?<!\S)\d+(?=[<>])")
_OPERATOR_CHARS = frozenset("();<>|&")

SAMPLE_VALUES: dict[str, str] = {"shard": "1", "shards": "3", "concurrency": "4"}
"""Values put in place of variables named so; any other variable becomes `sample`."""


@dataclass(frozen=True)
class Command:
    """One `graph-batch` command found in a file: where, as written, and as argv."""

    where: str
    text: str
    argv: tuple[str, ...]

    @property
    def subcommand(self) -> str | None:
        """The first word after `graph-batch` (None for a bare `graph-batch`)."""
        return self.argv[1] if len(self.argv) > 1 else None


def logical_lines(lines: list[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """Join lines ending in a backslash with the next one; keep the first line's number."""
    start, parts = 0, list[str]()
    for number, line in lines:
        if not parts:
            start = number
        if line.rstrip().endswith("\\"):
            parts.append(line.rstrip()[:-1])
            continue
        parts.append(line)
        yield start, " ".join(parts)
        parts = []
    if parts:
        yield start, " ".join(parts)


def cron_command(line: str) -> str | None:
    """The command part of a crontab line (None for blank, comment and `NAME=value` lines)."""
    if not line.strip() or line.lstrip().startswith("#") or _CRON_ASSIGNMENT.match(line):
        return None
    match = _CRON_FIELDS.match(line)
    return line[match.end() :] if match else None


def substitute_variables(text: str) -> str:
    """Replace GitHub/Azure DevOps expressions and shell variables with sample values."""

    def sample(expression: str) -> str:
        names = re.findall(r"[A-Za-z_]\w*", expression)
        return SAMPLE_VALUES.get(names[-1].lower(), "sample") if names else "sample"

    text = re.sub(r"\$\{\{(.*?)\}\}", lambda m: sample(m[1]), text)
    text = re.sub(r"\$\(\((.*?)\)\)", "1", text)
    text = re.sub(r"\$\(([^()]*)\)", lambda m: sample(m[1]), text)
    text = re.sub(
        r"\$\{([A-Za-z_]\w*)(?::?([-=?+])([^}]*))?\}",
        lambda m: m[3] if m[2] in ("-", "=") else sample(m[1]),
        text,
    )
    return re.sub(r"\$([A-Za-z_]\w*)", lambda m: sample(m[1]), text)


def _words(rest: str) -> list[str]:
    lexer = shlex.shlex(_FD_BEFORE_REDIRECT.sub("", rest), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words: list[str] = []
    for token in lexer:
        if token and set(token) <= _OPERATOR_CHARS:
            break
        words.append(token)
    return words


def commands_in_line(line: str) -> list[tuple[str, ...]]:
    """Every `graph-batch` command on one logical shell line, as argv (variables substituted)."""
    if line.lstrip().startswith(("#", ";")):
        return []
    return [
        ("graph-batch", *_words(substitute_variables(line[match.end() :])))
        for match in _COMMAND.finditer(line)
    ]


def _markdown_code(text: str) -> Iterator[tuple[str, list[tuple[int, str]]]]:
    """Each fenced code block of a Markdown file: its language and its numbered lines."""
    fence: str | None = None
    language, block = "", list[tuple[int, str]]()
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE.match(line)
        if fence is None and match:
            fence, language, block = match[1], match[2].lower(), []
        elif fence is not None and line.strip().startswith(fence[0] * len(fence)):
            yield language, block
            fence = None
        elif fence is not None:
            block.append((number, line))


def _shell_lines(path: Path, root: Path) -> Iterator[tuple[str, str]]:
    """(`file:line`, logical shell line) for every line of a recipe or doc code block.

    Only `Exec*=` keys of a systemd unit hold commands (`Description=Nightly graph-batch job`
    is prose), so a unit's other logical lines are left out.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        blocks = list(_markdown_code(text))
    else:
        language = "cron" if path.name == "crontab" else ""
        blocks = [(language, list(enumerate(text.splitlines(), start=1)))]
    name = path.relative_to(root).as_posix()
    only_exec = path.suffix in _SYSTEMD_SUFFIXES
    for language, lines in blocks:
        is_cron = language in ("cron", "crontab")
        for number, line in logical_lines(lines):
            shell = cron_command(line) if is_cron else line
            if shell is not None and not (only_exec and not _EXEC_KEY.match(shell)):
                yield f"{name}:{number}", shell


def commands_in_file(path: Path, root: Path) -> list[Command]:
    """Every `graph-batch` command in a recipe file or in a Markdown file's code blocks."""
    return [
        Command(where, " ".join(line.split()), argv)
        for where, line in _shell_lines(path, root)
        for argv in commands_in_line(line)
    ]
