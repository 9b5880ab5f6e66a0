"""RunSettings: precedence CLI > env > manifest > default, durations, and the base-URL rule."""

from __future__ import annotations

import pytest

from batch.errors import UsageError
from batch.graph_settings import check_base_url
from batch.run.settings import resolve_settings
from batch.settings import ManifestSettings, RateLimit

MANIFEST = ManifestSettings.from_mapping(
    {"concurrency": 2, "write_limit": "5/10s", "deadline": 60.0}
)


@pytest.mark.parametrize(
    ("cli", "env", "concurrency"),
    [
        ({}, {}, 2),
        ({}, {"GRAPH_BATCH_CONCURRENCY": "7"}, 7),
        ({"concurrency": "9"}, {"GRAPH_BATCH_CONCURRENCY": "7"}, 9),
        ({"concurrency": None}, {"GRAPH_BATCH_CONCURRENCY": ""}, 2),
    ],
)
def test_precedence(cli: dict[str, object], env: dict[str, str], concurrency: int) -> None:
    """The first source that sets a value wins: CLI, then env, then manifest."""
    assert resolve_settings(cli, env, MANIFEST).concurrency == concurrency


def test_defaults_and_manifest_values() -> None:
    """Unset values fall back to the manifest, then to Graph's published limits."""
    settings = resolve_settings({}, {}, MANIFEST)
    assert settings.write_limit == RateLimit(count=5, per_seconds=10)
    assert settings.read_limit == RateLimit(count=750, per_seconds=30)
    assert settings.deadline == 60.0
    assert resolve_settings({}, {}).concurrency == 4


@pytest.mark.parametrize(
    ("cli", "env", "message"),
    [
        ({"concurrency": "0"}, {}, "--concurrency"),
        ({}, {"GRAPH_BATCH_CONCURRENCY": "lots"}, "GRAPH_BATCH_CONCURRENCY"),
        ({}, {"GRAPH_BATCH_WRITE_LIMIT": "fast"}, "GRAPH_BATCH_WRITE_LIMIT: expected a rate"),
        ({"deadline": "soon"}, {}, "--deadline: expected a duration"),
        ({"api_version": "v2"}, {}, "--api-version"),
        ({"base_url": "http://graph.example.com"}, {}, "--base-url: refusing plain http"),
        ({}, {"GRAPH_BATCH_BASE_URL": "ftp://x"}, "GRAPH_BATCH_BASE_URL"),
    ],
)
def test_bad_values_name_their_source(
    cli: dict[str, object], env: dict[str, str], message: str
) -> None:
    """A bad value is a UsageError that says which flag or variable held it."""
    with pytest.raises(UsageError, match=message):
        resolve_settings(cli, env, MANIFEST)


def test_bad_manifest_value_names_the_manifest() -> None:
    """A bad base_url in the manifest is reported as settings.base_url."""
    with pytest.raises(UsageError, match=r"settings\.base_url in the manifest"):
        resolve_settings({}, {}, ManifestSettings(base_url="http://10.0.0.1"))


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://graph.microsoft.com", True),
        ("https://graph.microsoft.com/", True),
        ("http://127.0.0.1:8080", True),
        ("http://127.8.9.1", True),
        ("http://localhost:1234", True),
        ("http://[::1]:99", True),
        ("http://graph.microsoft.com", False),
        ("http://10.0.0.1", False),
        ("http://127.example.com", False),
        ("graph.microsoft.com", False),
        ("ftp://graph.microsoft.com", False),
        ("https://graph.microsoft.com/?x=1", False),
    ],
)
def test_base_url_rule(url: str, ok: bool) -> None:
    """Plain http is allowed only to a loopback host."""
    if ok:
        assert not check_base_url(url).endswith("/")
    else:
        with pytest.raises(ValueError, match=r"http|URL|query"):
            check_base_url(url)


@pytest.mark.parametrize(
    ("cli", "root"),
    [
        ({"base_url": "http://127.0.0.1:8080/v1.0"}, "http://127.0.0.1:8080/v1.0"),
        ({"base_url": "http://127.0.0.1:8080/beta/"}, "http://127.0.0.1:8080/beta"),
        ({"base_url": "https://graph.microsoft.com/v1.0", "api_version": "v1.0"}, None),
        ({"base_url": "http://127.0.0.1:8080/graph"}, "http://127.0.0.1:8080/graph/v1.0"),
        ({"base_url": "https://host/v1.0x"}, "https://host/v1.0x/v1.0"),
    ],
)
def test_api_root_given_as_base_url(cli: dict[str, object], root: str | None) -> None:
    """A pasted API root (`.../v1.0`) is not doubled; other paths are kept as they are."""
    expected = root or "https://graph.microsoft.com/v1.0"
    assert resolve_settings(cli, {}).api_root == expected


def test_api_root_conflicting_with_api_version() -> None:
    """A base URL ending in one version and --api-version naming another is refused."""
    with pytest.raises(UsageError, match=r"ends in /v1\.0 but the API version is beta"):
        resolve_settings(
            {"base_url": "https://graph.microsoft.com/v1.0", "api_version": "beta"}, {}
        )
