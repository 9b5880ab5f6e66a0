"""Read a YAML manifest into records, streaming: one operation's nodes in memory at a time.

The parser is driven event by event and each operation composed on its own, so a large
`operations:` list never becomes one big tree. Aliases (`*name`) are refused outright, which
makes "billion laughs" expansion impossible, and nesting is bounded so no input can recurse
deeply. Values are checked on the node before any construction: an id YAML would read as a
number, a date or a boolean is reported rather than silently converted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from batch.manifest.problems import Problem
from batch.manifest.source import LineSource
from batch.manifest.values import KNOWN_FIELDS, Header, Record, is_label
from batch.operations import FIELD_NAMES, FieldProblem
from batch.settings import ManifestSettings, SettingsError
from batch.wording import shown, suggest

SUPPORTED_VERSION = 1
TOP_LEVEL_KEYS = ("version", "defaults", "settings", "operations")
MAX_DEPTH = 16
_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Item = Header | Record | Problem | ManifestSettings


class _Events:
    """A typed view of the parser's event API (pyyaml's stubs leave it untyped)."""

    def __init__(self, loader: Any, mark: Callable[[], None]) -> None:
        self._loader = loader
        self._mark = mark
        """Called as each event is taken: the next one may be no larger than a line may."""

    def peek(self) -> Event:
        return cast(Event, self._loader.peek_event())

    def next(self) -> Event:
        event = cast(Event, self._loader.get_event())
        self._mark()
        return event

    def at(self, kind: type[Event]) -> bool:
        return bool(self._loader.check_event(kind))

    def resolve(self, kind: type[Node], value: str | None, implicit: Any) -> str:
        return cast(str, self._loader.resolve(kind, value, implicit))

    def construct(self, node: Node) -> object:
        return cast(object, self._loader.construct_object(node, deep=True))


class _RefusedError(Exception):
    """Input the reader refuses to compose; `line` is 1-based."""

    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.line: int = mark.line + 1
        self.message = message


def read_yaml(name: str, source: LineSource) -> Iterator[Item]:
    """Yield settings, one record per operation and finally the fields seen, or problems.

    Syntax errors and refused constructs end the reading with one problem naming the line.
    """
    loader = _Loader(source)  # pyyaml reads any object with read().
    try:
        yield from _Document(name, _Events(loader, source.mark)).read()
    except _RefusedError as exc:
        yield Problem(name, exc.line, None, exc.message)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        yield Problem(name, line, None, f"not valid YAML: {exc.problem or exc.context}")
    except yaml.YAMLError as exc:
        yield Problem(name, source.line or None, None, f"not valid YAML: {exc}")
    finally:
        loader.dispose()


class _Document:
    """Walks the one document of a manifest: a mapping of the known top-level keys."""

    def __init__(self, name: str, events: _Events) -> None:
        self._name = name
        self._events = events
        self._defaults: dict[str, str] = {}
        self._columns: dict[str, None] = {}
        self._seen: dict[str, int] = {}
        """Top-level key -> the line it is first given on."""

    def read(self) -> Iterator[Item]:
        events = self._events
        events.next()  # StreamStart
        if events.at(StreamEndEvent):
            yield self._problem(None, None, "file is empty (expected version: 1 and operations:)")
            return
        events.next()  # DocumentStart
        if not events.at(MappingStartEvent):
            start = events.peek().start_mark
            yield self._problem(start, None, "must be a mapping with version: and operations:")
            return
        events.next()
        while not events.at(MappingEndEvent):
            yield from self._top_level_entry()
        events.next()
        events.next()  # DocumentEnd
        if events.at(DocumentStartEvent):
            mark = events.peek().start_mark
            yield self._problem(mark, None, "only one YAML document is allowed (remove '---')")
        if "version" not in self._seen:
            yield self._problem(None, "version", f"required: add 'version: {SUPPORTED_VERSION}'")
        yield Header(tuple(self._columns))

    def _top_level_entry(self) -> Iterator[Item]:
        events = self._events
        key_node = _compose(events, 0)
        key = _scalar_text(key_node)
        mark = key_node.start_mark
        if key == "operations" and events.at(SequenceStartEvent):
            # Streamed item by item instead of composed whole: the one part that can be large.
            events.next()
            if self._seen_before(key, mark):
                yield self._problem(mark, key, _twice(self._seen[key], mark))
            yield from self._operations()
            return
        value_node = _compose(events, 1)
        if key not in TOP_LEVEL_KEYS:
            hint = "" if key is None else suggest(key, TOP_LEVEL_KEYS)
            yield self._problem(
                mark,
                None,
                f"unknown top-level key {shown(key or '?')} "
                f"(expected {', '.join(TOP_LEVEL_KEYS)}){hint}",
            )
        elif self._seen_before(key, mark):
            yield self._problem(mark, key, _twice(self._seen[key], mark))
        elif key == "version":
            yield from self._version(value_node)
        elif key == "defaults":
            yield from self._read_defaults(value_node)
        elif key == "settings":
            yield from self._settings(value_node)
        else:
            yield self._problem(value_node.start_mark, key, "must be a list of operations")

    def _seen_before(self, key: str, mark: Any) -> bool:
        seen = key in self._seen
        self._seen.setdefault(key, mark.line + 1)
        return seen

    def _version(self, node: Node) -> Iterator[Item]:
        if not (isinstance(node, ScalarNode) and node.value == str(SUPPORTED_VERSION)):
            got = shown(node.value) if isinstance(node, ScalarNode) else "a collection"
            yield self._problem(
                node.start_mark,
                "version",
                f"unsupported manifest version {got}: this graph-batch reads version "
                f"{SUPPORTED_VERSION}",
            )

    def _read_defaults(self, node: Node) -> Iterator[Item]:
        if "operations" in self._seen:
            yield self._problem(node.start_mark, "defaults", "must come before operations:")
            return
        fields, problems = _string_fields(node, allow_labels=False)
        self._defaults = fields
        self._columns.update(dict.fromkeys(fields))
        for mark, problem in problems:
            yield self._problem(mark, _prefixed("defaults", problem.field), problem.message)

    def _settings(self, node: Node) -> Iterator[Item]:
        """The checked settings, or each problem at its key's line (a key given twice is refused:
        PyYAML would silently keep the last)."""
        lines: dict[str, int] = {}
        repeated = False
        for key_node, _ in node.value if isinstance(node, MappingNode) else ():
            key = _scalar_text(key_node) or "?"
            if key in lines:
                repeated = True
                where = _prefixed("settings", key)
                yield self._problem(
                    key_node.start_mark, where, _twice(lines[key], key_node.start_mark)
                )
            lines.setdefault(key, key_node.start_mark.line + 1)
        if repeated:
            return
        try:
            value = self._events.construct(node)
        except yaml.MarkedYAMLError as exc:
            yield self._problem(exc.problem_mark, "settings", str(exc.problem))
            return
        if not isinstance(value, dict | None):
            yield self._problem(node.start_mark, "settings", "must be a mapping of setting: value")
            return
        try:
            settings = ManifestSettings.from_mapping(value or {})
        except SettingsError as exc:
            for problem in exc.problems:
                line = lines.get(problem.key, node.start_mark.line + 1)
                given = "" if problem.given is None else f" (got {shown(problem.given)})"
                yield Problem(self._name, line, f"settings.{problem.key}", problem.message + given)
            return
        yield settings

    def _operations(self) -> Iterator[Item]:
        events = self._events
        while not events.at(SequenceEndEvent):
            node = _compose(events, 2)
            fields, problems = _string_fields(node, allow_labels=True)
            self._columns.update(dict.fromkeys(fields))
            found = tuple(problem for _, problem in problems)
            yield Record(node.start_mark.line + 1, {**self._defaults, **fields}, found)
        events.next()

    def _problem(
        self,
        mark: Any,
        field: str | None,
        message: str,
    ) -> Problem:
        return Problem(self._name, None if mark is None else mark.line + 1, field, message)


def _compose(events: _Events, depth: int) -> Node:
    event = events.peek()
    if isinstance(event, AliasEvent):
        raise _RefusedError(event.start_mark, "YAML aliases (*name) are not allowed in a manifest")
    if depth > MAX_DEPTH:
        raise _RefusedError(event.start_mark, f"nested deeper than {MAX_DEPTH} levels")
    events.next()
    # pyyaml's stubs type the C parser's marks apart from the pure-Python ones; both work.
    start: Any = event.start_mark
    if isinstance(event, ScalarEvent):
        tag = event.tag
        if tag is None or tag == "!":
            tag = events.resolve(ScalarNode, event.value, event.implicit)
        return ScalarNode(tag, event.value, start, start, event.style)
    if isinstance(event, SequenceStartEvent):
        items = []
        while not events.at(SequenceEndEvent):
            items.append(_compose(events, depth + 1))
        events.next()
        tag = event.tag or events.resolve(SequenceNode, None, event.implicit)
        return SequenceNode(tag, items, start, start)
    if isinstance(event, MappingStartEvent):
        pairs = []
        while not events.at(MappingEndEvent):
            pairs.append((_compose(events, depth + 1), _compose(events, depth + 1)))
        events.next()
        tag = event.tag or events.resolve(MappingNode, None, event.implicit)
        return MappingNode(tag, pairs, start, start)
    raise _RefusedError(event.start_mark, f"unexpected YAML {type(event).__name__}")


def _scalar_text(node: Node) -> str | None:
    return node.value if isinstance(node, ScalarNode) and node.tag == _STR else None


def _string_fields(
    node: Node, *, allow_labels: bool
) -> tuple[dict[str, str], list[tuple[Any, FieldProblem]]]:
    """The non-empty string fields of a mapping node, and each problem with the mark of its key."""
    if not isinstance(node, MappingNode):
        return {}, [(node.start_mark, FieldProblem(None, "must be a mapping of field: value"))]
    fields: dict[str, str] = {}
    problems: list[tuple[Any, FieldProblem]] = []
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        mark = key_node.start_mark
        key = _scalar_text(key_node)
        if key is None:
            problems.append((mark, FieldProblem(None, "field names must be plain text")))
            continue
        if key not in KNOWN_FIELDS and not (allow_labels and is_label(key)):
            labels = " or an x- label" if allow_labels else ""
            hint = suggest(key, FIELD_NAMES)
            expected = ", ".join(FIELD_NAMES)
            message = f"unknown field (expected {expected}{labels}){hint}"
            problems.append((mark, FieldProblem(key, message)))
            continue
        if key in seen:
            problems.append((mark, FieldProblem(key, _twice(seen[key], mark))))
            continue
        seen[key] = mark.line + 1
        value = _string_value(value_node)
        if isinstance(value, FieldProblem):
            problems.append((mark, FieldProblem(key, value.message)))
        elif value:
            fields[key] = value
    return fields, problems


def _twice(first_line: int, mark: Any) -> str:
    """PyYAML would silently keep the last of two equal keys: name both lines instead."""
    return f"given twice (lines {first_line} and {mark.line + 1}): keep one"


def _string_value(node: Node) -> str | FieldProblem | None:
    if isinstance(node, ScalarNode):
        if node.tag == _STR:
            return str(node.value)
        if node.tag == _NULL:
            return None
        kind = node.tag.rsplit(":", 1)[-1]
        return FieldProblem(
            None, f"must be a string: YAML reads {shown(node.value)} as {kind}; put it in quotes"
        )
    return FieldProblem(None, "must be a string, not a list or mapping")


def _prefixed(prefix: str, field: str | None) -> str:
    return prefix if not field else f"{prefix}.{field}"
