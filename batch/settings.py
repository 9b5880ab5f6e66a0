"""Run settings a manifest may carry, and the rate limits every command paces by.

The YAML `settings:` block is checked against `ManifestSettings` when the manifest is loaded;
the runner later merges it with `GRAPH_BATCH_*` variables and flags (CLI wins) into the
pydantic `RunSettings`. This module is plain Python (standard-library dataclasses, no pydantic):
`graph-batch validate` must answer within 0.15 s and importing pydantic alone takes about
0.11 s. Each rule is written once, here: the rate parser (`rate_limit`) and the bounds
(`CONCURRENCY`, ...) are what the run-time models in `batch.graph_settings` and
`batch.run.settings` use too. Messages keep pydantic's wording, so a value refused in a manifest
reads as one refused from a flag.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args

from batch.auth.choices import AUTH_MODES, AuthMode
from batch.wording import shown, suggest

_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")
_INTEGER = re.compile(r"([+-]?\d+(?:_\d+)*)(?:\.0*)?", re.ASCII)


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimit:
    """At most `count` requests per `per_seconds` seconds, written `15/30s`; both above zero
    (ValueError otherwise)."""

    count: int
    per_seconds: float

    def __post_init__(self) -> None:
        if not (self.count > 0 and self.per_seconds > 0):
            raise ValueError(f"the count and the window must be above zero, got {self}")
        object.__setattr__(self, "per_seconds", float(self.per_seconds))

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """Parse `N/Ts` (e.g. `15/30s`); raises ValueError with a readable message."""
        match = _LIMIT.match(text)
        if match is None:
            raise ValueError(f"expected a rate like 15/30s, got {text!r}")
        try:
            return cls(count=int(match[1]), per_seconds=float(match[2]))
        except ValueError:
            raise ValueError(f"the count and the window must be above zero, got {text!r}") from None

    @property
    def per_second(self) -> float:
        """The sustained rate this limit allows."""
        return self.count / self.per_seconds

    def __str__(self) -> str:
        return f"{self.count}/{self.per_seconds:g}s"


def rate_limit(value: object) -> RateLimit:
    """A rate limit from its text (`15/30s`) or itself; ValueError saying what is wrong."""
    if isinstance(value, RateLimit):
        return value
    if isinstance(value, str):
        return RateLimit.parse(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        # YAML reads `write_limit: 15` as a number; say what is missing.
        raise ValueError(f"expected a rate like 15/30s, got {value!r} (add the window: /30s)")
    raise ValueError(f"expected a rate like 15/30s, got {shown(str(value))}")


GRAPH_WRITE_LIMIT = RateLimit(count=15, per_seconds=30)
"""Graph's published virtual-events write limit (per app, across all tenants)."""
GRAPH_READ_LIMIT = RateLimit(count=750, per_seconds=30)
"""Graph's published virtual-events read limit (per app, across all tenants)."""

ApiVersion = Literal["v1.0", "beta"]
API_VERSIONS: tuple[str, ...] = get_args(ApiVersion)
LogFormat = Literal["console", "json"]
"""How diagnostics on stderr are written: readable lines, or one JSON object per line."""
LOG_FORMATS: tuple[str, ...] = get_args(LogFormat)


@dataclass(frozen=True, slots=True)
class Bounds:
    """The range a number setting must lie in (pydantic's `ge`, `le`, `gt`)."""

    ge: int | None = None
    le: int | None = None
    gt: int | None = None

    def check(self, value: float) -> None:
        """Raise ValueError, in pydantic's words, when `value` is outside the range."""
        if self.le is not None and not value <= self.le:
            raise _InputError(f"Input should be less than or equal to {self.le}")
        if self.ge is not None and not value >= self.ge:
            raise _InputError(f"Input should be greater than or equal to {self.ge}")
        if self.gt is not None and not value > self.gt:
            raise _InputError(f"Input should be greater than {self.gt}")


CONCURRENCY = Bounds(ge=1, le=256)
MAX_ATTEMPTS = Bounds(ge=1, le=100)
DEADLINE = Bounds(gt=0)
"""The total time budget, in seconds."""
MAX_DESTRUCTIVE = Bounds(ge=0)


class _InputError(ValueError):
    """A value of the wrong kind or range: the message does not say what was given."""


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    raise _InputError("Input should be a valid string")


def _one_of(choices: tuple[str, ...]) -> Callable[[object], str]:
    quoted = [repr(choice) for choice in choices]
    expected = f"{', '.join(quoted[:-1])} or {quoted[-1]}"

    def convert(value: object) -> str:
        if isinstance(value, str) and value in choices:
            return value
        raise _InputError(f"Input should be {expected}")

    return convert


def _integer(bounds: Bounds) -> Callable[[object], int]:
    def convert(value: object) -> int:
        number = _as_integer(value)
        bounds.check(number)
        return number

    return convert


def _as_integer(value: object) -> int:
    """An int as pydantic's lax mode reads one: `4`, `4.0`, `'4'`, `' +4 '`, `true`."""
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _InputError("Input should be a finite number")
        if not value.is_integer():
            raise _InputError(
                "Input should be a valid integer, got a number with a fractional part"
            )
        return int(value)
    if isinstance(value, str):
        match = _INTEGER.fullmatch(value.strip())
        if match is None:
            raise _InputError(
                "Input should be a valid integer, unable to parse string as an integer"
            )
        return int(match[1])
    raise _InputError("Input should be a valid integer")


def _number(bounds: Bounds) -> Callable[[object], float]:
    def convert(value: object) -> float:
        number = _as_number(value)
        bounds.check(number)
        return number

    return convert


def _as_number(value: object) -> float:
    """A float as pydantic's lax mode reads one: `60`, `1.5`, `'1e3'`, `.inf`, `true`."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.isascii():
                return float(text)
        except ValueError:
            pass
        raise _InputError("Input should be a valid number, unable to parse string as a number")
    raise _InputError("Input should be a valid number")


_CONVERT = "convert"
"""The metadata key of a setting's check: raw value in, typed value out, or ValueError."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestSettings:
    """Settings a YAML manifest may carry; every field optional (None: not set)."""

    base_url: str | None = field(default=None, metadata={_CONVERT: _text})
    api_version: ApiVersion | None = field(default=None, metadata={_CONVERT: _one_of(API_VERSIONS)})
    concurrency: int | None = field(default=None, metadata={_CONVERT: _integer(CONCURRENCY)})
    write_limit: RateLimit | None = field(default=None, metadata={_CONVERT: rate_limit})
    read_limit: RateLimit | None = field(default=None, metadata={_CONVERT: rate_limit})
    max_attempts: int | None = field(default=None, metadata={_CONVERT: _integer(MAX_ATTEMPTS)})
    deadline: float | None = field(default=None, metadata={_CONVERT: _number(DEADLINE)})
    audit_log: str | None = field(default=None, metadata={_CONVERT: _text})
    auth: AuthMode | None = field(default=None, metadata={_CONVERT: _one_of(AUTH_MODES)})
    cloud: str | None = field(default=None, metadata={_CONVERT: _text})
    max_destructive: int | None = field(
        default=None, metadata={_CONVERT: _integer(MAX_DESTRUCTIVE)}
    )
    log_format: LogFormat | None = field(default=None, metadata={_CONVERT: _one_of(LOG_FORMATS)})

    @classmethod
    def from_mapping(cls, data: Mapping[Any, object]) -> ManifestSettings:
        """The settings `data` (as YAML read them) give; `SettingsError` naming every problem,
        known settings in field order and then unknown keys, if any value or key is wrong."""
        values: dict[str, Any] = {}
        problems: list[SettingProblem] = []
        for spec in fields(cls):
            value = data.get(spec.name)
            if value is None:
                continue
            try:
                values[spec.name] = spec.metadata[_CONVERT](value)
            except ValueError as exc:
                given = str(value) if isinstance(exc, _InputError) else None
                problems.append(SettingProblem(spec.name, str(exc), given))
        problems += [_unknown(key) for key in data if key not in SETTING_NAMES]
        if problems:
            raise SettingsError(tuple(problems))
        return cls(**values)


SETTING_NAMES: tuple[str, ...] = tuple(spec.name for spec in fields(ManifestSettings))
"""The keys a manifest's `settings:` block may hold, in the order they are documented."""


@dataclass(frozen=True)
class SettingProblem:
    """One refused key or value of a `settings:` block."""

    key: str
    message: str
    given: str | None = None
    """What was written, as text, when `message` does not already say it."""


class SettingsError(ValueError):
    """A `settings:` block with problems; `problems` lists each one."""

    def __init__(self, problems: tuple[SettingProblem, ...]) -> None:
        super().__init__("; ".join(f"{p.key}: {p.message}" for p in problems))
        self.problems = problems


def _unknown(key: object) -> SettingProblem:
    if not isinstance(key, str):
        return SettingProblem(str(key), "Keys should be strings", str(key))
    expected = f"unknown setting (expected {', '.join(SETTING_NAMES)})"
    return SettingProblem(key, expected + suggest(key, SETTING_NAMES))
