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

import contextlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from batch.auth.choices import AUTH_MODES, CLOUD_ENDPOINTS, AuthMode
from batch.loopback import is_loopback
from batch.wording import shown, suggest

_LIMIT = re.compile(r"^\s*(\d{1,12})\s*/\s*(\d{1,12}(?:\.\d{1,12})?)\s*s?\s*$", re.ASCII)
_INTEGER = re.compile(r"([+-]?\d+(?:_\d+)*)(?:\.0*)?", re.ASCII)


RATE_COUNT_MAX = 1_000_000_000
RATE_WINDOW_MAX = 86_400.0
"""A day: a longer window is a typo (a rate that slow would never finish a job)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimit:
    """At most `count` requests per `per_seconds` seconds, written `15/30s`; both above zero,
    count at most RATE_COUNT_MAX, window at most RATE_WINDOW_MAX (ValueError otherwise)."""

    count: int
    per_seconds: float

    def __post_init__(self) -> None:
        problem = _rate_problem(self.count, self.per_seconds)
        if problem:
            raise ValueError(f"{problem}, got {self}")
        object.__setattr__(self, "per_seconds", float(self.per_seconds))

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """Parse `N/Ts` (e.g. `15/30s`); raises ValueError with a readable message."""
        match = _LIMIT.match(text)
        if match is None:
            raise ValueError(f"expected a rate like 15/30s, got {shown(text)}")
        count, per_seconds = int(match[1]), float(match[2])
        problem = _rate_problem(count, per_seconds)
        if problem:
            raise ValueError(f"{problem}, got {text!r}")
        return cls(count=count, per_seconds=per_seconds)

    @property
    def per_second(self) -> float:
        """The sustained rate this limit allows."""
        return self.count / self.per_seconds

    def __str__(self) -> str:
        return f"{self.count}/{self.per_seconds:g}s"


def _rate_problem(count: int, per_seconds: float) -> str | None:
    if isinstance(count, bool) or not (count > 0 and per_seconds > 0):
        return "the count and the window must be above zero"
    if count > RATE_COUNT_MAX or not per_seconds <= RATE_WINDOW_MAX:
        return (
            f"the count must be at most {RATE_COUNT_MAX} and the window at most "
            f"{RATE_WINDOW_MAX:g}s (a day)"
        )
    return None


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


def check_base_url(url: str) -> str:
    """The base URL without a trailing slash; plain http only to a loopback host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValueError(f"expected an https:// URL, got {url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"the base URL must not have a query or fragment: {url!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(
            f"refusing plain http to {parts.hostname}: tokens would travel unencrypted "
            "(plain-http base URLs are allowed only to localhost/127.0.0.1/::1)"
        )
    return url.strip().rstrip("/")


def split_api_root(url: str) -> tuple[str, str] | None:
    """`(base URL, API version)` when `url` is an API root such as `https://host/beta`
    (people paste those as the base URL), else None."""
    base, _, version = url.strip().rstrip("/").rpartition("/")
    if version not in API_VERSIONS or "://" not in base or base.endswith("/"):
        return None
    return base, version


def version_clash(in_url: str, api_version: object) -> str | None:
    """Why a base URL ending in `/in_url` cannot go with `api_version`, or None when it can."""
    if api_version == in_url:
        return None
    return (
        f"the base URL ends in /{in_url} but the API version is {api_version}; "
        "give the base URL without the version"
    )


@dataclass(frozen=True, slots=True)
class Bounds:
    """The range a number setting must lie in (pydantic's `ge`, `le`, `gt`)."""

    ge: int | None = None
    le: int | None = None
    gt: int | None = None

    def check(self, value: float) -> None:
        """Raise ValueError, in pydantic's words, when `value` is outside the range."""
        if self.le is not None and not value <= self.le:
            raise InputError(f"Input should be less than or equal to {self.le}")
        if self.ge is not None and not value >= self.ge:
            raise InputError(f"Input should be greater than or equal to {self.ge}")
        if self.gt is not None and not value > self.gt:
            raise InputError(f"Input should be greater than {self.gt}")


CONCURRENCY = Bounds(ge=1, le=256)
MAX_ATTEMPTS = Bounds(ge=1, le=100)
DEADLINE = Bounds(gt=0, le=366 * 86_400)
"""The total time budget, in seconds: above zero, at most a year (more is a typo)."""
MAX_DESTRUCTIVE = Bounds(ge=0)


class InputError(ValueError):
    """A value of the wrong kind or range: the message does not say what was given."""


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    raise InputError("Input should be a valid string")


def _base_url(value: object) -> str:
    text = _text(value)
    check_base_url(text)
    return text


def unknown_cloud(name: str) -> str | None:
    """Why `name` is no cloud graph-batch knows (naming the choices), or None when it is one."""
    if name in CLOUD_ENDPOINTS:
        return None
    choices = tuple(CLOUD_ENDPOINTS)
    return f"unknown cloud {shown(name)}; choose one of: {', '.join(choices)}" + suggest(
        name, choices
    )


def _cloud(value: object) -> str:
    text = _text(value)
    problem = unknown_cloud(text)
    if problem:
        raise ValueError(problem)
    return text


def _one_of(choices: tuple[str, ...]) -> Callable[[object], str]:
    quoted = [repr(choice) for choice in choices]
    expected = f"{', '.join(quoted[:-1])} or {quoted[-1]}"

    def convert(value: object) -> str:
        if isinstance(value, str) and value in choices:
            return value
        raise InputError(f"Input should be {expected}")

    return convert


def integer_setting(bounds: Bounds) -> Callable[[object], int]:
    """The check of an integer setting within `bounds`, for the manifest and the run-time models
    alike: value in, int out, InputError (or ValueError) saying what is wrong."""

    def convert(value: object) -> int:
        number = _as_integer(value)
        bounds.check(number)
        return number

    return convert


def _as_integer(value: object) -> int:
    """An int as pydantic's lax mode reads one: `4`, `4.0`, `'4'`, `' +4 '`; never `true`
    (a YAML `yes`/`true` is a slip, not a count)."""
    if isinstance(value, bool):
        raise InputError("Input should be a valid integer, not a boolean")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError("Input should be a finite number")
        if not value.is_integer():
            raise InputError("Input should be a valid integer, got a number with a fractional part")
        return int(value)
    if isinstance(value, str):
        match = _INTEGER.fullmatch(value.strip())
        with contextlib.suppress(ValueError):  # more digits than Python converts
            if match is not None:
                return int(match[1])
        raise InputError("Input should be a valid integer, unable to parse string as an integer")
    raise InputError("Input should be a valid integer")


def number_setting(bounds: Bounds) -> Callable[[object], float]:
    """The check of a finite number setting within `bounds` (as `integer_setting`)."""

    def convert(value: object) -> float:
        number = _as_number(value)
        bounds.check(number)
        return number

    return convert


def _as_number(value: object) -> float:
    """A finite float as pydantic's lax mode reads one: `60`, `1.5`, `'1e3'`; never `.inf`,
    `.nan` or `true`."""
    if isinstance(value, bool):
        raise InputError("Input should be a valid number, not a boolean")
    number = _float(value)
    if not math.isfinite(number):
        raise InputError("Input should be a finite number")
    return number


def _float(value: object) -> float:
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an int beyond any float
            return math.inf
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.isascii():
                return float(text)
        except ValueError:
            pass
        raise InputError("Input should be a valid number, unable to parse string as a number")
    raise InputError("Input should be a valid number")


_CONVERT = "convert"
"""The metadata key of a setting's check: raw value in, typed value out, or ValueError."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestSettings:
    """Settings a YAML manifest may carry; every field optional (None: not set)."""

    base_url: str | None = field(default=None, metadata={_CONVERT: _base_url})
    api_version: ApiVersion | None = field(default=None, metadata={_CONVERT: _one_of(API_VERSIONS)})
    concurrency: int | None = field(default=None, metadata={_CONVERT: integer_setting(CONCURRENCY)})
    write_limit: RateLimit | None = field(default=None, metadata={_CONVERT: rate_limit})
    read_limit: RateLimit | None = field(default=None, metadata={_CONVERT: rate_limit})
    max_attempts: int | None = field(
        default=None, metadata={_CONVERT: integer_setting(MAX_ATTEMPTS)}
    )
    deadline: float | None = field(default=None, metadata={_CONVERT: number_setting(DEADLINE)})
    audit_log: str | None = field(default=None, metadata={_CONVERT: _text})
    auth: AuthMode | None = field(default=None, metadata={_CONVERT: _one_of(AUTH_MODES)})
    cloud: str | None = field(default=None, metadata={_CONVERT: _cloud})
    max_destructive: int | None = field(
        default=None, metadata={_CONVERT: integer_setting(MAX_DESTRUCTIVE)}
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
                given = _as_written(value) if isinstance(exc, InputError) else None
                problems.append(SettingProblem(spec.name, str(exc), given))
        problems += _version_problems(values)
        problems += [_unknown(key) for key in data if key not in SETTING_NAMES]
        if problems:
            raise SettingsError(tuple(problems))
        return cls(**values)


def _version_problems(values: Mapping[str, Any]) -> list[SettingProblem]:
    """A base URL ending in an API version that `api_version` contradicts, as `run` refuses."""
    root = split_api_root(values.get("base_url") or "")
    clash = root and values.get("api_version") and version_clash(root[1], values["api_version"])
    return [SettingProblem("base_url", clash)] if clash else []


def _as_written(value: object) -> str:
    """`value` as YAML spells it: `true`, not Python's `True`."""
    return str(value).lower() if isinstance(value, bool) else str(value)


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
